//! The Postman Collection v2.1 of this API. Each request's method, path, description,
//! expected status and whether it sends a Bearer credential come from the route's
//! OpenAPI declaration (`openapi::ApiDoc`); what only Postman needs — the order a user
//! sends them in, which variable is the credential, the body with its variables, the
//! tests — is the [`STEPS`] table. A test checks that the two cover the same routes.

use serde_json::{json, Map, Value};
use utoipa::OpenApi;

use crate::openapi::ApiDoc;

/// A Bearer credential a step may send.
const API_KEY: &str = "{{apiKey}}";
const TOKEN: &str = "{{token}}";

/// One request of the collection, named by the `operationId` of its route.
struct Step {
    operation: &'static str,
    name: &'static str,
    /// The credential, for a route that takes one (default: the API key).
    bearer: Option<&'static str>,
    /// The raw JSON body, for a route that takes one.
    body: Option<&'static str>,
    /// What the request adds to the route's own description.
    note: Option<&'static str>,
    /// Tests beyond the expected status.
    test: &'static str,
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
/// from the environment (the key is never in the collection itself). Every request
/// carries tests (`pm.test`), so running the collection (in Postman or with newman)
/// checks the API end to end.
pub fn collection(base_url: &str) -> Value {
    let routes = routes();
    let items: Vec<Value> = STEPS
        .iter()
        .filter_map(|step| {
            let route = routes.iter().find(|r| r.id() == step.operation)?;
            Some(item(step, route))
        })
        .collect();
    json!({
        "info": {
            "name": "Keyward local API",
            "description": "Keyward's loopback API. Import the environment exported with this \
                            collection (it holds `baseUrl` and `apiKey`), select it, then send \
                            the requests in order, or run the collection.",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "variable": [
            {"key": "baseUrl", "value": base_url, "type": "string"},
            {"key": "token", "value": "", "type": "string"},
        ],
        "item": items,
    })
}

fn item(step: &Step, route: &Route) -> Value {
    let mut description = route.description();
    if let Some(note) = step.note {
        description.push_str("\n\n");
        description.push_str(note);
    }
    let mut request = Map::new();
    request.insert("method".into(), json!(route.method));
    request.insert("description".into(), json!(description));
    request.insert("header".into(), json!([]));
    request.insert(
        "url".into(),
        json!({
            "raw": format!("{{{{baseUrl}}}}{}", route.path),
            "host": ["{{baseUrl}}"],
            "path": route.path.trim_start_matches('/').split('/').collect::<Vec<_>>(),
        }),
    );
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
    let status_test = format!(
        "pm.test(\"status is {status}\", function () {{\n    pm.response.to.have.status({status});\n}});"
    );
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
mod tests {
    use super::*;

    #[test]
    fn every_declared_route_has_a_step_and_every_step_a_route() {
        let routes = routes();
        assert!(!routes.is_empty());
        for r in &routes {
            assert!(
                STEPS.iter().any(|s| s.operation == r.id()),
                "{} {} ({}) has no Postman step",
                r.method,
                r.path,
                r.id()
            );
        }
        for s in STEPS {
            let r = routes
                .iter()
                .find(|r| r.id() == s.operation)
                .unwrap_or_else(|| panic!("step {:?} names no route", s.name));
            assert_eq!(
                s.bearer.is_some(),
                r.takes_bearer(),
                "{}: a credential exactly where the route takes one",
                s.name
            );
            assert_eq!(
                s.body.is_some(),
                r.takes_body(),
                "{}: a body exactly where the route takes one",
                s.name
            );
            assert!(r.success_status().is_some(), "{}: no 2xx declared", s.name);
        }
    }

    #[test]
    fn collection_covers_every_route_with_tests_and_no_secret() {
        let c = collection(&crate::base_url(7420));
        assert_eq!(
            c["info"]["schema"],
            "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
        );
        assert_eq!(c["variable"][0]["key"], "baseUrl");
        assert_eq!(c["variable"][0]["value"], "http://127.0.0.1:7420");
        let items = c["item"].as_array().unwrap();
        assert_eq!(items.len(), STEPS.len());
        let routes: Vec<String> = items
            .iter()
            .map(|i| format!("{} {}", i["request"]["method"], i["request"]["url"]["raw"]))
            .collect();
        for (route, _) in crate::ROUTES {
            let (method, path) = route.split_once(' ').unwrap();
            let want = format!("\"{method}\" \"{{{{baseUrl}}}}{path}\"");
            assert!(routes.contains(&want), "{want} missing: {routes:?}");
        }
        let script = |i: &Value| {
            i["event"][0]["script"]["exec"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l.as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
                .join("\n")
        };
        for i in items {
            assert_eq!(i["event"][0]["listen"], "test");
            assert!(script(i).contains("pm.response.to.have.status("));
            assert!(
                !i["request"]["description"].as_str().unwrap().is_empty(),
                "{}: described",
                i["name"]
            );
        }
        // The exchange keeps the token; the /v1/me after it uses it.
        let exchange = routes
            .iter()
            .position(|r| r.contains("/v1/tokens"))
            .unwrap();
        assert!(script(&items[exchange]).contains("pm.response.to.have.status(201)"));
        assert!(script(&items[exchange]).contains("pm.collectionVariables.set(\"token\""));
        let bearer = |i: &Value| i["request"]["auth"]["bearer"][0]["value"].clone();
        assert_eq!(bearer(&items[exchange]), "{{apiKey}}");
        assert_eq!(bearer(&items[exchange + 1]), "{{token}}");
        let verify = routes
            .iter()
            .position(|r| r.contains("/v1/verify"))
            .unwrap();
        assert_eq!(items[verify]["request"]["auth"]["type"], "noauth");
        assert_eq!(items[verify]["request"]["body"]["mode"], "raw");
        let text = c.to_string();
        assert!(
            !text.contains("kwa_") && !text.contains("kwl_"),
            "no key in the collection"
        );
    }
}
