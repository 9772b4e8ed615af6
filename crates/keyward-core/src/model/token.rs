//! Tokens: minted from an API key, many per key, shown once, stored only as a hash, and
//! expiring after the token lifetime (365 days by default).

use serde::{Deserialize, Serialize};

use crate::model::clock::Millis;
use crate::model::key::ApiKey;
use crate::model::lifecycle::Reminder;

crate::model::text_enum::text_enum! {
    /// Whether a token works: a token of a revoked key or of a retired secret is revoked.
    pub enum TokenStatus {
        Active = "active",
        Revoked = "revoked",
        Expired = "expired",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    pub id: String,
    pub key_id: String,
    /// The key's generation when the token was minted: a regeneration ends it.
    pub generation: u32,
    pub hash: [u8; 32],
    pub masked: String,
    pub created_at: Millis,
    pub expires_at: Millis,
    pub revoked_at: Option<Millis>,
    pub reminders: Vec<Reminder>,
}

impl Token {
    /// Works right now: not revoked, not expired, and its key's secret generation is live.
    pub fn is_live(&self, key: &ApiKey, now: Millis) -> bool {
        self.revoked_at.is_none()
            && now < self.expires_at
            && key.revoked_at.is_none()
            && key.generation_valid(self.generation, now)
    }

    pub fn status(&self, key: Option<&ApiKey>, now: Millis) -> TokenStatus {
        match key {
            _ if self.revoked_at.is_some() => TokenStatus::Revoked,
            Some(k) if k.revoked_at.is_some() || !k.generation_valid(self.generation, now) => {
                TokenStatus::Revoked
            }
            _ if now >= self.expires_at => TokenStatus::Expired,
            None => TokenStatus::Revoked,
            Some(_) => TokenStatus::Active,
        }
    }
}
