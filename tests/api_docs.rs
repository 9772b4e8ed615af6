//! The API documentation page shows what the API really answers: its routes, summaries,
//! parameters and responses come from the server's OpenAPI document, and its example
//! requests and bodies from real requests to a real server on 127.0.0.1:0, made here —
//! the routes for API keys and, with a management token, every management route. The
//! result is committed as `ui/src/lib/api-docs.ts`; this fails when the server and that
//! file disagree. `make bindings` (UPDATE_API_DOCS=1) rewrites it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use keyward_core::clock::parse_rfc3339;
use keyward_core::{FileMasterKey, ManualClock, NewKey, NewUser, Store, StoreOptions};
use reqwest::header::CONTENT_TYPE;
use serde_json::{json, Value};

/// The pinned clock of the examples: their dates never change.
const T0: &str = "2026-08-12T09:30:00Z";

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

struct Api {
    base: String,
    client: reqwest::Client,
}

struct Example {
    status: u16,
    reason: String,
    /// The body as the server wrote it (its field order), ids and secrets elided.
    body: String,
    /// The request: its method and target (path and query), ids elided.
    request: String,
    /// The JSON body it sent, if any, ids elided.
    request_body: Option<String>,
    /// What sets this example apart when its request does not show it (who sent it).
    note: String,
    /// The answer as it came, ids and all: where the next requests take their ids from.
    answer: Value,
}

impl Example {
    fn note(mut self, note: &str) -> Example {
        self.note = note.to_owned();
        self
    }

    /// A string of the answer, at a JSON pointer (`/id`, `/view/id`).
    fn at(&self, pointer: &str) -> String {
        self.answer
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no {pointer} in {}", self.answer))
            .to_owned()
    }
}

impl Api {
    async fn send(&self, req: reqwest::RequestBuilder) -> Example {
        let request = req.build().expect("a request");
        let url = request.url();
        let target = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let line = elide_text(&format!("{} {target}", request.method()));
        let sent = request.body().map(|b| {
            let bytes = b.as_bytes().expect("a body in memory");
            elide_text(std::str::from_utf8(bytes).expect("a text body"))
        });
        let r = self
            .client
            .execute(request)
            .await
            .expect("the server answers");
        let status = r.status();
        let text = r.text().await.expect("an answer");
        let body: Value = serde_json::from_str(&text).expect("a JSON answer");
        let mut shown = text;
        for (generated, placeholder) in placeholders(&body) {
            shown = shown.replace(&format!("\"{generated}\""), &format!("\"{placeholder}\""));
        }
        Example {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or_default().to_owned(),
            body: elide_text(&shown),
            request: line,
            request_body: sent,
            note: String::new(),
            answer: body,
        }
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(format!("{}{path}", self.base))
    }

    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.post(format!("{}{path}", self.base))
    }

    fn put(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.put(format!("{}{path}", self.base))
    }

    fn patch(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.patch(format!("{}{path}", self.base))
    }

    fn delete(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.delete(format!("{}{path}", self.base))
    }
}

/// `req` with a JSON body, written out (not serialized from a map) so that the page shows
/// its fields in the order a person would write them.
fn with_json(req: reqwest::RequestBuilder, body: &str) -> reqwest::RequestBuilder {
    serde_json::from_str::<Value>(body).expect("an example request body is JSON");
    req.header(CONTENT_TYPE, "application/json")
        .body(body.to_owned())
}

/// The prefixes of what differs on every run: ids (`usr_…`), secrets (`kwa_…`) and
/// webhook signing secrets (`whsec_…`).
const ELIDED: &[&str] = &[
    "usr", "key", "tok", "loc", "evt", "whk", "mgt", "dlv", "msg", "kwa", "kwl", "kwt", "kwm",
    "whsec",
];

/// The placeholder the page shows for `s` (its prefix and an ellipsis) when `s` is an id,
/// a secret, or a masked secret (`kwa_AbCd…wxyz`, `whsec_…wxyz`, whose visible ends differ
/// on every run too).
fn placeholder_for(s: &str) -> Option<String> {
    let (prefix, rest) = s.split_once('_')?;
    if !ELIDED.contains(&prefix) {
        return None;
    }
    // Webhook secrets are base64; the others, letters and digits.
    let part = |c: char| c.is_ascii_alphanumeric() || (prefix == "whsec" && "+/=".contains(c));
    let whole = rest.chars().count() >= 10 && rest.chars().all(part);
    let masked = rest.contains('…') && rest.chars().all(|c| c == '…' || part(c));
    (whole || masked).then(|| format!("{prefix}_…"))
}

