//! What only the PostgreSQL backend has: its typed tables, its versioned migrations
//! (refusing a newer schema, safe to run from several processes at once) and a server out
//! of reach. Everything else it shares with sled is the contract suite's.

use std::sync::Arc;

use keyward_core::error::ErrorCode;
use keyward_core::store::postgres::{Migrated, PgBackend, PG_SCHEMA_VERSION};
use keyward_core::{FileMasterKey, ManualClock, Store, StoreOptions};
use keyward_testkit::pg::cluster;
use keyward_testkit::{Env, Postgres, T0};

/// The schema a test store lives in, from the URL the testkit left in its directory.
fn schema_of(env: &Env) -> String {
    let url = std::fs::read_to_string(env.store.dir().join("postgres-url")).unwrap();
    url.rsplit("search_path%3D").next().unwrap().to_owned()
}

fn open(url: &str, migrate: bool) -> keyward_core::Result<Store> {
    let dir = tempfile::tempdir().unwrap().keep();
    let master = FileMasterKey::new(dir.join("master.key"));
    Store::open_postgres(
        url,
        migrate,
        &dir,
        Arc::new(ManualClock::new(T0)),
        &[&master],
        StoreOptions::default(),
    )
}

#[test]
fn records_land_in_typed_columns() {
    let env = Env::on(&Postgres);
    let s = schema_of(&env);
    let ada = env.admin("Ada Lovelace", "Ada@Example.com");
    let austin = env.store.add_location("Austin office").unwrap();
    let key = env.key_at(&ada.id, "Website form", Some(&austin.id));
    env.store.create_token(&key.view.id).unwrap();
    let mut settings = env.store.settings().unwrap();
    settings.inactivity_days = 60;
    settings.reminder_days = vec![10, 2];
    env.store.update_settings(settings).unwrap();

    let c = cluster();
    assert_eq!(
        c.psql(
            "kw",
            &format!("SELECT name, email, role, active, api_access FROM {s}.users")
        ),
        "Ada Lovelace|Ada@Example.com|admin|t|t"
    );
    assert_eq!(
        c.psql(
            "kw",
            &format!("SELECT user_id FROM {s}.user_emails WHERE email = 'ada@example.com'")
        ),
        ada.id
    );
    assert_eq!(
        c.psql(
            "kw",
            &format!(
                "SELECT name, owner, location_id, disabled, generation, octet_length(hash), masked \
                 FROM {s}.api_keys"
            )
        ),
        format!(
            "Website form|{}|{}|f|0|32|{}",
            ada.id, austin.id, key.view.masked_key
        )
    );
    // The key's hash and the token's, each once: the unique index of secrets.
    assert_eq!(
        c.psql(
            "kw",
            &format!(
                "SELECT count(*), count(DISTINCT hash), bool_or(token) FROM {s}.secret_hashes"
            )
        ),
        "2|2|t"
    );
    assert_eq!(
        c.psql("kw", &format!("SELECT key_id FROM {s}.tokens")),
        key.view.id
    );
    assert_eq!(
        c.psql(
            "kw",
            &format!("SELECT inactivity_days, reminder_days FROM {s}.settings")
        ),
        "60|{10,2}"
    );
    let events: i64 = c
        .psql(
            "kw",
            &format!(
                "SELECT count(*) FROM {s}.audit_events WHERE key_id = '{}'",
                key.view.id
            ),
        )
        .parse()
        .unwrap();
    assert!(events >= 2, "the key's creation and its token's");
    // No secret in clear anywhere: the key's masked form only.
    let dump = c.psql(
        "kw",
        &format!("SELECT string_agg(summary, ' ') FROM {s}.audit_events"),
    );
    assert!(!dump.contains(key.key.0.expose()));
}

#[test]
fn a_database_without_tables_is_refused_until_migrated_and_migrating_again_does_nothing() {
    let url = cluster().new_database();
    let e = open(&url, false).unwrap_err();
    assert_eq!(e.error_code(), ErrorCode::NeedsMigration);
    assert!(e.to_string().contains("keyward migrate"), "{e}");

    let backend = PgBackend::connect(&url, true).unwrap();
    assert_eq!(
        backend.migrate().unwrap(),
        Migrated {
            from: PG_SCHEMA_VERSION,
            to: PG_SCHEMA_VERSION
        }
    );
    assert_eq!(backend.schema_version().unwrap(), PG_SCHEMA_VERSION);
    let store = open(&url, false).unwrap();
    assert!(store.list_users().unwrap().is_empty());
}

#[test]
fn a_newer_schema_is_refused_by_open_and_by_migrate() {
    let url = cluster().new_database();
    PgBackend::connect(&url, true).unwrap();
    let db = url.rsplit('/').next().unwrap();
    cluster().psql(db, "INSERT INTO keyward_schema (version) VALUES (99)");
    for migrate in [false, true] {
        let e = open(&url, migrate).unwrap_err();
        assert_eq!(e.error_code(), ErrorCode::SchemaTooNew);
        assert!(e.to_string().contains("schema 99"), "{e}");
    }
}

#[test]
fn processes_migrating_at_once_create_the_tables_once() {
    let url = cluster().new_database();
    let versions: Vec<u32> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    PgBackend::connect(&url, true)
                        .unwrap()
                        .schema_version()
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(versions, vec![PG_SCHEMA_VERSION; 4]);
    let db = url.rsplit('/').next().unwrap();
    // Each migration ran once.
    assert_eq!(
        cluster().psql(db, "SELECT count(*) FROM keyward_schema"),
        PG_SCHEMA_VERSION.to_string()
    );
}

#[test]
fn a_server_out_of_reach_is_database_unavailable_and_names_no_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://kw:hunter2@127.0.0.1:{port}/keyward");
    let started = std::time::Instant::now();
    let e = open(&url, false).unwrap_err();
    assert_eq!(e.error_code(), ErrorCode::DatabaseUnavailable);
    assert!(!e.to_string().contains("hunter2"), "{e}");
    assert!(e.to_string().contains(&format!("127.0.0.1:{port}")), "{e}");
    assert!(started.elapsed().as_secs() < 6, "fails fast");
}

#[test]
fn a_url_that_is_not_one_is_invalid_input() {
    let e = open("postgres://[nope", false).unwrap_err();
    assert_eq!(e.error_code(), ErrorCode::InvalidInput);
}

#[test]
fn uses_saved_by_several_processes_merge_to_the_newest() {
    use keyward_core::store::Backend;
    let url = cluster().new_database();
    let a = PgBackend::connect(&url, true).unwrap();
    let b = PgBackend::connect(&url, false).unwrap();
    a.save_uses(&[("key_1".into(), 2_000), ("key_2".into(), 5_000)])
        .unwrap();
    // A process that saw an older use saves later: the newer time stays.
    b.save_uses(&[("key_1".into(), 1_000), ("key_2".into(), 9_000)])
        .unwrap();
    let at = |id: &str| {
        let v = a
            .get(keyward_core::store::Table::LastUsed, id.as_bytes())
            .unwrap()
            .unwrap();
        i64::from_be_bytes(v.try_into().unwrap())
    };
    assert_eq!((at("key_1"), at("key_2")), (2_000, 9_000));
}
