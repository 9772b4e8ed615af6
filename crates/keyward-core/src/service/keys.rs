//! API keys: create, list, show, reveal/copy, regenerate with a grace period, disable,
//! keep, rename, delete. A key's id, name, owner and scope never change across
//! regeneration; only its secret (and `generation`) does.

use std::collections::HashMap;

use super::deleted::bin_key;
use super::locations::find_location;
use super::settings::read_settings;
use super::users::find_user;
use crate::error::{Error, Result};
use crate::model::audit::AuditEvent;
use crate::model::clock::{ago, to_datetime, to_rfc3339, Millis, DAY, HOUR};
use crate::model::deleted::{BY_HAND, KEEP_DELETED, KEEP_DELETED_DAYS};
use crate::model::ids::new_id;
use crate::model::key::{
    in_use, refuse_blocked_owner, revoked, ApiKey, Disclosure, Grace, HashEntry, KeyEdit,
    KeyFilter, NewKey, Scope, IN_USE_WINDOW, STATUS_FILTERS,
};
use crate::model::location::Location;
use crate::model::policy;
use crate::model::seal;
use crate::model::secret::{Secret, ShownSecret};
use crate::model::token::Token;
use crate::model::user::User;
use crate::model::validate;
use crate::store::index::Index;
use crate::store::{Read, Store, Table, Tx};
use crate::view::keys::{
    matching_rows, CreatedKey, DeletedKey, KeyDetail, KeyView, RowFacts, ViewContext,
};
use crate::view::users::OwnerView;

pub(crate) fn find_key(r: &impl Read, id: &str) -> Result<ApiKey> {
    r.get(Table::Keys, id.trim())?
        .ok_or_else(|| Error::not_found("API key", id.trim()))
}

pub(super) fn key_event(tx: &Tx<'_>, key: &ApiKey, op: &str) -> AuditEvent {
    tx.event("api_key", op)
        .object(&key.id, &key.name)
        .owner(&key.owner)
        .key(&key.id)
}

/// Adds to `tx` the removal of a key, every hash that points to it, and its tokens.
pub(crate) fn remove_key(tx: &mut Tx<'_>, key: &ApiKey, tokens: &[Token]) -> usize {
    tx.del(Table::Keys, &key.id);
    tx.del(Table::Hashes, key.hash);
    for h in &key.old_hashes {
        tx.del(Table::Hashes, h);
    }
    tx.del(Table::LastUsed, &key.id);
    for t in tokens {
        tx.del(Table::Tokens, &t.id);
        tx.del(Table::Hashes, t.hash);
        tx.del(Table::LastUsed, &t.id);
    }
    tokens.len()
}

/// Writes a key's current secret hash into the hash index.
fn put_hash(tx: &mut Tx<'_>, key: &ApiKey) -> Result<()> {
    let entry = HashEntry {
        token: false,
        id: key.id.clone(),
        generation: key.generation,
    };
    tx.put(Table::Hashes, key.hash, &entry)
}

/// Puts a new secret into `key` (sealed under the master key) and returns it.
fn new_secret(store: &Store, key: &mut ApiKey) -> Result<Secret> {
    let master = store.master_key()?;
    let secret = Secret::generate(key.secret_kind());
    key.hash = secret.hash();
    key.masked = secret.mask();
    key.sealed = seal::seal(master, &key.id, secret.expose().as_bytes());
    Ok(secret)
}

impl Store {
    /// The same context from the in-memory index: nothing of the keys tree is decoded.
    pub(crate) fn view_context_in(&self, ix: &Index) -> Result<ViewContext> {
        let mut tokens: HashMap<String, Vec<Token>> = HashMap::new();
        for t in ix.tokens.values() {
            tokens.entry(t.key_id.clone()).or_default().push(t.clone());
        }
        let mut last_used = ix.last_used.clone();
        self.overlay_usage(&mut last_used);
        Ok(ViewContext {
            now: self.now(),
            settings: self.settings()?,
            users: ix.users.clone(),
            locations: self.all_locations()?,
            last_used,
            tokens,
        })
    }

