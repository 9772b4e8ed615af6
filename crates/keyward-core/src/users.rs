//! Site managers: the people keys belong to. Emails are unique case-insensitively; API
//! access is on by default for admins and off for managers.

use serde::{Deserialize, Serialize};

use crate::clock::{to_rfc3339, Millis};
use crate::error::{Error, Result};
use crate::ids::new_id;
use crate::store::{Changes, Store, T};
use crate::validate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Admin,
    Manager,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
    pub api_access: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A user as every front end shows it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct UserView {
    pub id: String,
    pub name: String,
    pub email: String,
    #[cfg_attr(feature = "ts", ts(type = "\"admin\" | \"manager\""))]
    pub role: &'static str,
    pub active: bool,
    pub api_access: bool,
    pub created_at: String,
    /// Keys that are not revoked.
    pub keys: usize,
}

/// The owner as embedded in key and verification answers.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct OwnerView {
    pub id: String,
    pub name: String,
    pub email: String,
}

impl User {
    pub fn owner_view(&self) -> OwnerView {
        OwnerView {
            id: self.id.clone(),
            name: self.name.clone(),
            email: self.email.clone(),
        }
    }

    fn view(&self, keys: usize) -> UserView {
        UserView {
            id: self.id.clone(),
            name: self.name.clone(),
            email: self.email.clone(),
            role: self.role.as_str(),
            active: self.active,
            api_access: self.api_access,
            created_at: to_rfc3339(self.created_at),
            keys,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub name: String,
    pub email: String,
    pub admin: bool,
}

#[derive(Debug, Clone, Default)]
pub struct UserEdit {
    pub name: Option<String>,
    pub email: Option<String>,
}

/// What `clear-keys` did.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ClearReport {
    pub user: UserView,
    pub keys_revoked: usize,
    pub tokens_revoked: usize,
}

impl Store {
    pub fn add_user(&self, new: NewUser) -> Result<UserView> {
        let name = validate::name("site manager", &new.name, 100)?;
        let email = validate::email(&new.email)?;
        let _g = self.write_guard();
        if self.tree(T::Emails).contains_key(email.to_lowercase())? {
            return Err(Error::EmailTaken(email));
        }
        let now = self.now();
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
        let mut ch = Changes::default();
        ch.put(T::Users, &user.id, &user)?;
        ch.put_raw(
            T::Emails,
            user.email.to_lowercase(),
            user.id.as_bytes().to_vec(),
        );
        ch.audit(&self.user_event(
            &user,
            "created",
            format!(
                "added {} <{}> as {}, API access {}",
                user.name,
                user.email,
                role.as_str(),
                on_off(user.api_access)
            ),
        ))?;
        self.commit(ch)?;
        Ok(user.view(0))
    }

    /// Finds a user by id (`usr_…`) or by email (any case).
    pub fn user(&self, id_or_email: &str) -> Result<User> {
        let needle = id_or_email.trim();
        // Ids never contain '@'; an email may well start with "usr_".
        let id = if needle.starts_with("usr_") && !needle.contains('@') {
            needle.to_owned()
        } else {
            match self.tree(T::Emails).get(needle.to_lowercase())? {
                Some(id) => String::from_utf8_lossy(&id).into_owned(),
                None => return Err(Error::not_found("site manager", needle)),
            }
        };
        self.get(T::Users, &id)?
            .ok_or_else(|| Error::not_found("site manager", needle))
    }

    pub fn user_view(&self, id_or_email: &str) -> Result<UserView> {
        let user = self.user(id_or_email)?;
        let counts = self.key_counts_by_owner()?;
        Ok(user.view(counts.get(&user.id).copied().unwrap_or(0)))
    }

