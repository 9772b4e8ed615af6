//! A team server: several real `keyward serve` processes over one PostgreSQL database.
//! A change made anywhere is refused on every node within a second; a node killed with -9
//! leaves the others answering; two lifecycle passes at once raise each reminder once; a
//! kill -9 loop during writes loses nothing that was acknowledged.
//! (The database stopped under the nodes is `cluster_outage.rs`: it needs a cluster of
//! its own.)

use std::collections::HashSet;
use std::process::Stdio;
use std::time::{Duration, Instant};

use keyward_testkit::cli::{keyward_bin, verify_over_http, Kw, Serving, DAY};
use keyward_testkit::pg::cluster;
use serde_json::Value;

/// A data directory (its master key shared by the nodes) on a new, migrated database.
fn team() -> Kw {
    let kw = Kw::on_database(&cluster().new_database());
    kw.json(&["migrate"]).ok();
    kw
}

fn node(kw: &Kw) -> Serving {
    kw.serve(&["--port", "0"])
}

/// Polls `port` until verifying `secret` answers `code` (VALID, or why it is refused);
/// how long that took.
#[track_caller]
fn answers_within(port: u16, secret: &str, code: &str, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let got = verify_over_http(port, secret).map(|(_, c)| c);
        if got.as_deref() == Some(code) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < limit,
            "node on port {port} still answers {got:?}, not {code}, after {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_change_made_anywhere_is_refused_on_every_node_within_a_second() {
    let kw = team();
    kw.add_user("Ada Lovelace", "ada@example.com", true);
    let (key_id, key) = kw.create_key("ada@example.com", "Website form");
    let (_, other) = kw.create_key("ada@example.com", "Zapier");
    let (third_id, third) = kw.create_key("ada@example.com", "Reporting");
    let a = node(&kw);
    let b = node(&kw);
    for n in [&a, &b] {
        assert_eq!(verify_over_http(n.port, &key), Some((200, "VALID".into())));
    }
    let second = Duration::from_secs(1);
    let mut worst = Duration::ZERO;
    let mut change = |args: &[&str], secret: &str, code: &str| {
        kw.json(args).ok();
        for n in [&a, &b] {
            worst = worst.max(answers_within(n.port, secret, code, second));
        }
    };
    change(&["keys", "disable", &key_id], &key, "DISABLED");
    change(&["keys", "enable", &key_id], &key, "VALID");
    change(
        &["users", "api-access", "ada@example.com", "off"],
        &key,
        "API_ACCESS_OFF",
    );
    change(
        &["users", "api-access", "ada@example.com", "on"],
        &key,
        "VALID",
    );
    change(
        &["users", "deactivate", "ada@example.com"],
        &other,
        "USER_DEACTIVATED",
    );
    change(&["users", "activate", "ada@example.com"], &other, "VALID");
    change(&["keys", "regenerate", &key_id], &key, "REVOKED");
    change(
        &["keys", "delete", &third_id, "--force"],
        &third,
        "NOT_FOUND",
    );
    change(
        &["users", "clear-keys", "ada@example.com"],
        &other,
        "REVOKED",
    );
    eprintln!("# slowest refusal on a node: {} ms", worst.as_millis());
}

#[test]
fn a_node_killed_with_kill_9_leaves_the_other_answering() {
    let kw = team();
    kw.add_user("Ada Lovelace", "ada@example.com", true);
    let (key_id, key) = kw.create_key("ada@example.com", "Website form");
    let a = node(&kw);
    let b = node(&kw);
    let port = b.port;
    let answers = std::thread::scope(|s| {
        let load = s.spawn(|| {
            let until = Instant::now() + Duration::from_millis(1500);
            let mut answers = Vec::new();
            while Instant::now() < until {
                answers.push(verify_over_http(port, &key));
            }
            answers
        });
        std::thread::sleep(Duration::from_millis(300));
        a.kill_9();
        load.join().unwrap()
    });
    assert!(answers.len() > 20, "{} answers", answers.len());
    assert!(
        answers
            .iter()
            .all(|a| a == &Some((200, "VALID".to_owned()))),
        "{:?}",
        answers
            .iter()
            .find(|a| *a != &Some((200, "VALID".to_owned())))
    );
    // The survivor still follows the database.
    kw.json(&["keys", "disable", &key_id]).ok();
    answers_within(port, &key, "DISABLED", Duration::from_secs(1));
}

