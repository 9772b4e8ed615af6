//! Webhook delivery against a real receiver on 127.0.0.1: signatures checked the way a
//! receiver following the Standard Webhooks spec checks them, retries under the same id,
//! 410, Retry-After, no redirects, and the address rules at connect time.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use keyward_core::clock::SECOND;
use keyward_core::webhooks::{Attempt, DueMessage};
use keyward_testkit::webhooks::signature_matches;
use keyward_testkit::{Env, Seed};
use keyward_webhooks::{deliver_due, Deliverer, Worker};
use serde_json::Value;
use zeroize::Zeroizing;

fn t0() -> keyward_core::Millis {
    keyward_testkit::t0_2026()
}

/// A store as the HTTP API has it: from `t0()`, audited as "http".
fn env() -> Env {
    Env::build().starting_at(t0()).actor("http").open()
}

#[derive(Clone, Debug)]
struct Received {
    path: String,
    headers: HeaderMap,
    body: String,
}

/// The answers to give, in order: a status and extra headers.
type Script = Arc<Mutex<VecDeque<(u16, Vec<(&'static str, String)>)>>>;

/// Answers each request with the next scripted answer (then 204), recording it.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    script: Script,
}

impl Receiver {
    async fn start() -> (Receiver, SocketAddr) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        (Receiver::serve(listener), addr)
    }

    fn serve(listener: tokio::net::TcpListener) -> Receiver {
        let r = Receiver::default();
        let state = r.clone();
        let app = axum::Router::new().fallback(
            move |uri: axum::http::Uri, headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move {
                    state.got.lock().unwrap().push(Received {
                        path: uri.path().to_owned(),
                        headers,
                        body: String::from_utf8_lossy(&body).into_owned(),
                    });
                    let (status, extra) = state
                        .script
                        .lock()
                        .unwrap()
                        .pop_front()
                        .unwrap_or((204, Vec::new()));
                    let mut h = HeaderMap::new();
                    for (k, v) in extra {
                        h.insert(k, v.parse().unwrap());
                    }
                    (StatusCode::from_u16(status).unwrap(), h).into_response()
                }
            },
        );
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        r
    }

    fn then(&self, status: u16, headers: Vec<(&'static str, String)>) {
        self.script.lock().unwrap().push_back((status, headers));
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

/// The receiver's side of Standard Webhooks: recompute the HMAC over id.timestamp.body
/// with the decoded secret and compare with each `v1,` signature.
fn verify(secret: &str, r: &Received) -> bool {
    let h = |n: &str| r.headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    signature_matches(
        secret,
        h("webhook-id"),
        h("webhook-timestamp"),
        &r.body,
        h("webhook-signature"),
    )
}

/// A store with one admin, whose subscriptions and keys the tests add.
struct Setup {
    env: Env,
    user: String,
}

fn setup() -> Setup {
    let env = env();
    let user = env.admin("Ada Admin", "ada@example.com").id;
    Setup { env, user }
}

impl Setup {
    fn subscribe(&self, url: &str, entity: &str, operation: &str) -> (String, String) {
        let c = self.env.hook_to(&self.user, url, entity, operation, true);
        (c.view.id, c.secret)
    }

    fn create_key(&self, name: &str) -> keyward_core::CreatedKey {
        self.env.key(&self.user, name)
    }
}

#[tokio::test]
async fn a_created_key_reaches_the_receiver_signed_and_verifiable() {
    let s = setup();
    let (rx, addr) = Receiver::start().await;
    let (hook, secret) = s.subscribe(&format!("http://{addr}/keyward"), "api_key", "*");
    let key = s.create_key("Marketing Automation");

    let d = Deliverer::new().unwrap();
    assert_eq!(deliver_due(&s.env.store, &d).await.unwrap(), 1);
    let got = rx.got();
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(r.path, "/keyward");
    assert!(verify(&secret, r), "the signature verifies");
    let id = r.headers["webhook-id"].to_str().unwrap();
    assert!(id.starts_with("msg_"));
    assert_eq!(
        r.headers["webhook-timestamp"].to_str().unwrap(),
        (t0() / 1000).to_string()
    );
    assert_eq!(r.headers["content-type"], "application/json");

    let body: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body["type"], "api_key.created");
    assert_eq!(body["timestamp"], "2026-08-12T10:00:00Z");
    assert_eq!(body["data"]["id"], key.view.id.as_str());
    assert_eq!(body["data"]["name"], "Marketing Automation");
    assert_eq!(body["data"]["user_id"], s.user.as_str());
    assert!(!r.body.contains(key.key.expose()), "never a secret");

    // A tampered body or another secret does not verify.
    let mut tampered = r.clone();
    tampered.body = r.body.replace("Marketing", "Marketeer");
    assert!(!verify(&secret, &tampered));
    let other = format!("whsec_{}", B64.encode([9u8; 32]));
    assert!(!verify(&other, r));
    let mut replayed = r.clone();
    replayed
        .headers
        .insert("webhook-timestamp", "1".parse().unwrap());
    assert!(!verify(&secret, &replayed), "the timestamp is signed");

    let log = s.env.store.webhook_deliveries(&hook, 10).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].outcome, "delivered");
    assert_eq!(log[0].status_code, Some(204));
    assert_eq!(log[0].message_id, id);
    assert_eq!(
        deliver_due(&s.env.store, &d).await.unwrap(),
        0,
        "delivered once"
    );
}

