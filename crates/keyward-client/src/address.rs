//! The address file: a Keyward process that holds a data directory (the desktop app,
//! `keyward serve`) leaves where it listens (`api.json`) and a management token for this
//! computer's owner (`api.token`, 0600) there, and removes both when it exits. The
//! command line reads them when it finds the database held by another process.

use std::path::{Path, PathBuf};

use keyward_core::{Error, Result, Secret};
use serde::{Deserialize, Serialize};

const ADDRESS: &str = "api.json";
const TOKEN: &str = "api.token";

/// Where a running process listens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// The API's base URL, e.g. `http://127.0.0.1:7420`.
    pub url: String,
    /// The process that wrote it.
    pub pid: u32,
}

/// The files of a running process; removed when dropped (the process exits).
#[derive(Debug)]
pub struct AddressFile {
    dir: PathBuf,
}

impl AddressFile {
    /// Writes the address and the token. Both files are private to this user and written
    /// whole (a reader never sees half a file).
    pub fn write(dir: &Path, url: &str, token: &Secret) -> std::io::Result<AddressFile> {
        let address = Address {
            url: url.to_owned(),
            pid: std::process::id(),
        };
        let json = serde_json::to_vec(&address).map_err(std::io::Error::other)?;
        keyward_core::archive::save(&dir.join(TOKEN), token.expose().as_bytes())?;
        keyward_core::archive::save(&dir.join(ADDRESS), &json)?;
        Ok(AddressFile {
            dir: dir.to_owned(),
        })
    }

    /// The address a running process left in `dir`, with its token; `None` when there is
    /// none, or when the process that wrote it is gone.
    pub fn read(dir: &Path) -> Result<Option<(Address, Secret)>> {
        let Ok(json) = std::fs::read(dir.join(ADDRESS)) else {
            return Ok(None);
        };
        let Ok(address) = serde_json::from_slice::<Address>(&json) else {
            return Ok(None);
        };
        if !process_alive(address.pid) {
            return Ok(None);
        }
        let token = match std::fs::read_to_string(dir.join(TOKEN)) {
            Ok(t) => Secret::from_text(t.trim().to_owned()),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return Err(Error::Unauthorized(format!(
                    "the Keyward process holding {} left a token this user may not read — run keyward as the user who runs the app",
                    dir.display()
                )))
            }
            Err(_) => return Ok(None),
        };
        Ok(Some((address, token)))
    }
}

impl Drop for AddressFile {
    fn drop(&mut self) {
        // Only our own files: a newer process may have written its own since.
        let ours = std::fs::read(self.dir.join(ADDRESS))
            .ok()
            .and_then(|j| serde_json::from_slice::<Address>(&j).ok())
            .is_some_and(|a| a.pid == std::process::id());
        if ours {
            let _ = std::fs::remove_file(self.dir.join(ADDRESS));
            let _ = std::fs::remove_file(self.dir.join(TOKEN));
        }
    }
}

/// Whether a process with this id runs (always "yes" where that cannot be told).
fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_are_private_read_back_and_removed() {
        let dir = tempfile_dir();
        let token = Secret::generate(keyward_core::SecretKind::Management);
        let file = AddressFile::write(&dir, "http://127.0.0.1:7420", &token).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for f in [ADDRESS, TOKEN] {
                let mode = std::fs::metadata(dir.join(f)).unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o600, "{f}");
            }
        }
        let (address, read) = AddressFile::read(&dir).unwrap().unwrap();
        assert_eq!(address.url, "http://127.0.0.1:7420");
        assert_eq!(read.expose(), token.expose());
        drop(file);
        assert!(!dir.join(ADDRESS).exists() && !dir.join(TOKEN).exists());
        assert!(AddressFile::read(&dir).unwrap().is_none());
    }

    #[test]
    fn an_address_left_by_a_process_that_is_gone_is_ignored() {
        let dir = tempfile_dir();
        let gone = Address {
            url: "http://127.0.0.1:1".into(),
            // Beyond the kernel's pid_max.
            pid: 4_194_305,
        };
        std::fs::write(dir.join(ADDRESS), serde_json::to_vec(&gone).unwrap()).unwrap();
        std::fs::write(dir.join(TOKEN), "kwm_x").unwrap();
        if cfg!(target_os = "linux") {
            assert!(AddressFile::read(&dir).unwrap().is_none());
        }
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "keyward-address-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn rand_suffix() -> u64 {
        use std::time::{SystemTime, UNIX_EPOCH};
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
    }
}
