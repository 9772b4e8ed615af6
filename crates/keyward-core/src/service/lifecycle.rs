//! The lifecycle pass: plans every key and token with `model::lifecycle` from the
//! in-memory index, then acts on the few that need it — raising reminders, announcing
//! expired tokens, deleting keys — in batches of one transaction each, and reports.

use std::collections::{BTreeSet, HashMap};

use super::deleted::bin_key;
use super::keys::key_event;
use super::mail::{queue_reminder, Addressees};
use super::tokens::token_event;
use crate::error::Result;
use crate::model::clock::{days_until, due_phrase, short_date, to_datetime, to_rfc3339, Millis};
use crate::model::deleted::{INACTIVE, KEEP_DELETED_DAYS};
use crate::model::key::ApiKey;
use crate::model::lifecycle::{plan_key, plan_token, token_expiry_due, KeyAction, Reminder};
use crate::model::settings::Settings;
use crate::model::token::Token;
use crate::model::user::Role;
use crate::store::index::Index;
use crate::store::{Read, Store, Table, Tx};
use crate::view::lifecycle::{
    last_use_sentence, DeletionNotice, LifecycleReport, ReminderKind, ReminderNotice,
};
use crate::view::users::OwnerView;

/// Actions are committed in batches of this many, each batch one transaction.
const BATCH: usize = 500;

/// What the pass acts on, gathered from the index: the keys that need an action, their
/// tokens, the "last used" times and owners involved.
struct Due {
    keys: BTreeSet<String>,
    tokens: HashMap<String, Vec<Token>>,
    last_used: HashMap<String, Millis>,
    owners: HashMap<String, OwnerView>,
    /// Owners reminders may be emailed to (active, with an address): id → name, address.
    mail_to: HashMap<String, (String, String)>,
    /// Active admins, who a reminder email names to ask: id, name, address.
    admins: Vec<(String, String, String)>,
    keys_checked: usize,
    tokens_checked: usize,
}

impl Due {
    fn owner(&self, id: &str) -> OwnerView {
        self.owners.get(id).cloned().unwrap_or_else(|| OwnerView {
            id: id.to_owned(),
            name: String::new(),
            email: String::new(),
        })
    }

    /// Who the reminder email about a key of `owner` goes to, and whom it names to ask.
    fn addressees(&self, owner: &str) -> Addressees {
        Addressees {
            to: self
                .mail_to
                .get(owner)
                .map(|(name, address)| (owner.to_owned(), name.clone(), address.clone())),
            admins: self
                .admins
                .iter()
                .filter(|(id, _, _)| id != owner)
                .take(3)
                .map(|(_, name, address)| (name.clone(), address.clone()))
                .collect(),
        }
    }
}

/// One pass's settings, time and findings.
struct Pass<'a> {
    settings: &'a Settings,
    now: Millis,
    due: &'a Due,
    report: LifecycleReport,
    /// Actions written since the last batch was committed.
    pending: usize,
}

