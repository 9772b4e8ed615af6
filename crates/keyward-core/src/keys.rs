//! API keys: create, list, show, reveal/copy, regenerate with a grace period, disable,
//! keep, delete. A key's id, name, owner and scope never change across regeneration;
//! only its secret (and `generation`) does.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::clock::{ago, days_until, to_rfc3339, Millis, DAY, HOUR};
use crate::error::{Error, Result};
use crate::ids::new_id;
use crate::lifecycle::{self, Reminder};
use crate::locations::Location;
use crate::seal;
use crate::secret::{Secret, SecretKind, ShownSecret};
use crate::settings::Settings;
use crate::store::{Changes, Store, T};
use crate::tokens::Token;
use crate::users::{OwnerView, User};
use crate::validate;

/// A key used within this window counts as "in use" for deletion.
pub const IN_USE_WINDOW: Millis = 30 * DAY;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    Agency,
    Location(String),
}

/// A scope as answers show it: `{"type":"agency"}` or
/// `{"type":"location","location_id":"loc_…","name":"Downtown"}`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ScopeView {
    Agency,
    Location {
        location_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
}

/// A retired secret's generation and when it stops working: the end promised when that
/// secret was replaced. Tokens minted with it end then too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grace {
    pub generation: u32,
    pub until: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub owner: String,
    pub scope: Scope,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// Last "Keep" (or regeneration): resets the inactivity clock like a use does.
    pub kept_at: Option<Millis>,
    pub disabled: bool,
    /// Set by "Clear API keys": revoked for good.
    pub revoked_at: Option<Millis>,
    /// Bumped by every regeneration; tokens remember the generation they were minted from.
    pub generation: u32,
    pub hash: [u8; 32],
    pub masked: String,
    /// The secret, sealed under the master key with the key id as associated data.
    pub sealed: Vec<u8>,
    /// Retired secrets still in their grace period, each with its own end (a second
    /// regeneration never shortens the first one's promise).
    pub graces: Vec<Grace>,
    /// Hashes of earlier secrets, kept in the index so they answer REVOKED.
    pub old_hashes: Vec<[u8; 32]>,
    pub reminders: Vec<Reminder>,
}

/// What the hash index points to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct HashEntry {
    pub token: bool,
    pub id: String,
    pub generation: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    Active,
    Disabled,
    Revoked,
    OwnerDeactivated,
    AccessOff,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "active",
            KeyStatus::Disabled => "disabled",
            KeyStatus::Revoked => "revoked",
            KeyStatus::OwnerDeactivated => "owner_deactivated",
            KeyStatus::AccessOff => "access_off",
        }
    }
}

/// `--status` filter values, beyond the statuses themselves.
pub const STATUS_FILTERS: &[&str] = &[
    "active",
    "disabled",
    "revoked",
    "owner_deactivated",
    "access_off",
    "expiring",
    "in_use",
];

impl ApiKey {
    /// Whether a secret (or token) of this generation still works at `now`.
    pub fn generation_valid(&self, generation: u32, now: Millis) -> bool {
        generation == self.generation || self.grace_end(generation).is_some_and(|end| now < end)
    }

    /// When a retired generation's grace ends; `None` for the current generation and for
    /// generations that were retired without one.
    pub fn grace_end(&self, generation: u32) -> Option<Millis> {
        self.graces
            .iter()
            .find(|g| g.generation == generation)
            .map(|g| g.until)
    }

    /// The last moment any retired secret of this key still works, if one does.
    pub fn grace_until(&self, now: Millis) -> Option<Millis> {
        self.graces
            .iter()
            .map(|g| g.until)
            .filter(|&u| u > now)
            .max()
    }

    /// The latest of creation, "Keep" and use: the inactivity clock starts here.
    pub fn last_activity(&self, last_used: Option<Millis>) -> Millis {
        self.created_at
            .max(self.kept_at.unwrap_or(0))
            .max(last_used.unwrap_or(0))
    }

