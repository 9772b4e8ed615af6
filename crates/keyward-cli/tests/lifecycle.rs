//! `keyward lifecycle [--dry-run]` with `KEYWARD_NOW` moving through the days (SPEC §3.10):
//! reminders 15/7/1 days before inactivity deletion, each once; deletion only a full day
//! after the last reminder; a key nobody looked at gets the most urgent reminder only, and
//! its deadline moves.

use keyward_core::clock::to_rfc3339;
use keyward_testkit::cli::*;
use serde_json::Value;

/// Runs the lifecycle at the current pinned time.
#[track_caller]
fn lifecycle(kw: &Kw) -> Value {
    let r = kw.json(&["lifecycle"]).ok();
    assert_eq!(r["dry_run"], false);
    assert_eq!(r["ran_at"], to_rfc3339(kw.now()).as_str());
    r
}

#[track_caller]
fn dry_run(kw: &Kw) -> Value {
    let r = kw.json(&["lifecycle", "--dry-run"]).ok();
    assert_eq!(r["dry_run"], true);
    r
}

/// (id, days_before) of each reminder in a report.
fn reminders(r: &Value) -> Vec<(String, u64)> {
    arr(&r["reminders"])
        .iter()
        .map(|x| (s(&x["id"]), x["days_before"].as_u64().expect("days_before")))
        .collect()
}

fn deleted(r: &Value) -> Vec<String> {
    ids(&r["deleted"])
}

#[track_caller]
fn assert_nothing_due(r: &Value) {
    assert_eq!(r["reminders"], serde_json::json!([]), "{r}");
    assert_eq!(r["deleted"], serde_json::json!([]), "{r}");
}

/// The key's reminder events in the audit log, oldest first.
fn reminder_events(kw: &Kw, key: &str) -> Vec<Value> {
    let mut v: Vec<Value> = kw
        .audit_all()
        .into_iter()
        .filter(|e| e["action"] == "api_key.reminder" && e["object_id"] == key)
        .collect();
    v.reverse();
    v
}

/// Ada with one agency key created at T0; returns (key id, secret, deletion deadline).
fn one_key(kw: &Kw, name: &str) -> (String, String, i64) {
    kw.ada();
    let (id, secret) = kw.create_key("ada@example.com", name);
    (id, secret, kw.now() + 90 * DAY)
}