impl Store {
    /// Raises due reminders and deletes keys whose time has come. With `dry_run`, only
    /// reports what it would do.
    pub fn run_lifecycle(&self, dry_run: bool) -> Result<LifecycleReport> {
        // Uses seen in memory count: write them first so the plan sees them.
        self.flush()?;
        let settings = self.settings()?;
        let now = self.now();
        let due = self.with_index(|ix| self.find_due(ix, &settings, now))?;
        let mut pass = Pass {
            settings: &settings,
            now,
            due: &due,
            report: LifecycleReport {
                ran_at: to_datetime(now),
                dry_run,
                keys_checked: due.keys_checked,
                tokens_checked: due.tokens_checked,
                reminders: Vec::new(),
                deleted: Vec::new(),
                purged: 0,
            },
            pending: 0,
        };
        let act = |tx: &mut Tx<'_>| -> Result<()> {
            for id in &due.keys {
                let Some(key) = tx.get::<ApiKey>(Table::Keys, id)? else {
                    continue;
                };
                if let Some(key) = pass.act_on_key(tx, key)? {
                    let key = pass.act_on_key_expiry(tx, key)?;
                    pass.act_on_tokens(tx, &key)?;
                }
                if pass.pending >= BATCH && !dry_run {
                    tx.commit_so_far()?;
                    pass.pending = 0;
                }
            }
            Ok(())
        };
        if dry_run {
            self.rehearse(act)?;
        } else {
            self.write(act)?;
            // Usage counts are kept 90 days, deleted keys 30.
            self.drop_old_usage()?;
            pass.report.purged = self.purge_old_deleted_keys()?;
        }
        Ok(pass.report)
    }

    /// Plans every key and token from the in-memory index, and gathers what the keys
    /// that need an action (and only those) will be acted on with.
    fn find_due(&self, ix: &Index, settings: &Settings, now: Millis) -> Due {
        let mut keys = BTreeSet::new();
        for key in ix.keys.values() {
            if key_expiry_reminder(key, settings, now).is_some() {
                keys.insert(key.id.clone());
            }
            // Revoked keys work for nobody: no reminders about them, no deadline. Keys kept
            // always (or every key, with the rule off) are never deleted for inactivity.
            if key.revoked_at.is_some() || !key.inactivity_applies(settings.inactivity_days) {
                continue;
            }
            let used = self.last_used_in(ix, &key.id);
            let p = plan_key(
                key.last_activity(used),
                &key.reminders,
                settings.inactivity_days,
                &settings.reminder_days,
                now,
            );
            if p.action != KeyAction::Nothing {
                keys.insert(key.id.clone());
            }
        }
        for t in ix.tokens.values() {
            let Some(key) = ix.keys.get(&t.key_id) else {
                continue;
            };
            let remind = || {
                plan_token(
                    t.expires_at,
                    &t.reminders,
                    &settings.token_reminder_days,
                    now,
                )
                .is_some()
            };
            if token_expiry_due(t, key, now) || (t.is_live(key, now) && remind()) {
                keys.insert(key.id.clone());
            }
        }
        let mut tokens: HashMap<String, Vec<Token>> = HashMap::new();
        let mut last_used = HashMap::new();
        for t in ix.tokens.values().filter(|t| keys.contains(&t.key_id)) {
            tokens.entry(t.key_id.clone()).or_default().push(t.clone());
            if let Some(u) = self.last_used_in(ix, &t.id) {
                last_used.insert(t.id.clone(), u);
            }
        }
        let mut owners = HashMap::new();
        let mut mail_to = HashMap::new();
        for id in &keys {
            if let Some(u) = self.last_used_in(ix, id) {
                last_used.insert(id.clone(), u);
            }
            if let Some(o) = ix.keys.get(id).and_then(|k| ix.users.get(&k.owner)) {
                owners.insert(o.id.clone(), o.owner_view());
                if settings.email_on() && o.active && !o.email.trim().is_empty() {
                    mail_to.insert(o.id.clone(), (o.name.clone(), o.email.clone()));
                }
            }
        }
        let mut admins: Vec<(String, String, String)> = Vec::new();
        if !mail_to.is_empty() {
            admins = ix
                .users
                .values()
                .filter(|u| u.active && u.role == Role::Admin && !u.email.is_empty())
                .map(|u| (u.id.clone(), u.name.clone(), u.email.clone()))
                .collect();
            admins.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        }
        Due {
            keys,
            tokens,
            last_used,
            owners,
            mail_to,
            admins,
            keys_checked: ix.keys.len(),
            tokens_checked: ix.tokens.len(),
        }
    }
}

