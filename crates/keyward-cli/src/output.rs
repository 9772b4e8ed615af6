//! Human and JSON output. JSON uses the core's view types unchanged, so the CLI, the HTTP
//! API and the UI share one vocabulary.

use serde::Serialize;

use keyward_core::clock::{ago, parse_rfc3339, Millis};
use keyward_core::lifecycle::LifecycleReport;
use keyward_core::{
    AuditView, ClearReport, CreatedKey, CreatedToken, DeletedKey, Error, KeyView, LocationView,
    ScopeView, Secret, Settings, TokenView, UserView, Verdict,
};

pub struct Out {
    pub json: bool,
    pub now: Millis,
}

pub fn print_error_json(code: &str, message: &str) {
    let v = serde_json::json!({"error": {"code": code, "message": message}});
    eprintln!("{v}");
}

fn print_json<T: Serialize + ?Sized>(v: &T) {
    match serde_json::to_string_pretty(v) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("error: cannot encode the answer as JSON: {e}"),
    }
}

/// Prints rows under a header, each column as wide as its widest cell.
fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(c);
                s.push_str(&" ".repeat(widths[i] - c.chars().count() + 2));
            }
        }
        println!("{}", s.trim_end());
    };
    line(header.iter().map(|h| h.to_string()).collect());
    for r in rows {
        line(r.clone());
    }
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_owned()
}

fn scope_text(s: &ScopeView) -> String {
    match s {
        ScopeView::Agency => "Agency".to_owned(),
        ScopeView::Location { location_id, name } => {
            name.clone().unwrap_or_else(|| location_id.clone())
        }
    }
}

fn status_text(status: &str) -> &'static str {
    match status {
        "active" => "Active",
        "disabled" => "Disabled",
        "revoked" => "Revoked",
        "owner_deactivated" => "Owner deactivated",
        "access_off" => "Access off",
        _ => "Unknown",
    }
}

impl Out {
    fn when(&self, at: Option<&String>) -> String {
        match at.and_then(|a| parse_rfc3339(a)) {
            Some(ms) => ago(self.now, ms),
            None => "never".to_owned(),
        }
    }

    pub fn error(&self, e: &Error) {
        if self.json {
            print_error_json(e.code(), &e.to_string());
        } else {
            eprintln!("error: {e}");
            if e.code() == "KEY_IN_USE" {
                eprintln!("Run the same command with --force to delete it anyway.");
            }
        }
    }

    pub fn user(&self, u: &UserView, label: Option<&str>) {
        if self.json {
            return print_json(u);
        }
        if let Some(l) = label {
            println!("{l} {} <{}> ({})", u.name, u.email, u.id);
        }
        println!("  id          {}", u.id);
        println!("  name        {}", u.name);
        println!("  email       {}", u.email);
        println!("  role        {}", u.role);
        println!("  active      {}", yes_no(u.active));
        println!("  API access  {}", if u.api_access { "on" } else { "off" });
        println!("  keys        {}", u.keys);
    }

    pub fn users(&self, users: &[UserView]) {
        if self.json {
            return print_json(users);
        }
        if users.is_empty() {
            println!("No site managers yet. Add one: keyward users add --name NAME --email EMAIL [--admin]");
            return;
        }
        let rows: Vec<Vec<String>> = users
            .iter()
            .map(|u| {
                vec![
                    u.id.clone(),
                    u.name.clone(),
                    u.email.clone(),
                    u.role.to_owned(),
                    yes_no(u.active),
                    if u.api_access { "on" } else { "off" }.to_owned(),
                    u.keys.to_string(),
                ]
            })
            .collect();
        table(
            &[
                "ID",
                "NAME",
                "EMAIL",
                "ROLE",
                "ACTIVE",
                "API ACCESS",
                "KEYS",
            ],
            &rows,
        );
    }

    pub fn cleared(&self, r: &ClearReport) {
        if self.json {
            return print_json(r);
        }
        println!(
            "Cleared API keys of {}: {} key(s) and {} token(s) revoked for good; API access is off.",
            r.user.email, r.keys_revoked, r.tokens_revoked
        );
    }

    pub fn location(&self, l: &LocationView, label: &str) {
        if self.json {
            return print_json(l);
        }
        println!("{label} location {} ({})", l.name, l.id);
    }

