//! The Postman collection run by newman against a real server: with only the exported
//! environment (the API key), the requests for API keys run and the management folders
//! are skipped; with a management token, every request runs, in order, and every test in
//! it passes. Skipped when newman is not installed (`npm ci` at the repository root).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::manage::Team;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs newman on `collection` with `environment` and extra `--env-var`s: the run's
/// stats, and its report when it failed.
fn newman(dir: &Path, vars: &[(&str, &str)]) -> (Value, String, bool) {
    let summary = dir.join("newman.json");
    let mut cmd = Command::new("npx");
    cmd.current_dir(root())
        .args(["--no-install", "newman", "run"])
        .arg(dir.join("keyward.postman_collection.json"))
        .arg("-e")
        .arg(dir.join("keyward.postman_environment.json"))
        .args(["--color", "off", "--timeout-request", "5000"])
        .args(["--reporters", "cli,json", "--reporter-json-export"])
        .arg(&summary);
    for (k, v) in vars {
        cmd.arg("--env-var").arg(format!("{k}={v}"));
    }
    let out = cmd.output().expect("run newman");
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    (json["run"]["stats"].clone(), report, out.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newman_runs_the_management_folders_with_a_management_token() {
    if !root().join("node_modules/.bin/newman").exists() {
        eprintln!("SKIPPED: newman is not installed (run `npm ci` at the repository root)");
        return;
    }
    let t = Team::start().await;
    let base = keyward_http::base_url(t.port);
    let key = keyward_core::Secret::from_text(t.ada.key_secret.clone());
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, v: &Value| {
        std::fs::write(dir.path().join(name), serde_json::to_vec_pretty(v).unwrap()).unwrap();
    };
    write(
        "keyward.postman_collection.json",
        &keyward_http::postman::collection(&base),
    );
    write(
        "keyward.postman_environment.json",
        &keyward_http::postman::environment(&t.ada.key, "Main", &base, &key),
    );
    let path = dir.path().to_owned();

    // The exported environment alone: the six requests for API keys.
    let p = path.clone();
    let (stats, report, ok) = tokio::task::spawn_blocking(move || newman(&p, &[]))
        .await
        .unwrap();
    assert!(ok, "{report}");
    assert_eq!(stats["requests"]["total"], 6, "{report}");
    assert_eq!(stats["assertions"]["failed"], 0, "{report}");

    // With a management token, every request.
    let token = t.ada.mgmt.clone();
    let (stats, report, ok) =
        tokio::task::spawn_blocking(move || newman(&path, &[("managementToken", &token)]))
            .await
            .unwrap();
    assert!(ok, "{report}");
    let requests = keyward_http::postman::collection(&base)["item"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["item"].as_array().map_or(1, Vec::len))
        .sum::<usize>();
    assert_eq!(stats["requests"]["total"], requests, "{report}");
    assert_eq!(stats["assertions"]["failed"], 0, "{report}");
    // What the run made, audited as the token's site manager through plain HTTP.
    let made = t
        .store
        .audit(&keyward_core::AuditFilter {
            entity: Some("location".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(made[0].actor, "http");
    assert_eq!(made[0].actor_user_id.as_deref(), Some(t.ada.user.as_str()));
}
