//! Management tokens: created for a site manager, shown once, kept as a hash; listed and
//! revoked. [`Store::authenticate`] turns a presented token into the [`Actor`] it acts as.
//! Also the store's local owner: the person behind this computer's CLI and desktop app.

use super::users::find_user;
use crate::error::{Error, Result};
use crate::model::access::Actor;
use crate::model::clock::Millis;
use crate::model::ids::new_id;
use crate::model::management::ManagementToken;
use crate::model::secret::{check_format, hash_secret, Secret, SecretKind, ShownSecret};
use crate::model::user::{NewUser, Role, User};
use crate::model::validate;
use crate::store::{Read, Store, Table, OWNER_KEY};
use crate::view::management::{CreatedManagementToken, ManagementTokenView};
use crate::view::users::UserView;

/// What the app asks the person at this computer (see [`Store::owner_question`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerQuestion {
    /// They said who they are, or that they would rather not.
    Answered,
    /// A new store: asked before anything else.
    Required,
    /// A store with site managers: asked once.
    Once,
}

const UNAUTHORIZED: &str =
    "a valid management token is required — send it as Authorization: Bearer kwm_… (create one with keyward manage-tokens create)";

/// The most management tokens one site manager may hold at once.
pub const MAX_TOKENS_PER_USER: usize = 50;

fn find_token(r: &impl Read, id: &str) -> Result<ManagementToken> {
    r.get(Table::ManagementTokens, id.trim())?
        .ok_or_else(|| Error::not_found("management token", id.trim()))
}

