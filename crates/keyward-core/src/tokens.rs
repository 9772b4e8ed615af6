//! Tokens: minted from an API key, many per key, shown once, stored only as a hash, and
//! expiring after the token lifetime (365 days by default).

use serde::{Deserialize, Serialize};

use crate::clock::{to_rfc3339, Millis, DAY};
use crate::error::{Error, Result};
use crate::ids::new_id;
use crate::keys::{refuse_blocked_owner, revoked, ApiKey, HashEntry};
use crate::lifecycle::Reminder;
use crate::secret::{Secret, SecretKind, ShownSecret};
use crate::store::{Changes, Store, T};
use crate::users::User;

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

    fn status(&self, key: Option<&ApiKey>, now: Millis) -> &'static str {
        match key {
            _ if self.revoked_at.is_some() => "revoked",
            Some(k) if k.revoked_at.is_some() || !k.generation_valid(self.generation, now) => {
                "revoked"
            }
            _ if now >= self.expires_at => "expired",
            None => "revoked",
            Some(_) => "active",
        }
    }
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TokenView {
    pub id: String,
    pub key_id: String,
    pub key_name: String,
    pub masked_token: String,
    #[cfg_attr(feature = "ts", ts(type = "\"active\" | \"revoked\" | \"expired\""))]
    pub status: &'static str,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
}

/// A new token, shown once: the shape `POST /v1/tokens` answers with.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct CreatedToken {
    pub id: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub token: ShownSecret,
    pub key_id: String,
    pub expires_at: String,
}

impl Store {
    /// Mints a token from a key that works right now.
    pub fn create_token(&self, key_id: &str) -> Result<CreatedToken> {
        let _g = self.write_guard();
        let key = self.api_key(key_id)?;
        self.mint_token(&key)
    }

    /// Assumes the write guard is held.
    pub(crate) fn mint_token(&self, key: &ApiKey) -> Result<CreatedToken> {
        if key.revoked_at.is_some() {
            return Err(revoked(key));
        }
        if key.disabled {
            return Err(Error::KeyDisabled(key.name.clone()));
        }
        let owner: User = self
            .get(T::Users, &key.owner)?
            .ok_or_else(|| Error::not_found("site manager", &key.owner))?;
        refuse_blocked_owner(&owner)?;
        let now = self.now();
        let lifetime = self.settings()?.token_lifetime_days as i64 * DAY;
        let secret = Secret::generate(SecretKind::Token);
        let token = Token {
            id: new_id("tok_", now),
            key_id: key.id.clone(),
            generation: key.generation,
            hash: secret.hash(),
            masked: secret.mask(),
            created_at: now,
            expires_at: now + lifetime,
            revoked_at: None,
            reminders: Vec::new(),
        };
        let mut ch = Changes::default();
        ch.put(T::Tokens, &token.id, &token)?;
        ch.put(
            T::Hashes,
            token.hash,
            &HashEntry {
                token: true,
                id: token.id.clone(),
                generation: token.generation,
            },
        )?;
        ch.audit(&self.token_event(
            &token,
            key,
            "created",
            format!(
                "generated token {} ({}) from API key '{}', expires {}",
                token.id,
                token.masked,
                key.name,
                to_rfc3339(token.expires_at)
            ),
        ))?;
        self.commit(ch)?;
        Ok(CreatedToken {
            id: token.id,
            token: ShownSecret(secret),
            key_id: key.id.clone(),
            expires_at: to_rfc3339(token.expires_at),
        })
    }

    /// Tokens of one key, or of all keys; newest first.
    pub fn list_tokens(&self, key_id: Option<&str>) -> Result<Vec<TokenView>> {
        let tokens = match key_id {
            Some(k) => {
                let key = self.api_key(k)?;
                self.tokens_of(&key.id)?
            }
            None => self
                .values::<Token>(T::Tokens)
                .collect::<Result<Vec<_>>>()?,
        };
        let mut keys = std::collections::HashMap::new();
        let mut out = Vec::with_capacity(tokens.len());
        for t in tokens {
            if !keys.contains_key(&t.key_id) {
                keys.insert(t.key_id.clone(), self.get::<ApiKey>(T::Keys, &t.key_id)?);
            }
            let key = keys.get(&t.key_id).and_then(Option::as_ref);
            out.push(self.token_view(&t, key)?);
        }
        out.sort_by(|a, b| b.id.cmp(&a.id));
        Ok(out)
    }

    fn token_view(&self, t: &Token, key: Option<&ApiKey>) -> Result<TokenView> {
        Ok(TokenView {
            id: t.id.clone(),
            key_id: t.key_id.clone(),
            key_name: key.map(|k| k.name.clone()).unwrap_or_default(),
            masked_token: t.masked.clone(),
            status: t.status(key, self.now()),
            created_at: to_rfc3339(t.created_at),
            expires_at: to_rfc3339(t.expires_at),
            last_used_at: self.last_used(&t.id)?.map(to_rfc3339),
        })
    }

    pub fn revoke_token(&self, id: &str) -> Result<TokenView> {
        let _g = self.write_guard();
        let mut token: Token = self
            .get(T::Tokens, id.trim())?
            .ok_or_else(|| Error::not_found("token", id.trim()))?;
        let key: Option<ApiKey> = self.get(T::Keys, &token.key_id)?;
        if token.revoked_at.is_none() {
            token.revoked_at = Some(self.now());
            let mut ch = Changes::default();
            ch.put(T::Tokens, &token.id, &token)?;
            if let Some(k) = &key {
                ch.audit(&self.token_event(
                    &token,
                    k,
                    "revoked",
                    format!(
                        "revoked token {} ({}) of API key '{}'",
                        token.id, token.masked, k.name
                    ),
                ))?;
            }
            self.commit(ch)?;
        }
        self.token_view(&token, key.as_ref())
    }

    pub(crate) fn token_event(
        &self,
        token: &Token,
        key: &ApiKey,
        op: &str,
        summary: String,
    ) -> crate::audit::AuditEvent {
        let mut e = self.audit_event("token", op, &token.id, &key.name, Some(&key.owner), summary);
        // Token events are found from their key as well.
        if !e.summary.contains(&key.id) {
            e.summary.push_str(&format!(" [{}]", key.id));
        }
        e
    }
}
