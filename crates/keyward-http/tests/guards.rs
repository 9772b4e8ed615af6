//! The guards of SPEC §6, each on its own: Host (DNS rebinding), Origin, no CORS, body
//! size, and the failed-verification rate limit.

mod common;

use common::{expect_error, raw, Server};
use reqwest::{Response, StatusCode};
use serde_json::Value;
use std::future::Future;

/// The first 429 among a few tries of a bad credential, once the failure budget is spent.
/// The budget refills a failure every 50 ms, and a loaded machine can take that long
/// between two requests: the refilled one is answered 401 as usual, the next refused.
async fn refused_within_a_few_tries<F, R>(mut send: F) -> Response
where
    F: FnMut() -> R,
    R: Future<Output = Response>,
{
    for _ in 0..10 {
        let r = send().await;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            return r;
        }
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{}", r.url());
    }
    panic!("a spent failure budget let 10 bad credentials through in a row");
}

#[tokio::test]
async fn a_host_other_than_this_servers_own_is_refused() {
    let s = Server::start().await;
    let other_port = if s.port == 65535 { 1 } else { s.port + 1 };
    for host in [
        format!("evil.example:{}", s.port),
        format!("127.0.0.1:{other_port}"),
        "localhost".to_owned(),
        format!("localhost.evil.example:{}", s.port),
    ] {
        let r = s
            .client
            .get(s.url("/v1/health"))
            .header("host", &host)
            .send()
            .await
            .unwrap();
        expect_error(r, StatusCode::FORBIDDEN, "FORBIDDEN_HOST").await;
    }
    // Even a valid key gets nowhere through a rebound name.
    let r = s
        .client
        .post(s.url("/v1/tokens"))
        .header("host", format!("evil.example:{}", s.port))
        .bearer_auth(&s.key)
        .send()
        .await
        .unwrap();
    expect_error(r, StatusCode::FORBIDDEN, "FORBIDDEN_HOST").await;
    // Both of the server's own names work.
    for host in [
        format!("127.0.0.1:{}", s.port),
        format!("localhost:{}", s.port),
    ] {
        let r = s
            .client
            .get(s.url("/v1/health"))
            .header("host", &host)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{host}");
    }
}

