//! Settings (SPEC §3.13), stored in the database so the app and the CLI agree: their
//! defaults, limits and parsing.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::mail;

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// A key unused for this many days is deleted.
    pub inactivity_days: u32,
    /// Reminders before inactivity deletion, in days before the deadline.
    pub reminder_days: Vec<u32>,
    /// Tokens expire this many days after they are created.
    pub token_lifetime_days: u32,
    /// Reminders before a token expires, in days before expiry.
    pub token_reminder_days: Vec<u32>,
    /// Clear the clipboard this many seconds after a copy (0 = never).
    pub clipboard_clear_seconds: u32,
    pub local_api_enabled: bool,
    pub local_api_port: u16,
    pub launch_at_login: bool,
    pub close_to_tray: bool,
    pub notifications: bool,
    /// The most live tokens one API key may have; minting more is refused until some are
    /// revoked or expire.
    pub max_live_tokens: u32,
    /// The SMTP server reminders are emailed through: `smtp://[user[:password]@]host[:port]`
    /// (STARTTLS, port 587 by default), `smtps://…` (TLS, 465) or `smtp://host:port?tls=none`
    /// (plain text, for a local relay). Empty: no email. Shown with the password masked
    /// (`smtp://user:•••@host`); sending the mask back keeps the stored password.
    pub smtp_url: String,
    /// Who the emails come from: `keyward@example.com` or `Keyward <keyward@example.com>`.
    /// Empty: no email.
    pub smtp_from: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            inactivity_days: 90,
            reminder_days: vec![15, 7, 1],
            token_lifetime_days: 365,
            token_reminder_days: vec![30, 7, 1],
            clipboard_clear_seconds: 30,
            local_api_enabled: true,
            local_api_port: 7420,
            launch_at_login: false,
            close_to_tray: true,
            notifications: true,
            max_live_tokens: 100,
            smtp_url: String::new(),
            smtp_from: String::new(),
        }
    }
}

/// The names `settings set` accepts, in display order.
pub const SETTING_NAMES: &[&str] = &[
    "inactivity_days",
    "reminder_days",
    "token_lifetime_days",
    "token_reminder_days",
    "clipboard_clear_seconds",
    "local_api_enabled",
    "local_api_port",
    "launch_at_login",
    "close_to_tray",
    "notifications",
    "max_live_tokens",
    "smtp_url",
    "smtp_from",
];

/// The values a number setting may take, inclusive.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Range {
    pub min: u32,
    pub max: u32,
}

impl Range {
    fn check(self, name: &'static str, value: u32) -> Result<()> {
        if (self.min..=self.max).contains(&value) {
            return Ok(());
        }
        let min = if self.min == 0 {
            "0 (never)".to_owned()
        } else {
            self.min.to_string()
        };
        Err(Error::invalid_field(
            name,
            format!("{name} must be between {min} and {}", self.max),
        ))
    }
}

/// 0 switches inactivity deletion off for every key.
pub const INACTIVITY_DAYS: Range = Range { min: 0, max: 3650 };
pub const TOKEN_LIFETIME_DAYS: Range = Range { min: 1, max: 3650 };
pub const CLIPBOARD_CLEAR_SECONDS: Range = Range { min: 0, max: 3600 };
pub const LOCAL_API_PORT: Range = Range {
    min: 1024,
    max: 65535,
};
pub const MAX_LIVE_TOKENS: Range = Range {
    min: 1,
    max: 10_000,
};
/// The most reminders a list of reminder days may hold.
pub const MAX_REMINDERS: usize = 5;

impl Settings {
    /// How many days ahead a coming deletion counts as "soon": the earliest reminder.
    /// How long before a key's (or a token's) end the first reminder comes, and the list
    /// starts showing it.
    pub fn key_expiry_window(&self) -> crate::model::clock::Millis {
        self.token_reminder_days.iter().copied().max().unwrap_or(30) as i64
            * crate::model::clock::DAY
    }

    pub fn soon_days(&self) -> i64 {
        self.reminder_days.iter().copied().max().unwrap_or(15) as i64
    }