#[test]
fn lifecycle_raises_the_15_7_and_1_day_reminders_once_each_then_deletes_at_the_deadline() {
    let kw = Kw::new();
    let (key, secret, deadline) = one_key(&kw, "Zapier");

    kw.set_now(deadline - 15 * DAY - SECOND);
    let r = lifecycle(&kw);
    assert_nothing_due(&r);
    assert_eq!(r["keys_checked"], 1);

    kw.set_now(deadline - 15 * DAY);
    let r = lifecycle(&kw);
    assert_eq!(reminders(&r), [(key.clone(), 15)]);
    let rem = &arr(&r["reminders"])[0];
    assert_eq!(rem["kind"], "key_deletion");
    assert_eq!(rem["key_id"], key.as_str());
    assert_eq!(rem["key_name"], "Zapier");
    assert_eq!(rem["owner"]["email"], "ada@example.com");
    assert_eq!(rem["days_left"], 15);
    assert_eq!(rem["due_at"], to_rfc3339(deadline).as_str());
    assert_eq!(rem["last_used_at"], Value::Null);
    let msg = s(&rem["message"]);
    assert!(msg.contains("'Zapier' will be deleted in 15 days"), "{msg}");
    let shown = kw.key_show(&key);
    assert_eq!(shown["deletion_scheduled"], true);
    assert_eq!(shown["deletes_at"], to_rfc3339(deadline).as_str());

    // Once per threshold: running again, even many times, raises nothing.
    kw.advance(HOUR);
    assert_nothing_due(&lifecycle(&kw));
    kw.set_now(deadline - 7 * DAY - SECOND);
    assert_nothing_due(&lifecycle(&kw));

    kw.set_now(deadline - 7 * DAY);
    let r = lifecycle(&kw);
    assert_eq!(reminders(&r), [(key.clone(), 7)]);
    assert_eq!(arr(&r["reminders"])[0]["days_left"], 7);
    kw.advance(SECOND);
    assert_nothing_due(&lifecycle(&kw));

    kw.set_now(deadline - DAY);
    let r = lifecycle(&kw);
    assert_eq!(reminders(&r), [(key.clone(), 1)]);
    assert_eq!(
        arr(&r["reminders"])[0]["due_at"],
        to_rfc3339(deadline).as_str()
    );
    kw.set_now(deadline - SECOND);
    assert_nothing_due(&lifecycle(&kw));
    assert_eq!(
        kw.key_show(&key)["id"],
        key.as_str(),
        "not deleted before its time"
    );

    kw.set_now(deadline);
    let r = lifecycle(&kw);
    assert_eq!(r["reminders"], serde_json::json!([]));
    assert_eq!(deleted(&r), [key.as_str()]);
    let d = &arr(&r["deleted"])[0];
    assert_eq!(d["name"], "Zapier");
    assert_eq!(d["owner"]["email"], "ada@example.com");
    assert_eq!(d["tokens_deleted"], 0);
    assert!(
        s(&d["message"]).contains("deleted after 90 days of inactivity"),
        "{d}"
    );

    kw.json(&["keys", "show", &key]).fails(4, "NOT_FOUND");
    assert_eq!(kw.verify_fails(&secret), "NOT_FOUND");
    kw.advance(DAY);
    let r = lifecycle(&kw);
    assert_nothing_due(&r);
    assert_eq!(r["keys_checked"], 0);

    let days: Vec<String> = reminder_events(&kw, &key)
        .iter()
        .map(|e| s(&e["summary"]))
        .collect();
    assert_eq!(days.len(), 3, "three reminders, each once: {days:?}");
    assert!(
        days[0].contains("in 15 days")
            && days[1].contains("in 7 days")
            && days[2].contains("in 24 hours "),
        "{days:?}"
    );
}

#[test]
fn lifecycle_dry_run_reports_reminders_and_deletions_but_changes_nothing() {
    let kw = Kw::new();
    let (key, _, deadline) = one_key(&kw, "Zapier");
    kw.set_now(deadline - 15 * DAY);
    let audit_before = kw.audit_all();

    let r = dry_run(&kw);
    assert_eq!(reminders(&r), [(key.clone(), 15)]);
    // Nothing was recorded: a second dry run and the real run both still see the reminder.
    assert_eq!(reminders(&dry_run(&kw)), [(key.clone(), 15)]);
    assert_eq!(kw.key_show(&key)["deletion_scheduled"], false);
    assert_eq!(
        kw.audit_all(),
        audit_before,
        "a dry run writes no audit event"
    );
    let h = kw.human(&["lifecycle", "--dry-run"]);
    assert_eq!(h.code, 0);
    assert!(
        h.stdout.contains("dry run: nothing changed"),
        "{}",
        h.stdout
    );
    assert!(
        h.stdout
            .contains("reminder (would raise): API key 'Zapier' will be deleted in 15 days"),
        "{}",
        h.stdout
    );

    assert_eq!(reminders(&lifecycle(&kw)), [(key.clone(), 15)]);
    kw.set_now(deadline - 7 * DAY);
    lifecycle(&kw);
    kw.set_now(deadline - DAY);
    lifecycle(&kw);

    kw.set_now(deadline);
    let r = dry_run(&kw);
    assert_eq!(deleted(&r), [key.as_str()]);
    assert_eq!(
        kw.key_show(&key)["id"],
        key.as_str(),
        "a dry run deletes nothing"
    );
    let h = kw.human(&["lifecycle", "--dry-run"]);
    assert!(
        h.stdout
            .contains("deleted (would delete): API key 'Zapier'"),
        "{}",
        h.stdout
    );
    assert_eq!(deleted(&lifecycle(&kw)), [key.as_str()]);
    kw.json(&["keys", "show", &key]).fails(4, "NOT_FOUND");
}

