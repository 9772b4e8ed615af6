//! The rules a form checks as the user types, as data: the desktop shows instant hints
//! from these (generated into its bindings), and Rust still decides on save.

use serde::Serialize;

use crate::model::settings::{
    Range, CLIPBOARD_CLEAR_SECONDS, INACTIVITY_DAYS, LOCAL_API_PORT, MAX_LIVE_TOKENS,
    MAX_REMINDERS, TOKEN_LIFETIME_DAYS,
};
use crate::model::validate::NAME_MAX;

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct Rules {
    /// The longest name of a site manager, location or API key, in characters.
    pub name_max: usize,
    /// The most reminders a list of reminder days may hold.
    pub max_reminders: usize,
    pub inactivity_days: Range,
    pub token_lifetime_days: Range,
    pub clipboard_clear_seconds: Range,
    pub local_api_port: Range,
    pub max_live_tokens: Range,
    /// The shortest passphrase a backup (export) accepts, in characters.
    pub passphrase_min: usize,
    /// The longest notes of a key, in characters.
    pub notes_max: usize,
    /// The most tags a key may have.
    pub tags_max: usize,
    /// How many days a deleted key can be restored.
    pub keep_deleted_days: usize,
}

impl Rules {
    pub fn current() -> Rules {
        Rules {
            name_max: NAME_MAX,
            max_reminders: MAX_REMINDERS,
            inactivity_days: INACTIVITY_DAYS,
            token_lifetime_days: TOKEN_LIFETIME_DAYS,
            clipboard_clear_seconds: CLIPBOARD_CLEAR_SECONDS,
            local_api_port: LOCAL_API_PORT,
            max_live_tokens: MAX_LIVE_TOKENS,
            passphrase_min: crate::service::archive::PASSPHRASE_MIN,
            notes_max: crate::model::policy::NOTES_MAX,
            tags_max: crate::model::policy::TAGS_MAX,
            keep_deleted_days: crate::model::deleted::KEEP_DELETED_DAYS as usize,
        }
    }
}
