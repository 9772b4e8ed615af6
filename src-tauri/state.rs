//! What the commands share: the store, the desktop's ports (clipboard, notifications),
//! and the reminders raised in this session. Sled work runs on the blocking pool.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use keyward_core::lifecycle::ReminderNotice;
use keyward_core::{FileMasterKey, KeychainMasterKey, Secret, Store, StoreOptions, SystemClock};

use crate::clipboard::ClipboardPort;
use crate::error::{AppError, Result};
use crate::local_api::LocalApi;
use crate::notify::Notifier;
use crate::scheduler::SchedulerHandle;

/// The desktop app's identifier; the CLI uses the same data directory.
pub const APP_IDENTIFIER: &str = "com.keyward.desktop";

pub struct AppState {
    store: std::result::Result<Arc<Store>, keyward_core::Error>,
    pub data_dir: PathBuf,
    pub clipboard: Arc<dyn ClipboardPort>,
    pub notifier: Arc<dyn Notifier>,
    /// Reminders raised since the app started, newest last: shown in the app and tray
    /// even when no notification server answered.
    pub reminders: Mutex<Vec<ReminderNotice>>,
    pub notification_problem: Mutex<Option<String>>,
    /// Tokens created in this session, so "Copy" works while the token is still shown.
    pub fresh_tokens: Mutex<HashMap<String, Secret>>,
    pub scheduler: Mutex<Option<SchedulerHandle>>,
    pub local_api: LocalApi,
    /// Sends webhook events from the outbox while the app runs (tray included).
    pub webhooks: Mutex<Option<keyward_webhooks::Worker>>,
    /// The team server's reminders already shown in this session (`id@deadline`).
    pub server_reminded: Mutex<std::collections::HashSet<String>>,
    /// The team server the window shows instead of this computer's store, if any.
    server: std::sync::RwLock<Option<Arc<keyward_client::Remote>>>,
    /// Whether tokens may be kept in the OS keychain (off in tests).
    pub use_keychain: bool,
}

/// Where the window's actions go.
#[derive(Clone)]
pub enum Target {
    Local(Arc<Store>),
    Server(Arc<keyward_client::Remote>),
}

impl AppState {
    /// Opens the data directory. A failure (another Keyward holds the database, a newer
    /// schema) is kept and reported by every command, so the window can explain it.
    pub fn open(
        dir: &Path,
        clipboard: Arc<dyn ClipboardPort>,
        notifier: Arc<dyn Notifier>,
        use_keychain: bool,
    ) -> AppState {
        let file = FileMasterKey::new(keyward_core::store::master_key_path(dir));
        let keychain = KeychainMasterKey::new(APP_IDENTIFIER, dir);
        let sources: Vec<&dyn keyward_core::MasterKeySource> = if use_keychain {
            vec![&keychain, &file]
        } else {
            vec![&file]
        };
        let opts = StoreOptions {
            actor: "desktop".into(),
            ..StoreOptions::default()
        };
        let store = Store::open_with_sources(dir, Arc::new(SystemClock), &sources, opts);
        if let Err(e) = &store {
            log::error!("cannot open the Keyward database in {}: {e}", dir.display());
        }
        let mut state = AppState::with_store(store.map(Arc::new), dir, clipboard, notifier);
        state.use_keychain = use_keychain;
        state.set_server(crate::connection::load(dir, use_keychain));
        state
    }

    pub fn with_store(
        store: std::result::Result<Arc<Store>, keyward_core::Error>,
        dir: &Path,
        clipboard: Arc<dyn ClipboardPort>,
        notifier: Arc<dyn Notifier>,
    ) -> AppState {
        if let Ok(s) = &store {
            keyward_webhooks::mail::enable(s);
        }
        AppState {
            store,
            data_dir: dir.to_path_buf(),
            clipboard,
            notifier,
            reminders: Mutex::new(Vec::new()),
            notification_problem: Mutex::new(None),
            fresh_tokens: Mutex::new(HashMap::new()),
            scheduler: Mutex::new(None),
            local_api: LocalApi::default(),
            webhooks: Mutex::new(None),
            server: std::sync::RwLock::new(None),
            server_reminded: Mutex::new(Default::default()),
            use_keychain: false,
        }
    }

