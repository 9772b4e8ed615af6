//! A real server on 127.0.0.1:0 over the testkit's store (a fresh temporary directory,
//! a pinned clock, audited as "http"), and a real HTTP client.

#![allow(dead_code)]

pub mod manage;

use std::sync::Arc;
use std::time::{Duration, Instant};

use keyward_core::clock::Millis;
use keyward_core::{ManualClock, Store};
use keyward_http::{ApiState, ServeOptions};
use keyward_testkit::{Env, Seed};
use reqwest::{Response, StatusCode};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub fn t0() -> Millis {
    keyward_testkit::t0_2026()
}

/// A store as the HTTP API has it: from `t0()`, audited as "http".
pub fn env() -> Env {
    Env::build().starting_at(t0()).actor("http").open()
}

pub struct Server {
    pub base: String,
    pub port: u16,
    pub store: Arc<Store>,
    pub clock: Arc<ManualClock>,
    pub client: reqwest::Client,
    /// An admin's agency key.
    pub key: String,
    pub key_id: String,
    pub owner_id: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<keyward_http::Result<()>>>,
    /// Last: the store's directory outlives the server.
    pub env: Env,
}

impl Server {
    /// A server over a store holding one admin with one agency key.
    pub async fn start() -> Server {
        Server::start_with(ServeOptions::default()).await
    }

    /// The same, with other connection timeouts or cap.
    pub async fn start_with(options: ServeOptions) -> Server {
        let env = env();
        let seed = Seed::new(&env)
            .admin_named("Ada Admin", "ada@example.com")
            .key("Postman")
            .done();
        let store = env.store.clone();
        let listener = keyward_http::bind(0).await.expect("bind");
        let port = listener.local_addr().expect("local addr").port();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(keyward_http::serve_with_options(
            ApiState::new(store.clone(), port),
            listener,
            options,
            async move {
                let _ = stopped.await;
            },
        ));
        Server {
            base: format!("http://127.0.0.1:{port}"),
            port,
            store,
            clock: env.clock.clone(),
            client: {
                keyward_webhooks::install_crypto_provider();
                reqwest::Client::new()
            },
            key: seed.keys[0].key.expose().to_owned(),
            key_id: seed.keys[0].view.id.clone(),
            owner_id: seed.users[0].id.clone(),
            stop: Some(stop),
            task: Some(task),
            env,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn verify(&self, key: &str) -> Response {
        self.client
            .post(self.url("/v1/verify"))
            .json(&serde_json::json!({ "key": key }))
            .send()
            .await
            .expect("verify request")
    }

    pub async fn exchange(&self, key: &str) -> Response {
        self.client
            .post(self.url("/v1/tokens"))
            .bearer_auth(key)
            .send()
            .await
            .expect("token request")
    }

    pub async fn me(&self, credential: &str) -> Response {
        self.client
            .get(self.url("/v1/me"))
            .bearer_auth(credential)
            .send()
            .await
            .expect("me request")
    }

    /// Asks the server to stop and waits until it has (in-flight requests finished, store
    /// flushed).
    pub async fn shutdown(&mut self) {
        self.request_stop();
        self.wait_stopped().await;
    }

    /// Signals the shutdown future, without waiting.
    pub fn request_stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    pub fn has_stopped(&self) -> bool {
        self.task.as_ref().is_none_or(|t| t.is_finished())
    }

    pub async fn wait_stopped(&mut self) {
        if self.task.is_some() {
            self.join().await.expect("server stopped cleanly");
        }
    }

    /// Waits for the server task and hands back how it ended.
    pub async fn join(&mut self) -> keyward_http::Result<()> {
        let task = self
            .task
            .take()
            .expect("the server was started and not joined yet");
        task.await.expect("server task")
    }

    /// Stops the server and waits until it has, for at most `limit`; how long it took.
    pub async fn stop_within(mut self, limit: Duration) -> Duration {
        let started = Instant::now();
        self.request_stop();
        tokio::time::timeout(limit, self.wait_stopped())
            .await
            .expect("the server stops");
        started.elapsed()
    }
}

/// Asserts the status and that the body is exactly `{"error":{"code","message"}}` with
/// `code`; returns the message.
pub async fn expect_error(r: Response, status: StatusCode, code: &str) -> String {
    assert_eq!(r.status(), status, "status of {}", r.url());
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let v: Value = r.json().await.expect("a JSON error body");
    let (got, message) = keyward_testkit::json::error_of(&v);
    assert_eq!(got, code, "{v}");
    message
}

/// Sends raw bytes and returns the raw answer (for requests a client library would not
/// send: chunked bodies, absolute-form request lines, no Host).
pub async fn raw(port: u16, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    s.write_all(request).await.expect("write");
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    String::from_utf8_lossy(&out).into_owned()
}
