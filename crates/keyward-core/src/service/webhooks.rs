//! Webhook subscriptions per site manager: add, list, turn on or off, remove, test, reveal
//! the signing secret, read the delivery log. What a change's events put in the outbox is
//! the store's job (`store::outbox`); delivering is `service::outbox`'s.

use std::collections::HashMap;

use zeroize::Zeroizing;

use super::outbox::{drop_pending, webhook_event};
use super::users::find_user;
use crate::error::{Error, Result};
use crate::model::clock::to_datetime;
use crate::model::ids::new_id;
use crate::model::key::refuse_blocked_owner;
use crate::model::secret::Secret;
use crate::model::user::User;
use crate::model::webhook::{
    check_choice, event_body, mask_secret, new_secret, user_block, DeliveryOutcome, DeliveryRecord,
    NewWebhook, OutboxMessage, Webhook, WebhookState, ENTITIES, OPERATIONS,
};
use crate::model::{seal, webhook_url};
use crate::store::{Read, Store, Table};
use crate::view::webhooks::{CreatedWebhook, DeliveryView, WebhookView};

fn find_webhook(r: &impl Read, id: &str) -> Result<Webhook> {
    r.get(Table::Webhooks, id.trim())?
        .ok_or_else(|| Error::not_found("webhook", id.trim()))
}

impl Store {
    fn pending_by_webhook(&self) -> Result<HashMap<String, usize>> {
        let mut out = HashMap::new();
        for m in self.values::<OutboxMessage>(Table::Outbox) {
            *out.entry(m?.webhook_id).or_insert(0) += 1;
        }
        Ok(out)
    }

    fn webhook_view_with(&self, w: &Webhook, pending: usize) -> Result<WebhookView> {
        let user: Option<User> = self.get(Table::Users, &w.user_id)?;
        Ok(WebhookView {
            id: w.id.clone(),
            user_id: w.user_id.clone(),
            user_name: user.as_ref().map(|u| u.name.clone()).unwrap_or_default(),
            user_email: user.as_ref().map(|u| u.email.clone()).unwrap_or_default(),
            url: w.url.clone(),
            entity: w.entity.clone(),
            operation: w.operation.clone(),
            status: if w.active {
                WebhookState::On
            } else {
                WebhookState::Off
            },
            allow_private: w.allow_private,
            masked_secret: w.masked_secret.clone(),
            created_at: to_datetime(w.created_at),
            off_reason: w.off_reason.clone(),
            paused_reason: user.as_ref().and_then(user_block),
            pending,
        })
    }

    pub fn webhook_view(&self, id: &str) -> Result<WebhookView> {
        let w = find_webhook(self, id)?;
        let pending = self.pending_by_webhook()?.get(&w.id).copied().unwrap_or(0);
        self.webhook_view_with(&w, pending)
    }

    pub fn add_webhook(&self, new: NewWebhook) -> Result<CreatedWebhook> {
        let url = webhook_url::check_url(&new.url, new.allow_private)?;
        let entity = check_choice("entity", &new.entity, &ENTITIES)?;
        let operation = check_choice("operation", &new.operation, &OPERATIONS)?;
        let (id, secret) = self.write(|tx| {
            let user = find_user(tx, &new.user)?;
            let master = self.master_key()?;
            let now = tx.now();
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
            tx.put(Table::Webhooks, &w.id, &w)?;
            let summary = format!(
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
            );
            tx.audit(webhook_event(tx, &w, "created").says(summary))?;
            Ok((w.id, secret))
        })?;
        Ok(CreatedWebhook {
            view: self.webhook_view(&id)?,
            secret: secret.to_string(),
        })
    }

