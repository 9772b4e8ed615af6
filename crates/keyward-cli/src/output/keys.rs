//! API keys: created, listed, shown, changed, revealed, deleted, exported.

use keyward_core::keys::KeyStatus;
use keyward_core::{CreatedKey, DeletedKey, DeletedKeyView, KeyView, ScopeView, TokenView};
use keyward_http::postman::Exported;
use serde::{Serialize, Serializer};

use super::{stamp, table, yes_no, Cx, Human, Labelled, Revealed, Row};

pub(super) fn scope_text(s: &ScopeView) -> String {
    match s {
        ScopeView::Agency => "Agency".to_owned(),
        ScopeView::Location { location_id, name } => {
            name.clone().unwrap_or_else(|| location_id.clone())
        }
    }
}

fn status_text(status: KeyStatus) -> &'static str {
    match status {
        KeyStatus::Active => "Active",
        KeyStatus::Disabled => "Disabled",
        KeyStatus::Revoked => "Revoked",
        KeyStatus::OwnerDeactivated => "Owner deactivated",
        KeyStatus::AccessOff => "Access off",
        KeyStatus::Expired => "Expired",
    }
}

/// Labelled "Created" or "Regenerated".
impl Human for Labelled<'_, CreatedKey> {
    fn human(&self, _: &Cx) {
        let Labelled(label, k) = self;
        let v = &k.view;
        outln!(
            "{label} API key '{}' ({}) for {} — {}",
            v.name,
            v.id,
            v.owner.email,
            scope_text(&v.scope)
        );
        outln!();
        outln!("    {}", k.key.expose());
        outln!();
        outln!("Copy this key now and store it securely (a password manager, a secrets vault).");
        if let Some(until) = &v.grace_until {
            outln!(
                "The old key and its tokens keep working until {}.",
                stamp(until)
            );
        }
    }
}

impl Serialize for Revealed<'_, KeyView> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde_json::json!({"id": self.view.id, "name": self.view.name, "key": self.secret})
            .serialize(s)
    }
}

impl Row for KeyView {
    const NONE: &'static str = "No API keys match.";

    fn cells(&self, cx: &Cx) -> Vec<(&'static str, String)> {
        let deletes = match (self.deletion_scheduled, self.deletes_in_days) {
            (_, _) if self.status == "revoked" => "-".to_owned(),
            (true, Some(d)) => format!("in {d} days (scheduled)"),
            (false, Some(d)) => format!("in {d} days"),
            _ => "-".to_owned(),
        };
        vec![
            ("ID", self.id.clone()),
            ("NAME", self.name.clone()),
            ("KEY", self.masked_key.clone()),
            ("OWNER", self.owner.email.clone()),
            ("SCOPE", scope_text(&self.scope)),
            ("STATUS", status_text(self.status).to_owned()),
            ("LAST USED", cx.ago(self.last_used_at.as_ref())),
            ("TOKENS", self.live_tokens.to_string()),
            ("DELETES", deletes),
        ]
    }

    fn footer(keys: &[Self]) -> Option<String> {
        Some(format!("{} key(s)", keys.len()))
    }
}

/// `keys show`: the key, then its tokens. The JSON is the key alone.
#[derive(Serialize)]
#[serde(transparent)]
pub struct KeyAndTokens<'a> {
    pub key: &'a KeyView,
    #[serde(skip)]
    pub tokens: &'a [TokenView],
}

impl Human for KeyAndTokens<'_> {
    fn human(&self, cx: &Cx) {
        let k = self.key;
        outln!("  id            {}", k.id);
        outln!("  name          {}", k.name);
        outln!("  key           {}", k.masked_key);
        outln!("  owner         {} <{}>", k.owner.name, k.owner.email);
        outln!("  scope         {}", scope_text(&k.scope));
        outln!("  status        {}", status_text(k.status));
        outln!("  created       {}", stamp(&k.created_at));
        outln!("  last used     {}", cx.ago(k.last_used_at.as_ref()));
        outln!("  in use        {}", yes_no(k.in_use));
        if let Some(d) = &k.deletes_at {
            let note = if k.deletion_scheduled {
                " (reminder sent)"
            } else {
                ""
            };
            outln!("  deletes at    {} if unused{note}", stamp(d));
        }
        if let Some(g) = &k.grace_until {
            outln!("  old key until {}", stamp(g));
        }
        outln!(
            "  expires       {}",
            k.expires_at.as_ref().map_or("never".to_owned(), stamp)
        );
        if k.keep_always {
            outln!("  inactivity    never deleted for inactivity");
        }
        outln!("  permissions   {}", k.permissions.join(", "));
        if let Some(r) = &k.rate {
            outln!("  rate limit    {r}");
        }
        if !k.tags.is_empty() {
            outln!("  tags          {}", k.tags.join(", "));
        }
        if !k.notes.is_empty() {
            for (i, line) in k.notes.lines().enumerate() {
                let head = if i == 0 { "notes" } else { "" };
                outln!("  {head:<13} {}", super::terminal_safe(line));
            }
        }
        outln!("  live tokens   {}", k.live_tokens);
        if !self.tokens.is_empty() {
            outln!();
            table(self.tokens, cx);
        }
    }
}

