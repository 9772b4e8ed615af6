//! `keyward export` and `keyward import`: a store moved from the embedded database into
//! PostgreSQL, where every key verifies (over HTTP on a serve node too) and reveals as
//! before under the new master key; a wrong passphrase changes nothing.

use std::os::unix::fs::PermissionsExt;

use keyward_testkit::cli::{verify_over_http, Kw};
use keyward_testkit::pg::cluster;

const PASSPHRASE: &str = "correct horse battery staple";

#[test]
fn a_sled_store_exported_and_imported_into_postgres_verifies_every_key() {
    let sled = Kw::new();
    sled.add_user("Ada Lovelace", "ada@example.com", true);
    let loc = sled
        .json(&["locations", "add", "--name", "Austin office"])
        .ok();
    let mut keys = Vec::new();
    for i in 0..5 {
        keys.push(sled.create_key("ada@example.com", &format!("Key {i}")));
    }
    keys.push(sled.create_key_at("ada@example.com", "Website form", loc["id"].as_str()));
    let (_, token) = sled.create_token(&keys[0].0);

    let file = sled.dir().join("store.kwarchive");
    let mut c = sled.command();
    c.env("KEYWARD_PASSPHRASE", PASSPHRASE).args([
        "--json",
        "export",
        "--out",
        file.to_str().unwrap(),
    ]);
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["keys"], 6);
    assert_eq!(summary["tokens"], 1);
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let pg = Kw::on_database(&cluster().new_database());
    pg.json(&["migrate"]).ok();
    // A wrong passphrase: refused, nothing imported.
    let mut c = pg.command();
    c.env("KEYWARD_PASSPHRASE", "not the passphrase at all")
        .args(["--json", "import", file.to_str().unwrap()]);
    let wrong = c.output().unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("passphrase is wrong"));
    assert_eq!(
        pg.json(&["users", "list"]).ok().as_array().unwrap().len(),
        0
    );

    let mut c = pg.command();
    c.env("KEYWARD_PASSPHRASE", PASSPHRASE)
        .args(["import", file.to_str().unwrap()]);
    let done = c.output().unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(String::from_utf8_lossy(&done.stdout)
        .contains("Imported 1 site manager(s), 1 location(s), 6 API key(s), 1 token(s)"));

    let node = pg.serve(&["--port", "0"]);
    for (id, secret) in &keys {
        assert_eq!(pg.json(&["verify", secret]).ok()["valid"], true);
        assert_eq!(
            verify_over_http(node.port, secret),
            Some((200, "VALID".into()))
        );
        // Sealed under the new store's own master key, and still the same key.
        let revealed = pg.json(&["keys", "reveal", id]).ok();
        assert_eq!(revealed["key"].as_str(), Some(secret.as_str()));
    }
    assert_eq!(
        verify_over_http(node.port, &token),
        Some((200, "VALID".into()))
    );
    assert_ne!(
        std::fs::read(sled.dir().join("master.key")).unwrap(),
        std::fs::read(pg.dir().join("master.key")).unwrap(),
        "the destination has a master key of its own"
    );
}

#[test]
fn export_refuses_to_overwrite_and_needs_a_passphrase() {
    let kw = Kw::new();
    kw.add_user("Ada Lovelace", "ada@example.com", true);
    let file = kw.dir().join("taken");
    std::fs::write(&file, "mine").unwrap();
    let mut c = kw.command();
    c.env("KEYWARD_PASSPHRASE", PASSPHRASE).args([
        "--json",
        "export",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(c.output().unwrap().status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
    // No passphrase and no terminal to ask on.
    let msg = kw
        .json(&["export", "--out", kw.dir().join("new").to_str().unwrap()])
        .fails(2, "INVALID_INPUT");
    assert!(msg.contains("KEYWARD_PASSPHRASE"), "{msg}");
    let mut c = kw.command();
    c.env("KEYWARD_PASSPHRASE", "short").args([
        "--json",
        "export",
        "--out",
        kw.dir().join("new").to_str().unwrap(),
    ]);
    assert_eq!(c.output().unwrap().status.code(), Some(2));
    assert!(!kw.dir().join("new").exists());
}
