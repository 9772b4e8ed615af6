//! Recently deleted keys: a deletion (by hand or by the inactivity rule) moves the key,
//! its tokens, their secret hashes and last-use times into the deleted-keys table in one
//! change, so the secrets stop verifying at once; restoring moves them back. A deleted
//! key is purged for good 30 days later.

use std::collections::HashMap;

use super::keys::{key_event, remove_key};
use crate::error::{Error, Result};
use crate::model::clock::{ago, due_phrase, to_datetime, Millis};
use crate::model::deleted::{BinContents, BinnedKey, INACTIVE, KEEP_DELETED_DAYS};
use crate::model::key::{ApiKey, HashEntry};
use crate::model::token::Token;
use crate::model::user::User;
use crate::store::{Read, Store, Table, Tx};
use crate::view::keys::{DeletedKeyView, KeyView, ViewContext};

/// Adds to `tx` the deletion of `key` with its `tokens`, kept restorable. `reason` is
/// [`crate::model::deleted::BY_HAND`] or [`INACTIVE`]. Returns how many tokens went with it.
pub(crate) fn bin_key(
    tx: &mut Tx<'_>,
    key: &ApiKey,
    tokens: &[Token],
    reason: &'static str,
) -> Result<usize> {
    let store = tx.store();
    let mut hashes = Vec::new();
    let mut last_used = Vec::new();
    let key_hashes = std::iter::once(key.hash).chain(key.old_hashes.iter().copied());
    for hash in key_hashes.chain(tokens.iter().map(|t| t.hash)) {
        if let Some(entry) = tx.get::<HashEntry>(Table::Hashes, hash)? {
            hashes.push((hash.to_vec(), entry));
        }
    }
    for id in std::iter::once(&key.id).chain(tokens.iter().map(|t| &t.id)) {
        if let Some(at) = store.last_used(id)? {
            last_used.push((id.clone(), at));
        }
    }
    let mut kept = key.clone();
    kept.deleted_at = Some(tx.now());
    let contents = BinContents {
        key: kept,
        tokens: tokens.to_vec(),
        hashes,
        last_used,
    };
    let binned = BinnedKey {
        id: key.id.clone(),
        name: key.name.clone(),
        owner: key.owner.clone(),
        deleted_at: tx.now(),
        deleted_by: if reason == INACTIVE {
            None
        } else {
            store.actor().1
        },
        reason: reason.to_owned(),
        contents: bincode::serialize(&contents)?,
    };
    tx.put(Table::DeletedKeys, &key.id, &binned)?;
    Ok(remove_key(tx, key, tokens))
}

fn find_binned(r: &impl Read, id: &str) -> Result<BinnedKey> {
    r.get(Table::DeletedKeys, id.trim())?
        .ok_or_else(|| Error::not_found("deleted API key", id.trim()))
}

impl Store {
    /// Keys deleted in the last 30 days, newest deletion first.
    pub fn deleted_keys(&self) -> Result<Vec<DeletedKeyView>> {
        let mut binned = self
            .values::<BinnedKey>(Table::DeletedKeys)
            .collect::<Result<Vec<_>>>()?;
        binned.sort_by(|a, b| (b.deleted_at, &b.id).cmp(&(a.deleted_at, &a.id)));
        self.bin_views(&binned)
    }

    fn bin_views(&self, binned: &[BinnedKey]) -> Result<Vec<DeletedKeyView>> {
        let users: HashMap<String, User> = self.with_index(|ix| ix.users.clone())?;
        let locations = self.all_locations()?;
        let settings = self.settings()?;
        let now = self.now();
        binned
            .iter()
            .map(|b| {
                let contents: BinContents = bincode::deserialize(&b.contents)?;
                let ctx = ViewContext {
                    now,
                    settings: settings.clone(),
                    users: users.clone(),
                    locations: locations.clone(),
                    last_used: contents.last_used.iter().cloned().collect(),
                    tokens: HashMap::from([(contents.key.id.clone(), contents.tokens.clone())]),
                };
                Ok(deleted_view(b, ctx.view(&contents.key), &users, now))
            })
            .collect()
    }

