//! Human and JSON output. JSON uses the core's view types unchanged, so the CLI, the HTTP
//! API and the UI share one vocabulary.

use serde::Serialize;
use std::sync::OnceLock;

/// `println!` for answers on stdout. A reader that went away (`keyward keys list | head -1`)
/// is not an error: the command still completes and exits with its own code. Any other
/// write failure is remembered and reported by `main` (exit 1) instead of panicking.
macro_rules! outln {
    () => {
        $crate::output::write_stdout(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!($($arg)*))
    };
}

static WRITE_ERROR: OnceLock<String> = OnceLock::new();

pub fn write_stdout(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let written = out.write_fmt(line).and_then(|()| out.write_all(b"\n"));
    if let Err(e) = written {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            let _ = WRITE_ERROR.set(e.to_string());
        }
    }
}

/// Why the answer could not be written to stdout, if it could not (other than a closed pipe).
pub fn write_error() -> Option<&'static str> {
    WRITE_ERROR.get().map(String::as_str)
}

use keyward_core::clock::{ago, parse_rfc3339, Millis};
use keyward_core::lifecycle::LifecycleReport;
use keyward_core::{
    AuditView, ClearReport, CreatedKey, CreatedToken, DeletedKey, Error, KeyView, LocationView,
    ScopeView, Secret, Settings, TokenView, UserView, Verdict,
};
use keyward_core::{CreatedWebhook, DeliveryView, WebhookView};

pub struct Out {
    pub json: bool,
    pub now: Millis,
}

/// Text as it may reach a terminal: control characters (an escape sequence typed into a
/// name, say) and the invisible characters that reorder or hide text are shown as
/// `\u{…}` escapes instead of being acted on.
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char =
        |c: char| c.is_control() && c != '\n' || keyward_core::validate::is_invisible(c);
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

pub fn print_error_json(code: &str, message: &str) {
    let v = serde_json::json!({"error": {"code": code, "message": message}});
    eprintln!("{v}");
}

