//! Webhook delivery: takes due messages from the store's outbox, signs them (Standard
//! Webhooks), POSTs them and records each attempt; the store schedules retries.
//!
//! The URL rules of SPEC §8 hold at connect time: host names are resolved by a resolver
//! that refuses forbidden addresses on every attempt (a name that starts resolving to a
//! private address is caught then), IP literals are checked before sending, redirects are
//! not followed and no proxy is used.

use std::net::SocketAddr;
use std::sync::{Arc, Once};
use std::time::Duration;

use keyward_core::webhook_url::{check_ip, check_url};
use keyward_core::webhooks::{sign, Attempt, DueMessage};
use keyward_core::{Millis, Store};
use reqwest::header::{HeaderMap, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use tokio::sync::{watch, Notify};

/// How long one attempt may take, connection included.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);
/// Messages taken from the outbox per pass (sent a few at a time).
const BATCH: usize = 64;
const IN_FLIGHT: usize = 8;
/// The longest a worker sleeps without looking at the outbox (clock jumps, suspend).
const MAX_IDLE: Duration = Duration::from_secs(30);

static CRYPTO: Once = Once::new();

/// rustls needs a process-wide crypto provider; Keyward uses ring's. Anything in the
/// process that builds a reqwest client calls this first (delivery does it itself).
pub fn install_crypto_provider() {
    CRYPTO.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

struct GuardedResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| format!("{host} could not be resolved: {e}"))?
                .collect();
            // One forbidden address refuses the name: a connection could land on it.
            for a in &addrs {
                check_ip(a.ip(), allow_private)
                    .map_err(|why| format!("{host} resolves to {why}"))?;
            }
            if addrs.is_empty() {
                return Err(format!("{host} has no address").into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

fn client(allow_private: bool) -> reqwest::Result<reqwest::Client> {
    install_crypto_provider();
    reqwest::Client::builder()
        .dns_resolver(Arc::new(GuardedResolver { allow_private }))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(ATTEMPT_TIMEOUT)
        .connect_timeout(Duration::from_secs(10))
        .build()
}

/// Sends webhook messages. Cheap to clone.
#[derive(Clone)]
pub struct Deliverer {
    public_only: reqwest::Client,
    with_private: reqwest::Client,
}

impl Deliverer {
    pub fn new() -> crate::Result<Deliverer> {
        let err = |e: reqwest::Error| crate::Error::Io(std::io::Error::other(e.to_string()));
        Ok(Deliverer {
            public_only: client(false).map_err(err)?,
            with_private: client(true).map_err(err)?,
        })
    }

    /// One attempt at one message; `now` is the attempt's time (the signed timestamp).
    pub async fn attempt(&self, m: &DueMessage, now: Millis) -> Attempt {
        let failed = |error: String| Attempt::Failed {
            status: None,
            error,
            retry_after: None,
        };
        // The rules again, for every attempt: IP literals are never resolved.
        let url = match check_url(&m.url, m.allow_private) {
            Ok(u) => u,
            Err(e) => return failed(e.to_string()),
        };
        let timestamp = now.div_euclid(1000);
        let signature = match sign(&m.secret, &m.message_id, timestamp, &m.body) {
            Ok(s) => s,
            Err(e) => return failed(e.to_string()),
        };
        let client = if m.allow_private {
            &self.with_private
        } else {
            &self.public_only
        };
        let sent = client
            .post(url)
            .header("webhook-id", &m.message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .header(CONTENT_TYPE, "application/json")
            .header(
                USER_AGENT,
                concat!("Keyward-Webhooks/", env!("CARGO_PKG_VERSION")),
            )
            .body(m.body.clone())
            .send()
            .await;
        match sent {
            Ok(resp) => {
                let status = resp.status();
                if status.is_success() {
                    Attempt::Delivered {
                        status: status.as_u16(),
                    }
                } else if status == reqwest::StatusCode::GONE {
                    Attempt::Gone
                } else {
                    let why = if status.is_redirection() {
                        format!("HTTP {status} (redirects are not followed)")
                    } else {
                        format!("HTTP {status}")
                    };
                    Attempt::Failed {
                        status: Some(status.as_u16()),
                        error: why,
                        retry_after: retry_after(resp.headers(), now),
                    }
                }
            }
            Err(e) => failed(describe(&e)),
        }
    }
}

/// `Retry-After` as seconds or an HTTP date, as a wait in milliseconds.
fn retry_after(headers: &HeaderMap, now: Millis) -> Option<Millis> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<i64>() {
        return Some(secs.max(0).saturating_mul(1000));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    Some((at.timestamp_millis() - now).max(0))
}

/// A reqwest error as one readable line: the innermost causes say what went wrong.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return format!(
            "no answer within {} s (timed out)",
            ATTEMPT_TIMEOUT.as_secs()
        );
    }
    let mut parts: Vec<String> = Vec::new();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    let what = if e.is_connect() {
        "could not connect"
    } else {
        "the request failed"
    };
    match parts.last() {
        Some(cause) => format!("{what}: {cause}"),
        None => format!("{what}: {e}"),
    }
}

async fn blocking<T: Send + 'static>(
    store: &Arc<Store>,
    f: impl FnOnce(&Store) -> keyward_core::Result<T> + Send + 'static,
) -> keyward_core::Result<T> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .unwrap_or_else(|e| {
            Err(keyward_core::Error::Storage(format!(
                "a store task failed: {e}"
            )))
        })
}

