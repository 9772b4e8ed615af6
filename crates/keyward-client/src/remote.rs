//! [`Manage`] over HTTP: each action is one route of the management API (see
//! docs/management-api.md), each answer the core's own view type, each error the core's
//! error with the code the server gave.

use std::time::Duration;

use keyward_core::audit::{AuditFilter, AuditView};
use keyward_core::error::ErrorCode;
use keyward_core::key_page::{KeyPage, KeySort};
use keyward_core::keys::{
    CreatedKey, DeletedKey, DeletedKeyView, Disclosure, KeyDetail, KeyEdit, KeyFilter, KeyView,
    NewKey,
};
use keyward_core::lifecycle::{ExpiringSoon, LifecycleReport};
use keyward_core::mail::TestEmail;
use keyward_core::management::{CreatedManagementToken, ManagementTokenView, Session};
use keyward_core::tokens::{CreatedToken, TokenView};
use keyward_core::users::{ClearReport, Impact, NewUser, UserEdit, UserView};
use keyward_core::webhooks::{CreatedWebhook, DeliveryView, NewWebhook, WebhookView};
use keyward_core::{
    Error, LocationView, Manage, Millis, Result, Secret, Settings, UsageDay, Verdict,
};
use reqwest::blocking::{Client, RequestBuilder};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::CLIENT_HEADER;

/// Rows asked for per page when a whole list is wanted.
const PAGE: usize = 500;

/// A Keyward server, managed with a management token.
pub struct Remote {
    base: url::Url,
    token: Secret,
    /// Always `Some` until dropped (see `Drop`).
    client: Option<Client>,
    channel: &'static str,
}

/// A blocking client stops a runtime of its own when dropped, which tokio forbids on its
/// workers: it is dropped on a thread of its own, so a `Remote` may go anywhere.
impl Drop for Remote {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = std::thread::Builder::new()
                .name("keyward-client-drop".into())
                .spawn(move || drop(client));
        }
    }
}

/// A page of a list, as the API answers.
#[derive(Deserialize)]
struct Page<T> {
    items: Vec<T>,
    next_cursor: Option<String>,
    #[serde(default)]
    matching: Option<usize>,
    #[serde(default)]
    total: Option<usize>,
    /// The keys list's sparklines (a server before them sends none).
    #[serde(default)]
    usage: std::collections::BTreeMap<String, Vec<u64>>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: String,
    message: String,
    #[serde(default)]
    field: Option<String>,
}

fn remote_error(code: ErrorCode, message: impl Into<String>) -> Error {
    Error::Remote {
        code,
        message: message.into(),
        field: None,
    }
}

