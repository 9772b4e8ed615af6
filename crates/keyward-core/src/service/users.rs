//! Site managers: add, edit, deactivate, API access on or off, clear their keys.

use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::model::audit::AuditEvent;
use crate::model::ids::new_id;
use crate::model::key::{ApiKey, KeyFilter};
use crate::model::token::Token;
use crate::model::user::{NewUser, Role, User, UserEdit};
use crate::model::validate;
use crate::store::{Read, Store, Table, Tx};
use crate::view::keys::KeyView;
use crate::view::users::{ClearReport, Impact, UserView};

/// Finds a user by id (`usr_…`) or by email (any case).
pub(crate) fn find_user(r: &impl Read, id_or_email: &str) -> Result<User> {
    let needle = id_or_email.trim();
    // Ids never contain '@'; an email may well start with "usr_".
    let id = if needle.starts_with("usr_") && !needle.contains('@') {
        needle.to_owned()
    } else {
        match r.get_raw(Table::Emails, needle.to_lowercase().as_bytes())? {
            Some(id) => String::from_utf8_lossy(&id).into_owned(),
            None => return Err(Error::not_found("site manager", needle)),
        }
    };
    r.get(Table::Users, &id)?
        .ok_or_else(|| Error::not_found("site manager", needle))
}

fn user_event(tx: &Tx<'_>, user: &User, op: &str) -> AuditEvent {
    tx.event("user", op)
        .object(&user.id, &user.email)
        .owner(&user.id)
}

fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

impl Store {
    pub fn add_user(&self, new: NewUser) -> Result<UserView> {
        let name = validate::name("site manager", &new.name, validate::NAME_MAX)?;
        let email = validate::email(&new.email)?;
        let user = self.write(|tx| {
            if tx.contains(Table::Emails, email.to_lowercase())? {
                return Err(Error::EmailTaken(email));
            }
            let now = tx.now();
            let role = if new.admin {
                Role::Admin
            } else {
                Role::Manager
            };
            let user = User {
                id: new_id("usr_", now),
                name,
                email,
                role,
                active: true,
                api_access: role == Role::Admin,
                created_at: now,
                updated_at: now,
            };
            tx.put(Table::Users, &user.id, &user)?;
            tx.put_raw(Table::Emails, user.email.to_lowercase(), user.id.as_bytes());
            let summary = format!(
                "added {} <{}> as {}, API access {}",
                user.name,
                user.email,
                role.as_str(),
                on_off(user.api_access)
            );
            tx.audit(user_event(tx, &user, "created").says(summary))?;
            Ok(user)
        })?;
        Ok(user.view(0))
    }

    /// Finds a user by id (`usr_…`) or by email (any case).
    pub fn user(&self, id_or_email: &str) -> Result<User> {
        find_user(self, id_or_email)
    }

    pub fn user_view(&self, id_or_email: &str) -> Result<UserView> {
        let user = self.user(id_or_email)?;
        let counts = self.key_counts_by_owner()?;
        Ok(user.view(counts.get(&user.id).copied().unwrap_or(0)))
    }

    pub fn list_users(&self) -> Result<Vec<UserView>> {
        let counts = self.key_counts_by_owner()?;
        let mut users = self
            .values::<User>(Table::Users)
            .map(|u| u.map(|u| u.view(counts.get(&u.id).copied().unwrap_or(0))))
            .collect::<Result<Vec<_>>>()?;
        users.sort_by_key(|u| u.name.to_lowercase());
        Ok(users)
    }

    pub fn edit_user(&self, id_or_email: &str, edit: UserEdit) -> Result<UserView> {
        let name = edit
            .name
            .as_deref()
            .map(|n| validate::name("site manager", n, validate::NAME_MAX))
            .transpose()?;
        let email = edit.email.as_deref().map(validate::email).transpose()?;
        let id = self.write(|tx| {
            let mut user = find_user(tx, id_or_email)?;
            let mut said = Vec::new();
            if let Some(email) = email {
                if email.to_lowercase() != user.email.to_lowercase() {
                    if tx.contains(Table::Emails, email.to_lowercase())? {
                        return Err(Error::EmailTaken(email));
                    }
                    tx.del(Table::Emails, user.email.to_lowercase());
                    tx.put_raw(Table::Emails, email.to_lowercase(), user.id.as_bytes());
                }
                if email != user.email {
                    said.push(format!("email {} → {}", user.email, email));
                    user.email = email;
                }
            }
            if let Some(name) = name {
                if name != user.name {
                    said.push(format!("name {} → {}", user.name, name));
                    user.name = name;
                }
            }
            if !said.is_empty() {
                user.updated_at = tx.now();
                tx.put(Table::Users, &user.id, &user)?;
                tx.audit(user_event(tx, &user, "updated").says(said.join("; ")))?;
            }
            Ok(user.id)
        })?;
        self.user_view(&id)
    }

