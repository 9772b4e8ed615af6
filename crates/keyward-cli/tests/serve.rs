//! `keyward serve` and `keyward keys export-postman`, and the exported collection run by
//! newman against a real `keyward serve` — what a Postman user does.

use keyward_core::clock::to_rfc3339;
use keyward_testkit::cli::{free_port, Kw};
use keyward_testkit::fs::mode;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("JSON")
}

#[test]
fn serve_refuses_a_port_in_use_with_exit_3() {
    let kw = Kw::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let r = kw.json(&["serve", "--port", &port]);
    let message = r.fails(3, "PORT_IN_USE");
    assert_eq!(
        message,
        format!("port {port} is in use — choose another under Preferences or with --port")
    );
    let r = kw.human(&["serve", "--port", &port]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("is in use"), "{}", r.stderr);
}

#[test]
fn serve_listens_on_the_configured_port_and_stops_cleanly_on_sigterm() {
    let kw = Kw::new();
    let port = free_port();
    kw.json(&["settings", "set", "local_api_port", &port.to_string()])
        .ok();
    let server = kw.serve(&[]);
    assert_eq!(server.port, port, "the port comes from the settings");
    assert_eq!(server.stop(), 0);
}

#[test]
fn export_postman_writes_private_files_into_a_directory_or_at_a_prefix() {
    let kw = Kw::new();
    let ada = kw.ada();
    let (key_id, secret) = kw.create_key(&ada, "Zapier sync");
    let out = tempfile::tempdir().expect("temp dir");

    let dir = out.path().to_str().expect("utf-8 path");
    let v = kw
        .json(&["keys", "export-postman", &key_id, "--out", dir])
        .ok();
    let collection = PathBuf::from(v["collection"].as_str().expect("collection path"));
    let environment = PathBuf::from(v["environment"].as_str().expect("environment path"));
    assert_eq!(
        collection,
        out.path()
            .join("keyward-zapier-sync.postman_collection.json")
    );
    assert_eq!(
        environment,
        out.path()
            .join("keyward-zapier-sync.postman_environment.json")
    );
    assert_eq!(mode(&collection), 0o600);
    assert_eq!(mode(&environment), 0o600);
    let env = read_json(&environment);
    assert_eq!(env["values"][0]["value"], "http://127.0.0.1:7420");
    assert_eq!(env["values"][1]["value"], secret.as_str());
    let c = read_json(&collection);
    assert_eq!(c["info"]["name"], "Keyward local API");
    assert!(
        !c.to_string().contains(&secret),
        "the collection holds no key"
    );

    // A prefix; an existing file's wider mode is narrowed.
    let prefix = out.path().join("mine");
    let existing = out.path().join("mine.postman_environment.json");
    std::fs::write(&existing, "{}").expect("write");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
    let r = kw.human(&[
        "keys",
        "export-postman",
        &key_id,
        "--out",
        prefix.to_str().expect("utf-8"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("holds the key"), "{}", r.stdout);
    assert_eq!(mode(&existing), 0o600);
    assert_eq!(read_json(&existing)["values"][1]["value"], secret.as_str());
    assert_eq!(
        mode(&out.path().join("mine.postman_collection.json")),
        0o600
    );

    let audit = kw.json(&["audit", "--object", &key_id]).ok();
    assert!(
        audit.to_string().contains("exported for Postman"),
        "the export is audited: {audit}"
    );
    assert!(!audit.to_string().contains(&secret));
}

#[test]
fn an_export_that_cannot_be_written_fails_with_its_own_code_and_leaves_nothing() {
    let kw = Kw::new();
    let ada = kw.ada();
    let (key_id, secret) = kw.create_key(&ada, "Zapier sync");
    let out = tempfile::tempdir().expect("temp dir");
    let nowhere = out.path().join("missing").join("zap");
    let nowhere = nowhere.to_str().expect("utf-8");

    let r = kw.json(&["keys", "export-postman", &key_id, "--out", nowhere]);
    let message = r.fails(2, "EXPORT_FAILED");
    assert!(
        message.contains(&format!("{nowhere}.postman_collection.json")),
        "names the file: {message}"
    );
    assert!(message.contains("create its folder first"), "{message}");
    assert!(!message.contains(&secret));
    let r = kw.human(&["keys", "export-postman", &key_id, "--out", nowhere]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("--out"),
        "says how to choose: {}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_dir(out.path()).expect("read dir").count(),
        0,
        "nothing was written"
    );

    // A key that does not exist is the store's refusal, as before.
    kw.json(&["keys", "export-postman", "key_missing", "--out", nowhere])
        .fails(4, "NOT_FOUND");
}

#[test]
fn newman_runs_the_exported_collection_against_keyward_serve() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    if !root.join("node_modules/.bin/newman").exists() {
        eprintln!(
            "SKIPPED newman_runs_the_exported_collection_against_keyward_serve: newman is not \
             installed (run `npm ci` at the repository root)"
        );
        return;
    }
    let kw = Kw::new();
    let ada = kw.ada();
    let (key_id, _) = kw.create_key(&ada, "Postman");
    let port = free_port();
    kw.json(&["settings", "set", "local_api_port", &port.to_string()])
        .ok();
    let out = tempfile::tempdir().expect("temp dir");
    let prefix = out.path().join("keyward");
    kw.json(&[
        "keys",
        "export-postman",
        &key_id,
        "--out",
        prefix.to_str().expect("utf-8"),
    ])
    .ok();
    assert_eq!(
        kw.json(&["keys", "show", &key_id]).ok()["last_used_at"],
        Value::Null
    );

    let server = kw.serve(&[]);
    assert_eq!(server.port, port);
    let summary = out.path().join("newman.json");
    let newman = Command::new("npx")
        .current_dir(&root)
        .args(["--no-install", "newman", "run"])
        .arg(out.path().join("keyward.postman_collection.json"))
        .arg("-e")
        .arg(out.path().join("keyward.postman_environment.json"))
        .args(["--color", "off", "--timeout-request", "5000"])
        .args(["--reporters", "cli,json", "--reporter-json-export"])
        .arg(&summary)
        .output()
        .expect("run newman");
    let report = String::from_utf8_lossy(&newman.stdout);
    assert!(
        newman.status.success(),
        "newman failed ({}):\n{report}\n{}",
        newman.status,
        String::from_utf8_lossy(&newman.stderr)
    );
    // Every request ran and every test in it passed.
    let stats = &read_json(&summary)["run"]["stats"];
    assert_eq!(stats["requests"]["total"], 6, "{report}");
    assert_eq!(stats["assertions"]["total"], 12, "{report}");
    assert_eq!(stats["assertions"]["failed"], 0, "{report}");
    assert_eq!(server.stop(), 0);

    // The key's "last used" moved, as the app shows it.
    let shown = kw.json(&["keys", "show", &key_id]).ok();
    assert_eq!(shown["last_used_at"], to_rfc3339(kw.now()).as_str());
}
