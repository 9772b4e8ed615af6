//! `keyward users …` and `keyward locations …` (SPEC §3.1, §3.2, §5).

use keyward_testkit::cli::*;

#[test]
fn users_add_admin_has_api_access_on_and_manager_off() {
    let kw = Kw::new();
    let admin = kw.add_user("Ada Lovelace", "ada@example.com", true);
    assert!(s(&admin["id"]).starts_with("usr_"), "{admin}");
    assert_eq!(admin["name"], "Ada Lovelace");
    assert_eq!(admin["email"], "ada@example.com");
    assert_eq!(admin["role"], "admin");
    assert_eq!(admin["active"], true);
    assert_eq!(admin["api_access"], true);
    assert_eq!(admin["created_at"], T0);
    assert_eq!(admin["keys"], 0);

    let manager = kw.add_user("Bob Manager", "bob@example.com", false);
    assert_eq!(manager["role"], "manager");
    assert_eq!(manager["active"], true);
    assert_eq!(manager["api_access"], false);
}

#[test]
fn users_add_trims_the_name_and_email() {
    let kw = Kw::new();
    let u = kw.add_user("  Ada  ", "  ada@example.com ", true);
    assert_eq!(u["name"], "Ada");
    assert_eq!(u["email"], "ada@example.com");
}

