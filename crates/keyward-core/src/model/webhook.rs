//! Webhook subscriptions and their policy: which events they receive, the message
//! bodies, Standard Webhooks signatures, the retry schedule.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::model::audit::AuditEvent;
use crate::model::clock::{to_rfc3339, Millis, DAY, HOUR, MINUTE, SECOND};
use crate::model::ids::new_id;
use crate::model::user::User;

pub const ENTITIES: [&str; 3] = ["api_key", "token", "user"];
pub const OPERATIONS: [&str; 9] = [
    "created",
    "updated",
    "deleted",
    "restored",
    "regenerated",
    "revoked",
    "expired",
    "expiring",
    "*",
];

/// Waits before each retry (after the first failed attempt, the second, …); then daily.
const BACKOFF: [Millis; 6] = [
    5 * SECOND,
    5 * MINUTE,
    30 * MINUTE,
    2 * HOUR,
    5 * HOUR,
    10 * HOUR,
];
/// A message is given up once its next attempt would fall later than this after it was queued.
pub const GIVE_UP_AFTER: Millis = 3 * DAY;
/// Delivery log entries kept per subscription.
pub(crate) const LOG_KEEP: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    pub id: String,
    pub user_id: String,
    pub url: String,
    pub entity: String,
    pub operation: String,
    pub active: bool,
    pub allow_private: bool,
    /// The signing secret, sealed under the master key (associated data: the webhook id).
    pub sealed_secret: Vec<u8>,
    pub masked_secret: String,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// Why Keyward turned it off by itself (a receiver answered 410 Gone).
    pub off_reason: Option<String>,
}

impl Webhook {
    pub(crate) fn matches(&self, entity: &str, operation: &str) -> bool {
        self.active
            && self.entity == entity
            && (self.operation == "*" || self.operation == operation)
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct NewWebhook {
    /// A user id or email.
    pub user: String,
    pub url: String,
    pub entity: String,
    pub operation: String,
    pub allow_private: bool,
}

crate::model::text_enum::text_enum! {
    /// Whether a subscription sends: on, or off (by hand or after a 410 Gone).
    pub enum WebhookState {
        On = "on",
        Off = "off",
    }
}

crate::model::text_enum::text_enum! {
    /// How one delivery attempt ended.
    pub enum DeliveryOutcome {
        Delivered = "delivered",
        Retrying = "retrying",
        Failed = "failed",
        Dropped = "dropped",
        TurnedOff = "turned_off",
    }
}

impl DeliveryOutcome {
    /// The outcome a delivery log entry stored as text.
    pub fn from_stored(text: &str) -> Option<DeliveryOutcome> {
        DeliveryOutcome::ALL
            .iter()
            .copied()
            .find(|o| o.as_str() == text)
    }
}

/// A message waiting in the outbox: the body is fixed when it is queued, so every
/// attempt sends the same bytes under the same `webhook-id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OutboxMessage {
    pub id: String,
    pub webhook_id: String,
    pub event_type: String,
    pub body: String,
    pub created_at: Millis,
    pub attempts: u32,
    pub next_attempt_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DeliveryRecord {
    pub id: String,
    pub webhook_id: String,
    pub message_id: String,
    pub event_type: String,
    pub attempt: u32,
    pub at: Millis,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub outcome: String,
    pub next_retry_at: Option<Millis>,
}

impl OutboxMessage {
    /// A message for `w`, due at once.
    pub fn new(w: &Webhook, event_type: &str, body: String, at: Millis) -> OutboxMessage {
        OutboxMessage {
            id: new_id("msg_", at),
            webhook_id: w.id.clone(),
            event_type: event_type.to_owned(),
            body,
            created_at: at,
            attempts: 0,
            next_attempt_at: at,
        }
    }
}

/// How one attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The receiver answered 2xx.
    Delivered { status: u16 },
    /// The receiver answered 410 Gone: the subscription is turned off.
    Gone,
    /// Any other answer, or no answer. `retry_after` is the receiver's Retry-After.
    Failed {
        status: Option<u16>,
        error: String,
        retry_after: Option<Millis>,
    },
}

/// What an attempt led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptResult {
    Delivered,
    RetryAt(Millis),
    GaveUp,
    TurnedOff,
}

/// The event types a subscription can receive: audit operations that change something.
pub(crate) fn webhook_operation(entity: &str, operation: &str) -> Option<&'static str> {
    if !ENTITIES.contains(&entity) {
        return None;
    }
    Some(match operation {
        "created" => "created",
        "updated" | "kept" => "updated",
        "deleted" => "deleted",
        // Brought back from Recently deleted.
        "restored" => "restored",
        "regenerated" => "regenerated",
        "revoked" => "revoked",
        "expired" => "expired",
        // Each reminder: the key will be deleted for inactivity, or the token expire.
        "reminder" => "expiring",
        _ => return None,
    })
}

pub(crate) fn event_body(event_type: &str, at: Millis, data: serde_json::Value) -> String {
    serde_json::json!({
        "type": event_type,
        "timestamp": to_rfc3339(at),
        "data": data,
    })
    .to_string()
}

pub(crate) fn audit_data(e: &AuditEvent) -> serde_json::Value {
    let mut data = serde_json::json!({
        "id": e.object_id,
        "name": e.object_name,
        "user_id": e.user_id,
        "actor": e.actor,
        "summary": e.summary,
        "audit_event_id": e.id,
    });
    if e.entity == "token" {
        // Token events name the key they belong to.
        if let Some(key_id) = &e.key_id {
            data["key_id"] = key_id.clone().into();
        }
        data["key_name"] = e.object_name.clone().into();
    }
    data
}