impl Remote {
    /// A client of the server at `url` (`https://…`, or `http://` on this computer),
    /// presenting `token`. `channel` (`cli`, `desktop`) is what the audit log shows the
    /// changes came through. `extra_ca` is a PEM file of certificates to trust beyond the
    /// system's (a team server with its own certificate authority).
    pub fn connect(
        url: &str,
        token: Secret,
        channel: &'static str,
        extra_ca: Option<&std::path::Path>,
    ) -> Result<Remote> {
        let base = parse_base(url)?;
        crate::install_crypto_provider();
        let mut builder = Client::builder()
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("keyward/", env!("CARGO_PKG_VERSION")));
        if base.host_str().is_some_and(is_loopback_host) {
            builder = builder.no_proxy();
        }
        if let Some(ca) = extra_ca {
            let pem = std::fs::read(ca).map_err(|e| {
                Error::invalid_field(
                    "ca_cert",
                    format!("the certificate file {} cannot be read: {e}", ca.display()),
                )
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                Error::invalid_field(
                    "ca_cert",
                    format!("{} holds no PEM certificate: {e}", ca.display()),
                )
            })?;
            builder = builder.tls_certs_merge(certs);
        }
        let client = builder.build().map_err(|e| {
            remote_error(
                ErrorCode::ServerUnavailable,
                format!("the HTTP client could not start: {e}"),
            )
        })?;
        Ok(Remote {
            base,
            token,
            client: Some(client),
            channel,
        })
    }

    /// The server's base URL, as shown to people.
    pub fn url(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    fn client(&self) -> &Client {
        self.client
            .as_ref()
            .expect("a Remote has its client until dropped")
    }

    fn request(&self, method: Method, path: &[&str]) -> RequestBuilder {
        let mut url = self.base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty();
            segments.extend(path);
        }
        self.client()
            .request(method, url)
            .bearer_auth(self.token.expose())
            .header(CLIENT_HEADER, self.channel)
    }

    fn send<T: DeserializeOwned>(&self, req: RequestBuilder) -> Result<T> {
        let response = req.send().map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        let bytes = response.bytes().map_err(|e| self.transport_error(&e))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| {
                remote_error(
                    ErrorCode::ServerError,
                    format!(
                        "{} answered with something this version of Keyward does not understand ({e}) — is it a Keyward server of the same version?",
                        self.url()
                    ),
                )
            });
        }
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => Err(Error::Remote {
                code: ErrorCode::parse(&body.error.code).unwrap_or(if status.is_client_error() {
                    ErrorCode::InvalidInput
                } else {
                    ErrorCode::ServerError
                }),
                message: body.error.message,
                field: body.error.field,
            }),
            Err(_) => Err(remote_error(
                ErrorCode::ServerError,
                format!(
                    "{} answered HTTP {status} without a Keyward error — is this the address of a Keyward server?",
                    self.url()
                ),
            )),
        }
    }

    /// Why a request did not get an answer, in words a person can act on.
    fn transport_error(&self, e: &reqwest::Error) -> Error {
        let mut chain = String::new();
        let mut source: Option<&dyn std::error::Error> = Some(e);
        while let Some(s) = source {
            chain.push_str(&s.to_string());
            chain.push(' ');
            source = s.source();
        }
        let lower = chain.to_lowercase();
        let message = if lower.contains("certificate") || lower.contains("unknownissuer") {
            format!(
                "the TLS certificate of {} is not trusted ({}) — check the address, or give the certificate authority that signed it with KEYWARD_CA_CERT",
                self.url(),
                chain.trim()
            )
        } else if e.is_timeout() {
            format!("{} did not answer in time", self.url())
        } else {
            format!(
                "cannot reach the Keyward server at {}: {}",
                self.url(),
                chain.trim()
            )
        };
        remote_error(ErrorCode::ServerUnavailable, message)
    }

    fn get<T: DeserializeOwned>(&self, path: &[&str], query: &[(&str, String)]) -> Result<T> {
        self.send(self.request(Method::GET, path).query(query))
    }

    fn with_body<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &[&str],
        body: Value,
    ) -> Result<T> {
        self.send(self.request(method, path).json(&body))
    }

    /// Every item of a paged list.
    fn all<T: DeserializeOwned>(&self, path: &[&str], query: &[(&str, String)]) -> Result<Vec<T>> {
        self.at_most(path, query, usize::MAX)
    }

    /// The first `max` items of a paged list.
    fn at_most<T: DeserializeOwned>(
        &self,
        path: &[&str],
        query: &[(&str, String)],
        max: usize,
    ) -> Result<Vec<T>> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut q = query.to_vec();
            q.push(("limit", PAGE.min(max - items.len()).to_string()));
            if let Some(c) = cursor.take() {
                q.push(("cursor", c));
            }
            let page: Page<T> = self.get(path, &q)?;
            let got = page.items.len();
            items.extend(page.items);
            match page.next_cursor {
                Some(c) if got > 0 && items.len() < max => cursor = Some(c),
                _ => return Ok(items),
            }
        }
    }
}

fn parse_base(url: &str) -> Result<url::Url> {
    let bad = |why: &str| {
        Error::invalid_field(
            "server",
            format!("'{url}' is not a server address like https://keys.example.com ({why})"),
        )
    };
    let parsed = url::Url::parse(url.trim()).map_err(|e| bad(&e.to_string()))?;
    match parsed.scheme() {
        "https" => {}
        "http" if parsed.host_str().is_some_and(is_loopback_host) => {}
        "http" => {
            return Err(Error::invalid_field(
                "server",
                format!("'{url}' is plain HTTP beyond this computer — a management token must travel over https://"),
            ))
        }
        _ => return Err(bad("it must start with https://")),
    }
    if parsed.host_str().is_none() || parsed.query().is_some() {
        return Err(bad("it needs a host and no query"));
    }
    Ok(parsed)
}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn opt(name: &'static str, value: &Option<String>) -> Option<(&'static str, String)> {
    value.as_ref().map(|v| (name, v.clone()))
}

