//! `keyward webhooks …` against a real receiver on 127.0.0.1 that checks each signature the
//! Standard Webhooks way; one-shot delivery by ordinary commands; delivery by
//! `keyward serve`, also after it was killed with events queued.

use std::net::TcpListener;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use keyward_testkit::cli::{arr, s, Kw, MINUTE, SECOND};
use keyward_testkit::webhooks::{signature_matches, Received, Receiver};

/// What a receiver does with the secret it was given: recompute and compare.
fn verifies(secret: &str, r: &Received) -> bool {
    signature_matches(
        secret,
        r.header("webhook-id"),
        r.header("webhook-timestamp"),
        &r.body,
        r.header("webhook-signature"),
    )
}

fn subscribe(kw: &Kw, user: &str, url: &str, entity: &str, operation: &str) -> (String, String) {
    let v = kw
        .json(&[
            "webhooks",
            "add",
            "--user",
            user,
            "--url",
            url,
            "--entity",
            entity,
            "--operation",
            operation,
            "--allow-private",
        ])
        .ok();
    (s(&v["id"]), s(&v["secret"]))
}

#[test]
fn add_prints_the_secret_once_and_reveal_shows_it_again() {
    let kw = Kw::new();
    let ada = kw.ada();
    let rx = Receiver::start();
    let (id, secret) = subscribe(&kw, &ada, &rx.url(), "api_key", "*");
    assert!(id.starts_with("whk_"));
    assert!(secret.starts_with("whsec_"));
    assert_eq!(B64.decode(&secret[6..]).unwrap().len(), 32);

    let list = kw.json(&["webhooks", "list"]).ok();
    assert_eq!(arr(&list).len(), 1);
    assert_eq!(list[0]["url"], rx.url().as_str());
    assert_eq!(list[0]["entity"], "api_key");
    assert_eq!(list[0]["operation"], "*");
    assert_eq!(list[0]["status"], "on");
    assert_eq!(list[0]["user_email"], "ada@example.com");
    assert!(
        !list.to_string().contains(&secret[6..]),
        "list never shows the secret"
    );
    let mine = kw
        .json(&["webhooks", "list", "--user", "ada@example.com"])
        .ok();
    assert_eq!(arr(&mine).len(), 1);

    let revealed = kw.json(&["webhooks", "reveal", &id]).ok();
    assert_eq!(revealed["secret"], secret.as_str());
    let human = kw.human(&["webhooks", "reveal", &id]);
    assert_eq!(human.stdout.trim(), secret);
    let audit = kw.audit_all();
    assert!(audit.iter().any(|e| e["action"] == "webhook.revealed"));
    assert!(
        !serde_json::to_string(&audit)
            .unwrap()
            .contains(&secret[6..]),
        "the audit log never holds the secret"
    );
}

#[test]
fn a_created_key_is_delivered_signed_before_the_command_exits() {
    let kw = Kw::new();
    let ada = kw.ada();
    let rx = Receiver::start();
    let (hook, secret) = subscribe(&kw, &ada, &rx.url(), "api_key", "created");
    let (key_id, key) = kw.create_key(&ada, "Marketing Automation");

    let got = rx.got();
    assert_eq!(got.len(), 1, "one event, sent by the create command itself");
    let r = &got[0];
    assert!(verifies(&secret, r));
    assert!(
        !verifies(&format!("whsec_{}", B64.encode([3u8; 32])), r),
        "a wrong secret fails"
    );
    let mut tampered = r.clone();
    tampered.body = tampered.body.replace("Marketing", "Sales");
    assert!(!verifies(&secret, &tampered), "a tampered body fails");
    let body = r.json();
    assert_eq!(body["type"], "api_key.created");
    assert_eq!(body["timestamp"], "2026-08-12T10:00:00Z");
    assert_eq!(body["data"]["id"], key_id.as_str());
    assert!(!r.body.contains(&key), "never the key itself");

    let log = kw.json(&["webhooks", "deliveries", &hook]).ok();
    assert_eq!(log[0]["outcome"], "delivered");
    assert_eq!(log[0]["status_code"], 200);
    assert_eq!(log[0]["event_type"], "api_key.created");
    let human = kw.human(&["webhooks", "deliveries", &hook]).stdout;
    for column in ["TIME", "EVENT", "ATTEMPT", "STATUS OR ERROR", "NEXT RETRY"] {
        assert!(human.contains(column), "{human}");
    }

    // The operation filter: a deletion is not "created".
    kw.json(&["keys", "delete", &key_id, "--force"]).ok();
    assert_eq!(rx.got().len(), 1);
}