    pub fn validate(&self) -> Result<()> {
        INACTIVITY_DAYS.check("inactivity_days", self.inactivity_days)?;
        if self.inactivity_days > 0 {
            check_days("reminder_days", &self.reminder_days, self.inactivity_days)?;
        }
        TOKEN_LIFETIME_DAYS.check("token_lifetime_days", self.token_lifetime_days)?;
        check_days(
            "token_reminder_days",
            &self.token_reminder_days,
            self.token_lifetime_days,
        )?;
        CLIPBOARD_CLEAR_SECONDS.check("clipboard_clear_seconds", self.clipboard_clear_seconds)?;
        LOCAL_API_PORT.check("local_api_port", u32::from(self.local_api_port))?;
        MAX_LIVE_TOKENS.check("max_live_tokens", self.max_live_tokens)?;
        mail::parse_smtp_url(&self.smtp_url)?;
        mail::parse_from(&self.smtp_from)?;
        Ok(())
    }

    /// Sets one setting from text, as typed on the command line.
    /// Leaves `self` unchanged when the value is refused.
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        let mut next = self.clone();
        next.apply(name, value.trim())?;
        next.normalize();
        next.validate()?;
        *self = next;
        Ok(())
    }

    fn apply(&mut self, name: &str, v: &str) -> Result<()> {
        let Some(name) = SETTING_NAMES.iter().copied().find(|n| *n == name) else {
            return Err(Error::invalid(format!(
                "there is no setting '{name}' — settings are: {}",
                SETTING_NAMES.join(", ")
            )));
        };
        match name {
            "inactivity_days" => self.inactivity_days = parse(name, v)?,
            "reminder_days" => self.reminder_days = parse_days(name, v)?,
            "token_lifetime_days" => self.token_lifetime_days = parse(name, v)?,
            "token_reminder_days" => self.token_reminder_days = parse_days(name, v)?,
            "clipboard_clear_seconds" => self.clipboard_clear_seconds = parse(name, v)?,
            "local_api_enabled" => self.local_api_enabled = parse_bool(name, v)?,
            "local_api_port" => self.local_api_port = parse(name, v)?,
            "launch_at_login" => self.launch_at_login = parse_bool(name, v)?,
            "close_to_tray" => self.close_to_tray = parse_bool(name, v)?,
            "notifications" => self.notifications = parse_bool(name, v)?,
            "max_live_tokens" => self.max_live_tokens = parse(name, v)?,
            "smtp_url" => v.clone_into(&mut self.smtp_url),
            "smtp_from" => v.clone_into(&mut self.smtp_from),
            _ => {
                return Err(Error::invalid(format!(
                    "the setting '{name}' cannot be set"
                )))
            }
        }
        Ok(())
    }

    /// Whether reminders are emailed: both the server and the sender are set.
    pub fn email_on(&self) -> bool {
        !self.smtp_url.trim().is_empty() && !self.smtp_from.trim().is_empty()
    }

    pub(crate) fn normalize(&mut self) {
        for text in [&mut self.smtp_url, &mut self.smtp_from] {
            *text = text.trim().to_owned();
        }
        for days in [&mut self.reminder_days, &mut self.token_reminder_days] {
            days.sort_unstable_by(|a, b| b.cmp(a));
            days.dedup();
        }
    }
}

fn check_days(name: &'static str, days: &[u32], limit: u32) -> Result<()> {
    if days.len() > MAX_REMINDERS {
        return Err(Error::invalid_field(
            name,
            format!("{name}: at most {MAX_REMINDERS} reminders"),
        ));
    }
    if days.iter().any(|d| *d == 0 || *d >= limit) {
        return Err(Error::invalid_field(
            name,
            format!(
                "{name}: each reminder must be at least 1 day and less than {limit} days before"
            ),
        ));
    }
    Ok(())
}

fn parse<N: std::str::FromStr>(name: &'static str, v: &str) -> Result<N> {
    v.parse().map_err(|_| {
        Error::invalid_field(name, format!("{name} must be a whole number, not '{v}'"))
    })
}

