//! API keys: the record, its secret generations and grace periods, its status, and the
//! rules that decide what may be done with it.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::clock::{Millis, DAY, HOUR};
use crate::model::lifecycle::Reminder;
use crate::model::secret::SecretKind;
use crate::model::user::User;

/// A key used within this window counts as "in use" for deletion.
pub const IN_USE_WINDOW: Millis = 30 * DAY;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    Agency,
    Location(String),
}

/// A retired secret's generation and when it stops working: the end promised when that
/// secret was replaced. Tokens minted with it end then too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grace {
    pub generation: u32,
    pub until: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub owner: String,
    pub scope: Scope,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// Last "Keep" (or regeneration): resets the inactivity clock like a use does.
    pub kept_at: Option<Millis>,
    pub disabled: bool,
    /// Set by "Clear API keys": revoked for good.
    pub revoked_at: Option<Millis>,
    /// Bumped by every regeneration; tokens remember the generation they were minted from.
    pub generation: u32,
    pub hash: [u8; 32],
    pub masked: String,
    /// The secret, sealed under the master key with the key id as associated data.
    pub sealed: Vec<u8>,
    /// Retired secrets still in their grace period, each with its own end (a second
    /// regeneration never shortens the first one's promise).
    pub graces: Vec<Grace>,
    /// Hashes of earlier secrets, kept in the index so they answer REVOKED.
    pub old_hashes: Vec<[u8; 32]>,
    pub reminders: Vec<Reminder>,
    /// When the key stops working, chosen at creation; `None`: never (schema 4 on).
    pub expires_at: Option<Millis>,
    /// "Never delete for inactivity": the lifecycle leaves this key alone.
    pub keep_always: bool,
    /// What uses this key, in the owner's words (at most 1,000 characters).
    pub notes: String,
    /// Short words to find the key by (at most 10).
    pub tags: Vec<String>,
    /// What the key may do (`contacts:read`); `*` for everything.
    pub permissions: Vec<String>,
    /// How many verifications the key may make in a window, beyond which verification
    /// answers RATE_LIMITED; `None`: no limit.
    pub rate: Option<RateLimit>,
    /// When the key was deleted: it no longer verifies, and may be restored until it is
    /// purged. `None` for a key that is not deleted.
    pub deleted_at: Option<Millis>,
    /// Reminders raised before the key's end (`expires_at`), as for tokens.
    pub expiry_reminders: Vec<Reminder>,
}

/// At most `count` verifications per `per` milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    pub count: u32,
    pub per: Millis,
}

/// What the hash index points to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct HashEntry {
    pub token: bool,
    pub id: String,
    pub generation: u32,
}

crate::model::text_enum::text_enum! {
    /// Whether a key works, and if not, why.
    pub enum KeyStatus {
        Active = "active",
        Disabled = "disabled",
        Revoked = "revoked",
        OwnerDeactivated = "owner_deactivated",
        AccessOff = "access_off",
        Expired = "expired",
    }
}

/// `--status` filter values, beyond the statuses themselves.
pub const STATUS_FILTERS: &[&str] = &[
    "active",
    "disabled",
    "revoked",
    "owner_deactivated",
    "access_off",
    "expired",
    "expiring",
    "in_use",
];

impl ApiKey {
    /// Whether a secret (or token) of this generation still works at `now`.
    pub fn generation_valid(&self, generation: u32, now: Millis) -> bool {
        generation == self.generation || self.grace_end(generation).is_some_and(|end| now < end)
    }

    /// When a retired generation's grace ends; `None` for the current generation and for
    /// generations that were retired without one.
    pub fn grace_end(&self, generation: u32) -> Option<Millis> {
        self.graces
            .iter()
            .find(|g| g.generation == generation)
            .map(|g| g.until)
    }

    /// The last moment any retired secret of this key still works, if one does.
    pub fn grace_until(&self, now: Millis) -> Option<Millis> {
        self.graces
            .iter()
            .map(|g| g.until)
            .filter(|&u| u > now)
            .max()
    }

    /// The latest of creation, "Keep" and use: the inactivity clock starts here.
    pub fn last_activity(&self, last_used: Option<Millis>) -> Millis {
        self.created_at
            .max(self.kept_at.unwrap_or(0))
            .max(last_used.unwrap_or(0))
    }

