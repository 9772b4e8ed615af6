//! The system tray: how many keys are due, open Keyward, the keys due soonest, quit.
//! The count shows where each platform shows it: beside the icon (the title, which Linux
//! panels show as the indicator's label; tooltips do nothing there), in the item's title,
//! and as the menu's first line. The icon changes when a key is due within a day. The
//! menu is built from a `TrayModel`, plain data computed from the core's expiring summary.

use keyward_core::ExpiringSoon;
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::state::AppState;

pub const TRAY_ID: &str = "main";
const MAX_KEYS: usize = 5;
static ICON: &[u8] = include_bytes!("../icons/tray.png");
static ICON_ATTENTION: &[u8] = include_bytes!("../icons/tray-attention.png");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayModel {
    /// Beside the icon: "2 due", or nothing when no key is due.
    pub label: String,
    /// The item's title and tooltip: "Keyward — 2 keys due for deletion within 15 days".
    pub title: String,
    /// The menu's first line, not clickable: "2 keys due within 15 days".
    pub headline: String,
    pub attention: bool,
    /// (menu id, label): `key:<id>` opens that key.
    pub keys: Vec<(String, String)>,
}

/// The tray for `summary`. `window_days` is how far ahead a deletion
/// counts as due: the largest reminder threshold, the window the core used for `summary`.
pub fn model(summary: &ExpiringSoon, window_days: i64) -> TrayModel {
    let due = summary.keys.len();
    let within = match window_days {
        1 => "within 1 day".to_owned(),
        d => format!("within {d} days"),
    };
    let (label, title, headline) = match due {
        0 => (
            String::new(),
            "Keyward — no keys due for deletion".to_owned(),
            "No keys due for deletion".to_owned(),
        ),
        1 => (
            "1 due".to_owned(),
            format!("Keyward — 1 key due for deletion {within}"),
            format!("1 key due {within}"),
        ),
        n => (
            format!("{n} due"),
            format!("Keyward — {n} keys due for deletion {within}"),
            format!("{n} keys due {within}"),
        ),
    };
    let keys = summary
        .keys
        .iter()
        .take(MAX_KEYS)
        .map(|k| {
            (
                format!("key:{}", k.id),
                format!("{} — deleted {}", k.name, k.due_in),
            )
        })
        .collect();
    TrayModel {
        label,
        title,
        headline,
        attention: summary.urgent > 0,
        keys,
    }
}

fn menu<R: Runtime>(app: &AppHandle<R>, m: &TrayModel) -> tauri::Result<Menu<R>> {
    let menu = Menu::new(app)?;
    menu.append(&MenuItem::with_id(
        app,
        "due",
        &m.headline,
        false,
        None::<&str>,
    )?)?;
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
    let m = model(&ExpiringSoon::default(), 15);
    let tray = TrayIconBuilder::with_id(TRAY_ID)
        .icon(Image::from_bytes(ICON)?)
        .tooltip(&m.title)
        .menu(&menu(app, &m)?)
        .on_menu_event(|app, event| on_menu(app, event.id.as_ref()))
        .build(app)?;
    set_item_title(&tray, &m.title)?;
    Ok(())
}

/// The StatusNotifierItem's own title (what a Linux panel names the item, in place of
/// the process name). tray-icon only sets the label; its AppIndicator has the call.
#[cfg(target_os = "linux")]
fn set_item_title<R: Runtime>(tray: &TrayIcon<R>, title: &str) -> tauri::Result<()> {
    let title = title.to_owned();
    tray.with_inner_tray_icon(move |inner| {
        // SAFETY: the pointer is to the AppIndicator owned by `inner`, alive for this
        // call. The wrapper is a handle to a GObject: a bitwise copy calls the same
        // object without a `&mut` to `inner`'s own, and is never dropped, so it can
        // never release the object `inner` still holds.
        let mut indicator =
            std::mem::ManuallyDrop::new(unsafe { std::ptr::read(inner.app_indicator()) });
        indicator.set_title(&title);
    })
}

