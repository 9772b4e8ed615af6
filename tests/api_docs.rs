//! The API documentation page shows what the loopback API really answers: its routes,
//! summaries and responses come from the server's OpenAPI document, and its example
//! bodies from real requests to a real server on 127.0.0.1:0, made here. The result is
//! committed as `ui/src/lib/api-docs.ts`; this fails when the server and that file
//! disagree. `make bindings` (UPDATE_API_DOCS=1) rewrites it.

use std::path::Path;
use std::sync::Arc;

use keyward_core::clock::parse_rfc3339;
use keyward_core::{FileMasterKey, ManualClock, NewKey, NewUser, Store, StoreOptions};
use serde_json::{json, Value};

/// The pinned clock of the examples: their dates never change.
const T0: &str = "2026-08-12T09:30:00Z";

struct Api {
    base: String,
    client: reqwest::Client,
}

struct Example {
    status: u16,
    reason: String,
    /// The body as the server wrote it (its field order), ids and secrets elided.
    body: String,
}

impl Api {
    async fn send(&self, req: reqwest::RequestBuilder) -> Example {
        let r = req.send().await.expect("the server answers");
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
            body: shown,
        }
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(format!("{}{path}", self.base))
    }

    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.post(format!("{}{path}", self.base))
    }
}

/// Ids and secrets differ on every run: each string of `v` that is one, with the prefix
/// and ellipsis the page shows in its place.
fn placeholders(v: &Value) -> Vec<(String, String)> {
    match v {
        Value::String(s) => match s.split_once('_') {
            Some((prefix, rest))
                if matches!(
                    prefix,
                    "usr" | "key" | "tok" | "loc" | "evt" | "whk" | "kwa" | "kwl" | "kwt" | "kwm"
                ) && rest.len() >= 10
                    && rest.chars().all(|c| c.is_ascii_alphanumeric()) =>
            {
                vec![(s.clone(), format!("{prefix}_…"))]
            }
            _ => vec![],
        },
        Value::Array(a) => a.iter().flat_map(placeholders).collect(),
        Value::Object(o) => o.values().flat_map(placeholders).collect(),
        _ => vec![],
    }
}

