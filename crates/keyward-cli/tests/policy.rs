//! `keys create` and `keys edit` with a policy, `keys keep --always`, and `verify
//! --permission`: every flag, and each bad value refused with a clear error, exit 2, and
//! nothing changed.

use keyward_testkit::cli::{Kw, DAY};
use serde_json::{json, Value};

fn create(kw: &Kw, extra: &[&str]) -> keyward_testkit::cli::Run {
    let mut args = vec![
        "keys",
        "create",
        "--owner",
        "ada@example.com",
        "--name",
        "Website form",
    ];
    args.extend_from_slice(extra);
    kw.json(&args)
}

#[test]
fn a_key_is_created_with_its_policy_and_shows_it() {
    let kw = Kw::new();
    kw.ada();
    let k = create(
        &kw,
        &[
            "--expires",
            "90d",
            "--permission",
            "contacts:read",
            "--permission",
            "events:*",
            "--rate",
            "600/min",
            "--notes",
            "Used by the donation form",
            "--tag",
            "Web",
            "--tag",
            "forms",
            "--always",
        ],
    )
    .ok();
    assert_eq!(k["expires_at"], "2026-11-10T10:00:00Z");
    assert_eq!(k["permissions"], json!(["contacts:read", "events:*"]));
    assert_eq!(k["rate"], "600/min");
    assert_eq!(k["notes"], "Used by the donation form");
    assert_eq!(k["tags"], json!(["web", "forms"]));
    assert_eq!(k["keep_always"], true);
    assert_eq!(k["deletes_at"], Value::Null);
    let shown = kw.human(&["keys", "show", k["id"].as_str().unwrap()]);
    assert_eq!(shown.code, 0);
    for line in [
        "expires       2026-11-10T10:00:00Z",
        "never deleted for inactivity",
        "permissions   contacts:read, events:*",
        "rate limit    600/min",
        "tags          web, forms",
        "notes         Used by the donation form",
    ] {
        assert!(shown.stdout.contains(line), "{line}\n{}", shown.stdout);
    }
    // Found by its notes and tags.
    let found = kw.json(&["keys", "list", "--search", "donation"]).ok();
    assert_eq!(found.as_array().unwrap().len(), 1);
}

#[test]
fn each_bad_value_is_refused_with_exit_2_and_nothing_is_created() {
    let kw = Kw::new();
    kw.ada();
    let long_notes = "n".repeat(1_001);
    for (args, field) in [
        (vec!["--expires", "yesterday"], "expires"),
        (vec!["--expires", "2001-01-01"], "expires"),
        (vec!["--expires", "0d"], "expires"),
        (vec!["--rate", "lots"], "rate"),
        (vec!["--rate", "0/min"], "rate"),
        (vec!["--permission", "Contacts Read"], "permissions"),
        (vec!["--tag", "two words"], "tags"),
        (vec!["--notes", long_notes.as_str()], "notes"),
    ] {
        let msg = create(&kw, &args).fails(2, "INVALID_INPUT");
        assert!(!msg.is_empty(), "{args:?}");
        let err: Value = serde_json::from_str(create(&kw, &args).stderr.trim()).unwrap();
        assert_eq!(err["error"]["code"], "INVALID_INPUT", "{field}");
    }
    assert_eq!(kw.json(&["keys", "list"]).ok(), json!([]));
}

#[test]
fn a_key_is_edited_and_kept_always_or_not() {
    let kw = Kw::new();
    kw.ada();
    let id = create(&kw, &[]).ok()["id"].as_str().unwrap().to_owned();
    let edited = kw
        .json(&[
            "keys",
            "edit",
            &id,
            "--notes",
            "Zapier, nightly",
            "--tag",
            "crm",
            "--permission",
            "contacts:*",
            "--rate",
            "10/s",
        ])
        .ok();
    assert_eq!(edited["notes"], "Zapier, nightly");
    assert_eq!(edited["tags"], json!(["crm"]));
    assert_eq!(edited["permissions"], json!(["contacts:*"]));
    assert_eq!(edited["rate"], "10/s");
    let cleared = kw
        .json(&["keys", "edit", &id, "--no-tags", "--rate", "none"])
        .ok();
    assert_eq!(
        (cleared["tags"].clone(), cleared["rate"].clone()),
        (json!([]), Value::Null)
    );
    kw.json(&["keys", "edit", &id]).fails(2, "INVALID_INPUT");
    kw.json(&["keys", "edit", &id, "--rate", "fast"])
        .fails(2, "INVALID_INPUT");
    kw.json(&["keys", "edit", &id, "--tag", "a", "--no-tags"])
        .fails(2, "USAGE");
    assert_eq!(kw.json(&["keys", "show", &id]).ok()["rate"], Value::Null);

    let kept = kw.json(&["keys", "keep", &id, "--always"]).ok();
    assert_eq!(
        (kept["keep_always"].clone(), kept["deletes_at"].clone()),
        (json!(true), Value::Null)
    );
    let undone = kw.json(&["keys", "keep", &id, "--no-always"]).ok();
    assert_eq!(undone["keep_always"], false);
    assert!(undone["deletes_at"].is_string());
    kw.json(&["keys", "keep", &id, "--always", "--no-always"])
        .fails(2, "USAGE");
}

