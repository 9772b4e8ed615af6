//! What verification answers for each known secret hash, worked out ahead of time from the
//! index's keys, tokens and users, and kept in step with them by the commit hook. A
//! verification is then a hash, one lookup in a table keyed by it, two comparisons with
//! the clock and a reference-count increment: no walk from token to key to owner, no
//! copying of names and permissions, whatever the number of keys.
//!
//! Only what changes with time is decided at verification: a retired secret's grace and
//! the key's or token's end are kept as instants, everything else as the code it leads to.

use std::collections::HashSet;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::index::Index;
use crate::model::clock::{to_datetime, Millis};
use crate::model::key::{RateLimit, Scope};
use crate::view::keys::ScopeView;
use crate::view::users::OwnerView;
use crate::view::verify::{CredentialKind, Identity, VerifyCode};

/// The prepared answer for one secret hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    /// The key generation the secret belongs to (a token's: the one it was minted from).
    pub generation: u32,
    /// From when the secret answers REVOKED: `Millis::MIN` when it already does (revoked,
    /// replaced), the end of its grace for a retired secret, `Millis::MAX` for none.
    pub revoked_from: Millis,
    /// From when it answers EXPIRED (the token's or the key's end); `Millis::MAX`: never.
    pub expires_from: Millis,
    /// What it answers until then when it does not verify (disabled, owner deactivated,
    /// API access off); `None`: it verifies.
    pub refused: Option<VerifyCode>,
    pub rate: Option<RateLimit>,
    /// Who it belongs to, shared by every verdict that names it.
    pub identity: Arc<Identity>,
}

impl Answer {
    /// The code the secret answers at `now`, or `None` when it verifies. The order is the
    /// one verification has always had: revoked, then expired, then the key's and its
    /// owner's state.
    pub fn refusal_at(&self, now: Millis) -> Option<VerifyCode> {
        if now >= self.revoked_from {
            Some(VerifyCode::Revoked)
        } else if now >= self.expires_from {
            Some(VerifyCode::Expired)
        } else {
            self.refused
        }
    }
}

/// Secret hash → its answer. The hashes are SHA-256 digests of secrets, so a fast,
/// non-keyed hasher is safe here: no one can choose digests that collide.
pub(crate) type Answers = FxHashMap<[u8; 32], Answer>;

/// What one commit touched, by table: the answers that may have changed follow from it.
#[derive(Default)]
pub(crate) struct Touched {
    pub hashes: HashSet<[u8; 32]>,
    pub keys: HashSet<String>,
    pub tokens: HashSet<String>,
    pub users: HashSet<String>,
}

impl Touched {
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
            && self.keys.is_empty()
            && self.tokens.is_empty()
            && self.users.is_empty()
    }
}

/// The answer for `hash` from the index as it stands; `None` when the secret is unknown
/// (no hash entry, or its token or key is gone): it answers NOT_FOUND.
pub(crate) fn answer_for(ix: &Index, hash: &[u8; 32]) -> Option<Answer> {
    let entry = ix.hashes.get(hash)?;
    let (key, token) = if entry.token {
        let token = ix.tokens.get(&entry.id)?;
        (ix.keys.get(&token.key_id)?, Some(token))
    } else {
        (ix.keys.get(&entry.id)?, None)
    };
    let generation = token.map_or(entry.generation, |t| t.generation);
    let revoked_from = if key.revoked_at.is_some() || token.is_some_and(|t| t.revoked_at.is_some())
    {
        Millis::MIN
    } else if generation == key.generation {
        Millis::MAX
    } else {
        key.grace_end(generation).unwrap_or(Millis::MIN)
    };
    let ends = token
        .map(|t| t.expires_at.min(key.expires_at.unwrap_or(Millis::MAX)))
        .or(key.expires_at);
    let owner = ix.users.get(&key.owner);
    let refused = match owner {
        _ if key.disabled => Some(VerifyCode::Disabled),
        None => Some(VerifyCode::NotFound),
        Some(u) if !u.active => Some(VerifyCode::UserDeactivated),
        Some(u) if !u.api_access => Some(VerifyCode::ApiAccessOff),
        Some(_) => None,
    };
    let identity = Identity {
        kind: if token.is_some() {
            CredentialKind::Token
        } else {
            CredentialKind::ApiKey
        },
        key_id: key.id.clone(),
        token_id: token.map(|t| t.id.clone()),
        owner: owner.map_or_else(
            || OwnerView {
                id: key.owner.clone(),
                name: String::new(),
                email: String::new(),
            },
            |u| u.owner_view(),
        ),
        scope: match &key.scope {
            Scope::Agency => ScopeView::Agency,
            Scope::Location(l) => ScopeView::Location {
                location_id: l.clone(),
                name: None,
            },
        },
        expires_at: ends.map(to_datetime),
        permissions: key.permissions.clone(),
    };
    Some(Answer {
        generation: entry.generation,
        revoked_from,
        expires_from: ends.unwrap_or(Millis::MAX),
        refused,
        rate: key.rate,
        identity: Arc::new(identity),
    })
}

