//! Webhook subscriptions per site manager, and the outbox their events wait in.
//!
//! An event enters the outbox in the same transaction as the change it announces:
//! `Store::commit` hands every audit event of a commit to `fan_out`, which adds one
//! outbox message per matching subscription. A change is never acknowledged without its
//! events, and a crash loses neither. Sending (HTTP, URL rules at connect time) lives in
//! `keyward-http`; this module says what is due, signs, records each attempt and
//! schedules the next one. Retries keep the message id, so receivers can de-duplicate.

use std::collections::HashMap;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::audit::AuditEvent;
use crate::clock::{to_rfc3339, Millis, DAY, HOUR, MINUTE, SECOND};
use crate::error::{Error, Result};
use crate::ids::new_id;
use crate::seal;
use crate::secret::Secret;
use crate::store::{Changes, Store, T};
use crate::users::User;
use crate::webhook_url;

pub const ENTITIES: [&str; 3] = ["api_key", "token", "user"];
pub const OPERATIONS: [&str; 7] = [
    "created",
    "updated",
    "deleted",
    "regenerated",
    "revoked",
    "expired",
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
const LOG_KEEP: usize = 100;

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
    fn matches(&self, entity: &str, operation: &str) -> bool {
        self.active
            && self.entity == entity
            && (self.operation == "*" || self.operation == operation)
    }
}

/// A subscription as every front end shows it. Never carries the signing secret.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct WebhookView {
    pub id: String,
    pub user_id: String,
    pub user_email: String,
    pub url: String,
    pub entity: String,
    pub operation: String,
    #[cfg_attr(feature = "ts", ts(type = "\"on\" | \"off\""))]
    pub status: &'static str,
    pub allow_private: bool,
    pub masked_secret: String,
    pub created_at: String,
    /// Why Keyward turned it off by itself.
    pub off_reason: Option<String>,
    /// Why nothing is sent although it is on (its site manager is deactivated or has API
    /// access off).
    pub paused_reason: Option<String>,
    /// Messages waiting for delivery or a retry.
    pub pending: usize,
}

/// A new subscription with its signing secret, shown in full this once.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(flatten))]
    pub view: WebhookView,
    pub secret: String,
}

#[derive(Debug, Clone, Default)]
pub struct NewWebhook {
    /// A user id or email.
    pub user: String,
    pub url: String,
    pub entity: String,
    pub operation: String,
    pub allow_private: bool,
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
struct DeliveryRecord {
    id: String,
    webhook_id: String,
    message_id: String,
    event_type: String,
    attempt: u32,
    at: Millis,
    status_code: Option<u16>,
    error: Option<String>,
    outcome: String,
    next_retry_at: Option<Millis>,
}

/// One line of a subscription's delivery log, newest first.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DeliveryView {
    pub id: String,
    pub at: String,
    pub message_id: String,
    pub event_type: String,
    pub attempt: u32,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    #[cfg_attr(
        feature = "ts",
        ts(type = "\"delivered\" | \"retrying\" | \"failed\" | \"dropped\" | \"turned_off\"")
    )]
    pub outcome: String,
    pub next_retry_at: Option<String>,
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
fn webhook_operation(entity: &str, operation: &str) -> Option<&'static str> {
    if !ENTITIES.contains(&entity) {
        return None;
    }
    Some(match operation {
        "created" => "created",
        "updated" | "kept" => "updated",
        "deleted" => "deleted",
        "regenerated" => "regenerated",
        "revoked" => "revoked",
        "expired" => "expired",
        _ => return None,
    })
}

fn event_body(event_type: &str, at: Millis, data: serde_json::Value) -> String {
    serde_json::json!({
        "type": event_type,
        "timestamp": to_rfc3339(at),
        "data": data,
    })
    .to_string()
}

