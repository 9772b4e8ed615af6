//! Tokens and what `keyward verify` says of a secret.

use keyward_core::{CreatedToken, CredentialKind, TokenView, Verdict};

use super::keys::scope_text;
use super::{stamp, Cx, Human, Labelled, Row};

impl Human for CreatedToken {
    fn human(&self, _: &Cx) {
        outln!(
            "Generated token {} for API key {} (expires {})",
            self.id,
            self.key_id,
            stamp(&self.expires_at)
        );
        outln!();
        outln!("    {}", self.token.expose());
        outln!();
        outln!("This token is shown only once: copy it now.");
    }
}

impl Row for TokenView {
    const NONE: &'static str = "No tokens.";

    fn cells(&self, cx: &Cx) -> Vec<(&'static str, String)> {
        vec![
            ("TOKEN", self.id.clone()),
            ("VALUE", self.masked_token.clone()),
            ("KEY", self.key_name.clone()),
            ("STATUS", self.status.to_string()),
            ("CREATED", stamp(&self.created_at)),
            ("EXPIRES", stamp(&self.expires_at)),
            ("LAST USED", cx.ago(self.last_used_at.as_ref())),
        ]
    }
}

impl Human for Labelled<'_, TokenView> {
    fn human(&self, _: &Cx) {
        let Labelled(label, t) = self;
        outln!("{label} token {} of API key '{}'", t.id, t.key_name);
    }
}

impl Human for Verdict {
    fn human(&self, _: &Cx) {
        match (&self.identity, self.code) {
            (Some(i), _) => {
                let kind = match i.kind {
                    CredentialKind::ApiKey => "API key",
                    CredentialKind::Token => "token",
                };
                outln!(
                    "valid {kind} — key {} of {} <{}>, scope {}",
                    i.key_id,
                    i.owner.name,
                    i.owner.email,
                    scope_text(&i.scope)
                );
                if let Some(e) = &i.expires_at {
                    outln!("expires {}", stamp(e));
                }
            }
            (None, Some(code)) => outln!("invalid: {} — {}", code.as_str(), code.message()),
            (None, None) => outln!("invalid"),
        }
    }
}