/// A grace period as `regenerate` takes it.
fn grace_text(grace: Millis) -> String {
    const HOUR: Millis = 3_600_000;
    match grace {
        0 => "0".to_owned(),
        g if g % (24 * HOUR) == 0 && g > 24 * HOUR => format!("{}d", g / (24 * HOUR)),
        g => format!("{}h", g / HOUR),
    }
}

#[derive(Deserialize)]
struct Revealed {
    #[serde(alias = "secret")]
    key: String,
}

impl Manage for Remote {
    fn session(&self) -> Result<Session> {
        let mut s: Session = self.get(&["v1", "session"], &[])?;
        s.store = self.url().to_owned();
        Ok(s)
    }

    fn add_user(&self, new: NewUser) -> Result<UserView> {
        self.with_body(Method::POST, &["v1", "users"], json!(new))
    }

    fn list_users(&self) -> Result<Vec<UserView>> {
        self.all(&["v1", "users"], &[])
    }

    fn user_view(&self, user: &str) -> Result<UserView> {
        self.get(&["v1", "users", user.trim()], &[])
    }

    fn edit_user(&self, user: &str, edit: UserEdit) -> Result<UserView> {
        self.with_body(Method::PATCH, &["v1", "users", user.trim()], json!(edit))
    }

    fn set_user_active(&self, user: &str, active: bool) -> Result<UserView> {
        self.with_body(
            Method::PUT,
            &["v1", "users", user.trim(), "active"],
            json!({ "active": active }),
        )
    }

    fn set_api_access(&self, user: &str, on: bool) -> Result<UserView> {
        self.with_body(
            Method::PUT,
            &["v1", "users", user.trim(), "api-access"],
            json!({ "on": on }),
        )
    }

    fn clear_user_keys(&self, user: &str) -> Result<ClearReport> {
        self.with_body(
            Method::POST,
            &["v1", "users", user.trim(), "clear-keys"],
            json!({}),
        )
    }

    fn user_impact(&self, user: &str) -> Result<Impact> {
        self.get(&["v1", "users", user.trim(), "impact"], &[])
    }

    fn add_location(&self, name: &str) -> Result<LocationView> {
        self.with_body(Method::POST, &["v1", "locations"], json!({ "name": name }))
    }

    fn list_locations(&self) -> Result<Vec<LocationView>> {
        self.all(&["v1", "locations"], &[])
    }

    fn rename_location(&self, id: &str, name: &str) -> Result<LocationView> {
        self.with_body(
            Method::PATCH,
            &["v1", "locations", id.trim()],
            json!({ "name": name }),
        )
    }

    fn create_key(&self, new: NewKey) -> Result<CreatedKey> {
        self.with_body(Method::POST, &["v1", "keys"], json!(new))
    }

    fn key_page(
        &self,
        filter: &KeyFilter,
        sort: KeySort,
        offset: usize,
        limit: usize,
    ) -> Result<KeyPage> {
        let mut q = key_query(filter);
        q.push(("sort", text_of(&sort.column)));
        q.push(("dir", text_of(&sort.dir)));
        q.push(("offset", offset.to_string()));
        q.push(("limit", limit.clamp(1, PAGE).to_string()));
        let page: Page<KeyView> = self.get(&["v1", "keys"], &q)?;
        Ok(KeyPage {
            matching: page.matching.unwrap_or(page.items.len()),
            total: page.total.unwrap_or(page.items.len()),
            offset,
            rows: page.items,
            usage: page.usage,
        })
    }

    fn list_keys(&self, filter: &KeyFilter) -> Result<Vec<KeyView>> {
        self.all(&["v1", "keys"], &key_query(filter))
    }

    fn key_view(&self, id: &str) -> Result<KeyView> {
        Ok(self.key_detail(id)?.key)
    }

    fn key_detail(&self, id: &str) -> Result<KeyDetail> {
        self.get(&["v1", "keys", id.trim()], &[])
    }

