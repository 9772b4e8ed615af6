//! Inactivity deletion and expiry reminders (SPEC §3.10).
//!
//! The rules are pure functions of (records, settings, now); `Store::run_lifecycle`
//! only gathers records, applies the plans and reports. The promises:
//! - a reminder is raised at most once per key (or token), threshold and deadline;
//! - if thresholds passed while nothing ran, only the most urgent missed one is raised;
//! - a key is deleted only if a reminder for its current deadline was raised at least
//!   24 hours earlier — otherwise the deadline moves to 24 hours after the reminder.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::clock::{days_until, due_phrase, parse_rfc3339, short_date, to_rfc3339, Millis, DAY};
use crate::error::Result;
use crate::keys::{remove_key, ApiKey};
use crate::store::{Changes, Store, T};
use crate::tokens::Token;
use crate::users::OwnerView;

/// A reminder raised for one deadline at one threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    /// The deadline the reminder was about (a key's base deadline, a token's expiry).
    pub deadline: Millis,
    /// The threshold, in days before the deadline.
    pub days_before: u32,
    pub raised_at: Millis,
}

/// Minimum time between a key's last reminder and its deletion.
pub const NOTICE: Millis = DAY;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    Nothing,
    Remind { days_before: u32 },
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPlan {
    /// Last activity + inactivity period.
    pub deadline: Millis,
    /// When the key will be deleted once the action is applied.
    pub deletes_at: Millis,
    pub action: KeyAction,
}

pub fn deletion_deadline(last_activity: Millis, inactivity_days: u32) -> Millis {
    last_activity + inactivity_days as i64 * DAY
}

/// The deadline, moved to a full day after the last reminder raised for it.
pub fn effective_deadline(deadline: Millis, reminders: &[Reminder]) -> Millis {
    reminders
        .iter()
        .filter(|r| r.deadline == deadline)
        .map(|r| r.raised_at + NOTICE)
        .fold(deadline, Millis::max)
}

/// The most urgent threshold that has passed for `deadline` and was not yet covered by
/// an equally or more urgent reminder.
fn due_threshold(
    deadline: Millis,
    reminders: &[Reminder],
    days: &[u32],
    now: Millis,
) -> Option<u32> {
    let most_urgent_passed = days
        .iter()
        .copied()
        .filter(|d| deadline - *d as i64 * DAY <= now)
        .min()?;
    let covered = reminders
        .iter()
        .any(|r| r.deadline == deadline && r.days_before <= most_urgent_passed);
    (!covered).then_some(most_urgent_passed)
}

/// What to do with a key at `now`.
pub fn plan_key(
    last_activity: Millis,
    reminders: &[Reminder],
    inactivity_days: u32,
    reminder_days: &[u32],
    now: Millis,
) -> KeyPlan {
    let deadline = deletion_deadline(last_activity, inactivity_days);
    let deletes_at = effective_deadline(deadline, reminders);
    if now >= deletes_at {
        // Deleted only after the most urgent reminder. If it was missed (the app was off,
        // or no reminder days are set), raise it now and give the user a full day.
        let most_urgent = reminder_days.iter().copied().min().unwrap_or(1);
        let final_raised = reminders
            .iter()
            .any(|r| r.deadline == deadline && r.days_before <= most_urgent);
        if final_raised {
            return KeyPlan {
                deadline,
                deletes_at,
                action: KeyAction::Delete,
            };
        }
        return KeyPlan {
            deadline,
            deletes_at: now + NOTICE,
            action: KeyAction::Remind {
                days_before: most_urgent,
            },
        };
    }
    match due_threshold(deadline, reminders, reminder_days, now) {
        Some(days_before) => KeyPlan {
            deadline,
            deletes_at: deletes_at.max(now + NOTICE),
            action: KeyAction::Remind { days_before },
        },
        None => KeyPlan {
            deadline,
            deletes_at,
            action: KeyAction::Nothing,
        },
    }
}