    /// Subscriptions, oldest first; only one site manager's when `user` is given.
    pub fn list_webhooks(&self, user: Option<&str>) -> Result<Vec<WebhookView>> {
        let user_id = match user.map(str::trim).filter(|u| !u.is_empty()) {
            Some(u) => Some(find_user(self, u)?.id),
            None => None,
        };
        let pending = self.pending_by_webhook()?;
        let mut out = Vec::new();
        for w in self.values::<Webhook>(Table::Webhooks) {
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
        self.write(|tx| {
            let mut w = find_webhook(tx, id)?;
            if w.active == on {
                return Ok(());
            }
            w.active = on;
            w.updated_at = tx.now();
            if on {
                w.off_reason = None;
            }
            tx.put(Table::Webhooks, &w.id, &w)?;
            if !on {
                drop_pending(tx, &w.id, None, "the webhook was turned off")?;
            }
            let summary = format!("turned webhook {} {}", w.url, if on { "on" } else { "off" });
            tx.audit(webhook_event(tx, &w, "updated").says(summary))
        })?;
        self.webhook_view(id)
    }

    /// Removes a subscription, its waiting messages and its delivery log.
    pub fn remove_webhook(&self, id: &str) -> Result<WebhookView> {
        self.write(|tx| {
            let w = find_webhook(tx, id)?;
            let view = self.webhook_view_with(&w, 0)?;
            tx.del(Table::Webhooks, &w.id);
            let waiting = tx
                .values::<OutboxMessage>(Table::Outbox)
                .collect::<Result<Vec<_>>>()?;
            for m in waiting.iter().filter(|m| m.webhook_id == w.id) {
                tx.del(Table::Outbox, &m.id);
            }
            let log: Vec<Vec<u8>> = tx
                .scan_raw(Table::Deliveries, format!("{}/", w.id).as_bytes())
                .map(|r| r.map(|(k, _)| k))
                .collect::<Result<_>>()?;
            for k in log {
                tx.del(Table::Deliveries, k);
            }
            let summary = format!("removed webhook {}", w.url);
            tx.audit(webhook_event(tx, &w, "deleted").says(summary))?;
            Ok(view)
        })
    }

    /// The signing secret in full, for an explicit reveal. Audited.
    pub fn reveal_webhook_secret(&self, id: &str) -> Result<Secret> {
        let w = find_webhook(self, id)?;
        let mut secret = self.open_webhook_secret(&w)?;
        self.write(|tx| {
            let summary = format!("revealed the signing secret of webhook {}", w.url);
            tx.audit(webhook_event(tx, &w, "revealed").says(summary))
        })?;
        Ok(Secret::from_text(std::mem::take(&mut *secret)))
    }

    pub(super) fn open_webhook_secret(&self, w: &Webhook) -> Result<Zeroizing<String>> {
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
        self.write(|tx| {
            let w = find_webhook(tx, id)?;
            if !w.active {
                return Err(Error::WebhookOff(w.url.clone()));
            }
            refuse_blocked_owner(&find_user(tx, &w.user_id)?)?;
            let body = event_body(
                "webhook.test",
                tx.now(),
                serde_json::json!({
                    "webhook_id": w.id,
                    "user_id": w.user_id,
                    "message": "A test event from Keyward: this webhook is set up.",
                }),
            );
            let m = OutboxMessage::new(&w, "webhook.test", body, tx.now());
            tx.put(Table::Outbox, &m.id, &m)?;
            let summary = format!("sent a test event to webhook {}", w.url);
            tx.audit(webhook_event(tx, &w, "tested").says(summary))?;
            Ok(())
        })?;
        self.webhook_view(id)
    }

    /// The delivery log of one subscription, newest first.
    pub fn webhook_deliveries(&self, id: &str, limit: usize) -> Result<Vec<DeliveryView>> {
        let w = find_webhook(self, id)?;
        let mut out = Vec::new();
        for row in self.scan_rev(Table::Deliveries, format!("{}/", w.id).as_bytes()) {
            let d: DeliveryRecord = bincode::deserialize(&row?.1)?;
            out.push(DeliveryView {
                id: d.id,
                at: to_datetime(d.at),
                message_id: d.message_id,
                event_type: d.event_type,
                attempt: d.attempt,
                status_code: d.status_code,
                error: d.error,
                // Only this code writes the log; an unknown text would be a damaged entry.
                outcome: DeliveryOutcome::from_stored(&d.outcome)
                    .unwrap_or(DeliveryOutcome::Failed),
                next_retry_at: d.next_retry_at.map(to_datetime),
            });
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }
}
