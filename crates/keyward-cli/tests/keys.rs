//! `keyward keys …` (SPEC §3.3–3.8, §5).

use keyward_testkit::cli::*;
use serde_json::Value;

// ---- create ----

#[test]
fn keys_create_prints_the_full_key_once_with_the_shared_vocabulary() {
    let kw = Kw::new();
    let ada = kw.ada();
    let k = kw
        .json(&[
            "keys",
            "create",
            "--owner",
            "ada@example.com",
            "--name",
            "  Zapier – weekly export ",
        ])
        .ok();
    let secret = s(&k["key"]);
    assert_secret_shape(&secret, "kwa_");
    assert!(s(&k["id"]).starts_with("key_"), "{k}");
    assert_eq!(k["name"], "Zapier – weekly export", "the name is trimmed");
    assert_eq!(k["masked_key"], masked(&secret).as_str());
    assert_eq!(k["owner"]["id"], ada.as_str());
    assert_eq!(k["owner"]["email"], "ada@example.com");
    assert_eq!(k["scope"], serde_json::json!({"type": "agency"}));
    assert_eq!(k["status"], "active");
    assert_eq!(k["created_at"], T0);
    assert_eq!(k["last_used_at"], Value::Null);
    assert_eq!(
        k["deletes_at"], "2026-11-10T10:00:00Z",
        "90 days of inactivity"
    );
    assert_eq!(k["deletes_in_days"], 90);
    assert_eq!(k["deletion_scheduled"], false);
    assert_eq!(k["in_use"], false);
    assert_eq!(k["live_tokens"], 0);
    assert_eq!(k["grace_until"], Value::Null);
    kw.verify_ok(&secret);
}

