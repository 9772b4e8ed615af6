//! Verification (SPEC §6): hash the presented secret and look the hash up. Nothing is
//! decrypted. A mistyped secret is MALFORMED before any lookup. Success records use (in
//! memory, persisted at most once a minute per key); failures are counted for the audit.

use std::sync::Arc;

use super::keys::find_key;
use super::tokens::mint_token;
use crate::error::{Error, Result};
use crate::model::clock::Millis;
use crate::model::key::RateLimit;
use crate::model::policy;
use crate::model::secret::{check_format, hash_secret};
use crate::store::{Read, Store};
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
        let now = self.now();
        let verdict = match self.check(presented, now)? {
            Checked::Valid { identity, rate, .. } => {
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
                self.record_valid_use(&identity.key_id, identity.token_id.as_deref(), now);
                Verdict {
                    valid: true,
                    code: None,
                    identity: Some(identity),
                    retry_after_ms: None,
                }
            }
            Checked::Refused(code, whose) => {
                self.record_failed_verification(code.as_str());
                // A secret that is a key's (revoked, disabled, expired, its owner blocked)
                // counts in that key's usage; unknown and malformed ones belong to none.
                if let Some(identity) = whose {
                    self.count_verification(&identity.key_id, code.as_str());
                }
                Verdict::invalid(code)
            }
        };
        Ok(verdict)
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
        let answer = self.write(|tx| match self.check(presented, tx.now())? {
            Checked::Valid {
                identity,
                generation,
                ..
            } if identity.kind == CredentialKind::ApiKey => {
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
            Checked::Valid { .. } => Ok(Err(VerifyCode::Malformed)),
            Checked::Refused(code, _) => Ok(Err(code)),
        })?;
        match &answer {
            Ok(created) => self.record_use(&[&created.key_id]),
            Err(code) => self.record_failed_verification(code.as_str()),
        }
        Ok(answer)
    }

    /// The verdict for a presented secret at `now`: format, hash, then one lookup in the
    /// prepared answers. Unknown and revoked secrets take the same path up to the lookup.
    /// A valid secret comes with its key generation (a retired one during its grace), a
    /// refused one with whose it is, when it is known.
    fn check(&self, presented: &str, now: Millis) -> Result<Checked> {
        self.check_fresh()?;
        let Some(kind) = check_format(presented) else {
            return Ok(Checked::Refused(VerifyCode::Malformed, None));
        };
        let hash = hash_secret(presented);
        self.with_index(|ix| {
            let Some(answer) = ix.answers.get(&hash) else {
                return Checked::Refused(VerifyCode::NotFound, None);
            };
            debug_assert_eq!(
                kind.is_api_key(),
                answer.identity.kind == CredentialKind::ApiKey
            );
            match answer.refusal_at(now) {
                Some(code) => Checked::Refused(code, Some(answer.identity.clone())),
                None => Checked::Valid {
                    identity: answer.identity.clone(),
                    generation: answer.generation,
                    rate: answer.rate,
                },
            }
        })
    }
}

/// What [`Store::check`] found.
enum Checked {
    Valid {
        identity: Arc<Identity>,
        generation: u32,
        rate: Option<RateLimit>,
    },
    /// Refused with this code; the identity of a secret that is a key's (revoked,
    /// disabled, expired, its owner blocked), none for unknown and malformed ones.
    Refused(VerifyCode, Option<Arc<Identity>>),
}
