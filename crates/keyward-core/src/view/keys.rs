//! Keys as the front ends show them, and the facts a list of many keys is filtered and
//! sorted on without formatting anything.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::clock::{days_until, due_phrase, to_datetime, Millis};
use crate::model::key::{in_use, ApiKey, KeyFilter, KeyStatus, Scope};
use crate::model::lifecycle;
use crate::model::location::Location;
use crate::model::secret::ShownSecret;
use crate::model::settings::Settings;
use crate::model::token::Token;
use crate::model::user::User;
use crate::view::audit::AuditView;
use crate::view::tokens::TokenView;
use crate::view::users::OwnerView;

/// A scope as answers show it: `{"type":"agency"}` or
/// `{"type":"location","location_id":"loc_…","name":"Downtown"}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ScopeView {
    Agency,
    Location {
        location_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
}

/// A key as every front end shows it. Never carries the secret.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct KeyView {
    pub id: String,
    pub name: String,
    pub masked_key: String,
    pub owner: OwnerView,
    pub scope: ScopeView,
    pub status: KeyStatus,
    #[serde(serialize_with = "crate::view::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::view::time::rfc3339_opt")]
    pub last_used_at: Option<DateTime<Utc>>,
    /// When inactivity deletion is due (moved later if a reminder came late).
    #[serde(serialize_with = "crate::view::time::rfc3339_opt")]
    pub deletes_at: Option<DateTime<Utc>>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub deletes_in_days: Option<i64>,
    /// When the deletion comes, as reminders and the Expiring soon list say it ("in 6
    /// days", "in 25 hours"), so the badge never disagrees with them.
    pub deletes_in: Option<String>,
    /// A deletion reminder has been raised for the current deadline.
    pub deletion_scheduled: bool,
    /// The coming deletion is what the key's badge shows ("Deletes in N days"): it is
    /// scheduled, or within the earliest reminder's days, and the key is not revoked.
    pub deletion_near: bool,
    pub in_use: bool,
    pub live_tokens: usize,
    /// While the previous secret still works after a regeneration.
    #[serde(serialize_with = "crate::view::time::rfc3339_opt")]
    pub grace_until: Option<DateTime<Utc>>,
    /// When the key stops working, chosen at creation; `null`: never.
    #[serde(serialize_with = "crate::view::time::rfc3339_opt", default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// The key's end is near enough to show in the list (as near as its first reminder,
    /// 30 days by default), and it is neither revoked nor already expired.
    #[serde(default)]
    pub expiry_near: bool,
    /// "Never delete for inactivity".
    #[serde(default)]
    pub keep_always: bool,
    /// What uses the key.
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// What the key may do; `["*"]`: everything.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// The rate limit, as written (`600/min`); `null`: none.
    #[serde(default)]
    pub rate: Option<String>,
}

impl KeyView {
    /// What a notification says once the key was kept: (summary, body).
    pub fn kept_notice(&self) -> (String, String) {
        let body = match &self.deletes_in {
            Some(when) => format!("Its inactivity clock starts again: deleted {when} if unused."),
            None => "It will not be deleted for inactivity.".to_owned(),
        };
        (format!("Kept API key '{}'", self.name), body)
    }
}

/// A key with its secret, for the moments the secret is shown: create, regenerate.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreatedKey {
    #[serde(flatten)]
    pub view: KeyView,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub key: ShownSecret,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeletedKey {
    pub id: String,
    pub name: String,
    pub owner: OwnerView,
    pub tokens_deleted: usize,
    pub was_in_use: bool,
    /// Until when "Recently deleted" can bring it back.
    #[serde(serialize_with = "crate::view::time::rfc3339", default)]
    pub restorable_until: DateTime<Utc>,
}

/// A key deleted in the last 30 days, restorable until `purges_at`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeletedKeyView {
    /// The key as it comes back when restored (its tokens as they were).
    pub key: KeyView,
    #[serde(serialize_with = "crate::view::time::rfc3339")]
    pub deleted_at: DateTime<Utc>,
    /// Who deleted it; `null` for the inactivity rule or this computer's CLI.
    pub deleted_by: Option<OwnerView>,
    /// `deleted` (by hand) or `inactive` (by the inactivity rule).
    pub reason: String,
    /// In words: "Deleted by Ann Lee", "Deleted for inactivity".
    pub said: String,
    /// When it is purged for good.
    #[serde(serialize_with = "crate::view::time::rfc3339")]
    pub purges_at: DateTime<Utc>,
    /// "in 29 days".
    pub purges_in: String,
}

/// A key with its tokens and its history, for the key detail screen.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct KeyDetail {
    pub key: KeyView,
    pub tokens: Vec<TokenView>,
    pub events: Vec<AuditView>,
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
        let deletes_at = (key.revoked_at.is_none()
            && key.inactivity_applies(self.settings.inactivity_days))
        .then(|| lifecycle::effective_deadline(deadline, &key.reminders));
        let deletes_in_days = deletes_at.map(|at| days_until(self.now, at));
        let deletion_scheduled = key.reminders.iter().any(|r| r.deadline == deadline);
        RowFacts {
            key,
            owner,
            last_used,
            live_tokens,
            status: key.status(owner, self.now),
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
            status: f.status,
            created_at: to_datetime(key.created_at),
            last_used_at: f.last_used.map(to_datetime),
            deletes_at: f.deletes_at.map(to_datetime),
            deletes_in_days: f.deletes_in_days,
            deletes_in: f.deletes_at.map(|at| due_phrase(self.now, at)),
            deletion_scheduled: f.deletion_scheduled,
            deletion_near: f.deletion_near,
            in_use: f.in_use,
            live_tokens: f.live_tokens,
            expires_at: key.expires_at.map(to_datetime),
            expiry_near: key.revoked_at.is_none()
                && key.expires_at.is_some_and(|at| {
                    at > self.now && at - self.now <= self.settings.key_expiry_window()
                }),
            keep_always: key.keep_always,
            notes: key.notes.clone(),
            tags: key.tags.clone(),
            permissions: key.permissions.clone(),
            rate: key.rate.as_ref().map(crate::model::policy::rate_text),
            grace_until: key.grace_until(self.now).map(to_datetime),
        }
    }
}

/// The keys of the index that pass `filter`, newest first.
pub(crate) fn matching_rows<'a>(
    ctx: &'a ViewContext,
    keys: impl Iterator<Item = &'a ApiKey>,
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
    for k in keys {
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
            // Notes and tags too: "what uses this key" is found by what the notes say.
            let hay = format!(
                "{} {} {} {} {} {} {} {}",
                k.name,
                k.id,
                k.masked,
                owner_name,
                owner_email,
                f.scope_label(ctx),
                k.notes,
                k.tags.join(" ")
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
