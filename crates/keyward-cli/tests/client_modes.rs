//! The command line in its three modes — on a store of its own, through the `keyward
//! serve` that holds the data directory, and as a `--server` client of a team server —
//! runs one scenario and prints the same answers, with the same exit codes.

use keyward_testkit::cli::{Kw, Run};
use serde_json::Value;

/// How a scenario step runs `keyward`: its arguments, and whether it asks for JSON.
type Runner<'a> = &'a dyn Fn(&[&str], bool) -> Run;

/// A store with its first admin (Ada) and a management token acting as her.
fn seeded() -> (Kw, String) {
    let kw = Kw::new();
    kw.add_user("Ada Admin", "ada@example.com", true);
    let token = kw
        .json(&[
            "manage-tokens",
            "create",
            "--user",
            "ada@example.com",
            "--name",
            "Scenario",
        ])
        .ok();
    (kw, token["token"].as_str().unwrap().to_owned())
}

/// Runs the scenario; each step's outcome as comparable text (ids, secrets and masks
/// replaced by their kind, list order ignored).
fn scenario(run: Runner<'_>) -> Vec<String> {
    let mut seen = Vec::new();
    let mut step = |args: &[&str], json: bool| -> Run {
        let r = run(args, json);
        seen.push(outcome(args, &r));
        r
    };
    step(
        &[
            "users",
            "add",
            "--name",
            "Ben Manager",
            "--email",
            "ben@example.com",
        ],
        true,
    );
    step(&["users", "list"], true);
    step(&["users", "list"], false);
    step(&["users", "show", "ben@example.com"], false);
    let loc = step(&["locations", "add", "--name", "Downtown"], true).json["id"].clone();
    step(&["locations", "list"], false);
    let key = step(
        &[
            "keys",
            "create",
            "--owner",
            "ada@example.com",
            "--name",
            "Zapier sync",
        ],
        true,
    )
    .json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    step(
        &[
            "keys",
            "create",
            "--owner",
            "ada@example.com",
            "--name",
            "Downtown form",
            "--location",
            loc.as_str().unwrap(),
        ],
        false,
    );
    step(&["keys", "list"], true);
    step(
        &[
            "keys",
            "list",
            "--owner",
            "ada@example.com",
            "--search",
            "zap",
        ],
        false,
    );
    step(&["keys", "show", &key], true);
    step(&["keys", "disable", &key], true);
    step(&["keys", "enable", &key], false);
    step(&["keys", "keep", &key], false);
    step(
        &["keys", "rename", &key, "--name", "Zapier nightly sync"],
        true,
    );
    let token = step(&["tokens", "create", &key], true).json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    step(&["tokens", "list", &key], true);
    step(&["keys", "delete", &key], true);
    step(&["keys", "delete", &key], false);
    step(&["tokens", "revoke", &token], false);
    let secret = step(&["keys", "regenerate", &key, "--grace", "1h"], true).json["key"]
        .as_str()
        .unwrap()
        .to_owned();
    step(&["keys", "reveal", &key], true);
    step(&["verify", &secret], true);
    step(&["verify", "kwa_nonsense"], true);
    step(
        &[
            "keys",
            "create",
            "--owner",
            "ben@example.com",
            "--name",
            "Ben's key",
        ],
        true,
    );
    step(&["users", "api-access", "ben@example.com", "on"], false);
    step(
        &[
            "keys",
            "create",
            "--owner",
            "ben@example.com",
            "--name",
            "Ben's key",
        ],
        false,
    );
    let hook = step(
        &[
            "webhooks",
            "add",
            "--user",
            "ada@example.com",
            "--url",
            "http://127.0.0.1:9/hook",
            "--entity",
            "user",
            "--operation",
            "created",
            "--allow-private",
        ],
        true,
    )
    .json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    step(&["webhooks", "off", &hook], true);
    step(&["webhooks", "list"], false);
    step(&["webhooks", "reveal", &hook], true);
    step(&["settings", "show"], true);
    step(&["settings", "set", "reminder_days", "14,7,1"], true);
    step(&["settings", "set", "reminder_days", "nonsense"], true);
    step(&["keys", "show", "key_nope"], true);
    step(&["keys", "show", "key_nope"], false);
    step(
        &["users", "add", "--name", "X", "--email", "not-an-email"],
        true,
    );
    let ben_token = step(
        &[
            "manage-tokens",
            "create",
            "--user",
            "ben@example.com",
            "--name",
            "Ben's laptop",
            "--expires",
            "30d",
        ],
        true,
    )
    .json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    step(&["manage-tokens", "list"], true);
    step(&["manage-tokens", "revoke", &ben_token], false);
    // A key's policy.
    let partner = step(
        &[
            "keys",
            "create",
            "--owner",
            "ada@example.com",
            "--name",
            "Partner feed",
            "--expires",
            "90d",
            "--permission",
            "contacts:read",
            "--rate",
            "600/min",
            "--notes",
            "Used by the partner's nightly import",
            "--tag",
            "partner",
            "--always",
        ],
        true,
    )
    .json;
    let (partner_id, partner_key) = (
        partner["id"].as_str().unwrap().to_owned(),
        partner["key"].as_str().unwrap().to_owned(),
    );
    // Ada's one key in use would stop: refused without --yes, naming it.
    step(&["users", "api-access", "ada@example.com", "off"], true);
    step(
        &[
            "keys",
            "edit",
            &partner_id,
            "--tag",
            "crm",
            "--permission",
            "contacts:*",
        ],
        true,
    );
    step(&["keys", "show", &partner_id], false);
    step(&["keys", "keep", &partner_id, "--no-always"], true);
    step(
        &["verify", &partner_key, "--permission", "contacts:write"],
        true,
    );
    step(
        &["verify", &partner_key, "--permission", "events:read"],
        true,
    );
    step(&["keys", "list", "--search", "nightly import"], true);
    step(&["lifecycle", "--dry-run"], true);
    step(&["keys", "delete", &key, "--force"], true);
    step(&["users", "clear-keys", "ben@example.com"], true);
    step(&["users", "deactivate", "ben@example.com"], false);
    let audit = run(&["audit", "--limit", "500"], true);
    seen.push(outcome(&["audit"], &without(&audit, "actor_user_id")));
    seen.push(format!(
        "failed verifications: {:?}",
        failure_totals(&audit.json)
    ));
    seen
}

