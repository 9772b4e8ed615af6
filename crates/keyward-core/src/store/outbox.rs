//! The transactional outbox: every change's audit events become webhook messages in the
//! same transaction, one per matching subscription. A change is never acknowledged
//! without its events, and a crash loses neither. Which events a subscription receives
//! and what the message says is `model::webhook`'s policy.

use std::collections::HashMap;

use super::backend::Table;
use super::tx::{Read, Tx};
use crate::error::Result;
use crate::model::audit::AuditEvent;
use crate::model::user::User;
use crate::model::webhook::{
    audit_data, event_body, user_block, webhook_operation, OutboxMessage, Webhook,
};

/// Adds to `tx` the outbox messages its audit events call for. Runs under the write lock,
/// so subscriptions cannot change meanwhile.
pub(super) fn fan_out(tx: &mut Tx<'_>) -> Result<()> {
    let events = std::mem::take(&mut tx.events);
    let wanted: Vec<(&AuditEvent, &'static str)> = events
        .iter()
        .filter_map(|e| webhook_operation(&e.entity, &e.operation).map(|op| (e, op)))
        .filter(|(e, _)| e.user_id.is_some())
        .collect();
    if wanted.is_empty() || tx.store().is_empty(Table::Webhooks)? {
        return Ok(());
    }
    let hooks = tx
        .values::<Webhook>(Table::Webhooks)
        .collect::<Result<Vec<_>>>()?;
    let mut users: HashMap<String, Option<User>> = HashMap::new();
    let mut messages = Vec::new();
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
            users.insert(user_id.to_owned(), tx.get(Table::Users, user_id)?);
        }
        // A blocked user's events are dropped, not kept for later.
        if users[user_id]
            .as_ref()
            .is_none_or(|u| user_block(u).is_some())
        {
            continue;
        }
        let event_type = format!("{}.{op}", e.entity);
        let body = event_body(&event_type, e.at, audit_data(e));
        for w in targets {
            messages.push(OutboxMessage::new(w, &event_type, body.clone(), e.at));
        }
    }
    for m in &messages {
        tx.put(Table::Outbox, &m.id, m)?;
    }
    Ok(())
}
