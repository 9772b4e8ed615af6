//! The inactivity lifecycle: reminders 15, 7 and 1 days before deletion, each once; token
//! expiry reminders; deletion only a full day after the last reminder; dry runs.

use keyward_core::clock::{to_datetime, DAY, HOUR};
use keyward_core::lifecycle::ReminderKind;
use keyward_core::Millis;
use keyward_testkit::{code, Backend, Env, T0};

pub fn lifecycle_reminds_at_15_7_and_1_days_then_deletes(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let k = env.key(&ada.id, "Marketing Automation");
    let t = env.store.create_token(&k.view.id).unwrap();
    let id = k.view.id.clone();

    env.at(74 * DAY + 23 * HOUR);
    let r = env.store.run_lifecycle(false).unwrap();
    assert!(r.reminders.is_empty() && r.deleted.is_empty());
    assert_eq!(r.keys_checked, 1);
    assert_eq!(r.tokens_checked, 1);

    env.at(75 * DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    assert!(!r.dry_run);
    assert_eq!(r.ran_at, to_datetime(T0 + 75 * DAY));
    assert_eq!(r.reminders.len(), 1);
    let n = &r.reminders[0];
    assert_eq!(n.kind, ReminderKind::KeyDeletion);
    assert_eq!(
        (n.id.as_str(), n.key_id.as_str()),
        (id.as_str(), id.as_str())
    );
    assert_eq!(n.key_name, "Marketing Automation");
    assert_eq!(n.owner.id, ada.id);
    assert_eq!((n.days_before, n.days_left), (15, 15));
    assert_eq!(n.due_at, to_datetime(T0 + 90 * DAY));
    assert!(n.message.contains("Marketing Automation"), "{}", n.message);
    assert!(n.message.contains("15 days"), "{}", n.message);
    assert!(r.deleted.is_empty());
    let view = env.store.key_view(&id).unwrap();
    assert!(view.deletion_scheduled);
    assert_eq!(view.deletes_in_days, Some(15));

    // Once per threshold: later the same day, nothing.
    env.at(75 * DAY + 6 * HOUR);
    assert!(env.store.run_lifecycle(false).unwrap().reminders.is_empty());
    env.at(82 * DAY + 23 * HOUR);
    assert!(env.store.run_lifecycle(false).unwrap().reminders.is_empty());

    env.at(83 * DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    assert_eq!(r.reminders.len(), 1);
    assert_eq!(r.reminders[0].days_before, 7);
    assert!(
        r.reminders[0].message.contains("7 days"),
        "{}",
        r.reminders[0].message
    );
    env.at(84 * DAY);
    assert!(env.store.run_lifecycle(false).unwrap().reminders.is_empty());

    env.at(89 * DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    assert_eq!(r.reminders.len(), 1);
    assert_eq!(r.reminders[0].days_before, 1);
    assert!(
        r.reminders[0].message.contains("deleted in 24 hours "),
        "{}",
        r.reminders[0].message
    );
    assert!(r.deleted.is_empty());

    env.at(90 * DAY - 1);
    let r = env.store.run_lifecycle(false).unwrap();
    assert!(r.reminders.is_empty() && r.deleted.is_empty());
    assert!(env.store.key_view(&id).is_ok());

    // The deadline, with the last reminder a full day old: deleted, with its tokens.
    env.at(90 * DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    assert!(r.reminders.is_empty());
    assert_eq!(r.deleted.len(), 1);
    assert_eq!(r.deleted[0].id, id);
    assert_eq!(r.deleted[0].name, "Marketing Automation");
    assert_eq!(r.deleted[0].tokens_deleted, 1);
    assert!(r.deleted[0].message.contains("Marketing Automation"));
    assert_eq!(env.verify(k.key.expose()), "NOT_FOUND");
    assert_eq!(env.verify(t.token.expose()), "NOT_FOUND");
    assert_eq!(code(env.store.key_view(&id)), "NOT_FOUND");
    assert_eq!(env.count("api_key.reminder"), 3);
    assert_eq!(env.count("api_key.deleted"), 1);
    let deleted: Vec<_> = env
        .audit()
        .into_iter()
        .filter(|e| e.action == "api_key.deleted")
        .collect();
    assert_eq!(deleted[0].object_id, id);

    env.at(91 * DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    assert_eq!(r.keys_checked, 0);
    assert!(r.deleted.is_empty());
}

pub fn lifecycle_raises_only_the_most_urgent_missed_reminder_and_moves_the_deadline(
    backend: &'static dyn Backend,
) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    let now = 89 * DAY + 12 * HOUR;
    env.at(now);
    let r = env.store.run_lifecycle(false).unwrap();
    assert_eq!(r.reminders.len(), 1, "only the most urgent missed reminder");
    let n = &r.reminders[0];
    assert_eq!(n.days_before, 1);
    assert_eq!(n.days_left, 1);
    assert_eq!(n.due_at, to_datetime(T0 + now + DAY));
    assert!(n.message.contains("deleted in 24 hours"), "{}", n.message);
    assert!(r.deleted.is_empty());
    let view = env.store.key_view(&k.view.id).unwrap();
    assert_eq!(view.deletes_at, Some(to_datetime(T0 + now + DAY)));

    // The original deadline passes: not deleted, no reminder again.
    env.at(90 * DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    assert!(r.reminders.is_empty() && r.deleted.is_empty());
    env.at(now + DAY - 1);
    let r = env.store.run_lifecycle(false).unwrap();
    assert!(r.reminders.is_empty() && r.deleted.is_empty());
    // A full day after the reminder: deleted.
    env.at(now + DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    assert_eq!(r.deleted.len(), 1);
    assert_eq!(r.deleted[0].id, k.view.id);
    assert_eq!(env.count("api_key.reminder"), 1);
}

pub fn lifecycle_warns_before_deleting_a_key_found_long_past_its_deadline(
    backend: &'static dyn Backend,
) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    env.at(200 * DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    assert!(r.deleted.is_empty());
    assert_eq!(r.reminders.len(), 1);
    assert_eq!(r.reminders[0].days_before, 1);
    assert_eq!(r.reminders[0].due_at, to_datetime(T0 + 201 * DAY));
    env.at(201 * DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    assert_eq!(r.deleted.len(), 1);
    assert_eq!(env.verify(k.key.expose()), "NOT_FOUND");
}

pub fn lifecycle_dry_run_changes_nothing(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    let id = k.view.id.clone();

    env.at(75 * DAY);
    let before = env.audit().len();
    let d1 = env.store.run_lifecycle(true).unwrap();
    let d2 = env.store.run_lifecycle(true).unwrap();
    assert!(d1.dry_run);
    assert_eq!(d1, d2);
    assert_eq!(d1.reminders.len(), 1);
    assert_eq!(d1.reminders[0].days_before, 15);
    assert_eq!(env.audit().len(), before);
    assert!(!env.store.key_view(&id).unwrap().deletion_scheduled);

    let real = env.store.run_lifecycle(false).unwrap();
    assert_eq!(real.reminders.len(), 1);
    assert_eq!(real.reminders[0].id, id);
    assert_eq!(real.reminders[0].message, d1.reminders[0].message);
    assert!(env.store.run_lifecycle(false).unwrap().reminders.is_empty());
    assert!(env.store.run_lifecycle(true).unwrap().reminders.is_empty());

    env.at(83 * DAY);
    env.store.run_lifecycle(false).unwrap();
    env.at(89 * DAY);
    env.store.run_lifecycle(false).unwrap();

    env.at(90 * DAY);
    let before = env.audit().len();
    let d1 = env.store.run_lifecycle(true).unwrap();
    let d2 = env.store.run_lifecycle(true).unwrap();
    assert_eq!(d1, d2);
    assert_eq!(d1.deleted.len(), 1);
    assert_eq!(d1.deleted[0].id, id);
    assert!(env.store.key_view(&id).is_ok(), "a dry run deletes nothing");
    assert_eq!(env.audit().len(), before);

    let real = env.store.run_lifecycle(false).unwrap();
    assert_eq!(real.deleted.len(), 1);
    assert_eq!(code(env.store.key_view(&id)), "NOT_FOUND");
    let again = env.store.run_lifecycle(false).unwrap();
    assert!(again.deleted.is_empty() && again.reminders.is_empty());
    assert_eq!(env.count("api_key.deleted"), 1);
}

pub fn lifecycle_ignores_used_keys(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    env.at(75 * DAY);
    assert_eq!(env.store.run_lifecycle(false).unwrap().reminders.len(), 1);

    env.at(80 * DAY);
    assert_eq!(env.verify(k.key.expose()), "VALID");
    env.at(85 * DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    assert!(r.reminders.is_empty() && r.deleted.is_empty());
    let view = env.store.key_view(&k.view.id).unwrap();
    assert_eq!(view.deletes_at, Some(to_datetime(T0 + 170 * DAY)));
    assert!(!view.deletion_scheduled);
    env.at(90 * DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    assert!(r.reminders.is_empty() && r.deleted.is_empty());

    // The new deadline gets its own reminders.
    env.at(155 * DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    assert_eq!(r.reminders.len(), 1);
    assert_eq!(r.reminders[0].days_before, 15);
    assert_eq!(r.reminders[0].due_at, to_datetime(T0 + 170 * DAY));
    assert!(r.reminders[0].last_used_at.is_some());
}

pub fn lifecycle_reminds_before_token_expiry_at_30_7_and_1_days(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    let t = env.store.create_token(&k.view.id).unwrap();
    let expiry = 365 * DAY;
    let checkpoints: [(Millis, Option<u32>); 8] = [
        (expiry - 31 * DAY, None),
        (expiry - 30 * DAY, Some(30)),
        (expiry - 29 * DAY, None),
        (expiry - 8 * DAY, None),
        (expiry - 7 * DAY, Some(7)),
        (expiry - 2 * DAY, None),
        (expiry - DAY, Some(1)),
        (expiry - HOUR, None),
    ];
    for (at, expected) in checkpoints {
        env.at(at);
        // Using the token keeps its key from inactivity deletion.
        assert_eq!(env.verify(t.token.expose()), "VALID");
        let r = env.store.run_lifecycle(false).unwrap();
        assert!(r.deleted.is_empty());
        let got: Vec<_> = r
            .reminders
            .iter()
            .map(|n| (n.kind.clone(), n.days_before))
            .collect();
        match expected {
            None => assert!(got.is_empty(), "at {at}: {got:?}"),
            Some(days) => {
                assert_eq!(got, [(ReminderKind::TokenExpiry, days)], "at {at}");
                let n = &r.reminders[0];
                assert_eq!(n.id, t.id);
                assert_eq!(n.key_id, k.view.id);
                assert_eq!(n.due_at, t.expires_at);
                assert_eq!(n.days_left, days as i64);
                assert!(n.message.contains("Zapier"), "{}", n.message);
                let span = if days == 1 {
                    "expires in 24 hours ".to_owned()
                } else {
                    format!("expires in {days} days")
                };
                assert!(n.message.contains(&span), "{}", n.message);
            }
        }
    }
    assert_eq!(env.count("token.reminder"), 3);
    // An expired token gets no more reminders.
    env.at(expiry + DAY);
    env.store.keep_key(&k.view.id).unwrap();
    assert!(env.store.run_lifecycle(false).unwrap().reminders.is_empty());
}

pub fn expiring_soon_says_when_as_a_person_would(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    let t = env.store.create_token(&k.view.id).unwrap();
    // 25 hours before the key's deletion: not "in 2 days", nor "in 1 day".
    env.at(90 * DAY - 25 * HOUR);
    env.store.run_lifecycle(false).unwrap();
    let soon = env.store.expiring_soon().unwrap();
    assert_eq!(soon.keys[0].due_in, "in 25 hours");
    assert_eq!(soon.keys[0].days_left, 2);
    // What a notification of it says, in the core's words (a desktop connected to a
    // team server shows exactly this).
    assert_eq!(
        soon.keys[0].summary,
        "API key 'Zapier' will be deleted in 25 hours"
    );
    assert_eq!(
        soon.keys[0].advice,
        "Never used. Open Keyward and choose Keep if it is still needed."
    );
    assert!(soon.tokens.is_empty());
    // The key's own view says it in the same words, for its badge.
    let view = env.store.key_view(&k.view.id).unwrap();
    assert_eq!(view.deletes_in.as_deref(), Some("in 25 hours"));
    env.store.keep_key(&k.view.id).unwrap();
    env.at(365 * DAY - 7 * DAY);
    env.store.keep_key(&k.view.id).unwrap();
    let soon = env.store.expiring_soon().unwrap();
    assert_eq!(soon.tokens[0].id, t.id);
    assert_eq!(soon.tokens[0].due_in, "in 7 days");
}

pub fn reminder_notices_carry_a_summary_and_advice_said_as_a_person_would(
    backend: &'static dyn Backend,
) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier sync");
    // 25 hours before deletion: hours, not "in 2 days".
    env.at(90 * DAY - 25 * HOUR);
    let r = env.store.run_lifecycle(false).unwrap();
    let n = &r.reminders[0];
    assert_eq!(
        n.summary,
        "API key 'Zapier sync' will be deleted in 25 hours"
    );
    assert_eq!(
        n.advice,
        "Never used. Open Keyward to keep it, or let it go."
    );
    assert!(n.message.starts_with(&n.summary), "{}", n.message);

    // Used, then reminded 7 days ahead (just inside 7 days).
    env.store.verify(k.key.expose()).unwrap();
    env.store.flush().unwrap();
    env.at(90 * DAY - 25 * HOUR + 83 * DAY + HOUR);
    let r = env.store.run_lifecycle(false).unwrap();
    let n = &r.reminders[0];
    assert_eq!(n.summary, "API key 'Zapier sync' will be deleted in 7 days");
    assert!(n.advice.starts_with("Last used "), "{}", n.advice);

    // A token 30 days before it expires.
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier sync");
    env.store.create_token(&k.view.id).unwrap();
    env.at(335 * DAY);
    env.store.keep_key(&k.view.id).unwrap();
    let r = env.store.run_lifecycle(false).unwrap();
    let n = r
        .reminders
        .iter()
        .find(|n| n.kind == ReminderKind::TokenExpiry)
        .unwrap();
    assert_eq!(
        n.summary,
        "A token of API key 'Zapier sync' expires in 30 days"
    );
    assert!(
        n.advice
            .starts_with("Never used. Generate a new one before "),
        "{}",
        n.advice
    );
}
