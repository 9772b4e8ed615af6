//! What only the embedded sled store has, outside the backends' shared contract: one
//! process at a time on a data directory, the schema version record in its files, the
//! repair of leftover files at open, and private directories.

use keyward_core::ErrorClass;
use keyward_testkit::{code, sled_db, Env};

#[test]
fn second_open_of_same_directory_is_database_locked() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let err = env.open_again().unwrap_err();
    assert_eq!(err.code(), "DATABASE_LOCKED");
    assert_eq!(err.class(), ErrorClass::Refused);
    assert!(err
        .to_string()
        .contains("in use by another Keyward process"));
    // The first store is unharmed, and once it closes the directory opens again.
    assert_eq!(env.store.list_users().unwrap().len(), 1);
    let env = env.reopen();
    assert_eq!(env.store.list_users().unwrap().len(), 1);
}

#[test]
fn newer_schema_is_refused() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let closed = env.close();
    assert_eq!(
        sled_db::schema_version(closed.dir()),
        Some(keyward_core::store::SCHEMA_VERSION)
    );
    sled_db::set_schema_version(closed.dir(), keyward_core::store::SCHEMA_VERSION + 1);
    let err = closed.try_open().unwrap_err();
    assert_eq!(err.code(), "SCHEMA_TOO_NEW");
    assert_eq!(err.class(), ErrorClass::Refused);
    assert!(err.to_string().contains("newer Keyward"), "{err}");
    // Refused again: nothing was rewritten.
    assert_eq!(code(closed.try_open()), "SCHEMA_TOO_NEW");

    // An unreadable version record is reported as damage, not guessed at.
    sled_db::set_schema_version_bytes(closed.dir(), b"v1");
    assert_eq!(code(closed.try_open()), "DATABASE_CORRUPT");
}

#[test]
fn a_second_open_never_repairs_the_files_of_the_process_that_holds_the_store() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    // What a snapshot being written by the holder looks like from outside.
    let generating = env.dir().join("db/snap.00000000000FFFFF.generating");
    std::fs::write(&generating, b"being written").unwrap();
    assert_eq!(code(env.open_again()), "DATABASE_LOCKED");
    assert!(generating.exists(), "a live process's file was moved");
    assert!(!env.dir().join("recovered").exists());
    // Once the holder is gone, the leftover is set aside and the store opens.
    let env = env.reopen();
    assert!(!generating.exists());
    assert_eq!(env.store.list_users().unwrap().len(), 1);
    // The leftover is named in the audit log. (Under load sled may also leave one of its own
    // snapshots unfinished at close; that one is set aside too, in its own event.)
    let recovered: Vec<String> = env
        .audit()
        .into_iter()
        .filter(|e| e.action == "store.recovered")
        .map(|e| e.summary)
        .collect();
    assert!(
        recovered
            .iter()
            .any(|s| s.contains("snap.00000000000FFFFF.generating")),
        "{recovered:?}"
    );
}

#[cfg(unix)]
#[test]
fn a_private_directory_is_created_and_narrowed_to_the_user() {
    use keyward_core::store::create_private_dir;
    use keyward_testkit::fs::mode;
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("cache/com.keyward.desktop/webview");
    create_private_dir(&dir).unwrap();
    assert_eq!(mode(&dir), 0o700);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    create_private_dir(&dir).unwrap();
    assert_eq!(mode(&dir), 0o700);
}
