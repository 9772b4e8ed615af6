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
    format!(
        "keyward-{}.postman_environment.json",
        if slug.is_empty() { "key" } else { &slug }
    )
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
    fn file_names_are_slugs() {
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