#[test]
fn keys_create_human_output_shows_the_key_and_says_to_copy_it_now() {
    let kw = Kw::new();
    kw.ada();
    let r = kw.human(&[
        "keys",
        "create",
        "--owner",
        "ada@example.com",
        "--name",
        "Zapier",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let secret = r
        .stdout
        .split_whitespace()
        .find(|w| w.starts_with("kwa_") && w.len() == 42)
        .unwrap_or_else(|| panic!("the full key is printed: {}", r.stdout))
        .to_owned();
    assert!(r.stdout.contains("Copy this key now"), "{}", r.stdout);
    assert!(
        r.stdout.starts_with("Created API key 'Zapier' (key_"),
        "{}",
        r.stdout
    );
    kw.verify_ok(&secret);
}

#[test]
fn keys_create_refuses_empty_blank_and_101_char_names_with_exit_2_and_accepts_100() {
    let kw = Kw::new();
    kw.ada();
    let long = "k".repeat(101);
    for bad in ["", "   ", long.as_str(), "line\nbreak"] {
        let msg = kw
            .json(&[
                "keys",
                "create",
                "--owner",
                "ada@example.com",
                "--name",
                bad,
            ])
            .fails(2, "INVALID_INPUT");
        assert!(msg.contains("name"), "{msg}");
    }
    assert_eq!(
        kw.json(&["keys", "list"]).ok(),
        serde_json::json!([]),
        "nothing created"
    );
    let hundred = "k".repeat(100);
    let k = kw
        .json(&[
            "keys",
            "create",
            "--owner",
            "ada@example.com",
            "--name",
            &hundred,
        ])
        .ok();
    assert_eq!(k["name"], hundred.as_str());
}

#[test]
fn keys_create_finds_the_owner_by_id_too() {
    let kw = Kw::new();
    let ada = kw.ada();
    let k = kw
        .json(&["keys", "create", "--owner", &ada, "--name", "By id"])
        .ok();
    assert_eq!(k["owner"]["id"], ada.as_str());
}

// ---- list / show ----

#[test]
fn keys_list_human_and_json_never_contain_a_full_secret() {
    let kw = Kw::new();
    kw.ada();
    let loc = s(&kw.json(&["locations", "add", "--name", "Downtown"]).ok()["id"]);
    let (k1, s1) = kw.create_key("ada@example.com", "Agency key");
    let loc_key = kw
        .json(&[
            "keys",
            "create",
            "--owner",
            "ada@example.com",
            "--name",
            "POS",
            "--location",
            &loc,
        ])
        .ok();
    let s2 = s(&loc_key["key"]);
    let (_, t1) = kw.create_token(&k1);
    let s3 = s(&kw.json(&["keys", "regenerate", &k1, "--grace", "1h"]).ok()["key"]);
    kw.verify_ok(&s2);
    let secrets = [s1.as_str(), s2.as_str(), s3.as_str(), t1.as_str()];

    let human = kw.human(&["keys", "list"]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    assert_no_secret(&human.stdout, &secrets, "keys list");
    assert!(
        human.stdout.contains(&masked(&s3)),
        "the masked key is shown: {}",
        human.stdout
    );
    assert!(human.stdout.contains(&masked(&s2)), "{}", human.stdout);
    assert!(human.stdout.contains("2 key(s)"), "{}", human.stdout);

    let json = kw.json(&["keys", "list"]);
    assert_eq!(json.code, 0);
    assert_no_secret(&json.stdout, &secrets, "keys list --json");
    for k in arr(&json.json) {
        assert!(
            k.get("key").is_none(),
            "a listed key carries no secret: {k}"
        );
    }

    for args in [
        vec!["keys", "show", k1.as_str()],
        vec!["tokens", "list"],
        vec!["tokens", "list", k1.as_str()],
        vec!["users", "list"],
    ] {
        let h = kw.human(&args);
        assert_eq!(h.code, 0, "{args:?}: {}", h.stderr);
        assert_no_secret(&h.stdout, &secrets, &format!("{args:?}"));
        let j = kw.json(&args);
        assert_eq!(j.code, 0);
        assert_no_secret(&j.stdout, &secrets, &format!("{args:?} --json"));
    }
}

#[test]
fn keys_list_is_newest_first_and_empty_list_says_so() {
    let kw = Kw::new();
    kw.ada();
    assert_eq!(kw.json(&["keys", "list"]).ok(), serde_json::json!([]));
    let h = kw.human(&["keys", "list"]);
    assert_eq!(h.code, 0);
    assert!(h.stdout.contains("No API keys match."), "{}", h.stdout);

    let (a, _) = kw.create_key("ada@example.com", "First");
    kw.advance(SECOND);
    let (b, _) = kw.create_key("ada@example.com", "Second");
    kw.advance(SECOND);
    let (c, _) = kw.create_key("ada@example.com", "Third");
    assert_eq!(ids(&kw.json(&["keys", "list"]).ok()), [c, b, a]);
}

fn names(v: &Value) -> Vec<String> {
    let mut n: Vec<String> = arr(v).iter().map(|k| s(&k["name"])).collect();
    n.sort();
    n
}

#[test]
fn keys_list_filters_by_owner_search_and_scope() {
    let kw = Kw::new();
    let ada = kw.ada();
    kw.add_user("Bob Builder", "bob@example.com", true);
    let loc = s(&kw.json(&["locations", "add", "--name", "Harbour"]).ok()["id"]);
    let other_loc = s(&kw.json(&["locations", "add", "--name", "Airport"]).ok()["id"]);
    kw.create_key("ada@example.com", "Zapier export");
    kw.create_key("ada@example.com", "Mailchimp sync");
    kw.create_key("bob@example.com", "Zapier import");
    kw.json(&[
        "keys",
        "create",
        "--owner",
        "bob@example.com",
        "--name",
        "Till",
        "--location",
        &loc,
    ])
    .ok();

    let by_email = kw
        .json(&["keys", "list", "--owner", "ada@example.com"])
        .ok();
    assert_eq!(names(&by_email), ["Mailchimp sync", "Zapier export"]);
    let by_id = kw.json(&["keys", "list", "--owner", &ada]).ok();
    assert_eq!(names(&by_id), names(&by_email));

    let zap = kw.json(&["keys", "list", "--search", "zapier"]).ok();
    assert_eq!(
        names(&zap),
        ["Zapier export", "Zapier import"],
        "case-insensitive"
    );
    let bob = kw.json(&["keys", "list", "--search", "BOB@example"]).ok();
    assert_eq!(
        names(&bob),
        ["Till", "Zapier import"],
        "search finds the owner"
    );
    let harbour = kw.json(&["keys", "list", "--search", "harbour"]).ok();
    assert_eq!(names(&harbour), ["Till"], "search finds the location name");
    let none = kw
        .json(&["keys", "list", "--search", "nothing like this"])
        .ok();
    assert_eq!(none, serde_json::json!([]));

    let agency = kw.json(&["keys", "list", "--scope", "agency"]).ok();
    assert_eq!(
        names(&agency),
        ["Mailchimp sync", "Zapier export", "Zapier import"]
    );
    let at_loc = kw.json(&["keys", "list", "--scope", &loc]).ok();
    assert_eq!(names(&at_loc), ["Till"]);
    let at_other = kw.json(&["keys", "list", "--scope", &other_loc]).ok();
    assert_eq!(at_other, serde_json::json!([]));

    let combined = kw
        .json(&[
            "keys",
            "list",
            "--owner",
            "bob@example.com",
            "--search",
            "zap",
            "--scope",
            "agency",
        ])
        .ok();
    assert_eq!(names(&combined), ["Zapier import"]);
}

#[test]
fn keys_list_filters_by_status() {
    let kw = Kw::new();
    kw.ada();
    kw.add_user("Bob", "bob@example.com", true);
    kw.add_user("Carol", "carol@example.com", true);
    kw.add_user("Dan", "dan@example.com", true);
    let (_, used) = kw.create_key("ada@example.com", "Used");
    let (disabled, _) = kw.create_key("ada@example.com", "Disabled");
    kw.create_key("bob@example.com", "Bob deactivated");
    kw.create_key("carol@example.com", "Carol access off");
    kw.create_key("dan@example.com", "Dan cleared");
    kw.json(&["keys", "disable", &disabled]).ok();
    kw.json(&["users", "deactivate", "bob@example.com"]).ok();
    kw.json(&["users", "api-access", "carol@example.com", "off"])
        .ok();
    kw.json(&["users", "clear-keys", "dan@example.com"]).ok();
    kw.verify_ok(&used);

    let status = |st: &str| names(&kw.json(&["keys", "list", "--status", st]).ok());
    assert_eq!(status("active"), ["Used"]);
    assert_eq!(status("disabled"), ["Disabled"]);
    assert_eq!(status("owner_deactivated"), ["Bob deactivated"]);
    assert_eq!(status("access_off"), ["Carol access off"]);
    assert_eq!(status("revoked"), ["Dan cleared"]);
    assert_eq!(status("in_use"), ["Used"]);
    assert!(
        status("expiring").is_empty(),
        "nothing is due within 15 days yet"
    );

    // 76 days on, every key but the used one... is due within 15 days; revoked ones are not "expiring".
    kw.advance(76 * DAY);
    assert_eq!(
        status("expiring"),
        ["Bob deactivated", "Carol access off", "Disabled", "Used"]
    );
    assert!(status("in_use").is_empty(), "used more than 30 days ago");

    kw.json(&["keys", "list", "--status", "sleeping"])
        .fails(2, "INVALID_INPUT");
}

#[test]
fn keys_show_gives_the_view_and_the_human_form_masks_the_key() {
    let kw = Kw::new();
    kw.ada();
    let (id, secret) = kw.create_key("ada@example.com", "Zapier");
    let v = kw.key_show(&id);
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["name"], "Zapier");
    assert_eq!(v["masked_key"], masked(&secret).as_str());
    assert!(v.get("key").is_none(), "show never carries the secret: {v}");

    let (_, token) = kw.create_token(&id);
    let h = kw.human(&["keys", "show", &id]);
    assert_eq!(h.code, 0);
    assert!(h.stdout.contains(&masked(&secret)), "{}", h.stdout);
    assert!(h.stdout.contains("live tokens   1"), "{}", h.stdout);
    assert_no_secret(&h.stdout, &[&secret, &token], "keys show");
}

// ---- reveal ----

#[test]
fn keys_reveal_returns_the_same_key_and_is_audited() {
    let kw = Kw::new();
    kw.ada();
    let (id, secret) = kw.create_key("ada@example.com", "Zapier");
    let r = kw.json(&["keys", "reveal", &id]).ok();
    assert_eq!(r["id"], id.as_str());
    assert_eq!(r["name"], "Zapier");
    assert_eq!(r["key"], secret.as_str());

    let h = kw.human(&["keys", "reveal", &id]);
    assert_eq!(h.code, 0);
    assert_eq!(h.stdout.trim(), secret, "human reveal prints just the key");

    let revealed: Vec<Value> = kw
        .audit_all()
        .into_iter()
        .filter(|e| e["action"] == "api_key.revealed")
        .collect();
    assert_eq!(revealed.len(), 2, "every reveal is an audit event");
    assert_eq!(revealed[0]["object_id"], id.as_str());
}

// ---- regenerate ----

#[test]
fn keys_regenerate_keeps_id_name_owner_scope_and_revokes_old_key_and_tokens_now() {
    let kw = Kw::new();
    kw.ada();
    let loc = s(&kw.json(&["locations", "add", "--name", "Downtown"]).ok()["id"]);
    let k = kw
        .json(&[
            "keys",
            "create",
            "--owner",
            "ada@example.com",
            "--name",
            "POS",
            "--location",
            &loc,
        ])
        .ok();
    let (id, old) = (s(&k["id"]), s(&k["key"]));
    let (_, token) = kw.create_token(&id);
    kw.advance(MINUTE);

    let r = kw.json(&["keys", "regenerate", &id]).ok();
    let new = s(&r["key"]);
    assert_secret_shape(&new, "kwl_");
    assert_ne!(new, old);
    for field in ["id", "name", "owner", "scope", "created_at"] {
        assert_eq!(r[field], k[field], "{field} survives regeneration");
    }
    assert_eq!(r["masked_key"], masked(&new).as_str());
    assert_eq!(r["grace_until"], Value::Null);
    assert_eq!(r["live_tokens"], 0, "the old tokens stopped working");

    assert_eq!(kw.verify_fails(&old), "REVOKED");
    assert_eq!(kw.verify_fails(&token), "REVOKED");
    let v = kw.verify_ok(&new);
    assert_eq!(v["key_id"], id.as_str());
    assert_eq!(kw.json(&["keys", "reveal", &id]).ok()["key"], new.as_str());

    // An explicit --grace 0 behaves the same.
    let newer = s(&kw.json(&["keys", "regenerate", &id, "--grace", "0"]).ok()["key"]);
    assert_eq!(kw.verify_fails(&new), "REVOKED");
    kw.verify_ok(&newer);
}

#[test]
fn keys_regenerate_with_1h_grace_keeps_old_key_and_tokens_working_for_an_hour() {
    let kw = Kw::new();
    kw.ada();
    let (id, old) = kw.create_key("ada@example.com", "Zapier");
    let (_, token) = kw.create_token(&id);
    let r = kw.json(&["keys", "regenerate", &id, "--grace", "1h"]).ok();
    let new = s(&r["key"]);
    assert_eq!(r["grace_until"], "2026-08-12T11:00:00Z");
    assert_eq!(
        r["live_tokens"], 1,
        "the old token lives through the grace period"
    );

    kw.advance(HOUR - SECOND);
    kw.verify_ok(&old);
    kw.verify_ok(&token);
    kw.verify_ok(&new);

    kw.advance(SECOND);
    assert_eq!(kw.verify_fails(&old), "REVOKED");
    assert_eq!(kw.verify_fails(&token), "REVOKED");
    kw.verify_ok(&new);
    assert_eq!(kw.key_show(&id)["grace_until"], Value::Null);
}

#[test]
fn keys_regenerate_offers_24h_and_7d_grace() {
    let kw = Kw::new();
    kw.ada();
    let (id, old) = kw.create_key("ada@example.com", "Zapier");
    let r = kw.json(&["keys", "regenerate", &id, "--grace", "24h"]).ok();
    assert_eq!(r["grace_until"], "2026-08-13T10:00:00Z");
    let mid = s(&r["key"]);
    kw.advance(23 * HOUR);
    kw.verify_ok(&old);

    let r = kw.json(&["keys", "regenerate", &id, "--grace", "7d"]).ok();
    assert_eq!(r["grace_until"], "2026-08-20T09:00:00Z");
    let newest = s(&r["key"]);
    kw.advance(7 * DAY - SECOND);
    kw.verify_ok(&mid);
    kw.verify_ok(&newest);
    assert_eq!(
        kw.verify_fails(&old),
        "REVOKED",
        "the grace of an older secret ended"
    );
    kw.advance(SECOND);
    assert_eq!(kw.verify_fails(&mid), "REVOKED");
    kw.verify_ok(&newest);
}

#[test]
fn keys_regenerate_human_output_prints_the_new_key_and_the_grace_end() {
    let kw = Kw::new();
    kw.ada();
    let (id, old) = kw.create_key("ada@example.com", "Zapier");
    let h = kw.human(&["keys", "regenerate", &id, "--grace", "1h"]);
    assert_eq!(h.code, 0, "{}", h.stderr);
    assert!(
        h.stdout.starts_with("Regenerated API key 'Zapier'"),
        "{}",
        h.stdout
    );
    assert!(
        h.stdout.contains("keep working until 2026-08-12T11:00:00Z"),
        "{}",
        h.stdout
    );
    assert!(!h.stdout.contains(&old), "the old key is not printed");
    let new = s(&kw.json(&["keys", "reveal", &id]).ok()["key"]);
    assert!(h.stdout.contains(&new), "{}", h.stdout);
}

#[test]
fn keys_regenerate_with_an_offer_not_on_the_menu_exits_2_and_changes_nothing() {
    let kw = Kw::new();
    kw.ada();
    let (id, secret) = kw.create_key("ada@example.com", "Zapier");
    for bad in ["2h", "30m", "1w", "forever", "", "-1"] {
        let r = kw.json(&["keys", "regenerate", &id, &format!("--grace={bad}")]);
        let msg = r.fails(2, "INVALID_INPUT");
        assert!(msg.contains("0, 1h, 24h or 7d"), "{msg}");
    }
    kw.verify_ok(&secret);
    assert_eq!(
        kw.json(&["keys", "reveal", &id]).ok()["key"],
        secret.as_str()
    );
    assert!(
        !kw.audit_all()
            .iter()
            .any(|e| e["action"] == "api_key.regenerated"),
        "no regeneration happened"
    );
}

// ---- disable / enable ----

#[test]
fn keys_disable_fails_key_and_tokens_with_disabled_and_enable_restores() {
    let kw = Kw::new();
    kw.ada();
    let (id, secret) = kw.create_key("ada@example.com", "Zapier");
    let (_, token) = kw.create_token(&id);

    let v = kw.json(&["keys", "disable", &id]).ok();
    assert_eq!(v["status"], "disabled");
    assert_eq!(kw.verify_fails(&secret), "DISABLED");
    assert_eq!(kw.verify_fails(&token), "DISABLED");
    let msg = kw.json(&["tokens", "create", &id]).fails(3, "DISABLED");
    assert!(msg.contains("Zapier"), "{msg}");
    // Disabling twice is harmless.
    assert_eq!(
        kw.json(&["keys", "disable", &id]).ok()["status"],
        "disabled"
    );

    let h = kw.human(&["keys", "enable", &id]);
    assert_eq!(h.code, 0);
    assert!(
        h.stdout.contains("Enabled API key 'Zapier'"),
        "{}",
        h.stdout
    );
    assert_eq!(kw.key_show(&id)["status"], "active");
    kw.verify_ok(&secret);
    kw.verify_ok(&token);
}

// ---- keep ----

#[test]
fn keys_keep_resets_the_inactivity_clock_and_is_audited() {
    let kw = Kw::new();
    kw.ada();
    let (id, _) = kw.create_key("ada@example.com", "Zapier");
    kw.advance(80 * DAY);
    assert_eq!(kw.key_show(&id)["deletes_in_days"], 10);
    let v = kw.json(&["keys", "keep", &id]).ok();
    assert_eq!(
        v["deletes_at"], "2027-01-29T10:00:00Z",
        "90 days from the keep"
    );
    assert_eq!(v["deletes_in_days"], 90);
    let h = kw.human(&["keys", "keep", &id]);
    assert_eq!(h.code, 0);
    assert!(
        h.stdout
            .contains("will not be deleted for inactivity before"),
        "{}",
        h.stdout
    );
    let kept = kw
        .audit_all()
        .into_iter()
        .filter(|e| e["action"] == "api_key.kept" && e["object_id"] == id.as_str())
        .count();
    assert_eq!(kept, 2);
}

// ---- delete ----

#[test]
fn keys_delete_of_an_unused_key_needs_no_force_and_its_secret_is_gone() {
    let kw = Kw::new();
    let ada = kw.ada();
    let (id, secret) = kw.create_key("ada@example.com", "Old");
    let d = kw.json(&["keys", "delete", &id]).ok();
    assert_eq!(d["id"], id.as_str());
    assert_eq!(d["name"], "Old");
    assert_eq!(d["owner"]["id"], ada.as_str());
    assert_eq!(d["tokens_deleted"], 0);
    assert_eq!(d["was_in_use"], false);
    kw.json(&["keys", "show", &id]).fails(4, "NOT_FOUND");
    kw.json(&["keys", "delete", &id]).fails(4, "NOT_FOUND");
    assert_eq!(kw.verify_fails(&secret), "NOT_FOUND");
    assert_eq!(kw.json(&["users", "show", &ada]).ok()["keys"], 0);
}

#[test]
fn keys_delete_of_a_key_used_within_30_days_is_refused_with_exit_3_unless_forced() {
    let kw = Kw::new();
    kw.ada();
    let (id, secret) = kw.create_key("ada@example.com", "Live integration");
    kw.verify_ok(&secret);
    kw.advance(29 * DAY);

    let r = kw.json(&["keys", "delete", &id]);
    let msg = r.fails(3, "KEY_IN_USE");
    assert!(msg.contains("Live integration"), "{msg}");
    assert!(msg.contains("used 29 days ago"), "{msg}");
    assert_no_secret(&r.stderr, &[&secret], "the refusal");
    kw.verify_ok(&secret);

    let h = kw.human(&["keys", "delete", &id]);
    assert_eq!(h.code, 3);
    assert!(
        h.stderr.contains("--force"),
        "the refusal says how to go on: {}",
        h.stderr
    );
    assert!(h.stdout.is_empty());

    let d = kw.json(&["keys", "delete", &id, "--force"]).ok();
    assert_eq!(d["was_in_use"], true);
    assert_eq!(kw.verify_fails(&secret), "NOT_FOUND");
}

#[test]
fn keys_delete_of_a_key_last_used_over_30_days_ago_needs_no_force() {
    let kw = Kw::new();
    kw.ada();
    let (id, secret) = kw.create_key("ada@example.com", "Dormant");
    kw.verify_ok(&secret);
    kw.advance(30 * DAY);
    let d = kw.json(&["keys", "delete", &id]).ok();
    assert_eq!(d["was_in_use"], false);
}

#[test]
fn keys_delete_with_live_tokens_is_refused_and_force_deletes_the_tokens_with_it() {
    let kw = Kw::new();
    kw.ada();
    let (id, secret) = kw.create_key("ada@example.com", "Postman");
    let (t1, token1) = kw.create_token(&id);
    let (_, token2) = kw.create_token(&id);
    let (other, _) = kw.create_key("ada@example.com", "Other");
    let (other_tok, _) = kw.create_token(&other);

    let msg = kw.json(&["keys", "delete", &id]).fails(3, "KEY_IN_USE");
    assert!(msg.contains("2 live tokens"), "{msg}");
    assert_eq!(
        arr(&kw.json(&["tokens", "list", &id]).ok()).len(),
        2,
        "nothing deleted"
    );

    let d = kw.json(&["keys", "delete", &id, "--force"]).ok();
    assert_eq!(d["tokens_deleted"], 2);
    assert_eq!(d["was_in_use"], true);
    assert_eq!(kw.verify_fails(&secret), "NOT_FOUND");
    assert_eq!(kw.verify_fails(&token1), "NOT_FOUND");
    assert_eq!(kw.verify_fails(&token2), "NOT_FOUND");
    assert_eq!(
        ids(&kw.json(&["tokens", "list"]).ok()),
        [other_tok],
        "only the other key's token is left"
    );
    kw.json(&["tokens", "revoke", &t1]).fails(4, "NOT_FOUND");
    kw.json(&["tokens", "list", &id]).fails(4, "NOT_FOUND");
}

#[test]
fn keys_delete_counts_only_live_tokens_as_in_use() {
    let kw = Kw::new();
    kw.ada();
    let (id, _) = kw.create_key("ada@example.com", "Postman");
    let (t, _) = kw.create_token(&id);
    kw.json(&["tokens", "revoke", &t]).ok();
    let d = kw.json(&["keys", "delete", &id]).ok();
    assert_eq!(d["was_in_use"], false);
    assert_eq!(
        d["tokens_deleted"], 1,
        "the revoked token goes with the key"
    );
}

#[test]
fn keys_delete_human_output_reports_the_tokens() {
    let kw = Kw::new();
    kw.ada();
    let (id, _) = kw.create_key("ada@example.com", "Postman");
    kw.create_token(&id);
    let h = kw.human(&["keys", "delete", &id, "--force"]);
    assert_eq!(h.code, 0, "{}", h.stderr);
    assert!(
        h.stdout.contains("Deleted API key 'Postman'"),
        "{}",
        h.stdout
    );
    assert!(h.stdout.contains("and 1 token(s)"), "{}", h.stdout);
}

// ---- unknown ids ----

#[test]
fn keys_verbs_on_an_unknown_key_exit_4_with_not_found() {
    let kw = Kw::new();
    kw.ada();
    kw.create_key("ada@example.com", "Real");
    let id = "key_01AAAAAAAAAAAAAAAAAAAAAAAA";
    for args in [
        vec!["keys", "show", id],
        vec!["keys", "reveal", id],
        vec!["keys", "regenerate", id],
        vec!["keys", "regenerate", id, "--grace", "7d"],
        vec!["keys", "disable", id],
        vec!["keys", "enable", id],
        vec!["keys", "keep", id],
        vec!["keys", "delete", id],
        vec!["keys", "delete", id, "--force"],
        vec!["tokens", "create", id],
        vec!["tokens", "list", id],
    ] {
        let msg = kw.json(&args).fails(4, "NOT_FOUND");
        assert!(msg.contains(id), "{args:?}: {msg}");
    }
}

#[test]
fn keys_rename_changes_the_name_and_keeps_the_secret() {
    let kw = Kw::new();
    kw.ada();
    let (id, key) = kw.create_key("ada@example.com", "Old name");
    let v = kw
        .json(&["keys", "rename", &id, "--name", "  Zapier sync  "])
        .ok();
    assert_eq!(s(&v["name"]), "Zapier sync");
    assert_eq!(s(&kw.key_show(&id)["name"]), "Zapier sync");
    kw.verify_ok(&key);
    let h = kw.human(&["keys", "rename", &id, "--name", "Form"]);
    assert_eq!(h.code, 0);
    assert!(h.stdout.contains("Renamed"), "{}", h.stdout);
    assert!(kw
        .audit_all()
        .iter()
        .any(|e| s(&e["action"]) == "api_key.updated" && s(&e["summary"]).contains("Form")));
    kw.json(&["keys", "rename", &id, "--name", " "])
        .fails(2, "INVALID_INPUT");
    kw.json(&["keys", "rename", "key_NOPE", "--name", "X"])
        .fails(4, "NOT_FOUND");
}