    pub fn status(&self, owner: Option<&User>, now: Millis) -> KeyStatus {
        if self.revoked_at.is_some() {
            KeyStatus::Revoked
        } else if self.expired(now) {
            KeyStatus::Expired
        } else if self.disabled {
            KeyStatus::Disabled
        } else if owner.is_some_and(|o| !o.active) {
            KeyStatus::OwnerDeactivated
        } else if owner.is_some_and(|o| !o.api_access) {
            KeyStatus::AccessOff
        } else {
            KeyStatus::Active
        }
    }

    /// Whether the key's chosen end has come.
    pub fn expired(&self, now: Millis) -> bool {
        self.expires_at.is_some_and(|e| now >= e)
    }

    /// Whether inactivity may delete this key: not when it is kept always, nor when the
    /// rule is off for all (`inactivity_days` 0).
    pub fn inactivity_applies(&self, inactivity_days: u32) -> bool {
        !self.keep_always && inactivity_days > 0
    }

    pub fn secret_kind(&self) -> SecretKind {
        match self.scope {
            Scope::Agency => SecretKind::AgencyKey,
            Scope::Location(_) => SecretKind::LocationKey,
        }
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct NewKey {
    /// User id or email.
    pub owner: String,
    pub name: String,
    /// A location id; `None` for an agency key.
    pub location: Option<String>,
    /// When the key stops working: `30d`, `90d`, `1y`, a date (`2027-03-31`) or `never`
    /// (the default).
    pub expires: Option<String>,
    /// What the key may do (`contacts:read`, `events:*`); empty: everything (`*`).
    pub permissions: Vec<String>,
    /// Verifications allowed, like `600/min`; `None`: no limit.
    pub rate: Option<String>,
    /// What uses the key.
    pub notes: String,
    pub tags: Vec<String>,
    /// Never delete this key for inactivity.
    pub keep_always: bool,
}

/// Changes to a key's name and policy; what is `None` stays as it is.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct KeyEdit {
    pub name: Option<String>,
    pub notes: Option<String>,
    pub tags: Option<Vec<String>>,
    pub permissions: Option<Vec<String>>,
    /// `600/min`, or `none` to remove the limit.
    pub rate: Option<String>,
    pub keep_always: Option<bool>,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct KeyFilter {
    pub owner: Option<String>,
    pub status: Option<String>,
    pub search: Option<String>,
    /// `agency` or a location id.
    pub scope: Option<String>,
}

/// Why a secret was shown, for the audit log.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disclosure {
    Reveal,
    Copy,
    CopyAsCurl,
    ExportForPostman,
}

impl Disclosure {
    pub fn audit(self) -> (&'static str, &'static str) {
        match self {
            Disclosure::Reveal => ("revealed", "revealed in full"),
            Disclosure::Copy => ("copied", "copied to the clipboard"),
            Disclosure::CopyAsCurl => ("copied", "copied as a cURL command"),
            Disclosure::ExportForPostman => ("copied", "exported for Postman"),
        }
    }
}

/// Grace periods a regeneration may keep the old secret working: 0, 1h, 24h, 7d.
pub fn parse_grace(text: &str) -> Result<Millis> {
    match text.trim() {
        "0" | "0h" | "none" | "immediately" => Ok(0),
        "1h" => Ok(HOUR),
        "24h" | "1d" => Ok(24 * HOUR),
        "7d" => Ok(7 * DAY),
        other => Err(Error::invalid_field(
            "grace",
            format!("grace period '{other}' is not offered — choose 0, 1h, 24h or 7d"),
        )),
    }
}

/// In use: live tokens, or used within [`IN_USE_WINDOW`].
pub fn in_use(last_used: Option<Millis>, live_tokens: usize, now: Millis) -> bool {
    live_tokens > 0 || last_used.is_some_and(|u| now - u < IN_USE_WINDOW)
}

pub(crate) fn refuse_blocked_owner(owner: &User) -> Result<()> {
    if !owner.active {
        return Err(Error::UserDeactivated(owner.email.clone()));
    }
    if !owner.api_access {
        return Err(Error::ApiAccessOff(owner.email.clone()));
    }
    Ok(())
}

pub(crate) fn revoked(key: &ApiKey) -> Error {
    Error::Revoked(format!(
        "API key '{}' was revoked for good when its owner's keys were cleared — create a new key instead",
        key.name
    ))
}