fn print_json<T: Serialize + ?Sized>(v: &T) {
    match serde_json::to_string_pretty(v) {
        Ok(s) => outln!("{s}"),
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
        outln!("{}", s.trim_end());
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
        self.failure(e.code(), &e.to_string());
    }

    /// A failure by its code, whichever crate's error it is: `{"error":{…}}` on stderr with
    /// --json; otherwise the message and, for some codes, what to run instead.
    pub fn failure(&self, code: &str, message: &str) {
        if self.json {
            return print_error_json(code, message);
        }
        eprintln!("error: {}", terminal_safe(message));
        match code {
            "KEY_IN_USE" => eprintln!("Run the same command with --force to delete it anyway."),
            "EXPORT_FAILED" => eprintln!("Choose another place with --out DIR or --out FILE."),
            _ => {}
        }
    }

    pub fn user(&self, u: &UserView, label: Option<&str>) {
        if self.json {
            return print_json(u);
        }
        if let Some(l) = label {
            outln!("{l} {} <{}> ({})", u.name, u.email, u.id);
        }
        outln!("  id          {}", u.id);
        outln!("  name        {}", u.name);
        outln!("  email       {}", u.email);
        outln!("  role        {}", u.role);
        outln!("  active      {}", yes_no(u.active));
        outln!("  API access  {}", if u.api_access { "on" } else { "off" });
        outln!("  keys        {}", u.keys);
    }

    pub fn users(&self, users: &[UserView]) {
        if self.json {
            return print_json(users);
        }
        if users.is_empty() {
            outln!("No site managers yet. Add one: keyward users add --name NAME --email EMAIL [--admin]");
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
        outln!(
            "Cleared API keys of {}: {} key(s) and {} token(s) revoked for good; API access is off.",
            r.user.email, r.keys_revoked, r.tokens_revoked
        );
    }

    pub fn location(&self, l: &LocationView, label: &str) {
        if self.json {
            return print_json(l);
        }
        outln!("{label} location {} ({})", l.name, l.id);
    }

    pub fn locations(&self, ls: &[LocationView]) {
        if self.json {
            return print_json(ls);
        }
        if ls.is_empty() {
            outln!("No locations yet. Add one: keyward locations add --name NAME");
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
            outln!("The old key and its tokens keep working until {until}.");
        }
    }

    pub fn revealed(&self, v: &KeyView, secret: &Secret) {
        if self.json {
            return print_json(
                &serde_json::json!({"id": v.id, "name": v.name, "key": secret.expose()}),
            );
        }
        outln!("{}", secret.expose());
    }

    pub fn keys(&self, keys: &[KeyView]) {
        if self.json {
            return print_json(keys);
        }
        if keys.is_empty() {
            outln!("No API keys match.");
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
        outln!("{} key(s)", keys.len());
    }

    pub fn key(&self, k: &KeyView, tokens: &[TokenView]) {
        if self.json {
            return print_json(k);
        }
        outln!("  id            {}", k.id);
        outln!("  name          {}", k.name);
        outln!("  key           {}", k.masked_key);
        outln!("  owner         {} <{}>", k.owner.name, k.owner.email);
        outln!("  scope         {}", scope_text(&k.scope));
        outln!("  status        {}", status_text(k.status));
        outln!("  created       {}", k.created_at);
        outln!("  last used     {}", self.when(k.last_used_at.as_ref()));
        outln!("  in use        {}", yes_no(k.in_use));
        if let Some(d) = &k.deletes_at {
            let note = if k.deletion_scheduled {
                " (reminder sent)"
            } else {
                ""
            };
            outln!("  deletes at    {d} if unused{note}");
        }
        if let Some(g) = &k.grace_until {
            outln!("  old key until {g}");
        }
        outln!("  live tokens   {}", k.live_tokens);
        if !tokens.is_empty() {
            outln!();
            self.token_rows(tokens);
        }
    }

    pub fn key_changed(&self, k: &KeyView, label: &str) {
        if self.json {
            return print_json(k);
        }
        outln!(
            "{label} API key '{}' ({}) — status {}",
            k.name,
            k.id,
            status_text(k.status)
        );
        if label == "Kept" {
            if let Some(d) = &k.deletes_at {
                outln!("It will not be deleted for inactivity before {d}.");
            }
        }
    }

    pub fn deleted(&self, d: &DeletedKey) {
        if self.json {
            return print_json(d);
        }
        outln!(
            "Deleted API key '{}' ({}) and {} token(s).",
            d.name,
            d.id,
            d.tokens_deleted
        );
    }

    pub fn created_token(&self, t: &CreatedToken) {
        if self.json {
            return print_json(t);
        }
        outln!(
            "Generated token {} for API key {} (expires {})",
            t.id,
            t.key_id,
            t.expires_at
        );
        outln!();
        outln!("    {}", t.token.expose());
        outln!();
        outln!("This token is shown only once: copy it now.");
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
            outln!("No tokens.");
            return;
        }
        self.token_rows(tokens);
    }

    pub fn token_changed(&self, t: &TokenView, label: &str) {
        if self.json {
            return print_json(t);
        }
        outln!("{label} token {} of API key '{}'", t.id, t.key_name);
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
                outln!(
                    "valid {kind} — key {} of {} <{}>, scope {}",
                    i.key_id,
                    i.owner.name,
                    i.owner.email,
                    scope_text(&i.scope)
                );
                if let Some(e) = &i.expires_at {
                    outln!("expires {e}");
                }
            }
            (None, Some(code)) => outln!("invalid: {} — {}", code.as_str(), code.message()),
            (None, None) => outln!("invalid"),
        }
    }

    pub fn lifecycle(&self, r: &LifecycleReport) {
        if self.json {
            return print_json(r);
        }
        let verb = if r.dry_run { "would" } else { "did" };
        outln!(
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
            outln!("Nothing due.");
        }
        for rem in &r.reminders {
            outln!("reminder ({verb} raise): {}", rem.message);
        }
        for d in &r.deleted {
            outln!("deleted ({verb} delete): {}", d.message);
        }
    }

    pub fn audit(&self, events: &[AuditView]) {
        if self.json {
            return print_json(events);
        }
        if events.is_empty() {
            outln!("The audit log is empty.");
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
        outln!("inactivity_days          {}", s.inactivity_days);
        outln!("reminder_days            {}", join(&s.reminder_days));
        outln!("token_lifetime_days      {}", s.token_lifetime_days);
        outln!("token_reminder_days      {}", join(&s.token_reminder_days));
        outln!("clipboard_clear_seconds  {}", s.clipboard_clear_seconds);
        outln!("local_api_enabled        {}", s.local_api_enabled);
        outln!("local_api_port           {}", s.local_api_port);
        outln!("launch_at_login          {}", s.launch_at_login);
        outln!("close_to_tray            {}", s.close_to_tray);
        outln!("notifications            {}", s.notifications);
    }

    fn webhook_status(&self, w: &WebhookView) -> String {
        let mut s = w.status.to_owned();
        if let Some(why) = &w.off_reason {
            s.push_str(&format!(" ({why})"));
        } else if let Some(why) = &w.paused_reason {
            s.push_str(&format!(" (paused: {why})"));
        }
        s
    }

    pub fn created_webhook(&self, c: &CreatedWebhook) {
        if self.json {
            return print_json(c);
        }
        let w = &c.view;
        outln!(
            "Subscribed {} ({}) to {}.{} events of {}",
            w.url,
            w.id,
            w.entity,
            w.operation,
            w.user_email
        );
        outln!();
        outln!("    {}", c.secret);
        outln!();
        outln!("This is the signing secret: store it securely and use it to verify the");
        outln!("webhook-signature header of each request (Standard Webhooks).");
        if w.allow_private {
            outln!("Private and loopback targets are allowed for this webhook.");
        }
    }

    pub fn webhook(&self, w: &WebhookView, label: &str) {
        if self.json {
            return print_json(w);
        }
        outln!(
            "{label} webhook {} ({}) — {}.{} of {}, {}",
            w.url,
            w.id,
            w.entity,
            w.operation,
            w.user_email,
            self.webhook_status(w)
        );
    }

    pub fn webhooks(&self, hooks: &[WebhookView]) {
        if self.json {
            return print_json(hooks);
        }
        if hooks.is_empty() {
            outln!("No webhooks. Add one with `keyward webhooks add --user U --url URL --entity api_key --operation '*'`.");
            return;
        }
        let rows: Vec<Vec<String>> = hooks
            .iter()
            .map(|w| {
                vec![
                    w.id.clone(),
                    w.user_email.clone(),
                    w.url.clone(),
                    w.entity.clone(),
                    w.operation.clone(),
                    self.webhook_status(w),
                    w.pending.to_string(),
                ]
            })
            .collect();
        table(
            &[
                "ID",
                "SITE MANAGER",
                "URL",
                "ENTITY",
                "OPERATION",
                "STATUS",
                "PENDING",
            ],
            &rows,
        );
    }

    pub fn deliveries(&self, log: &[DeliveryView]) {
        if self.json {
            return print_json(log);
        }
        if log.is_empty() {
            outln!("No deliveries yet.");
            return;
        }
        let rows: Vec<Vec<String>> = log
            .iter()
            .map(|d| {
                let result = match (&d.status_code, &d.error) {
                    (Some(code), Some(e)) if !e.starts_with("HTTP") => format!("{code} {e}"),
                    (Some(code), None) => format!("HTTP {code}"),
                    (_, Some(e)) => e.clone(),
                    (None, None) => "-".to_owned(),
                };
                vec![
                    d.at.clone(),
                    d.event_type.clone(),
                    d.attempt.to_string(),
                    d.outcome.clone(),
                    result,
                    d.next_retry_at.clone().unwrap_or_else(|| "-".to_owned()),
                ]
            })
            .collect();
        table(
            &[
                "TIME",
                "EVENT",
                "ATTEMPT",
                "OUTCOME",
                "STATUS OR ERROR",
                "NEXT RETRY",
            ],
            &rows,
        );
    }

    pub fn tested_webhook(&self, w: &WebhookView, last: Option<&DeliveryView>) {
        if self.json {
            return print_json(&serde_json::json!({"webhook": w, "delivery": last}));
        }
        outln!("Sent a webhook.test event to {} ({})", w.url, w.id);
        match last.filter(|d| d.event_type == "webhook.test") {
            Some(d) if d.outcome == "delivered" => {
                outln!("Delivered: HTTP {}", d.status_code.unwrap_or_default())
            }
            Some(d) => outln!(
                "Not delivered ({}): {}{}",
                d.outcome,
                d.error.clone().unwrap_or_default(),
                d.next_retry_at
                    .as_ref()
                    .map(|t| format!(" — next retry at {t}"))
                    .unwrap_or_default()
            ),
            None => outln!("Queued; it goes out with the next delivery pass."),
        }
    }

    pub fn revealed_webhook(&self, w: &WebhookView, secret: &str) {
        if self.json {
            return print_json(&serde_json::json!({"id": w.id, "url": w.url, "secret": secret}));
        }
        outln!("{secret}");
    }
}
