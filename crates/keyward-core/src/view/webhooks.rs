//! Webhooks as the front ends show them, and a message due for delivery.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::model::webhook::{DeliveryOutcome, WebhookState};

/// A subscription as every front end shows it. Never carries the signing secret.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct WebhookView {
    pub id: String,
    pub user_id: String,
    /// The site manager's name, as the screens show them.
    pub user_name: String,
    pub user_email: String,
    pub url: String,
    pub entity: String,
    pub operation: String,
    pub status: WebhookState,
    pub allow_private: bool,
    pub masked_secret: String,
    #[serde(serialize_with = "crate::view::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// Why Keyward turned it off by itself.
    pub off_reason: Option<String>,
    /// Why nothing is sent although it is on (its site manager is deactivated or has API
    /// access off).
    pub paused_reason: Option<String>,
    /// Messages waiting for delivery or a retry.
    pub pending: usize,
}

/// A new subscription with its signing secret, shown in full this once.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(flatten))]
    pub view: WebhookView,
    pub secret: String,
}

/// One line of a subscription's delivery log, newest first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeliveryView {
    pub id: String,
    #[serde(serialize_with = "crate::view::time::rfc3339")]
    pub at: DateTime<Utc>,
    pub message_id: String,
    pub event_type: String,
    pub attempt: u32,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub outcome: DeliveryOutcome,
    #[serde(serialize_with = "crate::view::time::rfc3339_opt")]
    pub next_retry_at: Option<DateTime<Utc>>,
}

/// A message that is due now, with what it takes to send it.
#[derive(Debug, Clone)]
pub struct DueMessage {
    pub message_id: String,
    pub webhook_id: String,
    pub url: String,
    pub allow_private: bool,
    pub event_type: String,
    pub body: String,
    /// The attempt this will be (1 for the first).
    pub attempt: u32,
    pub secret: Zeroizing<String>,
}