    /// The team server the window shows, if it shows one.
    pub fn server(&self) -> Option<Arc<keyward_client::Remote>> {
        self.server
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Shows `server`, or this computer's store.
    pub fn set_server(&self, server: Option<Arc<keyward_client::Remote>>) {
        *self.server.write().unwrap_or_else(|p| p.into_inner()) = server;
    }

    /// Where the window's actions go: the team server when connected to one, else this
    /// computer's store.
    pub fn target(&self) -> Result<Target> {
        match self.server() {
            Some(r) => Ok(Target::Server(r)),
            None => Ok(Target::Local(self.store()?)),
        }
    }

    /// Starts delivering webhook events. An attempt cut short by quitting is not recorded,
    /// so it is made again at the next start.
    pub fn start_webhooks<R: tauri::Runtime>(&self, app: tauri::AppHandle<R>) {
        use tauri::Emitter;
        let Ok(store) = self.store() else { return };
        let started = tauri::async_runtime::block_on(async move {
            keyward_webhooks::Worker::start_with(store, move |_| {
                let _ = app.emit("webhooks", ());
            })
        });
        match started {
            Ok(worker) => *lock(&self.webhooks) = Some(worker),
            Err(e) => log::error!("webhook delivery could not start: {e}"),
        }
    }

    pub fn store(&self) -> Result<Arc<Store>> {
        self.store.clone().map_err(AppError::Core)
    }

    /// Starts, restarts or stops the loopback API to match the stored settings.
    pub fn apply_local_api(&self) {
        if let Ok(store) = self.store() {
            match store.settings() {
                Ok(settings) => self.local_api.apply(&store, &settings),
                Err(e) => log::warn!("local API settings unreadable: {e}"),
            }
        }
    }

    /// What quitting must not lose: stop the API (in-flight requests finish), stop the
    /// scheduler, write pending "last used" times.
    pub fn shutdown(&self) {
        self.local_api.shutdown();
        lock(&self.scheduler).take();
        lock(&self.webhooks).take();
        if let Ok(store) = self.store() {
            if let Err(e) = store.flush() {
                log::error!("could not save pending last-used times: {e}");
            }
        }
    }

    pub fn startup_problem(&self) -> Option<&keyward_core::Error> {
        self.store.as_ref().err()
    }

    /// Runs an action on the blocking pool (sled may fsync; a server is a round trip),
    /// on the store the window shows: this computer's, as its owner, or a team server's.
    pub async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&dyn keyward_core::Manage) -> keyward_core::Result<T> + Send + 'static,
    {
        self.run_mapped(move |m, _| f(m)).await
    }

    /// [`AppState::run`] for work whose errors are not only the core's (an export's), and
    /// which needs to know where the store is.
    pub async fn run_mapped<T, E, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        E: Send + 'static,
        AppError: From<E>,
        F: FnOnce(&dyn keyward_core::Manage, &Target) -> std::result::Result<T, E> + Send + 'static,
    {
        let target = self.target()?;
        tauri::async_runtime::spawn_blocking(move || match &target {
            Target::Local(store) => f(&keyward_core::Acting::owner(store), &target),
            Target::Server(remote) => f(remote.as_ref(), &target),
        })
        .await
        .map_err(|e| AppError::Io(format!("a background task failed: {e}")))?
        .map_err(AppError::from)
    }

    /// Runs work on this computer's store itself (a backup, a restore, who owns it);
    /// refused while the window shows a team server.
    pub async fn run_local<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> keyward_core::Result<T> + Send + 'static,
    {
        if self.server().is_some() {
            return Err(AppError::Core(keyward_core::Error::invalid(
                "this works on the store on this computer — switch Preferences › Connection to This computer first",
            )));
        }
        let store = self.store()?;
        tauri::async_runtime::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| AppError::Io(format!("a background task failed: {e}")))?
            .map_err(AppError::from)
    }
}

pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
