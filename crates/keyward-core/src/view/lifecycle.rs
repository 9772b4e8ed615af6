//! What the lifecycle reports, and the "Expiring soon" summary.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::clock::{short_date, Millis};
use crate::view::users::OwnerView;

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    KeyDeletion,
    TokenExpiry,
    /// The key's own end, chosen at creation, is near.
    KeyExpiry,
}

/// One reminder raised (or, in a dry run, due): what the notification says.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ReminderNotice {
    pub kind: ReminderKind,
    /// The key's id, or the token's.
    pub id: String,
    pub key_id: String,
    pub key_name: String,
    pub owner: OwnerView,
    pub days_before: u32,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub days_left: i64,
    /// When the key will be deleted, or the token expires.
    #[serde(serialize_with = "crate::view::time::rfc3339")]
    pub due_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::view::time::rfc3339_opt")]
    pub last_used_at: Option<DateTime<Utc>>,
    /// The whole reminder, as the audit log and the CLI show it.
    pub message: String,
    /// A notification's title: what happens when ("… will be deleted in 25 hours").
    pub summary: String,
    /// A notification's body: when it was last used, and what to do.
    pub advice: String,
}

/// "Last used 12 Aug." or "Never used.", to open a reminder's advice.
pub(crate) fn last_use_sentence(now: Millis, used: Option<Millis>) -> String {
    match used {
        Some(u) => format!("Last used {}.", short_date(now, u)),
        None => "Never used.".to_owned(),
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeletionNotice {
    pub id: String,
    pub name: String,
    pub owner: OwnerView,
    #[serde(serialize_with = "crate::view::time::rfc3339_opt")]
    pub last_used_at: Option<DateTime<Utc>>,
    pub tokens_deleted: usize,
    pub message: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LifecycleReport {
    #[serde(serialize_with = "crate::view::time::rfc3339")]
    pub ran_at: DateTime<Utc>,
    pub dry_run: bool,
    pub keys_checked: usize,
    pub tokens_checked: usize,
    pub reminders: Vec<ReminderNotice>,
    pub deleted: Vec<DeletionNotice>,
    /// Deleted keys purged for good, 30 days after their deletion.
    #[serde(default)]
    pub purged: usize,
}

/// A key whose inactivity deletion is near.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DueKey {
    pub id: String,
    pub name: String,
    pub owner: OwnerView,
    #[serde(serialize_with = "crate::view::time::rfc3339")]
    pub deletes_at: DateTime<Utc>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub days_left: i64,
    /// When, as a person would say it: "in 25 hours", "in 7 days".
    pub due_in: String,
    #[serde(serialize_with = "crate::view::time::rfc3339_opt")]
    pub last_used_at: Option<DateTime<Utc>>,
    /// A reminder has been raised for this deadline.
    pub reminded: bool,
    /// What a reminder of it says: "API key 'Zapier' will be deleted in 7 days".
    #[serde(default)]
    pub summary: String,
    /// What to do about it, with when it was last used.
    #[serde(default)]
    pub advice: String,
}

/// A live token whose expiry is near.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DueToken {
    pub id: String,
    pub key_id: String,
    pub key_name: String,
    #[serde(serialize_with = "crate::view::time::rfc3339")]
    pub expires_at: DateTime<Utc>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub days_left: i64,
    /// When, as a person would say it: "in 25 hours", "in 7 days".
    pub due_in: String,
}

/// The "Expiring soon" summary: keys due for deletion within the first reminder window
/// (15 days by default) and tokens expiring within theirs (30 days), soonest first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct ExpiringSoon {
    pub keys: Vec<DueKey>,
    pub tokens: Vec<DueToken>,
    /// Keys due within a day: the tray shows its attention icon.
    pub urgent: usize,
}
