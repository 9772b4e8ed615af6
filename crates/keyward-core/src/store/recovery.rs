//! What `Store::open` repairs before and after sled opens the database (`open_repairing`).
//!
//! sled 0.34 writes a snapshot of its page table on every open that follows a write: into
//! `snap.<lsn>.generating`, then fsync, then a rename to `snap.<lsn>`. A process killed
//! before the rename (or one that found the disk full) leaves the `.generating` file
//! behind, and the next open takes it for the newest snapshot and fails as corrupt — for
//! good, since every later open finds it again. A snapshot is only a shortcut: sled can
//! rebuild it from the previous snapshot and its log, which hold every flushed write.
//!
//! So before opening, unfinished snapshots and snapshots or a `conf` file that fail their
//! own checksum are moved into `<data dir>/recovered/` (never deleted: a file of zero bytes
//! is the one exception, when the disk is too full to move it); if sled still reports
//! corruption, every snapshot is set aside and sled rebuilds from the log alone. Each step
//! is logged and returned, so the store can record it in the audit log.
//!
//! A disk that is full is a second case: sled cannot write the snapshot it wants on open,
//! so even a read would fail. Then the database files are copied to a memory-backed
//! directory and opened there, read-only: listing and verification keep working, and
//! every change is refused with `DISK_FULL` until space is freed.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::clock::Millis;

/// Where files set aside by recovery go, inside the data directory.
pub fn recovered_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("recovered")
}

/// Sets aside what sled would trip over: unfinished snapshots, snapshots whose checksum
/// fails, and a `conf` whose checksum fails. Returns one sentence per file handled.
pub(crate) fn set_aside_interrupted(data_dir: &Path, db_dir: &Path, now: Millis) -> Vec<String> {
    let mut done = Vec::new();
    let Ok(entries) = fs::read_dir(db_dir) else {
        return done;
    };
    let mut snapshots = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            let why = "an unfinished snapshot left by an interrupted Keyward process";
            done.extend(set_aside(data_dir, &path, why, now));
        } else if name.starts_with("snap.") && !name.ends_with(".in___motion") {
            snapshots.push(path);
        } else if name == "conf" && !conf_is_sound(&path) {
            let why = "a damaged database settings file (sled rewrites it)";
            done.extend(set_aside(data_dir, &path, why, now));
        }
    }
    // sled reads only the newest snapshot; one that fails its checksum is set aside so
    // sled falls back to an older one or to its log.
    snapshots.sort();
    if let Some(newest) = snapshots.last() {
        if !snapshot_is_sound(newest) {
            let why = "a damaged snapshot (sled rebuilds it from its log)";
            done.extend(set_aside(data_dir, newest, why, now));
        }
    }
    done
}

/// A master key file is written as `master.key.tmp-<pid>` and linked into place; a
/// process killed in between leaves the temporary name behind. When it is a second name
/// of `master.key` it is removed; otherwise it holds a key that was never used, and is
/// set aside (still private) rather than left lying about.
pub(crate) fn tidy_master_key_temps(data_dir: &Path, master: &Path, now: Millis) -> Vec<String> {
    let mut done = Vec::new();
    let Some(prefix) = master
        .file_name()
        .map(|n| format!("{}.tmp-", n.to_string_lossy()))
    else {
        return done;
    };
    let Ok(entries) = fs::read_dir(data_dir) else {
        return done;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(&prefix) {
            continue;
        }
        let path = entry.path();
        if same_file(&path, master) && fs::remove_file(&path).is_ok() {
            let line = format!("removed {name}, a second name of the master key file");
            log::warn!("{line}");
            done.push(line);
        } else {
            let why = "a master key file an interrupted process never put in place";
            done.extend(set_aside(data_dir, &path, why, now));
        }
    }
    done
}

#[cfg(unix)]
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &Path, _: &Path) -> bool {
    false
}

/// Sets aside every snapshot, so sled rebuilds its page table from the log alone.
pub(crate) fn set_aside_all_snapshots(data_dir: &Path, db_dir: &Path, now: Millis) -> Vec<String> {
    let mut done = Vec::new();
    let Ok(entries) = fs::read_dir(db_dir) else {
        return done;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("snap.") {
            let why = "a snapshot sled could not use (it rebuilds it from its log)";
            done.extend(set_aside(data_dir, &entry.path(), why, now));
        }
    }
    done
}

fn set_aside(data_dir: &Path, path: &Path, why: &str, now: Millis) -> Option<String> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let size = fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let stamp = chrono::DateTime::from_timestamp_millis(now)
        .unwrap_or_default()
        .format("%Y%m%dT%H%M%S%3fZ");
    let dest_dir = recovered_dir(data_dir);
    let dest = dest_dir.join(format!("{stamp}-{name}"));
    let moved = crate::store::create_private_dir(&dest_dir)
        .ok()
        .and_then(|()| fs::rename(path, &dest).ok());
    let shown = path
        .strip_prefix(data_dir)
        .map_or_else(|_| name.clone(), |p| p.display().to_string());
    let line = match moved {
        Some(()) => format!(
            "set aside {why}: {shown} ({size} bytes), moved to {}",
            dest.display()
        ),
        // An empty file holds nothing; on a full disk there may be no room to move it.
        None if size == 0 && fs::remove_file(path).is_ok() => {
            format!("removed {why}: {shown} (empty)")
        }
        None => return None,
    };
    log::warn!("{line}");
    Some(line)
}

