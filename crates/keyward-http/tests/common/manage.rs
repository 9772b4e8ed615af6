//! A team on a real server for the management routes: Ada (admin, this store's owner),
//! Bob (manager), Cy (manager, whom admins edit), each with management tokens; Ada and
//! Bob each own keys, a token, a webhook. [`every_route`] is one request per management
//! route on one owner's things, in an order that works when sent one after another.

use std::num::NonZeroU32;
use std::sync::Arc;

use keyward_core::{Acting, Manage, NewUser, Secret, Store};
use keyward_http::{ApiState, FailureBudget};
use keyward_testkit::webhooks::HOOK_URL;
use keyward_testkit::Env;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// What one site manager owns, by id.
#[derive(Debug, Clone)]
pub struct Things {
    pub user: String,
    pub email: String,
    /// An API key with a live token.
    pub key: String,
    pub key_secret: String,
    pub token: String,
    pub token_secret: String,
    /// A key the route list deletes.
    pub spare_key: String,
    /// Deleted keys: one the route list restores, one it purges.
    pub binned: String,
    pub purgeable: String,
    pub webhook: String,
    /// The management token the owner's requests are sent with.
    pub mgmt: String,
    /// A management token the route list revokes.
    pub spare_mgmt: String,
}

pub struct Team {
    pub base: String,
    pub port: u16,
    pub store: Arc<Store>,
    pub client: reqwest::Client,
    pub ada: Things,
    pub bob: Things,
    pub cy: String,
    pub cy_mgmt: String,
    pub location: String,
    pub local: Secret,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<keyward_http::Result<()>>>,
    /// Last: the store's directory outlives the server.
    pub env: Env,
}

/// A budget no test spends by accident.
pub fn generous() -> FailureBudget {
    FailureBudget {
        burst: NonZeroU32::new(100_000).unwrap(),
        per_second: NonZeroU32::new(1_000).unwrap(),
    }
}

fn mgmt(store: &Store, user: &str, name: &str) -> (String, String) {
    let t = store
        .create_management_token(user, Some(name), None)
        .unwrap();
    (t.view.id.clone(), t.token.expose().to_owned())
}

fn things(env: &Env, user: &str, email: &str) -> Things {
    let key = env.key(user, "Main");
    let token = env.store.create_token(&key.view.id).unwrap();
    let spare = env.key(user, "Spare");
    let binned = env.key(user, "Deleted, to restore");
    env.store.delete_key(&binned.view.id, true).unwrap();
    let purgeable = env.key(user, "Deleted, to purge");
    env.store.delete_key(&purgeable.view.id, true).unwrap();
    let hook = env.hook(user, "api_key", "*");
    let (_, secret) = mgmt(&env.store, user, "Tests");
    let (spare_mgmt, _) = mgmt(&env.store, user, "Spare");
    Things {
        user: user.to_owned(),
        email: email.to_owned(),
        key: key.view.id.clone(),
        key_secret: key.key.expose().to_owned(),
        token: token.id.clone(),
        token_secret: token.token.expose().to_owned(),
        spare_key: spare.view.id.clone(),
        binned: binned.view.id.clone(),
        purgeable: purgeable.view.id.clone(),
        webhook: hook.view.id.clone(),
        mgmt: secret,
        spare_mgmt,
    }
}

impl Team {
    pub async fn start() -> Team {
        Team::start_with(generous()).await
    }

    pub async fn start_with(budget: FailureBudget) -> Team {
        Team::start_as(budget, false).await
    }

    /// A server whose routes for API keys are off (`ApiState::management_only`).
    pub async fn start_management_only() -> Team {
        Team::start_as(generous(), true).await
    }