/// Ids and secrets differ on every run: each string of `v` that is one, with the prefix
/// and ellipsis the page shows in its place.
fn placeholders(v: &Value) -> Vec<(String, String)> {
    match v {
        Value::String(s) => placeholder_for(s)
            .map(|p| vec![(s.clone(), p)])
            .unwrap_or_default(),
        Value::Array(a) => a.iter().flat_map(placeholders).collect(),
        Value::Object(o) => o.values().flat_map(placeholders).collect(),
        _ => vec![],
    }
}

/// `text` (a request's target or body, or an answer's sentence that names an id) with
/// each id or secret in it elided.
fn elide_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        out.push_str(&placeholder_for(word).unwrap_or_else(|| word.clone()));
        word.clear();
    };
    for c in text.chars() {
        // A masked secret (`kwt_AbCd…wxyz`) is one word.
        if c.is_ascii_alphanumeric() || c == '_' || c == '…' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The real answers the page shows, per route (`"GET /v1/health"`), and the OpenAPI
/// document they came with.
async fn answers(dir: &Path) -> (Vec<(String, Vec<Example>)>, Value) {
    let clock = Arc::new(ManualClock::new(parse_rfc3339(T0).unwrap()));
    let store = Store::open(
        dir,
        clock.clone(),
        &FileMasterKey::new(dir.join("master.key")),
        StoreOptions::default(),
    )
    .unwrap();
    let ada = store
        .add_user(NewUser {
            name: "Ada Lovelace".into(),
            email: "ada@example.org".into(),
            admin: true,
        })
        .unwrap();
    let grace = store
        .add_user(NewUser {
            name: "Grace Hopper".into(),
            email: "grace@example.org".into(),
            admin: false,
        })
        .unwrap();
    let agency = store
        .create_key(NewKey {
            owner: ada.id.clone(),
            name: "Zapier sync".into(),
            location: None,
            ..Default::default()
        })
        .unwrap();
    let location = store.add_location("Downtown").unwrap();
    let local = store
        .create_key(NewKey {
            owner: ada.id.clone(),
            name: "Contact form".into(),
            location: Some(location.id),
            ..Default::default()
        })
        .unwrap();
    let disabled = store
        .create_key(NewKey {
            owner: ada.id.clone(),
            name: "Old CRM".into(),
            location: None,
            ..Default::default()
        })
        .unwrap();
    store.set_key_disabled(&disabled.view.id, true).unwrap();
    // What the management examples present: Ada's (an admin) and Grace's (a manager).
    let admin = store
        .create_management_token(&ada.id, Some("Scripts"), None)
        .unwrap()
        .token
        .expose()
        .to_owned();
    let manager = store
        .create_management_token(&grace.id, Some("Reports"), None)
        .unwrap()
        .token
        .expose()
        .to_owned();

    let store = Arc::new(store);
    let listener = keyward_http::bind(0).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(keyward_http::serve(store.clone(), listener, async move {
        let _ = stopped.await;
    }));
    keyward_webhooks::install_crypto_provider();
    let api = Api {
        base: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::new(),
    };

    let health = api.send(api.get("/v1/health")).await;
    let created = api
        .send(api.post("/v1/tokens").bearer_auth(local.key.expose()))
        .await;
    let token = {
        let r = api
            .post("/v1/tokens")
            .bearer_auth(local.key.expose())
            .send()
            .await
            .unwrap();
        r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let refused = api
        .send(api.post("/v1/tokens"))
        .await
        .note("Without an API key");
    let valid = api
        .send(
            api.post("/v1/verify")
                .json(&json!({"key": agency.key.expose()})),
        )
        .await;
    let invalid = api
        .send(
            api.post("/v1/verify")
                .json(&json!({"key": disabled.key.expose()})),
        )
        .await
        .note("A disabled key");
    let me = api.send(api.get("/v1/me").bearer_auth(&token)).await;
    let me_refused = api
        .send(api.get("/v1/me").bearer_auth(disabled.key.expose()))
        .await
        .note("A disabled key");
    let document = api
        .get("/openapi.json")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let mut openapi = api.send(api.get("/openapi.json")).await;
    openapi.body = outline(&document);

    let mut examples = vec![
        ("GET /v1/health".to_owned(), vec![health]),
        ("POST /v1/tokens".to_owned(), vec![created, refused]),
        ("POST /v1/verify".to_owned(), vec![valid, invalid]),
        ("GET /v1/me".to_owned(), vec![me, me_refused]),
        ("GET /openapi.json".to_owned(), vec![openapi]),
    ];
    examples.extend(
        management(
            &api,
            &store,
            &clock,
            &admin,
            &manager,
            &local.view.id,
            &disabled.view.id,
        )
        .await,
    );

    let _ = stop.send(());
    server.await.unwrap().unwrap();
    (examples, document)
}

/// The management routes' examples, as Ada (an admin) or, where a role matters, Grace (a
/// manager). Made in an order that leaves something to show: a key with a token before
/// its detail, a queued test event before the deliveries, and the clock moved on before
/// the lifecycle so that keys are due.
async fn management(
    api: &Api,
    store: &Store,
    clock: &ManualClock,
    admin: &str,
    manager: &str,
    in_use: &str,
    unused: &str,
) -> Vec<(String, Vec<Example>)> {
    let send = |req: reqwest::RequestBuilder| api.send(req.bearer_auth(admin));
    let mut out: Vec<(String, Vec<Example>)> = Vec::new();
    let mut add = |route: &str, examples: Vec<Example>| out.push((route.to_owned(), examples));

    // session
    let session = send(api.get("/v1/session")).await;
    let anonymous = api
        .send(api.get("/v1/session"))
        .await
        .note("Without a management token");
    add("GET /v1/session", vec![session, anonymous]);

    // users
    let users = send(api.get("/v1/users")).await;
    let first = send(api.get("/v1/users?limit=1"))
        .await
        .note("One at a time: pass `next_cursor` back as `?cursor=` for the next page");
    add("GET /v1/users", vec![users, first]);
    let alan = r#"{"name":"Alan Turing","email":"alan@example.org","admin":false}"#;
    let not_an_admin = api
        .send(with_json(api.post("/v1/users"), alan).bearer_auth(manager))
        .await
        .note("With a manager's token: only an admin may add site managers");
    let added = send(with_json(api.post("/v1/users"), alan)).await;
    let alan_id = added.at("/id");
    add("POST /v1/users", vec![added, not_an_admin]);
    add(
        "GET /v1/users/{user}",
        vec![send(api.get("/v1/users/alan@example.org")).await],
    );
    add(
        "PATCH /v1/users/{user}",
        vec![
            send(with_json(
                api.patch("/v1/users/alan@example.org"),
                r#"{"name":"Alan M. Turing"}"#,
            ))
            .await,
        ],
    );
    add(
        "PUT /v1/users/{user}/api-access",
        vec![
            send(with_json(
                api.put("/v1/users/alan@example.org/api-access"),
                r#"{"on":true}"#,
            ))
            .await,
        ],
    );
    store
        .create_key(NewKey {
            owner: alan_id,
            name: "Intranet".into(),
            location: None,
            ..Default::default()
        })
        .unwrap();
    add(
        "GET /v1/users/{user}/impact",
        vec![send(api.get("/v1/users/alan@example.org/impact")).await],
    );
    add(
        "POST /v1/users/{user}/clear-keys",
        vec![send(api.post("/v1/users/alan@example.org/clear-keys")).await],
    );
    add(
        "PUT /v1/users/{user}/active",
        vec![
            send(with_json(
                api.put("/v1/users/alan@example.org/active"),
                r#"{"active":false}"#,
            ))
            .await,
        ],
    );

    // locations
    add(
        "GET /v1/locations",
        vec![send(api.get("/v1/locations")).await],
    );
    let uptown = send(with_json(api.post("/v1/locations"), r#"{"name":"Uptown"}"#)).await;
    let uptown_id = uptown.at("/id");
    add("POST /v1/locations", vec![uptown]);
    add(
        "PATCH /v1/locations/{id}",
        vec![
            send(with_json(
                api.patch(&format!("/v1/locations/{uptown_id}")),
                r#"{"name":"Uptown East"}"#,
            ))
            .await,
        ],
    );

    // keys
    let key = send(with_json(
        api.post("/v1/keys"),
        r#"{"owner":"ada@example.org","name":"Billing export"}"#,
    ))
    .await;
    let id = key.at("/id");
    add("POST /v1/keys", vec![key]);
    let keys = send(api.get("/v1/keys?sort=name&limit=2")).await.note(
        "`matching` counts the keys the filters let through, `total` all the keys you may see",
    );
    add("GET /v1/keys", vec![keys]);
    add(
        "PATCH /v1/keys/{id}",
        vec![
            send(with_json(
                api.patch(&format!("/v1/keys/{id}")),
                r#"{"name":"Billing export (nightly)"}"#,
            ))
            .await,
        ],
    );
    add(
        "POST /v1/keys/{id}/reveal",
        vec![
            send(with_json(
                api.post(&format!("/v1/keys/{id}/reveal")),
                r#"{"how":"copy"}"#,
            ))
            .await,
        ],
    );
    let minted = send(api.post(&format!("/v1/keys/{id}/tokens"))).await;
    let token_id = minted.at("/id");
    add("POST /v1/keys/{id}/tokens", vec![minted]);
    add(
        "GET /v1/keys/{id}/tokens",
        vec![send(api.get(&format!("/v1/keys/{id}/tokens"))).await],
    );
    add(
        "GET /v1/tokens",
        vec![send(api.get(&format!("/v1/tokens?key={id}"))).await],
    );
    add(
        "POST /v1/tokens/{id}/revoke",
        vec![send(api.post(&format!("/v1/tokens/{token_id}/revoke"))).await],
    );
    add(
        "GET /v1/keys/{id}",
        vec![send(api.get(&format!("/v1/keys/{id}"))).await],
    );
    add(
        "POST /v1/keys/{id}/keep",
        vec![send(api.post(&format!("/v1/keys/{id}/keep"))).await],
    );
    add(
        "GET /v1/keys/{id}/usage",
        vec![send(api.get(&format!("/v1/keys/{id}/usage?days=3"))).await],
    );
    add(
        "POST /v1/keys/{id}/regenerate",
        vec![
            send(with_json(
                api.post(&format!("/v1/keys/{id}/regenerate")),
                r#"{"grace":"24h"}"#,
            ))
            .await,
        ],
    );
    add(
        "PUT /v1/keys/{id}/disabled",
        vec![
            send(with_json(
                api.put(&format!("/v1/keys/{id}/disabled")),
                r#"{"disabled":true}"#,
            ))
            .await,
        ],
    );
    let deleted = send(api.delete(&format!("/v1/keys/{unused}"))).await;
    let kept = send(api.delete(&format!("/v1/keys/{in_use}")))
        .await
        .note("A key in use, without `force=true` or `confirm_name`");
    add("DELETE /v1/keys/{id}", vec![deleted, kept]);
    add(
        "GET /v1/deleted-keys",
        vec![send(api.get("/v1/deleted-keys")).await],
    );
    add(
        "POST /v1/deleted-keys/{id}/restore",
        vec![send(api.post(&format!("/v1/deleted-keys/{unused}/restore"))).await],
    );
    send(api.delete(&format!("/v1/keys/{unused}"))).await;
    add(
        "DELETE /v1/deleted-keys/{id}",
        vec![send(api.delete(&format!("/v1/deleted-keys/{unused}"))).await],
    );

    // webhooks
    let webhook = send(with_json(
        api.post("/v1/webhooks"),
        r#"{"user":"ada@example.org","url":"http://127.0.0.1:8080/keyward-events","entity":"api_key","operation":"*","allow_private":true}"#,
    ))
    .await;
    let hook = webhook.at("/id");
    add("POST /v1/webhooks", vec![webhook]);
    add(
        "GET /v1/webhooks",
        vec![send(api.get("/v1/webhooks")).await],
    );
    add(
        "GET /v1/webhooks/{id}",
        vec![send(api.get(&format!("/v1/webhooks/{hook}"))).await],
    );
    add(
        "POST /v1/webhooks/{id}/reveal-secret",
        vec![send(api.post(&format!("/v1/webhooks/{hook}/reveal-secret"))).await],
    );
    // Queued only: nothing here delivers it.
    let tested = send(api.post(&format!("/v1/webhooks/{hook}/test"))).await;
    add(
        "GET /v1/webhooks/{id}/deliveries",
        vec![send(api.get(&format!("/v1/webhooks/{hook}/deliveries"))).await],
    );
    add(
        "PUT /v1/webhooks/{id}/active",
        vec![
            send(with_json(
                api.put(&format!("/v1/webhooks/{hook}/active")),
                r#"{"on":false}"#,
            ))
            .await,
        ],
    );
    let off = send(api.post(&format!("/v1/webhooks/{hook}/test")))
        .await
        .note("While the subscription is off");
    add("POST /v1/webhooks/{id}/test", vec![tested, off]);
    add(
        "DELETE /v1/webhooks/{id}",
        vec![send(api.delete(&format!("/v1/webhooks/{hook}"))).await],
    );

    // management tokens
    add(
        "GET /v1/management-tokens",
        vec![send(api.get("/v1/management-tokens")).await],
    );
    let created = send(with_json(
        api.post("/v1/management-tokens"),
        r#"{"user":"grace@example.org","name":"Nightly report","expires":"90d"}"#,
    ))
    .await;
    let mgt = created.at("/id");
    add("POST /v1/management-tokens", vec![created]);
    add(
        "POST /v1/management-tokens/{id}/revoke",
        vec![send(api.post(&format!("/v1/management-tokens/{mgt}/revoke"))).await],
    );

    // audit
    add(
        "GET /v1/audit",
        vec![send(api.get("/v1/audit?limit=3")).await],
    );

    // settings: the whole object back, one value changed
    let settings = send(api.get("/v1/settings")).await;
    let changed = settings
        .body
        .replace("\"max_live_tokens\":100", "\"max_live_tokens\":50");
    assert_ne!(
        changed, settings.body,
        "the example changes max_live_tokens"
    );
    let put = send(with_json(api.put("/v1/settings"), &changed)).await;
    add("GET /v1/settings", vec![settings]);
    add("PUT /v1/settings", vec![put]);
    // A test email through an SMTP server on this machine (its port shown as 2525), then
    // with email off again: the answer says what to set first.
    let rx = keyward_testkit::smtp::SmtpReceiver::start();
    keyward_webhooks::mail::enable(store);
    let mut on = store.settings().unwrap();
    on.set("smtp_url", &rx.url()).unwrap();
    on.set("smtp_from", "Keyward <keyward@example.com>")
        .unwrap();
    let off = store.update_settings(on).unwrap();
    let test_email = r#"{"to":"ada@example.com"}"#;
    let mut sent = send(with_json(api.post("/v1/settings/test-email"), test_email)).await;
    assert_eq!(sent.answer["sent"], true, "{}", sent.body);
    let message_id = sent.answer["message_id"].as_str().unwrap().to_owned();
    sent.body = sent
        .body
        .replace(&format!("127.0.0.1:{}", rx.port), "127.0.0.1:2525")
        .replace(&message_id, "<mail_…@example.com>");
    store
        .update_settings(keyward_core::Settings {
            smtp_url: String::new(),
            smtp_from: String::new(),
            ..off
        })
        .unwrap();
    let refused = send(with_json(api.post("/v1/settings/test-email"), test_email)).await;
    add("POST /v1/settings/test-email", vec![sent, refused]);

    // lifecycle, 80 days on: the keys left unused are due for deletion in 10 days
    clock.advance(80 * DAY_MS);
    add(
        "GET /v1/lifecycle/expiring",
        vec![send(api.get("/v1/lifecycle/expiring")).await],
    );
    add(
        "POST /v1/lifecycle",
        vec![send(with_json(api.post("/v1/lifecycle"), r#"{"dry_run":true}"#)).await],
    );
    out
}

/// The OpenAPI document's outline: its version, title and routes, details elided.
fn outline(doc: &Value) -> String {
    let text = |v: &Value| serde_json::to_string(v).unwrap();
    let paths: Vec<String> = doc["paths"]
        .as_object()
        .map(|p| {
            p.keys()
                .map(|k| format!("{}:\"…\"", text(&json!(k))))
                .collect()
        })
        .unwrap_or_default();
    format!(
        "{{\"openapi\":{},\"info\":{{\"title\":{},\"version\":{}}},\"paths\":{{{}}}}}",
        text(&doc["openapi"]),
        text(&doc["info"]["title"]),
        text(&doc["info"]["version"]),
        paths.join(",")
    )
}

/// Whether `target` (a path, perhaps with a query) is a path of `template`
/// (`/v1/keys/{id}`).
fn is_path_of(target: &str, template: &str) -> bool {
    let path = target.split_once('?').map_or(target, |(p, _)| p);
    let (a, b): (Vec<&str>, Vec<&str>) = (path.split('/').collect(), template.split('/').collect());
    a.len() == b.len()
        && a.iter().zip(&b).all(|(seg, want)| {
            if want.starts_with('{') {
                !seg.is_empty()
            } else {
                seg == want
            }
        })
}

/// The page's data: every route the server lists, in its order, with what its OpenAPI
/// entry says (its tag: `keyward` for the routes of API keys, a resource for the
/// management routes) and the real examples; the tags, in the document's order; the
/// verification codes the document declares.
fn page(examples: Vec<(String, Vec<Example>)>, doc: &Value) -> Value {
    let routes: Vec<&str> = keyward_http::ROUTES.iter().map(|(r, _)| *r).collect();
    let documented = keyward_http::documented_routes(doc);
    let mut sorted_routes: Vec<String> = routes.iter().map(|r| r.to_string()).collect();
    let mut sorted_documented = documented.clone();
    sorted_routes.sort();
    sorted_documented.sort();
    assert_eq!(
        sorted_routes, sorted_documented,
        "the server's routes and its OpenAPI document disagree"
    );
    let tags: Vec<Value> = doc["tags"]
        .as_array()
        .expect("the document declares its tags")
        .iter()
        .map(|t| json!({"name": t["name"], "description": t["description"]}))
        .collect();
    let mut examples: HashMap<String, Vec<Example>> = examples.into_iter().collect();
    let routes: Vec<Value> = routes
        .iter()
        .map(|route| {
            let (method, path) = route.split_once(' ').unwrap();
            let op = &doc["paths"][path][method.to_lowercase()];
            let tag = op["tags"][0].as_str().unwrap_or_default();
            assert!(
                tags.iter().any(|t| t["name"] == tag),
                "{route}: its tag {tag:?} is not one the document declares"
            );
            let mut responses: Vec<(&String, &Value)> =
                op["responses"].as_object().unwrap().iter().collect();
            responses.sort_by(|a, b| a.0.cmp(b.0));
            let shown = examples
                .remove(*route)
                .unwrap_or_else(|| panic!("no example for {route}: add one to this test"));
            assert!(!shown.is_empty(), "no example for {route}");
            for e in &shown {
                let (m, target) = e.request.split_once(' ').unwrap();
                assert!(
                    m == method && is_path_of(target, path),
                    "an example of {route} sent {}",
                    e.request
                );
                assert!(
                    responses.iter().any(|(s, _)| **s == e.status.to_string()),
                    "{route} answered {} ({}), which its OpenAPI entry does not declare",
                    e.status,
                    e.body
                );
            }
            // The page's copyable example is made from the first: a success.
            assert!(
                (200..300).contains(&shown[0].status),
                "the first example of {route} is a success, not {}: {}",
                shown[0].status,
                shown[0].body
            );
            // A management route's copyable example sends it in single quotes: an id there
            // would stay a placeholder (a site manager goes by email instead).
            assert!(
                tag == "keyward"
                    || !shown[0]
                        .request_body
                        .as_deref()
                        .unwrap_or_default()
                        .contains('…'),
                "the first example of {route} names an id in its body: {:?}",
                shown[0].request_body
            );
            let parameters: Vec<Value> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .map(|p| {
                            json!({
                                "name": p["name"],
                                "in": p["in"],
                                "required": p["required"].as_bool().unwrap_or(false),
                                "description": p["description"].as_str().unwrap_or_default(),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            json!({
                "method": method,
                "path": path,
                "tag": tag,
                "summary": op["summary"].as_str().unwrap_or_default().trim_end_matches('.'),
                "description": op["description"].as_str().unwrap_or_default(),
                "bearer": op.get("security").is_some(),
                "parameters": parameters,
                "responses": responses
                    .iter()
                    .map(|(status, r)| json!({"status": status, "description": r["description"]}))
                    .collect::<Vec<_>>(),
                "examples": shown
                    .iter()
                    .map(|e| json!({
                        "status": e.status,
                        "reason": e.reason,
                        "body": e.body,
                        "request": e.request,
                        "request_body": e.request_body,
                        "note": e.note,
                    }))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut left: Vec<&String> = examples.keys().collect();
    left.sort();
    assert!(
        left.is_empty(),
        "examples of routes the server does not list: {left:?}"
    );
    let codes = doc["components"]["schemas"]["VerifyCode"]["enum"].clone();
    assert!(
        codes.as_array().is_some_and(|c| !c.is_empty()),
        "the OpenAPI document declares the verification codes: {codes}"
    );
    json!({"routes": routes, "tags": tags, "verify_codes": codes})
}

fn typescript(page: &Value) -> String {
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap();
    format!(
        "// Generated by tests/api_docs.rs from a real server's OpenAPI document and answers\n\
         // (`make bindings`). Do not edit: a test fails when this file and the server disagree.\n\n\
         export type ApiExample = {{\n  status: number;\n  reason: string;\n  body: string;\n  \
         request: string;\n  request_body: string | null;\n  note: string;\n}};\n\
         export type ApiParameter = {{ name: string; in: string; required: boolean; description: string }};\n\
         export type ApiResponse = {{ status: string; description: string }};\n\
         export type ApiRoute = {{\n  method: string;\n  path: string;\n  tag: string;\n  summary: string;\n  \
         description: string;\n  bearer: boolean;\n  parameters: ApiParameter[];\n  \
         responses: ApiResponse[];\n  examples: ApiExample[];\n}};\n\
         export type ApiTag = {{ name: string; description: string }};\n\n\
         export const API_ROUTES: ApiRoute[] = {};\n\n\
         export const API_TAGS: ApiTag[] = {};\n\n\
         export const VERIFY_CODES: string[] = {};\n",
        pretty(&page["routes"]),
        pretty(&page["tags"]),
        pretty(&page["verify_codes"]),
    )
}

#[test]
fn the_documentation_page_shows_what_the_server_answers() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (examples, doc) = runtime.block_on(answers(dir.path()));
    let fresh = typescript(&page(examples, &doc));
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/lib/api-docs.ts");
    if std::env::var_os("UPDATE_API_DOCS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "ui/src/lib/api-docs.ts differs from what the server answers: run `make bindings`\n\
         --- committed\n{committed}\n--- the server\n{fresh}"
    );
}

#[test]
fn placeholders_stand_for_ids_and_secrets_only() {
    let found = placeholders(&json!({
        "id": "tok_01J9ZQ4X7Y8ABCDEF",
        "token": "kwt_AbCdEfGhIjKlMnOpQrStUvWxYz012345abcdef",
        "owner": {"id": "usr_01J9ZQ4X7Y8ABCDEF"},
        "code": "API_ACCESS_OFF",
        "status": "ok",
        "name": "key_rotation",
        "webhook": {
            "id": "whk_01J9ZQ4X7Y8ABCDEF",
            "secret": "whsec_c2VjcmV0LXNpZ25pbmcta2V5+/A=",
            "masked_secret": "whsec_…pQ==",
        },
        "management": {"id": "mgt_01J9ZQ4X7Y8ABCDEF", "masked_token": "kwm_AbCd…wxyz"},
        "entity": "api_key",
    }));
    let mut found: Vec<(&str, &str)> = found
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("kwm_AbCd…wxyz", "kwm_…"),
            ("kwt_AbCdEfGhIjKlMnOpQrStUvWxYz012345abcdef", "kwt_…"),
            ("mgt_01J9ZQ4X7Y8ABCDEF", "mgt_…"),
            ("tok_01J9ZQ4X7Y8ABCDEF", "tok_…"),
            ("usr_01J9ZQ4X7Y8ABCDEF", "usr_…"),
            ("whk_01J9ZQ4X7Y8ABCDEF", "whk_…"),
            ("whsec_c2VjcmV0LXNpZ25pbmcta2V5+/A=", "whsec_…"),
            ("whsec_…pQ==", "whsec_…"),
        ]
    );
}

#[test]
fn ids_in_paths_and_sentences_are_elided_too() {
    assert_eq!(
        elide_text("POST /v1/keys/key_01J9ZQ4X7Y8ABCDEF/tokens?owner=usr_01J9ZQ4X7Y8ABCDEF"),
        "POST /v1/keys/key_…/tokens?owner=usr_…"
    );
    assert_eq!(
        elide_text("{\"summary\":\"revoked tok_01J9ZQ4X7Y8ABCDEF (kwt_AbCd…wxyz) of…\"}"),
        "{\"summary\":\"revoked tok_… (kwt_…) of…\"}"
    );
    assert_eq!(
        elide_text("/v1/users/alan@example.org"),
        "/v1/users/alan@example.org"
    );
}