    /// Brings a deleted key back with its tokens, each as it was (a token that expired
    /// meanwhile stays expired). Restoring counts as "Keep": the inactivity clock starts
    /// again, so the rule does not take the key back at its next run.
    pub fn restore_key(&self, id: &str) -> Result<KeyView> {
        let id = self.write(|tx| {
            let binned = find_binned(tx, id)?;
            let BinContents {
                mut key,
                tokens,
                hashes,
                last_used,
            } = bincode::deserialize(&binned.contents)?;
            if tx.get::<User>(Table::Users, &key.owner)?.is_none() {
                return Err(Error::invalid(format!(
                    "API key '{}' cannot come back: its owner is no longer a site manager here",
                    key.name
                )));
            }
            let now = tx.now();
            key.deleted_at = None;
            key.kept_at = Some(now);
            key.reminders.clear();
            key.updated_at = now;
            tx.put(Table::Keys, &key.id, &key)?;
            for t in &tokens {
                tx.put(Table::Tokens, &t.id, t)?;
            }
            for (hash, entry) in &hashes {
                tx.put(Table::Hashes, hash, entry)?;
            }
            for (id, at) in &last_used {
                tx.put_raw(Table::LastUsed, id, at.to_be_bytes());
            }
            tx.del(Table::DeletedKeys, &binned.id);
            let live = tokens.iter().filter(|t| t.is_live(&key, now)).count();
            let said = format!(
                "restored API key '{}' ({}), deleted {}, with {} token(s), {live} of them live",
                key.name,
                key.masked,
                ago(now, binned.deleted_at),
                tokens.len(),
            );
            tx.audit(key_event(tx, &key, "restored").says(said))?;
            Ok(key.id)
        })?;
        self.key_view(&id)
    }

    /// Purges a deleted key for good now, before its 30 days are up; answers what went.
    pub fn purge_deleted_key(&self, id: &str) -> Result<DeletedKeyView> {
        self.write(|tx| {
            let binned = find_binned(tx, id)?;
            let view = self.bin_views(std::slice::from_ref(&binned))?.remove(0);
            tx.del(Table::DeletedKeys, &binned.id);
            let said = format!(
                "purged deleted API key '{}' for good: it can no longer be restored",
                binned.name
            );
            tx.audit(
                tx.event("api_key", "purged")
                    .object(&binned.id, &binned.name)
                    .owner(&binned.owner)
                    .key(&binned.id)
                    .says(said),
            )?;
            Ok(view)
        })
    }

    /// Purges the keys deleted more than 30 days ago; returns how many went.
    pub fn purge_old_deleted_keys(&self) -> Result<usize> {
        let now = self.now();
        let due: Vec<BinnedKey> = self
            .values::<BinnedKey>(Table::DeletedKeys)
            .filter(|b| b.as_ref().map_or(true, |b| b.purge_at() <= now))
            .collect::<Result<_>>()?;
        if due.is_empty() {
            return Ok(0);
        }
        self.write(|tx| {
            for b in &due {
                tx.del(Table::DeletedKeys, &b.id);
            }
            let said = format!(
                "purged {} API key(s) deleted more than {KEEP_DELETED_DAYS} days ago",
                due.len()
            );
            tx.audit(tx.event("api_key", "purged").says(said))?;
            Ok(due.len())
        })
    }

    /// The owner of a deleted key, for access checks.
    pub(crate) fn deleted_key_owner(&self, id: &str) -> Result<String> {
        Ok(find_binned(self, id)?.owner)
    }
}

fn deleted_view(
    b: &BinnedKey,
    key: KeyView,
    users: &HashMap<String, User>,
    now: Millis,
) -> DeletedKeyView {
    let deleted_by = b
        .deleted_by
        .as_ref()
        .and_then(|u| users.get(u))
        .map(User::owner_view);
    let said = match (b.reason.as_str(), &deleted_by) {
        (INACTIVE, _) => "Deleted for inactivity".to_owned(),
        (_, Some(by)) if !by.name.is_empty() => format!("Deleted by {}", by.name),
        (_, Some(by)) => format!("Deleted by {}", by.email),
        _ => "Deleted on this computer".to_owned(),
    };
    DeletedKeyView {
        key,
        deleted_at: to_datetime(b.deleted_at),
        deleted_by,
        reason: b.reason.clone(),
        said,
        purges_at: to_datetime(b.purge_at()),
        purges_in: due_phrase(now, b.purge_at()),
    }
}
