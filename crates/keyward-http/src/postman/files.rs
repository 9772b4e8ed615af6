//! Writing an export's files: readable by their owner only (0600 on Unix), all or
//! nothing, and never a file with the key in it that someone else could read.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use zeroize::Zeroizing;

use crate::{Error, Result};

/// Writes each value as pretty JSON to its path, in three stages:
///
/// 1. every value is encoded, before any file is touched;
/// 2. a file already at a path is narrowed to 0600 (it may hold the key of an earlier
///    export), then each encoding is written to a new 0600 file beside its path and
///    flushed to disk;
/// 3. each new file is renamed over its path, and the directory flushed.
///
/// A failure in the first two stages leaves every path as it was (at most narrowed) and
/// no temporary file. A rename failing in the third — rare, the directory took the new
/// file a moment before — leaves the files renamed before it, each one whole.
pub(crate) fn write_private<T: Serialize + ?Sized>(files: &[(&Path, &T)]) -> Result<()> {
    let mut encoded = Vec::with_capacity(files.len());
    for (path, value) in files {
        encoded.push((*path, encode(path, value)?));
    }
    let staged = encoded
        .iter()
        .map(|(path, text)| stage(path, text))
        .collect::<Result<Vec<_>>>()?;
    staged.into_iter().try_for_each(Staged::commit)
}

/// The JSON text, wiped from memory when dropped: the environment's holds the key.
fn encode<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<Zeroizing<String>> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| Error::Export {
        path: path.to_path_buf(),
        reason: format!("it could not be encoded ({e})"),
        advice: "nothing was written; this is a bug in Keyward, please report it",
    })?;
    text.push('\n');
    Ok(Zeroizing::new(text))
}

/// A complete, flushed, private copy of one file, waiting beside its path. Dropped
/// without [`Staged::commit`], it is removed.
pub(crate) struct Staged {
    temp: PathBuf,
    path: PathBuf,
    dir: PathBuf,
    committed: bool,
}

pub(crate) fn stage(path: &Path, text: &str) -> Result<Staged> {
    let failed = |e: std::io::Error| cannot_write(path, &e);
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => {
            return Err(Error::Export {
                path: path.to_path_buf(),
                reason: "a folder has that name".into(),
                advice: "remove or rename that folder, or export to another place",
            })
        }
        Ok(m) if m.is_file() => narrow(path).map_err(failed)?,
        // A link is replaced, never followed; a missing file is created.
        _ => {}
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().ok_or_else(|| Error::Export {
        path: path.to_path_buf(),
        reason: "it names no file".into(),
        advice: "give a file or folder name",
    })?;
    let temp = dir.join(format!(
        ".{}.{:016x}.tmp",
        name.to_string_lossy(),
        rand::random::<u64>()
    ));
    let mut file = create_private(&temp).map_err(failed)?;
    // From here on, dropping `staged` removes the temporary file.
    let staged = Staged {
        temp,
        path: path.to_path_buf(),
        dir,
        committed: false,
    };
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all());
    // Closed before a failure removes it (Windows removes no open file).
    drop(file);
    written.map_err(failed)?;
    Ok(staged)
}

impl Staged {
    /// Renames the copy over its path; the rename is durable once the directory is
    /// flushed.
    pub(crate) fn commit(mut self) -> Result<()> {
        std::fs::rename(&self.temp, &self.path).map_err(|e| cannot_write(&self.path, &e))?;
        self.committed = true;
        sync_dir(&self.dir).map_err(|e| cannot_write(&self.path, &e))
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// A new file, 0600 from its creation on Unix: the key is never readable by others.
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// The export failure for an I/O error at `path`, with what to do about it.
fn cannot_write(path: &Path, e: &std::io::Error) -> Error {
    use std::io::ErrorKind as K;
    let advice = match e.kind() {
        K::NotFound => "create its folder first, or export to another place",
        K::PermissionDenied | K::ReadOnlyFilesystem => "export to a folder you may write to",
        K::StorageFull | K::QuotaExceeded => "free some space, or export to another disk",
        _ => "check its folder, or export to another place",
    };
    Error::Export {
        path: path.to_path_buf(),
        reason: e.to_string(),
        advice,
    }
}

#[cfg(unix)]
fn narrow(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn narrow(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_testkit::fs::entries;
    #[cfg(unix)]
    use keyward_testkit::fs::mode;
    use serde_json::{json, Value};

    #[cfg(unix)]
    #[test]
    fn an_existing_readable_file_is_narrowed_before_the_key_is_in_it() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mine.postman_environment.json");
        std::fs::write(&path, "an earlier export").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let key = "kwa_thekeyitself";

        let staged = stage(&path, &format!("{{\"apiKey\": \"{key}\"}}\n")).unwrap();
        // The key is written, flushed and waiting; the file at the path is already private
        // and does not hold it yet.
        assert_eq!(mode(&path), 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "an earlier export");
        assert_eq!(mode(&staged.temp), 0o600);

        staged.commit().unwrap();
        assert_eq!(mode(&path), 0o600);
        let written: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(written["apiKey"], key);
        assert_eq!(entries(dir.path()), ["mine.postman_environment.json"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_new_file_is_created_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.json");
        write_private(&[(path.as_path(), &json!({"a": 1}))]).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\n  \"a\": 1\n}\n"
        );
    }

    /// A value whose encoding may fail.
    enum Encoding {
        Fine,
        Fails,
    }

    impl Serialize for Encoding {
        fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            match self {
                Encoding::Fine => s.serialize_str("fine"),
                Encoding::Fails => Err(serde::ser::Error::custom("no encoding for this")),
            }
        }
    }

    #[test]
    fn nothing_is_created_unless_everything_encodes() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("collection.json");
        let second = dir.path().join("env.json");
        let e = write_private(&[
            (first.as_path(), &Encoding::Fine),
            (second.as_path(), &Encoding::Fails),
        ])
        .unwrap_err();
        assert_eq!(e.code(), "EXPORT_FAILED");
        assert!(e.to_string().contains("no encoding for this"), "{e}");
        assert!(e.to_string().contains("env.json"), "{e}");
        assert!(
            entries(dir.path()).is_empty(),
            "no file, not even the first"
        );
        std::fs::write(&second, "kept").unwrap();
        write_private(&[(second.as_path(), &Encoding::Fails)]).unwrap_err();
        assert_eq!(std::fs::read_to_string(&second).unwrap(), "kept");
        assert_eq!(entries(dir.path()), ["env.json"]);
    }

    #[test]
    fn a_failed_write_names_the_file_and_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let fine = dir.path().join("collection.json");
        // A folder in the file's place.
        let taken = dir.path().join("env.json");
        std::fs::create_dir(&taken).unwrap();
        let e = write_private(&[
            (fine.as_path(), &json!({"k": "v"})),
            (taken.as_path(), &json!({"k": "v"})),
        ])
        .unwrap_err();
        assert_eq!(e.code(), "EXPORT_FAILED");
        assert!(e.to_string().contains("env.json"), "{e}");
        assert!(e.to_string().contains("a folder has that name"), "{e}");
        assert_eq!(entries(dir.path()), ["env.json"], "the first file neither");
        assert!(entries(&taken).is_empty());
        // A folder that does not exist.
        let nowhere = dir.path().join("missing").join("env.json");
        let e = write_private(&[(nowhere.as_path(), &json!({"k": "v"}))]).unwrap_err();
        assert!(e.to_string().contains("missing"), "{e}");
        assert!(e.to_string().contains("create its folder first"), "{e}");
        assert_eq!(entries(dir.path()), ["env.json"]);
    }
}