/// sled's snapshot file: the body, its length (8 bytes) and a CRC32 of the body (4 bytes,
/// little-endian).
fn snapshot_is_sound(path: &Path) -> bool {
    let Ok(bytes) = read_all(path) else {
        return false;
    };
    if bytes.len() <= 12 {
        return false;
    }
    let (body, tail) = bytes.split_at(bytes.len() - 12);
    let crc = u32::from_le_bytes([tail[8], tail[9], tail[10], tail[11]]);
    crc32fast::hash(body) == crc
}

/// sled's `conf`: text lines and a CRC32 (4 bytes, little-endian). sled itself treats a
/// file of 8 bytes or less as absent, but only warns on a bad checksum and then reads
/// whatever half-written numbers it finds.
fn conf_is_sound(path: &Path) -> bool {
    let Ok(bytes) = read_all(path) else {
        return true; // unreadable: let sled say why
    };
    if bytes.len() <= 8 {
        return true;
    }
    let (body, tail) = bytes.split_at(bytes.len() - 4);
    crc32fast::hash(body) == u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]])
}

fn read_all(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    fs::File::open(path)?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// What `Store::open` gets from sled once repairs are done.
pub(crate) struct Opened {
    pub db: sled::Db,
    /// The memory-backed copy the database was opened from, when the disk is full.
    pub read_only: Option<ReadOnlyCopy>,
    /// One sentence per repair, for the log and the audit log.
    pub repaired: Vec<String>,
}

/// Opens the database in `db_dir` with `open`, repairing on the way: sets aside what an
/// interrupted process left first; on corruption, every snapshot (sled rebuilds from its
/// log); on a full disk, opens a read-only copy. Finally makes the data directory
/// private. Must run while this process holds the data directory.
pub(crate) fn open_repairing(
    data_dir: &Path,
    db_dir: &Path,
    now: Millis,
    open: impl Fn(&Path) -> crate::Result<sled::Db>,
) -> crate::Result<Opened> {
    let mut repaired = set_aside_interrupted(data_dir, db_dir, now);
    repaired.extend(tidy_master_key_temps(
        data_dir,
        &crate::store::master_key_path(data_dir),
        now,
    ));
    let mut read_only = None;
    let db = match open(db_dir) {
        Err(crate::Error::Corrupt(why)) => {
            let aside = set_aside_all_snapshots(data_dir, db_dir, now);
            if aside.is_empty() {
                return Err(crate::Error::Corrupt(why));
            }
            repaired.extend(aside);
            open(db_dir)?
        }
        Err(crate::Error::DiskFull(_)) => {
            log::warn!(
                "the disk holding {} is full: opening a read-only copy of the database",
                data_dir.display()
            );
            // The failed open may have left an unfinished snapshot behind.
            repaired.extend(set_aside_interrupted(data_dir, db_dir, now));
            let copy = ReadOnlyCopy::make(db_dir).map_err(|e| {
                crate::Error::DiskFull(format!(
                    "the disk holding {} is full, and a read-only copy of the database \
                     could not be made either ({e}) — free some space and try again",
                    data_dir.display()
                ))
            })?;
            let db = open(&copy.dir)?;
            read_only = Some(copy);
            db
        }
        other => other?,
    };
    tighten_modes(data_dir);
    Ok(Opened {
        db,
        read_only,
        repaired,
    })
}

/// The data directory and `db/` are private to the user (0700) and so is every file in
/// them (0600), however they were created: by an older Keyward, by sled (which creates
/// with the process umask) or by hand.
fn tighten_modes(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fn make_private(path: &Path, meta: &std::fs::Metadata) {
            let want = if meta.is_dir() { 0o700 } else { 0o600 };
            if meta.permissions().mode() & 0o777 == want {
                return;
            }
            if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(want)) {
                log::warn!("could not make {} private: {e}", path.display());
            }
        }
        /// `path` and, for a directory, everything under it (symbolic links are left alone).
        fn walk(path: &Path, recurse: bool) {
            let Ok(meta) = std::fs::symlink_metadata(path) else {
                return;
            };
            if meta.file_type().is_symlink() {
                return;
            }
            make_private(path, &meta);
            if meta.is_dir() && recurse {
                for e in std::fs::read_dir(path).into_iter().flatten().flatten() {
                    walk(&e.path(), true);
                }
            }
        }
        // The directory, the files directly in it, and the directories Keyward made; a
        // directory of some other program's inside it is not Keyward's to change.
        walk(dir, false);
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = e.path();
            let ours = matches!(
                path.file_name().and_then(|n| n.to_str()),
                Some("db" | "recovered")
            );
            if ours || e.file_type().is_ok_and(|t| t.is_file()) {
                walk(&path, ours);
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Whether an error from the file system says the disk (or quota) is full.
pub(crate) fn is_disk_full(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    ) || e.raw_os_error() == Some(28)
}

/// A private, memory-backed copy of the database files for a read-only open when the
/// disk is full. Removed when dropped.
pub(crate) struct ReadOnlyCopy {
    pub dir: PathBuf,
}

impl ReadOnlyCopy {
    /// Copies `db_dir` (without unfinished snapshots) into a new directory under
    /// `/dev/shm`, or the system's temporary directory where there is none.
    pub fn make(db_dir: &Path) -> std::io::Result<ReadOnlyCopy> {
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!(
            "keyward-readonly-{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        let copy = ReadOnlyCopy { dir };
        crate::store::create_private_dir(&copy.dir).map_err(std::io::Error::other)?;
        copy_tree(db_dir, &copy.dir)?;
        Ok(copy)
    }
}

impl Drop for ReadOnlyCopy {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_string_lossy().ends_with(".generating") {
            continue;
        }
        let dest = to.join(&name);
        if entry.file_type()?.is_dir() {
            fs::create_dir_all(&dest)?;
            copy_tree(&entry.path(), &dest)?;
        } else {
            fs::copy(entry.path(), &dest)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot_bytes(body: &[u8]) -> Vec<u8> {
        let mut v = body.to_vec();
        v.extend_from_slice(&(body.len() as u64).to_le_bytes());
        v.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
        v
    }

    #[test]
    fn unfinished_and_damaged_snapshots_are_moved_not_deleted() {
        let data = tempfile::tempdir().unwrap();
        let db = data.path().join("db");
        fs::create_dir_all(&db).unwrap();
        fs::write(db.join("snap.0000000000000010"), snapshot_bytes(b"older")).unwrap();
        fs::write(db.join("snap.0000000000000020.generating"), b"half").unwrap();
        fs::write(db.join("db"), b"the log").unwrap();
        let done = set_aside_interrupted(data.path(), &db, 0);
        assert_eq!(done.len(), 1, "{done:?}");
        assert!(
            done[0].contains("db/snap.0000000000000020.generating"),
            "{done:?}"
        );
        assert!(db.join("snap.0000000000000010").exists());
        assert!(db.join("db").exists());
        let moved: Vec<_> = fs::read_dir(recovered_dir(data.path()))
            .unwrap()
            .map(|e| fs::read(e.unwrap().path()).unwrap())
            .collect();
        assert_eq!(moved, vec![b"half".to_vec()]);

        // The newest complete snapshot failing its checksum is set aside too.
        let mut bad = snapshot_bytes(b"newest");
        bad[0] ^= 1;
        fs::write(db.join("snap.0000000000000030"), bad).unwrap();
        let done = set_aside_interrupted(data.path(), &db, 1);
        assert_eq!(done.len(), 1, "{done:?}");
        assert!(!db.join("snap.0000000000000030").exists());
        assert!(db.join("snap.0000000000000010").exists());
        assert!(set_aside_interrupted(data.path(), &db, 2).is_empty());
    }

    #[test]
    fn leftover_master_key_temporaries_are_tidied_safely() {
        let data = tempfile::tempdir().unwrap();
        let master = data.path().join("master.key");
        fs::write(&master, b"the key").unwrap();
        // Killed after linking: a second name of the same file.
        fs::hard_link(&master, data.path().join("master.key.tmp-41")).unwrap();
        // Killed before linking: a key that was never used.
        fs::write(data.path().join("master.key.tmp-42"), b"another key").unwrap();
        let done = tidy_master_key_temps(data.path(), &master, 0);
        assert_eq!(done.len(), 2, "{done:?}");
        assert_eq!(fs::read(&master).unwrap(), b"the key");
        let names: Vec<String> = fs::read_dir(data.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!names.iter().any(|n| n.contains(".tmp-")), "{names:?}");
        let aside: Vec<Vec<u8>> = fs::read_dir(recovered_dir(data.path()))
            .unwrap()
            .map(|e| fs::read(e.unwrap().path()).unwrap())
            .collect();
        assert_eq!(aside, vec![b"another key".to_vec()]);
    }

    #[test]
    fn a_conf_with_a_bad_checksum_is_set_aside() {
        let data = tempfile::tempdir().unwrap();
        let db = data.path().join("db");
        fs::create_dir_all(&db).unwrap();
        let body = b"segment_size: 524288\nuse_compression: false\nversion: 0.34\n";
        let mut good = body.to_vec();
        good.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
        fs::write(db.join("conf"), &good).unwrap();
        assert!(set_aside_interrupted(data.path(), &db, 0).is_empty());
        fs::write(db.join("conf"), &body[..20]).unwrap();
        assert_eq!(set_aside_interrupted(data.path(), &db, 0).len(), 1);
        assert!(!db.join("conf").exists());
    }
}
