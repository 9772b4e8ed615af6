//! Tokens: minted from a working API key (never outliving the secret they were minted
//! with), listed, revoked.

use std::collections::HashMap;

use super::keys::find_key;
use super::settings::read_settings;
use super::users::find_user;
use crate::error::{Error, Result};
use crate::model::audit::AuditEvent;
use crate::model::clock::{to_datetime, to_rfc3339, DAY};
use crate::model::ids::new_id;
use crate::model::key::{refuse_blocked_owner, revoked, ApiKey, HashEntry};
use crate::model::secret::{Secret, SecretKind, ShownSecret};
use crate::model::token::Token;
use crate::store::{Read, Store, Table, Tx};
use crate::view::tokens::{CreatedToken, TokenView};

/// An audit event about a token, found from its key as well.
pub(super) fn token_event(tx: &Tx<'_>, token: &Token, key: &ApiKey, op: &str) -> AuditEvent {
    tx.event("token", op)
        .object(&token.id, &key.name)
        .owner(&key.owner)
        .key(&key.id)
}

/// Mints a token from the secret of `generation` (the current one, or a retired one in
/// its grace): the token never outlives that secret.
pub(super) fn mint_token(
    tx: &mut Tx<'_>,
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
    refuse_blocked_owner(&find_user(tx, &key.owner)?)?;
    let now = tx.now();
    if !key.generation_valid(generation, now) {
        return Err(revoked(key));
    }
    let settings = read_settings(tx)?;
    let live = tx
        .store()
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
    let mut expires_at = now + settings.token_lifetime_days as i64 * DAY;
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
    tx.put(Table::Tokens, &token.id, &token)?;
    tx.put(
        Table::Hashes,
        token.hash,
        &HashEntry {
            token: true,
            id: token.id.clone(),
            generation: token.generation,
        },
    )?;
    let summary = format!(
        "generated token {} ({}) from API key '{}', expires {}",
        token.id,
        token.masked,
        key.name,
        to_rfc3339(token.expires_at)
    );
    tx.audit(
        token_event(tx, &token, key, "created")
            .actor(actor)
            .says(summary),
    )?;
    Ok(CreatedToken {
        id: token.id,
        token: ShownSecret(secret),
        key_id: key.id.clone(),
        expires_at: to_datetime(token.expires_at),
    })
}

impl Store {
    /// Mints a token from a key that works right now.
    pub fn create_token(&self, key_id: &str) -> Result<CreatedToken> {
        self.write(|tx| {
            let key = find_key(tx, key_id)?;
            let (actor, _) = self.actor();
            mint_token(tx, &key, key.generation, &actor)
        })
    }

    /// Tokens of one key, or of all keys; newest first.
    pub fn list_tokens(&self, key_id: Option<&str>) -> Result<Vec<TokenView>> {
        let tokens = match key_id {
            Some(k) => self.tokens_of(&find_key(self, k)?.id)?,
            None => self
                .values::<Token>(Table::Tokens)
                .collect::<Result<Vec<_>>>()?,
        };
        let mut keys: HashMap<String, Option<ApiKey>> = HashMap::new();
        let mut out = Vec::with_capacity(tokens.len());
        for t in tokens {
            if !keys.contains_key(&t.key_id) {
                keys.insert(t.key_id.clone(), self.get(Table::Keys, &t.key_id)?);
            }
            let key = keys.get(&t.key_id).and_then(Option::as_ref);
            out.push(self.token_view(&t, key)?);
        }
        out.sort_by(|a, b| b.id.cmp(&a.id));
        Ok(out)
    }

    fn token_view(&self, t: &Token, key: Option<&ApiKey>) -> Result<TokenView> {
        Ok(t.view(key, self.now(), self.last_used(&t.id)?))
    }

    /// The key a token was minted from.
    pub fn token_key_id(&self, id: &str) -> Result<String> {
        let token: Token = self
            .get(Table::Tokens, id.trim())?
            .ok_or_else(|| Error::not_found("token", id.trim()))?;
        Ok(token.key_id)
    }

    pub fn revoke_token(&self, id: &str) -> Result<TokenView> {
        let (token, key) = self.write(|tx| {
            let mut token: Token = tx
                .get(Table::Tokens, id.trim())?
                .ok_or_else(|| Error::not_found("token", id.trim()))?;
            let key: Option<ApiKey> = tx.get(Table::Keys, &token.key_id)?;
            if token.revoked_at.is_none() {
                token.revoked_at = Some(tx.now());
                tx.put(Table::Tokens, &token.id, &token)?;
                if let Some(k) = &key {
                    let summary = format!(
                        "revoked token {} ({}) of API key '{}'",
                        token.id, token.masked, k.name
                    );
                    tx.audit(token_event(tx, &token, k, "revoked").says(summary))?;
                }
            }
            Ok((token, key))
        })?;
        self.token_view(&token, key.as_ref())
    }
}
