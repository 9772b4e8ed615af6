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
        self.mint_token(&key, key.generation, self.actor())
    }

    /// Mints a token from the secret of `generation` (the current one, or a retired one
    /// in its grace): the token never outlives that secret. Assumes the write guard is held.
    pub(crate) fn mint_token(
        &self,
        key: &ApiKey,
        generation: u32,
        actor: &str,
    ) -> Result<CreatedToken> {
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
        if !key.generation_valid(generation, now) {
            return Err(revoked(key));
        }
        let settings = self.settings()?;
        let live = self
            .tokens_of(&key.id)?
            .iter()
            .filter(|t| t.is_live(key, now))
            .count();
        if live >= settings.max_live_tokens as usize {
            return Err(Error::TooManyTokens {
                name: key.name.clone(),
                max: settings.max_live_tokens,
            });
        }
        let lifetime = settings.token_lifetime_days as i64 * DAY;
        let mut expires_at = now + lifetime;
        if let Some(end) = key.grace_end(generation) {
            expires_at = expires_at.min(end);
        }
        let secret = Secret::generate(SecretKind::Token);
        let token = Token {
            id: new_id("tok_", now),
            key_id: key.id.clone(),
            generation,
            hash: secret.hash(),
            masked: secret.mask(),
            created_at: now,
            expires_at,
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
        let mut event = self.token_event(
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
        );
        actor.clone_into(&mut event.actor);
        ch.audit(&event)?;
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

/// How many tokens one API key may mint through the token exchange in a burst, and how
/// often it earns one more: a script that loops on `POST /v1/tokens` is stopped at about
/// ten a minute, while a person pressing "Get token" in Postman never notices.
pub const EXCHANGE_BURST: u32 = 20;
pub const EXCHANGE_REFILL: Millis = 6_000;

/// Per-key budgets of token exchanges, kept in memory (a restart forgives).
#[derive(Default)]
pub(crate) struct ExchangeBudget {
    /// key id → (exchanges left, when that was counted).
    left: std::sync::Mutex<std::collections::HashMap<String, (f64, Millis)>>,
}

impl ExchangeBudget {
    /// `Err(wait)` when the key has no exchange left now; the wait is in milliseconds.
    pub fn check(&self, key_id: &str, now: Millis) -> std::result::Result<(), u64> {
        let left = self.left_at(key_id, now);
        if left >= 1.0 {
            Ok(())
        } else {
            Err(((1.0 - left) * EXCHANGE_REFILL as f64).ceil().max(1.0) as u64)
        }
    }

    /// Counts one exchange that happened.
    pub fn spend(&self, key_id: &str, now: Millis) {
        let left = self.left_at(key_id, now);
        let mut map = self.left.lock().unwrap_or_else(|p| p.into_inner());
        map.insert(key_id.to_owned(), ((left - 1.0).max(0.0), now));
        // Keys whose budget is full again need no entry.
        if map.len() > 10_000 {
            map.retain(|_, (l, at)| {
                *l + ((now - *at) as f64 / EXCHANGE_REFILL as f64) < f64::from(EXCHANGE_BURST)
            });
        }
    }

    fn left_at(&self, key_id: &str, now: Millis) -> f64 {
        let map = self.left.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(key_id) {
            Some((left, at)) => {
                let earned = (now - at).max(0) as f64 / EXCHANGE_REFILL as f64;
                (left + earned).min(EXCHANGE_BURST as f64)
            }
            None => EXCHANGE_BURST as f64,
        }
    }
}
