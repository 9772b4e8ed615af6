//! Sealing API keys at rest. The plaintext of an API key is kept (users copy keys again
//! later) but only encrypted with XChaCha20-Poly1305 under a master key that never sits in
//! the database; the key id is the associated data, so a sealed blob moved onto another
//! key does not open. Where the master key lives is a `MasterKeySource`.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use std::io::Write;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

const NONCE_LEN: usize = 24;

/// The 256-bit key that seals API keys. Wiped from memory on drop; `Debug` hides it.
#[derive(Clone)]
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl MasterKey {
    pub fn generate() -> MasterKey {
        let mut k = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(k.as_mut());
        MasterKey(k)
    }

    pub fn from_bytes(bytes: [u8; 32]) -> MasterKey {
        MasterKey(Zeroizing::new(bytes))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.0.as_ref().into())
    }
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(…)")
    }
}

/// A new file (never an existing one) readable and writable by its owner only (0600).
pub fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// Where the master key is kept: a 0600 file here, the OS keychain in the desktop app.
pub trait MasterKeySource: Send + Sync {
    /// A short stable name recorded in the database ("file", "keychain").
    fn kind(&self) -> &'static str;
    /// Where the key is, for messages ("/home/ada/.local/share/…/master.key").
    fn describe(&self) -> String;
    /// The stored key, or `None` if there is none.
    fn load(&self) -> Result<Option<MasterKey>>;
    /// Stores a new key. Only called for a database that has never sealed anything.
    fn store(&self, key: &MasterKey) -> Result<()>;
}

/// The master key in a file readable only by its owner, beside (not inside) the sled
/// directory.
#[derive(Debug, Clone)]
pub struct FileMasterKey {
    path: PathBuf,
}

impl FileMasterKey {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileMasterKey { path: path.into() }
    }

    /// Refuses the file if its group or other users may read it: for a key file named by
    /// the user (shared by team server nodes), which Keyward does not narrow itself as it
    /// does the files of its data directory.
    #[cfg(unix)]
    pub fn check_private(&self) -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = std::fs::metadata(&self.path) else {
            return Ok(());
        };
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(Error::MasterKeyUnavailable(format!(
                "the master key file {} can be read by other users (mode {mode:04o}) — make it private with chmod 600 {}",
                self.path.display(),
                self.path.display()
            )));
        }
        Ok(())
    }

    #[cfg(not(unix))]
    pub fn check_private(&self) -> Result<()> {
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl MasterKeySource for FileMasterKey {
    fn kind(&self) -> &'static str {
        "file"
    }

    fn describe(&self) -> String {
        format!("the key file {}", self.path.display())
    }

    fn load(&self) -> Result<Option<MasterKey>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => Zeroizing::new(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::MasterKeyUnavailable(format!(
                    "the master key file {} cannot be read: {e}",
                    self.path.display()
                )))
            }
        };
        use base64::Engine;
        let bytes = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .map_err(|_| self.damaged())?,
        );
        let arr: [u8; 32] = bytes.as_slice().try_into().map_err(|_| self.damaged())?;
        Ok(Some(MasterKey::from_bytes(arr)))
    }

    fn store(&self, key: &MasterKey) -> Result<()> {
        use base64::Engine;
        let text = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(key.as_bytes()));
        let cannot = |e: std::io::Error| {
            Error::MasterKeyUnavailable(format!(
                "cannot create the master key file {}: {e}",
                self.path.display()
            ))
        };
        // Written whole to a temporary file, then linked into place: a crash never
        // leaves a half-written key file, and an existing one is never replaced.
        let tmp = self
            .path
            .with_extension(format!("tmp-{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let written = (|| {
            let mut f = create_private_file(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.write_all(b"\n")?;
            f.sync_all()?;
            std::fs::hard_link(&tmp, &self.path)
        })();
        let _ = std::fs::remove_file(&tmp);
        written.map_err(cannot)?;
        if let Some(dir) = self.path.parent() {
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

impl FileMasterKey {
    fn damaged(&self) -> Error {
        Error::MasterKeyUnavailable(format!(
            "the master key file {} is damaged (it must hold 32 bytes in base64)",
            self.path.display()
        ))
    }
}

/// The master key in the operating system's keychain (Secret Service on Linux, Keychain
/// on macOS, Credential Manager on Windows), one entry per data directory.
#[cfg(feature = "keychain")]
#[derive(Debug, Clone)]
pub struct KeychainMasterKey {
    service: String,
    account: String,
}

#[cfg(feature = "keychain")]
impl KeychainMasterKey {
    pub fn new(service: &str, data_dir: &Path) -> Self {
        use sha2::{Digest, Sha256};
        let canonical = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
        let digest = Sha256::digest(canonical.to_string_lossy().as_bytes());
        let tag: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        KeychainMasterKey {
            service: service.to_owned(),
            account: format!("master-key-{tag}"),
        }
    }

    fn entry(&self) -> Result<keyring::Entry> {
        keyring::Entry::new(&self.service, &self.account).map_err(|e| {
            Error::MasterKeyUnavailable(format!("the OS keychain is unavailable: {e}"))
        })
    }
}

#[cfg(feature = "keychain")]
impl MasterKeySource for KeychainMasterKey {
    fn kind(&self) -> &'static str {
        "keychain"
    }

    fn describe(&self) -> String {
        format!(
            "the OS keychain (service {}, entry {})",
            self.service, self.account
        )
    }

    fn load(&self) -> Result<Option<MasterKey>> {
        match self.entry()?.get_secret() {
            Ok(bytes) => {
                let bytes = Zeroizing::new(bytes);
                let arr: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
                    Error::MasterKeyUnavailable(format!("{} holds a damaged key", self.describe()))
                })?;
                Ok(Some(MasterKey::from_bytes(arr)))
            }
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(Error::MasterKeyUnavailable(format!(
                "the OS keychain is unavailable: {e}"
            ))),
        }
    }

    fn store(&self, key: &MasterKey) -> Result<()> {
        let entry = self.entry()?;
        entry.set_secret(key.as_bytes()).map_err(|e| {
            Error::MasterKeyUnavailable(format!("the OS keychain refused the key: {e}"))
        })?;
        // Read it back: some stores accept writes they cannot return.
        match entry.get_secret() {
            Ok(b) if b.as_slice() == key.as_bytes() => Ok(()),
            _ => Err(Error::MasterKeyUnavailable(
                "the OS keychain did not keep the key".into(),
            )),
        }
    }
}

