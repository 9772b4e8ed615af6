//! Recently deleted keys. A deleted key stops verifying at once but is kept whole for 30
//! days — the key, its tokens, the secret hashes that made them verify, their last-use
//! times — so it can come back exactly as it was. After that it is purged for good.
//! "Clear API keys" and regeneration never pass through here: they are final.

use serde::{Deserialize, Serialize};

use crate::model::clock::{Millis, DAY};
use crate::model::key::{ApiKey, HashEntry};
use crate::model::token::Token;

/// How long a deleted key can be restored.
pub const KEEP_DELETED_DAYS: i64 = 30;
pub const KEEP_DELETED: Millis = KEEP_DELETED_DAYS * DAY;

/// Why a key was deleted.
pub const BY_HAND: &str = "deleted";
/// Deleted by the inactivity rule.
pub const INACTIVE: &str = "inactive";

/// One deleted key, by its key id. What the lists need is in plain fields; the key as it
/// was travels whole in `contents`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BinnedKey {
    pub id: String,
    pub name: String,
    pub owner: String,
    pub deleted_at: Millis,
    /// The site manager who deleted it; `None` when the inactivity rule did, or a channel
    /// without a site manager (the CLI on this computer).
    pub deleted_by: Option<String>,
    /// [`BY_HAND`] or [`INACTIVE`].
    pub reason: String,
    /// A [`BinContents`], bincode.
    pub contents: Vec<u8>,
}

impl BinnedKey {
    /// When it is purged for good.
    pub fn purge_at(&self) -> Millis {
        self.deleted_at.saturating_add(KEEP_DELETED)
    }
}

/// A deleted key as it was, with everything that made it work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BinContents {
    pub key: ApiKey,
    pub tokens: Vec<Token>,
    /// The rows of the secret hash index that pointed at the key and its tokens.
    pub hashes: Vec<(Vec<u8>, HashEntry)>,
    /// Last-use times of the key and its tokens.
    pub last_used: Vec<(String, Millis)>,
}
