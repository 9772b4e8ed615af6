//! One attempt at one message: the guarded client, signing at send time, and how the
//! receiver's answer becomes an [`Attempt`] for the store to record.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use keyward_core::webhook_url::{check_ip, check_url};
use keyward_core::webhooks::{sign, Attempt, DueMessage};
use keyward_core::Millis;
use reqwest::header::{HeaderMap, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};

use crate::{install_crypto_provider, Error, Result};

/// How long one attempt may take, connection included.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);

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
    pub fn new() -> Result<Deliverer> {
        let err = |e: reqwest::Error| Error::Client(e.to_string());
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