impl Human for Labelled<'_, KeyView> {
    fn human(&self, _: &Cx) {
        let Labelled(label, k) = self;
        outln!(
            "{label} API key '{}' ({}) — status {}",
            k.name,
            k.id,
            status_text(k.status)
        );
    }
}

/// `keys keep`: the change, and until when the key is now safe from inactivity deletion.
#[derive(Serialize)]
#[serde(transparent)]
pub struct KeptKey<'a>(pub &'a KeyView);

impl Human for KeptKey<'_> {
    fn human(&self, cx: &Cx) {
        Labelled("Kept", self.0).human(cx);
        if let Some(d) = &self.0.deletes_at {
            outln!("It will not be deleted for inactivity before {}.", stamp(d));
        }
    }
}

impl Human for DeletedKey {
    fn human(&self, _: &Cx) {
        outln!(
            "Deleted API key '{}' ({}) and {} token(s). Until {} it can come back: keyward keys restore {}",
            self.name,
            self.id,
            self.tokens_deleted,
            stamp(&self.restorable_until),
            self.id,
        );
    }
}

impl Row for DeletedKeyView {
    const NONE: &'static str = "No API keys were deleted in the last 30 days.";

    fn cells(&self, cx: &Cx) -> Vec<(&'static str, String)> {
        vec![
            ("ID", self.key.id.clone()),
            ("NAME", self.key.name.clone()),
            ("KEY", self.key.masked_key.clone()),
            ("OWNER", self.key.owner.email.clone()),
            ("DELETED", cx.ago(Some(&self.deleted_at))),
            ("HOW", self.said.clone()),
            ("TOKENS", self.key.live_tokens.to_string()),
            ("PURGED", self.purges_in.clone()),
        ]
    }

    fn footer(keys: &[Self]) -> Option<String> {
        Some(format!(
            "{} deleted key(s); bring one back with: keyward keys restore ID",
            keys.len()
        ))
    }
}

/// A deleted key purged for good.
pub struct PurgedKey<'a>(pub &'a DeletedKeyView);

impl Serialize for PurgedKey<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl Human for PurgedKey<'_> {
    fn human(&self, _: &Cx) {
        outln!(
            "Purged API key '{}' ({}) for good: it can no longer be restored.",
            self.0.key.name,
            self.0.key.id
        );
    }
}

/// The files `keys export-postman` wrote.
pub struct PostmanExport<'a>(pub &'a Exported);

impl Serialize for PostmanExport<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let PostmanExport(done) = self;
        serde_json::json!({
            "id": done.id,
            "name": done.name,
            "base_url": done.base_url,
            "collection": done.paths.collection,
            "environment": done.paths.environment,
        })
        .serialize(s)
    }
}

impl Human for PostmanExport<'_> {
    fn human(&self, _: &Cx) {
        let PostmanExport(done) = self;
        let collection = done.paths.collection.display();
        let environment = done.paths.environment.display();
        outln!(
            "Exported API key '{}' ({}) for Postman:",
            done.name,
            done.masked_key
        );
        outln!("  collection   {collection}");
        outln!("  environment  {environment}  (holds the key: keep it private)");
        outln!(
            "Import both in Postman and select the environment, with `keyward serve` running \
             on {}; or run them: npx newman run {collection} -e {environment}",
            done.base_url
        );
    }
}

impl Row for keyward_core::UsageDay {
    const NONE: &'static str = "No usage.";

    fn cells(&self, _: &Cx) -> Vec<(&'static str, String)> {
        let failed: Vec<String> = self
            .failed
            .iter()
            .map(|(code, n)| format!("{code} ×{n}"))
            .collect();
        vec![
            ("DAY", self.date.clone()),
            ("VALID", self.valid.to_string()),
            (
                "FAILED",
                if failed.is_empty() {
                    "-".to_owned()
                } else {
                    failed.join(", ")
                },
            ),
        ]
    }

    fn footer(days: &[Self]) -> Option<String> {
        let valid: u64 = days.iter().map(|d| d.valid).sum();
        let failed: u64 = days.iter().flat_map(|d| d.failed.values()).sum();
        Some(format!(
            "{valid} valid and {failed} failed verification(s) in {} day(s)",
            days.len()
        ))
    }
}