/// The failed verifications the audit log counts, by code. Each process writes its own
/// summaries (one per command on a store of its own, one per minute on a server), so
/// the summaries differ by mode while the counts must not.
fn failure_totals(events: &Value) -> std::collections::BTreeMap<String, u64> {
    let mut totals = std::collections::BTreeMap::new();
    for e in events.as_array().unwrap() {
        if e["entity"] != "verification" {
            continue;
        }
        let summary = e["summary"].as_str().unwrap();
        let counts = summary.split_once(": ").map_or("", |(_, c)| c);
        for part in counts.split(", ") {
            if let Some((code, n)) = part.split_once(" ×") {
                *totals.entry(code.to_owned()).or_default() += n.parse::<u64>().unwrap();
            }
        }
    }
    totals
}

/// The audit answer without a field that rightly differs between modes.
/// The audit answer without the summaries of failed verifications (compared by their
/// counts instead) and without `field`, which rightly differs between modes.
fn without(r: &Run, field: &str) -> Run {
    let mut json = r.json.clone();
    if let Some(events) = json.as_array_mut() {
        events.retain(|e| e["entity"] != "verification");
        for e in events {
            e.as_object_mut().unwrap().remove(field);
        }
    }
    Run {
        code: r.code,
        json,
        stdout: String::new(),
        stderr: r.stderr.clone(),
    }
}

/// One step's outcome: the exit code, the answer and the error, as comparable text.
fn outcome(args: &[&str], r: &Run) -> String {
    let answer = if r.json.is_null() {
        let mut lines: Vec<String> = r.stdout.lines().map(normalize).collect();
        lines.sort();
        lines.join("\n")
    } else {
        canonical(&r.json)
    };
    format!(
        "{}\nexit {}\n{}\nstderr: {}",
        normalize(&args.join(" ")),
        r.code,
        answer,
        normalize(r.stderr.trim())
    )
}

/// JSON as text with arrays in a canonical order (items at one pinned instant come back
/// in any order) and ids, secrets and masks replaced.
fn canonical(v: &Value) -> String {
    match v {
        Value::Array(items) => {
            let mut texts: Vec<String> = items.iter().map(canonical).collect();
            texts.sort();
            format!("[{}]", texts.join(","))
        }
        Value::Object(map) => {
            let mut fields: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}:{}", canonical(v)))
                .collect();
            fields.sort();
            format!("{{{}}}", fields.join(","))
        }
        Value::String(s) => format!("{:?}", normalize(s)),
        other => other.to_string(),
    }
}

