//! The outbox seen from delivery: what is due, and how each attempt went. Retries keep the
//! message id, so receivers can de-duplicate. Sending itself (HTTP, URL rules at connect
//! time) lives in the `keyward-webhooks` crate.

use std::collections::HashMap;

use crate::error::Result;
use crate::model::clock::{to_rfc3339, Millis};
use crate::model::ids::new_id;
use crate::model::user::User;
use crate::model::webhook::{
    next_attempt_at, user_block, Attempt, AttemptResult, DeliveryOutcome, DeliveryRecord,
    OutboxMessage, Webhook, LOG_KEEP,
};
use crate::store::{Read, Store, Table, Tx};
use crate::view::webhooks::DueMessage;

/// How long a message handed out for sending stays claimed: longer than an attempt may
/// take (15 s) with room to record it.
pub(crate) const CLAIM: Millis = 60 * crate::model::clock::SECOND;

impl Store {
    /// When the next message (webhook message or email) is due, if any is waiting.
    pub fn next_delivery_at(&self) -> Result<Option<Millis>> {
        let mut next: Option<Millis> = self.next_email_at()?;
        for m in self.values::<OutboxMessage>(Table::Outbox) {
            let at = m?.next_attempt_at;
            next = Some(next.map_or(at, |n| n.min(at)));
        }
        Ok(next)
    }

    /// Every message waiting in the outbox, due or not, as (event type, body), without
    /// claiming any: what the store holds, for checks and diagnostics.
    pub fn waiting_messages(&self) -> Result<Vec<(String, String, String)>> {
        self.values::<OutboxMessage>(Table::Outbox)
            .map(|m| m.map(|m| (m.webhook_id, m.event_type, m.body)))
            .collect()
    }

    /// Messages due now, oldest first, at most `limit`. Messages that must not be sent any
    /// more (subscription gone or off, site manager blocked) are dropped and logged here.
    pub fn due_messages(&self, limit: usize) -> Result<Vec<DueMessage>> {
        self.write(|tx| {
            let now = tx.now();
            let mut due = Vec::new();
            let mut hooks: HashMap<String, Option<Webhook>> = HashMap::new();
            let mut users: HashMap<String, Option<User>> = HashMap::new();
            let waiting = tx
                .values::<OutboxMessage>(Table::Outbox)
                .collect::<Result<Vec<_>>>()?;
            for m in waiting {
                if m.next_attempt_at > now {
                    continue;
                }
                if !hooks.contains_key(&m.webhook_id) {
                    hooks.insert(
                        m.webhook_id.clone(),
                        tx.get(Table::Webhooks, &m.webhook_id)?,
                    );
                }
                let Some(w) = hooks[&m.webhook_id].clone() else {
                    tx.del(Table::Outbox, &m.id);
                    continue;
                };
                if !users.contains_key(&w.user_id) {
                    users.insert(w.user_id.clone(), tx.get(Table::Users, &w.user_id)?);
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
                    drop_message(tx, &m, &why)?;
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
                        retry_or_give_up(tx, &m, None, e.to_string(), None)?;
                        continue;
                    }
                };
                // Claimed: no other process sharing the database sends it while this one
                // tries; should this one die mid-attempt, the claim lapses and another
                // process sends it.
                let mut claimed = m.clone();
                claimed.next_attempt_at = now + CLAIM;
                tx.put(Table::Outbox, &claimed.id, &claimed)?;
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
            Ok(due)
        })
    }

    /// Records how an attempt went and schedules what follows.
    pub fn record_attempt(&self, message_id: &str, attempt: Attempt) -> Result<AttemptResult> {
        self.write(|tx| {
            let now = tx.now();
            let Some(mut m) = tx.get::<OutboxMessage>(Table::Outbox, message_id)? else {
                // Removed meanwhile (the webhook was removed or turned off).
                return Ok(AttemptResult::GaveUp);
            };
            m.attempts += 1;
            let result = match attempt {
                Attempt::Delivered { status } => {
                    tx.del(Table::Outbox, &m.id);
                    log_attempt(tx, &m, Some(status), None, DeliveryOutcome::Delivered, None)?;
                    AttemptResult::Delivered
                }
                Attempt::Gone => {
                    tx.del(Table::Outbox, &m.id);
                    let why = "the receiver answered 410 Gone: the webhook was turned off";
                    log_attempt(
                        tx,
                        &m,
                        Some(410),
                        Some(why.into()),
                        DeliveryOutcome::TurnedOff,
                        None,
                    )?;
                    if let Some(mut w) = tx.get::<Webhook>(Table::Webhooks, &m.webhook_id)? {
                        w.active = false;
                        w.updated_at = now;
                        w.off_reason = Some(format!(
                            "the receiver answered 410 Gone on {} — turned off",
                            to_rfc3339(now)
                        ));
                        tx.put(Table::Webhooks, &w.id, &w)?;
                        drop_pending(tx, &w.id, Some(&m.id), "the webhook was turned off")?;
                        let summary = format!(
                            "turned webhook {} off: the receiver answered 410 Gone",
                            w.url
                        );
                        tx.audit(webhook_event(tx, &w, "updated").says(summary))?;
                    }
                    AttemptResult::TurnedOff
                }
                Attempt::Failed {
                    status,
                    error,
                    retry_after,
                } => retry_or_give_up(tx, &m, status, error, retry_after)?,
            };
            prune_log(tx, &m.webhook_id)?;
            Ok(result)
        })
    }
}

