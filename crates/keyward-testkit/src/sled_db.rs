//! The sled database under a data directory (`DIR/db`), opened directly: what the
//! sled-only tests read and change behind the store's back.

use std::path::Path;
use std::time::{Duration, Instant};

/// Opens `DIR/db`. A database closed in this process keeps its file lock for a moment (its
/// background threads wind down), so opening is retried for a few seconds.
#[track_caller]
pub fn open(dir: &Path) -> sled::Db {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match sled::open(dir.join("db")) {
            Ok(db) => return db,
            Err(e)
                if Instant::now() < deadline
                    && e.to_string().contains("could not acquire lock") =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("sled opens the database: {e}"),
        }
    }
}

/// The schema version recorded in tree "meta", if any.
#[track_caller]
pub fn schema_version(dir: &Path) -> Option<u32> {
    let db = open(dir);
    let meta = db.open_tree("meta").expect("meta tree");
    meta.get("schema_version")
        .expect("read")
        .map(|v| u32::from_be_bytes(v.as_ref().try_into().expect("4 bytes")))
}

/// Writes `value` as the schema version record in tree "meta", and flushes.
#[track_caller]
pub fn set_schema_version_bytes(dir: &Path, value: &[u8]) {
    let db = open(dir);
    let meta = db.open_tree("meta").expect("meta tree");
    meta.insert("schema_version", value).expect("write");
    db.flush().expect("flush");
}

/// Writes `version` as the store does (a big-endian u32).
#[track_caller]
pub fn set_schema_version(dir: &Path, version: u32) {
    set_schema_version_bytes(dir, &version.to_be_bytes());
}