const ID_KINDS: [&str; 9] = [
    "usr_", "key_", "tok_", "evt_", "loc_", "whk_", "mgt_", "dlv_", "msg_",
];
const SECRET_KINDS: [&str; 5] = ["kwa_", "kwl_", "kwt_", "kwm_", "whsec_"];

/// Text with every id replaced by `<usr_>` (its kind) and every secret or mask by
/// `<kwa_>`.
fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'outer: while !rest.is_empty() {
        let at_word_start = out
            .chars()
            .last()
            .is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_');
        if at_word_start {
            for kind in ID_KINDS.iter().chain(SECRET_KINDS.iter()) {
                if let Some(tail) = rest.strip_prefix(kind) {
                    // Base64 in webhook secrets, an ellipsis in masks.
                    let part = |c: char| c.is_ascii_alphanumeric() || "…+/=".contains(c);
                    let len = tail
                        .char_indices()
                        .find(|(_, c)| !part(*c))
                        .map_or(tail.len(), |(i, _)| i);
                    if len >= 4 {
                        out.push_str(&format!("<{kind}>"));
                        rest = &tail[len..];
                        continue 'outer;
                    }
                }
            }
        }
        let c = rest.chars().next().unwrap();
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn local_run(kw: &Kw) -> impl Fn(&[&str], bool) -> Run + '_ {
    move |args: &[&str], json: bool| {
        if json {
            kw.json(args)
        } else {
            kw.human(args)
        }
    }
}

fn assert_same(expected: &[String], got: &[String], mode: &str) {
    assert_eq!(expected.len(), got.len());
    for (e, g) in expected.iter().zip(got) {
        assert_eq!(e, g, "{mode} answers differently");
    }
}

#[test]
fn the_three_modes_answer_alike() {
    let (local, _) = seeded();
    let expected = scenario(&local_run(&local));

    // Through the process holding the data directory.
    let (held, _) = seeded();
    let serving = held.serve(&["--port", "0"]);
    assert!(held.dir().join("api.json").exists());
    let through = scenario(&local_run(&held));
    assert_same(&expected, &through, "through keyward serve");
    drop(serving);

    // As a client of a server.
    let (served, token) = seeded();
    let serving = served.serve(&["--port", "0"]);
    let client = Kw::client_of(&format!("http://127.0.0.1:{}", serving.port), &token);
    let remote = scenario(&local_run(&client));
    assert_same(&expected, &remote, "with --server");

    // There, every change is audited as the token's site manager, through the CLI.
    let ada = client.json(&["users", "show", "ada@example.com"]).ok()["id"].clone();
    let events = client.json(&["audit", "--limit", "500"]).ok();
    let by_scenario: Vec<&Value> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["summary"]
                .as_str()
                .is_some_and(|s| s.contains("Ben Manager"))
        })
        .collect();
    assert!(!by_scenario.is_empty());
    for e in by_scenario {
        assert_eq!(e["actor_user_id"], ada, "{e}");
        assert_eq!(e["actor"], "cli", "{e}");
    }
}