    pub fn list_users(&self) -> Result<Vec<UserView>> {
        let counts = self.key_counts_by_owner()?;
        let mut users = self
            .values::<User>(T::Users)
            .map(|u| u.map(|u| u.view(counts.get(&u.id).copied().unwrap_or(0))))
            .collect::<Result<Vec<_>>>()?;
        users.sort_by_key(|u| u.name.to_lowercase());
        Ok(users)
    }

    pub fn edit_user(&self, id_or_email: &str, edit: UserEdit) -> Result<UserView> {
        let name = edit
            .name
            .as_deref()
            .map(|n| validate::name("site manager", n, 100))
            .transpose()?;
        let email = edit.email.as_deref().map(validate::email).transpose()?;
        let _g = self.write_guard();
        let mut user = self.user(id_or_email)?;
        let mut ch = Changes::default();
        let mut said = Vec::new();
        if let Some(email) = email {
            if email.to_lowercase() != user.email.to_lowercase() {
                if self.tree(T::Emails).contains_key(email.to_lowercase())? {
                    return Err(Error::EmailTaken(email));
                }
                ch.del(T::Emails, user.email.to_lowercase());
                ch.put_raw(T::Emails, email.to_lowercase(), user.id.as_bytes().to_vec());
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
        if said.is_empty() {
            drop(_g);
            return self.user_view(&user.id);
        }
        user.updated_at = self.now();
        ch.put(T::Users, &user.id, &user)?;
        ch.audit(&self.user_event(&user, "updated", said.join("; ")))?;
        self.commit(ch)?;
        drop(_g);
        self.user_view(&user.id)
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
        {
            let _g = self.write_guard();
            let mut user = self.user(id_or_email)?;
            if let Some(summary) = change(&mut user) {
                user.updated_at = self.now();
                let mut ch = Changes::default();
                ch.put(T::Users, &user.id, &user)?;
                ch.audit(&self.user_event(&user, "updated", summary))?;
                self.commit(ch)?;
            }
        }
        self.user_view(id_or_email)
    }

    /// Revokes every key and token of the user for good and turns API access off.
    pub fn clear_user_keys(&self, id_or_email: &str) -> Result<ClearReport> {
        let (keys_revoked, tokens_revoked, id) = {
            let _g = self.write_guard();
            let mut user = self.user(id_or_email)?;
            let now = self.now();
            let mut ch = Changes::default();
            let mut keys_revoked = 0;
            let mut tokens_revoked = 0;
            let mut key_ids = std::collections::HashSet::new();
            for key in self.values::<crate::keys::ApiKey>(T::Keys) {
                let mut key = key?;
                if key.owner != user.id {
                    continue;
                }
                key_ids.insert(key.id.clone());
                if key.revoked_at.is_none() {
                    key.revoked_at = Some(now);
                    key.graces.clear();
                    key.updated_at = now;
                    ch.put(T::Keys, &key.id, &key)?;
                    keys_revoked += 1;
                }
            }
            for token in self.values::<crate::tokens::Token>(T::Tokens) {
                let mut token = token?;
                if key_ids.contains(&token.key_id) && token.revoked_at.is_none() {
                    token.revoked_at = Some(now);
                    ch.put(T::Tokens, &token.id, &token)?;
                    tokens_revoked += 1;
                }
            }
            user.api_access = false;
            user.updated_at = now;
            ch.put(T::Users, &user.id, &user)?;
            ch.audit(&self.user_event(
                &user,
                "keys_cleared",
                format!(
                    "cleared API keys: {keys_revoked} key(s) and {tokens_revoked} token(s) revoked for good, API access off"
                ),
            ))?;
            self.commit(ch)?;
            (keys_revoked, tokens_revoked, user.id)
        };
        Ok(ClearReport {
            user: self.user_view(&id)?,
            keys_revoked,
            tokens_revoked,
        })
    }

    fn user_event(&self, user: &User, op: &str, summary: String) -> crate::audit::AuditEvent {
        self.audit_event("user", op, &user.id, &user.email, Some(&user.id), summary)
    }
}

fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}
