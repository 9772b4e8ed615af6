//! Management tokens and the acting site manager, as the front ends show them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::clock::{to_datetime, Millis};
use crate::model::management::ManagementToken;
use crate::model::secret::ShownSecret;
use crate::view::users::{OwnerView, UserView};

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ManagementTokenView {
    pub id: String,
    pub name: String,
    /// The site manager the token acts as.
    pub owner: OwnerView,
    pub masked_token: String,
    /// `active`, `expired` or `revoked`.
    pub status: String,
    #[serde(serialize_with = "crate::view::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::view::time::rfc3339_opt")]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A new management token, shown once.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreatedManagementToken {
    #[serde(flatten)]
    pub view: ManagementTokenView,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub token: ShownSecret,
}

/// Who a management token (or the local owner) acts as.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Session {
    /// The acting site manager; `null` for a store's local owner who has not said who
    /// they are.
    pub user: Option<UserView>,
    /// `admin` (may do everything) or `manager` (their own keys, tokens and webhooks).
    pub role: String,
    /// Where the store is: `this computer` or the server's address.
    pub store: String,
}

impl ManagementToken {
    pub fn view(&self, owner: OwnerView, now: Millis) -> ManagementTokenView {
        ManagementTokenView {
            id: self.id.clone(),
            name: self.name.clone(),
            owner,
            masked_token: self.masked.clone(),
            status: self.status(now).to_owned(),
            created_at: to_datetime(self.created_at),
            expires_at: self.expires_at.map(to_datetime),
        }
    }
}
