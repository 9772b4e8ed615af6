//! `keyward audit [--limit N]` and `keyward settings show|set` (SPEC §3.12, §3.13, §5).

use keyward_testkit::cli::*;
use serde_json::{json, Value};

/// Each command one second after the previous one, so the log's order is the commands' order.
fn step(kw: &Kw) -> &Kw {
    kw.advance(SECOND);
    kw
}

#[test]
fn audit_records_changes_reveals_reminders_and_deletions_and_never_a_secret() {
    let kw = Kw::new();
    let ada = kw.ada();
    let loc = s(&step(&kw)
        .json(&["locations", "add", "--name", "Downtown"])
        .ok()["id"]);
    step(&kw)
        .json(&["locations", "rename", &loc, "--name", "Uptown"])
        .ok();
    step(&kw)
        .json(&["users", "edit", &ada, "--name", "Ada King"])
        .ok();
    let (key, s1) = step(&kw).create_key("ada@example.com", "Zapier");
    let (tok, t1) = step(&kw).create_token(&key);
    let revealed = s(&step(&kw).json(&["keys", "reveal", &key]).ok()["key"]);
    assert_eq!(revealed, s1);
    let s2 = s(&step(&kw)
        .json(&["keys", "regenerate", &key, "--grace", "1h"])
        .ok()["key"]);
    step(&kw).json(&["tokens", "revoke", &tok]).ok();
    step(&kw).json(&["keys", "disable", &key]).ok();
    step(&kw).json(&["keys", "enable", &key]).ok();
    step(&kw).json(&["keys", "keep", &key]).ok();
    step(&kw).verify_fails("kwa_not_a_key");
    step(&kw)
        .json(&["settings", "set", "clipboard_clear_seconds", "10"])
        .ok();
    let (doomed, s3) = step(&kw).create_key("ada@example.com", "Doomed");
    let (_, t2) = step(&kw).create_token(&doomed);
    step(&kw).json(&["keys", "delete", &doomed, "--force"]).ok();
    // Inactivity: a reminder, then the deletion a day later.
    kw.advance(200 * DAY);
    kw.json(&["lifecycle"]).ok();
    kw.advance(DAY);
    kw.json(&["lifecycle"]).ok();
    step(&kw).json(&["users", "deactivate", &ada]).ok();
    step(&kw).json(&["users", "activate", &ada]).ok();
    step(&kw).json(&["users", "api-access", &ada, "off"]).ok();
    step(&kw).json(&["users", "clear-keys", &ada]).ok();

    let secrets = [
        s1.as_str(),
        s2.as_str(),
        s3.as_str(),
        t1.as_str(),
        t2.as_str(),
    ];
    let json = kw.json(&["audit", "--limit", "1000"]);
    assert_eq!(json.code, 0);
    assert_no_secret(&json.stdout, &secrets, "audit --json");
    let human = kw.human(&["audit", "--limit", "1000"]);
    assert_eq!(human.code, 0);
    assert_no_secret(&human.stdout, &secrets, "audit");
    assert!(human.stdout.starts_with("TIME (UTC)"), "{}", human.stdout);

    let events = arr(&json.json);
    let actions: Vec<String> = events.iter().rev().map(|e| s(&e["action"])).collect();
    assert_eq!(
        actions,
        [
            "user.created",
            "location.created",
            "location.updated",
            "user.updated",
            "api_key.created",
            "token.created",
            "api_key.revealed",
            "api_key.regenerated",
            "token.revoked",
            "api_key.updated",
            "api_key.updated",
            "api_key.kept",
            "verification.failed",
            "settings.updated",
            "api_key.created",
            "token.created",
            "api_key.deleted",
            "api_key.reminder",
            // The key deleted by hand above, over 30 days before this lifecycle run.
            "api_key.purged",
            "api_key.deleted",
            "user.updated",
            "user.updated",
            "user.updated",
            "user.keys_cleared",
        ],
        "oldest to newest"
    );
    for e in &events {
        assert_eq!(e["actor"], "cli", "{e}");
        assert!(s(&e["id"]).starts_with("evt_"), "{e}");
        assert_eq!(
            e["action"],
            format!("{}.{}", s(&e["entity"]), s(&e["operation"])).as_str()
        );
    }
    let find =
        |action: &str| -> Vec<&Value> { events.iter().filter(|e| e["action"] == action).collect() };
    let reveal = find("api_key.revealed")[0];
    assert_eq!(reveal["object_id"], key.as_str());
    assert_eq!(reveal["user_id"], ada.as_str());
    assert_eq!(reveal["at"], "2026-08-12T10:00:06Z");
    let deletions = find("api_key.deleted");
    assert_eq!(
        deletions[1]["object_id"],
        doomed.as_str(),
        "the forced delete"
    );
    assert_eq!(
        deletions[0]["object_id"],
        key.as_str(),
        "the inactivity deletion"
    );
    assert!(
        s(&deletions[0]["summary"]).contains("inactivity"),
        "{}",
        deletions[0]
    );
    assert!(
        s(&find("api_key.reminder")[0]["summary"]).contains("will be deleted in 24 hours"),
        "{}",
        find("api_key.reminder")[0]
    );
    assert!(s(&find("settings.updated")[0]["summary"]).contains("clipboard_clear_seconds"));
}

