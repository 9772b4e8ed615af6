//! The system tray: open Keyward, the keys due soonest, quit. Its tooltip counts keys due
//! within the reminder window; its icon changes when one is due within a day. The menu
//! is built from a `TrayModel`, plain data computed from the core's expiring summary.

use keyward_core::ExpiringSoon;
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::state::AppState;

pub const TRAY_ID: &str = "main";
const MAX_KEYS: usize = 5;
static ICON: &[u8] = include_bytes!("../icons/tray.png");
static ICON_ATTENTION: &[u8] = include_bytes!("../icons/tray-attention.png");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayModel {
    pub tooltip: String,
    pub attention: bool,
    /// (menu id, label): `key:<id>` opens that key.
    pub keys: Vec<(String, String)>,
}

pub fn model(summary: &ExpiringSoon) -> TrayModel {
    let due = summary.keys.len();
    let tooltip = match due {
        0 => "Keyward — no keys due for deletion".to_owned(),
        1 => "Keyward — 1 key due for deletion within 15 days".to_owned(),
        n => format!("Keyward — {n} keys due for deletion within 15 days"),
    };
    let keys = summary
        .keys
        .iter()
        .take(MAX_KEYS)
        .map(|k| {
            let when = match k.days_left {
                0 => "deleted today".to_owned(),
                1 => "deleted in 1 day".to_owned(),
                d => format!("deleted in {d} days"),
            };
            (format!("key:{}", k.id), format!("{} — {when}", k.name))
        })
        .collect();
    TrayModel {
        tooltip,
        attention: summary.urgent > 0,
        keys,
    }
}

fn menu<R: Runtime>(app: &AppHandle<R>, m: &TrayModel) -> tauri::Result<Menu<R>> {
    let menu = Menu::new(app)?;
    menu.append(&MenuItem::with_id(
        app,
        "open",
        "Open Keyward",
        true,
        None::<&str>,
    )?)?;
    if !m.keys.is_empty() {
        menu.append(&PredefinedMenuItem::separator(app)?)?;
        for (id, label) in &m.keys {
            menu.append(&MenuItem::with_id(app, id, label, true, None::<&str>)?)?;
        }
    }
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&MenuItem::with_id(
        app,
        "quit",
        "Quit Keyward",
        true,
        None::<&str>,
    )?)?;
    Ok(menu)
}

pub fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let m = model(&ExpiringSoon::default());
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(Image::from_bytes(ICON)?)
        .tooltip(&m.tooltip)
        .menu(&menu(app, &m)?)
        .on_menu_event(|app, event| on_menu(app, event.id.as_ref()))
        .build(app)?;
    Ok(())
}

fn on_menu<R: Runtime>(app: &AppHandle<R>, id: &str) {
    match id {
        "open" => crate::show_main_window(app),
        "quit" => app.exit(0),
        other => {
            if let Some(key_id) = other.strip_prefix("key:") {
                crate::show_main_window(app);
                let _ = app.emit("open-key", key_id.to_owned());
            }
        }
    }
}

/// Recomputes the tray from the store. Does nothing where there is no tray (tests).
pub async fn refresh<R: Runtime>(app: &AppHandle<R>) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let state = app.state::<AppState>();
    let summary = match state.run(|s| s.expiring_soon()).await {
        Ok(s) => s,
        Err(e) => {
            log::warn!("tray not refreshed: {e}");
            return;
        }
    };
    let m = model(&summary);
    let icon = if m.attention { ICON_ATTENTION } else { ICON };
    let result = (|| -> tauri::Result<()> {
        tray.set_menu(Some(menu(app, &m)?))?;
        tray.set_tooltip(Some(&m.tooltip))?;
        tray.set_icon(Some(Image::from_bytes(icon)?))?;
        Ok(())
    })();
    if let Err(e) = result {
        log::warn!("tray not refreshed: {e}");
    }
}

/// Refreshes the tray in the background after a change.
pub fn refresh_later<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move { refresh(&app).await });
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::lifecycle::DueKey;
    use keyward_core::users::OwnerView;

    fn due(name: &str, days_left: i64) -> DueKey {
        DueKey {
            id: format!("key_{name}"),
            name: name.to_owned(),
            owner: OwnerView {
                id: "usr_1".into(),
                name: "Ada".into(),
                email: "ada@example.com".into(),
            },
            deletes_at: String::new(),
            days_left,
            last_used_at: None,
            reminded: true,
        }
    }

    #[test]
    fn tray_lists_at_most_five_keys_due_soonest_with_their_days() {
        let mut s = ExpiringSoon::default();
        for (i, d) in [1, 3, 7, 8, 9, 12, 14].iter().enumerate() {
            s.keys.push(due(&format!("k{i}"), *d));
        }
        s.urgent = 1;
        let m = model(&s);
        assert_eq!(m.keys.len(), 5);
        assert_eq!(
            m.keys[0],
            ("key:key_k0".to_owned(), "k0 — deleted in 1 day".to_owned())
        );
        assert_eq!(m.keys[2].1, "k2 — deleted in 7 days");
        assert_eq!(
            m.tooltip,
            "Keyward — 7 keys due for deletion within 15 days"
        );
        assert!(m.attention);
    }

    #[test]
    fn quiet_tray_when_nothing_is_due() {
        let m = model(&ExpiringSoon::default());
        assert!(m.keys.is_empty());
        assert!(!m.attention);
        assert_eq!(m.tooltip, "Keyward — no keys due for deletion");
    }

    #[test]
    fn marketing_automation_reads_like_the_spec() {
        let mut s = ExpiringSoon::default();
        s.keys.push(due("Marketing Automation", 7));
        assert_eq!(
            model(&s).keys[0].1,
            "Marketing Automation — deleted in 7 days"
        );
    }
}