    /// A context holding just what one key's view needs.
    fn key_context(&self, key: &ApiKey) -> Result<ViewContext> {
        let mut users = HashMap::new();
        if let Some(u) = self.get::<User>(Table::Users, &key.owner)? {
            users.insert(u.id.clone(), u);
        }
        let mut locations = HashMap::new();
        if let Scope::Location(l) = &key.scope {
            if let Some(loc) = self.get::<Location>(Table::Locations, l)? {
                locations.insert(loc.id.clone(), loc);
            }
        }
        let mut last_used = HashMap::new();
        if let Some(at) = self.last_used(&key.id)? {
            last_used.insert(key.id.clone(), at);
        }
        let mut tokens = HashMap::new();
        tokens.insert(key.id.clone(), self.tokens_of(&key.id)?);
        Ok(ViewContext {
            now: self.now(),
            settings: self.settings()?,
            users,
            locations,
            last_used,
            tokens,
        })
    }

    /// A key's tokens, from the in-memory index that mirrors the tokens table.
    /// The ids of a site manager's keys.
    pub fn key_ids_of(&self, user_id: &str) -> Result<std::collections::HashSet<String>> {
        self.with_index(|ix| {
            ix.keys
                .values()
                .filter(|k| k.owner == user_id)
                .map(|k| k.id.clone())
                .collect()
        })
    }

    pub(crate) fn tokens_of(&self, key_id: &str) -> Result<Vec<Token>> {
        self.with_index(|ix| {
            ix.tokens
                .values()
                .filter(|t| t.key_id == key_id)
                .cloned()
                .collect()
        })
    }

    pub fn api_key(&self, id: &str) -> Result<ApiKey> {
        find_key(self, id)
    }

    pub fn key_view(&self, id: &str) -> Result<KeyView> {
        let key = self.api_key(id)?;
        Ok(self.key_context(&key)?.view(&key))
    }

    pub fn key_detail(&self, id: &str) -> Result<KeyDetail> {
        let key = self.key_view(id)?;
        Ok(KeyDetail {
            tokens: self.list_tokens(Some(&key.id))?,
            events: self.audit(&crate::view::audit::AuditFilter {
                object_id: Some(key.id.clone()),
                limit: Some(200),
                ..Default::default()
            })?,
            key,
        })
    }

    pub(crate) fn key_counts_by_owner(&self) -> Result<HashMap<String, usize>> {
        let mut counts = HashMap::new();
        for k in self.values::<ApiKey>(Table::Keys) {
            let k = k?;
            if k.revoked_at.is_none() {
                *counts.entry(k.owner).or_insert(0) += 1;
            }
        }
        Ok(counts)
    }

    pub fn create_key(&self, new: NewKey) -> Result<CreatedKey> {
        let name = validate::name("API key", &new.name, validate::NAME_MAX)?;
        let expires_at =
            policy::parse_expiry(new.expires.as_deref().unwrap_or("never"), self.now())?;
        let permissions = policy::permissions(&new.permissions)?;
        let rate = policy::parse_rate(new.rate.as_deref().unwrap_or("none"))?;
        let notes = policy::notes(&new.notes)?;
        let tags = policy::tags(&new.tags)?;
        let (id, secret) = self.write(|tx| {
            let owner = find_user(tx, &new.owner)?;
            refuse_blocked_owner(&owner)?;
            let scope = match new.location.as_deref().map(str::trim) {
                None | Some("") | Some("agency") => Scope::Agency,
                Some(l) => Scope::Location(find_location(tx, l)?.id),
            };
            let now = tx.now();
            let mut key = ApiKey {
                id: new_id("key_", now),
                name,
                owner: owner.id.clone(),
                scope,
                created_at: now,
                updated_at: now,
                kept_at: None,
                disabled: false,
                revoked_at: None,
                generation: 0,
                hash: [0; 32],
                masked: String::new(),
                sealed: Vec::new(),
                graces: Vec::new(),
                old_hashes: Vec::new(),
                reminders: Vec::new(),
                expires_at,
                keep_always: new.keep_always,
                notes,
                tags,
                permissions,
                rate,
                deleted_at: None,
                expiry_reminders: Vec::new(),
            };
            let secret = new_secret(self, &mut key)?;
            tx.put(Table::Keys, &key.id, &key)?;
            put_hash(tx, &key)?;
            let mut summary = format!(
                "created API key '{}' ({}) for {}",
                key.name, key.masked, owner.email
            );
            if let Some(end) = key.expires_at {
                summary.push_str(&format!("; expires {}", to_rfc3339(end)));
            }
            if key.keep_always {
                summary.push_str("; never deleted for inactivity");
            }
            if key.permissions != [policy::ALL] {
                summary.push_str(&format!("; permissions: {}", key.permissions.join(", ")));
            }
            if let Some(r) = &key.rate {
                summary.push_str(&format!("; rate limit: {}", policy::rate_text(r)));
            }
            tx.audit(key_event(tx, &key, "created").says(summary))?;
            Ok((key.id, secret))
        })?;
        Ok(CreatedKey {
            view: self.key_view(&id)?,
            key: ShownSecret(secret),
        })
    }