#[test]
fn audit_limit_returns_the_newest_n_events() {
    let kw = Kw::new();
    for i in 0..5 {
        step(&kw).add_user(&format!("User {i}"), &format!("u{i}@example.com"), false);
    }
    let two = arr(&kw.json(&["audit", "--limit", "2"]).ok());
    let summaries: Vec<String> = two.iter().map(|e| s(&e["summary"])).collect();
    assert_eq!(summaries.len(), 2);
    assert!(summaries[0].contains("u4@example.com"), "{summaries:?}");
    assert!(summaries[1].contains("u3@example.com"), "{summaries:?}");
    assert_eq!(arr(&kw.json(&["audit", "--limit", "100"]).ok()).len(), 5);

    let h = kw.human(&["audit", "--limit", "1"]);
    assert_eq!(h.code, 0);
    assert_eq!(
        h.stdout.lines().count(),
        2,
        "a header and one event: {}",
        h.stdout
    );
    assert!(h.stdout.contains("u4@example.com"), "{}", h.stdout);
}

#[test]
fn audit_shows_at_most_50_events_by_default() {
    let kw = Kw::new();
    kw.ada();
    let (key, _) = kw.create_key("ada@example.com", "Busy");
    for _ in 0..25 {
        kw.json(&["keys", "disable", &key]).ok();
        kw.json(&["keys", "enable", &key]).ok();
    }
    assert_eq!(kw.audit_all().len(), 52);
    assert_eq!(arr(&kw.json(&["audit"]).ok()).len(), 50);
}

#[test]
fn audit_limit_0_returns_no_events() {
    let kw = Kw::new();
    kw.ada();
    assert_eq!(kw.json(&["audit", "--limit", "0"]).ok(), json!([]));
}

#[test]
fn audit_of_an_empty_log_is_empty() {
    let kw = Kw::new();
    assert_eq!(kw.json(&["audit"]).ok(), json!([]));
    let h = kw.human(&["audit"]);
    assert_eq!(h.code, 0);
    assert!(h.stdout.contains("The audit log is empty."), "{}", h.stdout);
}

#[test]
fn audit_limit_must_be_a_number() {
    let kw = Kw::new();
    kw.json(&["audit", "--limit", "many"]).fails(2, "USAGE");
    kw.json(&["audit", "--limit", "-1"]).fails(2, "USAGE");
}