    pub fn locations(&self, ls: &[LocationView]) {
        if self.json {
            return print_json(ls);
        }
        if ls.is_empty() {
            println!("No locations yet. Add one: keyward locations add --name NAME");
            return;
        }
        let rows: Vec<Vec<String>> = ls
            .iter()
            .map(|l| vec![l.id.clone(), l.name.clone()])
            .collect();
        table(&["ID", "NAME"], &rows);
    }

    pub fn created_key(&self, k: &CreatedKey, label: &str) {
        if self.json {
            return print_json(k);
        }
        let v = &k.view;
        println!(
            "{label} API key '{}' ({}) for {} — {}",
            v.name,
            v.id,
            v.owner.email,
            scope_text(&v.scope)
        );
        println!();
        println!("    {}", k.key.expose());
        println!();
        println!("Copy this key now and store it securely (a password manager, a secrets vault).");
        if let Some(until) = &v.grace_until {
            println!("The old key and its tokens keep working until {until}.");
        }
    }

    pub fn revealed(&self, v: &KeyView, secret: &Secret) {
        if self.json {
            return print_json(
                &serde_json::json!({"id": v.id, "name": v.name, "key": secret.expose()}),
            );
        }
        println!("{}", secret.expose());
    }

    pub fn keys(&self, keys: &[KeyView]) {
        if self.json {
            return print_json(keys);
        }
        if keys.is_empty() {
            println!("No API keys match.");
            return;
        }
        let rows: Vec<Vec<String>> = keys
            .iter()
            .map(|k| {
                let deletes = match (k.deletion_scheduled, k.deletes_in_days) {
                    (_, _) if k.status == "revoked" => "-".to_owned(),
                    (true, Some(d)) => format!("in {d} days (scheduled)"),
                    (false, Some(d)) => format!("in {d} days"),
                    _ => "-".to_owned(),
                };
                vec![
                    k.id.clone(),
                    k.name.clone(),
                    k.masked_key.clone(),
                    k.owner.email.clone(),
                    scope_text(&k.scope),
                    status_text(k.status).to_owned(),
                    self.when(k.last_used_at.as_ref()),
                    k.live_tokens.to_string(),
                    deletes,
                ]
            })
            .collect();
        table(
            &[
                "ID",
                "NAME",
                "KEY",
                "OWNER",
                "SCOPE",
                "STATUS",
                "LAST USED",
                "TOKENS",
                "DELETES",
            ],
            &rows,
        );
        println!("{} key(s)", keys.len());
    }

    pub fn key(&self, k: &KeyView, tokens: &[TokenView]) {
        if self.json {
            return print_json(k);
        }
        println!("  id            {}", k.id);
        println!("  name          {}", k.name);
        println!("  key           {}", k.masked_key);
        println!("  owner         {} <{}>", k.owner.name, k.owner.email);
        println!("  scope         {}", scope_text(&k.scope));
        println!("  status        {}", status_text(k.status));
        println!("  created       {}", k.created_at);
        println!("  last used     {}", self.when(k.last_used_at.as_ref()));
        println!("  in use        {}", yes_no(k.in_use));
        if let Some(d) = &k.deletes_at {
            let note = if k.deletion_scheduled {
                " (reminder sent)"
            } else {
                ""
            };
            println!("  deletes at    {d} if unused{note}");
        }
        if let Some(g) = &k.grace_until {
            println!("  old key until {g}");
        }
        println!("  live tokens   {}", k.live_tokens);
        if !tokens.is_empty() {
            println!();
            self.token_rows(tokens);
        }
    }

    pub fn key_changed(&self, k: &KeyView, label: &str) {
        if self.json {
            return print_json(k);
        }
        println!(
            "{label} API key '{}' ({}) — status {}",
            k.name,
            k.id,
            status_text(k.status)
        );
        if label == "Kept" {
            if let Some(d) = &k.deletes_at {
                println!("It will not be deleted for inactivity before {d}.");
            }
        }
    }

    pub fn deleted(&self, d: &DeletedKey) {
        if self.json {
            return print_json(d);
        }
        println!(
            "Deleted API key '{}' ({}) and {} token(s).",
            d.name, d.id, d.tokens_deleted
        );
    }

