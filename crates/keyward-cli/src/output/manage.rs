//! Management tokens.

use keyward_core::{CreatedManagementToken, ManagementTokenView};

use super::{stamp, Cx, Human, Labelled, Row};

impl Human for CreatedManagementToken {
    fn human(&self, _: &Cx) {
        let v = &self.view;
        let expires = v
            .expires_at
            .as_ref()
            .map_or("never expires".to_owned(), |e| {
                format!("expires {}", stamp(e))
            });
        outln!(
            "Created management token {} '{}' for {} <{}> ({expires})",
            v.id,
            v.name,
            v.owner.name,
            v.owner.email
        );
        outln!();
        outln!("    {}", self.token.expose());
        outln!();
        outln!(
            "This token is shown only once: copy it now. Use it as KEYWARD_TOKEN with --server."
        );
    }
}

impl Row for ManagementTokenView {
    const NONE: &'static str = "No management tokens.";

    fn cells(&self, _: &Cx) -> Vec<(&'static str, String)> {
        vec![
            ("ID", self.id.clone()),
            ("NAME", self.name.clone()),
            ("TOKEN", self.masked_token.clone()),
            ("SITE MANAGER", self.owner.email.clone()),
            ("STATUS", self.status.clone()),
            ("CREATED", stamp(&self.created_at)),
            (
                "EXPIRES",
                self.expires_at.as_ref().map_or("never".to_owned(), stamp),
            ),
        ]
    }
}

impl Human for Labelled<'_, ManagementTokenView> {
    fn human(&self, _: &Cx) {
        let Labelled(label, t) = self;
        outln!(
            "{label} management token {} '{}' of {}",
            t.id,
            t.name,
            t.owner.email
        );
    }
}