#[test]
fn verify_checks_a_permission_and_an_end() {
    let kw = Kw::new();
    kw.ada();
    let k = create(&kw, &["--permission", "contacts:read", "--expires", "30d"]).ok();
    let secret = k["key"].as_str().unwrap();
    let ok = kw.json(&["verify", secret, "--permission", "contacts:read"]);
    assert_eq!(ok.code, 0);
    assert_eq!(ok.json["permissions"], json!(["contacts:read"]));
    let refused = kw.json(&["verify", secret, "--permission", "contacts:write"]);
    assert_eq!(refused.code, 3);
    assert_eq!(refused.json["code"], "INSUFFICIENT_PERMISSIONS");
    kw.advance(30 * DAY);
    let expired = kw.json(&["verify", secret]);
    assert_eq!(
        (expired.code, expired.json["code"].clone()),
        (3, json!("EXPIRED"))
    );
    let listed = kw.json(&["keys", "list", "--status", "expired"]).ok();
    assert_eq!(listed[0]["id"], k["id"]);
}

#[test]
fn access_off_deactivate_and_clear_keys_name_what_stops_and_need_yes_when_in_use() {
    let kw = Kw::new();
    kw.ada();
    kw.add_user("Ben Manager", "ben@example.com", true);
    let used = kw
        .json(&[
            "keys",
            "create",
            "--owner",
            "ben@example.com",
            "--name",
            "Zapier sync",
        ])
        .ok();
    kw.json(&[
        "keys",
        "create",
        "--owner",
        "ben@example.com",
        "--name",
        "Idle",
    ])
    .ok();
    kw.create_token(used["id"].as_str().unwrap());
    for args in [
        vec!["users", "api-access", "ben@example.com", "off"],
        vec!["users", "deactivate", "ben@example.com"],
        vec!["users", "clear-keys", "ben@example.com"],
    ] {
        let msg = kw.json(&args).fails(3, "CONFIRMATION_REQUIRED");
        assert!(
            msg.contains("'Zapier sync' (1 live token)") && msg.contains("--yes"),
            "{msg}"
        );
        assert!(!msg.contains("Idle"), "only keys in use are named: {msg}");
    }
    // Nothing changed.
    let ben = kw.json(&["users", "show", "ben@example.com"]).ok();
    assert_eq!(
        (ben["active"].clone(), ben["api_access"].clone()),
        (json!(true), json!(true))
    );
    kw.json(&["users", "api-access", "ben@example.com", "off", "--yes"])
        .ok();
    // With access off, nothing of Ben's works any more: no confirmation needed.
    kw.json(&["users", "deactivate", "ben@example.com"]).ok();
    // A site manager whose keys are not in use needs no --yes.
    kw.add_user("Cy Idle", "cy@example.com", true);
    kw.json(&[
        "keys",
        "create",
        "--owner",
        "cy@example.com",
        "--name",
        "Never used",
    ])
    .ok();
    kw.json(&["users", "clear-keys", "cy@example.com"]).ok();
}

#[test]
fn keys_usage_shows_each_days_verifications() {
    let kw = Kw::new();
    kw.ada();
    let k = create(&kw, &["--permission", "contacts:read"]).ok();
    let (id, secret) = (k["id"].as_str().unwrap(), k["key"].as_str().unwrap());
    kw.json(&["verify", secret]).ok();
    kw.json(&["verify", secret, "--permission", "contacts:write"]);
    kw.advance(DAY);
    kw.json(&["verify", secret]).ok();
    let usage = kw.json(&["keys", "usage", id, "--days", "2"]).ok();
    assert_eq!(
        usage,
        json!([
            {"date": "2026-08-12", "valid": 1, "failed": {"INSUFFICIENT_PERMISSIONS": 1}},
            {"date": "2026-08-13", "valid": 1, "failed": {}}
        ])
    );
    let human = kw.human(&["keys", "usage", id, "--days", "2"]).stdout;
    assert!(human.contains("INSUFFICIENT_PERMISSIONS ×1"), "{human}");
    assert!(
        human.contains("2 valid and 1 failed verification(s) in 2 day(s)"),
        "{human}"
    );
    kw.json(&["keys", "usage", id, "--days", "91"])
        .fails(2, "USAGE");
    kw.json(&["keys", "usage", "key_nope"])
        .fails(4, "NOT_FOUND");
}