    pub fn created_token(&self, t: &CreatedToken) {
        if self.json {
            return print_json(t);
        }
        println!(
            "Generated token {} for API key {} (expires {})",
            t.id, t.key_id, t.expires_at
        );
        println!();
        println!("    {}", t.token.expose());
        println!();
        println!("This token is shown only once: copy it now.");
    }

    fn token_rows(&self, tokens: &[TokenView]) {
        let rows: Vec<Vec<String>> = tokens
            .iter()
            .map(|t| {
                vec![
                    t.id.clone(),
                    t.masked_token.clone(),
                    t.key_name.clone(),
                    t.status.to_owned(),
                    t.created_at.clone(),
                    t.expires_at.clone(),
                    self.when(t.last_used_at.as_ref()),
                ]
            })
            .collect();
        table(
            &[
                "TOKEN",
                "VALUE",
                "KEY",
                "STATUS",
                "CREATED",
                "EXPIRES",
                "LAST USED",
            ],
            &rows,
        );
    }

    pub fn tokens(&self, tokens: &[TokenView]) {
        if self.json {
            return print_json(tokens);
        }
        if tokens.is_empty() {
            println!("No tokens.");
            return;
        }
        self.token_rows(tokens);
    }

    pub fn token_changed(&self, t: &TokenView, label: &str) {
        if self.json {
            return print_json(t);
        }
        println!("{label} token {} of API key '{}'", t.id, t.key_name);
    }

    pub fn verdict(&self, v: &Verdict) {
        if self.json {
            return print_json(v);
        }
        match (&v.identity, v.code) {
            (Some(i), _) => {
                let kind = match i.kind {
                    keyward_core::CredentialKind::ApiKey => "API key",
                    keyward_core::CredentialKind::Token => "token",
                };
                println!(
                    "valid {kind} — key {} of {} <{}>, scope {}",
                    i.key_id,
                    i.owner.name,
                    i.owner.email,
                    scope_text(&i.scope)
                );
                if let Some(e) = &i.expires_at {
                    println!("expires {e}");
                }
            }
            (None, Some(code)) => println!("invalid: {} — {}", code.as_str(), code.message()),
            (None, None) => println!("invalid"),
        }
    }

    pub fn lifecycle(&self, r: &LifecycleReport) {
        if self.json {
            return print_json(r);
        }
        let verb = if r.dry_run { "would" } else { "did" };
        println!(
            "Checked {} key(s) and {} token(s) at {}{}",
            r.keys_checked,
            r.tokens_checked,
            r.ran_at,
            if r.dry_run {
                " (dry run: nothing changed)"
            } else {
                ""
            }
        );
        if r.reminders.is_empty() && r.deleted.is_empty() {
            println!("Nothing due.");
        }
        for rem in &r.reminders {
            println!("reminder ({verb} raise): {}", rem.message);
        }
        for d in &r.deleted {
            println!("deleted ({verb} delete): {}", d.message);
        }
    }

    pub fn audit(&self, events: &[AuditView]) {
        if self.json {
            return print_json(events);
        }
        if events.is_empty() {
            println!("The audit log is empty.");
            return;
        }
        let rows: Vec<Vec<String>> = events
            .iter()
            .map(|e| {
                vec![
                    e.at.clone(),
                    e.actor.clone(),
                    e.action.clone(),
                    e.summary.clone(),
                ]
            })
            .collect();
        table(&["TIME (UTC)", "BY", "ACTION", "WHAT"], &rows);
    }

    pub fn settings(&self, s: &Settings) {
        if self.json {
            return print_json(s);
        }
        let join = |d: &[u32]| d.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        println!("inactivity_days          {}", s.inactivity_days);
        println!("reminder_days            {}", join(&s.reminder_days));
        println!("token_lifetime_days      {}", s.token_lifetime_days);
        println!("token_reminder_days      {}", join(&s.token_reminder_days));
        println!("clipboard_clear_seconds  {}", s.clipboard_clear_seconds);
        println!("local_api_enabled        {}", s.local_api_enabled);
        println!("local_api_port           {}", s.local_api_port);
        println!("launch_at_login          {}", s.launch_at_login);
        println!("close_to_tray            {}", s.close_to_tray);
        println!("notifications            {}", s.notifications);
    }
}
