//! A key's policy over HTTP: verification asked for a permission the key lacks answers
//! INSUFFICIENT_PERMISSIONS; a key over its rate limit answers RATE_LIMITED with how long
//! to wait, while other keys go on; an expired key answers EXPIRED.

mod common;

use common::Server;
use keyward_core::clock::{DAY, SECOND};
use keyward_core::NewKey;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn verify(s: &Server, body: Value) -> Value {
    let r = s
        .client
        .post(s.url("/v1/verify"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

fn key(s: &Server, name: &str, policy: NewKey) -> String {
    s.store
        .create_key(NewKey {
            owner: s.owner_id.clone(),
            name: name.into(),
            ..policy
        })
        .unwrap()
        .key
        .expose()
        .to_owned()
}

#[tokio::test]
async fn a_permission_the_key_lacks_is_refused() {
    let s = Server::start().await;
    let narrow = key(
        &s,
        "Contacts reader",
        NewKey {
            permissions: vec!["contacts:read".into()],
            ..Default::default()
        },
    );
    let v = verify(&s, json!({"key": narrow, "permission": "contacts:read"})).await;
    assert_eq!(v["valid"], true);
    assert_eq!(v["permissions"], json!(["contacts:read"]));
    let v = verify(&s, json!({"key": narrow, "permission": "contacts:write"})).await;
    assert_eq!(
        v,
        json!({"valid": false, "code": "INSUFFICIENT_PERMISSIONS"})
    );
    // Without a permission asked, the key verifies, with what it may do.
    let v = verify(&s, json!({"key": narrow})).await;
    assert_eq!(v["valid"], true);
    // A key with every permission may do anything.
    let v = verify(&s, json!({"key": s.key, "permission": "anything:at_all"})).await;
    assert_eq!(
        (v["valid"].clone(), v["permissions"].clone()),
        (json!(true), json!(["*"]))
    );
}

#[tokio::test]
async fn a_key_over_its_rate_limit_waits_and_others_do_not() {
    let s = Server::start().await;
    let limited = key(
        &s,
        "Runaway script",
        NewKey {
            rate: Some("3/min".into()),
            ..Default::default()
        },
    );
    for _ in 0..3 {
        assert_eq!(verify(&s, json!({"key": limited})).await["valid"], true);
    }
    let v = verify(&s, json!({"key": limited})).await;
    assert_eq!(v["code"], "RATE_LIMITED");
    assert_eq!(v["retry_after_ms"], 20 * SECOND);
    for _ in 0..10 {
        assert_eq!(verify(&s, json!({"key": s.key})).await["valid"], true);
    }
    s.clock.advance(20 * SECOND);
    assert_eq!(verify(&s, json!({"key": limited})).await["valid"], true);
}

#[tokio::test]
async fn an_expired_key_answers_expired() {
    let s = Server::start().await;
    let short = key(
        &s,
        "Campaign",
        NewKey {
            expires: Some("7d".into()),
            ..Default::default()
        },
    );
    let v = verify(&s, json!({"key": short})).await;
    assert_eq!(v["valid"], true);
    assert!(v["expires_at"].is_string());
    s.clock.advance(7 * DAY);
    let v = verify(&s, json!({"key": short})).await;
    assert_eq!(v, json!({"valid": false, "code": "EXPIRED"}));
}
