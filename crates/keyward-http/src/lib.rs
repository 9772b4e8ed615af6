//! Keyward's HTTP API (SPEC §6): Postman and local services exchange API keys for tokens
//! and verify keys and tokens; with a management token, the command line, the desktop app
//! and scripts manage everything (docs/management-api.md). Served by `keyward serve` and,
//! in the desktop app, in the background. Binds 127.0.0.1 unless told otherwise, and
//! refuses requests that a web page could have sent (foreign `Host` or `Origin`), so a
//! browser tab cannot reach it. [`postman`] writes the Postman collection of these routes
//! and an environment holding a key.
//!
//! ```no_run
//! # async fn run(store: std::sync::Arc<keyward_core::Store>) -> keyward_http::Result<()> {
//! let listener = keyward_http::bind(keyward_http::DEFAULT_PORT).await?;
//! keyward_http::serve(store, listener, async {
//!     let _ = tokio::signal::ctrl_c().await;
//! })
//! .await
//! # }
//! ```

mod conn;
pub mod error;
mod guards;
mod limit;
mod openapi;
mod pool;
pub mod postman;
mod routes;

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use keyward_core::Store;
use tokio::net::TcpListener;

pub use conn::{ServeOptions, MAX_CONNECTIONS, RESERVED_FDS};
pub use error::{Error, Result};
pub use limit::FailureBudget;
pub use openapi::documented_routes;
/// The TLS types a server setup is made of.
pub use tokio_rustls::rustls as tls;

/// The port the API listens on unless the settings or `--port` say otherwise.
pub const DEFAULT_PORT: u16 = 7420;

/// The API's base URL on `port`: what the OpenAPI document, `keyward serve` and the
/// Postman export call it.
pub fn base_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

/// Request bodies larger than this are refused with 413.
pub const BODY_LIMIT: usize = 16 * 1024;