/// Sends every message due now and records how each went: one subscription's messages in
/// the order they were queued, up to eight subscriptions at once. Returns how many
/// attempts were made.
pub async fn deliver_due(store: &Arc<Store>, deliverer: &Deliverer) -> keyward_core::Result<usize> {
    let mut attempts = 0;
    loop {
        let due = blocking(store, |s| s.due_messages(BATCH)).await?;
        let batch_len = due.len();
        let mut groups: Vec<Vec<DueMessage>> = Vec::new();
        for m in due {
            match groups.iter_mut().find(|g| g[0].webhook_id == m.webhook_id) {
                Some(g) => g.push(m),
                None => groups.push(vec![m]),
            }
        }
        let mut groups = groups.into_iter();
        loop {
            let mut set = tokio::task::JoinSet::new();
            for group in groups.by_ref().take(IN_FLIGHT) {
                let d = deliverer.clone();
                let store = store.clone();
                set.spawn(async move {
                    let mut made = 0;
                    for m in group {
                        let result = d.attempt(&m, store.now()).await;
                        let id = m.message_id;
                        blocking(&store, move |s| s.record_attempt(&id, result)).await?;
                        made += 1;
                    }
                    Ok::<usize, keyward_core::Error>(made)
                });
            }
            if set.is_empty() {
                break;
            }
            while let Some(joined) = set.join_next().await {
                if let Ok(made) = joined {
                    attempts += made?;
                }
            }
        }
        if batch_len < BATCH {
            return Ok(attempts);
        }
    }
}

/// What a one-shot command does before it exits: one bounded pass over what is due.
/// An attempt cut short is not recorded, so the next Keyward process makes it again.
pub async fn deliver_once(store: &Arc<Store>, within: Duration) -> keyward_core::Result<usize> {
    if blocking(store, |s| s.next_delivery_at()).await?.is_none() {
        return Ok(0);
    }
    let deliverer = Deliverer::new().map_err(|e| keyward_core::Error::Storage(e.to_string()))?;
    tokio::time::timeout(within, deliver_due(store, &deliverer))
        .await
        .unwrap_or(Ok(0))
}

/// The background delivery worker of the desktop app and `keyward serve`. Stops when
/// dropped or shut down.
pub struct Worker {
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Worker {
    /// Starts delivering on the current tokio runtime. It wakes when a commit queues a
    /// message, when a retry falls due, and at least every 30 s.
    pub fn start(store: Arc<Store>) -> crate::Result<Worker> {
        Worker::start_with(store, |_| {})
    }

    /// [`Worker::start`], calling `after_pass` with the number of attempts of each pass
    /// that made any (a window refreshes its delivery log).
    pub fn start_with(
        store: Arc<Store>,
        after_pass: impl Fn(usize) + Send + Sync + 'static,
    ) -> crate::Result<Worker> {
        let deliverer = Deliverer::new()?;
        let wake = Arc::new(Notify::new());
        {
            let wake = wake.clone();
            store.on_outbox(move || wake.notify_one());
        }
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                match deliver_due(&store, &deliverer).await {
                    Ok(0) => {}
                    Ok(n) => after_pass(n),
                    Err(e) => log::warn!("webhook delivery: {e}"),
                }
                let next = blocking(&store, |s| s.next_delivery_at())
                    .await
                    .ok()
                    .flatten();
                let wait = match next {
                    Some(at) => {
                        Duration::from_millis((at - store.now()).max(0) as u64).min(MAX_IDLE)
                    }
                    None => MAX_IDLE,
                };
                tokio::select! {
                    _ = wake.notified() => {}
                    _ = tokio::time::sleep(wait) => {}
                    _ = stopped.changed() => break,
                }
            }
        });
        Ok(Worker {
            stop,
            task: Some(task),
        })
    }

    /// Stops the worker and waits for an attempt in progress to be recorded.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