    pub fn status(&self, owner: Option<&User>) -> KeyStatus {
        if self.revoked_at.is_some() {
            KeyStatus::Revoked
        } else if self.disabled {
            KeyStatus::Disabled
        } else if owner.is_some_and(|o| !o.active) {
            KeyStatus::OwnerDeactivated
        } else if owner.is_some_and(|o| !o.api_access) {
            KeyStatus::AccessOff
        } else {
            KeyStatus::Active
        }
    }

    fn secret_kind(&self) -> SecretKind {
        match self.scope {
            Scope::Agency => SecretKind::AgencyKey,
            Scope::Location(_) => SecretKind::LocationKey,
        }
    }
}

/// A key as every front end shows it. Never carries the secret.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct KeyView {
    pub id: String,
    pub name: String,
    pub masked_key: String,
    pub owner: OwnerView,
    pub scope: ScopeView,
    #[cfg_attr(
        feature = "ts",
        ts(
            type = "\"active\" | \"disabled\" | \"revoked\" | \"owner_deactivated\" | \"access_off\""
        )
    )]
    pub status: &'static str,
    pub created_at: String,
    pub last_used_at: Option<String>,
    /// When inactivity deletion is due (moved later if a reminder came late).
    pub deletes_at: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub deletes_in_days: Option<i64>,
    /// A deletion reminder has been raised for the current deadline.
    pub deletion_scheduled: bool,
    /// The coming deletion is what the key's badge shows ("Deletes in N days"): it is
    /// scheduled, or within the earliest reminder's days, and the key is not revoked.
    pub deletion_near: bool,
    pub in_use: bool,
    pub live_tokens: usize,
    /// While the previous secret still works after a regeneration.
    pub grace_until: Option<String>,
}

/// A key with its secret, for the moments the secret is shown: create, regenerate.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct CreatedKey {
    #[serde(flatten)]
    pub view: KeyView,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub key: ShownSecret,
}

#[derive(Debug, Clone, Default)]
pub struct NewKey {
    /// User id or email.
    pub owner: String,
    pub name: String,
    /// A location id; `None` for an agency key.
    pub location: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct KeyFilter {
    pub owner: Option<String>,
    pub status: Option<String>,
    pub search: Option<String>,
    /// `agency` or a location id.
    pub scope: Option<String>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DeletedKey {
    pub id: String,
    pub name: String,
    pub owner: OwnerView,
    pub tokens_deleted: usize,
    pub was_in_use: bool,
}

/// A key with its tokens and its history, for the key detail screen.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct KeyDetail {
    pub key: KeyView,
    pub tokens: Vec<crate::tokens::TokenView>,
    pub events: Vec<crate::audit::AuditView>,
}

/// Why a secret was shown, for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disclosure {
    Reveal,
    Copy,
    CopyAsCurl,
    ExportForPostman,
}

impl Disclosure {
    fn audit(self) -> (&'static str, &'static str) {
        match self {
            Disclosure::Reveal => ("revealed", "revealed in full"),
            Disclosure::Copy => ("copied", "copied to the clipboard"),
            Disclosure::CopyAsCurl => ("copied", "copied as a cURL command"),
            Disclosure::ExportForPostman => ("copied", "exported for Postman"),
        }
    }
}

/// Grace periods a regeneration may keep the old secret working: 0, 1h, 24h, 7d.
pub fn parse_grace(text: &str) -> Result<Millis> {
    match text.trim() {
        "0" | "0h" | "none" | "immediately" => Ok(0),
        "1h" => Ok(HOUR),
        "24h" | "1d" => Ok(24 * HOUR),
        "7d" => Ok(7 * DAY),
        other => Err(Error::invalid(format!(
            "grace period '{other}' is not offered — choose 0, 1h, 24h or 7d"
        ))),
    }
}

/// Everything needed to show many keys without a lookup per key.
pub(crate) struct ViewContext {
    pub now: Millis,
    pub settings: Settings,
    pub users: HashMap<String, User>,
    pub locations: HashMap<String, Location>,
    pub last_used: HashMap<String, Millis>,
    pub tokens: HashMap<String, Vec<Token>>,
}