/// The routes, as `keyward serve` lists them (a test checks they are the OpenAPI
/// document's).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET /v1/health", "is the API up"),
    (
        "POST /v1/tokens",
        "exchange an API key (Authorization: Bearer) for a token",
    ),
    (
        "POST /v1/verify",
        "check an API key or token: {\"key\":\"…\"}",
    ),
    (
        "GET /v1/me",
        "who an API key or token (Authorization: Bearer) belongs to",
    ),
    (
        "GET /openapi.json",
        "the OpenAPI 3.1 document of these routes",
    ),
    // The management routes: Authorization: Bearer <management token>.
    ("GET /v1/session", "who the management token acts as"),
    ("GET /v1/users", "site managers"),
    ("POST /v1/users", "add a site manager"),
    ("GET /v1/users/{user}", "a site manager"),
    ("PATCH /v1/users/{user}", "rename, change email"),
    ("PUT /v1/users/{user}/active", "deactivate or reactivate"),
    ("PUT /v1/users/{user}/api-access", "API access on or off"),
    (
        "GET /v1/users/{user}/impact",
        "what access off, deactivating or clearing would stop",
    ),
    (
        "POST /v1/users/{user}/clear-keys",
        "revoke their keys and tokens",
    ),
    ("GET /v1/locations", "locations"),
    ("POST /v1/locations", "add a location"),
    ("PATCH /v1/locations/{id}", "rename a location"),
    ("GET /v1/keys", "API keys, filtered and sorted"),
    ("POST /v1/keys", "create an API key"),
    ("GET /v1/keys/{id}", "a key, its tokens and history"),
    ("PATCH /v1/keys/{id}", "rename a key"),
    ("POST /v1/keys/{id}/reveal", "the full key (audited)"),
    (
        "POST /v1/keys/{id}/regenerate",
        "a new secret, with a grace period",
    ),
    ("PUT /v1/keys/{id}/disabled", "disable or enable a key"),
    (
        "POST /v1/keys/{id}/keep",
        "restart a key's inactivity clock",
    ),
    (
        "GET /v1/keys/{id}/usage",
        "a key's verifications, day by day",
    ),
    (
        "DELETE /v1/keys/{id}",
        "delete a key and its tokens (restorable for 30 days)",
    ),
    ("GET /v1/deleted-keys", "keys deleted in the last 30 days"),
    (
        "POST /v1/deleted-keys/{id}/restore",
        "bring a deleted key back",
    ),
    (
        "DELETE /v1/deleted-keys/{id}",
        "purge a deleted key for good",
    ),
    ("GET /v1/keys/{id}/tokens", "a key's tokens"),
    ("POST /v1/keys/{id}/tokens", "mint a token from a key"),
    ("GET /v1/tokens", "tokens"),
    ("POST /v1/tokens/{id}/revoke", "revoke a token"),
    ("GET /v1/webhooks", "webhook subscriptions"),
    ("POST /v1/webhooks", "subscribe a URL to events"),
    ("GET /v1/webhooks/{id}", "a subscription"),
    (
        "PUT /v1/webhooks/{id}/active",
        "turn a subscription on or off",
    ),
    ("DELETE /v1/webhooks/{id}", "remove a subscription"),
    ("POST /v1/webhooks/{id}/reveal-secret", "its signing secret"),
    ("POST /v1/webhooks/{id}/test", "send a test event"),
    ("GET /v1/webhooks/{id}/deliveries", "its delivery attempts"),
    ("GET /v1/audit", "the audit log, newest first"),
    ("GET /v1/settings", "the settings"),
    ("PUT /v1/settings", "replace the settings"),
    ("POST /v1/settings/test-email", "send a test email"),
    ("POST /v1/lifecycle", "run the lifecycle pass"),
    ("GET /v1/lifecycle/expiring", "keys and tokens due soon"),
    ("GET /v1/management-tokens", "management tokens"),
    ("POST /v1/management-tokens", "create a management token"),
    (
        "POST /v1/management-tokens/{id}/revoke",
        "revoke a management token",
    ),
];

/// A new local token: the management token a Keyward process makes for this computer's
/// owner when it starts (see [`ApiState::with_local_token`]). It lives as long as the
/// process, which keeps only its hash.
pub fn generate_local_token() -> keyward_core::Secret {
    keyward_core::Secret::generate(keyward_core::SecretKind::Management)
}

/// What every request handler shares: the store, the port the server is bound to (the
/// only one the `Host` and `Origin` guards accept) and the failed-verification limiter;
/// and the hash of this process's local token, if it has one.
#[derive(Clone)]
pub struct ApiState {
    inner: Arc<Inner>,
    local_token: Option<[u8; 32]>,
    /// The routes for API keys are off: only management (and health, and the document).
    management_only: bool,
}

struct Inner {
    store: Arc<Store>,
    port: u16,
    /// Names the `Host` guard accepts beyond 127.0.0.1 and localhost.
    public_hosts: Vec<String>,
    /// Peers whose `X-Forwarded-For` names the client.
    trusted_proxies: Vec<Cidr>,
    failures: limit::Failures,
    openapi: axum::body::Bytes,
    store_calls: Arc<pool::StoreCalls>,
}

impl ApiState {
    /// State for a server bound to `port` (the actual port, not 0), with the default
    /// failure budget.
    pub fn new(store: Arc<Store>, port: u16) -> ApiState {
        ApiState::with_failure_budget(store, port, FailureBudget::default())
    }

    pub fn with_failure_budget(store: Arc<Store>, port: u16, budget: FailureBudget) -> ApiState {
        ApiState::for_team(store, port, budget, Vec::new(), Vec::new())
    }