/// The real answers the page shows, per route (`"GET /v1/health"`), and the OpenAPI
/// document they came with.
async fn answers(dir: &Path) -> (Vec<(String, Vec<Example>)>, Value) {
    let clock = Arc::new(ManualClock::new(parse_rfc3339(T0).unwrap()));
    let store = Store::open(
        dir,
        clock,
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
    let agency = store
        .create_key(NewKey {
            owner: ada.id.clone(),
            name: "Zapier sync".into(),
            location: None,
        })
        .unwrap();
    let location = store.add_location("Downtown").unwrap();
    let local = store
        .create_key(NewKey {
            owner: ada.id.clone(),
            name: "Contact form".into(),
            location: Some(location.id),
        })
        .unwrap();
    let disabled = store
        .create_key(NewKey {
            owner: ada.id,
            name: "Old CRM".into(),
            location: None,
        })
        .unwrap();
    store.set_key_disabled(&disabled.view.id, true).unwrap();

    let store = Arc::new(store);
    let listener = keyward_http::bind(0).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(keyward_http::serve(store, listener, async move {
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
    let refused = api.send(api.post("/v1/tokens")).await;
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
        .await;
    let me = api.send(api.get("/v1/me").bearer_auth(&token)).await;
    let me_refused = api
        .send(api.get("/v1/me").bearer_auth(disabled.key.expose()))
        .await;
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

    let _ = stop.send(());
    server.await.unwrap().unwrap();
    let examples = vec![
        ("GET /v1/health".to_owned(), vec![health]),
        ("POST /v1/tokens".to_owned(), vec![created, refused]),
        ("POST /v1/verify".to_owned(), vec![valid, invalid]),
        ("GET /v1/me".to_owned(), vec![me, me_refused]),
        ("GET /openapi.json".to_owned(), vec![openapi]),
    ];
    (examples, document)
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

/// The page's data: every route for API keys the server lists (what Postman and local
/// scripts call; the management routes are in the OpenAPI document and
/// docs/management-api.md), with what its OpenAPI entry says and the real examples; the
/// verification codes the document declares.
fn page(examples: Vec<(String, Vec<Example>)>, doc: &Value) -> Value {
    let for_api_keys = |method: &str, path: &str| {
        doc["paths"][path][method.to_lowercase()]["tags"][0] == "keyward"
    };
    let routes: Vec<&str> = keyward_http::ROUTES
        .iter()
        .map(|(r, _)| *r)
        .filter(|r| r.split_once(' ').is_some_and(|(m, p)| for_api_keys(m, p)))
        .collect();
    let documented: Vec<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .filter(move |m| for_api_keys(m, path))
                .map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .collect();
    let mut sorted_routes: Vec<String> = routes.iter().map(|r| r.to_string()).collect();
    let mut sorted_documented = documented.clone();
    sorted_routes.sort();
    sorted_documented.sort();
    assert_eq!(
        sorted_routes, sorted_documented,
        "the server's routes and its OpenAPI document disagree"
    );
    let mut examples: std::collections::HashMap<String, Vec<Example>> =
        examples.into_iter().collect();
    let routes: Vec<Value> = routes
        .iter()
        .map(|route| {
            let (method, path) = route.split_once(' ').unwrap();
            let op = &doc["paths"][path][method.to_lowercase()];
            let mut responses: Vec<(&String, &Value)> =
                op["responses"].as_object().unwrap().iter().collect();
            responses.sort_by(|a, b| a.0.cmp(b.0));
            let shown = examples
                .remove(*route)
                .unwrap_or_else(|| panic!("no example for {route}: add one to this test"));
            json!({
                "method": method,
                "path": path,
                "summary": op["summary"].as_str().unwrap_or_default().trim_end_matches('.'),
                "description": op["description"].as_str().unwrap_or_default(),
                "bearer": op.get("security").is_some(),
                "responses": responses
                    .iter()
                    .map(|(status, r)| json!({"status": status, "description": r["description"]}))
                    .collect::<Vec<_>>(),
                "examples": shown
                    .iter()
                    .map(|e| json!({"status": e.status, "reason": e.reason, "body": e.body}))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    let codes = doc["components"]["schemas"]["VerifyCode"]["enum"].clone();
    assert!(
        codes.as_array().is_some_and(|c| !c.is_empty()),
        "the OpenAPI document declares the verification codes: {codes}"
    );
    json!({"routes": routes, "verify_codes": codes})
}

fn typescript(page: &Value) -> String {
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap();
    format!(
        "// Generated by tests/api_docs.rs from a real server's OpenAPI document and answers\n\
         // (`make bindings`). Do not edit: a test fails when this file and the server disagree.\n\n\
         export type ApiExample = {{ status: number; reason: string; body: string }};\n\
         export type ApiResponse = {{ status: string; description: string }};\n\
         export type ApiRoute = {{\n  method: string;\n  path: string;\n  summary: string;\n  \
         description: string;\n  bearer: boolean;\n  responses: ApiResponse[];\n  \
         examples: ApiExample[];\n}};\n\n\
         export const API_ROUTES: ApiRoute[] = {};\n\n\
         export const VERIFY_CODES: string[] = {};\n",
        pretty(&page["routes"]),
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
    }));
    let mut found: Vec<(&str, &str)> = found
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("kwt_AbCdEfGhIjKlMnOpQrStUvWxYz012345abcdef", "kwt_…"),
            ("tok_01J9ZQ4X7Y8ABCDEF", "tok_…"),
            ("usr_01J9ZQ4X7Y8ABCDEF", "usr_…"),
        ]
    );
}