/// The reminder threshold to raise for a live token at `now`, if any.
/// A token that has just run out: it was live until its expiry (not revoked, of its key's
/// current secret) and its expiry has not been announced yet. The announcement is kept
/// as a reminder with `days_before` 0, so it is made once.
pub fn token_expiry_due(token: &Token, key: &ApiKey, now: Millis) -> bool {
    now >= token.expires_at
        && token.revoked_at.is_none()
        && key.revoked_at.is_none()
        && token.generation == key.generation
        && !token
            .reminders
            .iter()
            .any(|r| r.days_before == 0 && r.deadline == token.expires_at)
}

pub fn plan_token(
    expires_at: Millis,
    reminders: &[Reminder],
    days: &[u32],
    now: Millis,
) -> Option<u32> {
    if now >= expires_at {
        return None;
    }
    due_threshold(expires_at, reminders, days, now)
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    KeyDeletion,
    TokenExpiry,
}

/// One reminder raised (or, in a dry run, due): what the notification says.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ReminderNotice {
    pub kind: ReminderKind,
    /// The key's id, or the token's.
    pub id: String,
    pub key_id: String,
    pub key_name: String,
    pub owner: OwnerView,
    pub days_before: u32,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub days_left: i64,
    /// When the key will be deleted, or the token expires.
    pub due_at: String,
    pub last_used_at: Option<String>,
    /// The whole reminder, as the audit log and the CLI show it.
    pub message: String,
    /// A notification's title: what happens when ("… will be deleted in 25 hours").
    pub summary: String,
    /// A notification's body: when it was last used, and what to do.
    pub advice: String,
}