    /// State for a server reached beyond loopback: the `Host` names it also answers to,
    /// and the proxies whose `X-Forwarded-For` it believes.
    pub fn for_team(
        store: Arc<Store>,
        port: u16,
        budget: FailureBudget,
        public_hosts: Vec<String>,
        trusted_proxies: Vec<Cidr>,
    ) -> ApiState {
        ApiState {
            inner: Arc::new(Inner {
                store,
                port,
                public_hosts,
                trusted_proxies,
                failures: limit::Failures::new(budget),
                openapi: openapi::document_bytes(port),
                store_calls: pool::StoreCalls::new(
                    std::thread::available_parallelism().map_or(2, |n| n.get()),
                ),
            }),
            local_token: None,
            management_only: false,
        }
    }

    /// The same state, answering only the management routes (and health and the
    /// document): the token exchange, verification and `GET /v1/me` answer 404, as when
    /// the local API is off but this process still serves the command line.
    pub fn management_only(self) -> ApiState {
        ApiState {
            management_only: true,
            ..self
        }
    }

    /// The same state, also accepting `token` (see [`generate_local_token`]) as a
    /// management token that acts as the store's local owner. Only its SHA-256 is kept.
    pub fn with_local_token(self, token: &keyward_core::Secret) -> ApiState {
        ApiState {
            local_token: Some(token.hash()),
            ..self
        }
    }

    /// Whether `presented` is this process's local token.
    pub(crate) fn is_local_token(&self, presented: &keyward_core::Secret) -> bool {
        let Some(local) = &self.local_token else {
            return false;
        };
        // Compared in constant time, though only hashes meet here.
        let hash = presented.hash();
        local
            .iter()
            .zip(hash.iter())
            .fold(0u8, |d, (a, b)| d | (a ^ b))
            == 0
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.inner.store
    }

    pub fn port(&self) -> u16 {
        self.inner.port
    }

    pub(crate) fn public_hosts(&self) -> &[String] {
        &self.inner.public_hosts
    }

    pub(crate) fn trusted_proxies(&self) -> &[Cidr] {
        &self.inner.trusted_proxies
    }
}

/// An address range, `10.0.0.0/8` or `2001:db8::/32` (a bare address is one host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: std::net::IpAddr,
    bits: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (addr, bits) = match s.split_once('/') {
            Some((a, b)) => (a.parse().ok()?, Some(b.parse::<u8>().ok()?)),
            None => (s.parse().ok()?, None),
        };
        let max = if matches!(addr, std::net::IpAddr::V4(_)) {
            32
        } else {
            128
        };
        let bits = bits.unwrap_or(max);
        (bits <= max).then_some(Cidr { net: addr, bits })
    }

    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr::{V4, V6};
        // The first `bits` bits of two addresses `width` bits wide agree.
        let same = |a: u128, b: u128, width: u8| {
            let shift = u32::from(width - self.bits);
            a.checked_shr(shift).unwrap_or(0) == b.checked_shr(shift).unwrap_or(0)
        };
        match (self.net, ip) {
            (V4(n), V4(i)) => same(u32::from(n).into(), u32::from(i).into(), 32),
            (V6(n), V6(i)) => same(n.into(), i.into(), 128),
            (V6(n), V4(i)) => n.to_ipv4_mapped() == Some(i) && self.bits == 128,
            (V4(_), V6(i)) => i.to_ipv4_mapped().is_some_and(|v4| self.contains(V4(v4))),
        }
    }
}

/// The API's router: the routes of SPEC §6 behind the guards (Host, Origin, body size).
pub fn router(state: ApiState) -> Router {
    routes::router(state.clone()).layer(axum::middleware::from_fn_with_state(state, guards::guard))
}

/// Binds `addr`: a team server's `--listen`. Port 0 picks a free port.
pub async fn bind_addr(addr: SocketAddr) -> Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            Error::PortInUse(addr.port())
        } else {
            Error::Bind {
                port: addr.port(),
                reason: e.to_string(),
            }
        }
    })
}