#[test]
fn audit_object_filter_finds_a_keys_events_and_its_tokens() {
    let kw = Kw::new();
    kw.ada();
    let (key, _) = step(&kw).create_key("ada@example.com", "Mine");
    let (other, _) = step(&kw).create_key("ada@example.com", "Other");
    step(&kw).create_token(&key);
    step(&kw).create_token(&other);
    let mine: Vec<String> = arr(&kw.json(&["audit", "--object", &key]).ok())
        .iter()
        .map(|e| s(&e["action"]))
        .collect();
    assert_eq!(mine, ["token.created", "api_key.created"]);
    let searched = arr(&kw.json(&["audit", "--search", "OTHER"]).ok());
    assert!(!searched.is_empty());
    assert!(searched.iter().all(|e| s(&e["summary"]).contains("Other")));
}

// ---- settings ----

#[test]
fn settings_show_gives_the_defaults() {
    let kw = Kw::new();
    let v = kw.json(&["settings", "show"]).ok();
    assert_eq!(
        v,
        json!({
            "inactivity_days": 90,
            "reminder_days": [15, 7, 1],
            "token_lifetime_days": 365,
            "token_reminder_days": [30, 7, 1],
            "clipboard_clear_seconds": 30,
            "local_api_enabled": true,
            "local_api_port": 7420,
            "launch_at_login": false,
            "close_to_tray": true,
            "notifications": true,
            "max_live_tokens": 100,
            "smtp_url": "",
            "smtp_from": ""
        })
    );
    let h = kw.human(&["settings", "show"]);
    assert_eq!(h.code, 0);
    assert!(
        h.stdout.contains("inactivity_days          90"),
        "{}",
        h.stdout
    );
    assert!(
        h.stdout.contains("reminder_days            15,7,1"),
        "{}",
        h.stdout
    );
}

#[test]
fn settings_set_persists_normalizes_and_is_audited() {
    let kw = Kw::new();
    let v = kw
        .json(&["settings", "set", "reminder_days", "1, 30,7,7"])
        .ok();
    assert_eq!(
        v["reminder_days"],
        json!([30, 7, 1]),
        "sorted, deduplicated"
    );
    kw.json(&["settings", "set", "inactivity_days", "60"]).ok();
    kw.json(&["settings", "set", "notifications", "off"]).ok();
    kw.json(&["settings", "set", "local_api_port", "8080"]).ok();
    let shown = kw.json(&["settings", "show"]).ok();
    assert_eq!(shown["reminder_days"], json!([30, 7, 1]));
    assert_eq!(shown["inactivity_days"], 60);
    assert_eq!(shown["notifications"], false);
    assert_eq!(shown["local_api_port"], 8080);
    let h = kw.human(&["settings", "set", "close_to_tray", "no"]);
    assert_eq!(h.code, 0);
    assert!(
        h.stdout.contains("close_to_tray            false"),
        "{}",
        h.stdout
    );

    let changes: Vec<String> = kw
        .audit_all()
        .iter()
        .filter(|e| e["action"] == "settings.updated")
        .map(|e| s(&e["summary"]))
        .collect();
    assert_eq!(changes.len(), 5, "{changes:?}");
    assert!(
        changes.iter().any(|c| c.contains("inactivity_days to 60")),
        "{changes:?}"
    );
}

#[test]
fn settings_set_refuses_invalid_values_with_exit_2_and_changes_nothing() {
    let kw = Kw::new();
    let before = kw.json(&["settings", "show"]).ok();
    for (name, value) in [
        ("no_such_setting", "1"),
        ("inactivity_days", "ten"),
        ("inactivity_days", "4000"),
        ("inactivity_days", "3651"),
        ("reminder_days", "0"),
        ("reminder_days", "90"),
        ("reminder_days", "1,2,3,4,5,6"),
        ("reminder_days", "7,x"),
        ("token_lifetime_days", "0"),
        ("token_reminder_days", "365"),
        ("clipboard_clear_seconds", "4000"),
        ("local_api_port", "80"),
        ("local_api_port", "70000"),
        ("notifications", "maybe"),
    ] {
        let r = kw.json(&["settings", "set", name, value]);
        let msg = r.fails(2, "INVALID_INPUT");
        assert!(!msg.is_empty(), "{name}={value}");
    }
    // Lowering the inactivity period below a reminder threshold is refused too.
    kw.json(&["settings", "set", "inactivity_days", "10"])
        .fails(2, "INVALID_INPUT");
    assert_eq!(kw.json(&["settings", "show"]).ok(), before);
    assert!(
        kw.audit_all().is_empty(),
        "nothing was changed, nothing audited"
    );
    kw.json(&["settings", "set", "inactivity_days"])
        .fails(2, "USAGE");
    kw.json(&["settings", "set", "inactivity_days", "-5"])
        .fails(2, "USAGE");
}

