//! The Postman Collection v2.1 of this API. Each request's method, path, description,
//! expected status and whether it sends a Bearer credential come from the route's
//! OpenAPI declaration (`openapi::ApiDoc`); what only Postman needs — the order a user
//! sends them in, which variable is the credential, the body with its variables, the
//! tests — is the [`STEPS`] table, and for the management routes, a folder per resource
//! (`manage_steps`). A test checks that the tables and the document cover the same routes.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};
use utoipa::OpenApi;

use super::manage_steps::{self, FOLDERS};
use crate::openapi::ApiDoc;

/// A Bearer credential a step may send.
const API_KEY: &str = "{{apiKey}}";
const TOKEN: &str = "{{token}}";
const MANAGEMENT_TOKEN: &str = "{{managementToken}}";

/// One request of the collection, named by the `operationId` of its route.
pub(super) struct Step {
    pub operation: &'static str,
    pub name: &'static str,
    /// The credential, for a route that takes one (default: the API key).
    pub bearer: Option<&'static str>,
    /// The raw JSON body, for a route that takes one.
    pub body: Option<&'static str>,
    /// What the request adds to the route's own description.
    pub note: Option<&'static str>,
    /// Tests beyond the expected status.
    pub test: &'static str,
    /// Statuses accepted besides the route's success, for a request whose refusal is a
    /// normal answer (a test email while email is off).
    pub also_ok: &'static [u16],
    /// Query parameters, with their values (variables allowed).
    pub query: &'static [(&'static str, &'static str)],
    /// The variable a path parameter stands for, when not its folder's.
    pub path: &'static [(&'static str, &'static str)],
}

/// The management folders' pre-request script: without a management token their requests
/// are skipped, so a run with only the exported environment (the API key) checks the
/// routes for API keys and stops there.
const SKIP_WITHOUT_MANAGEMENT_TOKEN: [&str; 3] = [
    "if (!pm.variables.get(\"managementToken\")) {",
    "    pm.execution.skipRequest();",
    "}",
];

/// A step of the API-key routes, before its own fields.
const KEY_STEP: Step = Step {
    operation: "",
    name: "",
    bearer: None,
    body: None,
    note: None,
    test: "",
    also_ok: &[],
    query: &[],
    path: &[],
};

/// A step of the management routes, before its own fields: sent with the management
/// token.
pub(super) const MANAGE: Step = Step {
    bearer: Some(MANAGEMENT_TOKEN),
    ..KEY_STEP
};

/// A folder of management requests: the routes of one OpenAPI tag.
pub(super) struct Folder {
    pub tag: &'static str,
    pub name: &'static str,
    /// The collection variable a path parameter of its routes stands for.
    pub id: &'static str,
}

/// The requests in the order a Postman user sends them: the token exchange keeps the new
/// token in the collection variable `token`, which the next request uses.
const STEPS: &[Step] = &[
    Step {
        operation: "health",
        name: "Health",
        bearer: None,
        body: None,
        note: None,
        test: r#"pm.test("the API is up", function () {
    pm.expect(pm.response.json().status).to.eql("ok");
});"#,
        ..KEY_STEP
    },
    Step {
        operation: "create_token",
        name: "Exchange the API key for a token",
        bearer: Some(API_KEY),
        body: None,
        note: Some("The new token is kept in the collection variable `token`."),
        test: r#"pm.test("a token is returned and kept", function () {
    const body = pm.response.json();
    pm.expect(body.token).to.match(/^kwt_/);
    pm.expect(body.expires_at).to.be.a("string");
    pm.collectionVariables.set("token", body.token);
});"#,
        ..KEY_STEP
    },
    Step {
        operation: "me",
        name: "Who am I (token)",
        bearer: Some(TOKEN),
        body: None,
        note: Some("Sent with the token just minted."),
        test: r#"pm.test("the token is recognised", function () {
    const body = pm.response.json();
    pm.expect(body.valid).to.eql(true);
    pm.expect(body.kind).to.eql("token");
});"#,
        ..KEY_STEP
    },
    Step {
        operation: "me",
        name: "Who am I (API key)",
        bearer: Some(API_KEY),
        body: None,
        note: Some("Sent with the API key."),
        test: r#"pm.test("the API key is recognised", function () {
    const body = pm.response.json();
    pm.expect(body.valid).to.eql(true);
    pm.expect(body.kind).to.eql("api_key");
});"#,
        ..KEY_STEP
    },
    Step {
        operation: "verify",
        name: "Verify the API key",
        bearer: None,
        body: Some("{\n    \"key\": \"{{apiKey}}\"\n}"),
        note: None,
        test: r#"pm.test("the key is valid", function () {
    pm.expect(pm.response.json().valid).to.eql(true);
});"#,
        ..KEY_STEP
    },
    Step {
        operation: "openapi_json",
        name: "OpenAPI document",
        bearer: None,
        body: None,
        note: None,
        test: r#"pm.test("it is OpenAPI 3.1", function () {
    pm.expect(pm.response.json().openapi).to.match(/^3\.1\./);
});"#,
        ..KEY_STEP
    },
];

