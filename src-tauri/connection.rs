//! Which store the window shows: this computer's, or a team server's (Preferences ›
//! Connection). The server's address is kept in `connection.json` in the data directory;
//! its management token in the OS keychain, or — where no keychain answers — in a 0600
//! file beside it, as the master key is.

use std::path::Path;
use std::sync::Arc;

use keyward_client::Remote;
use serde::{Deserialize, Serialize};

use crate::state::APP_IDENTIFIER;

const FILE: &str = "connection.json";
const TOKEN_FILE: &str = "server.token";
const KEYCHAIN_USER: &str = "team-server-token";

/// What the window says of the store it shows.
pub const THIS_COMPUTER: &str = "This computer";

#[derive(Serialize, Deserialize)]
struct Saved {
    server: String,
}

/// Certificates to trust beyond the system's, for a server with its own authority.
fn extra_ca() -> Option<std::path::PathBuf> {
    std::env::var_os("KEYWARD_CA_CERT")
        .filter(|c| !c.is_empty())
        .map(std::path::PathBuf::from)
}

/// A client of the server at `url` with `token`, as the desktop app.
pub fn client(url: &str, token: keyward_core::Secret) -> keyward_core::Result<Remote> {
    Remote::connect(url, token, "desktop", extra_ca().as_deref())
}

/// The server the app was connected to when it last ran, if any (and its token is
/// still where it was kept).
pub fn load(dir: &Path, use_keychain: bool) -> Option<Arc<Remote>> {
    let saved: Saved = serde_json::from_slice(&std::fs::read(dir.join(FILE)).ok()?).ok()?;
    let token = read_token(dir, use_keychain)?;
    match client(&saved.server, token) {
        Ok(r) => Some(Arc::new(r)),
        Err(e) => {
            log::warn!("the saved team server connection is unusable: {e}");
            None
        }
    }
}

/// Remembers the server and its token for the next start.
pub fn save(
    dir: &Path,
    url: &str,
    token: &keyward_core::Secret,
    use_keychain: bool,
) -> std::io::Result<()> {
    let in_keychain = use_keychain
        && keyring::Entry::new(APP_IDENTIFIER, KEYCHAIN_USER)
            .and_then(|e| e.set_password(token.expose()))
            .is_ok();
    if in_keychain {
        let _ = std::fs::remove_file(dir.join(TOKEN_FILE));
    } else {
        keyward_core::archive::save(&dir.join(TOKEN_FILE), token.expose().as_bytes())?;
    }
    let json = serde_json::to_vec(&Saved {
        server: url.to_owned(),
    })
    .map_err(std::io::Error::other)?;
    keyward_core::archive::save(&dir.join(FILE), &json)
}

/// Forgets the server and its token: the window shows this computer's store again.
pub fn forget(dir: &Path, use_keychain: bool) {
    let _ = std::fs::remove_file(dir.join(FILE));
    let _ = std::fs::remove_file(dir.join(TOKEN_FILE));
    if use_keychain {
        if let Ok(e) = keyring::Entry::new(APP_IDENTIFIER, KEYCHAIN_USER) {
            let _ = e.delete_credential();
        }
    }
}

fn read_token(dir: &Path, use_keychain: bool) -> Option<keyward_core::Secret> {
    if use_keychain {
        if let Ok(t) =
            keyring::Entry::new(APP_IDENTIFIER, KEYCHAIN_USER).and_then(|e| e.get_password())
        {
            return Some(keyward_core::Secret::from_text(t));
        }
    }
    let text = std::fs::read_to_string(dir.join(TOKEN_FILE)).ok()?;
    Some(keyward_core::Secret::from_text(text.trim().to_owned()))
}

/// How the window names a store: "This computer", or the server's host.
pub fn label(server: Option<&Remote>) -> String {
    match server {
        None => THIS_COMPUTER.to_owned(),
        Some(r) => url::Url::parse(r.url())
            .ok()
            .and_then(|u| {
                u.host_str().map(|h| match u.port() {
                    Some(p) => format!("{h}:{p}"),
                    None => h.to_owned(),
                })
            })
            .unwrap_or_else(|| r.url().to_owned()),
    }
}

/// The window's title for the store it shows.
pub fn title(label: &str) -> String {
    format!("Settings › API keys — {label} — Keyward")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_connection_comes_back_with_its_token_from_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let token = keyward_core::Secret::generate(keyward_core::SecretKind::Management);
        save(dir.path(), "https://keys.example.org", &token, false).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(TOKEN_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let remote = load(dir.path(), false).unwrap();
        assert_eq!(remote.url(), "https://keys.example.org");
        assert_eq!(label(Some(&remote)), "keys.example.org");
        forget(dir.path(), false);
        assert!(load(dir.path(), false).is_none());
        assert!(!dir.path().join(TOKEN_FILE).exists());
        assert_eq!(label(None), "This computer");
    }
}