    async fn start_as(budget: FailureBudget, management_only: bool) -> Team {
        let env = super::env();
        let store = env.store.clone();
        let ada = store
            .claim_ownership(NewUser {
                name: "Ada Admin".into(),
                email: "ada@example.com".into(),
                admin: true,
            })
            .unwrap();
        let bob = env.manager("Bob Manager", "bob@example.com");
        store.set_api_access(&bob.id, true).unwrap();
        let cy = env.manager("Cy Manager", "cy@example.com");
        let (_, cy_mgmt) = mgmt(&store, &cy.id, "Cy's");
        let location = store.add_location("Downtown").unwrap().id;
        let ada = things(&env, &ada.id, "ada@example.com");
        let bob = things(&env, &bob.id, "bob@example.com");
        let local = keyward_http::generate_local_token();
        let listener = keyward_http::bind(0).await.expect("bind");
        let port = listener.local_addr().expect("local addr").port();
        let mut state =
            ApiState::with_failure_budget(store.clone(), port, budget).with_local_token(&local);
        if management_only {
            state = state.management_only();
        }
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(keyward_http::serve_with(state, listener, async move {
            let _ = stopped.await;
        }));
        keyward_webhooks::install_crypto_provider();
        Team {
            base: format!("http://127.0.0.1:{port}"),
            port,
            store,
            client: reqwest::Client::new(),
            ada,
            bob,
            cy: cy.id,
            cy_mgmt,
            location,
            local,
            stop: Some(stop),
            task: Some(task),
            env,
        }
    }

    /// Sends a request with `credential` as Bearer (none when empty) and `X-Keyward-Client`
    /// when `client` is given; the status, the headers and the JSON body (null if none).
    pub async fn send_as(
        &self,
        credential: &str,
        client: Option<&str>,
        call: &Call,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut req = self
            .client
            .request(call.method.clone(), format!("{}{}", self.base, call.path));
        if !credential.is_empty() {
            req = req.bearer_auth(credential);
        }
        if let Some(c) = client {
            req = req.header("X-Keyward-Client", c);
        }
        if let Some(body) = &call.body {
            req = req.json(body);
        }
        let r = req.send().await.expect("the server answers");
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{call}: not JSON ({e}): {text}"))
        };
        (status, headers, body)
    }

    pub async fn send(&self, credential: &str, call: &Call) -> (StatusCode, Value) {
        let (status, _, body) = self.send_as(credential, None, call).await;
        (status, body)
    }

    /// `GET path` with `credential`.
    pub async fn get(&self, credential: &str, path: &str) -> (StatusCode, Value) {
        self.send(credential, &Call::new("GET", path, None)).await
    }

    /// The store, acting as its owner (to look without going through HTTP).
    pub fn owner(&self) -> Acting<'_> {
        Acting::owner(&self.store)
    }

    /// How many audit events the store holds.
    pub fn events(&self) -> usize {
        self.owner().audit(&Default::default()).unwrap().len()
    }

    pub async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

/// Who may make a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Admins only.
    Admin,
    /// Whoever owns the thing it names.
    Owner,
    /// Any site manager.
    Anyone,
}

/// One request: its route (as `ROUTES` has it), the concrete path, the body, what
/// answers it when allowed, and who is.
#[derive(Debug, Clone)]
pub struct Call {
    pub route: &'static str,
    pub method: Method,
    pub path: String,
    pub body: Option<Value>,
    pub ok: u16,
    pub rule: Rule,
}

impl Call {
    pub fn new(method: &str, path: &str, body: Option<Value>) -> Call {
        Call {
            route: "",
            method: method.parse().unwrap(),
            path: path.to_owned(),
            body,
            ok: 200,
            rule: Rule::Anyone,
        }
    }
}

impl std::fmt::Display for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

fn call(route: &'static str, path: String, body: Option<Value>, ok: u16, rule: Rule) -> Call {
    let method = route.split(' ').next().unwrap();
    Call {
        route,
        method: method.parse().unwrap(),
        path,
        body,
        ok,
        rule,
    }
}