#[tokio::test]
async fn a_receiver_that_fails_then_recovers_gets_the_same_message_again() {
    let s = setup();
    let (rx, addr) = Receiver::start().await;
    let (hook, secret) = s.subscribe(&format!("http://{addr}/h"), "api_key", "created");
    rx.then(500, vec![]);
    s.create_key("Zapier");
    let d = Deliverer::new().unwrap();

    assert_eq!(deliver_due(&s.env.store, &d).await.unwrap(), 1);
    let log = s.env.store.webhook_deliveries(&hook, 10).unwrap();
    assert_eq!(log[0].outcome, "retrying");
    assert_eq!(log[0].status_code, Some(500));
    assert_eq!(
        log[0].error.as_deref(),
        Some("HTTP 500 Internal Server Error")
    );
    assert_eq!(
        log[0].next_retry_at.map(|at| at.to_rfc3339()).as_deref(),
        Some("2026-08-12T10:00:05+00:00")
    );
    assert_eq!(s.env.store.webhook_view(&hook).unwrap().pending, 1);

    assert_eq!(
        deliver_due(&s.env.store, &d).await.unwrap(),
        0,
        "not due before 5 s"
    );
    s.env.clock.advance(5 * SECOND);
    assert_eq!(deliver_due(&s.env.store, &d).await.unwrap(), 1);

    let got = rx.got();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].headers["webhook-id"], got[1].headers["webhook-id"]);
    assert_eq!(got[0].body, got[1].body);
    assert_ne!(
        got[0].headers["webhook-timestamp"],
        got[1].headers["webhook-timestamp"]
    );
    assert!(verify(&secret, &got[1]));
    let log = s.env.store.webhook_deliveries(&hook, 10).unwrap();
    assert_eq!(log[0].outcome, "delivered");
    assert_eq!(log[0].attempt, 2);
    assert_eq!(s.env.store.webhook_view(&hook).unwrap().pending, 0);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let s = setup();
    let (rx, addr) = Receiver::start().await;
    let (hook, _) = s.subscribe(&format!("http://{addr}/h"), "api_key", "*");
    rx.then(503, vec![("retry-after", "120".into())]);
    s.create_key("Busy receiver");
    deliver_due(&s.env.store, &Deliverer::new().unwrap())
        .await
        .unwrap();
    assert_eq!(
        s.env.store.next_delivery_at().unwrap(),
        Some(t0() + 120 * SECOND)
    );
    let log = s.env.store.webhook_deliveries(&hook, 1).unwrap();
    assert_eq!(
        log[0].next_retry_at.map(|at| at.to_rfc3339()).as_deref(),
        Some("2026-08-12T10:02:00+00:00")
    );
}

#[tokio::test]
async fn gone_turns_the_subscription_off() {
    let s = setup();
    let (rx, addr) = Receiver::start().await;
    let (hook, _) = s.subscribe(&format!("http://{addr}/h"), "api_key", "*");
    rx.then(410, vec![]);
    s.create_key("Old integration");
    let d = Deliverer::new().unwrap();
    deliver_due(&s.env.store, &d).await.unwrap();
    let view = s.env.store.webhook_view(&hook).unwrap();
    assert_eq!(view.status, "off");
    assert!(view.off_reason.unwrap().contains("410 Gone"));
    assert_eq!(
        s.env.store.webhook_deliveries(&hook, 1).unwrap()[0].outcome,
        "turned_off"
    );

    s.create_key("After the 410");
    assert_eq!(
        deliver_due(&s.env.store, &d).await.unwrap(),
        0,
        "off sends nothing"
    );
    assert_eq!(rx.got().len(), 1);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let s = setup();
    let (rx, addr) = Receiver::start().await;
    let (hook, _) = s.subscribe(&format!("http://{addr}/h"), "api_key", "*");
    rx.then(307, vec![("location", format!("http://{addr}/elsewhere"))]);
    s.create_key("Redirected");
    deliver_due(&s.env.store, &Deliverer::new().unwrap())
        .await
        .unwrap();
    let got = rx.got();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].path, "/h");
    let log = s.env.store.webhook_deliveries(&hook, 1).unwrap();
    assert_eq!(log[0].outcome, "retrying");
    assert!(log[0]
        .error
        .as_deref()
        .unwrap()
        .contains("redirects are not followed"));
}

