//! What the command tests share: the app's real invoke handler, state and store (sled in
//! a temporary directory) on Tauri's mock runtime, with in-memory clipboard and
//! notifications.
#![allow(dead_code)]

use std::sync::Arc;

use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, noop_assets, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewWindow, WebviewWindowBuilder};

use keyward_app::clipboard::MemoryClipboard;
use keyward_app::notify::MemoryNotifier;
use keyward_app::state::AppState;
use keyward_core::{FileMasterKey, ManualClock, Store, StoreOptions};

pub const T0: i64 = 1_780_000_000_000;
pub const DAY: i64 = 86_400_000;
pub const HOUR: i64 = 3_600_000;

pub struct Harness {
    pub _dir: tempfile::TempDir,
    pub app: App<MockRuntime>,
    pub webview: WebviewWindow<MockRuntime>,
    pub clipboard: Arc<MemoryClipboard>,
    pub clock: Arc<ManualClock>,
}

pub fn harness_with(notifier: MemoryNotifier) -> (Harness, Arc<MemoryNotifier>) {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let store = Store::open(
        dir.path(),
        clock.clone(),
        &FileMasterKey::new(dir.path().join("master.key")),
        StoreOptions::default(),
    )
    .unwrap();
    // The loopback API is exercised by its own test on a free port, not on 7420 here.
    store
        .update_settings(keyward_core::Settings {
            local_api_enabled: false,
            ..Default::default()
        })
        .unwrap();
    let clipboard = Arc::new(MemoryClipboard::default());
    let notifier = Arc::new(notifier);
    let state = AppState::with_store(
        Ok(Arc::new(store)),
        dir.path(),
        clipboard.clone(),
        notifier.clone(),
    );
    let (app, webview) = mock_app(state);
    (
        Harness {
            _dir: dir,
            app,
            webview,
            clipboard,
            clock,
        },
        notifier,
    )
}

/// The app's real context (its config, capability and ACL) on the mock runtime, so these
/// tests also prove the main window may call every command.
pub fn mock_app(state: AppState) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let app = mock_builder()
        .manage(state)
        .invoke_handler(keyward_app::commands::handler())
        .build(tauri::generate_context!(
            test = true,
            assets = noop_assets()
        ))
        .unwrap();
    let webview = match app.get_webview_window("main") {
        Some(w) => w,
        None => WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap(),
    };
    (app, webview)
}

pub fn harness() -> Harness {
    harness_with(MemoryNotifier::default()).0
}

impl Harness {
    pub fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        get_ipc_response(
            &self.webview,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|b| b.deserialize::<Value>().unwrap())
    }

    pub fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args.clone())
            .unwrap_or_else(|e| panic!("{cmd} {args} failed: {e}"))
    }

    pub fn err(&self, cmd: &str, args: Value) -> Value {
        match self.call(cmd, args.clone()) {
            Ok(v) => panic!("{cmd} {args} should fail, gave {v}"),
            Err(e) => e,
        }
    }

    pub fn admin(&self) -> String {
        let u = self.ok(
            "add_user",
            json!({"name": "Ada Lovelace", "email": "ada@example.com", "admin": true}),
        );
        u["id"].as_str().unwrap().to_owned()
    }

    pub fn key(&self, owner: &str, name: &str) -> Value {
        self.ok(
            "create_key",
            json!({"owner": owner, "name": name, "location": null}),
        )
    }

    /// The payloads (JSON) of every `event` emitted from now on.
    pub fn listen(&self, event: &str) -> Arc<std::sync::Mutex<Vec<String>>> {
        use tauri::Listener;
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let into = seen.clone();
        self.app.listen_any(event.to_owned(), move |e| {
            into.lock().unwrap().push(e.payload().to_owned());
        });
        seen
    }

    pub fn store(&self) -> Arc<Store> {
        self.app.state::<AppState>().store().unwrap()
    }
}

pub fn no_filter() -> Value {
    json!({
        "query": {"owner": null, "status": null, "search": null, "scope": null},
        "sort": {"column": "created", "dir": "desc"},
        "offset": 0,
        "limit": 100
    })
}