#[test]
fn lifecycle_a_key_first_seen_past_its_deadline_gets_one_1_day_reminder_and_a_day_of_notice() {
    let kw = Kw::new();
    let (key, _, deadline) = one_key(&kw, "Forgotten");

    let first = deadline + 5 * DAY;
    kw.set_now(first);
    let r = lifecycle(&kw);
    assert_eq!(
        deleted(&r),
        Vec::<String>::new(),
        "never deleted without notice"
    );
    assert_eq!(
        reminders(&r),
        [(key.clone(), 1)],
        "only the most urgent reminder"
    );
    let rem = &arr(&r["reminders"])[0];
    assert_eq!(
        rem["due_at"],
        to_rfc3339(first + DAY).as_str(),
        "the deadline moved"
    );
    assert_eq!(rem["days_left"], 1);
    let shown = kw.key_show(&key);
    assert_eq!(shown["deletes_at"], to_rfc3339(first + DAY).as_str());
    assert_eq!(shown["deletion_scheduled"], true);

    kw.set_now(first + DAY - SECOND);
    assert_nothing_due(&lifecycle(&kw));
    kw.set_now(first + DAY);
    assert_eq!(deleted(&lifecycle(&kw)), [key.as_str()]);
    assert_eq!(
        reminder_events(&kw, &key).len(),
        1,
        "the missed 15- and 7-day reminders never came"
    );
}

#[test]
fn lifecycle_a_missed_final_reminder_is_raised_before_deletion_and_moves_the_deadline() {
    let kw = Kw::new();
    let (key, _, deadline) = one_key(&kw, "Half warned");
    kw.set_now(deadline - 15 * DAY);
    assert_eq!(reminders(&lifecycle(&kw)), [(key.clone(), 15)]);

    // Nothing ran from the 15-day reminder until two days after the deadline.
    let back = deadline + 2 * DAY;
    kw.set_now(back);
    let r = lifecycle(&kw);
    assert_eq!(
        deleted(&r),
        Vec::<String>::new(),
        "not deleted on a 15-day warning alone"
    );
    assert_eq!(reminders(&r), [(key.clone(), 1)]);
    assert_eq!(
        arr(&r["reminders"])[0]["due_at"],
        to_rfc3339(back + DAY).as_str()
    );
    kw.set_now(back + DAY - SECOND);
    assert_nothing_due(&lifecycle(&kw));
    kw.set_now(back + DAY);
    assert_eq!(deleted(&lifecycle(&kw)), [key]);
}

#[test]
fn lifecycle_leaves_revoked_keys_alone() {
    let kw = Kw::new();
    let (key, _, deadline) = one_key(&kw, "Cleared");
    kw.json(&["users", "clear-keys", "ada@example.com"]).ok();
    let shown = kw.key_show(&key);
    assert_eq!(shown["status"], "revoked");
    assert_eq!(
        shown["deletes_at"],
        Value::Null,
        "a revoked key has no deadline"
    );
    for t in [deadline - 15 * DAY, deadline, deadline + 30 * DAY] {
        kw.set_now(t);
        assert_nothing_due(&lifecycle(&kw));
    }
    assert_eq!(kw.key_show(&key)["status"], "revoked");
}

#[test]
fn lifecycle_a_key_first_seen_between_thresholds_gets_only_the_most_urgent_missed_one() {
    let kw = Kw::new();
    let (key, _, deadline) = one_key(&kw, "Quiet");

    kw.set_now(deadline - 5 * DAY);
    let r = lifecycle(&kw);
    assert_eq!(
        reminders(&r),
        [(key.clone(), 7)],
        "the 15-day one is skipped"
    );
    kw.set_now(deadline - 2 * DAY);
    assert_nothing_due(&lifecycle(&kw));
    kw.set_now(deadline - DAY);
    assert_eq!(reminders(&lifecycle(&kw)), [(key.clone(), 1)]);
    assert_eq!(reminder_events(&kw, &key).len(), 2);
}