    pub fn list_keys(&self, filter: &KeyFilter) -> Result<Vec<KeyView>> {
        self.with_key_rows(filter, |ctx, rows, _| {
            rows.iter().map(|f| ctx.view_of(f)).collect()
        })
    }

    /// Runs `then` on the facts of the keys matching `filter`, newest first, with the
    /// number of keys in all, read at the same moment.
    pub(crate) fn with_key_rows<R>(
        &self,
        filter: &KeyFilter,
        then: impl FnOnce(&ViewContext, Vec<RowFacts<'_>>, usize) -> R,
    ) -> Result<R> {
        if let Some(s) = &filter.status {
            if !STATUS_FILTERS.contains(&s.as_str()) {
                return Err(Error::invalid_field(
                    "status",
                    format!("status '{s}' is not one of: {}", STATUS_FILTERS.join(", ")),
                ));
            }
        }
        let owner = filter.owner.as_deref().map(|o| self.user(o)).transpose()?;
        self.with_index(|ix| {
            let ctx = self.view_context_in(ix)?;
            let rows = matching_rows(&ctx, ix.keys.values(), filter, owner.as_ref());
            Ok(then(&ctx, rows, ix.keys.len()))
        })?
    }

    /// The text sealed in `key` (not audited: callers say why they open it).
    pub(super) fn open_key_secret(&self, key: &ApiKey) -> Result<zeroize::Zeroizing<String>> {
        let plain = seal::open(self.master_key()?, &key.id, &key.sealed).ok_or_else(|| {
            Error::MasterKeyUnavailable(format!(
                "API key '{}' cannot be unsealed with this master key",
                key.name
            ))
        })?;
        let text = std::str::from_utf8(&plain).map_err(|_| {
            Error::Corrupt(format!("the sealed secret of '{}' is not text", key.name))
        })?;
        Ok(zeroize::Zeroizing::new(text.to_owned()))
    }

    /// The full secret of an API key, for copying or revealing. Audited.
    pub fn reveal_key(&self, id: &str, how: Disclosure) -> Result<Secret> {
        self.write(|tx| {
            let key = find_key(tx, id)?;
            if key.revoked_at.is_some() {
                return Err(revoked(&key));
            }
            let text = self.open_key_secret(&key)?;
            let (secret, _) = Secret::parse(&text).ok_or_else(|| {
                Error::Corrupt(format!("the sealed secret of '{}' is malformed", key.name))
            })?;
            let (op, what) = how.audit();
            let summary = format!("API key '{}' ({}) {what}", key.name, key.masked);
            tx.audit(key_event(tx, &key, op).says(summary))?;
            Ok(secret)
        })
    }

    /// New secret, same id/name/owner/scope. The old secret and its tokens keep working
    /// for `grace` (0: they stop now).
    pub fn regenerate_key(&self, id: &str, grace: Millis) -> Result<CreatedKey> {
        if ![0, HOUR, 24 * HOUR, 7 * DAY].contains(&grace) {
            return Err(Error::invalid_field(
                "grace",
                "grace period must be 0, 1h, 24h or 7d",
            ));
        }
        let (id, secret) = self.write(|tx| {
            let mut key = find_key(tx, id)?;
            if key.revoked_at.is_some() {
                return Err(revoked(&key));
            }
            let now = tx.now();
            let tokens = self.tokens_of(&key.id)?;
            let live_of = |generation: u32| {
                tokens
                    .iter()
                    .filter(|t| t.generation == generation && t.is_live(&key, now))
                    .count()
            };
            let live = live_of(key.generation);
            // Earlier secrets still in their grace keep the end they were promised.
            let earlier: Vec<String> = key
                .graces
                .iter()
                .filter(|g| g.until > now)
                .map(|g| {
                    format!(
                        "an earlier key and its {} live token(s) still stop working at {}, as promised",
                        live_of(g.generation),
                        to_rfc3339(g.until)
                    )
                })
                .collect();
            let old_masked = key.masked.clone();
            let old_generation = key.generation;
            key.old_hashes.push(key.hash);
            key.generation += 1;
            let secret = new_secret(self, &mut key)?;
            key.graces.retain(|g| g.until > now);
            if grace > 0 {
                key.graces.push(Grace {
                    generation: old_generation,
                    until: now + grace,
                });
            }
            key.kept_at = Some(now);
            key.updated_at = now;
            let mut when = if grace > 0 {
                format!("at {}", to_rfc3339(now + grace))
            } else {
                "now".to_owned()
            };
            for e in &earlier {
                when.push_str("; ");
                when.push_str(e);
            }
            tx.put(Table::Keys, &key.id, &key)?;
            put_hash(tx, &key)?;
            let summary = format!(
                "regenerated API key '{}' ({old_masked} → {}); the old key and {live} live token(s) stop working {when}",
                key.name, key.masked
            );
            tx.audit(key_event(tx, &key, "regenerated").says(summary))?;
            Ok((key.id, secret))
        })?;
        Ok(CreatedKey {
            view: self.key_view(&id)?,
            key: ShownSecret(secret),
        })
    }

    /// Changes a key that is not revoked with `change`, which says what it did (or
    /// `None` when there was nothing to change); then shows the key.
    fn update_key(
        &self,
        id: &str,
        op: &str,
        allow_revoked: bool,
        change: impl FnOnce(&mut ApiKey, &Tx<'_>) -> Result<Option<String>>,
    ) -> Result<KeyView> {
        let id = self.write(|tx| {
            let mut key = find_key(tx, id)?;
            if key.revoked_at.is_some() && !allow_revoked {
                return Err(revoked(&key));
            }
            if let Some(summary) = change(&mut key, tx)? {
                key.updated_at = tx.now();
                tx.put(Table::Keys, &key.id, &key)?;
                tx.audit(key_event(tx, &key, op).says(summary))?;
            }
            Ok(key.id)
        })?;
        self.key_view(&id)
    }

    pub fn set_key_disabled(&self, id: &str, disabled: bool) -> Result<KeyView> {
        self.update_key(id, "updated", false, |key, _| {
            if key.disabled == disabled {
                return Ok(None);
            }
            key.disabled = disabled;
            let what = if disabled {
                "disabled: it and its tokens fail with DISABLED until enabled"
            } else {
                "enabled: it works again"
            };
            Ok(Some(format!("API key '{}' {what}", key.name)))
        })
    }

    /// "Keep": resets the inactivity clock, as if the key had just been used.
    pub fn keep_key(&self, id: &str) -> Result<KeyView> {
        self.update_key(id, "kept", true, |key, tx| {
            let now = tx.now();
            key.kept_at = Some(now);
            let days = read_settings(tx)?.inactivity_days;
            Ok(Some(format!(
                "kept API key '{}': inactivity clock reset, it will not be deleted before {}",
                key.name,
                to_rfc3339(now + days as i64 * DAY)
            )))
        })
    }

    /// Changes a key's name and policy (notes, tags, permissions, rate limit, "never
    /// delete for inactivity"). Every value is checked before anything is written.
    pub fn edit_key(&self, id: &str, edit: KeyEdit) -> Result<KeyView> {
        let name = edit
            .name
            .as_deref()
            .map(|n| validate::name("API key", n, validate::NAME_MAX))
            .transpose()?;
        let notes = edit.notes.as_deref().map(policy::notes).transpose()?;
        let tags = edit.tags.as_deref().map(policy::tags).transpose()?;
        let permissions = edit
            .permissions
            .as_deref()
            .map(policy::permissions)
            .transpose()?;
        let rate = edit.rate.as_deref().map(policy::parse_rate).transpose()?;
        self.update_key(id, "updated", true, |key, _| {
            let mut renamed = None;
            if let Some(n) = name.filter(|n| *n != key.name) {
                let old = std::mem::replace(&mut key.name, n);
                renamed = Some(format!("renamed API key '{old}' → '{}'", key.name));
            }
            let mut said = Vec::new();
            if let Some(n) = notes.filter(|n| *n != key.notes) {
                key.notes = n;
                said.push("notes changed".to_owned());
            }
            if let Some(t) = tags.filter(|t| *t != key.tags) {
                said.push(format!("tags: {}", list_or_none(&t)));
                key.tags = t;
            }
            if let Some(p) = permissions.filter(|p| *p != key.permissions) {
                said.push(format!("permissions: {}", p.join(", ")));
                key.permissions = p;
            }
            if let Some(r) = rate.filter(|r| *r != key.rate) {
                said.push(format!(
                    "rate limit: {}",
                    r.as_ref().map_or("none".to_owned(), policy::rate_text)
                ));
                key.rate = r;
            }
            if let Some(k) = edit.keep_always.filter(|k| *k != key.keep_always) {
                key.keep_always = k;
                said.push(if k {
                    "never deleted for inactivity".to_owned()
                } else {
                    "deleted for inactivity again, like other keys".to_owned()
                });
            }
            Ok(match (renamed, said.is_empty()) {
                (None, true) => None,
                (Some(r), true) => Some(r),
                (Some(r), false) => Some(format!("{r}; {}", said.join("; "))),
                (None, false) => Some(format!("API key '{}': {}", key.name, said.join("; "))),
            })
        })
    }

    pub fn rename_key(&self, id: &str, name: &str) -> Result<KeyView> {
        self.edit_key(
            id,
            KeyEdit {
                name: Some(name.to_owned()),
                ..KeyEdit::default()
            },
        )
    }

    /// Deletes a key and its tokens. A key in use (used in the last 30 days or with live
    /// tokens) is refused unless `force`.
    pub fn delete_key(&self, id: &str, force: bool) -> Result<DeletedKey> {
        self.delete_key_inner(id, |_| force)
    }

    /// Deletes as the desktop confirms it: a key in use goes only if `typed_name` is its
    /// name exactly (surrounding spaces aside).
    pub fn delete_key_typed(&self, id: &str, typed_name: Option<&str>) -> Result<DeletedKey> {
        self.delete_key_inner(id, |key| typed_name.is_some_and(|t| t.trim() == key.name))
    }

    fn delete_key_inner(
        &self,
        id: &str,
        confirmed: impl FnOnce(&ApiKey) -> bool,
    ) -> Result<DeletedKey> {
        self.write(|tx| {
            let key = find_key(tx, id)?;
            let force = confirmed(&key);
            let now = tx.now();
            let tokens = self.tokens_of(&key.id)?;
            let live = tokens.iter().filter(|t| t.is_live(&key, now)).count();
            let last_used = self.last_used(&key.id)?;
            let was_in_use = in_use(last_used, live, now);
            if was_in_use && !force {
                let mut detail = Vec::new();
                if let Some(u) = last_used.filter(|u| now - u < IN_USE_WINDOW) {
                    detail.push(format!("used {}", ago(now, u)));
                }
                if live > 0 {
                    detail.push(format!(
                        "{live} live token{}",
                        if live == 1 { "" } else { "s" }
                    ));
                }
                return Err(Error::KeyInUse {
                    name: key.name.clone(),
                    detail: detail.join(", "),
                });
            }
            let owner = tx.get::<User>(Table::Users, &key.owner)?;
            let tokens_deleted = bin_key(tx, &key, &tokens, BY_HAND)?;
            let summary = format!(
                "deleted API key '{}' ({}) and {tokens_deleted} token(s){}; restorable for {KEEP_DELETED_DAYS} days",
                key.name,
                key.masked,
                if was_in_use {
                    " although it was in use"
                } else {
                    ""
                }
            );
            tx.audit(key_event(tx, &key, "deleted").says(summary))?;
            Ok(DeletedKey {
                id: key.id.clone(),
                name: key.name.clone(),
                owner: owner.map(|o| o.owner_view()).unwrap_or_else(|| OwnerView {
                    id: key.owner.clone(),
                    name: String::new(),
                    email: String::new(),
                }),
                tokens_deleted,
                was_in_use,
                restorable_until: to_datetime(now + KEEP_DELETED),
            })
        })
    }
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}