/// What filtering and sorting a key needs, computed without formatting anything: a list
/// of 100,000 keys is filtered and sorted on these, and only the rows shown become views.
pub(crate) struct RowFacts<'a> {
    pub key: &'a ApiKey,
    pub owner: Option<&'a User>,
    pub last_used: Option<Millis>,
    pub live_tokens: usize,
    pub status: KeyStatus,
    /// When inactivity deletion is due; `None` for a revoked key.
    pub deletes_at: Option<Millis>,
    pub deletes_in_days: Option<i64>,
    pub deletion_scheduled: bool,
    pub deletion_near: bool,
    pub in_use: bool,
}

impl RowFacts<'_> {
    pub fn scope_label<'b>(&'b self, ctx: &'b ViewContext) -> &'b str {
        match &self.key.scope {
            Scope::Agency => "Agency",
            Scope::Location(l) => ctx.locations.get(l).map_or(l.as_str(), |l| l.name.as_str()),
        }
    }
}

impl ViewContext {
    pub fn facts<'a>(&'a self, key: &'a ApiKey) -> RowFacts<'a> {
        let owner = self.users.get(&key.owner);
        let last_used = self.last_used.get(&key.id).copied();
        let live_tokens = self
            .tokens
            .get(&key.id)
            .map(|ts| ts.iter().filter(|t| t.is_live(key, self.now)).count())
            .unwrap_or(0);
        let deadline = lifecycle::deletion_deadline(
            key.last_activity(last_used),
            self.settings.inactivity_days,
        );
        let deletes_at = key
            .revoked_at
            .is_none()
            .then(|| lifecycle::effective_deadline(deadline, &key.reminders));
        let deletes_in_days = deletes_at.map(|at| days_until(self.now, at));
        let deletion_scheduled = key.reminders.iter().any(|r| r.deadline == deadline);
        RowFacts {
            key,
            owner,
            last_used,
            live_tokens,
            status: key.status(owner),
            deletes_at,
            deletes_in_days,
            deletion_scheduled,
            deletion_near: deletes_in_days
                .is_some_and(|d| deletion_scheduled || d <= self.settings.soon_days()),
            in_use: in_use(last_used, live_tokens, self.now),
        }
    }

    pub fn view(&self, key: &ApiKey) -> KeyView {
        self.view_of(&self.facts(key))
    }

    pub fn view_of(&self, f: &RowFacts<'_>) -> KeyView {
        let key = f.key;
        KeyView {
            id: key.id.clone(),
            name: key.name.clone(),
            masked_key: key.masked.clone(),
            owner: f.owner.map(User::owner_view).unwrap_or_else(|| OwnerView {
                id: key.owner.clone(),
                name: String::new(),
                email: String::new(),
            }),
            scope: match &key.scope {
                Scope::Agency => ScopeView::Agency,
                Scope::Location(l) => ScopeView::Location {
                    location_id: l.clone(),
                    name: self.locations.get(l).map(|l| l.name.clone()),
                },
            },
            status: f.status.as_str(),
            created_at: to_rfc3339(key.created_at),
            last_used_at: f.last_used.map(to_rfc3339),
            deletes_at: f.deletes_at.map(to_rfc3339),
            deletes_in_days: f.deletes_in_days,
            deletion_scheduled: f.deletion_scheduled,
            deletion_near: f.deletion_near,
            in_use: f.in_use,
            live_tokens: f.live_tokens,
            grace_until: key.grace_until(self.now).map(to_rfc3339),
        }
    }
}