impl Pass<'_> {
    /// Reports a reminder just raised in `tx`, and queues its email to the owner with it.
    /// `created_at` is the key's (or the token's) creation.
    fn remind(
        &mut self,
        notice: ReminderNotice,
        tx: &mut Tx<'_>,
        created_at: Millis,
    ) -> Result<()> {
        let to = self.due.addressees(&notice.owner.id);
        queue_reminder(tx, self.settings, &notice, created_at, &to)?;
        self.report.reminders.push(notice);
        Ok(())
    }

    /// Raises the key's due deletion reminder, or deletes it. Returns the key when it is
    /// still there (its tokens are looked at next).
    fn act_on_key(&mut self, tx: &mut Tx<'_>, mut key: ApiKey) -> Result<Option<ApiKey>> {
        let (now, settings) = (self.now, self.settings);
        if !key.inactivity_applies(settings.inactivity_days) {
            // Here for its tokens only.
            return Ok(Some(key));
        }
        let used = self.due.last_used.get(&key.id).copied();
        let plan = plan_key(
            key.last_activity(used),
            &key.reminders,
            settings.inactivity_days,
            &settings.reminder_days,
            now,
        );
        let since = match used {
            Some(u) => format!("unused since {}", short_date(now, u)),
            None => format!(
                "never used since it was created on {}",
                short_date(now, key.created_at)
            ),
        };
        match plan.action {
            KeyAction::Nothing => Ok(Some(key)),
            KeyAction::Remind { days_before } => {
                let summary = format!(
                    "API key '{}' will be deleted {}",
                    key.name,
                    due_phrase(now, plan.deletes_at)
                );
                let message = format!("{summary} — {since}");
                key.reminders.retain(|r| r.deadline == plan.deadline);
                key.reminders.push(Reminder {
                    deadline: plan.deadline,
                    days_before,
                    raised_at: now,
                });
                tx.put(Table::Keys, &key.id, &key)?;
                let said = format!("{message} (deletion on {})", to_rfc3339(plan.deletes_at));
                tx.audit(key_event(tx, &key, "reminder").says(said))?;
                self.pending += 1;
                self.remind(
                    ReminderNotice {
                        kind: ReminderKind::KeyDeletion,
                        id: key.id.clone(),
                        key_id: key.id.clone(),
                        key_name: key.name.clone(),
                        owner: self.due.owner(&key.owner),
                        days_before,
                        days_left: days_until(now, plan.deletes_at),
                        due_at: to_datetime(plan.deletes_at),
                        last_used_at: used.map(to_datetime),
                        message,
                        summary,
                        advice: format!(
                            "{} Open Keyward to keep it, or let it go.",
                            last_use_sentence(now, used)
                        ),
                    },
                    tx,
                    key.created_at,
                )?;
                Ok(Some(key))
            }
            KeyAction::Delete => {
                let tokens = self.due.tokens.get(&key.id).map_or(&[][..], Vec::as_slice);
                let tokens_deleted = bin_key(tx, &key, tokens, INACTIVE)?;
                let message = format!(
                    "API key '{}' was deleted after {} days of inactivity — {since}. It can be restored from Recently deleted for {KEEP_DELETED_DAYS} days",
                    key.name, settings.inactivity_days,
                );
                let said = format!("{message}; {tokens_deleted} token(s) deleted with it");
                tx.audit(key_event(tx, &key, "deleted").says(said))?;
                self.pending += 1;
                self.report.deleted.push(DeletionNotice {
                    id: key.id.clone(),
                    name: key.name.clone(),
                    owner: self.due.owner(&key.owner),
                    last_used_at: used.map(to_datetime),
                    tokens_deleted,
                    message,
                });
                Ok(None)
            }
        }
    }

    /// Raises the due reminder before the key's own end, as for tokens (30, 7 and 1 days
    /// before by default: `token_reminder_days`).
    fn act_on_key_expiry(&mut self, tx: &mut Tx<'_>, mut key: ApiKey) -> Result<ApiKey> {
        let now = self.now;
        let (Some(days_before), Some(end)) = (
            key_expiry_reminder(&key, self.settings, now),
            key.expires_at,
        ) else {
            return Ok(key);
        };
        let summary = format!("API key '{}' expires {}", key.name, due_phrase(now, end));
        let before = short_date(now, end);
        let message = format!("{summary} — create its successor before {before}");
        key.expiry_reminders.push(Reminder {
            deadline: end,
            days_before,
            raised_at: now,
        });
        tx.put(Table::Keys, &key.id, &key)?;
        tx.audit(key_event(tx, &key, "reminder").says(message.clone()))?;
        self.pending += 1;
        let used = self.due.last_used.get(&key.id).copied();
        self.remind(
            ReminderNotice {
                kind: ReminderKind::KeyExpiry,
                id: key.id.clone(),
                key_id: key.id.clone(),
                key_name: key.name.clone(),
                owner: self.due.owner(&key.owner),
                days_before,
                days_left: days_until(now, end),
                due_at: to_datetime(end),
                last_used_at: used.map(to_datetime),
                message,
                summary,
                advice: format!(
                    "{} Create its successor and move what uses it before {before}.",
                    last_use_sentence(now, used)
                ),
            },
            tx,
            key.created_at,
        )?;
        Ok(key)
    }

    /// Announces the key's tokens that just expired, and raises their due reminders.
    fn act_on_tokens(&mut self, tx: &mut Tx<'_>, key: &ApiKey) -> Result<()> {
        let now = self.now;
        let tokens = self.due.tokens.get(&key.id).map_or(&[][..], Vec::as_slice);
        for token in tokens {
            if token_expiry_due(token, key, now) {
                let mut t = token.clone();
                t.reminders.push(Reminder {
                    deadline: t.expires_at,
                    days_before: 0,
                    raised_at: now,
                });
                tx.put(Table::Tokens, &t.id, &t)?;
                let said = format!(
                    "token {} ({}) of API key '{}' expired on {}",
                    t.id,
                    t.masked,
                    key.name,
                    to_rfc3339(t.expires_at)
                );
                tx.audit(token_event(tx, &t, key, "expired").says(said))?;
                self.pending += 1;
                continue;
            }
            if !token.is_live(key, now) {
                continue;
            }
            let Some(days_before) = plan_token(
                token.expires_at,
                &token.reminders,
                &self.settings.token_reminder_days,
                now,
            ) else {
                continue;
            };
            let summary = format!(
                "A token of API key '{}' expires {}",
                key.name,
                due_phrase(now, token.expires_at)
            );
            let before = short_date(now, token.expires_at);
            let message = format!("{summary} — generate a new one before {before}");
            let used = self.due.last_used.get(&token.id).copied();
            let mut t = token.clone();
            t.reminders.push(Reminder {
                deadline: t.expires_at,
                days_before,
                raised_at: now,
            });
            tx.put(Table::Tokens, &t.id, &t)?;
            let said = format!("{message} ({})", t.id);
            tx.audit(token_event(tx, &t, key, "reminder").says(said))?;
            self.pending += 1;
            self.remind(
                ReminderNotice {
                    kind: ReminderKind::TokenExpiry,
                    id: t.id.clone(),
                    key_id: key.id.clone(),
                    key_name: key.name.clone(),
                    owner: self.due.owner(&key.owner),
                    days_before,
                    days_left: days_until(now, t.expires_at),
                    due_at: to_datetime(t.expires_at),
                    last_used_at: used.map(to_datetime),
                    message,
                    summary,
                    advice: format!(
                        "{} Generate a new one before {before}.",
                        last_use_sentence(now, used)
                    ),
                },
                tx,
                t.created_at,
            )?;
        }
        Ok(())
    }
}

/// The reminder due now before a working key's own end, if one is.
fn key_expiry_reminder(key: &ApiKey, settings: &Settings, now: Millis) -> Option<u32> {
    if key.revoked_at.is_some() {
        return None;
    }
    plan_token(
        key.expires_at?,
        &key.expiry_reminders,
        &settings.token_reminder_days,
        now,
    )
}
