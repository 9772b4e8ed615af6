//! Inactivity deletion and expiry reminders (SPEC §3.10).
//!
//! The rules are pure functions of (records, settings, now); `Store::run_lifecycle`
//! only gathers records, applies the plans and reports. The promises:
//! - a reminder is raised at most once per key (or token), threshold and deadline;
//! - if thresholds passed while nothing ran, only the most urgent missed one is raised;
//! - a key is deleted only if a reminder for its current deadline was raised at least
//!   24 hours earlier — otherwise the deadline moves to 24 hours after the reminder.

use serde::{Deserialize, Serialize};

use crate::model::clock::{Millis, DAY};
use crate::model::key::ApiKey;
use crate::model::token::Token;

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