/// The keys of the index that pass `filter`, newest first.
fn matching_rows<'a>(
    ctx: &'a ViewContext,
    ix: &'a crate::index::Index,
    filter: &KeyFilter,
    owner: Option<&User>,
) -> Vec<RowFacts<'a>> {
    let needle = filter
        .search
        .as_ref()
        .map(|s| s.trim().to_lowercase())
        .filter(|n| !n.is_empty());
    let soon = ctx.settings.soon_days();
    let mut out = Vec::new();
    for k in ix.keys.values() {
        if owner.is_some_and(|o| o.id != k.owner) {
            continue;
        }
        if let Some(scope) = &filter.scope {
            let matches = match &k.scope {
                Scope::Agency => scope == "agency",
                Scope::Location(l) => l == scope,
            };
            if !matches {
                continue;
            }
        }
        let f = ctx.facts(k);
        if let Some(s) = &filter.status {
            let keep = match s.as_str() {
                "expiring" => {
                    f.status != KeyStatus::Revoked && f.deletes_in_days.is_some_and(|d| d <= soon)
                }
                "in_use" => f.in_use,
                other => f.status.as_str() == other,
            };
            if !keep {
                continue;
            }
        }
        if let Some(n) = needle.as_deref() {
            let (owner_name, owner_email) = f
                .owner
                .map_or(("", ""), |o| (o.name.as_str(), o.email.as_str()));
            let hay = format!(
                "{} {} {} {} {} {}",
                k.name,
                k.id,
                k.masked,
                owner_name,
                owner_email,
                f.scope_label(ctx)
            )
            .to_lowercase();
            if !hay.contains(n) {
                continue;
            }
        }
        out.push(f);
    }
    // Newest first, like the key pages users know.
    out.sort_by(|a, b| b.key.id.cmp(&a.key.id));
    out
}

fn in_use(last_used: Option<Millis>, live_tokens: usize, now: Millis) -> bool {
    live_tokens > 0 || last_used.is_some_and(|u| now - u < IN_USE_WINDOW)
}

