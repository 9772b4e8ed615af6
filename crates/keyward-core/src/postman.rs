//! What "Copy as cURL" and "Export for Postman" produce for a key and the loopback API,
//! and the one way both front ends write an export to disk.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::keys::Disclosure;
use crate::secret::Secret;
use crate::store::Store;

/// The loopback API's base URL for a port.
pub fn base_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

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

/// Exports key `key` for Postman: the collection of the local API's routes and an
/// environment holding the key, both private to their owner (see [`write_private`]).
/// `place` says where, given the key's name. The key is revealed (and the export
/// audited) before anything is written, so a key that cannot be unsealed leaves no file.
pub fn export(
    store: &Store,
    key: &str,
    place: impl FnOnce(&str) -> ExportPaths,
) -> Result<Exported> {
    let view = store.key_view(key)?;
    let base = base_url(store.settings()?.local_api_port);
    let paths = place(&view.name);
    let secret = store.reveal_key(&view.id, Disclosure::ExportForPostman)?;
    write_private(&paths.collection, &collection(&base))?;
    write_private(
        &paths.environment,
        &environment(&view.id, &view.name, &base, &secret),
    )?;
    Ok(Exported {
        id: view.id,
        name: view.name,
        masked_key: view.masked_key,
        base_url: base,
        paths,
    })
}

/// Writes `value` as pretty JSON to `path`, readable by its owner only (0600 on Unix),
/// all or nothing: it is encoded first, written to a new 0600 file beside `path`,
/// flushed to disk, then renamed over `path`. A file already at `path` is narrowed to
/// 0600 before anything is written (it may hold the key of an earlier export). A failure
/// leaves `path` as it was (narrowed) and no temporary file, and names the file.
pub fn write_private<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<()> {
    let cannot = |e: std::io::Error| {
        Error::invalid(format!("cannot write the export {}: {e}", path.display()))
    };
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::invalid(format!("cannot encode the export {}: {e}", path.display())))?;
    text.push('\n');
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => {
            return Err(Error::invalid(format!(
                "cannot write the export {}: it is a directory",
                path.display()
            )))
        }
        Ok(m) if m.is_file() => narrow(path).map_err(cannot)?,
        // A link is replaced, never followed; a missing file is created.
        _ => {}
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| {
        Error::invalid(format!(
            "cannot write the export {}: it names no file",
            path.display()
        ))
    })?;
    let temp = dir.join(format!(
        ".{}.{:016x}.tmp",
        name.to_string_lossy(),
        rand::random::<u64>()
    ));
    let written = create_private(&temp).and_then(|mut f| {
        f.write_all(text.as_bytes())?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&temp, path)) {
        let _ = std::fs::remove_file(&temp);
        return Err(cannot(e));
    }
    sync_dir(dir).map_err(cannot)
}

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

