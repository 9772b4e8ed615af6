//! Native notifications through notify-rust. When no notification server answers, the
//! error is logged and kept for the Preferences screen; the reminder stays in the app and
//! the tray. Never a panic.

use keyward_core::lifecycle::{DeletionNotice, ReminderNotice};

pub trait Notifier: Send + Sync {
    fn notify(&self, summary: &str, body: &str) -> Result<(), String>;
}

pub struct DesktopNotifier;

impl Notifier for DesktopNotifier {
    fn notify(&self, summary: &str, body: &str) -> Result<(), String> {
        notify_rust::Notification::new()
            .appname("Keyward")
            .summary(summary)
            .body(body)
            .show()
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// Records notifications instead of showing them, for tests.
#[derive(Default)]
pub struct MemoryNotifier {
    pub shown: std::sync::Mutex<Vec<(String, String)>>,
    pub fail_with: Option<String>,
}

impl Notifier for MemoryNotifier {
    fn notify(&self, summary: &str, body: &str) -> Result<(), String> {
        if let Some(e) = &self.fail_with {
            return Err(e.clone());
        }
        crate::state::lock(&self.shown).push((summary.to_owned(), body.to_owned()));
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
