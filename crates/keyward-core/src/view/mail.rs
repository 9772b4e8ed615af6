//! Emails as delivery and the front ends see them: one due for sending (with the server's
//! password, for the sender only), how an attempt went, and one waiting.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::mail::{Sender, SmtpServer};

/// An email due now, claimed for sending: everything one attempt needs.
#[derive(Debug, Clone)]
pub struct DueEmail {
    pub mail_id: String,
    /// `<mail_…@domain>`: the same on every attempt, so a retry is recognisable.
    pub message_id: String,
    pub server: SmtpServer,
    pub from: Sender,
    pub to_name: String,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    /// When the message was queued: its `Date`.
    pub date: DateTime<Utc>,
    /// 1 for the first attempt.
    pub attempt: u32,
}

/// What sends an email: SMTP in a Keyward process (the `keyward-webhooks` crate), a
/// recorder in tests. Set on a store with [`crate::Store::set_mailer`] by the front ends
/// that can send, for "Send a test email".
pub trait Mailer: Send + Sync {
    /// One attempt, waiting for the server's answer (a few seconds at most per step).
    fn send(&self, email: &DueEmail) -> MailAttempt;
}

/// How a test email went: sent to whom, through which server, or the server's refusal.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TestEmail {
    /// The address it was sent to.
    pub to: String,
    /// The SMTP server, as `smtp_url` shows it (the password masked).
    pub server: String,
    /// Whether the server accepted it.
    pub sent: bool,
    /// Why it was not sent: the server's answer, or why it could not be reached.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
    pub message_id: String,
}

/// How one attempt at an email went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailAttempt {
    /// The server accepted it.
    Sent,
    /// Not sent. `permanent`: the server refused it for good (a 5xx answer), so it is not
    /// tried again.
    Failed { error: String, permanent: bool },
}

/// What became of an email after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailResult {
    Sent,
    RetryAt(crate::clock::Millis),
    GaveUp,
}

/// An email waiting to be sent (or tried again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmailView {
    pub id: String,
    pub message_id: String,
    pub to: String,
    pub key_id: Option<String>,
    pub subject: String,
    pub body: String,
    pub attempts: u32,
    #[serde(serialize_with = "crate::view::time::rfc3339")]
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
}