/// Encrypts `plaintext` for the object `aad` (its id). Output: nonce || ciphertext+tag.
pub fn seal(key: &MasterKey, aad: &str, plaintext: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ct = key
        .cipher()
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: aad.as_bytes(),
            },
        )
        .unwrap_or_default();
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out
}

/// Opens what `seal` produced for the same `aad`; `None` if the key, the id or the bytes
/// do not match.
pub fn open(key: &MasterKey, aad: &str, sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if sealed.len() < NONCE_LEN + 16 {
        return None;
    }
    let (nonce, ct) = sealed.split_at(NONCE_LEN);
    key.cipher()
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ct,
                aad: aad.as_bytes(),
            },
        )
        .ok()
        .map(Zeroizing::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_text_opens_only_with_the_same_key_and_id() {
        let k = MasterKey::generate();
        let sealed = seal(&k, "key_1", b"kwa_secret");
        assert!(!sealed.windows(10).any(|w| w == b"kwa_secret"));
        assert_eq!(
            open(&k, "key_1", &sealed).unwrap().as_slice(),
            b"kwa_secret"
        );
        assert!(open(&k, "key_2", &sealed).is_none());
        assert!(open(&MasterKey::generate(), "key_1", &sealed).is_none());
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(open(&k, "key_1", &tampered).is_none());
    }

    #[test]
    fn file_source_creates_owner_only_file_and_reads_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let src = FileMasterKey::new(dir.path().join("master.key"));
        assert!(src.load().unwrap().is_none());
        let k = MasterKey::generate();
        src.store(&k).unwrap();
        assert_eq!(src.load().unwrap().unwrap().as_bytes(), k.as_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(src.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Never overwritten.
        assert!(src.store(&MasterKey::generate()).is_err());
        assert_eq!(src.load().unwrap().unwrap().as_bytes(), k.as_bytes());
    }

    #[test]
    fn damaged_key_file_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        std::fs::write(&path, "not base64!").unwrap();
        let err = FileMasterKey::new(&path).load().unwrap_err();
        assert_eq!(err.code(), "MASTER_KEY_UNAVAILABLE");
    }
}