/// An audit event about a subscription.
pub(super) fn webhook_event(tx: &Tx<'_>, w: &Webhook, op: &str) -> crate::model::audit::AuditEvent {
    tx.event("webhook", op)
        .object(&w.id, &w.url)
        .owner(&w.user_id)
}

/// Drops the waiting messages of a subscription (but `except`), logging each.
pub(super) fn drop_pending(
    tx: &mut Tx<'_>,
    webhook_id: &str,
    except: Option<&str>,
    why: &str,
) -> Result<()> {
    let waiting = tx
        .values::<OutboxMessage>(Table::Outbox)
        .collect::<Result<Vec<_>>>()?;
    for m in waiting {
        if m.webhook_id == webhook_id && Some(m.id.as_str()) != except {
            drop_message(tx, &m, why)?;
        }
    }
    Ok(())
}

/// Keeps the newest `LOG_KEEP` entries of a subscription's delivery log.
fn prune_log(tx: &mut Tx<'_>, webhook_id: &str) -> Result<()> {
    let prefix = format!("{webhook_id}/");
    let keys: Vec<Vec<u8>> = tx
        .scan_raw(Table::Deliveries, prefix.as_bytes())
        .map(|r| r.map(|(k, _)| k))
        .collect::<Result<_>>()?;
    let excess = keys.len().saturating_sub(LOG_KEEP);
    for k in keys.iter().take(excess) {
        tx.del(Table::Deliveries, k);
    }
    Ok(())
}

/// Drops a message that must not be sent any more, and says why in the delivery log.
fn drop_message(tx: &mut Tx<'_>, m: &OutboxMessage, why: &str) -> Result<()> {
    tx.del(Table::Outbox, &m.id);
    log_attempt(
        tx,
        m,
        None,
        Some(format!("dropped: {why}")),
        DeliveryOutcome::Dropped,
        None,
    )
}

/// After a failed attempt (`m.attempts` counts it): the next try on the backoff schedule,
/// or giving up once that would fall past three days.
fn retry_or_give_up(
    tx: &mut Tx<'_>,
    m: &OutboxMessage,
    status: Option<u16>,
    error: String,
    retry_after: Option<Millis>,
) -> Result<AttemptResult> {
    match next_attempt_at(m.created_at, m.attempts, tx.now(), retry_after) {
        Some(at) => {
            let mut m = m.clone();
            m.next_attempt_at = at;
            tx.put(Table::Outbox, &m.id, &m)?;
            log_attempt(
                tx,
                &m,
                status,
                Some(error),
                DeliveryOutcome::Retrying,
                Some(at),
            )?;
            Ok(AttemptResult::RetryAt(at))
        }
        None => {
            tx.del(Table::Outbox, &m.id);
            log_attempt(tx, m, status, Some(error), DeliveryOutcome::Failed, None)?;
            Ok(AttemptResult::GaveUp)
        }
    }
}

fn log_attempt(
    tx: &mut Tx<'_>,
    m: &OutboxMessage,
    status_code: Option<u16>,
    error: Option<String>,
    outcome: DeliveryOutcome,
    next_retry_at: Option<Millis>,
) -> Result<()> {
    let now = tx.now();
    let d = DeliveryRecord {
        id: new_id("dlv_", now),
        webhook_id: m.webhook_id.clone(),
        message_id: m.id.clone(),
        event_type: m.event_type.clone(),
        attempt: m.attempts,
        at: now,
        status_code,
        error,
        outcome: outcome.as_str().to_owned(),
        next_retry_at,
    };
    tx.put(Table::Deliveries, format!("{}/{}", d.webhook_id, d.id), &d)
}
