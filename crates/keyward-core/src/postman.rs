//! What "Copy as cURL" and "Export for Postman" produce for a key and the loopback API.

use serde_json::{json, Value};

use crate::secret::Secret;

/// The loopback API's base URL for a port.
pub fn base_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

/// A ready-to-paste command that exchanges the key for a token.
pub fn curl_command(base_url: &str, key: &Secret) -> String {
    format!(
        "curl -X POST {base_url}/v1/tokens -H \"Authorization: Bearer {}\"",
        key.expose()
    )
}

/// A Postman environment with `baseUrl` and `apiKey` filled in.
pub fn environment(key_id: &str, key_name: &str, base_url: &str, key: &Secret) -> Value {
    json!({
        "id": key_id,
        "name": format!("Keyward – {key_name}"),
        "values": [
            {"key": "baseUrl", "value": base_url, "type": "default", "enabled": true},
            {"key": "apiKey", "value": key.expose(), "type": "secret", "enabled": true},
        ],
        "_postman_variable_scope": "environment",
    })
}

/// A file name for the exported environment, safe on every platform.
pub fn environment_file_name(key_name: &str) -> String {
    format!("keyward-{}.postman_environment.json", slug(key_name))
}

/// A file name for the exported collection, beside the environment's.
pub fn collection_file_name(key_name: &str) -> String {
    format!("keyward-{}.postman_collection.json", slug(key_name))
}

fn slug(key_name: &str) -> String {
    let slug: String = key_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if slug.is_empty() {
        "key".to_owned()
    } else {
        slug
    }
}

/// A Postman Collection v2.1 of the loopback API's routes. It uses `{{baseUrl}}` and
/// `{{apiKey}}` from the environment (the key is never in the collection itself): the
/// token exchange keeps the new token in the collection variable `token`, which the next
/// request uses. Every request carries tests (`pm.test`), so running the collection (in
/// Postman or with newman) checks the API end to end.
pub fn collection(base_url: &str) -> Value {
    let items = [
        Item {
            name: "Health",
            description: "Is the local API up?",
            method: "GET",
            path: "/v1/health",
            bearer: None,
            body: None,
            status: 200,
            test: r#"pm.test("the API is up", function () {
    pm.expect(pm.response.json().status).to.eql("ok");
});"#,
        },
        Item {
            name: "Exchange the API key for a token",
            description: "POST /v1/tokens with the API key as a Bearer credential: 201 with a \
                          new token, shown once. It is kept in the collection variable `token`.",
            method: "POST",
            path: "/v1/tokens",
            bearer: Some("{{apiKey}}"),
            body: None,
            status: 201,
            test: r#"pm.test("a token is returned and kept", function () {
    const body = pm.response.json();
    pm.expect(body.token).to.match(/^kwt_/);
    pm.expect(body.expires_at).to.be.a("string");
    pm.collectionVariables.set("token", body.token);
});"#,
        },
        Item {
            name: "Who am I (token)",
            description: "GET /v1/me with the token just minted.",
            method: "GET",
            path: "/v1/me",
            bearer: Some("{{token}}"),
            body: None,
            status: 200,
            test: r#"pm.test("the token is recognised", function () {
    const body = pm.response.json();
    pm.expect(body.valid).to.eql(true);
    pm.expect(body.kind).to.eql("token");
});"#,
        },
        Item {
            name: "Who am I (API key)",
            description: "GET /v1/me with the API key.",
            method: "GET",
            path: "/v1/me",
            bearer: Some("{{apiKey}}"),
            body: None,
            status: 200,
            test: r#"pm.test("the API key is recognised", function () {
    const body = pm.response.json();
    pm.expect(body.valid).to.eql(true);
    pm.expect(body.kind).to.eql("api_key");
});"#,
        },
        Item {
            name: "Verify the API key",
            description: "POST /v1/verify with {\"key\": …}: 200 with valid true and the \
                          identity, or valid false and a code (MALFORMED, NOT_FOUND, REVOKED, \
                          DISABLED, EXPIRED, USER_DEACTIVATED, API_ACCESS_OFF).",
            method: "POST",
            path: "/v1/verify",
            bearer: None,
            body: Some("{\n    \"key\": \"{{apiKey}}\"\n}"),
            status: 200,
            test: r#"pm.test("the key is valid", function () {
    pm.expect(pm.response.json().valid).to.eql(true);
});"#,
        },
        Item {
            name: "OpenAPI document",
            description: "The OpenAPI 3.1 description of these routes.",
            method: "GET",
            path: "/openapi.json",
            bearer: None,
            body: None,
            status: 200,
            test: r#"pm.test("it is OpenAPI 3.1", function () {
    pm.expect(pm.response.json().openapi).to.match(/^3\.1\./);
});"#,
        },
    ];
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
        "item": items.iter().map(Item::to_json).collect::<Vec<_>>(),
    })
}

