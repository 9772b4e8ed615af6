//! `keyward tokens …` and `keyward verify` (SPEC §2, §3.9, §5, §6 verdict shape).

use keyward_core::{Secret, SecretKind};
use keyward_testkit::cli::*;
use serde_json::{json, Value};

// ---- tokens ----

#[test]
fn tokens_create_prints_the_token_once_in_the_http_shape_and_expires_in_365_days() {
    let kw = Kw::new();
    kw.ada();
    let (key, _) = kw.create_key("ada@example.com", "Postman");
    let t = kw.json(&["tokens", "create", &key]).ok();
    let fields: Vec<&String> = t.as_object().expect("an object").keys().collect();
    assert_eq!(
        fields.len(),
        4,
        "exactly id, token, key_id, expires_at: {t}"
    );
    assert!(s(&t["id"]).starts_with("tok_"), "{t}");
    assert_secret_shape(&s(&t["token"]), "kwt_");
    assert_eq!(t["key_id"], key.as_str());
    assert_eq!(t["expires_at"], "2027-08-12T10:00:00Z");
    assert_eq!(kw.key_show(&key)["live_tokens"], 1);
}

#[test]
fn tokens_create_human_output_says_it_is_shown_once() {
    let kw = Kw::new();
    kw.ada();
    let (key, _) = kw.create_key("ada@example.com", "Postman");
    let h = kw.human(&["tokens", "create", &key]);
    assert_eq!(h.code, 0, "{}", h.stderr);
    assert!(h.stdout.contains("shown only once"), "{}", h.stdout);
    let token = h
        .stdout
        .split_whitespace()
        .find(|w| w.starts_with("kwt_"))
        .unwrap_or_else(|| panic!("the token is printed: {}", h.stdout))
        .to_owned();
    kw.verify_ok(&token);
}

#[test]
fn tokens_follow_the_token_lifetime_setting() {
    let kw = Kw::new();
    kw.ada();
    let (key, _) = kw.create_key("ada@example.com", "Postman");
    kw.json(&["settings", "set", "token_lifetime_days", "60"])
        .ok();
    let t = kw.json(&["tokens", "create", &key]).ok();
    assert_eq!(t["expires_at"], "2026-10-11T10:00:00Z");
}

#[test]
fn tokens_list_shows_all_or_one_keys_tokens_newest_first_masked() {
    let kw = Kw::new();
    kw.ada();
    let (k1, _) = kw.create_key("ada@example.com", "One");
    let (k2, _) = kw.create_key("ada@example.com", "Two");
    let (a, ta) = kw.create_token(&k1);
    kw.advance(SECOND);
    let (b, tb) = kw.create_token(&k2);
    kw.advance(SECOND);
    let (c, tc) = kw.create_token(&k1);

    let all = kw.json(&["tokens", "list"]).ok();
    assert_eq!(ids(&all), [c.clone(), b.clone(), a.clone()]);
    let one = kw.json(&["tokens", "list", &k1]).ok();
    assert_eq!(ids(&one), [c, a]);
    let first = &arr(&one)[0];
    assert_eq!(first["key_id"], k1.as_str());
    assert_eq!(first["key_name"], "One");
    assert_eq!(first["masked_token"], masked(&tc).as_str());
    assert_eq!(first["status"], "active");
    assert_eq!(first["created_at"], "2026-08-12T10:00:02Z");
    assert_eq!(first["expires_at"], "2027-08-12T10:00:02Z");
    assert_eq!(first["last_used_at"], Value::Null);
    assert!(
        first.get("token").is_none(),
        "a listed token carries no secret"
    );

    let h = kw.human(&["tokens", "list"]);
    assert_eq!(h.code, 0);
    assert_no_secret(&h.stdout, &[&ta, &tb, &tc], "tokens list");
    assert!(h.stdout.contains(&masked(&tb)), "{}", h.stdout);
}

#[test]
fn tokens_list_of_a_key_without_tokens_is_empty() {
    let kw = Kw::new();
    kw.ada();
    let (key, _) = kw.create_key("ada@example.com", "Bare");
    assert_eq!(kw.json(&["tokens", "list", &key]).ok(), json!([]));
    let h = kw.human(&["tokens", "list", &key]);
    assert_eq!(h.code, 0);
    assert!(h.stdout.contains("No tokens."), "{}", h.stdout);
}

#[test]
fn tokens_revoke_stops_the_token_only_and_is_audited() {
    let kw = Kw::new();
    kw.ada();
    let (key, secret) = kw.create_key("ada@example.com", "Postman");
    let (t1, token1) = kw.create_token(&key);
    let (_, token2) = kw.create_token(&key);

    let v = kw.json(&["tokens", "revoke", &t1]).ok();
    assert_eq!(v["id"], t1.as_str());
    assert_eq!(v["status"], "revoked");
    assert_eq!(kw.verify_fails(&token1), "REVOKED");
    kw.verify_ok(&token2);
    kw.verify_ok(&secret);
    assert_eq!(kw.key_show(&key)["live_tokens"], 1);

    // Revoking again is harmless and audited once.
    assert_eq!(
        kw.json(&["tokens", "revoke", &t1]).ok()["status"],
        "revoked"
    );
    let revoked = kw
        .audit_all()
        .into_iter()
        .filter(|e| e["action"] == "token.revoked")
        .collect::<Vec<_>>();
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["object_id"], t1.as_str());

    let h = kw.human(&["tokens", "revoke", &t1]);
    assert_eq!(h.code, 0);
    assert!(h.stdout.contains("Revoked token"), "{}", h.stdout);
}

