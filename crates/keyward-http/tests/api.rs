//! The routes of SPEC §6 against a real server on 127.0.0.1:0, with a real HTTP client.

mod common;

use common::{expect_error, t0, Server};
use keyward_core::clock::{to_rfc3339, MINUTE, SECOND};
use keyward_testkit::fs::copy_dir;
use keyward_testkit::Env;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;

#[tokio::test]
async fn health_answers_ok_with_the_version() {
    let s = Server::start().await;
    let r = s.client.get(s.url("/v1/health")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v,
        serde_json::json!({"status": "ok", "version": env!("CARGO_PKG_VERSION"), "database": "ok"})
    );
}

#[tokio::test]
async fn tokens_exchange_an_api_key_for_a_token() {
    let s = Server::start().await;
    let r = s.exchange(&s.key).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    let o = v.as_object().unwrap();
    let mut fields: Vec<&str> = o.keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["expires_at", "id", "key_id", "token"]);
    assert!(v["id"].as_str().unwrap().starts_with("tok_"));
    assert!(v["token"].as_str().unwrap().starts_with("kwt_"));
    assert_eq!(v["key_id"], s.key_id.as_str());
    let year = keyward_core::clock::DAY * 365;
    assert_eq!(v["expires_at"], to_rfc3339(t0() + year).as_str());
}

#[tokio::test]
async fn tokens_answer_every_bad_credential_with_the_same_401() {
    let s = Server::start().await;
    let token = s.exchange(&s.key).await.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    // A revoked secret: regenerate the key, keep the old one.
    let old = s.key.clone();
    s.store.regenerate_key(&s.key_id, 0).unwrap();
    let unknown = {
        let other = keyward_core::Secret::generate(keyward_core::SecretKind::AgencyKey);
        other.expose().to_owned()
    };
    let mut messages = Vec::new();
    for credential in [
        old.as_str(),
        unknown.as_str(),
        "kwa_nonsense",
        token.as_str(),
    ] {
        let r = s.exchange(credential).await;
        assert_eq!(
            r.headers().get("www-authenticate").unwrap(),
            "Bearer realm=\"keyward\""
        );
        messages.push(expect_error(r, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await);
    }
    let r = s.client.post(s.url("/v1/tokens")).send().await.unwrap();
    messages.push(expect_error(r, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await);
    let r = s
        .client
        .post(s.url("/v1/tokens"))
        .basic_auth("user", Some(&s.key))
        .send()
        .await
        .unwrap();
    messages.push(expect_error(r, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await);
    assert!(
        messages.iter().all(|m| m == &messages[0]),
        "one message for every bad credential: {messages:?}"
    );
    assert!(!messages[0].contains("kw"), "no secret in: {}", messages[0]);
}

#[tokio::test]
async fn verify_answers_a_valid_key_with_its_identity() {
    let s = Server::start().await;
    let r = s.verify(&s.key).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "valid": true,
            "kind": "api_key",
            "key_id": s.key_id,
            "owner": {"id": s.owner_id, "name": "Ada Admin", "email": "ada@example.com"},
            "scope": {"type": "agency"},
            "expires_at": null,
            "permissions": ["*"],
        })
    );
}