/// One request of the collection, with the status it must answer and a further test.
struct Item {
    name: &'static str,
    description: &'static str,
    method: &'static str,
    path: &'static str,
    /// The Bearer credential, a variable reference.
    bearer: Option<&'static str>,
    /// A raw JSON body.
    body: Option<&'static str>,
    status: u16,
    test: &'static str,
}

impl Item {
    fn to_json(&self) -> Value {
        let mut request = json!({
            "method": self.method,
            "description": self.description,
            "header": [],
            "url": {
                "raw": format!("{{{{baseUrl}}}}{}", self.path),
                "host": ["{{baseUrl}}"],
                "path": self.path.trim_start_matches('/').split('/').collect::<Vec<_>>(),
            },
            "auth": match self.bearer {
                Some(credential) => json!({
                    "type": "bearer",
                    "bearer": [{"key": "token", "value": credential, "type": "string"}],
                }),
                None => json!({"type": "noauth"}),
            },
        });
        if let Some(body) = self.body {
            request["header"] = json!([{"key": "Content-Type", "value": "application/json"}]);
            request["body"] = json!({
                "mode": "raw",
                "raw": body,
                "options": {"raw": {"language": "json"}},
            });
        }
        let status = format!(
            "pm.test(\"status is {0}\", function () {{\n    pm.response.to.have.status({0});\n}});",
            self.status
        );
        let exec: Vec<&str> = status.lines().chain(self.test.lines()).collect();
        json!({
            "name": self.name,
            "request": request,
            "response": [],
            "event": [{
                "listen": "test",
                "script": {"type": "text/javascript", "exec": exec},
            }],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::SecretKind;

    #[test]
    fn environment_carries_base_url_and_key() {
        let k = Secret::generate(SecretKind::AgencyKey);
        let env = environment("key_1", "Zapier sync", &base_url(7420), &k);
        assert_eq!(env["values"][0]["value"], "http://127.0.0.1:7420");
        assert_eq!(env["values"][1]["key"], "apiKey");
        assert_eq!(env["values"][1]["value"], k.expose());
        assert_eq!(env["_postman_variable_scope"], "environment");
    }

    #[test]
    fn curl_posts_to_the_token_route() {
        let k = Secret::generate(SecretKind::AgencyKey);
        let c = curl_command("http://127.0.0.1:7420", &k);
        assert!(c.starts_with("curl -X POST http://127.0.0.1:7420/v1/tokens"));
        assert!(c.contains(&format!("Bearer {}", k.expose())));
    }

    #[test]
    fn collection_covers_every_route_with_tests_and_no_secret() {
        let c = collection(&base_url(7420));
        assert_eq!(
            c["info"]["schema"],
            "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
        );
        assert_eq!(c["variable"][0]["key"], "baseUrl");
        assert_eq!(c["variable"][0]["value"], "http://127.0.0.1:7420");
        let items = c["item"].as_array().unwrap();
        let routes: Vec<String> = items
            .iter()
            .map(|i| format!("{} {}", i["request"]["method"], i["request"]["url"]["raw"]))
            .collect();
        for route in [
            "GET /v1/health",
            "POST /v1/tokens",
            "GET /v1/me",
            "POST /v1/verify",
            "GET /openapi.json",
        ] {
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
        }
        // The exchange keeps the token; the /v1/me after it uses it.
        let exchange = routes
            .iter()
            .position(|r| r.contains("/v1/tokens"))
            .unwrap();
        assert!(script(&items[exchange]).contains("pm.collectionVariables.set(\"token\""));
        let bearer = |i: &Value| i["request"]["auth"]["bearer"][0]["value"].clone();
        assert_eq!(bearer(&items[exchange]), "{{apiKey}}");
        assert_eq!(bearer(&items[exchange + 1]), "{{token}}");
        let text = c.to_string();
        assert!(
            !text.contains("kwa_") && !text.contains("kwl_"),
            "no key in the collection"
        );
    }

    #[test]
    fn file_names_are_slugs() {
        assert_eq!(
            collection_file_name("Zapier – weekly export!"),
            "keyward-zapier-weekly-export.postman_collection.json"
        );
        assert_eq!(
            environment_file_name("Zapier – weekly export!"),
            "keyward-zapier-weekly-export.postman_environment.json"
        );
        assert_eq!(
            environment_file_name("ü"),
            "keyward-key.postman_environment.json"
        );
    }
}