#[test]
fn tokens_revoke_of_an_unknown_token_exits_4() {
    let kw = Kw::new();
    let msg = kw
        .json(&["tokens", "revoke", "tok_01AAAAAAAAAAAAAAAAAAAAAAAA"])
        .fails(4, "NOT_FOUND");
    assert!(msg.contains("tok_01AAAAAAAAAAAAAAAAAAAAAAAA"), "{msg}");
}

// ---- verify ----

#[test]
fn verify_a_valid_api_key_exits_0_with_the_identity_and_records_use() {
    let kw = Kw::new();
    let ada = kw.ada();
    let (key, secret) = kw.create_key("ada@example.com", "Zapier");
    kw.advance(HOUR);
    let v = kw.verify_ok(&secret);
    assert_eq!(
        v,
        json!({
            "valid": true,
            "kind": "api_key",
            "key_id": key,
            "owner": {"id": ada, "name": "Ada Lovelace", "email": "ada@example.com"},
            "scope": {"type": "agency"},
            "expires_at": null,
            "permissions": ["*"]
        })
    );
    let shown = kw.key_show(&key);
    assert_eq!(shown["last_used_at"], "2026-08-12T11:00:00Z");
    assert_eq!(shown["in_use"], true);
    assert_eq!(
        shown["deletes_at"], "2026-11-10T11:00:00Z",
        "use restarts the inactivity clock"
    );
}

#[test]
fn verify_a_valid_token_exits_0_and_records_use_of_token_and_key() {
    let kw = Kw::new();
    kw.ada();
    let (key, _) = kw.create_key("ada@example.com", "Postman");
    let (tok, token) = kw.create_token(&key);
    kw.advance(2 * HOUR);
    let v = kw.verify_ok(&token);
    assert_eq!(v["kind"], "token");
    assert_eq!(v["key_id"], key.as_str());
    assert_eq!(v["token_id"], tok.as_str());
    assert_eq!(v["expires_at"], "2027-08-12T10:00:00Z");
    assert_eq!(v["owner"]["email"], "ada@example.com");
    assert_eq!(kw.key_show(&key)["last_used_at"], "2026-08-12T12:00:00Z");
    let listed = &arr(&kw.json(&["tokens", "list", &key]).ok())[0];
    assert_eq!(listed["last_used_at"], "2026-08-12T12:00:00Z");
}

#[test]
fn verify_human_output_says_valid_or_invalid_with_the_code() {
    let kw = Kw::new();
    kw.ada();
    let (key, secret) = kw.create_key("ada@example.com", "Zapier");
    let h = kw.human(&["verify", &secret]);
    assert_eq!(h.code, 0);
    assert!(h.stdout.starts_with("valid API key — key "), "{}", h.stdout);
    assert!(h.stdout.contains(&key));
    let h = kw.human(&["verify", "kwa_nonsense"]);
    assert_eq!(h.code, 3);
    assert!(h.stdout.starts_with("invalid: MALFORMED"), "{}", h.stdout);
}

#[test]
fn verify_trims_surrounding_whitespace_from_a_pasted_secret() {
    let kw = Kw::new();
    kw.ada();
    let (_, secret) = kw.create_key("ada@example.com", "Zapier");
    kw.verify_ok(&format!("  {secret}\n"));
}

#[test]
fn verify_rejects_malformed_secrets_with_exit_3() {
    let kw = Kw::new();
    kw.ada();
    let (_, secret) = kw.create_key("ada@example.com", "Zapier");
    let mut flipped = secret.clone().into_bytes();
    flipped[20] = if flipped[20] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).expect("ascii");
    let cases = [
        "hello".to_owned(),
        String::new(),
        secret[..41].to_owned(),
        format!("{secret}x"),
        format!("kwx_{}", &secret[4..]),
        flipped,
    ];
    for bad in &cases {
        let (code, v) = kw.verify(bad);
        assert_eq!(code, 3, "{bad:?}");
        assert_eq!(v, json!({"valid": false, "code": "MALFORMED"}), "{bad:?}");
    }
    kw.verify_ok(&secret);
}

#[test]
fn verify_of_a_well_formed_unknown_secret_is_not_found() {
    let kw = Kw::new();
    kw.ada();
    for kind in [
        SecretKind::AgencyKey,
        SecretKind::LocationKey,
        SecretKind::Token,
    ] {
        let stranger = Secret::generate(kind);
        let (code, v) = kw.verify(stranger.expose());
        assert_eq!(code, 3);
        assert_eq!(v, json!({"valid": false, "code": "NOT_FOUND"}));
    }
}

