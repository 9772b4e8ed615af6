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
        AppState::with_store(store.map(Arc::new), dir, clipboard, notifier)
    }

    pub fn with_store(
        store: std::result::Result<Arc<Store>, keyward_core::Error>,
        dir: &Path,
        clipboard: Arc<dyn ClipboardPort>,
        notifier: Arc<dyn Notifier>,
    ) -> AppState {
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

    /// Runs store work on the blocking pool: sled may fsync.
    pub async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> keyward_core::Result<T> + Send + 'static,
    {
        self.run_mapped(f).await
    }

    /// [`AppState::run`] for work whose errors are not only the core's (an export's).
    pub async fn run_mapped<T, E, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        E: Send + 'static,
        AppError: From<E>,
        F: FnOnce(&Store) -> std::result::Result<T, E> + Send + 'static,
    {
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