#[test]
fn smtp_settings_show_the_password_masked_and_bad_values_exit_2_changing_nothing() {
    let kw = Kw::new();
    let url = "smtp://mailer:hunter2@mail.example.com:2525";
    let v = kw.json(&["settings", "set", "smtp_url", url]).ok();
    assert_eq!(v["smtp_url"], "smtp://mailer:•••@mail.example.com:2525");
    let h = kw.human(&[
        "settings",
        "set",
        "smtp_from",
        "Keyward <keyward@example.com>",
    ]);
    assert_eq!(h.code, 0);
    assert!(
        h.stdout
            .contains("smtp_url                 smtp://mailer:•••@mail.example.com:2525"),
        "{}",
        h.stdout
    );
    assert!(!h.stdout.contains("hunter2"), "{}", h.stdout);
    let before = kw.json(&["settings", "show"]).ok();
    let audited = kw.audit_all().len();
    for (name, value) in [
        ("smtp_url", "http://mail.example.com"),
        ("smtp_url", "smtp://mailer:hunter2@mail.example.com/inbox"),
        ("smtp_url", "smtps://mail.example.com?tls=none"),
        ("smtp_from", "keyward"),
        ("smtp_from", "Keyward <keyward@example>"),
    ] {
        let r = kw.json(&["settings", "set", name, value]);
        let msg = r.fails(2, "INVALID_INPUT");
        assert!(msg.contains(name), "{name}={value}: {msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
    }
    assert_eq!(kw.json(&["settings", "show"]).ok(), before);
    assert_eq!(kw.audit_all().len(), audited, "nothing changed");
    assert!(kw
        .audit_all()
        .iter()
        .all(|e| !s(&e["summary"]).contains("hunter2")));
}

#[test]
fn a_one_shot_lifecycle_run_emails_the_reminder_before_it_exits() {
    let rx = keyward_testkit::smtp::SmtpReceiver::start();
    let kw = Kw::new();
    kw.ada();
    kw.json(&["settings", "set", "smtp_url", &rx.url()]).ok();
    kw.json(&["settings", "set", "smtp_from", "keyward@example.com"])
        .ok();
    kw.create_key("ada@example.com", "Zapier");
    kw.advance(75 * keyward_core::clock::DAY);
    let r = kw.json(&["lifecycle"]).ok();
    assert_eq!(r["reminders"].as_array().unwrap().len(), 1);
    let got = rx.wait_for(1, std::time::Duration::from_secs(5));
    assert_eq!(got.len(), 1, "sent by the command itself");
    assert_eq!(got[0].rcpt_tos, ["ada@example.com"]);
    assert_eq!(
        got[0].header("Subject"),
        Some("Your API key \"Zapier\" will be deleted in 15 days")
    );
    assert!(kw.audit_all().iter().any(|e| e["action"] == "email.sent"));
}

#[test]
fn settings_test_email_sends_now_and_exits_1_with_the_servers_answer_when_not_sent() {
    let kw = Kw::new();
    kw.ada();
    // Email off: exit 2, naming the setting to fill in.
    let err = kw
        .json(&["settings", "test-email", "lee@example.com"])
        .fails(2, "INVALID_INPUT");
    assert!(err.contains("email is off"), "{err}");

    let mut rx = keyward_testkit::smtp::SmtpReceiver::start();
    kw.json(&["settings", "set", "smtp_url", &rx.url()]).ok();
    kw.json(&[
        "settings",
        "set",
        "smtp_from",
        "Keyward <keyward@example.com>",
    ])
    .ok();
    kw.json(&["settings", "test-email", "no address"])
        .fails(2, "INVALID_INPUT");

    let v = kw.json(&["settings", "test-email", "lee@example.com"]).ok();
    assert_eq!(v["sent"], true);
    assert_eq!(v["to"], "lee@example.com");
    let got = rx.wait_for(1, std::time::Duration::from_secs(5));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rcpt_tos, ["lee@example.com"]);
    assert_eq!(got[0].header("Subject"), Some("Keyward test email"));
    assert_eq!(got[0].header("Message-ID"), v["message_id"].as_str());

    let h = kw.human(&["settings", "test-email", "lee@example.com"]);
    assert_eq!(h.code, 0, "{h:?}");
    assert!(
        h.stdout
            .starts_with("Sent a test email to lee@example.com through smtp://127.0.0.1:"),
        "{}",
        h.stdout
    );

    rx.stop();
    let down = kw.json(&["settings", "test-email", "lee@example.com"]);
    assert_eq!(down.code, 1, "{down:?}");
    assert_eq!(down.json["sent"], false);
    assert!(
        s(&down.json["error"]).contains(&format!("127.0.0.1:{}", rx.port)),
        "{down:?}"
    );
    let h = kw.human(&["settings", "test-email", "lee@example.com"]);
    assert_eq!(h.code, 1);
    assert!(
        h.stdout
            .contains("The test email to lee@example.com was not sent through"),
        "{}",
        h.stdout
    );
    let tested: Vec<Value> = kw
        .audit_all()
        .into_iter()
        .filter(|e| e["action"] == "email.tested")
        .collect();
    assert_eq!(tested.len(), 4);
}

