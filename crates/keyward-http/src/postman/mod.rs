//! What "Copy as cURL" and "Export for Postman" produce for a key and this API, and the
//! one export both front ends call. The collection describes the routes of this crate, so
//! it is built from their OpenAPI declarations (see `collection`).

mod collection;
mod files;
mod manage_steps;

use std::path::{Path, PathBuf};

use keyward_core::{Disclosure, Secret, Store};
use serde_json::{json, Value};

use crate::Result;

pub use collection::collection;

/// A ready-to-paste command that exchanges the key for a token.
pub fn curl_command(base_url: &str, key: &Secret) -> String {
    format!(
        "curl -X POST {base_url}/v1/tokens -H \"Authorization: Bearer {}\"",
        key.expose()
    )
}

/// A Postman environment with `baseUrl` and `apiKey` filled in.
pub fn environment(key_id: &str, key_name: &str, base_url: &str, key: &Secret) -> Value {
    json!({
        "id": key_id,
        "name": format!("Keyward – {key_name}"),
        "values": [
            {"key": "baseUrl", "value": base_url, "type": "default", "enabled": true},
            {"key": "apiKey", "value": key.expose(), "type": "secret", "enabled": true},
        ],
        "_postman_variable_scope": "environment",
    })
}

/// A file name for the exported environment, safe on every platform.
pub fn environment_file_name(key_name: &str) -> String {
    format!("keyward-{}.postman_environment.json", slug(key_name))
}

/// A file name for the exported collection, beside the environment's.
pub fn collection_file_name(key_name: &str) -> String {
    format!("keyward-{}.postman_collection.json", slug(key_name))
}

fn slug(key_name: &str) -> String {
    let slug: String = key_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if slug.is_empty() {
        "key".to_owned()
    } else {
        slug
    }
}

/// Where an export's two files go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportPaths {
    pub collection: PathBuf,
    /// Holds the key.
    pub environment: PathBuf,
}

impl ExportPaths {
    /// Both files in `dir`, named after the key.
    pub fn in_dir(dir: &Path, key_name: &str) -> ExportPaths {
        ExportPaths {
            collection: dir.join(collection_file_name(key_name)),
            environment: dir.join(environment_file_name(key_name)),
        }
    }

    /// Where the command line's `--out` says: the current directory when absent, a given
    /// directory, or a prefix `FILE` for `FILE.postman_collection.json` and
    /// `FILE.postman_environment.json`.
    pub fn at(dest: Option<PathBuf>, key_name: &str) -> ExportPaths {
        let Some(dest) = dest else {
            return ExportPaths::in_dir(Path::new("."), key_name);
        };
        if dest.is_dir() {
            return ExportPaths::in_dir(&dest, key_name);
        }
        let mut prefix = dest.into_os_string().into_string().unwrap_or_else(|p| {
            // A non-UTF-8 path: keep it as given.
            p.to_string_lossy().into_owned()
        });
        for suffix in [".json", ".postman_collection", ".postman_environment"] {
            if let Some(p) = prefix.strip_suffix(suffix) {
                prefix = p.to_owned();
            }
        }
        ExportPaths {
            collection: PathBuf::from(format!("{prefix}.postman_collection.json")),
            environment: PathBuf::from(format!("{prefix}.postman_environment.json")),
        }
    }
}

/// What an export wrote, for the front end to report.
#[derive(Debug, Clone)]
pub struct Exported {
    pub id: String,
    pub name: String,
    pub masked_key: String,
    pub base_url: String,
    pub paths: ExportPaths,
}

/// Exports key `key` for Postman: the collection of this API's routes and an environment
/// holding the key, both readable by their owner only. `place` says where, given the
/// key's name.
///
/// The key is revealed (and the export audited) and both files are encoded before any
/// file is touched, so a key that cannot be unsealed leaves nothing behind. A file already
/// at either path is narrowed to 0600 first (it may hold an earlier export's key); each
/// file is then written to a new 0600 file beside its path, flushed, and renamed into
/// place only once both are ready. A failure to write is [`crate::Error::Export`]
/// (`EXPORT_FAILED`), naming the file and what to do; it leaves no new file behind.
pub fn export(
    store: &Store,
    key: &str,
    place: impl FnOnce(&str) -> ExportPaths,
) -> Result<Exported> {
    let base = crate::base_url(store.settings()?.local_api_port);
    export_from(&keyward_core::Acting::owner(store), base, key, place)
}

/// [`export`] for a key wherever its store is (a team server's, say), for the API at
/// `base`.
pub fn export_from(
    m: &dyn keyward_core::Manage,
    base: String,
    key: &str,
    place: impl FnOnce(&str) -> ExportPaths,
) -> Result<Exported> {
    let view = m.key_view(key)?;
    let paths = place(&view.name);
    let secret = m.reveal_key(&view.id, Disclosure::ExportForPostman)?;
    let collection = collection(&base);
    let environment = environment(&view.id, &view.name, &base, &secret);
    files::write_private(&[
        (paths.collection.as_path(), &collection),
        (paths.environment.as_path(), &environment),
    ])?;
    Ok(Exported {
        id: view.id,
        name: view.name,
        masked_key: view.masked_key,
        base_url: base,
        paths,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::SecretKind;

    #[test]
    fn environment_carries_base_url_and_key() {
        let k = Secret::generate(SecretKind::AgencyKey);
        let env = environment("key_1", "Zapier sync", &crate::base_url(7420), &k);
        assert_eq!(env["values"][0]["value"], "http://127.0.0.1:7420");
        assert_eq!(env["values"][1]["key"], "apiKey");
        assert_eq!(env["values"][1]["value"], k.expose());
        assert_eq!(env["_postman_variable_scope"], "environment");
    }

    #[test]
    fn curl_posts_to_the_token_route() {
        let k = Secret::generate(SecretKind::AgencyKey);
        let c = curl_command("http://127.0.0.1:7420", &k);
        assert!(c.starts_with("curl -X POST http://127.0.0.1:7420/v1/tokens"));
        assert!(c.contains(&format!("Bearer {}", k.expose())));
    }

    #[test]
    fn export_paths_take_a_directory_or_a_prefix() {
        let p = ExportPaths::at(None, "Zapier sync");
        assert_eq!(
            p.collection,
            Path::new("./keyward-zapier-sync.postman_collection.json")
        );
        assert_eq!(
            p.environment,
            Path::new("./keyward-zapier-sync.postman_environment.json")
        );
        let dir = tempfile::tempdir().unwrap();
        let p = ExportPaths::at(Some(dir.path().to_path_buf()), "Zapier sync");
        assert_eq!(
            p.collection,
            dir.path()
                .join("keyward-zapier-sync.postman_collection.json")
        );
        for given in ["out/zap", "out/zap.json", "out/zap.postman_collection.json"] {
            let p = ExportPaths::at(Some(PathBuf::from(given)), "x");
            assert_eq!(
                p.collection,
                Path::new("out/zap.postman_collection.json"),
                "{given}"
            );
            assert_eq!(
                p.environment,
                Path::new("out/zap.postman_environment.json"),
                "{given}"
            );
        }
    }

    #[test]
    fn file_names_are_slugs() {
        assert_eq!(
            collection_file_name("Zapier – weekly export!"),
            "keyward-zapier-weekly-export.postman_collection.json"
        );
        assert_eq!(
            environment_file_name("Zapier – weekly export!"),
            "keyward-zapier-weekly-export.postman_environment.json"
        );
        assert_eq!(
            environment_file_name("ü"),
            "keyward-key.postman_environment.json"
        );
    }
}
