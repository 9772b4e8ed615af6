//! What the store's integration tests share: a real sled store in a fresh temporary
//! directory, with a clock the test moves.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use keyward_core::{FileMasterKey, ManualClock, Millis, Store, StoreOptions};
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