fn parse_bool(name: &'static str, v: &str) -> Result<bool> {
    match v.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Ok(true),
        "off" | "false" | "no" | "0" => Ok(false),
        _ => Err(Error::invalid_field(
            name,
            format!("{name} must be on or off, not '{v}'"),
        )),
    }
}

fn parse_days(name: &'static str, v: &str) -> Result<Vec<u32>> {
    if v.is_empty() {
        return Ok(Vec::new());
    }
    v.split(',').map(|d| parse(name, d.trim())).collect()
}

/// The settings that differ, as "name to value" for the audit log.
pub(crate) fn changed_names(old: &Settings, new: &Settings) -> Vec<String> {
    let (a, b) = (
        serde_json::to_value(old).unwrap_or_default(),
        serde_json::to_value(new).unwrap_or_default(),
    );
    SETTING_NAMES
        .iter()
        .filter(|n| a.get(**n) != b.get(**n))
        .map(|n| {
            format!(
                "{n} to {}",
                b.get(*n).map(|v| v.to_string()).unwrap_or_default()
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_ranges_are_the_ones_saving_enforces() {
        let cases: [(&str, Range); 5] = [
            ("inactivity_days", INACTIVITY_DAYS),
            ("token_lifetime_days", TOKEN_LIFETIME_DAYS),
            ("clipboard_clear_seconds", CLIPBOARD_CLEAR_SECONDS),
            ("local_api_port", LOCAL_API_PORT),
            ("max_live_tokens", MAX_LIVE_TOKENS),
        ];
        for (name, range) in cases {
            let mut s = Settings {
                reminder_days: vec![1],
                token_reminder_days: vec![1],
                ..Settings::default()
            };
            s.set(name, &range.max.to_string()).unwrap();
            s.set(name, &range.min.max(2).to_string()).unwrap();
            let e = s.set(name, &(range.max + 1).to_string()).unwrap_err();
            assert_eq!(e.field(), Some(name), "{e}");
        }
    }

    #[test]
    fn defaults_match_the_spec() {
        let s = Settings::default();
        assert_eq!(s.inactivity_days, 90);
        assert_eq!(s.reminder_days, vec![15, 7, 1]);
        assert_eq!(s.token_lifetime_days, 365);
        assert_eq!(s.token_reminder_days, vec![30, 7, 1]);
        assert_eq!(s.clipboard_clear_seconds, 30);
        assert_eq!(s.local_api_port, 7420);
        assert!(s.validate().is_ok());
    }

    #[test]
    fn set_parses_sorts_and_validates() {
        let mut s = Settings::default();
        s.set("reminder_days", "1, 30,7").unwrap();
        assert_eq!(s.reminder_days, vec![30, 7, 1]);
        assert!(s.set("reminder_days", "0").is_err());
        assert!(s.set("inactivity_days", "ten").is_err());
        assert!(s.set("clipboard_clear_seconds", "4000").is_err());
        assert!(s.set("nope", "1").is_err());
        s.set("notifications", "off").unwrap();
        assert!(!s.notifications);
    }

    #[test]
    fn smtp_settings_are_checked_and_a_refused_value_changes_nothing() {
        let mut s = Settings::default();
        assert!(!s.email_on());
        s.set("smtp_url", " smtp://mail.example.com ").unwrap();
        assert_eq!(s.smtp_url, "smtp://mail.example.com");
        assert!(!s.email_on(), "no sender yet");
        s.set("smtp_from", "Keyward <keyward@example.com>").unwrap();
        assert!(s.email_on());
        let before = s.clone();
        let e = s
            .set("smtp_url", "http://u:hunter2@mail.example.com")
            .unwrap_err();
        assert_eq!(e.field(), Some("smtp_url"));
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert_eq!(
            s.set("smtp_from", "nobody").unwrap_err().field(),
            Some("smtp_from")
        );
        assert_eq!(s, before);
        s.set("smtp_url", "").unwrap();
        assert!(!s.email_on());
    }
}