#[test]
fn lifecycle_a_late_last_reminder_moves_deletion_to_a_full_day_after_it() {
    let kw = Kw::new();
    let (key, _, deadline) = one_key(&kw, "Late");
    kw.set_now(deadline - 15 * DAY);
    lifecycle(&kw);

    // The app was off from the 15-day reminder until 12 hours before the deadline.
    let late = deadline - 12 * HOUR;
    kw.set_now(late);
    let r = lifecycle(&kw);
    assert_eq!(
        reminders(&r),
        [(key.clone(), 1)],
        "the 7-day one is skipped"
    );
    assert_eq!(
        arr(&r["reminders"])[0]["due_at"],
        to_rfc3339(late + DAY).as_str()
    );
    assert_eq!(
        kw.key_show(&key)["deletes_at"],
        to_rfc3339(late + DAY).as_str()
    );

    kw.set_now(deadline);
    assert_nothing_due(&lifecycle(&kw));
    kw.set_now(late + DAY - SECOND);
    assert_nothing_due(&lifecycle(&kw));
    kw.set_now(late + DAY);
    assert_eq!(deleted(&lifecycle(&kw)), [key]);
}

#[test]
fn lifecycle_use_restarts_the_clock_and_earlier_reminders_do_not_count() {
    let kw = Kw::new();
    let (key, secret, deadline) = one_key(&kw, "Revived");
    kw.set_now(deadline - DAY);
    assert_eq!(reminders(&lifecycle(&kw)), [(key.clone(), 1)]);

    let used = deadline - 10 * HOUR;
    kw.set_now(used);
    kw.verify_ok(&secret);
    let shown = kw.key_show(&key);
    assert_eq!(shown["deletion_scheduled"], false);
    assert_eq!(shown["deletes_at"], to_rfc3339(used + 90 * DAY).as_str());

    kw.set_now(deadline + 2 * DAY);
    let r = lifecycle(&kw);
    assert_nothing_due(&r);
    kw.set_now(used + 75 * DAY);
    assert_eq!(
        reminders(&lifecycle(&kw)),
        [(key.clone(), 15)],
        "a new deadline, new reminders"
    );
    assert_nothing_due(&dry_run(&kw));
}

#[test]
fn keys_keep_after_a_reminder_cancels_the_scheduled_deletion() {
    let kw = Kw::new();
    let (key, secret, deadline) = one_key(&kw, "Kept");
    kw.set_now(deadline - DAY);
    assert_eq!(reminders(&lifecycle(&kw)).len(), 1);
    let kept_at = deadline - 20 * HOUR;
    kw.set_now(kept_at);
    let v = kw.json(&["keys", "keep", &key]).ok();
    assert_eq!(v["deletion_scheduled"], false);
    assert_eq!(v["deletes_at"], to_rfc3339(kept_at + 90 * DAY).as_str());

    kw.set_now(deadline + DAY);
    assert_nothing_due(&lifecycle(&kw));
    kw.verify_ok(&secret);
}

#[test]
fn lifecycle_deletes_an_inactive_key_with_its_unused_tokens() {
    let kw = Kw::new();
    let (key, _, deadline) = one_key(&kw, "Minted only");
    let (_, token) = kw.create_token(&key);
    for days_before in [15, 7, 1] {
        kw.set_now(deadline - days_before * DAY);
        assert_eq!(
            reminders(&lifecycle(&kw)),
            [(key.clone(), days_before as u64)]
        );
    }
    kw.set_now(deadline);
    let r = lifecycle(&kw);
    assert_eq!(deleted(&r), [key.as_str()]);
    assert_eq!(arr(&r["deleted"])[0]["tokens_deleted"], 1);
    assert_eq!(kw.verify_fails(&token), "NOT_FOUND");
    assert_eq!(kw.json(&["tokens", "list"]).ok(), serde_json::json!([]));
}

#[test]
fn lifecycle_only_deletes_the_keys_that_are_due() {
    let kw = Kw::new();
    kw.ada();
    let (idle, _) = kw.create_key("ada@example.com", "Idle");
    let (busy, busy_secret) = kw.create_key("ada@example.com", "Busy");
    let deadline = kw.now() + 90 * DAY;
    for days_before in [15, 7, 1] {
        kw.set_now(deadline - days_before * DAY - HOUR);
        kw.verify_ok(&busy_secret);
        kw.advance(HOUR);
        assert_eq!(
            reminders(&lifecycle(&kw)),
            [(idle.clone(), days_before as u64)]
        );
    }
    kw.set_now(deadline);
    let r = lifecycle(&kw);
    assert_eq!(r["keys_checked"], 2);
    assert_eq!(deleted(&r), [idle]);
    assert_eq!(kw.key_show(&busy)["status"], "active");
}

