//! Tokens as the front ends show them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::clock::{to_datetime, Millis};
use crate::model::key::ApiKey;
use crate::model::secret::ShownSecret;
use crate::model::token::{Token, TokenStatus};

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TokenView {
    pub id: String,
    pub key_id: String,
    pub key_name: String,
    pub masked_token: String,
    pub status: TokenStatus,
    #[serde(serialize_with = "crate::view::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::view::time::rfc3339")]
    pub expires_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::view::time::rfc3339_opt")]
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A new token, shown once: the shape `POST /v1/tokens` answers with.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreatedToken {
    pub id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub token: ShownSecret,
    pub key_id: String,
    #[serde(serialize_with = "crate::view::time::rfc3339")]
    pub expires_at: DateTime<Utc>,
}

impl Token {
    /// The token as shown at `now`; `key` is its key, if it still exists.
    pub fn view(&self, key: Option<&ApiKey>, now: Millis, last_used: Option<Millis>) -> TokenView {
        TokenView {
            id: self.id.clone(),
            key_id: self.key_id.clone(),
            key_name: key.map(|k| k.name.clone()).unwrap_or_default(),
            masked_token: self.masked.clone(),
            status: self.status(key, now),
            created_at: to_datetime(self.created_at),
            expires_at: to_datetime(self.expires_at),
            last_used_at: last_used.map(to_datetime),
        }
    }
}