/// "Last used 12 Aug." or "Never used.", to open a reminder's advice.
fn last_use_sentence(now: Millis, used: Option<Millis>) -> String {
    match used {
        Some(u) => format!("Last used {}.", short_date(now, u)),
        None => "Never used.".to_owned(),
    }
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DeletionNotice {
    pub id: String,
    pub name: String,
    pub owner: OwnerView,
    pub last_used_at: Option<String>,
    pub tokens_deleted: usize,
    pub message: String,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LifecycleReport {
    pub ran_at: String,
    pub dry_run: bool,
    pub keys_checked: usize,
    pub tokens_checked: usize,
    pub reminders: Vec<ReminderNotice>,
    pub deleted: Vec<DeletionNotice>,
}

/// Actions are committed in batches of this many, each batch one transaction.
const BATCH: usize = 500;

impl Store {
    /// Raises due reminders and deletes keys whose time has come. With `dry_run`, only
    /// reports what it would do.
    pub fn run_lifecycle(&self, dry_run: bool) -> Result<LifecycleReport> {
        // Uses seen in memory count: write them first so the plan sees them.
        self.flush()?;
        let _g = self.write_guard();
        let now = self.now();
        let settings = self.settings()?;

        // Plan every key and token from the in-memory index; gather what the keys that
        // need an action (and only those) will be acted on with.
        let plan = self.with_index(|ix| {
            let mut due: std::collections::BTreeSet<String> = Default::default();
            for key in ix.keys.values() {
                // Revoked keys work for nobody: no reminders about them, no deadline.
                if key.revoked_at.is_some() {
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
                    due.insert(key.id.clone());
                }
            }
            for t in ix.tokens.values() {
                let Some(key) = ix.keys.get(&t.key_id) else {
                    continue;
                };
                if token_expiry_due(t, key, now) {
                    due.insert(key.id.clone());
                }
                if t.is_live(key, now)
                    && plan_token(
                        t.expires_at,
                        &t.reminders,
                        &settings.token_reminder_days,
                        now,
                    )
                    .is_some()
                {
                    due.insert(key.id.clone());
                }
            }
            let mut tokens_by_key: HashMap<String, Vec<Token>> = HashMap::new();
            let mut used_of: HashMap<String, Millis> = HashMap::new();
            for t in ix.tokens.values().filter(|t| due.contains(&t.key_id)) {
                tokens_by_key
                    .entry(t.key_id.clone())
                    .or_default()
                    .push(t.clone());
                if let Some(u) = self.last_used_in(ix, &t.id) {
                    used_of.insert(t.id.clone(), u);
                }
            }
            let mut owners: HashMap<String, OwnerView> = HashMap::new();
            for id in &due {
                if let Some(u) = self.last_used_in(ix, id) {
                    used_of.insert(id.clone(), u);
                }
                if let Some(k) = ix.keys.get(id) {
                    if let Some(o) = ix.users.get(&k.owner) {
                        owners.insert(o.id.clone(), o.owner_view());
                    }
                }
            }
            (
                due,
                tokens_by_key,
                used_of,
                owners,
                ix.keys.len(),
                ix.tokens.len(),
            )
        })?;
        let (due, tokens_by_key, last_used, owners, keys_checked, tokens_checked) = plan;
        let owner_of = |id: &str| -> OwnerView {
            owners.get(id).cloned().unwrap_or_else(|| OwnerView {
                id: id.to_owned(),
                name: String::new(),
                email: String::new(),
            })
        };

        let mut report = LifecycleReport {
            ran_at: to_rfc3339(now),
            dry_run,
            keys_checked,
            tokens_checked,
            reminders: Vec::new(),
            deleted: Vec::new(),
        };
        let mut ch = Changes::default();
        let mut pending = 0;
        for id in &due {
            let Some(mut key) = self.get::<ApiKey>(T::Keys, id)? else {
                continue;
            };
            let used = last_used.get(&key.id).copied();
            let plan = plan_key(
                key.last_activity(used),
                &key.reminders,
                settings.inactivity_days,
                &settings.reminder_days,
                now,
            );
            let no_tokens = Vec::new();
            let tokens = tokens_by_key.get(&key.id).unwrap_or(&no_tokens);
            let since = || match used {
                Some(u) => format!("unused since {}", short_date(now, u)),
                None => format!(
                    "never used since it was created on {}",
                    short_date(now, key.created_at)
                ),
            };
            match plan.action {
                KeyAction::Nothing => {}
                KeyAction::Remind { days_before } => {
                    let days_left = days_until(now, plan.deletes_at);
                    let summary = format!(
                        "API key '{}' will be deleted {}",
                        key.name,
                        due_phrase(now, plan.deletes_at)
                    );
                    let message = format!("{summary} — {}", since());
                    key.reminders.retain(|r| r.deadline == plan.deadline);
                    key.reminders.push(Reminder {
                        deadline: plan.deadline,
                        days_before,
                        raised_at: now,
                    });
                    ch.put(T::Keys, &key.id, &key)?;
                    ch.audit(&self.key_event(
                        &key,
                        "reminder",
                        format!("{message} (deletion on {})", to_rfc3339(plan.deletes_at)),
                    ))?;
                    pending += 1;
                    report.reminders.push(ReminderNotice {
                        kind: ReminderKind::KeyDeletion,
                        id: key.id.clone(),
                        key_id: key.id.clone(),
                        key_name: key.name.clone(),
                        owner: owner_of(&key.owner),
                        days_before,
                        days_left,
                        due_at: to_rfc3339(plan.deletes_at),
                        last_used_at: used.map(to_rfc3339),
                        message,
                        summary,
                        advice: format!(
                            "{} Open Keyward to keep it, or let it go.",
                            last_use_sentence(now, used)
                        ),
                    });
                }
                KeyAction::Delete => {
                    let tokens_deleted = remove_key(&mut ch, &key, tokens);
                    let message = format!(
                        "API key '{}' was deleted after {} days of inactivity — {}",
                        key.name,
                        settings.inactivity_days,
                        since()
                    );
                    ch.audit(&self.audit_event(
                        "api_key",
                        "deleted",
                        &key.id,
                        &key.name,
                        Some(&key.owner),
                        format!("{message}; {tokens_deleted} token(s) deleted with it"),
                    ))?;
                    pending += 1;
                    report.deleted.push(DeletionNotice {
                        id: key.id.clone(),
                        name: key.name.clone(),
                        owner: owner_of(&key.owner),
                        last_used_at: used.map(to_rfc3339),
                        tokens_deleted,
                        message,
                    });
                    continue;
                }
            }
            for token in tokens {
                if token_expiry_due(token, &key, now) {
                    let mut t = token.clone();
                    t.reminders.push(Reminder {
                        deadline: t.expires_at,
                        days_before: 0,
                        raised_at: now,
                    });
                    ch.put(T::Tokens, &t.id, &t)?;
                    ch.audit(&self.token_event(
                        &t,
                        &key,
                        "expired",
                        format!(
                            "token {} ({}) of API key '{}' expired on {}",
                            t.id,
                            t.masked,
                            key.name,
                            to_rfc3339(t.expires_at)
                        ),
                    ))?;
                    pending += 1;
                    continue;
                }
                if !token.is_live(&key, now) {
                    continue;
                }
                let Some(days_before) = plan_token(
                    token.expires_at,
                    &token.reminders,
                    &settings.token_reminder_days,
                    now,
                ) else {
                    continue;
                };
                let days_left = days_until(now, token.expires_at);
                let summary = format!(
                    "A token of API key '{}' expires {}",
                    key.name,
                    due_phrase(now, token.expires_at)
                );
                let before = short_date(now, token.expires_at);
                let message = format!("{summary} — generate a new one before {before}");
                let token_used = last_used.get(&token.id).copied();
                let mut t = token.clone();
                t.reminders.push(Reminder {
                    deadline: t.expires_at,
                    days_before,
                    raised_at: now,
                });
                ch.put(T::Tokens, &t.id, &t)?;
                ch.audit(&self.token_event(&t, &key, "reminder", format!("{message} ({})", t.id)))?;
                pending += 1;
                report.reminders.push(ReminderNotice {
                    kind: ReminderKind::TokenExpiry,
                    id: t.id.clone(),
                    key_id: key.id.clone(),
                    key_name: key.name.clone(),
                    owner: owner_of(&key.owner),
                    days_before,
                    days_left,
                    due_at: to_rfc3339(t.expires_at),
                    last_used_at: token_used.map(to_rfc3339),
                    message,
                    summary,
                    advice: format!(
                        "{} Generate a new one before {before}.",
                        last_use_sentence(now, token_used)
                    ),
                });
            }
            if pending >= BATCH && !dry_run {
                self.commit(std::mem::take(&mut ch))?;
                pending = 0;
            }
        }
        if !dry_run {
            self.commit(ch)?;
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DAYS: [u32; 3] = [15, 7, 1];
    const T0: Millis = 1_700_000_000_000;

    fn remind(deadline: Millis, days_before: u32, raised_at: Millis) -> Reminder {
        Reminder {
            deadline,
            days_before,
            raised_at,
        }
    }

    #[test]
    fn nothing_happens_before_the_first_threshold() {
        let p = plan_key(T0, &[], 90, &DAYS, T0 + 74 * DAY);
        assert_eq!(p.action, KeyAction::Nothing);
        assert_eq!(p.deletes_at, T0 + 90 * DAY);
    }

    #[test]
    fn each_threshold_is_raised_once_on_time() {
        let deadline = T0 + 90 * DAY;
        let p = plan_key(T0, &[], 90, &DAYS, T0 + 75 * DAY);
        assert_eq!(p.action, KeyAction::Remind { days_before: 15 });
        let r = [remind(deadline, 15, T0 + 75 * DAY)];
        assert_eq!(
            plan_key(T0, &r, 90, &DAYS, T0 + 76 * DAY).action,
            KeyAction::Nothing
        );
        assert_eq!(
            plan_key(T0, &r, 90, &DAYS, T0 + 83 * DAY).action,
            KeyAction::Remind { days_before: 7 }
        );
    }

    #[test]
    fn only_the_most_urgent_missed_reminder_is_raised() {
        // Nothing ran between day 70 and day 84: the 15- and 7-day thresholds both passed.
        let p = plan_key(T0, &[], 90, &DAYS, T0 + 84 * DAY);
        assert_eq!(p.action, KeyAction::Remind { days_before: 7 });
        let r = [remind(T0 + 90 * DAY, 7, T0 + 84 * DAY)];
        // The 15-day one is never raised afterwards.
        assert_eq!(
            plan_key(T0, &r, 90, &DAYS, T0 + 85 * DAY).action,
            KeyAction::Nothing
        );
    }

    #[test]
    fn a_late_reminder_moves_the_deadline() {
        // First seen two hours before the deadline: warn, delete no earlier than a day later.
        let now = T0 + 90 * DAY - 2 * 3_600_000;
        let p = plan_key(T0, &[], 90, &DAYS, now);
        assert_eq!(p.action, KeyAction::Remind { days_before: 1 });
        assert_eq!(p.deletes_at, now + DAY);
        let r = [remind(T0 + 90 * DAY, 1, now)];
        assert_eq!(
            plan_key(T0, &r, 90, &DAYS, T0 + 90 * DAY).action,
            KeyAction::Nothing
        );
        assert_eq!(
            plan_key(T0, &r, 90, &DAYS, now + DAY).action,
            KeyAction::Delete
        );
    }

    #[test]
    fn a_key_past_its_deadline_without_reminder_is_warned_not_deleted() {
        let now = T0 + 200 * DAY;
        let p = plan_key(T0, &[], 90, &DAYS, now);
        assert_eq!(p.action, KeyAction::Remind { days_before: 1 });
        assert_eq!(p.deletes_at, now + DAY);
    }

    #[test]
    fn a_missed_final_reminder_is_raised_before_deletion() {
        // Reminded at 15 days, then nothing ran until after the deadline.
        let r = [remind(T0 + 90 * DAY, 15, T0 + 75 * DAY)];
        let now = T0 + 95 * DAY;
        let p = plan_key(T0, &r, 90, &DAYS, now);
        assert_eq!(p.action, KeyAction::Remind { days_before: 1 });
        assert_eq!(p.deletes_at, now + DAY);
    }

    #[test]
    fn activity_starts_a_new_deadline() {
        let r = [remind(T0 + 90 * DAY, 1, T0 + 89 * DAY)];
        // Used on day 89.5: the old reminders do not count towards the new deadline.
        let p = plan_key(T0 + 89 * DAY + DAY / 2, &r, 90, &DAYS, T0 + 91 * DAY);
        assert_eq!(p.action, KeyAction::Nothing);
    }

    #[test]
    fn token_reminders_follow_their_thresholds() {
        let exp = T0 + 365 * DAY;
        let days = [30, 7, 1];
        assert_eq!(plan_token(exp, &[], &days, exp - 31 * DAY), None);
        assert_eq!(plan_token(exp, &[], &days, exp - 30 * DAY), Some(30));
        let r = [remind(exp, 30, exp - 30 * DAY)];
        assert_eq!(plan_token(exp, &r, &days, exp - 20 * DAY), None);
        assert_eq!(plan_token(exp, &r, &days, exp - 2 * DAY), Some(7));
        assert_eq!(plan_token(exp, &[], &days, exp), None);
    }

    proptest! {
        /// Runs the lifecycle at random moments, with uses in between, and checks the two
        /// promises: deletion only after a reminder ≥ 24 h old for the same deadline, and
        /// each (deadline, threshold) raised at most once.
        #[test]
        fn no_deletion_without_a_day_of_notice_and_no_repeated_reminders(
            steps in proptest::collection::vec((1i64..(40 * 24), any::<bool>()), 1..80),
            days in proptest::sample::subsequence(vec![30u32, 15, 7, 3, 1], 0..=5),
            inactivity in 31u32..120,
        ) {
            let mut last_activity = T0;
            let mut reminders: Vec<Reminder> = Vec::new();
            let mut now = T0;
            let mut raised = std::collections::HashSet::new();
            for (hours, used) in steps {
                now += hours * 3_600_000;
                if used {
                    last_activity = now;
                }
                let plan = plan_key(last_activity, &reminders, inactivity, &days, now);
                match plan.action {
                    KeyAction::Nothing => {}
                    KeyAction::Remind { days_before } => {
                        prop_assert!(raised.insert((plan.deadline, days_before)),
                            "reminder {days_before} raised twice");
                        reminders.retain(|r| r.deadline == plan.deadline);
                        reminders.push(remind(plan.deadline, days_before, now));
                    }
                    KeyAction::Delete => {
                        let last = reminders.iter()
                            .filter(|r| r.deadline == plan.deadline)
                            .map(|r| r.raised_at)
                            .max();
                        prop_assert!(last.is_some_and(|l| now - l >= NOTICE),
                            "deleted without a day of notice");
                        prop_assert!(now >= plan.deadline);
                        // A new key takes its place.
                        last_activity = now;
                        reminders.clear();
                    }
                }
            }
        }
    }
}

/// A key whose inactivity deletion is near.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DueKey {
    pub id: String,
    pub name: String,
    pub owner: OwnerView,
    pub deletes_at: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub days_left: i64,
    /// When, as a person would say it: "in 25 hours", "in 7 days".
    pub due_in: String,
    pub last_used_at: Option<String>,
    /// A reminder has been raised for this deadline.
    pub reminded: bool,
}

/// A live token whose expiry is near.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DueToken {
    pub id: String,
    pub key_id: String,
    pub key_name: String,
    pub expires_at: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub days_left: i64,
    /// When, as a person would say it: "in 25 hours", "in 7 days".
    pub due_in: String,
}

/// The "Expiring soon" summary: keys due for deletion within the first reminder window
/// (15 days by default) and tokens expiring within theirs (30 days), soonest first.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct ExpiringSoon {
    pub keys: Vec<DueKey>,
    pub tokens: Vec<DueToken>,
    /// Keys due within a day: the tray shows its attention icon.
    pub urgent: usize,
}

impl Store {
    pub fn expiring_soon(&self) -> Result<ExpiringSoon> {
        self.with_index(|ix| self.expiring_soon_in(ix))?
    }

    fn expiring_soon_in(&self, ix: &crate::index::Index) -> Result<ExpiringSoon> {
        let ctx = self.view_context_in(ix)?;
        let key_window = ctx.settings.soon_days();
        let token_window = ctx
            .settings
            .token_reminder_days
            .iter()
            .copied()
            .max()
            .unwrap_or(30) as i64;
        let mut out = ExpiringSoon::default();
        for key in ix.keys.values() {
            let v = ctx.view(key);
            if let (Some(at), Some(days)) = (&v.deletes_at, v.deletes_in_days) {
                if days <= key_window {
                    out.keys.push(DueKey {
                        id: v.id.clone(),
                        name: v.name.clone(),
                        owner: v.owner.clone(),
                        deletes_at: at.clone(),
                        days_left: days,
                        due_in: parse_rfc3339(at)
                            .map(|at| due_phrase(ctx.now, at))
                            .unwrap_or_default(),
                        last_used_at: v.last_used_at.clone(),
                        reminded: v.deletion_scheduled,
                    });
                }
            }
            for t in ctx.tokens.get(&key.id).into_iter().flatten() {
                let days = days_until(ctx.now, t.expires_at);
                if t.is_live(key, ctx.now) && days <= token_window {
                    out.tokens.push(DueToken {
                        id: t.id.clone(),
                        key_id: key.id.clone(),
                        key_name: key.name.clone(),
                        expires_at: to_rfc3339(t.expires_at),
                        days_left: days,
                        due_in: due_phrase(ctx.now, t.expires_at),
                    });
                }
            }
        }
        out.keys
            .sort_by(|a, b| (&a.deletes_at, &a.id).cmp(&(&b.deletes_at, &b.id)));
        out.tokens
            .sort_by(|a, b| (&a.expires_at, &a.id).cmp(&(&b.expires_at, &b.id)));
        out.urgent = out.keys.iter().filter(|k| k.days_left <= 1).count();
        Ok(out)
    }
}