#[test]
fn two_lifecycle_passes_at_once_raise_each_reminder_once() {
    let kw = team();
    let now = kw.now();
    kw.set_now(now - 80 * DAY);
    kw.add_user("Ada Lovelace", "ada@example.com", true);
    let mut keys = HashSet::new();
    for i in 0..12 {
        keys.insert(kw.create_key("ada@example.com", &format!("Quiet {i}")).0);
    }
    kw.set_now(now);
    let passes: Vec<_> = (0..2)
        .map(|_| {
            let mut c = std::process::Command::new(keyward_bin());
            kw.keyward_on(&mut c)
                .args(["--json", "lifecycle"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut raised = Vec::new();
    for p in passes {
        let out = p.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        for r in report["reminders"].as_array().unwrap() {
            raised.push(r["key_id"].as_str().unwrap().to_owned());
        }
    }
    raised.sort();
    let mut expected: Vec<String> = keys.into_iter().collect();
    expected.sort();
    assert_eq!(
        raised, expected,
        "each key's reminder raised once, by one of the passes"
    );
    let audit = kw.json(&["audit", "--limit", "500"]).ok();
    let reminders = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "api_key.reminder")
        .count();
    assert_eq!(reminders, 12);
}

/// JSON documents written whole to `text` (a cut-off last one is not acknowledged).
fn acknowledged(text: &str) -> Vec<Value> {
    serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .map_while(Result::ok)
        .collect()
}

#[test]
fn kill_9_during_writes_loses_nothing_acknowledged() {
    use std::os::unix::process::CommandExt;
    let kw = team();
    let url = kw.database().unwrap().to_owned();
    let mut acked = Vec::new();
    for round in 0..8 {
        let script = format!(
            "i=0; while true; do i=$((i+1)); \"$KEYWARD\" --data-dir \"$DIR\" --json users add \
             --name \"R{round} $i\" --email \"r{round}-$i@example.com\" || exit 1; done"
        );
        let child = std::process::Command::new("bash")
            .args(["-c", &script])
            .env("KEYWARD", keyward_bin())
            .env("DIR", kw.dir())
            .env("KEYWARD_DATABASE_URL", &url)
            .process_group(0)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(150 + 90 * round));
        // The whole group: the loop and the keyward it is running, mid-write.
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .status();
        let out = child.wait_with_output().unwrap();
        acked.extend(acknowledged(&String::from_utf8_lossy(&out.stdout)));
    }
    assert!(acked.len() >= 8, "only {} writes acknowledged", acked.len());
    let users = kw.json(&["users", "list"]).ok();
    let stored: HashSet<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    for u in &acked {
        assert!(stored.contains(u["id"].as_str().unwrap()), "lost {u}");
    }
    // Every user with its email index entry, and no entry without its user.
    let db = url.rsplit('/').next().unwrap();
    assert_eq!(
        cluster().psql(db, "SELECT count(*) FROM users u FULL JOIN user_emails e ON e.user_id = u.id WHERE u.id IS NULL OR e.user_id IS NULL"),
        "0"
    );
}

#[test]
fn two_nodes_send_each_webhook_message_once() {
    use keyward_testkit::webhooks::Receiver;
    let kw = team();
    let rx = Receiver::start();
    kw.add_user("Ada Lovelace", "ada@example.com", true);
    kw.json(&[
        "webhooks",
        "add",
        "--user",
        "ada@example.com",
        "--url",
        &rx.url(),
        "--entity",
        "api_key",
        "--operation",
        "created",
        "--allow-private",
    ])
    .ok();
    // Queued before the nodes start: both find all of them due at once.
    let mut c = std::process::Command::new("bash");
    c.args([
        "-c",
        "for i in $(seq 1 12); do \"$KEYWARD\" --data-dir \"$DIR\" --json keys create --owner ada@example.com --name \"Key $i\" >/dev/null || exit 1; done",
    ])
    .env("KEYWARD", keyward_bin())
    .env("DIR", kw.dir())
    .env("KEYWARD_DATABASE_URL", kw.database().unwrap())
    .env("KEYWARD_NOW", "2026-08-12T10:00:00Z");
    // The one-shot commands try one delivery each; the receiver answers those with 503 so
    // that the messages wait for the nodes.
    for _ in 0..12 {
        rx.then(503);
    }
    assert!(c.status().unwrap().success());
    // The nodes on the real clock (months after the pinned one): every retry is due.
    let real_clock_node = || {
        let mut c = std::process::Command::new(keyward_bin());
        kw.keyward_on(&mut c)
            .env_remove("KEYWARD_NOW")
            .args(["serve", "--port", "0"]);
        Serving::spawn(c)
    };
    let a = real_clock_node();
    let b = real_clock_node();
    rx.wait_for(12 + 12, Duration::from_secs(30));
    // Time for a duplicate to arrive, were one sent.
    std::thread::sleep(Duration::from_millis(500));
    let got = rx.got();
    let mut delivered: Vec<String> = got[12.min(got.len())..]
        .iter()
        .map(|r| r.header("webhook-id").to_owned())
        .collect();
    delivered.sort();
    let before = delivered.len();
    delivered.dedup();
    assert_eq!(delivered.len(), 12, "every message delivered");
    assert_eq!(before, 12, "none delivered twice");
    drop((a, b));
}

#[test]
fn a_key_created_anywhere_verifies_on_every_node_within_a_second() {
    let kw = team();
    kw.add_user("Ada Lovelace", "ada@example.com", true);
    let a = node(&kw);
    let b = node(&kw);
    let (_, key) = kw.create_key("ada@example.com", "Made while they run");
    for n in [&a, &b] {
        answers_within(n.port, &key, "VALID", Duration::from_secs(1));
    }
}

#[test]
fn a_long_lived_writer_s_changes_reach_the_nodes() {
    use std::sync::Arc;
    let kw = team();
    let a = node(&kw);
    // Another process's store, kept open, as a node's own writes would be.
    kw.json(&["users", "list"]).ok();
    let master = keyward_core::FileMasterKey::new(kw.dir().join("master.key"));
    let dir = tempfile::tempdir().unwrap();
    let store = keyward_core::Store::open_postgres(
        kw.database().unwrap(),
        false,
        dir.path(),
        Arc::new(keyward_core::SystemClock),
        &[&master],
        keyward_core::StoreOptions::default(),
    )
    .unwrap();
    let owner = store
        .add_user(keyward_core::NewUser {
            name: "Writer".into(),
            email: "w@example.com".into(),
            admin: true,
        })
        .unwrap();
    for i in 0..3 {
        let key = store
            .create_key(keyward_core::NewKey {
                owner: owner.id.clone(),
                name: format!("K{i}"),
                location: None,
                ..Default::default()
            })
            .unwrap();
        answers_within(a.port, key.key.0.expose(), "VALID", Duration::from_secs(1));
    }
}

#[test]
fn a_use_seen_by_one_node_becomes_the_key_s_last_use() {
    let kw = team();
    kw.add_user("Ada Lovelace", "ada@example.com", true);
    let (key_id, key) = kw.create_key("ada@example.com", "Website form");
    let b = node(&kw);
    assert_eq!(verify_over_http(b.port, &key), Some((200, "VALID".into())));
    // Saved by the node within its 5 s batch, without stopping it.
    let start = Instant::now();
    loop {
        let shown = kw.json(&["keys", "show", &key_id]).ok();
        if !shown["key"]["last_used_at"].is_null() || !shown["last_used_at"].is_null() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(8),
            "no last use saved: {shown}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
