//! Site managers as the front ends show them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::clock::to_datetime;
use crate::model::user::{Role, User};

/// A user as every front end shows it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct UserView {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
    pub api_access: bool,
    #[serde(serialize_with = "crate::view::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// Keys that are not revoked.
    pub keys: usize,
}

/// The owner as embedded in key and verification answers.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
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

    pub fn view(&self, keys: usize) -> UserView {
        UserView {
            id: self.id.clone(),
            name: self.name.clone(),
            email: self.email.clone(),
            role: self.role,
            active: self.active,
            api_access: self.api_access,
            created_at: to_datetime(self.created_at),
            keys,
        }
    }
}

/// What turning a site manager's API access off, deactivating them or clearing their keys
/// would stop: the keys that work now (newest first) and their live tokens.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Impact {
    pub user: UserView,
    pub keys: Vec<crate::view::keys::KeyView>,
    /// Live tokens of those keys.
    pub tokens: usize,
    /// Of those keys, how many are in use (used in the last 30 days, or with live tokens).
    pub in_use: usize,
}

/// What `clear-keys` did.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ClearReport {
    pub user: UserView,
    pub keys_revoked: usize,
    pub tokens_revoked: usize,
}
