//! Site managers and locations.

use keyward_core::{ClearReport, LocationView, UserView};

use super::{on_off, yes_no, Cx, Human, Labelled, Row};

impl Human for UserView {
    fn human(&self, _: &Cx) {
        outln!("  id          {}", self.id);
        outln!("  name        {}", self.name);
        outln!("  email       {}", self.email);
        outln!("  role        {}", self.role);
        outln!("  active      {}", yes_no(self.active));
        outln!("  API access  {}", on_off(self.api_access));
        outln!("  keys        {}", self.keys);
    }
}

impl Human for Labelled<'_, UserView> {
    fn human(&self, cx: &Cx) {
        let Labelled(label, u) = self;
        outln!("{label} {} <{}> ({})", u.name, u.email, u.id);
        u.human(cx);
    }
}

impl Row for UserView {
    const NONE: &'static str =
        "No site managers yet. Add one: keyward users add --name NAME --email EMAIL [--admin]";

    fn cells(&self, _: &Cx) -> Vec<(&'static str, String)> {
        vec![
            ("ID", self.id.clone()),
            ("NAME", self.name.clone()),
            ("EMAIL", self.email.clone()),
            ("ROLE", self.role.to_string()),
            ("ACTIVE", yes_no(self.active)),
            ("API ACCESS", on_off(self.api_access).to_owned()),
            ("KEYS", self.keys.to_string()),
        ]
    }
}

impl Human for ClearReport {
    fn human(&self, _: &Cx) {
        outln!(
            "Cleared API keys of {}: {} key(s) and {} token(s) revoked for good; API access is off.",
            self.user.email,
            self.keys_revoked,
            self.tokens_revoked
        );
    }
}

impl Human for Labelled<'_, LocationView> {
    fn human(&self, _: &Cx) {
        let Labelled(label, l) = self;
        outln!("{label} location {} ({})", l.name, l.id);
    }
}

impl Row for LocationView {
    const NONE: &'static str = "No locations yet. Add one: keyward locations add --name NAME";

    fn cells(&self, _: &Cx) -> Vec<(&'static str, String)> {
        vec![("ID", self.id.clone()), ("NAME", self.name.clone())]
    }
}