impl Store {
    /// A new management token acting as `user`, shown once. `lifetime` is how long it
    /// works (`None`: until revoked).
    pub fn create_management_token(
        &self,
        user: &str,
        name: Option<&str>,
        lifetime: Option<Millis>,
    ) -> Result<CreatedManagementToken> {
        let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) => validate::name("management token", n, validate::NAME_MAX)?,
            None => "Management token".to_owned(),
        };
        self.write(|tx| {
            let owner = find_user(tx, user)?;
            if !owner.active {
                return Err(Error::UserDeactivated(owner.email.clone()));
            }
            let now = tx.now();
            let held = tx
                .values::<ManagementToken>(Table::ManagementTokens)
                .filter(|t| t.as_ref().map_or(true, |t| t.user_id == owner.id && t.works_at(now)))
                .count();
            if held >= MAX_TOKENS_PER_USER {
                return Err(Error::invalid_field(
                    "user",
                    format!("{} already holds {MAX_TOKENS_PER_USER} management tokens — revoke the ones no longer used", owner.email),
                ));
            }
            let secret = Secret::generate(SecretKind::Management);
            let token = ManagementToken {
                id: new_id("mgt_", now),
                user_id: owner.id.clone(),
                name,
                hash: secret.hash(),
                masked: secret.mask(),
                created_at: now,
                expires_at: lifetime.map(|l| now + l),
                revoked_at: None,
            };
            tx.put(Table::ManagementTokens, &token.id, &token)?;
            let event = tx
                .event("management_token", "created")
                .object(&token.id, &token.name)
                .owner(&owner.id)
                .says(format!(
                    "management token '{}' created for {} ({})",
                    token.name,
                    owner.email,
                    token.expires_at.map_or("never expires".to_owned(), |e| format!(
                        "expires {}",
                        crate::model::clock::to_rfc3339(e)
                    ))
                ));
            tx.audit(event)?;
            Ok(CreatedManagementToken {
                view: token.view(owner.owner_view(), now),
                token: ShownSecret(secret),
            })
        })
    }

    /// Management tokens of one site manager, or of everyone; newest first.
    pub fn list_management_tokens(&self, user: Option<&str>) -> Result<Vec<ManagementTokenView>> {
        let only = user.map(|u| find_user(self, u)).transpose()?;
        let now = self.now();
        let mut out = Vec::new();
        for t in self.values::<ManagementToken>(Table::ManagementTokens) {
            let t = t?;
            if only.as_ref().is_some_and(|u| u.id != t.user_id) {
                continue;
            }
            out.push(t.view(self.owner_view_of(&t.user_id)?, now));
        }
        out.reverse();
        Ok(out)
    }

    /// Revokes a management token for good.
    pub fn revoke_management_token(&self, id: &str) -> Result<ManagementTokenView> {
        self.write(|tx| {
            let mut token = find_token(tx, id)?;
            let now = tx.now();
            if token.revoked_at.is_none() {
                token.revoked_at = Some(now);
                tx.put(Table::ManagementTokens, &token.id, &token)?;
                let event = tx
                    .event("management_token", "revoked")
                    .object(&token.id, &token.name)
                    .owner(&token.user_id)
                    .says(format!("management token '{}' revoked", token.name));
                tx.audit(event)?;
            }
            Ok(token.view(self.owner_view_of(&token.user_id)?, now))
        })
    }

    /// The site manager a management token belongs to (for the role checks).
    pub fn management_token_owner(&self, id: &str) -> Result<String> {
        Ok(find_token(self, id)?.user_id)
    }

    /// The actor a presented management token acts as, through `channel`. Anything else —
    /// an API key, a token, a revoked or expired management token, one whose site
    /// manager is deactivated — is `UNAUTHORIZED`, all with the same message.
    pub fn authenticate(&self, presented: &str, channel: &str) -> Result<Actor> {
        let refused = || Error::Unauthorized(UNAUTHORIZED.to_owned());
        if check_format(presented) != Some(SecretKind::Management) {
            return Err(refused());
        }
        let hash = hash_secret(presented);
        let now = self.now();
        let token = self
            .values::<ManagementToken>(Table::ManagementTokens)
            .find_map(|t| t.ok().filter(|t| t.hash == hash))
            .filter(|t| t.works_at(now))
            .ok_or_else(refused)?;
        let user = find_user(self, &token.user_id).map_err(|_| refused())?;
        if !user.active {
            return Err(refused());
        }
        Ok(Actor::user(&user, channel))
    }

    fn owner_view_of(&self, user_id: &str) -> Result<crate::view::users::OwnerView> {
        Ok(match find_user(self, user_id) {
            Ok(u) => u.owner_view(),
            Err(Error::NotFound { .. }) => crate::view::users::OwnerView {
                id: user_id.to_owned(),
                name: String::new(),
                email: String::new(),
            },
            Err(e) => return Err(e),
        })
    }

    /// Whether this computer's owner is to be asked who they are: before anything else in
    /// a new store, once (and "not now" is an answer) in a store that has site managers.
    pub fn owner_question(&self) -> Result<OwnerQuestion> {
        if self.owner_asked() {
            return Ok(OwnerQuestion::Answered);
        }
        Ok(if self.is_empty(Table::Users)? {
            OwnerQuestion::Required
        } else {
            OwnerQuestion::Once
        })
    }

    /// The owner would rather not say who they are: not asked again; local changes stay
    /// audited by channel only.
    pub fn decline_ownership(&self) -> Result<()> {
        if self.owner_asked() {
            return Ok(());
        }
        self.write(|tx| {
            tx.put_raw(Table::Meta, OWNER_KEY, Vec::new());
            Ok(())
        })
    }

    /// Records who owns this store on this computer: the site manager with `new.email`
    /// (who must be an admin), or a new admin. Local actions are audited as them from
    /// then on. Refused once an owner is recorded.
    pub fn claim_ownership(&self, new: NewUser) -> Result<UserView> {
        if self.owner_id().is_some() {
            return Err(Error::invalid(
                "this store already knows its owner — edit them under Site managers",
            ));
        }
        let existing = match find_user(self, &new.email) {
            Ok(u) => Some(u),
            Err(Error::NotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        let user: User = match existing {
            Some(u) if u.role != Role::Admin => {
                return Err(Error::invalid_field(
                    "email",
                    format!("{} is a manager, not an admin — use your own email, or ask an admin to add you as one", u.email),
                ))
            }
            Some(u) => u,
            None => {
                let view = self.add_user(NewUser {
                    admin: true,
                    ..new
                })?;
                find_user(self, &view.id)?
            }
        };
        self.write(|tx| {
            tx.put_raw(Table::Meta, OWNER_KEY, user.id.as_bytes());
            let event = tx
                .event("user", "updated")
                .object(&user.id, &user.name)
                .owner(&user.id)
                .says(format!(
                    "{} <{}> is this computer's owner",
                    user.name, user.email
                ));
            tx.audit(event)
        })?;
        self.user_view(&user.id)
    }
}
