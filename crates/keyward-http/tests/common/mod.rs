//! A real server on 127.0.0.1:0 over a fresh store in a temporary directory, with a
//! pinned clock, and a real HTTP client.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use keyward_core::clock::{parse_rfc3339, Millis};
use keyward_core::{FileMasterKey, ManualClock, NewKey, NewUser, Store, StoreOptions};
use reqwest::{Response, StatusCode};
use serde_json::Value;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const T0: &str = "2026-08-12T10:00:00Z";

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
    pub dir: TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<keyward_http::Result<()>>>,
}

pub fn t0() -> Millis {
    parse_rfc3339(T0).expect("T0 parses")
}

pub fn open_store(dir: &Path, clock: Arc<ManualClock>) -> Store {
    let master = FileMasterKey::new(keyward_core::store::master_key_path(dir));
    Store::open(
        dir,
        clock,
        &master,
        StoreOptions {
            actor: "http".into(),
            ..Default::default()
        },
    )
    .expect("open the store")
}

impl Server {
    /// A server over a store holding one admin with one agency key.
    pub async fn start() -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let clock = Arc::new(ManualClock::new(t0()));
        let store = open_store(dir.path(), clock.clone());
        let owner = store
            .add_user(NewUser {
                name: "Ada Admin".into(),
                email: "ada@example.com".into(),
                admin: true,
            })
            .expect("add a user");
        let created = store
            .create_key(NewKey {
                owner: owner.id.clone(),
                name: "Postman".into(),
                location: None,
            })
            .expect("create a key");
        let store = Arc::new(store);
        let listener = keyward_http::bind(0).await.expect("bind");
        let port = listener.local_addr().expect("local addr").port();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(keyward_http::serve(store.clone(), listener, async move {
            let _ = stopped.await;
        }));
        Server {
            base: format!("http://127.0.0.1:{port}"),
            port,
            store,
            clock,
            client: {
                keyward_webhooks::install_crypto_provider();
                reqwest::Client::new()
            },
            key: created.key.expose().to_owned(),
            key_id: created.view.id.clone(),
            owner_id: owner.id,
            dir,
            stop: Some(stop),
            task: Some(task),
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
        if let Some(task) = self.task.take() {
            task.await
                .expect("server task")
                .expect("server stopped cleanly");
        }
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
    let outer = v.as_object().expect("an object");
    assert_eq!(outer.len(), 1, "only `error`: {v}");
    let inner = v["error"].as_object().expect("`error` is an object");
    assert_eq!(inner.len(), 2, "exactly code and message: {v}");
    assert_eq!(v["error"]["code"], code, "{v}");
    let message = v["error"]["message"]
        .as_str()
        .expect("a message")
        .to_owned();
    assert!(!message.is_empty());
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
