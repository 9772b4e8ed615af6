//! The loopback HTTP API inside the desktop app: started in the background when the
//! "Local API" setting is on, restarted when its port changes, stopped when it is turned
//! off or the app quits. A taken port is reported (Preferences shows it); the app keeps
//! working either way.
//!
//! While the app holds the data directory, the `keyward` command line works through it:
//! the server leaves its address and a management token for this computer's owner in the
//! data directory (removed when it stops). With the Local API off, only the management
//! routes are served, on a port the system picks, for the command line alone.

use std::sync::Arc;
use std::time::Duration;

use keyward_core::{Settings, Store};
use serde::Serialize;
use tauri::async_runtime::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::state::lock;

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, ts_rs::TS)]
pub struct LocalApiStatus {
    pub enabled: bool,
    /// "127.0.0.1:7420" while serving.
    pub listening: Option<String>,
    /// Why it is not serving, e.g. "port 7420 is in use — …".
    pub error: Option<String>,
}

struct Running {
    /// The port asked for (0: any, when only the command line is served).
    port: u16,
    cancel: CancellationToken,
    task: JoinHandle<()>,
}

#[derive(Default)]
pub struct LocalApi {
    status: Arc<std::sync::Mutex<LocalApiStatus>>,
    running: std::sync::Mutex<Option<Running>>,
}

impl LocalApi {
    pub fn status(&self) -> LocalApiStatus {
        lock(&self.status).clone()
    }

    /// Makes the server match the settings: on at `local_api_port`, or — off — the
    /// management routes only, for the command line.
    pub fn apply(&self, store: &Arc<Store>, settings: &Settings) {
        let mut running = lock(&self.running);
        let full = settings.local_api_enabled;
        let port = if full { settings.local_api_port } else { 0 };
        if let Some(r) = running.as_ref() {
            if r.port == port && lock(&self.status).error.is_none() {
                return;
            }
        }
        // The old server is told to stop; the new one binds once it has (same port).
        let previous = running.take().map(|r| {
            r.cancel.cancel();
            r.task
        });
        *lock(&self.status) = LocalApiStatus {
            enabled: full,
            listening: None,
            error: None,
        };
        let cancel = CancellationToken::new();
        let status = self.status.clone();
        let store = store.clone();
        let stop_on = cancel.clone();
        let task = tauri::async_runtime::spawn(async move {
            if let Some(previous) = previous {
                let _ = previous.await;
            }
            let listener = match keyward_http::bind(port).await {
                Ok(l) => l,
                Err(e) => {
                    log::warn!("local API not started: {e}");
                    lock(&status).error = Some(e.to_string());
                    return;
                }
            };
            let bound = listener.local_addr().map(|a| a.port()).unwrap_or(port);
            if full {
                lock(&status).listening = Some(format!("127.0.0.1:{bound}"));
            }
            let token = keyward_http::generate_local_token();
            let address = keyward_client::AddressFile::write(
                store.dir(),
                &keyward_http::base_url(bound),
                &token,
            )
            .map_err(|e| log::warn!("the command line will not find the app: {e}"))
            .ok();
            let mut api = keyward_http::ApiState::new(store, bound).with_local_token(&token);
            if !full {
                api = api.management_only();
            }
            let served =
                keyward_http::serve_with(api, listener, async move { stop_on.cancelled().await })
                    .await;
            drop(address);
            let mut st = lock(&status);
            st.listening = None;
            if let Err(e) = served {
                log::error!("local API stopped: {e}");
                st.error = Some(e.to_string());
            }
        });
        *running = Some(Running { port, cancel, task });
    }

    /// Stops the server, letting in-flight requests finish (bounded). Blocks: call it
    /// from the main thread when the app exits, not from async code.
    pub fn shutdown(&self) {
        if let Some(r) = lock(&self.running).take() {
            stop(r);
        }
    }
}

fn stop(r: Running) {
    r.cancel.cancel();
    let _ = tauri::async_runtime::block_on(async {
        tokio::time::timeout(Duration::from_secs(3), r.task).await
    });
}
