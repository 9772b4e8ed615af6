//! `keys delete`, `keys deleted`, `keys restore` and `keys purge`: a deleted key stops at
//! once, is listed for 30 days, comes back with its tokens, and purging asks for --yes.

use keyward_testkit::cli::{Kw, DAY};

#[test]
fn a_deleted_key_is_listed_restored_with_its_tokens_and_purged_only_with_yes() {
    let kw = Kw::new();
    kw.ada();
    let (id, secret) = kw.create_key("ada@example.com", "Zapier");
    let (_, token) = kw.create_token(&id);
    let other = kw.create_key("ada@example.com", "Old export").0;

    let gone = kw.json(&["keys", "delete", &id, "--force"]).ok();
    assert_eq!(gone["tokens_deleted"], 1);
    assert_eq!(gone["restorable_until"], "2026-09-11T10:00:00Z");
    assert_eq!(kw.verify_fails(&secret), "NOT_FOUND");
    assert_eq!(kw.verify_fails(&token), "NOT_FOUND");
    // The human answer says how to bring it back.
    let human = kw.human(&["keys", "delete", &other]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    assert!(
        human
            .stdout
            .contains(&format!("keyward keys restore {other}")),
        "{}",
        human.stdout
    );

    let listed = kw.json(&["keys", "deleted"]).ok();
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["key"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&id.as_str()) && ids.contains(&other.as_str()));
    let table = kw.human(&["keys", "deleted"]);
    assert!(table.stdout.contains("Zapier") && table.stdout.contains("in 30 days"));
    assert!(!table.stdout.contains(&secret));

    kw.advance(3 * DAY);
    let back = kw.json(&["keys", "restore", &id]).ok();
    assert_eq!(back["id"], id.as_str());
    assert_eq!(back["live_tokens"], 1);
    kw.verify_ok(&secret);
    kw.verify_ok(&token);
    kw.json(&["keys", "restore", &id]).fails(4, "NOT_FOUND");

    // Purging is final: refused without --yes (exit 3), nothing changed.
    let refused = kw
        .json(&["keys", "purge", &other])
        .fails(3, "CONFIRMATION_REQUIRED");
    assert!(refused.contains("--yes"), "{refused}");
    assert_eq!(
        kw.json(&["keys", "deleted"]).ok().as_array().unwrap().len(),
        1
    );
    kw.json(&["keys", "purge", &other, "--yes"]).ok();
    assert!(kw
        .json(&["keys", "deleted"])
        .ok()
        .as_array()
        .unwrap()
        .is_empty());
    kw.json(&["keys", "restore", &other]).fails(4, "NOT_FOUND");
    let empty = kw.human(&["keys", "deleted"]);
    assert!(empty
        .stdout
        .contains("No API keys were deleted in the last 30 days."));
}