    /// Deactivates (their keys and tokens fail with USER_DEACTIVATED) or reactivates.
    pub fn set_user_active(&self, id_or_email: &str, active: bool) -> Result<UserView> {
        self.update_user_flag(id_or_email, |u| {
            if u.active == active {
                return None;
            }
            u.active = active;
            Some(if active {
                "reactivated: their keys work again".to_owned()
            } else {
                "deactivated: their keys and tokens stop working until reactivated".to_owned()
            })
        })
    }

    /// Turns API access on or off (off: their keys fail with API_ACCESS_OFF).
    pub fn set_api_access(&self, id_or_email: &str, on: bool) -> Result<UserView> {
        self.update_user_flag(id_or_email, |u| {
            if u.api_access == on {
                return None;
            }
            u.api_access = on;
            Some(format!("API access {}", on_off(on)))
        })
    }

    fn update_user_flag(
        &self,
        id_or_email: &str,
        change: impl FnOnce(&mut User) -> Option<String>,
    ) -> Result<UserView> {
        self.write(|tx| {
            let mut user = find_user(tx, id_or_email)?;
            if let Some(summary) = change(&mut user) {
                user.updated_at = tx.now();
                tx.put(Table::Users, &user.id, &user)?;
                tx.audit(user_event(tx, &user, "updated").says(summary))?;
            }
            Ok(())
        })?;
        self.user_view(id_or_email)
    }

    /// Revokes every key and token of the user for good and turns API access off.
    pub fn clear_user_keys(&self, id_or_email: &str) -> Result<ClearReport> {
        let (keys_revoked, tokens_revoked, id) = self.write(|tx| {
            let mut user = find_user(tx, id_or_email)?;
            let now = tx.now();
            let mut keys_revoked = 0;
            let mut tokens_revoked = 0;
            let mut key_ids = HashSet::new();
            let keys = tx.values::<ApiKey>(Table::Keys).collect::<Result<Vec<_>>>()?;
            for mut key in keys.into_iter().filter(|k| k.owner == user.id) {
                key_ids.insert(key.id.clone());
                if key.revoked_at.is_none() {
                    key.revoked_at = Some(now);
                    key.graces.clear();
                    key.updated_at = now;
                    tx.put(Table::Keys, &key.id, &key)?;
                    keys_revoked += 1;
                }
            }
            let tokens = tx.values::<Token>(Table::Tokens).collect::<Result<Vec<_>>>()?;
            for mut token in tokens {
                if key_ids.contains(&token.key_id) && token.revoked_at.is_none() {
                    token.revoked_at = Some(now);
                    tx.put(Table::Tokens, &token.id, &token)?;
                    tokens_revoked += 1;
                }
            }
            user.api_access = false;
            user.updated_at = now;
            tx.put(Table::Users, &user.id, &user)?;
            let summary = format!(
                "cleared API keys: {keys_revoked} key(s) and {tokens_revoked} token(s) revoked for good, API access off"
            );
            tx.audit(user_event(tx, &user, "keys_cleared").says(summary))?;
            Ok((keys_revoked, tokens_revoked, user.id))
        })?;
        Ok(ClearReport {
            user: self.user_view(&id)?,
            keys_revoked,
            tokens_revoked,
        })
    }
}

impl Store {
    /// What turning `user`'s API access off, deactivating them or clearing their keys
    /// would stop: their keys that work now, and those keys' live tokens.
    pub fn user_impact(&self, id_or_email: &str) -> Result<Impact> {
        let user = self.user_view(id_or_email)?;
        let keys: Vec<KeyView> = self.list_keys(&KeyFilter {
            owner: Some(user.id.clone()),
            status: Some("active".into()),
            ..Default::default()
        })?;
        Ok(Impact {
            tokens: keys.iter().map(|k| k.live_tokens).sum(),
            in_use: keys.iter().filter(|k| k.in_use).count(),
            keys,
            user,
        })
    }
}