impl Store {
    /// The same context from the in-memory index: nothing of the keys tree is decoded.
    pub(crate) fn view_context_in(&self, ix: &crate::index::Index) -> Result<ViewContext> {
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
        if let Some(u) = self.get::<User>(T::Users, &key.owner)? {
            users.insert(u.id.clone(), u);
        }
        let mut locations = HashMap::new();
        if let Scope::Location(l) = &key.scope {
            if let Some(loc) = self.get::<Location>(T::Locations, l)? {
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

    /// A key's tokens, from the in-memory index that mirrors the tokens tree.
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
        self.get(T::Keys, id.trim())?
            .ok_or_else(|| Error::not_found("API key", id.trim()))
    }

    pub fn key_view(&self, id: &str) -> Result<KeyView> {
        let key = self.api_key(id)?;
        Ok(self.key_context(&key)?.view(&key))
    }

    pub fn key_detail(&self, id: &str) -> Result<KeyDetail> {
        let key = self.key_view(id)?;
        Ok(KeyDetail {
            tokens: self.list_tokens(Some(&key.id))?,
            events: self.audit(&crate::audit::AuditFilter {
                object_id: Some(key.id.clone()),
                limit: Some(200),
                ..Default::default()
            })?,
            key,
        })
    }

    pub(crate) fn key_counts_by_owner(&self) -> Result<HashMap<String, usize>> {
        let mut counts = HashMap::new();
        for k in self.values::<ApiKey>(T::Keys) {
            let k = k?;
            if k.revoked_at.is_none() {
                *counts.entry(k.owner).or_insert(0) += 1;
            }
        }
        Ok(counts)
    }

    pub fn create_key(&self, new: NewKey) -> Result<CreatedKey> {
        let name = validate::name("API key", &new.name, 100)?;
        let _g = self.write_guard();
        let owner = self.user(&new.owner)?;
        refuse_blocked_owner(&owner)?;
        let scope = match new.location.as_deref().map(str::trim) {
            None | Some("") | Some("agency") => Scope::Agency,
            Some(l) => Scope::Location(self.location(l)?.id),
        };
        let master = self.master_key()?;
        let now = self.now();
        let id = new_id("key_", now);
        let mut key = ApiKey {
            id,
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
        };
        let secret = Secret::generate(key.secret_kind());
        key.hash = secret.hash();
        key.masked = secret.mask();
        key.sealed = seal::seal(master, &key.id, secret.expose().as_bytes());
        let mut ch = Changes::default();
        ch.put(T::Keys, &key.id, &key)?;
        ch.put(
            T::Hashes,
            key.hash,
            &HashEntry {
                token: false,
                id: key.id.clone(),
                generation: 0,
            },
        )?;
        ch.audit(&self.key_event(
            &key,
            "created",
            format!(
                "created API key '{}' ({}) for {}",
                key.name, key.masked, owner.email
            ),
        ))?;
        self.commit(ch)?;
        drop(_g);
        Ok(CreatedKey {
            view: self.key_view(&key.id)?,
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
                return Err(Error::invalid(format!(
                    "status '{s}' is not one of: {}",
                    STATUS_FILTERS.join(", ")
                )));
            }
        }
        let owner = filter.owner.as_deref().map(|o| self.user(o)).transpose()?;
        self.with_index(|ix| {
            let ctx = self.view_context_in(ix)?;
            let rows = matching_rows(&ctx, ix, filter, owner.as_ref());
            Ok(then(&ctx, rows, ix.keys.len()))
        })?
    }

    /// The full secret of an API key, for copying or revealing. Audited.
    pub fn reveal_key(&self, id: &str, how: Disclosure) -> Result<Secret> {
        let _g = self.write_guard();
        let key = self.api_key(id)?;
        if key.revoked_at.is_some() {
            return Err(revoked(&key));
        }
        let master = self.master_key()?;
        let plain = seal::open(master, &key.id, &key.sealed).ok_or_else(|| {
            Error::MasterKeyUnavailable(format!(
                "API key '{}' cannot be unsealed with this master key",
                key.name
            ))
        })?;
        let text = std::str::from_utf8(&plain).map_err(|_| {
            Error::Corrupt(format!("the sealed secret of '{}' is not text", key.name))
        })?;
        let (secret, _) = Secret::parse(text).ok_or_else(|| {
            Error::Corrupt(format!("the sealed secret of '{}' is malformed", key.name))
        })?;
        let (op, what) = how.audit();
        let mut ch = Changes::default();
        ch.audit(&self.key_event(
            &key,
            op,
            format!("API key '{}' ({}) {what}", key.name, key.masked),
        ))?;
        self.commit(ch)?;
        Ok(secret)
    }

    /// New secret, same id/name/owner/scope. The old secret and its tokens keep working
    /// for `grace` (0: they stop now).
    pub fn regenerate_key(&self, id: &str, grace: Millis) -> Result<CreatedKey> {
        if ![0, HOUR, 24 * HOUR, 7 * DAY].contains(&grace) {
            return Err(Error::invalid("grace period must be 0, 1h, 24h or 7d"));
        }
        let _g = self.write_guard();
        let mut key = self.api_key(id)?;
        if key.revoked_at.is_some() {
            return Err(revoked(&key));
        }
        let master = self.master_key()?;
        let now = self.now();
        let tokens = self.tokens_of(&key.id)?;
        let live_of = |generation: u32| {
            tokens
                .iter()
                .filter(|t| t.generation == generation && t.is_live(&key, now))
                .count()
        };
        let live = live_of(key.generation);
        let old_masked = key.masked.clone();
        let old_generation = key.generation;
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
        let secret = Secret::generate(key.secret_kind());
        key.old_hashes.push(key.hash);
        key.generation += 1;
        key.hash = secret.hash();
        key.masked = secret.mask();
        key.sealed = seal::seal(master, &key.id, secret.expose().as_bytes());
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
        let mut ch = Changes::default();
        ch.put(T::Keys, &key.id, &key)?;
        ch.put(
            T::Hashes,
            key.hash,
            &HashEntry {
                token: false,
                id: key.id.clone(),
                generation: key.generation,
            },
        )?;
        ch.audit(&self.key_event(
            &key,
            "regenerated",
            format!(
                "regenerated API key '{}' ({old_masked} → {}); the old key and {live} live token(s) stop working {when}",
                key.name, key.masked
            ),
        ))?;
        self.commit(ch)?;
        drop(_g);
        Ok(CreatedKey {
            view: self.key_view(&key.id)?,
            key: ShownSecret(secret),
        })
    }

    pub fn set_key_disabled(&self, id: &str, disabled: bool) -> Result<KeyView> {
        {
            let _g = self.write_guard();
            let mut key = self.api_key(id)?;
            if key.revoked_at.is_some() {
                return Err(revoked(&key));
            }
            if key.disabled != disabled {
                key.disabled = disabled;
                key.updated_at = self.now();
                let mut ch = Changes::default();
                ch.put(T::Keys, &key.id, &key)?;
                let what = if disabled {
                    "disabled: it and its tokens fail with DISABLED until enabled"
                } else {
                    "enabled: it works again"
                };
                ch.audit(&self.key_event(
                    &key,
                    "updated",
                    format!("API key '{}' {what}", key.name),
                ))?;
                self.commit(ch)?;
            }
        }
        self.key_view(id)
    }

    /// "Keep": resets the inactivity clock, as if the key had just been used.
    pub fn keep_key(&self, id: &str) -> Result<KeyView> {
        {
            let _g = self.write_guard();
            let mut key = self.api_key(id)?;
            let now = self.now();
            key.kept_at = Some(now);
            key.updated_at = now;
            let days = self.settings()?.inactivity_days;
            let mut ch = Changes::default();
            ch.put(T::Keys, &key.id, &key)?;
            ch.audit(&self.key_event(
                &key,
                "kept",
                format!(
                    "kept API key '{}': inactivity clock reset, it will not be deleted before {}",
                    key.name,
                    to_rfc3339(now + days as i64 * DAY)
                ),
            ))?;
            self.commit(ch)?;
        }
        self.key_view(id)
    }

    pub fn rename_key(&self, id: &str, name: &str) -> Result<KeyView> {
        let name = validate::name("API key", name, 100)?;
        {
            let _g = self.write_guard();
            let mut key = self.api_key(id)?;
            if key.name != name {
                let old = std::mem::replace(&mut key.name, name);
                key.updated_at = self.now();
                let mut ch = Changes::default();
                ch.put(T::Keys, &key.id, &key)?;
                ch.audit(&self.key_event(
                    &key,
                    "updated",
                    format!("renamed API key '{old}' → '{}'", key.name),
                ))?;
                self.commit(ch)?;
            }
        }
        self.key_view(id)
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
        let _g = self.write_guard();
        let key = self.api_key(id)?;
        let force = confirmed(&key);
        let now = self.now();
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
        let owner = self.get::<User>(T::Users, &key.owner)?;
        let mut ch = Changes::default();
        let tokens_deleted = remove_key(&mut ch, &key, &tokens);
        ch.audit(&self.key_event(
            &key,
            "deleted",
            format!(
                "deleted API key '{}' ({}) and {tokens_deleted} token(s){}",
                key.name,
                key.masked,
                if was_in_use {
                    " although it was in use"
                } else {
                    ""
                }
            ),
        ))?;
        self.commit(ch)?;
        // Else a use still held in memory would be written back for a key that is gone.
        let mut ids: Vec<&str> = tokens.iter().map(|t| t.id.as_str()).collect();
        ids.push(&key.id);
        self.forget_use(&ids);
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
        })
    }