#[test]
fn off_sends_nothing_and_test_is_refused_while_off() {
    let kw = Kw::new();
    let ada = kw.ada();
    let rx = Receiver::start();
    let (hook, _) = subscribe(&kw, &ada, &rx.url(), "api_key", "*");
    let off = kw.json(&["webhooks", "off", &hook]).ok();
    assert_eq!(off["status"], "off");
    kw.create_key(&ada, "Quiet");
    assert!(rx.got().is_empty());
    let msg = kw
        .json(&["webhooks", "test", &hook])
        .fails(3, "WEBHOOK_OFF");
    assert!(msg.contains("turn it on"), "{msg}");

    kw.json(&["webhooks", "on", &hook]).ok();
    let tested = kw.json(&["webhooks", "test", &hook]).ok();
    assert_eq!(tested["delivery"]["outcome"], "delivered");
    let got = rx.got();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].json()["type"], "webhook.test");
    let human = kw.human(&["webhooks", "test", &hook]).stdout;
    assert!(human.contains("Delivered: HTTP 200"), "{human}");

    let removed = kw.json(&["webhooks", "remove", &hook]).ok();
    assert_eq!(removed["id"], hook.as_str());
    kw.json(&["webhooks", "deliveries", &hook])
        .fails(4, "NOT_FOUND");
}

#[test]
fn a_deactivated_site_manager_gets_nothing() {
    let kw = Kw::new();
    let ada = kw.ada();
    let rx = Receiver::start();
    subscribe(&kw, &ada, &rx.url(), "user", "*");
    kw.json(&["users", "deactivate", &ada]).ok();
    kw.json(&["users", "edit", &ada, "--name", "Ada L."]).ok();
    assert!(rx.got().is_empty(), "{:?}", rx.got());
    kw.json(&["users", "activate", &ada]).ok();
    let got = rx.wait_for(1, Duration::from_secs(2));
    assert_eq!(got.len(), 1, "the reactivation itself is announced");
    assert_eq!(got[0].json()["type"], "user.updated");
}

#[test]
fn every_url_rule_is_refused_with_a_clear_error() {
    let kw = Kw::new();
    let ada = kw.ada();
    let add = |url: &str, private: bool| {
        let mut args = vec![
            "webhooks",
            "add",
            "--user",
            &ada,
            "--url",
            url,
            "--entity",
            "api_key",
            "--operation",
            "*",
        ];
        if private {
            args.push("--allow-private");
        }
        kw.json(&args)
    };
    for (url, private, says) in [
        ("ftp://example.com/x", true, "http:// or https://"),
        (
            "https://user:pw@example.com/",
            false,
            "user name or password",
        ),
        ("http://169.254.169.254/latest", true, "never sent there"),
        ("http://[fe80::1]/", true, "never sent there"),
        ("http://127.0.0.1:9/", false, "--allow-private"),
        ("http://2130706433/", false, "--allow-private"),
        ("http://[::ffff:127.0.0.1]/", false, "--allow-private"),
        ("http://localhost/", false, "--allow-private"),
        ("http://10.0.0.8/", false, "--allow-private"),
        ("not a url", false, "not a URL"),
    ] {
        let msg = add(url, private).fails(2, "INVALID_INPUT");
        assert!(msg.contains(says), "{url}: {msg}");
    }
    let msg = kw
        .json(&[
            "webhooks",
            "add",
            "--user",
            &ada,
            "--url",
            "https://example.com/h",
            "--entity",
            "invoice",
            "--operation",
            "*",
        ])
        .fails(2, "INVALID_INPUT");
    assert!(msg.contains("api_key, token, user"), "{msg}");
    kw.json(&[
        "webhooks",
        "add",
        "--user",
        "nobody@example.com",
        "--url",
        "https://example.com/h",
        "--entity",
        "api_key",
        "--operation",
        "*",
    ])
    .fails(4, "NOT_FOUND");
    assert_eq!(
        arr(&kw.json(&["webhooks", "list"]).ok()).len(),
        0,
        "nothing stored"
    );
}