fn audit_data(e: &AuditEvent) -> serde_json::Value {
    let mut data = serde_json::json!({
        "id": e.object_id,
        "name": e.object_name,
        "user_id": e.user_id,
        "actor": e.actor,
        "summary": e.summary,
        "audit_event_id": e.id,
    });
    if e.entity == "token" {
        // Token events name the key they belong to, the audit summary ends with its id.
        if let Some(key_id) = e
            .summary
            .rsplit_once("[key_")
            .and_then(|(_, rest)| rest.strip_suffix(']'))
        {
            data["key_id"] = format!("key_{key_id}").into();
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

fn new_secret() -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng.fill_bytes(bytes.as_mut());
    Zeroizing::new(format!("whsec_{}", B64.encode(bytes.as_ref())))
}

fn mask_secret(s: &str) -> String {
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

fn user_block(user: &User) -> Option<String> {
    if !user.active {
        Some(format!("{} is deactivated", user.email))
    } else if !user.api_access {
        Some(format!("API access is off for {}", user.email))
    } else {
        None
    }
}

fn check_choice(what: &str, value: &str, allowed: &[&str]) -> Result<String> {
    let v = value.trim().to_ascii_lowercase();
    if allowed.contains(&v.as_str()) {
        Ok(v)
    } else {
        Err(Error::invalid(format!(
            "'{}' is not a webhook {what} — use one of {}",
            value.trim(),
            allowed.join(", ")
        )))
    }
}

impl Store {
    fn webhook(&self, id: &str) -> Result<Webhook> {
        self.get(T::Webhooks, id.trim())?
            .ok_or_else(|| Error::not_found("webhook", id.trim()))
    }

    fn pending_by_webhook(&self) -> Result<HashMap<String, usize>> {
        let mut out = HashMap::new();
        for m in self.values::<OutboxMessage>(T::Outbox) {
            *out.entry(m?.webhook_id).or_insert(0) += 1;
        }
        Ok(out)
    }

    fn webhook_view_with(&self, w: &Webhook, pending: usize) -> Result<WebhookView> {
        let user: Option<User> = self.get(T::Users, &w.user_id)?;
        Ok(WebhookView {
            id: w.id.clone(),
            user_id: w.user_id.clone(),
            user_email: user.as_ref().map(|u| u.email.clone()).unwrap_or_default(),
            url: w.url.clone(),
            entity: w.entity.clone(),
            operation: w.operation.clone(),
            status: if w.active { "on" } else { "off" },
            allow_private: w.allow_private,
            masked_secret: w.masked_secret.clone(),
            created_at: to_rfc3339(w.created_at),
            off_reason: w.off_reason.clone(),
            paused_reason: user.as_ref().and_then(user_block),
            pending,
        })
    }

    pub fn webhook_view(&self, id: &str) -> Result<WebhookView> {
        let w = self.webhook(id)?;
        let pending = self.pending_by_webhook()?.get(&w.id).copied().unwrap_or(0);
        self.webhook_view_with(&w, pending)
    }

    fn webhook_event(&self, w: &Webhook, op: &str, summary: String) -> AuditEvent {
        self.audit_event("webhook", op, &w.id, &w.url, Some(&w.user_id), summary)
    }

    pub fn add_webhook(&self, new: NewWebhook) -> Result<CreatedWebhook> {
        let url = webhook_url::check_url(&new.url, new.allow_private)?;
        let entity = check_choice("entity", &new.entity, &ENTITIES)?;
        let operation = check_choice("operation", &new.operation, &OPERATIONS)?;
        let _g = self.write_guard();
        let user = self.user(&new.user)?;
        let master = self.master_key()?;
        let now = self.now();
        let id = new_id("whk_", now);
        let secret = new_secret();
        let w = Webhook {
            sealed_secret: seal::seal(master, &id, secret.as_bytes()),
            masked_secret: mask_secret(&secret),
            id,
            user_id: user.id.clone(),
            url: url.to_string(),
            entity,
            operation,
            active: true,
            allow_private: new.allow_private,
            created_at: now,
            updated_at: now,
            off_reason: None,
        };
        let mut ch = Changes::default();
        ch.put(T::Webhooks, &w.id, &w)?;
        ch.audit(&self.webhook_event(
            &w,
            "created",
            format!(
                "subscribed {} to {}.{} events of {}{}",
                w.url,
                w.entity,
                w.operation,
                user.email,
                if w.allow_private {
                    " (private targets allowed)"
                } else {
                    ""
                }
            ),
        ))?;
        self.commit(ch)?;
        drop(_g);
        Ok(CreatedWebhook {
            view: self.webhook_view(&w.id)?,
            secret: secret.to_string(),
        })
    }

    /// Subscriptions, oldest first; only one site manager's when `user` is given.
    pub fn list_webhooks(&self, user: Option<&str>) -> Result<Vec<WebhookView>> {
        let user_id = match user.map(str::trim).filter(|u| !u.is_empty()) {
            Some(u) => Some(self.user(u)?.id),
            None => None,
        };
        let pending = self.pending_by_webhook()?;
        let mut out = Vec::new();
        for w in self.values::<Webhook>(T::Webhooks) {
            let w = w?;
            if user_id.as_ref().is_some_and(|u| *u != w.user_id) {
                continue;
            }
            out.push(self.webhook_view_with(&w, pending.get(&w.id).copied().unwrap_or(0))?);
        }
        Ok(out)
    }

    /// Turns a subscription on or off. Off sends nothing: what was waiting is dropped.
    pub fn set_webhook_active(&self, id: &str, on: bool) -> Result<WebhookView> {
        {
            let _g = self.write_guard();
            let mut w = self.webhook(id)?;
            if w.active != on {
                let now = self.now();
                w.active = on;
                w.updated_at = now;
                if on {
                    w.off_reason = None;
                }
                let mut ch = Changes::default();
                ch.put(T::Webhooks, &w.id, &w)?;
                if !on {
                    self.drop_pending(&mut ch, &w.id, None, "the webhook was turned off")?;
                }
                ch.audit(&self.webhook_event(
                    &w,
                    "updated",
                    format!("turned webhook {} {}", w.url, if on { "on" } else { "off" }),
                ))?;
                self.commit(ch)?;
            }
        }
        self.webhook_view(id)
    }

    /// Removes a subscription, its waiting messages and its delivery log.
    pub fn remove_webhook(&self, id: &str) -> Result<WebhookView> {
        let _g = self.write_guard();
        let w = self.webhook(id)?;
        let view = self.webhook_view_with(&w, 0)?;
        let mut ch = Changes::default();
        ch.del(T::Webhooks, &w.id);
        for m in self.values::<OutboxMessage>(T::Outbox) {
            let m = m?;
            if m.webhook_id == w.id {
                ch.del(T::Outbox, &m.id);
            }
        }
        for k in self
            .tree(T::Deliveries)
            .scan_prefix(format!("{}/", w.id))
            .keys()
        {
            ch.del(T::Deliveries, k?);
        }
        ch.audit(&self.webhook_event(&w, "deleted", format!("removed webhook {}", w.url)))?;
        self.commit(ch)?;
        Ok(view)
    }

    /// The signing secret in full, for an explicit reveal. Audited.
    pub fn reveal_webhook_secret(&self, id: &str) -> Result<Secret> {
        let w = self.webhook(id)?;
        let mut secret = self.open_webhook_secret(&w)?;
        let _g = self.write_guard();
        let mut ch = Changes::default();
        ch.audit(&self.webhook_event(
            &w,
            "revealed",
            format!("revealed the signing secret of webhook {}", w.url),
        ))?;
        self.commit(ch)?;
        Ok(Secret::from_text(std::mem::take(&mut *secret)))
    }

    fn open_webhook_secret(&self, w: &Webhook) -> Result<Zeroizing<String>> {
        let plain = seal::open(self.master_key()?, &w.id, &w.sealed_secret).ok_or_else(|| {
            Error::Corrupt(format!(
                "the signing secret of webhook {} cannot be opened",
                w.id
            ))
        })?;
        let text = std::str::from_utf8(&plain)
            .map_err(|_| Error::Corrupt(format!("the signing secret of {} is not text", w.id)))?;
        Ok(Zeroizing::new(text.to_owned()))
    }

    /// Queues a `webhook.test` event for one subscription.
    pub fn test_webhook(&self, id: &str) -> Result<WebhookView> {
        {
            let _g = self.write_guard();
            let w = self.webhook(id)?;
            if !w.active {
                return Err(Error::WebhookOff(w.url.clone()));
            }
            let user = self.user(&w.user_id)?;
            crate::keys::refuse_blocked_owner(&user)?;
            let now = self.now();
            let body = event_body(
                "webhook.test",
                now,
                serde_json::json!({
                    "webhook_id": w.id,
                    "user_id": w.user_id,
                    "message": "A test event from Keyward: this webhook is set up.",
                }),
            );
            let mut ch = Changes::default();
            queue(&mut ch, &w, "webhook.test", body, now)?;
            ch.audit(&self.webhook_event(
                &w,
                "tested",
                format!("sent a test event to webhook {}", w.url),
            ))?;
            self.commit(ch)?;
        }
        self.webhook_view(id)
    }

    /// The delivery log of one subscription, newest first.
    pub fn webhook_deliveries(&self, id: &str, limit: usize) -> Result<Vec<DeliveryView>> {
        let w = self.webhook(id)?;
        let mut out = Vec::new();
        for v in self
            .tree(T::Deliveries)
            .scan_prefix(format!("{}/", w.id))
            .values()
            .rev()
        {
            let d: DeliveryRecord = bincode::deserialize(&v?)?;
            out.push(DeliveryView {
                id: d.id,
                at: to_rfc3339(d.at),
                message_id: d.message_id,
                event_type: d.event_type,
                attempt: d.attempt,
                status_code: d.status_code,
                error: d.error,
                outcome: d.outcome,
                next_retry_at: d.next_retry_at.map(to_rfc3339),
            });
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// Adds to a commit the outbox messages its audit events call for. Called by
    /// `Store::commit` under the write guard, so subscriptions cannot change meanwhile.
    pub(crate) fn fan_out(&self, ch: &mut Changes, events: &[AuditEvent]) -> Result<bool> {
        let wanted: Vec<(&AuditEvent, &'static str)> = events
            .iter()
            .filter_map(|e| webhook_operation(&e.entity, &e.operation).map(|op| (e, op)))
            .filter(|(e, _)| e.user_id.is_some())
            .collect();
        if wanted.is_empty() || self.tree(T::Webhooks).is_empty() {
            return Ok(false);
        }
        let hooks = self
            .values::<Webhook>(T::Webhooks)
            .collect::<Result<Vec<_>>>()?;
        let mut users: HashMap<String, Option<User>> = HashMap::new();
        let mut queued = false;
        for (e, op) in wanted {
            let user_id = e.user_id.as_deref().unwrap_or_default();
            let targets: Vec<&Webhook> = hooks
                .iter()
                .filter(|w| w.user_id == user_id && w.matches(&e.entity, op))
                .collect();
            if targets.is_empty() {
                continue;
            }
            if !users.contains_key(user_id) {
                let u = match ch.pending_value::<User>(T::Users, user_id)? {
                    Some(u) => Some(u),
                    None => self.get(T::Users, user_id)?,
                };
                users.insert(user_id.to_owned(), u);
            }
            // A blocked user's events are dropped, not kept for later.
            let blocked = match &users[user_id] {
                Some(u) => user_block(u).is_some(),
                None => true,
            };
            if blocked {
                continue;
            }
            let event_type = format!("{}.{op}", e.entity);
            let body = event_body(&event_type, e.at, audit_data(e));
            for w in targets {
                queue(ch, w, &event_type, body.clone(), e.at)?;
                queued = true;
            }
        }
        Ok(queued)
    }

    /// When the next message is due, if any is waiting.
    pub fn next_delivery_at(&self) -> Result<Option<Millis>> {
        let mut next: Option<Millis> = None;
        for m in self.values::<OutboxMessage>(T::Outbox) {
            let at = m?.next_attempt_at;
            next = Some(next.map_or(at, |n| n.min(at)));
        }
        Ok(next)
    }

    /// Messages due now, oldest first, at most `limit`. Messages that must not be sent any
    /// more (subscription gone or off, site manager blocked) are dropped and logged here.
    pub fn due_messages(&self, limit: usize) -> Result<Vec<DueMessage>> {
        let now = self.now();
        let _g = self.write_guard();
        let mut due = Vec::new();
        let mut hooks: HashMap<String, Option<Webhook>> = HashMap::new();
        let mut users: HashMap<String, Option<User>> = HashMap::new();
        let mut ch = Changes::default();
        for m in self.values::<OutboxMessage>(T::Outbox) {
            let m = m?;
            if m.next_attempt_at > now {
                continue;
            }
            if !hooks.contains_key(&m.webhook_id) {
                hooks.insert(m.webhook_id.clone(), self.get(T::Webhooks, &m.webhook_id)?);
            }
            let Some(w) = hooks[&m.webhook_id].clone() else {
                ch.del(T::Outbox, &m.id);
                continue;
            };
            if !users.contains_key(&w.user_id) {
                users.insert(w.user_id.clone(), self.get(T::Users, &w.user_id)?);
            }
            let block = match &users[&w.user_id] {
                None => Some("its site manager no longer exists".to_owned()),
                Some(u) => user_block(u),
            };
            let drop_why = if !w.active {
                Some("the webhook is off".to_owned())
            } else {
                block
            };
            if let Some(why) = drop_why {
                drop_message(&mut ch, &m, now, &why)?;
                continue;
            }
            if due.len() >= limit {
                continue;
            }
            let secret = match self.open_webhook_secret(&w) {
                Ok(s) => s,
                Err(e) => {
                    // Without the master key nothing can be signed; try again later.
                    let mut m = m;
                    m.attempts += 1;
                    retry_or_give_up(&mut ch, &m, now, None, e.to_string(), None)?;
                    continue;
                }
            };
            due.push(DueMessage {
                message_id: m.id.clone(),
                webhook_id: w.id.clone(),
                url: w.url.clone(),
                allow_private: w.allow_private,
                event_type: m.event_type.clone(),
                body: m.body.clone(),
                attempt: m.attempts + 1,
                secret,
            });
        }
        self.commit(ch)?;
        Ok(due)
    }

    /// Records how an attempt went and schedules what follows.
    pub fn record_attempt(&self, message_id: &str, attempt: Attempt) -> Result<AttemptResult> {
        let now = self.now();
        let _g = self.write_guard();
        let Some(mut m) = self.get::<OutboxMessage>(T::Outbox, message_id)? else {
            // Removed meanwhile (the webhook was removed or turned off).
            return Ok(AttemptResult::GaveUp);
        };
        m.attempts += 1;
        let mut ch = Changes::default();
        let result = match attempt {
            Attempt::Delivered { status } => {
                ch.del(T::Outbox, &m.id);
                log_attempt(&mut ch, &m, now, Some(status), None, "delivered", None)?;
                AttemptResult::Delivered
            }
            Attempt::Gone => {
                ch.del(T::Outbox, &m.id);
                log_attempt(
                    &mut ch,
                    &m,
                    now,
                    Some(410),
                    Some("the receiver answered 410 Gone: the webhook was turned off".into()),
                    "turned_off",
                    None,
                )?;
                if let Some(mut w) = self.get::<Webhook>(T::Webhooks, &m.webhook_id)? {
                    w.active = false;
                    w.updated_at = now;
                    w.off_reason = Some(format!(
                        "the receiver answered 410 Gone on {} — turned off",
                        to_rfc3339(now)
                    ));
                    ch.put(T::Webhooks, &w.id, &w)?;
                    self.drop_pending(&mut ch, &w.id, Some(&m.id), "the webhook was turned off")?;
                    ch.audit(&self.webhook_event(
                        &w,
                        "updated",
                        format!(
                            "turned webhook {} off: the receiver answered 410 Gone",
                            w.url
                        ),
                    ))?;
                }
                AttemptResult::TurnedOff
            }
            Attempt::Failed {
                status,
                error,
                retry_after,
            } => retry_or_give_up(&mut ch, &m, now, status, error, retry_after)?,
        };
        self.prune_log(&mut ch, &m.webhook_id)?;
        self.commit(ch)?;
        Ok(result)
    }

    /// Drops the waiting messages of a subscription (but `except`), logging each.
    fn drop_pending(
        &self,
        ch: &mut Changes,
        webhook_id: &str,
        except: Option<&str>,
        why: &str,
    ) -> Result<()> {
        let now = self.now();
        for m in self.values::<OutboxMessage>(T::Outbox) {
            let m = m?;
            if m.webhook_id == webhook_id && Some(m.id.as_str()) != except {
                drop_message(ch, &m, now, why)?;
            }
        }
        Ok(())
    }

    fn prune_log(&self, ch: &mut Changes, webhook_id: &str) -> Result<()> {
        let keys: Vec<sled::IVec> = self
            .tree(T::Deliveries)
            .scan_prefix(format!("{webhook_id}/"))
            .keys()
            .collect::<std::result::Result<_, _>>()?;
        // Keep LOG_KEEP in all, counting what this commit adds.
        let adding = ch.count_puts(T::Deliveries, &format!("{webhook_id}/"));
        let excess = (keys.len() + adding).saturating_sub(LOG_KEEP);
        for k in keys.iter().take(excess) {
            ch.del(T::Deliveries, k);
        }
        Ok(())
    }
}

fn queue(ch: &mut Changes, w: &Webhook, event_type: &str, body: String, at: Millis) -> Result<()> {
    let m = OutboxMessage {
        id: new_id("msg_", at),
        webhook_id: w.id.clone(),
        event_type: event_type.to_owned(),
        body,
        created_at: at,
        attempts: 0,
        next_attempt_at: at,
    };
    ch.put(T::Outbox, &m.id, &m)
}

/// Drops a message that must not be sent any more, and says why in the delivery log.
fn drop_message(ch: &mut Changes, m: &OutboxMessage, now: Millis, why: &str) -> Result<()> {
    ch.del(T::Outbox, &m.id);
    log_attempt(
        ch,
        m,
        now,
        None,
        Some(format!("dropped: {why}")),
        "dropped",
        None,
    )
}

/// After a failed attempt (`m.attempts` counts it): the next try on the backoff schedule,
/// or giving up once that would fall past three days.
fn retry_or_give_up(
    ch: &mut Changes,
    m: &OutboxMessage,
    now: Millis,
    status: Option<u16>,
    error: String,
    retry_after: Option<Millis>,
) -> Result<AttemptResult> {
    match next_attempt_at(m.created_at, m.attempts, now, retry_after) {
        Some(at) => {
            let mut m = m.clone();
            m.next_attempt_at = at;
            ch.put(T::Outbox, &m.id, &m)?;
            log_attempt(ch, &m, now, status, Some(error), "retrying", Some(at))?;
            Ok(AttemptResult::RetryAt(at))
        }
        None => {
            ch.del(T::Outbox, &m.id);
            log_attempt(ch, m, now, status, Some(error), "failed", None)?;
            Ok(AttemptResult::GaveUp)
        }
    }
}

fn log_attempt(
    ch: &mut Changes,
    m: &OutboxMessage,
    now: Millis,
    status_code: Option<u16>,
    error: Option<String>,
    outcome: &str,
    next_retry_at: Option<Millis>,
) -> Result<()> {
    let d = DeliveryRecord {
        id: new_id("dlv_", now),
        webhook_id: m.webhook_id.clone(),
        message_id: m.id.clone(),
        event_type: m.event_type.clone(),
        attempt: m.attempts,
        at: now,
        status_code,
        error,
        outcome: outcome.to_owned(),
        next_retry_at,
    };
    ch.put(T::Deliveries, format!("{}/{}", d.webhook_id, d.id), &d)
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
    fn only_changes_become_events() {
        assert_eq!(webhook_operation("api_key", "created"), Some("created"));
        assert_eq!(webhook_operation("api_key", "kept"), Some("updated"));
        assert_eq!(webhook_operation("token", "revoked"), Some("revoked"));
        assert_eq!(webhook_operation("api_key", "copied"), None);
        assert_eq!(webhook_operation("api_key", "reminder"), None);
        assert_eq!(webhook_operation("location", "created"), None);
        assert_eq!(webhook_operation("webhook", "created"), None);
    }
}