#[test]
fn verify_old_key_after_regenerate_is_revoked() {
    let kw = Kw::new();
    kw.ada();
    let (key, old) = kw.create_key("ada@example.com", "Zapier");
    kw.json(&["keys", "regenerate", &key]).ok();
    let (code, v) = kw.verify(&old);
    assert_eq!(code, 3);
    assert_eq!(v, json!({"valid": false, "code": "REVOKED"}));
}

#[test]
fn verify_of_a_disabled_key_is_disabled() {
    let kw = Kw::new();
    kw.ada();
    let (key, secret) = kw.create_key("ada@example.com", "Zapier");
    kw.json(&["keys", "disable", &key]).ok();
    assert_eq!(kw.verify_fails(&secret), "DISABLED");
}

#[test]
fn verify_a_token_past_its_expiry_is_expired_while_the_key_still_works() {
    let kw = Kw::new();
    kw.ada();
    let (key, secret) = kw.create_key("ada@example.com", "Postman");
    let (tok, token) = kw.create_token(&key);
    kw.set_now(at("2027-08-12T09:59:59Z"));
    kw.verify_ok(&token);
    kw.set_now(at("2027-08-12T10:00:00Z"));
    let (code, v) = kw.verify(&token);
    assert_eq!(code, 3);
    assert_eq!(v, json!({"valid": false, "code": "EXPIRED"}));
    let listed = &arr(&kw.json(&["tokens", "list", &key]).ok())[0];
    assert_eq!(listed["id"], tok.as_str());
    assert_eq!(listed["status"], "expired");
    assert_eq!(kw.key_show(&key)["live_tokens"], 0);
    kw.verify_ok(&secret);
}

#[test]
fn verify_of_a_deactivated_owners_key_is_user_deactivated() {
    let kw = Kw::new();
    kw.ada();
    let (_, secret) = kw.create_key("ada@example.com", "Zapier");
    kw.json(&["users", "deactivate", "ada@example.com"]).ok();
    let (code, v) = kw.verify(&secret);
    assert_eq!(code, 3);
    assert_eq!(v, json!({"valid": false, "code": "USER_DEACTIVATED"}));
}

#[test]
fn verify_with_the_owners_api_access_off_is_api_access_off() {
    let kw = Kw::new();
    kw.ada();
    let (_, secret) = kw.create_key("ada@example.com", "Zapier");
    kw.json(&["users", "api-access", "ada@example.com", "off"])
        .ok();
    let (code, v) = kw.verify(&secret);
    assert_eq!(code, 3);
    assert_eq!(v, json!({"valid": false, "code": "API_ACCESS_OFF"}));
}

#[test]
fn verify_of_a_failed_secret_does_not_count_as_use() {
    let kw = Kw::new();
    kw.ada();
    let (key, secret) = kw.create_key("ada@example.com", "Zapier");
    kw.json(&["keys", "disable", &key]).ok();
    kw.verify_fails(&secret);
    let v = kw.key_show(&key);
    assert_eq!(v["last_used_at"], Value::Null);
    assert_eq!(v["in_use"], false);
}

#[test]
fn verify_failures_are_audited_in_aggregate_without_the_secret() {
    let kw = Kw::new();
    kw.ada();
    let (key, secret) = kw.create_key("ada@example.com", "Zapier");
    kw.json(&["keys", "disable", &key]).ok();
    kw.advance(SECOND);
    kw.verify_fails(&secret);
    kw.advance(SECOND);
    kw.verify_fails("kwa_typo");
    let all = kw.json(&["audit", "--limit", "1000"]);
    assert_eq!(all.code, 0);
    assert_no_secret(&all.stdout, &[&secret], "audit");
    let failed: Vec<String> = arr(&all.json)
        .iter()
        .filter(|e| e["action"] == "verification.failed")
        .map(|e| s(&e["summary"]))
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(failed[0].contains("MALFORMED"), "newest first: {failed:?}");
    assert!(failed[1].contains("DISABLED"), "{failed:?}");
}

#[test]
fn verify_reads_the_secret_from_standard_input_with_a_dash() {
    let kw = Kw::new();
    kw.ada();
    let (id, key) = kw.create_key("ada@example.com", "Form");
    let out = kw
        .command()
        .args(["--json", "verify", "-"])
        .write_stdin(format!("{key}\n"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["key_id"], json!(id));
    // Nothing on standard input is a usage error, not a verification.
    let out = kw
        .command()
        .args(["--json", "verify", "-"])
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let (code, message) = error_of(&String::from_utf8_lossy(&out.stderr));
    assert_eq!(code, "INVALID_INPUT");
    assert!(message.contains("standard input"), "{message}");
    // --help says so.
    let help = kw.human(&["verify", "--help"]);
    assert!(help.stdout.contains("standard input"), "{}", help.stdout);
}