#[test]
fn events_queued_while_the_receiver_is_down_survive_a_kill_and_arrive_with_the_same_id() {
    let kw = Kw::new();
    let ada = kw.ada();
    // A port nobody listens on yet, kept for the receiver that comes up later.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("http://127.0.0.1:{port}/keyward");
    let (hook, secret) = subscribe(&kw, &ada, &url, "api_key", "*");
    let (key_id, _) = kw.create_key(&ada, "Queued while down");
    let log = kw.json(&["webhooks", "deliveries", &hook]).ok();
    assert_eq!(log[0]["outcome"], "retrying");
    assert!(s(&log[0]["error"]).contains("could not connect"), "{log}");
    assert_eq!(kw.json(&["webhooks", "list"]).ok()[0]["pending"], 1);

    // The receiver comes up but fails; `keyward serve` tries again when the retry is due,
    // and is killed with the event still queued.
    let rx = Receiver::on(TcpListener::bind(("127.0.0.1", port)).unwrap());
    rx.then(503);
    kw.advance(5 * SECOND);
    let serving = kw.serve(&["--port", "0"]);
    assert_eq!(rx.wait_for(1, Duration::from_secs(10)).len(), 1);
    std::thread::sleep(Duration::from_millis(300));
    serving.kill_9();
    let log = kw.json(&["webhooks", "deliveries", &hook]).ok();
    assert_eq!(log[0]["outcome"], "retrying");
    assert_eq!(log[0]["status_code"], 503);
    assert_eq!(log[0]["attempt"], 2);

    // Restarted after the next retry time: the receiver now accepts it.
    kw.advance(5 * MINUTE);
    let serving = kw.serve(&["--port", "0"]);
    let got = rx.wait_for(2, Duration::from_secs(10));
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].header("webhook-id"), got[1].header("webhook-id"));
    assert_eq!(got[0].body, got[1].body);
    assert!(verifies(&secret, &got[1]));
    assert_eq!(got[1].json()["data"]["id"], key_id.as_str());
    assert_eq!(serving.stop(), 0, "keyward serve stopped cleanly");
    let log = kw.json(&["webhooks", "deliveries", &hook]).ok();
    assert_eq!(log[0]["outcome"], "delivered", "{log}");
    assert_eq!(log[0]["attempt"], 3);
    assert_eq!(kw.json(&["webhooks", "list"]).ok()[0]["pending"], 0);
}

#[test]
fn each_reminder_reaches_the_owner_as_a_signed_expiring_event() {
    let kw = Kw::new();
    let ada = kw.ada();
    let rx = Receiver::start();
    let (_, key_secret) = subscribe(&kw, &ada, &rx.url(), "api_key", "expiring");
    let (_, token_secret) = subscribe(&kw, &ada, &rx.url(), "token", "expiring");
    let (key_id, _) = kw.create_key(&ada, "Quarterly export");
    let (token_id, _) = kw.create_token(&key_id);
    assert!(rx.got().is_empty(), "nothing is expiring yet");

    // 75 days on: the key is 15 days from deletion.
    kw.advance(75 * keyward_testkit::cli::DAY);
    kw.json(&["lifecycle"]).ok();
    let got = rx.got();
    let key_event = got
        .iter()
        .find(|r| r.json()["type"] == "api_key.expiring")
        .expect("an api_key.expiring event");
    assert!(verifies(&key_secret, key_event));
    let body = key_event.json();
    assert_eq!(body["data"]["id"], key_id.as_str());
    assert!(
        body["data"]["summary"]
            .as_str()
            .unwrap()
            .contains("15 days"),
        "{body}"
    );

    // 336 days on: the token is 29 days from expiry (its 30-day reminder).
    kw.advance(261 * keyward_testkit::cli::DAY);
    kw.json(&["keys", "keep", &key_id]).ok();
    kw.json(&["lifecycle"]).ok();
    let got = rx.got();
    let token_event = got
        .iter()
        .find(|r| r.json()["type"] == "token.expiring")
        .expect("a token.expiring event");
    assert!(verifies(&token_secret, token_event));
    assert_eq!(token_event.json()["data"]["id"], token_id.as_str());
    assert_eq!(token_event.json()["data"]["key_id"], key_id.as_str());
}