/// The TLS setup of a certificate chain and its private key, both PEM files.
pub fn tls_config(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> std::result::Result<Arc<tokio_rustls::rustls::ServerConfig>, String> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("the certificate {} cannot be read: {e}", cert.display()))?
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| format!("the certificate {} is not PEM: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!("{} holds no certificate", cert.display()));
    }
    let private = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("the private key {} cannot be read: {e}", key.display()))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, private)
        .map_err(|e| format!("the certificate and key do not make a TLS setup: {e}"))?;
    Ok(Arc::new(config))
}

/// Binds 127.0.0.1:`port` (never another interface). Port 0 picks a free port.
pub async fn bind(port: u16) -> Result<TcpListener> {
    bind_addr(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await
}

/// Serves the API on `listener` until `shutdown` completes; then lets in-flight requests
/// finish and flushes the store's pending "last used" times.
pub async fn serve<F>(store: Arc<Store>, listener: TcpListener, shutdown: F) -> Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let port = listener.local_addr()?.port();
    serve_with(ApiState::new(store, port), listener, shutdown).await
}

/// [`serve`] with a prepared state (a different failure budget, say).
pub async fn serve_with<F>(state: ApiState, listener: TcpListener, shutdown: F) -> Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    serve_with_options(state, listener, ServeOptions::default(), shutdown).await
}

/// [`serve_with`] with other connection timeouts or cap (see [`ServeOptions`]).
pub async fn serve_with_options<F>(
    state: ApiState,
    listener: TcpListener,
    options: ServeOptions,
    shutdown: F,
) -> Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    serve_tls(state, listener, options, None, shutdown).await
}

/// [`serve_with_options`], over TLS when `tls` is given (a team server beyond loopback).
pub async fn serve_tls<F>(
    state: ApiState,
    listener: TcpListener,
    options: ServeOptions,
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    shutdown: F,
) -> Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let tls = tls.map(tokio_rustls::TlsAcceptor::from);
    let store = state.store().clone();
    // Build the verification index before the first request rather than during it.
    let warm = store.clone();
    tokio::task::spawn_blocking(move || warm.warm_index())
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e)))??;
    let housekeeping = conn::AbortOnDrop(tokio::spawn(housekeeping(
        store.clone(),
        options.housekeeping,
    )));
    conn::serve(listener, router(state), options, tls, shutdown).await;
    drop(housekeeping);
    tokio::task::spawn_blocking(move || store.flush())
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e)))??;
    Ok(())
}

/// Writes, off the request path, what verifications only count: the summary of failed
/// verifications, once it is due. Runs until the server stops (aborted then; the final
/// flush writes whatever is left).
async fn housekeeping(store: Arc<Store>, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let s = store.clone();
        match tokio::task::spawn_blocking(move || s.write_due_failure_summary()).await {
            Ok(Err(e)) => log::warn!("the summary of failed verifications was not written: {e}"),
            Ok(Ok(_)) => {}
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod cidr_tests {
    use super::Cidr;

    #[test]
    fn ranges_hold_the_addresses_their_prefix_names() {
        let ip = |s: &str| s.parse().unwrap();
        let lan = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(lan.contains(ip("10.200.3.4")));
        assert!(!lan.contains(ip("11.0.0.1")));
        assert!(
            lan.contains(ip("::ffff:10.1.2.3")),
            "an IPv4-mapped address"
        );
        let host = Cidr::parse("192.0.2.7").unwrap();
        assert!(host.contains(ip("192.0.2.7")) && !host.contains(ip("192.0.2.8")));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains(ip("203.0.113.9")));
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains(ip("2001:db8:1::5")) && !v6.contains(ip("2001:db9::1")));
        assert!(Cidr::parse("::/0").unwrap().contains(ip("2001:db8::1")));
        for bad in ["10.0.0.0/33", "nonsense", "10.0.0.0/", "::/129"] {
            assert!(Cidr::parse(bad).is_none(), "{bad}");
        }
    }
}