/// One request per management route, on `t`'s things; user routes on `user` (someone
/// other than whoever sends them, since one of them deactivates). In an order that
/// works when sent in turn by someone allowed to.
pub fn every_route(t: &Things, user: &str, location: &str) -> Vec<Call> {
    use Rule::*;
    let (key, spare, token, hook) = (&t.key, &t.spare_key, &t.token, &t.webhook);
    let owner = &t.user;
    vec![
        call("GET /v1/session", "/v1/session".into(), None, 200, Anyone),
        call("GET /v1/users", "/v1/users".into(), None, 200, Anyone),
        call(
            "POST /v1/users",
            "/v1/users".into(),
            Some(json!({"name": "Dee New", "email": "dee@example.com", "admin": false})),
            201,
            Admin,
        ),
        call(
            "GET /v1/users/{user}",
            format!("/v1/users/{user}"),
            None,
            200,
            Owner,
        ),
        call(
            "PATCH /v1/users/{user}",
            format!("/v1/users/{user}"),
            Some(json!({"name": "Renamed Manager"})),
            200,
            Admin,
        ),
        call(
            "PUT /v1/users/{user}/api-access",
            format!("/v1/users/{user}/api-access"),
            Some(json!({"on": true})),
            200,
            Admin,
        ),
        call(
            "PUT /v1/users/{user}/active",
            format!("/v1/users/{user}/active"),
            Some(json!({"active": false})),
            200,
            Admin,
        ),
        call(
            "PUT /v1/users/{user}/active",
            format!("/v1/users/{user}/active"),
            Some(json!({"active": true})),
            200,
            Admin,
        ),
        call(
            "GET /v1/users/{user}/impact",
            format!("/v1/users/{user}/impact"),
            None,
            200,
            Admin,
        ),
        call(
            "POST /v1/users/{user}/clear-keys",
            format!("/v1/users/{user}/clear-keys"),
            None,
            200,
            Admin,
        ),
        call(
            "GET /v1/locations",
            "/v1/locations".into(),
            None,
            200,
            Anyone,
        ),
        call(
            "POST /v1/locations",
            "/v1/locations".into(),
            Some(json!({"name": "Uptown"})),
            201,
            Admin,
        ),
        call(
            "PATCH /v1/locations/{id}",
            format!("/v1/locations/{location}"),
            Some(json!({"name": "Midtown"})),
            200,
            Admin,
        ),
        call(
            "GET /v1/keys",
            format!("/v1/keys?owner={owner}&sort=name&dir=asc"),
            None,
            200,
            Owner,
        ),
        call(
            "POST /v1/keys",
            "/v1/keys".into(),
            Some(json!({"owner": owner, "name": "Made over HTTP", "location": location})),
            201,
            Owner,
        ),
        call(
            "GET /v1/keys/{id}",
            format!("/v1/keys/{key}"),
            None,
            200,
            Owner,
        ),
        call(
            "PATCH /v1/keys/{id}",
            format!("/v1/keys/{key}"),
            Some(json!({"name": "Main renamed"})),
            200,
            Owner,
        ),
        call(
            "POST /v1/keys/{id}/reveal",
            format!("/v1/keys/{key}/reveal"),
            Some(json!({"how": "copy"})),
            200,
            Owner,
        ),
        call(
            "POST /v1/keys/{id}/regenerate",
            format!("/v1/keys/{key}/regenerate"),
            Some(json!({"grace": "1h"})),
            200,
            Owner,
        ),
        call(
            "PUT /v1/keys/{id}/disabled",
            format!("/v1/keys/{key}/disabled"),
            Some(json!({"disabled": true})),
            200,
            Owner,
        ),
        call(
            "PUT /v1/keys/{id}/disabled",
            format!("/v1/keys/{key}/disabled"),
            Some(json!({"disabled": false})),
            200,
            Owner,
        ),
        call(
            "POST /v1/keys/{id}/keep",
            format!("/v1/keys/{key}/keep"),
            None,
            200,
            Owner,
        ),
        call(
            "GET /v1/keys/{id}/usage",
            format!("/v1/keys/{key}/usage?days=7"),
            None,
            200,
            Owner,
        ),
        call(
            "GET /v1/keys/{id}/tokens",
            format!("/v1/keys/{key}/tokens"),
            None,
            200,
            Owner,
        ),
        call(
            "POST /v1/keys/{id}/tokens",
            format!("/v1/keys/{key}/tokens"),
            None,
            201,
            Owner,
        ),
        call(
            "DELETE /v1/keys/{id}",
            format!("/v1/keys/{spare}?force=true"),
            None,
            200,
            Owner,
        ),
        call(
            "GET /v1/deleted-keys",
            "/v1/deleted-keys".into(),
            None,
            200,
            Anyone,
        ),
        call(
            "POST /v1/deleted-keys/{id}/restore",
            format!("/v1/deleted-keys/{}/restore", t.binned),
            None,
            200,
            Owner,
        ),
        call(
            "DELETE /v1/deleted-keys/{id}",
            format!("/v1/deleted-keys/{}", t.purgeable),
            None,
            200,
            Owner,
        ),
        call(
            "GET /v1/tokens",
            format!("/v1/tokens?key={key}"),
            None,
            200,
            Owner,
        ),
        call(
            "POST /v1/tokens/{id}/revoke",
            format!("/v1/tokens/{token}/revoke"),
            None,
            200,
            Owner,
        ),
        call(
            "GET /v1/webhooks",
            format!("/v1/webhooks?user={owner}"),
            None,
            200,
            Owner,
        ),
        call(
            "POST /v1/webhooks",
            "/v1/webhooks".into(),
            Some(json!({
                "user": owner, "url": HOOK_URL, "entity": "token", "operation": "created",
                "allow_private": false
            })),
            201,
            Owner,
        ),
        call(
            "GET /v1/webhooks/{id}",
            format!("/v1/webhooks/{hook}"),
            None,
            200,
            Owner,
        ),
        call(
            "POST /v1/webhooks/{id}/test",
            format!("/v1/webhooks/{hook}/test"),
            None,
            200,
            Owner,
        ),
        call(
            "POST /v1/webhooks/{id}/reveal-secret",
            format!("/v1/webhooks/{hook}/reveal-secret"),
            None,
            200,
            Owner,
        ),
        call(
            "GET /v1/webhooks/{id}/deliveries",
            format!("/v1/webhooks/{hook}/deliveries"),
            None,
            200,
            Owner,
        ),
        call(
            "PUT /v1/webhooks/{id}/active",
            format!("/v1/webhooks/{hook}/active"),
            Some(json!({"on": false})),
            200,
            Owner,
        ),
        call(
            "DELETE /v1/webhooks/{id}",
            format!("/v1/webhooks/{hook}"),
            None,
            200,
            Owner,
        ),
        call(
            "GET /v1/audit",
            format!("/v1/audit?user={owner}"),
            None,
            200,
            Owner,
        ),
        call("GET /v1/settings", "/v1/settings".into(), None, 200, Anyone),
        call(
            "PUT /v1/settings",
            "/v1/settings".into(),
            Some(json!({"inactivity_days": 60})),
            200,
            Admin,
        ),
        // Email is off on the test server: an admin is told to set it up first.
        call(
            "POST /v1/settings/test-email",
            "/v1/settings/test-email".into(),
            Some(json!({"to": "ada@example.com"})),
            400,
            Admin,
        ),
        call(
            "POST /v1/lifecycle",
            "/v1/lifecycle".into(),
            Some(json!({"dry_run": true})),
            200,
            Admin,
        ),
        call(
            "GET /v1/lifecycle/expiring",
            "/v1/lifecycle/expiring".into(),
            None,
            200,
            Anyone,
        ),
        call(
            "GET /v1/management-tokens",
            format!("/v1/management-tokens?user={owner}"),
            None,
            200,
            Owner,
        ),
        call(
            "POST /v1/management-tokens",
            "/v1/management-tokens".into(),
            Some(json!({"user": owner, "name": "CI", "expires": "30d"})),
            201,
            Owner,
        ),
        call(
            "POST /v1/management-tokens/{id}/revoke",
            format!("/v1/management-tokens/{}/revoke", t.spare_mgmt),
            None,
            200,
            Owner,
        ),
    ]
}

/// The management routes `keyward serve` lists (all but the five for API keys).
pub fn management_routes() -> Vec<&'static str> {
    let for_keys = [
        "GET /v1/health",
        "POST /v1/tokens",
        "POST /v1/verify",
        "GET /v1/me",
        "GET /openapi.json",
    ];
    keyward_http::ROUTES
        .iter()
        .map(|(r, _)| *r)
        .filter(|r| !for_keys.contains(r))
        .collect()
}

/// Asserts `body` is an error with `code` (and `field`, when given) and returns its
/// message.
#[track_caller]
pub fn error(body: &Value, code: &str, field: Option<&str>) -> String {
    let e = body["error"]
        .as_object()
        .unwrap_or_else(|| panic!("not an error: {body}"));
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    assert_eq!(e["code"], code, "{body}");
    assert!(!e["message"].as_str().unwrap().is_empty(), "{body}");
    match field {
        Some(f) => {
            assert_eq!(e["field"], f, "{body}");
            assert_eq!(e.len(), 3, "{body}");
        }
        None => assert_eq!(e.len(), 2, "no field: {body}"),
    }
    e["message"].as_str().unwrap().to_owned()
}