    pub(crate) fn key_event(
        &self,
        key: &ApiKey,
        op: &str,
        summary: String,
    ) -> crate::audit::AuditEvent {
        self.audit_event("api_key", op, &key.id, &key.name, Some(&key.owner), summary)
    }
}

/// Adds to `ch` the removal of a key, every hash that points to it, and its tokens.
pub(crate) fn remove_key(ch: &mut Changes, key: &ApiKey, tokens: &[Token]) -> usize {
    ch.del(T::Keys, &key.id);
    ch.del(T::Hashes, key.hash);
    for h in &key.old_hashes {
        ch.del(T::Hashes, h);
    }
    ch.del(T::LastUsed, &key.id);
    for t in tokens {
        ch.del(T::Tokens, &t.id);
        ch.del(T::Hashes, t.hash);
        ch.del(T::LastUsed, &t.id);
    }
    tokens.len()
}

pub(crate) fn refuse_blocked_owner(owner: &User) -> Result<()> {
    if !owner.active {
        return Err(Error::UserDeactivated(owner.email.clone()));
    }
    if !owner.api_access {
        return Err(Error::ApiAccessOff(owner.email.clone()));
    }
    Ok(())
}

pub(crate) fn revoked(key: &ApiKey) -> Error {
    Error::Revoked(format!(
        "API key '{}' was revoked for good when its owner's keys were cleared — create a new key instead",
        key.name
    ))
}