#[cfg(not(target_os = "linux"))]
fn set_item_title<R: Runtime>(_tray: &TrayIcon<R>, _title: &str) -> tauri::Result<()> {
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
    let read = state
        .run(|s| Ok((s.expiring_soon()?, s.settings()?.soon_days())))
        .await;
    let (summary, window) = match read {
        Ok(r) => r,
        Err(e) => {
            log::warn!("tray not refreshed: {e}");
            return;
        }
    };
    let m = model(&summary, window);
    let icon = if m.attention { ICON_ATTENTION } else { ICON };
    let result = (|| -> tauri::Result<()> {
        tray.set_menu(Some(menu(app, &m)?))?;
        tray.set_title(Some(&m.label))?;
        set_item_title(&tray, &m.title)?;
        tray.set_tooltip(Some(&m.title))?;
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
    use keyward_core::clock::{to_datetime, Millis, DAY, HOUR};
    use keyward_core::lifecycle::DueKey;
    use keyward_core::users::OwnerView;

    const NOW: Millis = 1_780_000_000_000;

    fn due_in(name: &str, left: Millis) -> DueKey {
        DueKey {
            id: format!("key_{name}"),
            name: name.to_owned(),
            owner: OwnerView {
                id: "usr_1".into(),
                name: "Ada".into(),
                email: "ada@example.com".into(),
            },
            deletes_at: to_datetime(NOW + left),
            days_left: keyward_core::clock::days_until(NOW, NOW + left),
            due_in: keyward_core::clock::due_phrase(NOW, NOW + left),
            last_used_at: None,
            reminded: true,
            summary: String::new(),
            advice: String::new(),
        }
    }

    fn due(name: &str, days: i64) -> DueKey {
        due_in(name, days * DAY)
    }

    #[test]
    fn tray_lists_at_most_five_keys_due_soonest_with_when() {
        let mut s = ExpiringSoon::default();
        for (i, d) in [1, 3, 7, 8, 9, 12, 14].iter().enumerate() {
            s.keys.push(due(&format!("k{i}"), *d));
        }
        s.urgent = 1;
        let m = model(&s, 15);
        assert_eq!(m.keys.len(), 5);
        assert_eq!(
            m.keys[0],
            (
                "key:key_k0".to_owned(),
                "k0 — deleted in 24 hours".to_owned()
            )
        );
        assert_eq!(m.keys[2].1, "k2 — deleted in 7 days");
        assert!(m.attention);
    }

    #[test]
    fn the_count_shows_beside_the_icon_in_the_title_and_on_the_first_menu_line() {
        let mut s = ExpiringSoon::default();
        s.keys.push(due("a", 3));
        s.keys.push(due("b", 10));
        let m = model(&s, 15);
        assert_eq!(m.label, "2 due");
        assert_eq!(m.title, "Keyward — 2 keys due for deletion within 15 days");
        assert_eq!(m.headline, "2 keys due within 15 days");
        s.keys.pop();
        let m = model(&s, 15);
        assert_eq!(m.label, "1 due");
        assert_eq!(m.headline, "1 key due within 15 days");
    }

    #[test]
    fn the_window_is_the_reminder_setting_not_a_fixed_15_days() {
        let mut s = ExpiringSoon::default();
        s.keys.push(due("a", 20));
        let m = model(&s, 30);
        assert_eq!(m.headline, "1 key due within 30 days");
        assert_eq!(m.title, "Keyward — 1 key due for deletion within 30 days");
        assert_eq!(model(&s, 1).headline, "1 key due within 1 day");
    }

    #[test]
    fn quiet_tray_when_nothing_is_due() {
        let m = model(&ExpiringSoon::default(), 15);
        assert!(m.keys.is_empty());
        assert!(!m.attention);
        assert_eq!(m.label, "");
        assert_eq!(m.title, "Keyward — no keys due for deletion");
        assert_eq!(m.headline, "No keys due for deletion");
    }

    #[test]
    fn twenty_five_hours_read_as_hours_not_two_days() {
        let mut s = ExpiringSoon::default();
        s.keys.push(due_in("Zapier", 25 * HOUR));
        assert_eq!(model(&s, 15).keys[0].1, "Zapier — deleted in 25 hours");
    }

    #[test]
    fn marketing_automation_reads_like_the_spec() {
        let mut s = ExpiringSoon::default();
        s.keys.push(due("Marketing Automation", 7));
        assert_eq!(
            model(&s, 15).keys[0].1,
            "Marketing Automation — deleted in 7 days"
        );
    }
}
