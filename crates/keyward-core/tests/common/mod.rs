//! What the store's integration tests share: a real sled store in a fresh temporary
//! directory, with a clock the test moves.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use keyward_core::{
    AuditFilter, AuditView, CreatedKey, FileMasterKey, KeyFilter, ManualClock, Millis, NewKey,
    NewUser, Store, StoreOptions, UserView,
};
use tempfile::TempDir;

/// 14 Nov 2023, 22:13:20 UTC: every test starts here.
pub const T0: Millis = 1_700_000_000_000;

pub fn open(dir: &Path, clock: &Arc<ManualClock>) -> keyward_core::Result<Store> {
    Store::open(
        dir,
        clock.clone(),
        &FileMasterKey::new(dir.join("master.key")),
        StoreOptions::default(),
    )
}

/// A store in a fresh directory. Fields drop in order: the store before the directory.
pub struct Env {
    pub store: Store,
    pub clock: Arc<ManualClock>,
    pub dir: TempDir,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(T0));
        let store = open(dir.path(), &clock).unwrap();
        Env { store, clock, dir }
    }

    /// Closes the store (as the process would on exit) and opens it again.
    pub fn reopen(self) -> Env {
        let Env { store, clock, dir } = self;
        drop(store);
        // sled's flusher thread lets go of the file lock a moment after the last handle.
        let mut tries = 0;
        let store = loop {
            match open(dir.path(), &clock) {
                Err(e) if e.code() == "DATABASE_LOCKED" && tries < 100 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(20));
                }
                r => break r.unwrap(),
            }
        };
        Env { store, clock, dir }
    }

    /// Closes the store and hands back its directory.
    pub fn close(self) -> TempDir {
        let Env { store, dir, .. } = self;
        drop(store);
        dir
    }
}

/// What the store's tests do again and again, in one line each.
impl Env {
    /// Sets the clock to `T0 + offset`.
    pub fn at(&self, offset: Millis) {
        self.clock.set(T0 + offset);
    }

    pub fn admin(&self, name: &str, email: &str) -> UserView {
        self.store
            .add_user(NewUser {
                name: name.into(),
                email: email.into(),
                admin: true,
            })
            .unwrap()
    }

    pub fn manager(&self, name: &str, email: &str) -> UserView {
        self.store
            .add_user(NewUser {
                name: name.into(),
                email: email.into(),
                admin: false,
            })
            .unwrap()
    }

    pub fn key(&self, owner: &str, name: &str) -> CreatedKey {
        self.store
            .create_key(NewKey {
                owner: owner.into(),
                name: name.into(),
                location: None,
            })
            .unwrap()
    }

    /// "VALID" or the verdict's code.
    pub fn verify(&self, presented: &str) -> &'static str {
        let v = self.store.verify(presented).unwrap();
        match v.code {
            None => {
                assert!(v.valid);
                assert!(v.identity.is_some());
                "VALID"
            }
            Some(code) => {
                assert!(!v.valid);
                assert!(v.identity.is_none());
                code.as_str()
            }
        }
    }

    pub fn audit(&self) -> Vec<AuditView> {
        self.store.audit(&AuditFilter::default()).unwrap()
    }

    pub fn count(&self, action: &str) -> usize {
        self.audit().iter().filter(|e| e.action == action).count()
    }

    pub fn keys(&self, filter: KeyFilter) -> Vec<String> {
        let mut ids: Vec<String> = self
            .store
            .list_keys(&filter)
            .unwrap()
            .into_iter()
            .map(|k| k.id)
            .collect();
        ids.sort();
        ids
    }
}

/// The code of an error a call must have returned.
pub fn code<T: std::fmt::Debug>(r: keyward_core::Result<T>) -> &'static str {
    r.expect_err("expected an error").code()
}