#[cfg(unix)]
fn narrow(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn narrow(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// The rename is durable once the directory is flushed.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

/// A Postman Collection v2.1 of the loopback API's routes. It uses `{{baseUrl}}` and
/// `{{apiKey}}` from the environment (the key is never in the collection itself): the
/// token exchange keeps the new token in the collection variable `token`, which the next
/// request uses. Every request carries tests (`pm.test`), so running the collection (in
/// Postman or with newman) checks the API end to end.
pub fn collection(base_url: &str) -> Value {
    let items = [
        Item {
            name: "Health",
            description: "Is the local API up?",
            method: "GET",
            path: "/v1/health",
            bearer: None,
            body: None,
            status: 200,
            test: r#"pm.test("the API is up", function () {
    pm.expect(pm.response.json().status).to.eql("ok");
});"#,
        },
        Item {
            name: "Exchange the API key for a token",
            description: "POST /v1/tokens with the API key as a Bearer credential: 201 with a \
                          new token, shown once. It is kept in the collection variable `token`.",
            method: "POST",
            path: "/v1/tokens",
            bearer: Some("{{apiKey}}"),
            body: None,
            status: 201,
            test: r#"pm.test("a token is returned and kept", function () {
    const body = pm.response.json();
    pm.expect(body.token).to.match(/^kwt_/);
    pm.expect(body.expires_at).to.be.a("string");
    pm.collectionVariables.set("token", body.token);
});"#,
        },
        Item {
            name: "Who am I (token)",
            description: "GET /v1/me with the token just minted.",
            method: "GET",
            path: "/v1/me",
            bearer: Some("{{token}}"),
            body: None,
            status: 200,
            test: r#"pm.test("the token is recognised", function () {
    const body = pm.response.json();
    pm.expect(body.valid).to.eql(true);
    pm.expect(body.kind).to.eql("token");
});"#,
        },
        Item {
            name: "Who am I (API key)",
            description: "GET /v1/me with the API key.",
            method: "GET",
            path: "/v1/me",
            bearer: Some("{{apiKey}}"),
            body: None,
            status: 200,
            test: r#"pm.test("the API key is recognised", function () {
    const body = pm.response.json();
    pm.expect(body.valid).to.eql(true);
    pm.expect(body.kind).to.eql("api_key");
});"#,
        },
        Item {
            name: "Verify the API key",
            description: "POST /v1/verify with {\"key\": …}: 200 with valid true and the \
                          identity, or valid false and a code (MALFORMED, NOT_FOUND, REVOKED, \
                          DISABLED, EXPIRED, USER_DEACTIVATED, API_ACCESS_OFF).",
            method: "POST",
            path: "/v1/verify",
            bearer: None,
            body: Some("{\n    \"key\": \"{{apiKey}}\"\n}"),
            status: 200,
            test: r#"pm.test("the key is valid", function () {
    pm.expect(pm.response.json().valid).to.eql(true);
});"#,
        },
        Item {
            name: "OpenAPI document",
            description: "The OpenAPI 3.1 description of these routes.",
            method: "GET",
            path: "/openapi.json",
            bearer: None,
            body: None,
            status: 200,
            test: r#"pm.test("it is OpenAPI 3.1", function () {
    pm.expect(pm.response.json().openapi).to.match(/^3\.1\./);
});"#,
        },
    ];
    json!({
        "info": {
            "name": "Keyward local API",
            "description": "Keyward's loopback API. Import the environment exported with this \
                            collection (it holds `baseUrl` and `apiKey`), select it, then send \
                            the requests in order, or run the collection.",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "variable": [
            {"key": "baseUrl", "value": base_url, "type": "string"},
            {"key": "token", "value": "", "type": "string"},
        ],
        "item": items.iter().map(Item::to_json).collect::<Vec<_>>(),
    })
}

/// One request of the collection, with the status it must answer and a further test.
struct Item {
    name: &'static str,
    description: &'static str,
    method: &'static str,
    path: &'static str,
    /// The Bearer credential, a variable reference.
    bearer: Option<&'static str>,
    /// A raw JSON body.
    body: Option<&'static str>,
    status: u16,
    test: &'static str,
}