/// Works out again every answer `touched` may have changed: those of the touched hashes,
/// of every secret and token of a touched key, of a touched token, and of every key of a
/// touched user.
pub(crate) fn refresh(ix: &mut Index, touched: Touched) {
    let Touched {
        mut hashes,
        mut keys,
        tokens,
        users,
    } = touched;
    if !users.is_empty() {
        keys.extend(
            ix.keys
                .values()
                .filter(|k| users.contains(&k.owner))
                .map(|k| k.id.clone()),
        );
    }
    let mut credentials = tokens;
    for k in &keys {
        if let Some(ts) = ix.tokens_of_key.get(k) {
            credentials.extend(ts.iter().cloned());
        }
    }
    credentials.extend(keys);
    for c in &credentials {
        if let Some(hs) = ix.hashes_of.get(c) {
            hashes.extend(hs.iter().copied());
        }
    }
    for h in hashes {
        match answer_for(ix, &h) {
            Some(a) => {
                ix.answers.insert(h, a);
            }
            None => {
                ix.answers.remove(&h);
            }
        }
    }
}

/// Every answer, from scratch (the index has just been loaded).
pub(crate) fn build(ix: &mut Index) {
    let answers: Answers = ix
        .hashes
        .keys()
        .filter_map(|h| answer_for(ix, h).map(|a| (*h, a)))
        .collect();
    ix.answers = answers;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::verify::CredentialKind;

    fn answer(revoked_from: Millis, expires_from: Millis, refused: Option<VerifyCode>) -> Answer {
        Answer {
            generation: 1,
            revoked_from,
            expires_from,
            refused,
            rate: None,
            identity: Arc::new(Identity {
                kind: CredentialKind::ApiKey,
                key_id: "key_1".into(),
                token_id: None,
                owner: OwnerView {
                    id: "usr_1".into(),
                    name: "Ada".into(),
                    email: "ada@example.com".into(),
                },
                scope: ScopeView::Agency,
                expires_at: None,
                permissions: vec!["*".into()],
            }),
        }
    }

    #[test]
    fn revoked_comes_before_expired_which_comes_before_the_keys_state() {
        let disabled = Some(VerifyCode::Disabled);
        let a = answer(300, 200, disabled);
        assert_eq!(a.refusal_at(100), disabled);
        assert_eq!(a.refusal_at(200), Some(VerifyCode::Expired));
        assert_eq!(a.refusal_at(300), Some(VerifyCode::Revoked));
        let a = answer(Millis::MIN, 200, None);
        assert_eq!(a.refusal_at(0), Some(VerifyCode::Revoked));
        let a = answer(Millis::MAX, Millis::MAX, None);
        assert_eq!(a.refusal_at(Millis::MAX - 1), None);
    }
}
