//! Preferences and the app's status (data directory, master key, notifications).

use keyward_core::mail::TestEmail;
use keyward_core::Settings;
use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_autostart::ManagerExt;

use crate::error::Result;
use crate::state::{lock, AppState};

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct AppStatus {
    pub version: String,
    pub data_dir: String,
    /// "keychain" or "file".
    pub master_key_source: Option<String>,
    /// Why keys cannot be copied, if they cannot.
    pub master_key_problem: Option<String>,
    /// The last notification error, if the notification server did not answer.
    pub notification_problem: Option<String>,
    /// Why the database could not be opened, if it could not.
    pub startup_problem: Option<String>,
    /// The loopback HTTP API: listening where, or why not.
    pub local_api: crate::local_api::LocalApiStatus,
}

#[tauri::command]
pub async fn app_status(state: State<'_, AppState>) -> Result<AppStatus> {
    let (source, problem) = match state.store() {
        Ok(store) => (store.master_key_source()?, store.master_key_problem()),
        Err(_) => (None, None),
    };
    Ok(AppStatus {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        data_dir: state.data_dir.display().to_string(),
        master_key_source: source,
        master_key_problem: problem,
        notification_problem: lock(&state.notification_problem).clone(),
        startup_problem: state.startup_problem().map(|e| e.to_string()),
        local_api: state.local_api.status(),
    })
}

#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> Result<Settings> {
    state.run(|s| s.settings()).await
}

/// Sends a test email now with the saved SMTP settings (this computer's or the server's)
/// and says how it went.
#[tauri::command]
pub async fn send_test_email(state: State<'_, AppState>, to: String) -> Result<TestEmail> {
    state.run(move |s| s.send_test_email(&to)).await
}

#[tauri::command]
pub async fn update_settings<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    settings: Settings,
) -> Result<Settings> {
    let saved = state.run(move |s| s.update_settings(settings)).await?;
    sync_autostart(&app, saved.launch_at_login);
    state.apply_local_api();
    crate::tray::refresh_later(&app);
    Ok(saved)
}

/// Makes "launch at login" true of the system; a failure is logged, not fatal.
fn sync_autostart<R: Runtime>(app: &AppHandle<R>, on: bool) {
    // Absent when the plugin is not registered (the mock runtime of the command tests).
    if app
        .try_state::<tauri_plugin_autostart::AutoLaunchManager>()
        .is_none()
    {
        return;
    }
    let al = app.autolaunch();
    let now = al.is_enabled().unwrap_or(false);
    let result = match (on, now) {
        (true, false) => al.enable(),
        (false, true) => al.disable(),
        _ => Ok(()),
    };
    if let Err(e) = result {
        log::warn!("launch at login not changed: {e}");
    }
}

/// The UI painted the first rows of the key list: logged once with the time since start.
#[tauri::command]
pub fn key_list_shown() {
    crate::startup::key_list_shown();
}
