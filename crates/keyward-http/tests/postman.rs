//! The Postman export end to end over a real store: what it writes, and what a failure to
//! write leaves behind. Unix: the files' modes are part of what is checked.

#![cfg(unix)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use keyward_core::{NewKey, NewUser, Store};
use keyward_http::postman::{self, ExportPaths};
use keyward_testkit::fs::{entries, mode};
use keyward_testkit::Env;
use serde_json::Value;

struct Setup {
    _env: Env,
    store: Arc<Store>,
    key_id: String,
    secret: String,
}

fn setup() -> Setup {
    let env = common::env();
    let store = env.store.clone();
    let owner = store
        .add_user(NewUser {
            name: "Ada Admin".into(),
            email: "ada@example.com".into(),
            admin: true,
        })
        .unwrap();
    let created = store
        .create_key(NewKey {
            owner: owner.id,
            name: "Zapier sync".into(),
            location: None,
            ..Default::default()
        })
        .unwrap();
    Setup {
        _env: env,
        store,
        key_id: created.view.id,
        secret: created.key.expose().to_owned(),
    }
}

#[test]
fn an_export_writes_the_collection_and_a_private_environment_with_the_key() {
    let s = setup();
    let out = tempfile::tempdir().unwrap();
    let done = postman::export(&s.store, &s.key_id, |name| {
        ExportPaths::in_dir(out.path(), name)
    })
    .unwrap();
    assert_eq!(done.base_url, "http://127.0.0.1:7420");
    assert_eq!(
        entries(out.path()),
        [
            "keyward-zapier-sync.postman_collection.json",
            "keyward-zapier-sync.postman_environment.json"
        ]
    );
    assert_eq!(mode(&done.paths.collection), 0o600);
    assert_eq!(mode(&done.paths.environment), 0o600);
    let env: Value =
        serde_json::from_str(&std::fs::read_to_string(&done.paths.environment).unwrap()).unwrap();
    assert_eq!(env["values"][1]["value"], s.secret.as_str());
    let collection = std::fs::read_to_string(&done.paths.collection).unwrap();
    assert!(!collection.contains(&s.secret));
}

/// A directory this process cannot write to: mode 0555, or, for root (whom modes do not
/// stop), a read-only tmpfs. Unmounted when dropped.
struct ReadOnlyDir {
    dir: tempfile::TempDir,
    mounted: bool,
}

impl ReadOnlyDir {
    fn new() -> Option<ReadOnlyDir> {
        let dir = tempfile::tempdir().unwrap();
        if !is_root() {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
            return Some(ReadOnlyDir {
                dir,
                mounted: false,
            });
        }
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "ro,size=64k", "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        mounted.then_some(ReadOnlyDir { dir, mounted })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for ReadOnlyDir {
    fn drop(&mut self) {
        if self.mounted {
            let _ = Command::new("umount").arg(self.dir.path()).status();
        } else {
            use std::os::unix::fs::PermissionsExt;
            let _ =
                std::fs::set_permissions(self.dir.path(), std::fs::Permissions::from_mode(0o755));
        }
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

#[test]
fn an_export_into_a_read_only_directory_leaves_no_file_and_says_why() {
    let s = setup();
    let Some(ro) = ReadOnlyDir::new() else {
        panic!("running as root, yet a read-only tmpfs could not be mounted");
    };
    let e = postman::export(&s.store, &s.key_id, |name| {
        ExportPaths::in_dir(ro.path(), name)
    })
    .unwrap_err();
    assert_eq!(e.code(), "EXPORT_FAILED");
    let message = e.to_string();
    assert!(
        message.contains(&ro.path().display().to_string()),
        "names the path: {message}"
    );
    assert!(
        message.contains("Read-only file system") || message.contains("Permission denied"),
        "says why: {message}"
    );
    assert!(
        message.contains("export to a folder you may write to"),
        "says what to do: {message}"
    );
    assert!(!message.contains(&s.secret), "{message}");
    assert!(entries(ro.path()).is_empty(), "no file is left behind");
}
