//! The store as a whole: a lifecycle run, the audit log, the settings, a migration.

use keyward_core::mail::TestEmail;
use keyward_core::{AuditView, LifecycleReport, Settings};
use serde::Serialize;

use super::{stamp, Cx, Human, Row};

impl Human for LifecycleReport {
    fn human(&self, _: &Cx) {
        let verb = if self.dry_run { "would" } else { "did" };
        outln!(
            "Checked {} key(s) and {} token(s) at {}{}",
            self.keys_checked,
            self.tokens_checked,
            stamp(&self.ran_at),
            if self.dry_run {
                " (dry run: nothing changed)"
            } else {
                ""
            }
        );
        if self.reminders.is_empty() && self.deleted.is_empty() {
            outln!("Nothing due.");
        }
        for rem in &self.reminders {
            outln!("reminder ({verb} raise): {}", rem.message);
        }
        for d in &self.deleted {
            outln!("deleted ({verb} delete): {}", d.message);
        }
    }
}

impl Row for AuditView {
    const NONE: &'static str = "The audit log is empty.";

    fn cells(&self, _: &Cx) -> Vec<(&'static str, String)> {
        vec![
            ("TIME (UTC)", stamp(&self.at)),
            ("BY", self.actor.clone()),
            ("ACTION", self.action.clone()),
            ("WHAT", self.summary.clone()),
        ]
    }
}

impl Human for Settings {
    fn human(&self, _: &Cx) {
        let join = |d: &[u32]| d.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        outln!("inactivity_days          {}", self.inactivity_days);
        outln!("reminder_days            {}", join(&self.reminder_days));
        outln!("token_lifetime_days      {}", self.token_lifetime_days);
        outln!(
            "token_reminder_days      {}",
            join(&self.token_reminder_days)
        );
        outln!("clipboard_clear_seconds  {}", self.clipboard_clear_seconds);
        outln!("local_api_enabled        {}", self.local_api_enabled);
        outln!("local_api_port           {}", self.local_api_port);
        outln!("launch_at_login          {}", self.launch_at_login);
        outln!("close_to_tray            {}", self.close_to_tray);
        outln!("notifications            {}", self.notifications);
        outln!("max_live_tokens          {}", self.max_live_tokens);
        let or_off = |v: &str| {
            if v.is_empty() {
                "(off)".to_owned()
            } else {
                v.to_owned()
            }
        };
        outln!("smtp_url                 {}", or_off(&self.smtp_url));
        outln!("smtp_from                {}", or_off(&self.smtp_from));
    }
}

impl Human for TestEmail {
    fn human(&self, _: &Cx) {
        match &self.error {
            None => outln!(
                "Sent a test email to {} through {} — check that inbox (and its spam folder).",
                self.to,
                self.server
            ),
            Some(e) => outln!(
                "The test email to {} was not sent through {}: {e}",
                self.to,
                self.server
            ),
        }
    }
}

/// `keyward migrate`: which database, from which schema to which.
#[derive(Serialize)]
pub struct Migration {
    pub database: String,
    pub from: u32,
    pub to: u32,
}

impl Human for Migration {
    fn human(&self, _: &Cx) {
        if self.from == self.to {
            outln!(
                "{} is already at schema {}: nothing to do.",
                self.database,
                self.to
            );
        } else if self.from == 0 {
            outln!(
                "Created Keyward's tables (schema {}) in {}.",
                self.to,
                self.database
            );
        } else {
            outln!(
                "Upgraded {} from schema {} to {}.",
                self.database,
                self.from,
                self.to
            );
        }
    }
}
