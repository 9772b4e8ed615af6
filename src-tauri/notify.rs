//! Native notifications through notify-rust. When no notification server answers, the
//! error is logged and kept for the Preferences screen; the reminder stays in the app and
//! the tray. Never a panic.

use keyward_core::clock::{due_phrase, parse_rfc3339, short_date, Millis};
use keyward_core::lifecycle::{DeletionNotice, ReminderKind, ReminderNotice};

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

/// What a reminder notification says at `now`: the summary names the key and when, in
/// words (`due_phrase`); the body what was last seen and what to do.
pub fn reminder_text(r: &ReminderNotice, now: Millis) -> (String, String) {
    let at = parse_rfc3339(&r.due_at);
    let when = match at {
        Some(at) => due_phrase(now, at),
        // Core always gives a date; the day count is the fallback.
        None => format!("in {} days", r.days_left),
    };
    let used = match r.last_used_at.as_deref().and_then(parse_rfc3339) {
        Some(u) => format!("Last used {}.", short_date(now, u)),
        None => "Never used.".to_owned(),
    };
    match r.kind {
        ReminderKind::KeyDeletion => (
            format!("API key '{}' will be deleted {when}", r.key_name),
            format!("{used} Open Keyward to keep it, or let it go."),
        ),
        ReminderKind::TokenExpiry => (
            format!("A token of API key '{}' expires {when}", r.key_name),
            match at {
                Some(at) => format!("{used} Generate a new one before {}.", short_date(now, at)),
                None => format!("{used} Generate a new one before then."),
            },
        ),
    }
}

pub fn deletion_text(d: &DeletionNotice) -> (String, String) {
    (
        format!("API key '{}' was deleted", d.name),
        d.message.clone(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::clock::{to_rfc3339, DAY, HOUR};
    use keyward_core::users::OwnerView;

    const NOW: Millis = 1_780_000_000_000;

    fn reminder(kind: ReminderKind, left: Millis, last_used: Option<Millis>) -> ReminderNotice {
        ReminderNotice {
            kind,
            id: "key_1".into(),
            key_id: "key_1".into(),
            key_name: "Zapier sync".into(),
            owner: OwnerView {
                id: "usr_1".into(),
                name: "Ada".into(),
                email: "ada@example.com".into(),
            },
            days_before: 1,
            days_left: keyward_core::clock::days_until(NOW, NOW + left),
            due_at: to_rfc3339(NOW + left),
            last_used_at: last_used.map(to_rfc3339),
            message: "API key 'Zapier sync' will be deleted in 2 days".into(),
        }
    }

    #[test]
    fn twenty_five_hours_are_said_in_hours_not_as_two_days() {
        let (summary, body) =
            reminder_text(&reminder(ReminderKind::KeyDeletion, 25 * HOUR, None), NOW);
        assert_eq!(summary, "API key 'Zapier sync' will be deleted in 25 hours");
        assert_eq!(body, "Never used. Open Keyward to keep it, or let it go.");
    }

    #[test]
    fn the_seven_day_reminder_says_seven_days_and_when_the_key_was_last_used() {
        let r = reminder(
            ReminderKind::KeyDeletion,
            7 * DAY - HOUR,
            Some(NOW - 83 * DAY),
        );
        let (summary, body) = reminder_text(&r, NOW);
        assert_eq!(summary, "API key 'Zapier sync' will be deleted in 7 days");
        assert!(body.starts_with("Last used "), "{body}");
    }

    #[test]
    fn a_token_reminder_says_when_it_expires() {
        let (summary, body) =
            reminder_text(&reminder(ReminderKind::TokenExpiry, 30 * DAY, None), NOW);
        assert_eq!(
            summary,
            "A token of API key 'Zapier sync' expires in 30 days"
        );
        assert!(
            body.starts_with("Never used. Generate a new one before "),
            "{body}"
        );
    }
}