#[tokio::test]
async fn a_request_without_host_or_with_a_foreign_absolute_uri_is_refused() {
    let s = Server::start().await;
    let no_host = raw(s.port, b"GET /v1/health HTTP/1.0\r\n\r\n").await;
    assert!(no_host.starts_with("HTTP/1.0 403"), "{no_host}");
    let absolute = format!(
        "GET http://evil.example/v1/health HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
        s.port
    );
    let answer = raw(s.port, absolute.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
}

#[tokio::test]
async fn a_foreign_origin_is_refused() {
    let s = Server::start().await;
    for origin in [
        "http://evil.example",
        "null",
        "https://127.0.0.1",
        &format!("http://127.0.0.1:{}", s.port + 1),
    ] {
        let r = s
            .client
            .post(s.url("/v1/verify"))
            .header("origin", origin)
            .json(&serde_json::json!({"key": s.key}))
            .send()
            .await
            .unwrap();
        expect_error(r, StatusCode::FORBIDDEN, "FORBIDDEN_ORIGIN").await;
    }
    // The server's own origin is not foreign.
    for origin in [
        format!("http://127.0.0.1:{}", s.port),
        format!("http://localhost:{}", s.port),
    ] {
        let r = s
            .client
            .get(s.url("/v1/health"))
            .header("origin", &origin)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{origin}");
    }
}

#[tokio::test]
async fn no_cors_header_is_ever_granted() {
    let s = Server::start().await;
    let own = format!("http://127.0.0.1:{}", s.port);
    let answers = [
        // A preflight from a foreign page, and from the server's own origin.
        s.client
            .request(reqwest::Method::OPTIONS, s.url("/v1/verify"))
            .header("origin", "http://evil.example")
            .header("access-control-request-method", "POST")
            .send()
            .await
            .unwrap(),
        s.client
            .request(reqwest::Method::OPTIONS, s.url("/v1/tokens"))
            .header("origin", &own)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization")
            .send()
            .await
            .unwrap(),
        s.client
            .get(s.url("/v1/health"))
            .header("origin", &own)
            .send()
            .await
            .unwrap(),
        s.verify(&s.key).await,
    ];
    for r in answers {
        for (name, _) in r.headers() {
            assert!(
                !name.as_str().starts_with("access-control-"),
                "{} answered with {name}",
                r.url()
            );
        }
    }
    let r = s
        .client
        .request(reqwest::Method::OPTIONS, s.url("/v1/verify"))
        .send()
        .await
        .unwrap();
    expect_error(r, StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED").await;
}

#[tokio::test]
async fn a_body_over_16_kib_is_refused_with_413() {
    let s = Server::start().await;
    let big = format!("{{\"key\":\"{}\"}}", "a".repeat(16 * 1024));
    let r = s
        .client
        .post(s.url("/v1/verify"))
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    expect_error(r, StatusCode::PAYLOAD_TOO_LARGE, "BODY_TOO_LARGE").await;
    // On a route that takes no body too.
    let r = s
        .client
        .post(s.url("/v1/tokens"))
        .bearer_auth(&s.key)
        .body(big)
        .send()
        .await
        .unwrap();
    expect_error(r, StatusCode::PAYLOAD_TOO_LARGE, "BODY_TOO_LARGE").await;
    // Exactly 16 KiB is fine.
    let padding = 16 * 1024 - format!("{{\"key\":\"{}\",\"p\":\"\"}}", s.key).len();
    let body = format!(
        "{{\"key\":\"{}\",\"p\":\"{}\"}}",
        s.key,
        "a".repeat(padding)
    );
    assert_eq!(body.len(), 16 * 1024);
    let r = s
        .client
        .post(s.url("/v1/verify"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["valid"], true);
}

#[tokio::test]
async fn a_chunked_body_over_16_kib_is_refused_with_413() {
    let s = Server::start().await;
    let chunk = "a".repeat(20 * 1024);
    let request = format!(
        "POST /v1/verify HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        s.port,
        chunk.len()
    );
    let answer = raw(s.port, request.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"BODY_TOO_LARGE\""), "{answer}");
}

#[tokio::test]
async fn a_flood_of_bad_keys_gets_429_while_a_valid_key_keeps_working() {
    let s = Server::start().await;
    let bad = keyward_core::Secret::generate(keyward_core::SecretKind::AgencyKey);
    let mut limited = None;
    for i in 0..1_000 {
        let r = s.verify(bad.expose()).await;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some((i, r));
            break;
        }
        assert_eq!(r.status(), StatusCode::OK);
    }
    let (after, r) = limited.expect("the flood was rate-limited");
    assert!(
        after >= 50,
        "a budget of failures first, limited after {after}"
    );
    let retry_after: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=60).contains(&retry_after),
        "Retry-After: {retry_after}"
    );
    let message = expect_error(r, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED").await;
    assert!(message.contains("retry in"), "{message}");

    // Bad token exchanges and bad /v1/me are limited too…
    let r = refused_within_a_few_tries(|| s.exchange(bad.expose())).await;
    assert!(r.headers().contains_key("retry-after"));
    expect_error(r, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED").await;
    let r = refused_within_a_few_tries(|| s.me("kwa_nonsense")).await;
    expect_error(r, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED").await;

    // …while the valid key keeps working on every route.
    for _ in 0..20 {
        let r = s.verify(&s.key).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.json::<Value>().await.unwrap()["valid"], true);
    }
    let r = s.exchange(&s.key).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(s.me(&token).await.status(), StatusCode::OK);
    assert_eq!(s.me(&s.key).await.status(), StatusCode::OK);
}