    fn reveal_key(&self, id: &str, how: Disclosure) -> Result<Secret> {
        let r: Revealed = self.with_body(
            Method::POST,
            &["v1", "keys", id.trim(), "reveal"],
            json!({ "how": how }),
        )?;
        Ok(Secret::from_text(r.key))
    }

    fn regenerate_key(&self, id: &str, grace: Millis) -> Result<CreatedKey> {
        self.with_body(
            Method::POST,
            &["v1", "keys", id.trim(), "regenerate"],
            json!({ "grace": grace_text(grace) }),
        )
    }

    fn set_key_disabled(&self, id: &str, disabled: bool) -> Result<KeyView> {
        self.with_body(
            Method::PUT,
            &["v1", "keys", id.trim(), "disabled"],
            json!({ "disabled": disabled }),
        )
    }

    fn keep_key(&self, id: &str) -> Result<KeyView> {
        self.with_body(Method::POST, &["v1", "keys", id.trim(), "keep"], json!({}))
    }

    fn edit_key(&self, id: &str, edit: KeyEdit) -> Result<KeyView> {
        self.with_body(Method::PATCH, &["v1", "keys", id.trim()], json!(edit))
    }

    fn key_usage(&self, id: &str, days: u32) -> Result<Vec<UsageDay>> {
        self.get(
            &["v1", "keys", id.trim(), "usage"],
            &[("days", days.to_string())],
        )
    }

    fn delete_key(&self, id: &str, force: bool, typed_name: Option<&str>) -> Result<DeletedKey> {
        let mut q = Vec::new();
        if force {
            q.push(("force", "true".to_owned()));
        }
        if let Some(n) = typed_name {
            q.push(("confirm_name", n.to_owned()));
        }
        self.send(
            self.request(Method::DELETE, &["v1", "keys", id.trim()])
                .query(&q),
        )
    }

    fn deleted_keys(&self) -> Result<Vec<DeletedKeyView>> {
        self.all(&["v1", "deleted-keys"], &[])
    }

    fn restore_key(&self, id: &str) -> Result<KeyView> {
        self.with_body(
            Method::POST,
            &["v1", "deleted-keys", id.trim(), "restore"],
            json!({}),
        )
    }

    fn purge_deleted_key(&self, id: &str) -> Result<DeletedKeyView> {
        self.send(self.request(Method::DELETE, &["v1", "deleted-keys", id.trim()]))
    }

    fn create_token(&self, key: &str) -> Result<CreatedToken> {
        self.with_body(
            Method::POST,
            &["v1", "keys", key.trim(), "tokens"],
            json!({}),
        )
    }

    fn list_tokens(&self, key: Option<&str>) -> Result<Vec<TokenView>> {
        match key {
            Some(k) => self.all(&["v1", "keys", k.trim(), "tokens"], &[]),
            None => self.all(&["v1", "tokens"], &[]),
        }
    }

    fn revoke_token(&self, id: &str) -> Result<TokenView> {
        self.with_body(
            Method::POST,
            &["v1", "tokens", id.trim(), "revoke"],
            json!({}),
        )
    }

    fn verify(&self, presented: &str, permission: Option<&str>) -> Result<Verdict> {
        let body = match permission {
            Some(p) => json!({ "key": presented, "permission": p }),
            None => json!({ "key": presented }),
        };
        self.with_body(Method::POST, &["v1", "verify"], body)
    }

    fn run_lifecycle(&self, dry_run: bool) -> Result<LifecycleReport> {
        self.with_body(
            Method::POST,
            &["v1", "lifecycle"],
            json!({ "dry_run": dry_run }),
        )
    }

    fn expiring_soon(&self) -> Result<ExpiringSoon> {
        self.get(&["v1", "lifecycle", "expiring"], &[])
    }

    fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditView>> {
        let q: Vec<(&str, String)> = [
            opt("object", &filter.object_id),
            opt("user", &filter.user_id),
            opt("entity", &filter.entity),
            opt("search", &filter.search),
        ]
        .into_iter()
        .flatten()
        .collect();
        self.at_most(&["v1", "audit"], &q, filter.limit.unwrap_or(usize::MAX))
    }

    fn settings(&self) -> Result<Settings> {
        self.get(&["v1", "settings"], &[])
    }

    fn update_settings(&self, settings: Settings) -> Result<Settings> {
        self.with_body(Method::PUT, &["v1", "settings"], json!(settings))
    }