/// The Standard Webhooks signature of one attempt: `v1,` + base64 HMAC-SHA256 of
/// `{id}.{timestamp}.{body}`, keyed with the bytes after `whsec_`.
pub fn sign(secret: &str, message_id: &str, timestamp: i64, body: &str) -> Result<String> {
    let raw = secret.strip_prefix("whsec_").unwrap_or(secret);
    let key = Zeroizing::new(
        B64.decode(raw)
            .map_err(|_| Error::Corrupt("a webhook signing secret is not base64".into()))?,
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(&key)
        .map_err(|_| Error::Corrupt("a webhook signing secret has a bad length".into()))?;
    mac.update(format!("{message_id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    Ok(format!("v1,{}", B64.encode(mac.finalize().into_bytes())))
}

pub(crate) fn new_secret() -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng.fill_bytes(bytes.as_mut());
    Zeroizing::new(format!("whsec_{}", B64.encode(bytes.as_ref())))
}

pub(crate) fn mask_secret(s: &str) -> String {
    // The base64 padding says nothing: show four characters of the secret itself.
    let tail: String = s
        .trim_end_matches('=')
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("whsec_…{tail}")
}

/// When to try again after `attempts` failed attempts of a message queued at `created_at`.
pub fn next_attempt_at(
    created_at: Millis,
    attempts: u32,
    now: Millis,
    retry_after: Option<Millis>,
) -> Option<Millis> {
    let scheduled = BACKOFF
        .get(attempts.saturating_sub(1) as usize)
        .copied()
        .unwrap_or(DAY);
    let wait = match retry_after {
        Some(ra) => ra.clamp(SECOND, DAY),
        None => scheduled,
    };
    let at = now + wait;
    (at <= created_at + GIVE_UP_AFTER).then_some(at)
}

pub(crate) fn user_block(user: &User) -> Option<String> {
    if !user.active {
        Some(format!("{} is deactivated", user.email))
    } else if !user.api_access {
        Some(format!("API access is off for {}", user.email))
    } else {
        None
    }
}

pub(crate) fn check_choice(what: &'static str, value: &str, allowed: &[&str]) -> Result<String> {
    let v = value.trim().to_ascii_lowercase();
    if allowed.contains(&v.as_str()) {
        Ok(v)
    } else {
        Err(Error::invalid_field(
            what,
            format!(
                "'{}' is not a webhook {what} — use one of {}",
                value.trim(),
                allowed.join(", ")
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_follows_standard_webhooks() {
        // HMAC-SHA256 keyed with the decoded secret over "id.timestamp.body".
        let secret = format!("whsec_{}", B64.encode([7u8; 32]));
        let sig = sign(&secret, "msg_1", 1_700_000_000, r#"{"a":1}"#).unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(&[7u8; 32]).unwrap();
        mac.update(br#"msg_1.1700000000.{"a":1}"#);
        assert_eq!(
            sig,
            format!("v1,{}", B64.encode(mac.finalize().into_bytes()))
        );
        assert_ne!(
            sig,
            sign(&secret, "msg_1", 1_700_000_000, r#"{"a":2}"#).unwrap()
        );
        assert_ne!(
            sig,
            sign(&secret, "msg_2", 1_700_000_000, r#"{"a":1}"#).unwrap()
        );
    }

    #[test]
    fn secrets_are_whsec_and_32_random_bytes() {
        let a = new_secret();
        let b = new_secret();
        assert!(a.starts_with("whsec_"));
        assert_eq!(B64.decode(&a[6..]).unwrap().len(), 32);
        assert_ne!(*a, *b);
        assert_eq!(
            mask_secret(&a).chars().count(),
            "whsec_…".chars().count() + 4
        );
    }

    #[test]
    fn backoff_follows_the_schedule_then_daily_then_gives_up() {
        let t0 = 1_000_000;
        let mut now = t0;
        let mut waits = Vec::new();
        let mut attempts = 1;
        while let Some(at) = next_attempt_at(t0, attempts, now, None) {
            waits.push(at - now);
            now = at;
            attempts += 1;
        }
        assert_eq!(
            waits,
            vec![
                5 * SECOND,
                5 * MINUTE,
                30 * MINUTE,
                2 * HOUR,
                5 * HOUR,
                10 * HOUR,
                DAY,
                DAY
            ]
        );
        assert!(now - t0 <= GIVE_UP_AFTER);
    }

    #[test]
    fn retry_after_replaces_the_schedule_within_bounds() {
        assert_eq!(
            next_attempt_at(0, 1, 0, Some(120 * SECOND)),
            Some(120 * SECOND)
        );
        assert_eq!(next_attempt_at(0, 1, 0, Some(0)), Some(SECOND));
        assert_eq!(next_attempt_at(0, 1, 0, Some(10 * DAY)), Some(DAY));
    }

    #[test]
    fn only_changes_and_reminders_become_events() {
        assert_eq!(webhook_operation("api_key", "created"), Some("created"));
        assert_eq!(webhook_operation("api_key", "kept"), Some("updated"));
        assert_eq!(webhook_operation("token", "revoked"), Some("revoked"));
        assert_eq!(webhook_operation("api_key", "copied"), None);
        assert_eq!(webhook_operation("api_key", "reminder"), Some("expiring"));
        assert_eq!(webhook_operation("token", "reminder"), Some("expiring"));
        assert_eq!(webhook_operation("location", "created"), None);
        assert_eq!(webhook_operation("webhook", "created"), None);
    }
}