#[test]
fn the_address_goes_with_the_process_and_a_stale_one_is_ignored() {
    let (kw, _) = seeded();
    let serving = kw.serve(&["--port", "0"]);
    let address: Value =
        serde_json::from_slice(&std::fs::read(kw.dir().join("api.json")).unwrap()).unwrap();
    assert_eq!(address["url"], format!("http://127.0.0.1:{}", serving.port));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(kw.dir().join("api.token"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A change made through the running process is in its store.
    kw.json(&["locations", "add", "--name", "Uptown"]).ok();
    assert_eq!(serving.stop(), 0);
    assert!(!kw.dir().join("api.json").exists());
    assert!(!kw.dir().join("api.token").exists());
    let listed = kw.json(&["locations", "list"]).ok();
    assert_eq!(listed[0]["name"], "Uptown");

    // Killed, it leaves its address behind; the command line opens the store itself.
    let serving = kw.serve(&["--port", "0"]);
    serving.kill_9();
    assert!(kw.dir().join("api.json").exists());
    let listed = kw.json(&["locations", "list"]).ok();
    assert_eq!(listed[0]["name"], "Uptown");
}

#[test]
fn a_manager_token_manages_only_the_managers_own() {
    let (kw, admin_token) = seeded();
    kw.add_user("Ben Manager", "ben@example.com", false);
    kw.json(&["users", "api-access", "ben@example.com", "on"])
        .ok();
    let (adas, _) = kw.create_key("ada@example.com", "Ada's key");
    let ben_token = kw
        .json(&["manage-tokens", "create", "--user", "ben@example.com"])
        .ok()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let serving = kw.serve(&["--port", "0"]);
    let url = format!("http://127.0.0.1:{}", serving.port);
    let ben = Kw::client_of(&url, &ben_token);

    let created = ben
        .json(&[
            "keys",
            "create",
            "--owner",
            "ben@example.com",
            "--name",
            "Ben's key",
        ])
        .ok();
    let listed = ben.json(&["keys", "list"]).ok();
    assert_eq!(
        keyward_testkit::cli::ids(&listed),
        vec![created["id"].as_str().unwrap()]
    );
    ben.json(&["keys", "show", &adas]).fails(3, "FORBIDDEN");
    ben.json(&["keys", "disable", &adas]).fails(3, "FORBIDDEN");
    ben.json(&[
        "users",
        "add",
        "--name",
        "Eve",
        "--email",
        "eve@example.com",
    ])
    .fails(3, "FORBIDDEN");
    ben.json(&[
        "keys",
        "create",
        "--owner",
        "ada@example.com",
        "--name",
        "Sneaky",
    ])
    .fails(3, "FORBIDDEN");
    ben.json(&["lifecycle"]).fails(3, "FORBIDDEN");
    let users = ben.json(&["users", "list"]).ok();
    assert_eq!(users.as_array().unwrap().len(), 1, "{users}");

    // The admin sees both keys; a revoked token no longer manages anything.
    let admin = Kw::client_of(&url, &admin_token);
    assert_eq!(
        admin.json(&["keys", "list"]).ok().as_array().unwrap().len(),
        2
    );
    let ben_id = ben.json(&["manage-tokens", "list"]).ok()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    admin.json(&["manage-tokens", "revoke", &ben_id]).ok();
    ben.json(&["keys", "list"]).fails(3, "UNAUTHORIZED");
}

#[test]
fn a_client_says_clearly_what_is_missing_or_wrong() {
    let (kw, _) = seeded();
    let serving = kw.serve(&["--port", "0"]);
    let url = format!("http://127.0.0.1:{}", serving.port);

    let mut no_token = Kw::client_of(&url, "").command();
    no_token.args(["--json", "keys", "list"]);
    let out = no_token.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let (code, message) = keyward_testkit::cli::error_of(&String::from_utf8_lossy(&out.stderr));
    assert_eq!(code, "INVALID_INPUT");
    assert!(message.contains("KEYWARD_TOKEN"), "{message}");

    // An API key is no management token.
    let (_, api_key) = kw.create_key("ada@example.com", "Not a management token");
    Kw::client_of(&url, &api_key)
        .json(&["keys", "list"])
        .fails(3, "UNAUTHORIZED");
    drop(serving);

    // Nobody listening.
    let port = keyward_testkit::cli::free_port();
    let msg = Kw::client_of(&format!("http://127.0.0.1:{port}"), "kwm_x")
        .json(&["keys", "list"])
        .fails(1, "SERVER_UNAVAILABLE");
    assert!(msg.contains(&format!("127.0.0.1:{port}")), "{msg}");

    // Plain HTTP beyond this computer would expose the token.
    let msg = Kw::client_of("http://keys.example.com", "kwm_x")
        .json(&["keys", "list"])
        .fails(2, "INVALID_INPUT");
    assert!(msg.contains("https://"), "{msg}");

    // What only works on a store on this computer says so.
    Kw::client_of(&url, "kwm_x")
        .json(&["export", "--out", "/tmp/never.keyward"])
        .fails(2, "INVALID_INPUT");
}

#[test]
fn a_servers_certificate_is_checked_and_a_bad_one_named() {
    let (kw, token) = seeded();
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = kw.dir().join("cert.pem");
    let key = kw.dir().join("key.pem");
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.key_pair.serialize_pem()).unwrap();
    let serving = kw.serve(&[
        "--port",
        "0",
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    let client = Kw::client_of(&format!("https://localhost:{}", serving.port), &token);

    // Signed by nobody the system trusts: refused, and said so.
    let msg = client
        .json(&["keys", "list"])
        .fails(1, "SERVER_UNAVAILABLE");
    assert!(
        msg.contains("certificate") && msg.contains("KEYWARD_CA_CERT"),
        "{msg}"
    );

    // Trusted once its authority is named.
    let mut trusting = client.command();
    trusting
        .env("KEYWARD_CA_CERT", &cert)
        .args(["--json", "users", "list"]);
    let out = trusting.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let users: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(users[0]["email"], "ada@example.com");
}