    fn send_test_email(&self, to: &str) -> Result<TestEmail> {
        self.with_body(
            Method::POST,
            &["v1", "settings", "test-email"],
            json!({ "to": to }),
        )
    }

    fn add_webhook(&self, new: NewWebhook) -> Result<CreatedWebhook> {
        self.with_body(Method::POST, &["v1", "webhooks"], json!(new))
    }

    fn list_webhooks(&self, user: Option<&str>) -> Result<Vec<WebhookView>> {
        let q: Vec<(&str, String)> = user.map(|u| ("user", u.to_owned())).into_iter().collect();
        self.all(&["v1", "webhooks"], &q)
    }

    fn webhook_view(&self, id: &str) -> Result<WebhookView> {
        self.get(&["v1", "webhooks", id.trim()], &[])
    }

    fn set_webhook_active(&self, id: &str, on: bool) -> Result<WebhookView> {
        self.with_body(
            Method::PUT,
            &["v1", "webhooks", id.trim(), "active"],
            json!({ "on": on }),
        )
    }

    fn remove_webhook(&self, id: &str) -> Result<WebhookView> {
        self.send(self.request(Method::DELETE, &["v1", "webhooks", id.trim()]))
    }

    fn reveal_webhook_secret(&self, id: &str) -> Result<Secret> {
        let r: Revealed = self.with_body(
            Method::POST,
            &["v1", "webhooks", id.trim(), "reveal-secret"],
            json!({}),
        )?;
        Ok(Secret::from_text(r.key))
    }

    fn test_webhook(&self, id: &str) -> Result<WebhookView> {
        self.with_body(
            Method::POST,
            &["v1", "webhooks", id.trim(), "test"],
            json!({}),
        )
    }

    fn webhook_deliveries(&self, id: &str, limit: usize) -> Result<Vec<DeliveryView>> {
        self.at_most(&["v1", "webhooks", id.trim(), "deliveries"], &[], limit)
    }

    fn create_management_token(
        &self,
        user: &str,
        name: Option<&str>,
        lifetime: Option<Millis>,
    ) -> Result<CreatedManagementToken> {
        let expires = match lifetime {
            None => "never".to_owned(),
            Some(l) => format!("{}h", l.div_euclid(3_600_000).max(1)),
        };
        self.with_body(
            Method::POST,
            &["v1", "management-tokens"],
            json!({ "user": user, "name": name, "expires": expires }),
        )
    }

    fn list_management_tokens(&self, user: Option<&str>) -> Result<Vec<ManagementTokenView>> {
        let q: Vec<(&str, String)> = user.map(|u| ("user", u.to_owned())).into_iter().collect();
        self.all(&["v1", "management-tokens"], &q)
    }

    fn revoke_management_token(&self, id: &str) -> Result<ManagementTokenView> {
        self.with_body(
            Method::POST,
            &["v1", "management-tokens", id.trim(), "revoke"],
            json!({}),
        )
    }
}

fn key_query(filter: &KeyFilter) -> Vec<(&'static str, String)> {
    [
        opt("owner", &filter.owner),
        opt("status", &filter.status),
        opt("search", &filter.search),
        opt("scope", &filter.scope),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The text a serde enum serializes as (`last_used`, `asc`).
fn text_of<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_travels_only_over_https_beyond_this_computer() {
        assert!(parse_base("https://keys.example.com").is_ok());
        assert!(parse_base("http://127.0.0.1:7420").is_ok());
        assert!(parse_base("http://localhost:7420/").is_ok());
        assert!(parse_base("http://[::1]:7420").is_ok());
        let e = parse_base("http://keys.example.com").unwrap_err();
        assert_eq!(e.field(), Some("server"));
        assert!(e.to_string().contains("https://"), "{e}");
        assert!(parse_base("keys.example.com").is_err());
        assert!(parse_base("ftp://keys.example.com").is_err());
    }

    #[test]
    fn grace_periods_go_back_to_their_words() {
        assert_eq!(grace_text(0), "0");
        assert_eq!(grace_text(3_600_000), "1h");
        assert_eq!(grace_text(24 * 3_600_000), "24h");
        assert_eq!(grace_text(7 * 24 * 3_600_000), "7d");
    }
}
