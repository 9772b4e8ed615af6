//! The token exchange's limits over real HTTP: a key at its live-token cap answers 409
//! TOO_MANY_TOKENS, a key exchanging too fast answers 429 RATE_LIMITED with Retry-After
//! while other keys go on, and a token minted with a secret in its grace says it ends
//! with that grace.

mod common;

use common::{expect_error, t0, Server};
use keyward_core::clock::{to_rfc3339, HOUR};
use keyward_core::tokens::EXCHANGE_BURST;
use keyward_core::{NewKey, Settings};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_at_its_token_cap_gets_409_too_many_tokens() {
    let mut server = Server::start().await;
    let settings = server.store.settings().unwrap();
    server
        .store
        .update_settings(Settings {
            max_live_tokens: 2,
            ..settings
        })
        .unwrap();
    for _ in 0..2 {
        assert_eq!(
            server.exchange(&server.key).await.status(),
            StatusCode::CREATED
        );
    }
    let message = expect_error(
        server.exchange(&server.key).await,
        StatusCode::CONFLICT,
        "TOO_MANY_TOKENS",
    )
    .await;
    assert!(message.contains("revoke tokens"), "{message}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_exchanging_too_fast_gets_429_and_other_keys_do_not() {
    let mut server = Server::start().await;
    for _ in 0..EXCHANGE_BURST {
        assert_eq!(
            server.exchange(&server.key).await.status(),
            StatusCode::CREATED
        );
    }
    let r = server.exchange(&server.key).await;
    let retry_after: u64 = r
        .headers()
        .get("retry-after")
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=6).contains(&retry_after), "{retry_after}");
    expect_error(r, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED").await;
    // The key still verifies; another key still exchanges.
    let v: Value = server.verify(&server.key).await.json().await.unwrap();
    assert_eq!(v["valid"], true);
    let other = server
        .store
        .create_key(NewKey {
            owner: server.owner_id.clone(),
            name: "Other".into(),
            location: None,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        server.exchange(other.key.expose()).await.status(),
        StatusCode::CREATED
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_from_a_secret_in_its_grace_ends_with_the_grace() {
    let mut server = Server::start().await;
    server.store.regenerate_key(&server.key_id, HOUR).unwrap();
    let r = server.exchange(&server.key).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["expires_at"], to_rfc3339(t0() + HOUR));
    let audit = server
        .store
        .audit(&keyward_core::AuditFilter::default())
        .unwrap();
    let created = audit.iter().find(|e| e.action == "token.created").unwrap();
    assert_eq!(created.actor, "http");
    server.shutdown().await;
}