/// Over STARTTLS (`smtp://`) and TLS (`smtps://`), with a login: sent once the server's
/// certificate is trusted (here through SSL_CERT_FILE, as an administrator would add a
/// private CA), refused with a certificate error while it is not.
#[test]
fn settings_test_email_goes_through_starttls_and_tls_to_a_trusted_server() {
    use keyward_testkit::smtp::{SmtpReceiver, SmtpTls};
    for tls in [SmtpTls::StartTls, SmtpTls::Implicit] {
        let kw = Kw::new();
        kw.ada();
        let rx = SmtpReceiver::with_tls(tls, Some(("keyward-mailer", "s3cret:pass")));
        let url = rx.url();
        assert!(!url.contains("tls=none"), "{url}");
        kw.json(&["settings", "set", "smtp_url", &url]).ok();
        kw.json(&["settings", "set", "smtp_from", "keyward@example.com"])
            .ok();

        let untrusted = kw.json(&["settings", "test-email", "lee@example.com"]);
        assert_eq!(untrusted.code, 1, "{tls:?}: {untrusted:?}");
        assert!(
            s(&untrusted.json["error"])
                .to_lowercase()
                .contains("certificate"),
            "{tls:?}: {untrusted:?}"
        );
        assert!(rx.messages().is_empty());

        let ca = rx.certificate();
        let trusted = kw.json_env(
            &[("SSL_CERT_FILE", ca.as_os_str())],
            &["settings", "test-email", "lee@example.com"],
        );
        assert_eq!(trusted.code, 0, "{tls:?}: {trusted:?}");
        assert_eq!(trusted.json["sent"], true);
        let got = rx.wait_for(1, std::time::Duration::from_secs(5));
        assert_eq!(got.len(), 1, "{tls:?}");
        assert_eq!(got[0].login.as_deref(), Some("keyward-mailer"), "{tls:?}");
        assert_eq!(got[0].header("Subject"), Some("Keyward test email"));
    }
}
