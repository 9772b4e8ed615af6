//! The command line on PostgreSQL: `--database` / `KEYWARD_DATABASE_URL` on every verb,
//! `keyward migrate`, a shared master key file that must be private, and the same answers
//! as on the embedded database.

use keyward_testkit::cli::Kw;
use keyward_testkit::pg::cluster;
use serde_json::Value;

fn migrated() -> Kw {
    let kw = Kw::on_database(&cluster().new_database());
    let done = kw.json(&["migrate"]).ok();
    assert_eq!(done["from"], 0);
    assert_eq!(done["to"], keyward_core::store::postgres::PG_SCHEMA_VERSION);
    kw
}

#[test]
fn migrate_creates_the_tables_once_and_says_so() {
    let kw = migrated();
    let again = kw.human(&["migrate"]);
    assert_eq!(again.code, 0);
    assert!(
        again.stdout.contains(&format!(
            "already at schema {}",
            keyward_core::store::postgres::PG_SCHEMA_VERSION
        )),
        "{}",
        again.stdout
    );
    assert!(
        again.stdout.contains("postgres://keyward@127.0.0.1:"),
        "{}",
        again.stdout
    );
}

#[test]
fn a_database_without_tables_is_refused_with_what_to_run() {
    let kw = Kw::on_database(&cluster().new_database());
    let msg = kw.json(&["users", "list"]).fails(3, "NEEDS_MIGRATION");
    assert!(msg.contains("keyward migrate"), "{msg}");
}

#[test]
fn migrate_without_a_database_is_a_usage_error() {
    let kw = Kw::new();
    let msg = kw.json(&["migrate"]).fails(2, "INVALID_INPUT");
    assert!(msg.contains("--database"), "{msg}");
    kw.json(&["serve", "--migrate"]).fails(2, "INVALID_INPUT");
}

#[test]
fn an_unreachable_database_is_database_unavailable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let kw = Kw::on_database(&format!("postgres://keyward@127.0.0.1:{port}/kw"));
    kw.json(&["users", "list"]).fails(1, "DATABASE_UNAVAILABLE");
}

#[test]
fn every_verb_works_on_postgres_and_answers_as_on_sled() {
    let pg = migrated();
    let sled = Kw::new();
    for kw in [&pg, &sled] {
        kw.add_user("Ada Lovelace", "ada@example.com", true);
        let loc = kw
            .json(&["locations", "add", "--name", "Austin office"])
            .ok();
        let (key_id, key) = kw.create_key("ada@example.com", "Website form");
        let (_, located) = kw.create_key_at("ada@example.com", "Zapier", loc["id"].as_str());
        assert!(located.starts_with("kwl_"));
        assert_eq!(kw.json(&["verify", &key]).ok()["valid"], true);
        kw.create_token(&key_id);
        kw.json(&["keys", "disable", &key_id]).ok();
        let refused = kw.json(&["verify", &key]);
        assert_eq!(
            (refused.code, refused.json["code"].as_str()),
            (3, Some("DISABLED"))
        );
        kw.json(&["settings", "set", "inactivity_days", "60"]).ok();
        kw.json(&["lifecycle"]).ok();
    }
    // The same answers, ids and secrets aside.
    let shape = |kw: &Kw, args: &[&str]| -> Value { scrub(kw.json(args).ok()) };
    for args in [
        &["users", "list"][..],
        &["keys", "list"][..],
        &["locations", "list"][..],
        &["settings", "show"][..],
    ] {
        assert_eq!(
            shape(&pg, args),
            shape(&sled, args),
            "keyward {}",
            args.join(" ")
        );
    }
    let pg_audit = pg.json(&["audit", "--limit", "100"]).ok();
    let sled_audit = sled.json(&["audit", "--limit", "100"]).ok();
    assert_eq!(
        pg_audit.as_array().unwrap().len(),
        sled_audit.as_array().unwrap().len()
    );
}

/// Ids, masked secrets and times differ between two stores; everything else must not.
fn scrub(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let hidden = k == "id"
                        || k.ends_with("_id")
                        || k.starts_with("masked")
                        || k.ends_with("_at")
                        || k == "owner"
                        || k == "scope";
                    (k, if hidden { Value::Null } else { scrub(v) })
                })
                .collect(),
        ),
        // Keys made in the same instant sort by their (random) ids: compare by name.
        Value::Array(a) => {
            let mut a: Vec<Value> = a.into_iter().map(scrub).collect();
            a.sort_by_key(|v| v["name"].as_str().unwrap_or_default().to_owned());
            Value::Array(a)
        }
        other => other,
    }
}

#[test]
fn a_shared_master_key_file_readable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let kw = migrated();
    let key_file = kw.dir().join("shared.key");
    let mut c = kw.command();
    c.env("KEYWARD_MASTER_KEY_FILE", &key_file)
        .args(["--json", "users", "list"]);
    assert!(
        c.output().unwrap().status.success(),
        "the file is made, 0600"
    );
    assert_eq!(
        std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
        0o600
    );

    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = kw
        .command()
        .args([
            "--master-key-file",
            key_file.to_str().unwrap(),
            "--json",
            "users",
            "list",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let (code, msg) = keyward_testkit::cli::error_of(&String::from_utf8_lossy(&out.stderr));
    assert_eq!(code, "MASTER_KEY_UNAVAILABLE");
    assert!(msg.contains("chmod 600"), "{msg}");
}