#[tokio::test]
async fn a_subscription_that_is_off_sends_nothing() {
    let s = setup();
    let (rx, addr) = Receiver::start().await;
    let (hook, _) = s.subscribe(&format!("http://{addr}/h"), "api_key", "*");
    s.env.store.set_webhook_active(&hook, false).unwrap();
    s.create_key("Quiet");
    assert_eq!(
        deliver_due(&s.env.store, &Deliverer::new().unwrap())
            .await
            .unwrap(),
        0
    );
    assert!(rx.got().is_empty());
}

fn due(url: String, allow_private: bool) -> DueMessage {
    DueMessage {
        message_id: "msg_test".into(),
        webhook_id: "whk_test".into(),
        url,
        allow_private,
        event_type: "webhook.test".into(),
        body: "{}".into(),
        attempt: 1,
        secret: Zeroizing::new(format!("whsec_{}", B64.encode([1u8; 32]))),
    }
}

#[tokio::test]
async fn private_addresses_are_refused_at_connect_time_unless_allowed() {
    let (rx, addr) = Receiver::start().await;
    let d = Deliverer::new().unwrap();
    // A host name is judged on what it resolves to, on every attempt.
    let by_name = format!("http://localhost:{}/h", addr.port());
    match d.attempt(&due(by_name.clone(), false), t0()).await {
        Attempt::Failed { error, status, .. } => {
            assert_eq!(status, None);
            assert!(error.contains("loopback"), "{error}");
            assert!(error.contains("--allow-private"), "{error}");
        }
        other => panic!("refused expected, got {other:?}"),
    }
    for literal in [
        format!("http://127.0.0.1:{}/h", addr.port()),
        format!("http://2130706433:{}/h", addr.port()),
        format!("http://[::ffff:127.0.0.1]:{}/h", addr.port()),
    ] {
        match d.attempt(&due(literal.clone(), false), t0()).await {
            Attempt::Failed { error, .. } => assert!(error.contains("loopback"), "{error}"),
            other => panic!("{literal}: refused expected, got {other:?}"),
        }
    }
    assert!(rx.got().is_empty(), "nothing reached the receiver");

    assert_eq!(
        d.attempt(&due(by_name, true), t0()).await,
        Attempt::Delivered { status: 204 }
    );
    assert_eq!(rx.got().len(), 1);
}

#[tokio::test]
async fn messages_queued_while_the_receiver_was_down_are_delivered_after_a_restart() {
    let env = env();
    // A port with nobody listening yet.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let seed = Seed::new(&env)
        .admin("ada@example.com")
        .webhook_to(
            &format!("http://127.0.0.1:{port}/h"),
            "api_key",
            "created",
            true,
        )
        .key("First")
        .key("Second")
        .done();
    let secret = seed.webhooks[0].secret.clone();
    deliver_due(&env.store, &Deliverer::new().unwrap())
        .await
        .unwrap();
    let log = env
        .store
        .webhook_deliveries(&seed.webhooks[0].view.id, 10)
        .unwrap();
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|l| l.outcome == "retrying"));
    assert!(
        log[0]
            .error
            .as_deref()
            .unwrap()
            .contains("could not connect"),
        "{:?}",
        log[0]
    );
    let closed = env.close();

    // Keyward restarts; the receiver is back; the retry falls due; the worker sends both.
    closed.clock.advance(5 * SECOND);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let rx = Receiver::serve(listener);
    let env = closed.open();
    let store = env.store.clone();
    let worker = Worker::start(store.clone()).unwrap();
    for _ in 0..100 {
        if rx.got().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let got = rx.got();
    assert_eq!(got.len(), 2, "both queued events arrived");
    let names: Vec<String> = got
        .iter()
        .map(|r| serde_json::from_str::<Value>(&r.body).unwrap()["data"]["name"].to_string())
        .collect();
    assert_eq!(
        names,
        vec!["\"First\"", "\"Second\""],
        "in the order they happened"
    );
    assert!(got.iter().all(|r| verify(&secret, r)));

    // A new change wakes the worker at once.
    let user = store.user("ada@example.com").unwrap().id;
    env.key(&user, "Third");
    for _ in 0..100 {
        if rx.got().len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(rx.got().len(), 3);
    worker.shutdown().await;
}
