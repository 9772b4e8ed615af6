//! Verification (SPEC §6): hash the presented secret and look the hash up. Nothing is
//! decrypted. A mistyped secret is MALFORMED before any lookup. Success records use (in
//! memory, persisted at most once a minute per key); failures are counted for the audit.

use serde::Serialize;

use crate::clock::to_rfc3339;
use crate::error::Result;
use crate::keys::{ApiKey, HashEntry, Scope, ScopeView};
use crate::secret::{check_format, hash_secret};
use crate::store::{Store, T};
use crate::tokens::{CreatedToken, Token};
use crate::users::{OwnerView, User};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VerifyCode {
    Malformed,
    NotFound,
    Revoked,
    Disabled,
    Expired,
    UserDeactivated,
    ApiAccessOff,
}

impl VerifyCode {
    pub fn as_str(self) -> &'static str {
        match self {
            VerifyCode::Malformed => "MALFORMED",
            VerifyCode::NotFound => "NOT_FOUND",
            VerifyCode::Revoked => "REVOKED",
            VerifyCode::Disabled => "DISABLED",
            VerifyCode::Expired => "EXPIRED",
            VerifyCode::UserDeactivated => "USER_DEACTIVATED",
            VerifyCode::ApiAccessOff => "API_ACCESS_OFF",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            VerifyCode::Malformed => {
                "this is not a Keyward key or token (check for a copy-paste slip)"
            }
            VerifyCode::NotFound => "no such key or token",
            VerifyCode::Revoked => "this key or token has been revoked or replaced",
            VerifyCode::Disabled => "this API key is disabled",
            VerifyCode::Expired => "this token has expired — generate a new one",
            VerifyCode::UserDeactivated => "the owner of this key is deactivated",
            VerifyCode::ApiAccessOff => "API access is off for the owner of this key",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    ApiKey,
    Token,
}

/// Who a valid secret belongs to.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Identity {
    pub kind: CredentialKind,
    pub key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_id: Option<String>,
    pub owner: OwnerView,
    pub scope: ScopeView,
    /// A token's expiry; API keys do not expire (`null`).
    pub expires_at: Option<String>,
}

/// `{"valid":true,"kind",…}` or `{"valid":false,"code":"…"}`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Verdict {
    pub valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<VerifyCode>,
    #[serde(flatten)]
    pub identity: Option<Identity>,
}

impl Verdict {
    fn invalid(code: VerifyCode) -> Verdict {
        Verdict {
            valid: false,
            code: Some(code),
            identity: None,
        }
    }
}

impl Store {
    /// Verifies an API key or token and, if valid, records its use.
    pub fn verify(&self, presented: &str) -> Result<Verdict> {
        let verdict = match self.check(presented)? {
            Ok((identity, _)) => {
                match &identity.token_id {
                    Some(t) => self.record_use(&[&identity.key_id, t]),
                    None => self.record_use(&[&identity.key_id]),
                }
                Verdict {
                    valid: true,
                    code: None,
                    identity: Some(identity),
                }
            }
            Err(code) => {
                self.record_failed_verification(code.as_str());
                Verdict::invalid(code)
            }
        };
        Ok(verdict)
    }

    /// Exchanges a valid API key (not a token) for a new token; counts as a use.
    pub fn exchange_key_for_token(
        &self,
        presented: &str,
    ) -> Result<std::result::Result<CreatedToken, VerifyCode>> {
        let guard = self.write_guard();
        let code = match self.check(presented)? {
            Ok((identity, key)) if identity.kind == CredentialKind::ApiKey => {
                let created = self.mint_token(&key)?;
                self.record_use(&[&key.id]);
                return Ok(Ok(created));
            }
            Ok(_) => VerifyCode::Malformed,
            Err(code) => code,
        };
        // Recording a failure may write the aggregated audit event, which takes the write
        // guard itself: release it first, or this thread deadlocks on it.
        drop(guard);
        self.record_failed_verification(code.as_str());
        Ok(Err(code))
    }

    fn check(
        &self,
        presented: &str,
    ) -> Result<std::result::Result<(Identity, ApiKey), VerifyCode>> {
        use VerifyCode::*;
        let Some(kind) = check_format(presented) else {
            return Ok(Err(Malformed));
        };
        let hash = hash_secret(presented);
        let Some(entry) = self.get::<HashEntry>(T::Hashes, hash)? else {
            return Ok(Err(NotFound));
        };
        let now = self.now();
        let (key, token) = if entry.token {
            let Some(token) = self.get::<Token>(T::Tokens, &entry.id)? else {
                return Ok(Err(NotFound));
            };
            let Some(key) = self.get::<ApiKey>(T::Keys, &token.key_id)? else {
                return Ok(Err(NotFound));
            };
            if token.revoked_at.is_some()
                || key.revoked_at.is_some()
                || !key.generation_valid(token.generation, now)
            {
                return Ok(Err(Revoked));
            }
            if now >= token.expires_at {
                return Ok(Err(Expired));
            }
            (key, Some(token))
        } else {
            let Some(key) = self.get::<ApiKey>(T::Keys, &entry.id)? else {
                return Ok(Err(NotFound));
            };
            if key.revoked_at.is_some() || !key.generation_valid(entry.generation, now) {
                return Ok(Err(Revoked));
            }
            (key, None)
        };
        if key.disabled {
            return Ok(Err(Disabled));
        }
        let Some(owner) = self.get::<User>(T::Users, &key.owner)? else {
            return Ok(Err(NotFound));
        };
        if !owner.active {
            return Ok(Err(UserDeactivated));
        }
        if !owner.api_access {
            return Ok(Err(ApiAccessOff));
        }
        debug_assert_eq!(kind.is_api_key(), token.is_none());
        let identity = Identity {
            kind: if token.is_some() {
                CredentialKind::Token
            } else {
                CredentialKind::ApiKey
            },
            key_id: key.id.clone(),
            token_id: token.as_ref().map(|t| t.id.clone()),
            owner: owner.owner_view(),
            scope: match &key.scope {
                Scope::Agency => ScopeView::Agency,
                Scope::Location(l) => ScopeView::Location {
                    location_id: l.clone(),
                    name: None,
                },
            },
            expires_at: token.as_ref().map(|t| to_rfc3339(t.expires_at)),
        };
        Ok(Ok((identity, key)))
    }
}
