//! Webhooks from the receiving end.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Where the store tests' subscriptions point (nothing is sent there).
pub const HOOK_URL: &str = "https://hooks.example.com/keyward";

/// What a receiver following the Standard Webhooks spec does with the `whsec_` secret it
/// was given: HMAC-SHA256 over `id.timestamp.body` with the decoded secret, compared with
/// each `v1,` signature in the space-separated `webhook-signature` header.
pub fn signature_matches(
    secret: &str,
    webhook_id: &str,
    timestamp: &str,
    body: &str,
    signature_header: &str,
) -> bool {
    let key = B64
        .decode(secret.strip_prefix("whsec_").expect("a whsec_ secret"))
        .expect("the secret is base64");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key");
    mac.update(format!("{webhook_id}.{timestamp}.{body}").as_bytes());
    let expected = B64.encode(mac.finalize().into_bytes());
    signature_header
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .any(|sig| sig == expected)
}
