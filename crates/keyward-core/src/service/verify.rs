//! Verification (SPEC §6): hash the presented secret and look the hash up. Nothing is
//! decrypted. A mistyped secret is MALFORMED before any lookup. Success records use (in
//! memory, persisted at most once a minute per key); failures are counted for the audit.

use super::keys::find_key;
use super::tokens::mint_token;
use crate::error::{Error, Result};
use crate::model::clock::to_datetime;
use crate::model::key::{RateLimit, Scope};
use crate::model::policy;
use crate::model::secret::{check_format, hash_secret};
use crate::store::{Read, Store};
use crate::view::keys::ScopeView;
use crate::view::tokens::CreatedToken;
use crate::view::verify::{CredentialKind, Identity, Verdict, VerifyCode};

impl Store {
    /// Verifies an API key or token and, if valid, records its use. Never waits for the
    /// disk: the use is kept in memory (and handed to sled at most once a minute per key,
    /// which writes it out on its own threads), a failure is only counted.
    pub fn verify(&self, presented: &str) -> Result<Verdict> {
        self.verify_for(presented, None)
    }

    /// [`Store::verify`], also asking whether the key may do `permission`
    /// (`INSUFFICIENT_PERMISSIONS` when it may not). A key with a rate limit answers
    /// `RATE_LIMITED`, with how long to wait, once it is spent; other keys never wait.
    pub fn verify_for(&self, presented: &str, permission: Option<&str>) -> Result<Verdict> {
        let verdict = match self.check(presented)? {
            Ok((identity, _, rate)) => {
                let now = self.now();
                let refused = |code: VerifyCode| {
                    self.record_failed_verification(code.as_str());
                    self.count_verification(&identity.key_id, code.as_str());
                    Verdict::invalid(code)
                };
                if let Some(wanted) = permission.map(str::trim).filter(|p| !p.is_empty()) {
                    if !policy::allows(&identity.permissions, wanted) {
                        return Ok(refused(VerifyCode::InsufficientPermissions));
                    }
                }
                if let Some(limit) = rate {
                    if let Err(wait) = self.verify_limits.take(&identity.key_id, limit, now) {
                        return Ok(Verdict {
                            retry_after_ms: Some(wait),
                            ..refused(VerifyCode::RateLimited)
                        });
                    }
                }
                self.record_valid_use(&identity.key_id, identity.token_id.as_deref());
                Verdict {
                    valid: true,
                    code: None,
                    identity: Some(identity),
                    retry_after_ms: None,
                }
            }
            Err(code) => {
                self.record_failed_verification(code.as_str());
                // A secret that is a key's (revoked, disabled, expired, its owner blocked)
                // counts in that key's usage; unknown and malformed ones belong to none.
                if !matches!(code, VerifyCode::Malformed | VerifyCode::NotFound) {
                    if let Some(key_id) = self.key_of(presented) {
                        self.count_verification(&key_id, code.as_str());
                    }
                }
                Verdict::invalid(code)
            }
        };
        Ok(verdict)
    }

    /// The key a well-formed secret belongs to (a token's key), if it is known.
    fn key_of(&self, presented: &str) -> Option<String> {
        let hash = hash_secret(presented);
        self.with_index(|ix| {
            let entry = ix.hashes.get(&hash)?;
            if entry.token {
                ix.tokens.get(&entry.id).map(|t| t.key_id.clone())
            } else {
                Some(entry.id.clone())
            }
        })
        .ok()
        .flatten()
    }

    /// Exchanges a valid API key (not a token) for a new token; counts as a use. This is
    /// the HTTP API's token exchange, audited as such. The token ends with the presented
    /// secret: one minted with a secret in its grace period stops when that grace ends.
    /// Refused with `TOO_MANY_TOKENS` at the live-token cap, and with `RATE_LIMITED` when
    /// the key exchanges faster than [`crate::tokens::EXCHANGE_BURST`] allows.
    pub fn exchange_key_for_token(
        &self,
        presented: &str,
    ) -> Result<std::result::Result<CreatedToken, VerifyCode>> {
        let answer = self.write(|tx| match self.check(presented)? {
            Ok((identity, generation, _)) if identity.kind == CredentialKind::ApiKey => {
                let key = find_key(tx, &identity.key_id)?;
                let now = tx.now();
                if let Err(retry_after_ms) = self.exchanges.check(&key.id, now) {
                    return Err(Error::RateLimited {
                        name: key.name.clone(),
                        retry_after_ms,
                    });
                }
                let created = mint_token(tx, &key, generation, "http")?;
                self.exchanges.spend(&key.id, now);
                Ok(Ok(created))
            }
            Ok(_) => Ok(Err(VerifyCode::Malformed)),
            Err(code) => Ok(Err(code)),
        })?;
        match &answer {
            Ok(created) => self.record_use(&[&created.key_id]),
            Err(code) => self.record_failed_verification(code.as_str()),
        }
        Ok(answer)
    }

    /// The verdict for a presented secret, from the in-memory index: format, hash, then a
    /// few map lookups. Unknown and revoked secrets take the same path up to the lookup.
    /// A valid secret comes with its key generation (a retired one during its grace).
    #[allow(clippy::type_complexity)]
    fn check(
        &self,
        presented: &str,
    ) -> Result<std::result::Result<(Identity, u32, Option<RateLimit>), VerifyCode>> {
        use VerifyCode::*;
        self.check_fresh()?;
        let Some(kind) = check_format(presented) else {
            return Ok(Err(Malformed));
        };
        let hash = hash_secret(presented);
        let now = self.now();
        self.with_index(|ix| {
            let Some(entry) = ix.hashes.get(&hash) else {
                return Err(NotFound);
            };
            let generation = entry.generation;
            let (key, token) = if entry.token {
                let token = ix.tokens.get(&entry.id).ok_or(NotFound)?;
                let key = ix.keys.get(&token.key_id).ok_or(NotFound)?;
                if token.revoked_at.is_some()
                    || key.revoked_at.is_some()
                    || !key.generation_valid(token.generation, now)
                {
                    return Err(Revoked);
                }
                if now >= token.expires_at {
                    return Err(Expired);
                }
                (key, Some(token))
            } else {
                let key = ix.keys.get(&entry.id).ok_or(NotFound)?;
                if key.revoked_at.is_some() || !key.generation_valid(entry.generation, now) {
                    return Err(Revoked);
                }
                (key, None)
            };
            if key.expired(now) {
                return Err(Expired);
            }
            if key.disabled {
                return Err(Disabled);
            }
            let owner = ix.users.get(&key.owner).ok_or(NotFound)?;
            if !owner.active {
                return Err(UserDeactivated);
            }
            if !owner.api_access {
                return Err(ApiAccessOff);
            }
            debug_assert_eq!(kind.is_api_key(), token.is_none());
            let identity = Identity {
                kind: if token.is_some() {
                    CredentialKind::Token
                } else {
                    CredentialKind::ApiKey
                },
                key_id: key.id.clone(),
                token_id: token.map(|t| t.id.clone()),
                owner: owner.owner_view(),
                scope: match &key.scope {
                    Scope::Agency => ScopeView::Agency,
                    Scope::Location(l) => ScopeView::Location {
                        location_id: l.clone(),
                        name: None,
                    },
                },
                expires_at: token
                    .map(|t| t.expires_at.min(key.expires_at.unwrap_or(i64::MAX)))
                    .or(key.expires_at)
                    .map(to_datetime),
                permissions: key.permissions.clone(),
            };
            Ok((identity, generation, key.rate))
        })
    }
}
