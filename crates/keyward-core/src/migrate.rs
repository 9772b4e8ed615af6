//! Schema migrations, run by `Store::open` on a database written by an older Keyward.
//! Each step rewrites what changed in one transaction, together with the new schema
//! version, so a crash leaves either the old database or the migrated one.
//!
//! - 1 → 2: an API key keeps one grace period per retired secret (`graces`), where
//!   schema 1 kept only the newest (`grace`).

use serde::Deserialize;

use crate::clock::Millis;
use crate::error::Result;
use crate::keys::{ApiKey, Grace, Scope};
use crate::lifecycle::Reminder;
use crate::store::{Changes, Store, T};

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

impl From<ApiKeyV1> for ApiKey {
    fn from(k: ApiKeyV1) -> ApiKey {
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
            graces: k.grace.into_iter().collect(),
            old_hashes: k.old_hashes,
            reminders: k.reminders,
        }
    }
}

/// Brings a database at schema `found` up to `to`, writing `schema_version` with the
/// last step.
pub(crate) fn run(store: &Store, found: u32, to: u32) -> Result<()> {
    let mut version = found;
    while version < to {
        let mut ch = Changes::default();
        if version == 1 {
            keys_keep_every_grace(store, &mut ch)?;
        }
        version += 1;
        ch.put_raw(T::Meta, "schema_version", version.to_be_bytes().to_vec());
        store.commit(ch)?;
        log::info!("database migrated to schema {version}");
    }
    Ok(())
}

fn keys_keep_every_grace(store: &Store, ch: &mut Changes) -> Result<()> {
    for row in store.tree(T::Keys).iter() {
        let (id, bytes) = row?;
        let old: ApiKeyV1 = bincode::deserialize(&bytes)?;
        ch.put(T::Keys, id, &ApiKey::from(old))?;
    }
    Ok(())
}
