//! Schema migrations, run by `Store::open` on a database written by an older Keyward.
//! Each step rewrites what changed in one transaction, together with the new schema
//! version, so a crash leaves either the old database or the migrated one.
//!
//! - 1 → 2: an API key keeps one grace period per retired secret (`graces`), where
//!   schema 1 kept only the newest (`grace`).
//! - 2 → 3: audit events carry the key they concern (`key_id`) and the acting site
//!   manager (`actor_user_id`) as fields.
//! - 3 → 4: an API key has a policy — expiry, "never delete for inactivity", notes,
//!   tags, permissions (`*`), a rate limit — and can be deleted softly (`deleted_at`).

use serde::{Deserialize, Serialize};

use super::backend::{Op, Table};
use super::{Read, Store};
use crate::error::Result;
use crate::model::audit::AuditEvent;
use crate::model::clock::Millis;
use crate::model::key::{ApiKey, Grace, Scope};
use crate::model::lifecycle::Reminder;

/// An API key as schema 1 stored it (bincode: the fields in this order).
#[derive(Deserialize)]
struct ApiKeyV1 {
    id: String,
    name: String,
    owner: String,
    scope: Scope,
    created_at: Millis,
    updated_at: Millis,
    kept_at: Option<Millis>,
    disabled: bool,
    revoked_at: Option<Millis>,
    generation: u32,
    hash: [u8; 32],
    masked: String,
    sealed: Vec<u8>,
    grace: Option<Grace>,
    old_hashes: Vec<[u8; 32]>,
    reminders: Vec<Reminder>,
}

impl From<ApiKeyV1> for ApiKeyV3 {
    fn from(k: ApiKeyV1) -> ApiKeyV3 {
        ApiKeyV3 {
            id: k.id,
            name: k.name,
            owner: k.owner,
            scope: k.scope,
            created_at: k.created_at,
            updated_at: k.updated_at,
            kept_at: k.kept_at,
            disabled: k.disabled,
            revoked_at: k.revoked_at,
            generation: k.generation,
            hash: k.hash,
            masked: k.masked,
            sealed: k.sealed,
            graces: k.grace.into_iter().collect(),
            old_hashes: k.old_hashes,
            reminders: k.reminders,
        }
    }
}

/// An API key as schemas 2 and 3 stored it: no policy yet.
#[derive(Serialize, Deserialize)]
struct ApiKeyV3 {
    id: String,
    name: String,
    owner: String,
    scope: Scope,
    created_at: Millis,
    updated_at: Millis,
    kept_at: Option<Millis>,
    disabled: bool,
    revoked_at: Option<Millis>,
    generation: u32,
    hash: [u8; 32],
    masked: String,
    sealed: Vec<u8>,
    graces: Vec<Grace>,
    old_hashes: Vec<[u8; 32]>,
    reminders: Vec<Reminder>,
}

impl From<ApiKeyV3> for ApiKey {
    fn from(k: ApiKeyV3) -> ApiKey {
        ApiKey {
            id: k.id,
            name: k.name,
            owner: k.owner,
            scope: k.scope,
            created_at: k.created_at,
            updated_at: k.updated_at,
            kept_at: k.kept_at,
            disabled: k.disabled,
            revoked_at: k.revoked_at,
            generation: k.generation,
            hash: k.hash,
            masked: k.masked,
            sealed: k.sealed,
            graces: k.graces,
            old_hashes: k.old_hashes,
            reminders: k.reminders,
            expires_at: None,
            keep_always: false,
            notes: String::new(),
            tags: Vec::new(),
            permissions: vec![crate::model::policy::ALL.to_owned()],
            rate: None,
            deleted_at: None,
            expiry_reminders: Vec::new(),
        }
    }
}

/// An audit event as schemas 1 and 2 stored it: a token event's key was named only at
/// the end of its summary, as " [key_…]".
#[derive(Deserialize)]
struct AuditEventV2 {
    id: String,
    at: Millis,
    actor: String,
    entity: String,
    operation: String,
    object_id: String,
    object_name: String,
    user_id: Option<String>,
    summary: String,
}

impl From<AuditEventV2> for AuditEvent {
    fn from(e: AuditEventV2) -> AuditEvent {
        let (key_id, summary) = match e.entity.as_str() {
            "api_key" => (Some(e.object_id.clone()), e.summary),
            "token" => key_of_token_summary(e.summary),
            _ => (None, e.summary),
        };
        AuditEvent {
            id: e.id,
            at: e.at,
            actor: e.actor,
            actor_user_id: None,
            entity: e.entity,
            operation: e.operation,
            object_id: e.object_id,
            object_name: e.object_name,
            user_id: e.user_id,
            key_id,
            summary,
        }
    }
}

/// The key id a schema-2 token summary names, and the summary without the " [key_…]"
/// suffix that carried it. This is the one place a sentence is read back: once, to move
/// the fact into its field.
fn key_of_token_summary(summary: String) -> (Option<String>, String) {
    if let Some((before, rest)) = summary.rsplit_once(" [key_") {
        if let Some(id) = rest.strip_suffix(']') {
            return (Some(format!("key_{id}")), before.to_owned());
        }
    }
    // Summaries that already named the key got no suffix: the id is in the text.
    let id = summary.find("key_").map(|at| {
        summary[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<String>()
    });
    (id.filter(|id| id.len() > "key_".len()), summary)
}

/// Brings a database at schema `found` up to `to`, writing `schema_version` with the
/// last step.
pub(super) fn run(store: &Store, found: u32, to: u32) -> Result<()> {
    let mut version = found;
    while version < to {
        let mut ops = Vec::new();
        match version {
            1 => rewrite::<ApiKeyV1, ApiKeyV3>(store, Table::Keys, &mut ops)?,
            2 => rewrite::<AuditEventV2, AuditEvent>(store, Table::Audit, &mut ops)?,
            3 => rewrite::<ApiKeyV3, ApiKey>(store, Table::Keys, &mut ops)?,
            _ => {}
        }
        version += 1;
        ops.push(Op {
            table: Table::Meta,
            key: b"schema_version".to_vec(),
            value: Some(version.to_be_bytes().to_vec()),
        });
        store.commit(ops)?;
        log::info!("database migrated to schema {version}");
    }
    Ok(())
}

/// Rewrites every row of `table` from its old encoding to its new one.
fn rewrite<Old, New>(store: &Store, table: Table, ops: &mut Vec<Op>) -> Result<()>
where
    Old: serde::de::DeserializeOwned + Into<New>,
    New: serde::Serialize,
{
    for row in store.scan_raw(table, b"") {
        let (key, bytes) = row?;
        let old: Old = bincode::deserialize(&bytes)?;
        ops.push(Op {
            table,
            key,
            value: Some(bincode::serialize(&old.into())?),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::key_of_token_summary;

    #[test]
    fn a_token_summary_gives_up_its_key_once() {
        let (id, said) = key_of_token_summary(
            "revoked token tok_1 (kwt_…ab) of API key 'Zapier' [key_01ABC]".into(),
        );
        assert_eq!(id.as_deref(), Some("key_01ABC"));
        assert_eq!(said, "revoked token tok_1 (kwt_…ab) of API key 'Zapier'");
        let (id, said) = key_of_token_summary("token of key_01XYZ expired".into());
        assert_eq!(id.as_deref(), Some("key_01XYZ"));
        assert_eq!(said, "token of key_01XYZ expired");
        assert_eq!(key_of_token_summary("no key here".into()).0, None);
    }
}