/// A route as its OpenAPI declaration describes it.
struct Route {
    method: String,
    path: String,
    operation: Value,
}

impl Route {
    fn id(&self) -> &str {
        self.operation["operationId"].as_str().unwrap_or_default()
    }

    /// Its OpenAPI tag: the folder it goes in.
    fn tag(&self) -> &str {
        self.operation["tags"][0].as_str().unwrap_or_default()
    }

    fn takes_bearer(&self) -> bool {
        self.operation["security"]
            .as_array()
            .is_some_and(|s| !s.is_empty())
    }

    fn takes_body(&self) -> bool {
        self.operation.get("requestBody").is_some()
    }

    /// The success status it answers with (the lowest 2xx it declares).
    fn success_status(&self) -> Option<u16> {
        self.operation["responses"]
            .as_object()?
            .keys()
            .filter_map(|k| k.parse::<u16>().ok())
            .filter(|s| (200..300).contains(s))
            .min()
    }

    /// Its summary and description, as the OpenAPI document has them.
    fn description(&self) -> String {
        ["summary", "description"]
            .iter()
            .filter_map(|f| self.operation[*f].as_str())
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n")
    }
}

/// Every route the OpenAPI document declares.
fn routes() -> Vec<Route> {
    let doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            routes.push(Route {
                method: method.to_uppercase(),
                path: path.clone(),
                operation: operation.clone(),
            });
        }
    }
    routes
}

/// A Postman Collection v2.1 of this API's routes. It uses `{{baseUrl}}` and `{{apiKey}}`
/// from the environment (the key is never in the collection itself), and for the
/// management folders the collection variable `{{managementToken}}`, left empty. Every
/// request carries tests (`pm.test`), so running the collection (in Postman or with
/// newman) checks the API end to end.
pub fn collection(base_url: &str) -> Value {
    let routes = routes();
    let mut items: Vec<Value> = STEPS
        .iter()
        .filter_map(|step| Some(item(step, find(&routes, step)?, "")))
        .collect();
    for folder in FOLDERS {
        let requests: Vec<Value> = manage_steps::STEPS
            .iter()
            .filter_map(|step| {
                let route = find(&routes, step)?;
                (route.tag() == folder.tag).then(|| item(step, route, folder.id))
            })
            .collect();
        items.push(json!({
            "name": folder.name,
            "item": requests,
            "event": [{
                "listen": "prerequest",
                "script": {"type": "text/javascript", "exec": SKIP_WITHOUT_MANAGEMENT_TOKEN},
            }],
        }));
    }
    let mut variables = vec![
        json!({"key": "baseUrl", "value": base_url, "type": "string"}),
        json!({"key": "token", "value": "", "type": "string"}),
        json!({"key": "managementToken", "value": "", "type": "secret"}),
    ];
    let declared = ["baseUrl", "token", "managementToken", "apiKey"];
    for name in used_variables(&items) {
        if !declared.contains(&name.as_str()) {
            variables.push(json!({"key": name, "value": "", "type": "string"}));
        }
    }
    json!({
        "info": {
            "name": "Keyward local API",
            "description": "Keyward's API. Import the environment exported with this \
                            collection (it holds `baseUrl` and `apiKey`), select it, then send \
                            the requests in order, or run the collection. The folders after \
                            them manage Keyward: set the collection variable `managementToken` \
                            to a management token (`keyward manage-tokens create`, or \
                            Preferences › Access tokens) and run them in order — each uses what \
                            the ones before it made.",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "variable": variables,
        "item": items,
    })
}

fn find<'r>(routes: &'r [Route], step: &Step) -> Option<&'r Route> {
    routes.iter().find(|r| r.id() == step.operation)
}