#[test]
fn users_add_human_output_names_the_new_user() {
    let kw = Kw::new();
    let r = kw.human(&[
        "users",
        "add",
        "--name",
        "Ada",
        "--email",
        "ada@example.com",
        "--admin",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.starts_with("Added Ada <ada@example.com> (usr_"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("admin"));
}

#[test]
fn users_add_refuses_a_taken_email_in_any_case_with_exit_3() {
    let kw = Kw::new();
    kw.add_user("Ada", "ada@example.com", true);
    let r = kw.json(&[
        "users",
        "add",
        "--name",
        "Other Ada",
        "--email",
        "ADA@Example.COM",
    ]);
    let msg = r.fails(3, "EMAIL_TAKEN");
    assert!(msg.contains("ADA@Example.COM"), "{msg}");
    assert_eq!(
        arr(&kw.json(&["users", "list"]).ok()).len(),
        1,
        "nothing was added"
    );
}

#[test]
fn users_add_refuses_an_invalid_email_with_exit_2() {
    let kw = Kw::new();
    for bad in [
        "",
        "ada",
        "ada@",
        "@example.com",
        "ada@example",
        "a b@example.com",
    ] {
        let r = kw.json(&["users", "add", "--name", "Ada", "--email", bad]);
        r.fails(2, "INVALID_INPUT");
    }
    assert_eq!(kw.json(&["users", "list"]).ok(), serde_json::json!([]));
}

#[test]
fn users_add_refuses_empty_blank_oversized_and_control_char_names_with_exit_2() {
    let kw = Kw::new();
    let long = "x".repeat(101);
    for bad in ["", "   ", long.as_str(), "Ada\nLovelace", "Ada\tL"] {
        let r = kw.json(&["users", "add", "--name", bad, "--email", "ada@example.com"]);
        r.fails(2, "INVALID_INPUT");
    }
    assert_eq!(kw.json(&["users", "list"]).ok(), serde_json::json!([]));
    // 100 characters (even multi-byte ones) is the limit, not a refusal.
    let hundred = "é".repeat(100);
    let u = kw.add_user(&hundred, "ada@example.com", false);
    assert_eq!(u["name"], hundred.as_str());
}

#[test]
fn users_list_is_sorted_by_name_with_key_counts() {
    let kw = Kw::new();
    kw.add_user("carol", "carol@example.com", true);
    kw.add_user("Ada", "ada@example.com", true);
    kw.add_user("bob", "bob@example.com", false);
    kw.create_key("ada@example.com", "One");
    kw.create_key("ada@example.com", "Two");
    let list = arr(&kw.json(&["users", "list"]).ok());
    let names: Vec<String> = list.iter().map(|u| s(&u["name"])).collect();
    assert_eq!(names, ["Ada", "bob", "carol"]);
    assert_eq!(list[0]["keys"], 2);
    assert_eq!(list[1]["keys"], 0);

    let human = kw.human(&["users", "list"]);
    assert_eq!(human.code, 0);
    assert!(human.stdout.starts_with("ID"), "{}", human.stdout);
    assert!(human.stdout.contains("ada@example.com"));
    assert!(human.stdout.contains("carol@example.com"));
}

#[test]
fn users_list_on_an_empty_directory_is_an_empty_array() {
    let kw = Kw::new();
    assert_eq!(kw.json(&["users", "list"]).ok(), serde_json::json!([]));
    let human = kw.human(&["users", "list"]);
    assert_eq!(human.code, 0);
    assert!(
        human.stdout.contains("No site managers yet"),
        "{}",
        human.stdout
    );
}

#[test]
fn users_show_finds_by_id_and_by_email_in_any_case() {
    let kw = Kw::new();
    let id = kw.ada();
    let by_id = kw.json(&["users", "show", &id]).ok();
    let by_email = kw.json(&["users", "show", "ADA@EXAMPLE.com"]).ok();
    assert_eq!(by_id, by_email);
    assert_eq!(by_id["id"], id.as_str());
    assert_eq!(by_id["email"], "ada@example.com");
}

#[test]
fn users_show_unknown_user_exits_4() {
    let kw = Kw::new();
    kw.ada();
    let msg = kw
        .json(&["users", "show", "nobody@example.com"])
        .fails(4, "NOT_FOUND");
    assert!(msg.contains("nobody@example.com"), "{msg}");
    kw.json(&["users", "show", "usr_01AAAAAAAAAAAAAAAAAAAAAAAA"])
        .fails(4, "NOT_FOUND");
}

#[test]
fn users_edit_changes_name_and_email_and_the_new_email_finds_the_user() {
    let kw = Kw::new();
    let id = kw.ada();
    let u = kw
        .json(&[
            "users",
            "edit",
            "ada@example.com",
            "--name",
            "Ada King",
            "--email",
            "ada.king@example.com",
        ])
        .ok();
    assert_eq!(u["id"], id.as_str());
    assert_eq!(u["name"], "Ada King");
    assert_eq!(u["email"], "ada.king@example.com");
    assert_eq!(
        kw.json(&["users", "show", "ada.king@example.com"]).ok()["id"],
        id.as_str()
    );
    kw.json(&["users", "show", "ada@example.com"])
        .fails(4, "NOT_FOUND");
    // The old email is free again.
    kw.add_user("Someone Else", "ada@example.com", false);
}

#[test]
fn users_edit_may_change_only_the_case_of_the_own_email() {
    let kw = Kw::new();
    kw.ada();
    let u = kw
        .json(&[
            "users",
            "edit",
            "ada@example.com",
            "--email",
            "Ada@Example.com",
        ])
        .ok();
    assert_eq!(u["email"], "Ada@Example.com");
}

#[test]
fn users_edit_refusals_email_taken_3_nothing_to_change_2_bad_name_2_unknown_4() {
    let kw = Kw::new();
    kw.ada();
    kw.add_user("Bob", "bob@example.com", false);
    kw.json(&[
        "users",
        "edit",
        "bob@example.com",
        "--email",
        "ADA@example.com",
    ])
    .fails(3, "EMAIL_TAKEN");
    kw.json(&["users", "edit", "bob@example.com"])
        .fails(2, "INVALID_INPUT");
    kw.json(&["users", "edit", "bob@example.com", "--name", ""])
        .fails(2, "INVALID_INPUT");
    kw.json(&[
        "users",
        "edit",
        "bob@example.com",
        "--name",
        &"b".repeat(101),
    ])
    .fails(2, "INVALID_INPUT");
    kw.json(&[
        "users",
        "edit",
        "bob@example.com",
        "--email",
        "not-an-email",
    ])
    .fails(2, "INVALID_INPUT");
    kw.json(&["users", "edit", "carol@example.com", "--name", "Carol"])
        .fails(4, "NOT_FOUND");
    let bob = kw.json(&["users", "show", "bob@example.com"]).ok();
    assert_eq!(bob["name"], "Bob", "refused edits changed nothing");
}

#[test]
fn users_deactivate_blocks_keys_and_tokens_until_activate() {
    let kw = Kw::new();
    kw.ada();
    let (key, secret) = kw.create_key("ada@example.com", "Zapier");
    let (_, token) = kw.create_token(&key);

    // The key has a live token: the change is confirmed with --yes.
    let u = kw
        .json(&["users", "deactivate", "ada@example.com", "--yes"])
        .ok();
    assert_eq!(u["active"], false);
    assert_eq!(kw.verify_fails(&secret), "USER_DEACTIVATED");
    assert_eq!(kw.verify_fails(&token), "USER_DEACTIVATED");
    assert_eq!(kw.key_show(&key)["status"], "owner_deactivated");
    kw.json(&[
        "keys",
        "create",
        "--owner",
        "ada@example.com",
        "--name",
        "New",
    ])
    .fails(3, "USER_DEACTIVATED");
    kw.json(&["tokens", "create", &key])
        .fails(3, "USER_DEACTIVATED");

    let u = kw.json(&["users", "activate", "ada@example.com"]).ok();
    assert_eq!(u["active"], true);
    kw.verify_ok(&secret);
    kw.verify_ok(&token);
    assert_eq!(kw.key_show(&key)["status"], "active");
}

#[test]
fn users_deactivate_and_activate_are_idempotent() {
    let kw = Kw::new();
    kw.ada();
    kw.json(&["users", "deactivate", "ada@example.com"]).ok();
    assert_eq!(
        kw.json(&["users", "deactivate", "ada@example.com"]).ok()["active"],
        false
    );
    kw.json(&["users", "activate", "ada@example.com"]).ok();
    assert_eq!(
        kw.json(&["users", "activate", "ada@example.com"]).ok()["active"],
        true
    );
}

#[test]
fn users_api_access_off_blocks_keys_reversibly_and_on_restores_them() {
    let kw = Kw::new();
    kw.ada();
    let (key, secret) = kw.create_key("ada@example.com", "Zapier");
    let (_, token) = kw.create_token(&key);

    let u = kw
        .json(&["users", "api-access", "ada@example.com", "off", "--yes"])
        .ok();
    assert_eq!(u["api_access"], false);
    assert_eq!(kw.verify_fails(&secret), "API_ACCESS_OFF");
    assert_eq!(kw.verify_fails(&token), "API_ACCESS_OFF");
    assert_eq!(kw.key_show(&key)["status"], "access_off");
    let msg = kw
        .json(&[
            "keys",
            "create",
            "--owner",
            "ada@example.com",
            "--name",
            "New",
        ])
        .fails(3, "API_ACCESS_OFF");
    assert!(msg.contains("ada@example.com"), "{msg}");
    kw.json(&["tokens", "create", &key])
        .fails(3, "API_ACCESS_OFF");

    let u = kw
        .json(&["users", "api-access", "ada@example.com", "on"])
        .ok();
    assert_eq!(u["api_access"], true);
    kw.verify_ok(&secret);
    kw.verify_ok(&token);
}

#[test]
fn users_api_access_on_lets_a_manager_create_keys() {
    let kw = Kw::new();
    kw.add_user("Bob", "bob@example.com", false);
    kw.json(&[
        "keys",
        "create",
        "--owner",
        "bob@example.com",
        "--name",
        "Sync",
    ])
    .fails(3, "API_ACCESS_OFF");
    kw.json(&["users", "api-access", "bob@example.com", "on"])
        .ok();
    let (_, secret) = kw.create_key("bob@example.com", "Sync");
    kw.verify_ok(&secret);
}

#[test]
fn users_api_access_needs_on_or_off() {
    let kw = Kw::new();
    kw.ada();
    let r = kw.json(&["users", "api-access", "ada@example.com", "maybe"]);
    r.fails(2, "USAGE");
    let r = kw.json(&["users", "api-access", "ada@example.com"]);
    r.fails(2, "USAGE");
}

#[test]
fn users_clear_keys_revokes_every_key_and_token_for_good_and_turns_access_off() {
    let kw = Kw::new();
    kw.ada();
    kw.add_user("Bob", "bob@example.com", true);
    let (k1, s1) = kw.create_key("ada@example.com", "One");
    let (k2, s2) = kw.create_key("ada@example.com", "Two");
    let (_, t1) = kw.create_token(&k1);
    let (_, t2) = kw.create_token(&k2);
    let (_, t3) = kw.create_token(&k2);
    let (bob_key, bob_secret) = kw.create_key("bob@example.com", "Bob's");

    let report = kw
        .json(&["users", "clear-keys", "ada@example.com", "--yes"])
        .ok();
    assert_eq!(report["keys_revoked"], 2);
    assert_eq!(report["tokens_revoked"], 3);
    assert_eq!(report["user"]["api_access"], false);
    assert_eq!(report["user"]["keys"], 0);

    for secret in [&s1, &s2, &t1, &t2, &t3] {
        assert_eq!(kw.verify_fails(secret), "REVOKED");
    }
    assert_eq!(kw.key_show(&k1)["status"], "revoked");
    // For good: turning access back on does not bring them back.
    kw.json(&["users", "api-access", "ada@example.com", "on"])
        .ok();
    for secret in [&s1, &s2, &t1] {
        assert_eq!(kw.verify_fails(secret), "REVOKED");
    }
    kw.json(&["keys", "reveal", &k1]).fails(3, "REVOKED");
    kw.json(&["keys", "regenerate", &k1]).fails(3, "REVOKED");
    kw.json(&["keys", "enable", &k1]).fails(3, "REVOKED");
    kw.json(&["tokens", "create", &k1]).fails(3, "REVOKED");
    // Bob is untouched.
    kw.verify_ok(&bob_secret);
    assert_eq!(kw.key_show(&bob_key)["status"], "active");
    // Ada can start over with a new key.
    let (_, fresh) = kw.create_key("ada@example.com", "Fresh");
    kw.verify_ok(&fresh);
}

#[test]
fn users_clear_keys_human_output_reports_counts() {
    let kw = Kw::new();
    kw.ada();
    kw.create_key("ada@example.com", "One");
    let r = kw.human(&["users", "clear-keys", "ada@example.com"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("1 key(s) and 0 token(s) revoked"),
        "{}",
        r.stdout
    );
}

#[test]
fn users_verbs_on_an_unknown_user_exit_4() {
    let kw = Kw::new();
    kw.ada();
    let who = "ghost@example.com";
    for args in [
        vec!["users", "show", who],
        vec!["users", "edit", who, "--name", "G"],
        vec!["users", "deactivate", who],
        vec!["users", "activate", who],
        vec!["users", "api-access", who, "on"],
        vec!["users", "clear-keys", who],
        vec!["keys", "create", "--owner", who, "--name", "K"],
        vec!["keys", "list", "--owner", who],
    ] {
        let msg = kw.json(&args).fails(4, "NOT_FOUND");
        assert!(msg.contains(who), "{args:?}: {msg}");
    }
}

// ---- locations ----

#[test]
fn locations_add_list_and_rename() {
    let kw = Kw::new();
    let down = kw.json(&["locations", "add", "--name", "Downtown"]).ok();
    assert!(s(&down["id"]).starts_with("loc_"), "{down}");
    assert_eq!(down["name"], "Downtown");
    assert_eq!(down["created_at"], T0);
    let airport = kw.json(&["locations", "add", "--name", "  airport  "]).ok();
    assert_eq!(airport["name"], "airport");

    let names: Vec<String> = arr(&kw.json(&["locations", "list"]).ok())
        .iter()
        .map(|l| s(&l["name"]))
        .collect();
    assert_eq!(
        names,
        ["airport", "Downtown"],
        "sorted by name, case-insensitively"
    );

    let renamed = kw
        .json(&["locations", "rename", &s(&down["id"]), "--name", "Uptown"])
        .ok();
    assert_eq!(renamed["id"], down["id"]);
    assert_eq!(renamed["name"], "Uptown");
    let names: Vec<String> = arr(&kw.json(&["locations", "list"]).ok())
        .iter()
        .map(|l| s(&l["name"]))
        .collect();
    assert_eq!(names, ["airport", "Uptown"]);
}

#[test]
fn locations_human_output() {
    let kw = Kw::new();
    let r = kw.human(&["locations", "list"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("No locations yet"), "{}", r.stdout);
    let r = kw.human(&["locations", "add", "--name", "Downtown"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.starts_with("Added location Downtown (loc_"),
        "{}",
        r.stdout
    );
    let r = kw.human(&["locations", "list"]);
    assert!(r.stdout.contains("Downtown"), "{}", r.stdout);
}

#[test]
fn locations_refuse_bad_names_duplicates_and_unknown_ids() {
    let kw = Kw::new();
    let down = s(&kw.json(&["locations", "add", "--name", "Downtown"]).ok()["id"]);
    kw.json(&["locations", "add", "--name", "Airport"]).ok();
    let long = "l".repeat(101);
    for bad in ["", "   ", long.as_str(), "a\u{7}b"] {
        kw.json(&["locations", "add", "--name", bad])
            .fails(2, "INVALID_INPUT");
        kw.json(&["locations", "rename", &down, "--name", bad])
            .fails(2, "INVALID_INPUT");
    }
    kw.json(&["locations", "add", "--name", "downtown"])
        .fails(2, "INVALID_INPUT");
    kw.json(&["locations", "rename", &down, "--name", "AIRPORT"])
        .fails(2, "INVALID_INPUT");
    kw.json(&[
        "locations",
        "rename",
        "loc_01AAAAAAAAAAAAAAAAAAAAAAAA",
        "--name",
        "X",
    ])
    .fails(4, "NOT_FOUND");
    let names: Vec<String> = arr(&kw.json(&["locations", "list"]).ok())
        .iter()
        .map(|l| s(&l["name"]))
        .collect();
    assert_eq!(names, ["Airport", "Downtown"], "refusals changed nothing");
    // Renaming to its own name (or a case change of it) is fine.
    let same = kw
        .json(&["locations", "rename", &down, "--name", "DOWNTOWN"])
        .ok();
    assert_eq!(same["name"], "DOWNTOWN");
}

#[test]
fn location_keys_are_kwl_and_show_the_current_location_name() {
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
    assert_secret_shape(&s(&k["key"]), "kwl_");
    assert_eq!(k["scope"]["type"], "location");
    assert_eq!(k["scope"]["location_id"], loc.as_str());
    assert_eq!(k["scope"]["name"], "Downtown");

    kw.json(&["locations", "rename", &loc, "--name", "Uptown"])
        .ok();
    let shown = kw.key_show(&s(&k["id"]));
    assert_eq!(shown["scope"]["name"], "Uptown");

    let v = kw.verify_ok(&s(&k["key"]));
    assert_eq!(v["scope"]["type"], "location");
    assert_eq!(v["scope"]["location_id"], loc.as_str());
}

#[test]
fn keys_create_with_an_unknown_location_exits_4() {
    let kw = Kw::new();
    kw.ada();
    let r = kw.json(&[
        "keys",
        "create",
        "--owner",
        "ada@example.com",
        "--name",
        "POS",
        "--location",
        "loc_01AAAAAAAAAAAAAAAAAAAAAAAA",
    ]);
    r.fails(4, "NOT_FOUND");
    assert_eq!(kw.json(&["keys", "list"]).ok(), serde_json::json!([]));
}
