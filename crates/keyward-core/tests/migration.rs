//! Databases written at older schemas (`fixtures/schema1`, made by the Keyward release
//! before per-secret grace periods, and `fixtures/schema2`, made by the release before
//! audit events carried key and actor fields, both with `fixtures/make-fixture.sh`) open
//! with today's code, are migrated in place and lose nothing: every user, location, key,
//! token, webhook, setting and audit event is still there, every secret still verifies as
//! it did, and every key and token event names its key in `key_id`.

use std::path::Path;
use std::sync::Arc;

use keyward_core::clock::{parse_rfc3339, HOUR};
use keyward_core::{
    AuditFilter, Disclosure, FileMasterKey, KeyFilter, ManualClock, Store, StoreOptions,
};
use keyward_testkit::fs::copy_dir;
use keyward_testkit::sled_db::schema_version;
use serde_json::Value;

/// Retries while sled's flusher thread of a store just closed still holds the file lock.
fn retry<T, E: std::fmt::Debug>(mut f: impl FnMut() -> Result<T, E>) -> T {
    for _ in 0..250 {
        if let Ok(v) = f() {
            return v;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    f().unwrap()
}

#[test]
fn a_schema_1_database_is_migrated_in_place_and_loses_nothing() {
    migrates_in_place_losing_nothing("schema1", 1);
}

#[test]
fn a_schema_2_database_is_migrated_in_place_and_loses_nothing() {
    migrates_in_place_losing_nothing("schema2", 2);
}

fn migrates_in_place_losing_nothing(fixture: &str, schema: u32) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(fixture);
    let expected: Value =
        serde_json::from_slice(&std::fs::read(fixture.join("expected.json")).unwrap()).unwrap();
    let e = |k: &str| expected[k].as_str().unwrap().to_owned();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    copy_dir(&fixture.join("data"), &dir);
    assert_eq!(schema_version(&dir), Some(schema));

    // An hour after the fixture was made: the regenerated key's 7-day grace still runs.
    let clock = Arc::new(ManualClock::new(
        parse_rfc3339(&e("made_at")).unwrap() + HOUR,
    ));
    let open = || {
        retry(|| {
            Store::open(
                &dir,
                clock.clone(),
                &FileMasterKey::new(dir.join("master.key")),
                StoreOptions::default(),
            )
        })
    };
    let store = open();

    let users = store.list_users().unwrap();
    assert_eq!(users.len(), 2);
    assert!(users
        .iter()
        .any(|u| u.id == e("admin") && u.role == "admin"));
    assert!(users.iter().any(|u| u.id == e("manager") && u.api_access));
    assert_eq!(store.list_locations().unwrap()[0].id, e("location"));
    let keys = store.list_keys(&KeyFilter::default()).unwrap();
    assert_eq!(keys.len(), 3);
    let disabled = keys.iter().find(|k| k.id == e("disabled_key_id")).unwrap();
    assert_eq!(disabled.status, "disabled");
    let rotated = keys.iter().find(|k| k.id == e("local_key_id")).unwrap();
    assert!(rotated.grace_until.is_some(), "{rotated:?}");

    // Every secret answers as before the migration; the sealed secrets still open.
    let verdict = |s: &str| {
        let v = store.verify(s).unwrap();
        v.code.map_or("VALID", |c| c.as_str())
    };
    for secret in [
        "agency_key",
        "token",
        "local_key",
        "old_local_key",
        "old_local_token",
    ] {
        assert_eq!(verdict(&e(secret)), "VALID", "{secret}");
    }
    assert_eq!(
        store
            .reveal_key(&e("local_key_id"), Disclosure::Reveal)
            .unwrap()
            .expose(),
        e("local_key")
    );
    assert_eq!(store.list_tokens(None).unwrap().len(), 2);
    let hooks = store.list_webhooks(None).unwrap();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].id, e("webhook_id"));
    assert_eq!(store.settings().unwrap().reminder_days, [20, 7, 1]);
    let audit = store
        .audit(&AuditFilter {
            limit: Some(1000),
            ..Default::default()
        })
        .unwrap();
    let audit_before = expected["audit_events"].as_u64().unwrap() as usize;
    // The fixture's events, plus what this test did (one reveal).
    assert_eq!(audit.len(), audit_before + 1);
    // Key and token events name their key as a field, and no summary carries it any more.
    for e in audit.iter().filter(|e| e.entity == "api_key") {
        assert_eq!(e.key_id.as_deref(), Some(e.object_id.as_str()), "{e:?}");
    }
    let token_events: Vec<_> = audit.iter().filter(|e| e.entity == "token").collect();
    assert!(token_events.len() >= 2, "{token_events:?}");
    for ev in token_events {
        let key = ev.key_id.clone().expect("a token event names its key");
        assert!(
            key == e("agency_key_id") || key == e("local_key_id"),
            "{ev:?}"
        );
        assert!(!ev.summary.contains("[key_"), "{ev:?}");
    }
    let by_key = store
        .audit(&AuditFilter {
            object_id: Some(e("agency_key_id")),
            limit: Some(1000),
            ..Default::default()
        })
        .unwrap();
    assert!(by_key.iter().any(|ev| ev.entity == "token"), "{by_key:?}");
    assert!(store.check_integrity().unwrap().is_empty());
    drop(store);

    // The grace ends as it was promised, and the migrated database reopens as schema 2.
    assert_eq!(
        schema_version(&dir),
        Some(keyward_core::store::SCHEMA_VERSION)
    );
    clock.advance(7 * 24 * HOUR);
    let store = open();
    assert_eq!(
        store
            .verify(&e("old_local_key"))
            .unwrap()
            .code
            .map(|c| c.as_str()),
        Some("REVOKED")
    );
    assert!(store.verify(&e("local_key")).unwrap().valid);
}