#[test]
fn lifecycle_raises_token_expiry_reminders_30_7_and_1_days_before_once_each() {
    let kw = Kw::new();
    kw.ada();
    let (key, _) = kw.create_key("ada@example.com", "Postman");
    let (tok, token) = kw.create_token(&key);
    let expires = kw.now() + 365 * DAY;

    // The token is used, which keeps its key alive.
    kw.set_now(expires - 40 * DAY);
    kw.verify_ok(&token);
    kw.set_now(expires - 30 * DAY - SECOND);
    assert_nothing_due(&lifecycle(&kw));

    for days_before in [30u64, 7, 1] {
        kw.set_now(expires - days_before as i64 * DAY);
        let r = lifecycle(&kw);
        assert_eq!(reminders(&r), [(tok.clone(), days_before)]);
        let rem = &arr(&r["reminders"])[0];
        assert_eq!(rem["kind"], "token_expiry");
        assert_eq!(rem["key_id"], key.as_str());
        assert_eq!(rem["due_at"], to_rfc3339(expires).as_str());
        assert_eq!(rem["days_left"], days_before);
        assert_eq!(rem["last_used_at"], to_rfc3339(expires - 40 * DAY).as_str());
        assert!(s(&rem["message"]).contains("expires in"), "{rem}");
        kw.advance(HOUR);
        assert_nothing_due(&lifecycle(&kw));
    }
    kw.set_now(expires);
    assert_nothing_due(&lifecycle(&kw));
    let events = kw
        .audit_all()
        .into_iter()
        .filter(|e| e["action"] == "token.reminder")
        .count();
    assert_eq!(events, 3);
}

#[test]
fn lifecycle_without_reminder_days_still_warns_a_day_before_deleting() {
    let kw = Kw::new();
    let (key, _, deadline) = one_key(&kw, "No reminders");
    let s = kw.json(&["settings", "set", "reminder_days", ""]).ok();
    assert_eq!(s["reminder_days"], serde_json::json!([]));
    kw.set_now(deadline - DAY);
    assert_nothing_due(&lifecycle(&kw));
    kw.set_now(deadline);
    let r = lifecycle(&kw);
    assert_eq!(deleted(&r), Vec::<String>::new());
    assert_eq!(reminders(&r).len(), 1);
    kw.set_now(deadline + DAY);
    assert_eq!(deleted(&lifecycle(&kw)), [key]);
}

#[test]
fn lifecycle_follows_the_inactivity_and_reminder_day_settings() {
    let kw = Kw::new();
    let (key, _, _) = one_key(&kw, "Short lived");
    kw.json(&["settings", "set", "inactivity_days", "30"]).ok();
    kw.json(&["settings", "set", "reminder_days", "3"]).ok();
    let deadline = at(T0) + 30 * DAY;
    assert_eq!(
        kw.key_show(&key)["deletes_at"],
        to_rfc3339(deadline).as_str()
    );
    kw.set_now(deadline - 3 * DAY - SECOND);
    assert_nothing_due(&lifecycle(&kw));
    kw.set_now(deadline - 3 * DAY);
    assert_eq!(reminders(&lifecycle(&kw)), [(key.clone(), 3)]);
    kw.set_now(deadline);
    assert_eq!(deleted(&lifecycle(&kw)), [key]);
}

#[test]
fn lifecycle_human_output_says_what_happened() {
    let kw = Kw::new();
    let (_, _, deadline) = one_key(&kw, "Zapier");
    let h = kw.human(&["lifecycle"]);
    assert_eq!(h.code, 0, "{}", h.stderr);
    assert!(
        h.stdout.contains("Checked 1 key(s) and 0 token(s)"),
        "{}",
        h.stdout
    );
    assert!(h.stdout.contains("Nothing due."), "{}", h.stdout);
    kw.set_now(deadline - 7 * DAY);
    let h = kw.human(&["lifecycle"]);
    assert!(
        h.stdout
            .contains("reminder (did raise): API key 'Zapier' will be deleted in 7 days"),
        "{}",
        h.stdout
    );
}