impl Item {
    fn to_json(&self) -> Value {
        let mut request = json!({
            "method": self.method,
            "description": self.description,
            "header": [],
            "url": {
                "raw": format!("{{{{baseUrl}}}}{}", self.path),
                "host": ["{{baseUrl}}"],
                "path": self.path.trim_start_matches('/').split('/').collect::<Vec<_>>(),
            },
            "auth": match self.bearer {
                Some(credential) => json!({
                    "type": "bearer",
                    "bearer": [{"key": "token", "value": credential, "type": "string"}],
                }),
                None => json!({"type": "noauth"}),
            },
        });
        if let Some(body) = self.body {
            request["header"] = json!([{"key": "Content-Type", "value": "application/json"}]);
            request["body"] = json!({
                "mode": "raw",
                "raw": body,
                "options": {"raw": {"language": "json"}},
            });
        }
        let status = format!(
            "pm.test(\"status is {0}\", function () {{\n    pm.response.to.have.status({0});\n}});",
            self.status
        );
        let exec: Vec<&str> = status.lines().chain(self.test.lines()).collect();
        json!({
            "name": self.name,
            "request": request,
            "response": [],
            "event": [{
                "listen": "test",
                "script": {"type": "text/javascript", "exec": exec},
            }],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::SecretKind;

    #[test]
    fn environment_carries_base_url_and_key() {
        let k = Secret::generate(SecretKind::AgencyKey);
        let env = environment("key_1", "Zapier sync", &base_url(7420), &k);
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
    fn collection_covers_every_route_with_tests_and_no_secret() {
        let c = collection(&base_url(7420));
        assert_eq!(
            c["info"]["schema"],
            "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
        );
        assert_eq!(c["variable"][0]["key"], "baseUrl");
        assert_eq!(c["variable"][0]["value"], "http://127.0.0.1:7420");
        let items = c["item"].as_array().unwrap();
        let routes: Vec<String> = items
            .iter()
            .map(|i| format!("{} {}", i["request"]["method"], i["request"]["url"]["raw"]))
            .collect();
        for route in [
            "GET /v1/health",
            "POST /v1/tokens",
            "GET /v1/me",
            "POST /v1/verify",
            "GET /openapi.json",
        ] {
            let (method, path) = route.split_once(' ').unwrap();
            let want = format!("\"{method}\" \"{{{{baseUrl}}}}{path}\"");
            assert!(routes.contains(&want), "{want} missing: {routes:?}");
        }
        let script = |i: &Value| {
            i["event"][0]["script"]["exec"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l.as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
                .join("\n")
        };
        for i in items {
            assert_eq!(i["event"][0]["listen"], "test");
            assert!(script(i).contains("pm.response.to.have.status("));
        }
        // The exchange keeps the token; the /v1/me after it uses it.
        let exchange = routes
            .iter()
            .position(|r| r.contains("/v1/tokens"))
            .unwrap();
        assert!(script(&items[exchange]).contains("pm.collectionVariables.set(\"token\""));
        let bearer = |i: &Value| i["request"]["auth"]["bearer"][0]["value"].clone();
        assert_eq!(bearer(&items[exchange]), "{{apiKey}}");
        assert_eq!(bearer(&items[exchange + 1]), "{{token}}");
        let text = c.to_string();
        assert!(
            !text.contains("kwa_") && !text.contains("kwl_"),
            "no key in the collection"
        );
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[cfg(unix)]
    #[test]
    fn an_existing_readable_file_becomes_private_and_holds_the_key() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mine.postman_environment.json");
        std::fs::write(&path, "an earlier export").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let k = Secret::generate(SecretKind::AgencyKey);
        write_private(&path, &environment("key_1", "Zapier", &base_url(7420), &k)).unwrap();
        assert_eq!(mode(&path), 0o600);
        let written: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(written["values"][1]["value"], k.expose());
        assert_eq!(entries(dir.path()), ["mine.postman_environment.json"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_new_file_is_created_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.json");
        write_private(&path, &json!({"a": 1})).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\n  \"a\": 1\n}\n"
        );
    }

    /// A value whose encoding fails.
    struct Unencodable;

    impl Serialize for Unencodable {
        fn serialize<S: serde::Serializer>(&self, _: S) -> std::result::Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("no encoding for this"))
        }
    }

    #[test]
    fn a_failed_encoding_leaves_the_file_as_it_was_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("env.json");
        let e = write_private(&path, &Unencodable).unwrap_err();
        assert_eq!(e.code(), "INVALID_INPUT");
        assert!(e.to_string().contains("no encoding for this"), "{e}");
        assert!(entries(dir.path()).is_empty(), "no empty file is left");
        std::fs::write(&path, "kept").unwrap();
        write_private(&path, &Unencodable).unwrap_err();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "kept");
        assert_eq!(entries(dir.path()), ["env.json"]);
    }

    #[test]
    fn a_failed_write_names_the_file_and_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        // A directory in the file's place: the rename fails after the write.
        let taken = dir.path().join("env.json");
        std::fs::create_dir(&taken).unwrap();
        let e = write_private(&taken, &json!({"k": "v"})).unwrap_err();
        assert!(e.to_string().contains("env.json"), "{e}");
        assert_eq!(entries(dir.path()), ["env.json"]);
        assert!(entries(&taken).is_empty());
        // A directory that does not exist.
        let nowhere = dir.path().join("missing").join("env.json");
        let e = write_private(&nowhere, &json!({"k": "v"})).unwrap_err();
        assert!(e.to_string().contains("missing"), "{e}");
        assert_eq!(entries(dir.path()), ["env.json"]);
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