#[tokio::test]
async fn verify_answers_a_token_with_its_expiry() {
    let s = Server::start().await;
    let t: Value = s.exchange(&s.key).await.json().await.unwrap();
    let v: Value = s
        .verify(t["token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["kind"], "token");
    assert_eq!(v["key_id"], s.key_id.as_str());
    assert_eq!(v["token_id"], t["id"]);
    assert_eq!(v["expires_at"], t["expires_at"]);
}

#[tokio::test]
async fn verify_answers_an_invalid_secret_with_its_code() {
    let s = Server::start().await;
    let unknown = keyward_core::Secret::generate(keyward_core::SecretKind::AgencyKey);
    let cases = [
        ("kwa_typo".to_owned(), "MALFORMED"),
        (unknown.expose().to_owned(), "NOT_FOUND"),
    ];
    for (key, code) in cases {
        let r = s.verify(&key).await;
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v, serde_json::json!({"valid": false, "code": code}));
    }
    s.store.set_key_disabled(&s.key_id, true).unwrap();
    let v: Value = s.verify(&s.key).await.json().await.unwrap();
    assert_eq!(v, serde_json::json!({"valid": false, "code": "DISABLED"}));
    s.store.set_key_disabled(&s.key_id, false).unwrap();
    s.store.regenerate_key(&s.key_id, 0).unwrap();
    let v: Value = s.verify(&s.key).await.json().await.unwrap();
    assert_eq!(v, serde_json::json!({"valid": false, "code": "REVOKED"}));
}

#[tokio::test]
async fn verify_refuses_malformed_json_with_400() {
    let s = Server::start().await;
    let bodies: [&[u8]; 5] = [
        b"{\"key\": ",
        b"not json",
        b"{\"kee\": \"kwa_x\"}",
        b"{\"key\": 42}",
        b"",
    ];
    for body in bodies {
        let r = s
            .client
            .post(s.url("/v1/verify"))
            .header("content-type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        let message = expect_error(r, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
        assert!(
            message.contains("{\"key\":"),
            "says what to send: {message}"
        );
    }
}

#[tokio::test]
async fn me_answers_the_identity_of_a_key_or_a_token() {
    let s = Server::start().await;
    let r = s.me(&s.key).await;
    assert_eq!(r.status(), StatusCode::OK);
    let by_key: Value = r.json().await.unwrap();
    let by_verify: Value = s.verify(&s.key).await.json().await.unwrap();
    assert_eq!(by_key, by_verify, "the same identity as verify");

    let t: Value = s.exchange(&s.key).await.json().await.unwrap();
    let r = s.me(t["token"].as_str().unwrap()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let by_token: Value = r.json().await.unwrap();
    assert_eq!(by_token["kind"], "token");
    assert_eq!(by_token["owner"]["email"], "ada@example.com");
}

#[tokio::test]
async fn me_refuses_a_missing_or_bad_credential_with_401() {
    let s = Server::start().await;
    let r = s.client.get(s.url("/v1/me")).send().await.unwrap();
    let missing = expect_error(r, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    let r = s.me("kwa_nonsense").await;
    let malformed = expect_error(r, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    s.store.set_key_disabled(&s.key_id, true).unwrap();
    let r = s.me(&s.key).await;
    let disabled = expect_error(r, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    assert_eq!(missing, malformed);
    assert_eq!(missing, disabled);
}

#[tokio::test]
async fn unknown_routes_get_404_and_wrong_methods_405() {
    let s = Server::start().await;
    let r = s.client.get(s.url("/v1/nothing")).send().await.unwrap();
    expect_error(r, StatusCode::NOT_FOUND, "UNKNOWN_ROUTE").await;
    let r = s.client.get(s.url("/")).send().await.unwrap();
    expect_error(r, StatusCode::NOT_FOUND, "UNKNOWN_ROUTE").await;
    let r = s.client.get(s.url("/v1/verify")).send().await.unwrap();
    expect_error(r, StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED").await;
    let r = s.client.delete(s.url("/v1/tokens")).send().await.unwrap();
    expect_error(r, StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED").await;
}

#[tokio::test]
async fn openapi_json_is_an_openapi_3_1_document_of_every_route() {
    let s = Server::start().await;
    let r = s.client.get(s.url("/openapi.json")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/json");
    let v: Value = r.json().await.unwrap();
    assert!(v["openapi"].as_str().unwrap().starts_with("3.1."));
    let paths = v["paths"].as_object().unwrap();
    let mut names: Vec<&str> = paths.keys().map(String::as_str).collect();
    names.sort_unstable();
    // The routes `keyward serve` lists, management routes included: docs/management-api.md.
    let mut listed: Vec<&str> = keyward_http::ROUTES
        .iter()
        .map(|(r, _)| r.split_once(' ').unwrap().1)
        .collect();
    listed.sort_unstable();
    listed.dedup();
    assert_eq!(names, listed);
    for p in [
        "/openapi.json",
        "/v1/health",
        "/v1/me",
        "/v1/tokens",
        "/v1/verify",
    ] {
        assert!(names.contains(&p), "{p}");
    }
    assert!(v["paths"]["/v1/tokens"]["post"]["responses"]["201"].is_object());
    assert!(v["paths"]["/v1/verify"]["post"]["requestBody"].is_object());
    assert_eq!(v["servers"][0]["url"], s.base.as_str());
    assert_eq!(
        v["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

#[tokio::test]
async fn verify_tokens_and_me_record_last_used() {
    let s = Server::start().await;
    assert_eq!(s.store.last_used(&s.key_id).unwrap(), None);

    assert_eq!(s.verify(&s.key).await.status(), StatusCode::OK);
    assert_eq!(s.store.last_used(&s.key_id).unwrap(), Some(t0()));

    s.clock.advance(2 * MINUTE);
    let t: Value = s.exchange(&s.key).await.json().await.unwrap();
    assert_eq!(
        s.store.last_used(&s.key_id).unwrap(),
        Some(t0() + 2 * MINUTE)
    );

    s.clock.advance(2 * MINUTE);
    assert_eq!(
        s.me(t["token"].as_str().unwrap()).await.status(),
        StatusCode::OK
    );
    let at = Some(t0() + 4 * MINUTE);
    assert_eq!(s.store.last_used(&s.key_id).unwrap(), at);
    assert_eq!(s.store.last_used(t["id"].as_str().unwrap()).unwrap(), at);

    // A failure is not a use.
    s.clock.advance(MINUTE);
    s.store.set_key_disabled(&s.key_id, true).unwrap();
    let _ = s.verify(&s.key).await;
    assert_eq!(s.store.last_used(&s.key_id).unwrap(), at);
}

#[tokio::test]
async fn graceful_shutdown_flushes_the_last_used_kept_in_memory() {
    let mut s = Server::start().await;
    // The first use is written at once; one 10 s later is only kept in memory (at most
    // one write per key per minute).
    assert_eq!(s.verify(&s.key).await.status(), StatusCode::OK);
    s.clock.advance(10 * SECOND);
    assert_eq!(s.me(&s.key).await.status(), StatusCode::OK);
    let in_memory = t0() + 10 * SECOND;
    assert_eq!(s.store.last_used(&s.key_id).unwrap(), Some(in_memory));
    assert_ne!(on_disk_last_used(&s), Some(in_memory), "not written yet");

    s.shutdown().await;
    // The store is still open (the test holds it): what is on disk is what serve flushed.
    assert_eq!(on_disk_last_used(&s), Some(in_memory));
    assert!(
        s.client.get(s.url("/v1/health")).send().await.is_err(),
        "no longer listening"
    );
}

#[tokio::test]
async fn graceful_shutdown_lets_an_in_flight_request_finish() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = Server::start().await;
    let body = format!("{{\"key\":\"{}\"}}", s.key);
    let (first, rest) = body.split_at(10);
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", s.port))
        .await
        .unwrap();
    let head = format!(
        "POST /v1/verify HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{first}",
        s.port,
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    // Stop while the request is half sent: the server waits for it.
    s.request_stop();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !s.has_stopped(),
        "the server waits for the request in flight"
    );
    conn.write_all(rest.as_bytes()).await.unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"valid\":true"), "{answer}");
    s.wait_stopped().await;
}

/// "Last used" as a fresh process would read it: the data directory is copied (sled holds
/// a lock on the original) and opened.
fn on_disk_last_used(s: &Server) -> Option<i64> {
    let copy = tempfile::tempdir().unwrap();
    copy_dir(s.env.dir(), copy.path());
    let env = Env::build()
        .starting_at(t0())
        .actor("http")
        .in_dir(copy)
        .open();
    env.store.last_used(&s.key_id).unwrap()
}

#[tokio::test]
async fn bind_listens_on_127_0_0_1_only_and_names_a_taken_port() {
    let first = keyward_http::bind(0).await.unwrap();
    let addr = first.local_addr().unwrap();
    assert_eq!(addr.ip(), std::net::Ipv4Addr::LOCALHOST);
    let e = keyward_http::bind(addr.port()).await.unwrap_err();
    assert_eq!(e.code(), "PORT_IN_USE");
    assert_eq!(
        e.to_string(),
        format!(
            "port {} is in use — choose another under Preferences or with --port",
            addr.port()
        )
    );
}
