//! Native notifications through notify-rust. When no notification server answers, the
//! error is logged and kept for the Preferences screen; the reminder stays in the app and
//! the tray. Never a panic.

use keyward_core::lifecycle::{DeletionNotice, ReminderNotice};

/// What a person chose on a notification about a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chosen {
    /// "Keep": restart the key's inactivity clock.
    Keep(String),
    /// "Open" (or a click on the notification): show the key in the app.
    Open(String),
}

/// Runs with the person's choice, at most once.
pub type OnChoice = Box<dyn FnOnce(Chosen) + Send>;

/// The action names a notification about a key carries ("default" is a click on it).
pub const KEEP: &str = "keep";
pub const OPEN: &str = "default";

pub trait Notifier: Send + Sync {
    fn notify(&self, summary: &str, body: &str) -> Result<(), String>;

    /// A notification about `key_id` with an "Open" action, and "Keep" when `keepable`
    /// (a coming inactivity deletion), where the platform has actions; `on` runs with what
    /// the person chose. Without actions, a plain notification.
    fn notify_about_key(
        &self,
        summary: &str,
        body: &str,
        key_id: &str,
        keepable: bool,
        on: OnChoice,
    ) -> Result<(), String> {
        let _ = (key_id, keepable, on);
        self.notify(summary, body)
    }
}

/// The choice an action name stands for.
pub fn chosen(action: &str, key_id: &str) -> Option<Chosen> {
    match action {
        KEEP => Some(Chosen::Keep(key_id.to_owned())),
        OPEN | "open" => Some(Chosen::Open(key_id.to_owned())),
        _ => None,
    }
}

pub struct DesktopNotifier;

fn notification(summary: &str, body: &str) -> notify_rust::Notification {
    let mut n = notify_rust::Notification::new();
    n.appname("Keyward").summary(summary).body(body);
    n
}

impl Notifier for DesktopNotifier {
    fn notify(&self, summary: &str, body: &str) -> Result<(), String> {
        notification(summary, body)
            .show()
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    fn notify_about_key(
        &self,
        summary: &str,
        body: &str,
        key_id: &str,
        keepable: bool,
        on: OnChoice,
    ) -> Result<(), String> {
        let mut n = notification(summary, body);
        n.action(OPEN, "Open");
        if keepable {
            n.action(KEEP, "Keep");
        }
        let handle = n.show().map_err(|e| e.to_string())?;
        let key_id = key_id.to_owned();
        // Waits for the person (or the notification closing) on its own thread.
        std::thread::Builder::new()
            .name("notification".into())
            .spawn(move || {
                handle.wait_for_action(|action| {
                    if let Some(c) = chosen(action, &key_id) {
                        on(c);
                    }
                })
            })
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// Records notifications instead of showing them, for tests; a test presses an action
/// with [`MemoryNotifier::press`].
#[derive(Default)]
pub struct MemoryNotifier {
    pub shown: std::sync::Mutex<Vec<(String, String)>>,
    pub fail_with: Option<String>,
    /// Notifications about keys still waiting for a choice: (key id, keepable, what runs).
    waiting: std::sync::Mutex<Vec<(String, bool, OnChoice)>>,
}

impl MemoryNotifier {
    pub fn failing(error: &str) -> MemoryNotifier {
        MemoryNotifier {
            fail_with: Some(error.to_owned()),
            ..Default::default()
        }
    }

    /// Presses `action` on the notification about `key_id`, as a person would; false when
    /// there is none, or it has no such action.
    pub fn press(&self, key_id: &str, action: &str) -> bool {
        let on = {
            let mut waiting = crate::state::lock(&self.waiting);
            let offered = |keepable: bool| action != KEEP || keepable;
            match waiting
                .iter()
                .position(|(k, keepable, _)| k == key_id && offered(*keepable))
            {
                Some(i) => waiting.remove(i).2,
                None => return false,
            }
        };
        match chosen(action, key_id) {
            Some(c) => {
                on(c);
                true
            }
            None => false,
        }
    }
}

impl Notifier for MemoryNotifier {
    fn notify(&self, summary: &str, body: &str) -> Result<(), String> {
        if let Some(e) = &self.fail_with {
            return Err(e.clone());
        }
        crate::state::lock(&self.shown).push((summary.to_owned(), body.to_owned()));
        Ok(())
    }

    fn notify_about_key(
        &self,
        summary: &str,
        body: &str,
        key_id: &str,
        keepable: bool,
        on: OnChoice,
    ) -> Result<(), String> {
        self.notify(summary, body)?;
        crate::state::lock(&self.waiting).push((key_id.to_owned(), keepable, on));
        Ok(())
    }
}

/// What a reminder notification says: the core's summary and advice.
pub fn reminder_text(r: &ReminderNotice) -> (String, String) {
    (r.summary.clone(), r.advice.clone())
}

/// What a notification says of a key a team server will delete soon: the core's words.
pub fn due_key_text(k: &keyward_core::lifecycle::DueKey) -> (String, String) {
    (k.summary.clone(), k.advice.clone())
}

pub fn deletion_text(d: &DeletionNotice) -> (String, String) {
    (
        format!("API key '{}' was deleted", d.name),
        d.message.clone(),
    )
}
