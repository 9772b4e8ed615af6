//! Keyward's desktop shell: the builder. Screens call the commands in `commands/`; the
//! tray, notifications and the lifecycle scheduler live in their own modules.

pub mod bindings;
pub mod clipboard;
pub mod commands;
pub mod connection;
pub mod error;
pub mod local_api;
pub mod memory;
pub mod notify;
pub mod rendering;
pub mod scheduler;
pub mod startup;
pub mod state;
pub mod tray;
pub mod window;

use std::path::PathBuf;
use std::sync::Arc;

use tauri::{AppHandle, Manager, Runtime, WindowEvent};

use crate::clipboard::SystemClipboard;
use crate::notify::DesktopNotifier;
use crate::state::{lock, AppState};

pub fn run() {
    rendering::prefer_shared_memory_rendering();
    startup::init();
    tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            show_main_window(app);
        }))
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            None,
        ))
        .invoke_handler(commands::handler())
        .setup(|app| {
            let dir = data_dir(app.handle())?;
            let state = AppState::open(
                &dir,
                Arc::new(SystemClipboard(app.handle().clone())),
                Arc::new(DesktopNotifier),
                std::env::var("KEYWARD_KEYCHAIN").map_or(true, |v| v != "off"),
            );
            let label = connection::label(state.server().as_deref());
            app.manage(state);
            window::open_main(app.handle(), &dir, &label)?;
            if let Err(e) = tray::build(app.handle()) {
                log::warn!("no tray icon: {e}");
            }
            let handle = scheduler::start(app.handle().clone());
            let state = app.state::<AppState>();
            *lock(&state.scheduler) = Some(handle);
            state.apply_local_api();
            state.start_webhooks(app.handle().clone());
            Ok(())
        })
        .on_window_event(|window, event| {
            if let WindowEvent::CloseRequested { api, .. } = event {
                if close_to_tray(window.app_handle()) {
                    api.prevent_close();
                    let _ = window.hide();
                }
            }
        })
        .build(tauri::generate_context!())
        .expect("the Keyward window could not start")
        .run(|app, event| {
            if let tauri::RunEvent::Exit = event {
                if let Some(state) = app.try_state::<AppState>() {
                    state.shutdown();
                }
            }
        });
}

/// `--data-dir DIR`, else `KEYWARD_DATA_DIR`, else the platform's app-data directory
/// (the CLI's default too).
fn data_dir<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<PathBuf> {
    if let Some(d) = data_dir_arg(std::env::args()) {
        return Ok(d);
    }
    match std::env::var_os("KEYWARD_DATA_DIR").filter(|d| !d.is_empty()) {
        Some(d) => Ok(PathBuf::from(d)),
        None => app.path().app_data_dir(),
    }
}

fn data_dir_arg(args: impl Iterator<Item = String>) -> Option<PathBuf> {
    let mut args = args.skip(1);
    while let Some(a) = args.next() {
        if a == "--data-dir" {
            return args.next().filter(|d| !d.is_empty()).map(PathBuf::from);
        }
        if let Some(d) = a.strip_prefix("--data-dir=") {
            return Some(PathBuf::from(d));
        }
    }
    None
}

fn close_to_tray<R: Runtime>(app: &AppHandle<R>) -> bool {
    let state = app.state::<AppState>();
    state
        .store()
        .ok()
        .and_then(|s| s.settings().ok())
        .is_some_and(|s| s.close_to_tray)
}

pub fn show_main_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window(window::MAIN) {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_dir_comes_from_the_command_line_in_either_spelling() {
        let args = |v: &[&str]| {
            v.iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .into_iter()
        };
        assert_eq!(
            data_dir_arg(args(&["app", "--data-dir", "/d"])),
            Some("/d".into())
        );
        assert_eq!(
            data_dir_arg(args(&["app", "--data-dir=/e"])),
            Some("/e".into())
        );
        assert_eq!(data_dir_arg(args(&["app"])), None);
        assert_eq!(data_dir_arg(args(&["app", "--data-dir"])), None);
    }
}