/// The `{{name}}` variables the requests use (not Postman's own `{{$…}}`), sorted.
fn used_variables(items: &[Value]) -> BTreeSet<String> {
    let text = serde_json::to_string(items).unwrap_or_default();
    let mut found = BTreeSet::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("{{") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find("}}") else { break };
        let name = &rest[..end];
        if !name.starts_with('$') && name.chars().all(|c| c.is_ascii_alphanumeric()) {
            found.insert(name.to_owned());
        }
        rest = &rest[end + 2..];
    }
    found
}

/// The request's URL: the route's path with each parameter a variable (the step's, or
/// `id`, its folder's), and the step's query.
fn url(step: &Step, route: &Route, id: &str) -> Value {
    let segments: Vec<String> = route
        .path
        .trim_start_matches('/')
        .split('/')
        .map(
            |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(param) => {
                    let var = step
                        .path
                        .iter()
                        .find(|(p, _)| *p == param)
                        .map_or(id, |(_, v)| *v);
                    format!("{{{{{var}}}}}")
                }
                None => segment.to_owned(),
            },
        )
        .collect();
    let mut raw = format!("{{{{baseUrl}}}}/{}", segments.join("/"));
    let mut url = json!({"host": ["{{baseUrl}}"], "path": segments});
    if !step.query.is_empty() {
        let pairs: Vec<String> = step.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        raw.push('?');
        raw.push_str(&pairs.join("&"));
        url["query"] = step
            .query
            .iter()
            .map(|(k, v)| json!({"key": k, "value": v}))
            .collect();
    }
    url["raw"] = json!(raw);
    url
}

fn item(step: &Step, route: &Route, id: &str) -> Value {
    let mut description = route.description();
    if let Some(note) = step.note {
        description.push_str("\n\n");
        description.push_str(note);
    }
    let mut request = Map::new();
    request.insert("method".into(), json!(route.method));
    request.insert("description".into(), json!(description));
    request.insert("header".into(), json!([]));
    request.insert("url".into(), url(step, route, id));
    request.insert(
        "auth".into(),
        if route.takes_bearer() {
            json!({
                "type": "bearer",
                "bearer": [{"key": "token", "value": step.bearer.unwrap_or(API_KEY), "type": "string"}],
            })
        } else {
            json!({"type": "noauth"})
        },
    );
    if let Some(body) = step.body.filter(|_| route.takes_body()) {
        request.insert(
            "header".into(),
            json!([{"key": "Content-Type", "value": "application/json"}]),
        );
        request.insert(
            "body".into(),
            json!({
                "mode": "raw",
                "raw": body,
                "options": {"raw": {"language": "json"}},
            }),
        );
    }
    let status = route.success_status().unwrap_or(200);
    let status_test = if step.also_ok.is_empty() {
        format!(
            "pm.test(\"status is {status}\", function () {{\n    pm.response.to.have.status({status});\n}});"
        )
    } else {
        let all: Vec<String> = std::iter::once(status)
            .chain(step.also_ok.iter().copied())
            .map(|s| s.to_string())
            .collect();
        let all = all.join(", ");
        format!(
            "pm.test(\"status is one of {all}\", function () {{\n    pm.expect(pm.response.code).to.be.oneOf([{all}]);\n}});"
        )
    };
    let exec: Vec<&str> = status_test.lines().chain(step.test.lines()).collect();
    json!({
        "name": step.name,
        "request": request,
        "response": [],
        "event": [{
            "listen": "test",
            "script": {"type": "text/javascript", "exec": exec},
        }],
    })
}

#[cfg(test)]
mod tests;
