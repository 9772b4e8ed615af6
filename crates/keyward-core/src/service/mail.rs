//! Reminders by email: the text every Keyward process sends for a reminder (written here
//! once, so the desktop app and a team server say the same), queued in the transaction
//! that raises the reminder, and the queue seen from delivery — what is due, how each
//! attempt went. Sending itself (SMTP) lives in the `keyward-webhooks` crate.

use crate::error::Error;
use crate::error::Result;
use crate::model::clock::{due_phrase, to_datetime, to_rfc3339, Millis};
use crate::model::ids::new_id;
use crate::model::mail::{parse_from, MailMessage};
use crate::model::settings::Settings;
use crate::model::validate;
use crate::model::webhook::next_attempt_at;
use crate::service::outbox::CLAIM;
use crate::store::{Read, Store, Table, Tx};
use crate::view::lifecycle::{ReminderKind, ReminderNotice};
use crate::view::mail::{DueEmail, EmailView, MailAttempt, MailResult, Mailer, TestEmail};

/// Who a reminder email goes to, and whom it names to ask.
pub(crate) struct Addressees {
    /// The owner's id, name and address; `None` when they cannot be written to (no
    /// address, deactivated, gone).
    pub to: Option<(String, String, String)>,
    /// Active admins other than the owner: name and address.
    pub admins: Vec<(String, String)>,
}

/// A moment as an email states it: "Friday 19 September 2026 at 10:00 UTC".
fn long_date(at: Millis) -> String {
    to_datetime(at)
        .format("%A %-d %B %Y at %H:%M UTC")
        .to_string()
}

fn day(at: Millis) -> String {
    to_datetime(at).format("%-d %B %Y").to_string()
}

/// The subject and plain-text body of a reminder email. `created_at` is the key's (or
/// the token's) creation time.
pub fn reminder_text(
    notice: &ReminderNotice,
    settings: &Settings,
    now: Millis,
    created_at: Millis,
    owner_name: &str,
    admins: &[(String, String)],
) -> (String, String) {
    let due = notice.due_at.timestamp_millis();
    let when = due_phrase(now, due);
    let on = long_date(due);
    let key = &notice.key_name;
    let key_id = &notice.key_id;
    let last_use = match notice.last_used_at {
        Some(u) => format!("It was last used on {}.", day(u.timestamp_millis())),
        None => format!(
            "It has not been used since it was created on {}.",
            day(created_at)
        ),
    };
    let (subject, opening, why, todo) = match notice.kind {
        ReminderKind::KeyDeletion => (
            format!("Your API key \"{key}\" will be deleted {when}"),
            format!("Your API key \"{key}\" ({key_id}) will be deleted {when}, on {on}."),
            format!(
                "Keyward deletes API keys that have not been used for {} days. {last_use}",
                settings.inactivity_days
            ),
            vec![
                "If something still needs this key, use it: any verification or token exchange with it resets the count.".to_owned(),
                format!("To keep it without using it, open Keyward and press Keep on \"{key}\", or run: keyward keys keep {key_id}"),
                "If nothing needs it any more, do nothing: it will be deleted on that date.".to_owned(),
            ],
        ),
        ReminderKind::KeyExpiry => (
            format!("Your API key \"{key}\" expires {when}"),
            format!("Your API key \"{key}\" ({key_id}) expires {when}, on {on}."),
            format!(
                "This end date was chosen when the key was created; after it the key stops working (verification answers EXPIRED). {last_use}"
            ),
            vec![
                format!("Create a new key to replace it (in Keyward, or: keyward keys create --owner <you> --name \"{key}\") and move whatever uses \"{key}\" to the new key before that date."),
                "If nothing needs it any more, do nothing: it stops working on that date.".to_owned(),
            ],
        ),
        ReminderKind::TokenExpiry => (
            format!("A token of your API key \"{key}\" expires {when}"),
            format!(
                "A token ({}) of your API key \"{key}\" ({key_id}) expires {when}, on {on}.",
                notice.id
            ),
            format!(
                "Tokens expire {} days after they are generated; this one was generated on {}. {}",
                settings.token_lifetime_days,
                day(created_at),
                match notice.last_used_at {
                    Some(u) => format!("It was last used on {}.", day(u.timestamp_millis())),
                    None => "It has not been used.".to_owned(),
                }
            ),
            vec![
                format!("Generate a new token from the key (in Keyward, or: keyward tokens create {key_id}) and use it in place of this one before that date."),
                "If nothing uses this token any more, do nothing: it simply expires.".to_owned(),
            ],
        ),
    };
    let ask = if admins.is_empty() {
        "Questions? Ask whoever runs Keyward for your team.".to_owned()
    } else {
        let names: Vec<String> = admins
            .iter()
            .map(|(name, email)| format!("{name} <{email}>"))
            .collect();
        format!(
            "Questions? Ask {}, who {} Keyward for your team.",
            names.join(" or "),
            if names.len() == 1 { "runs" } else { "run" }
        )
    };
    let greeting = if owner_name.trim().is_empty() {
        "Hello,".to_owned()
    } else {
        format!("Hello {},", owner_name.trim())
    };
    let todo: String = todo.iter().map(|t| format!("- {t}\n")).collect();
    let body = format!(
        "{greeting}\n\n{opening}\n\nWhy: {why}\n\nWhat to do:\n{todo}\n{ask}\n\n-- \nKeyward, which keeps your team's API keys. You get this email because you own this key.\n"
    );
    (subject, body)
}

/// Queues the email for a reminder just raised in `tx`, when email is on and the owner
/// can be written to. Returns whether one was queued.
pub(crate) fn queue_reminder(
    tx: &mut Tx<'_>,
    settings: &Settings,
    notice: &ReminderNotice,
    created_at: Millis,
    addressees: &Addressees,
) -> Result<bool> {
    if !settings.email_on() {
        return Ok(false);
    }
    let (Some((user_id, name, address)), Ok(Some(from))) =
        (&addressees.to, parse_from(&settings.smtp_from))
    else {
        return Ok(false);
    };
    let now = tx.now();
    let (subject, body) =
        reminder_text(notice, settings, now, created_at, name, &addressees.admins);
    let m = MailMessage::new(
        now,
        from.domain(),
        (user_id, name, address),
        Some(&notice.key_id),
        subject,
        body,
    );
    tx.put(Table::Mail, &m.id, &m)?;
    Ok(true)
}

fn email_event(tx: &Tx<'_>, m: &MailMessage, op: &str) -> crate::model::audit::AuditEvent {
    let mut e = tx
        .event("email", op)
        .object(&m.id, &m.to_address)
        .owner(&m.user_id);
    if let Some(k) = &m.key_id {
        e = e.key(k);
    }
    e
}

/// Removes an email that will not be sent, and says why in the audit log.
fn give_up(tx: &mut Tx<'_>, m: &MailMessage, why: &str) -> Result<()> {
    tx.del(Table::Mail, &m.id);
    let summary = format!(
        "gave up emailing {} \"{}\" after {} attempt(s): {why}",
        m.to_address, m.subject, m.attempts
    );
    tx.audit(email_event(tx, m, "failed").says(summary))
}

/// After a failed attempt (`m.attempts` counts it): the next try on the backoff schedule
/// (the webhooks'), or giving up once that would fall past three days.
fn retry_or_give_up(
    tx: &mut Tx<'_>,
    m: &MailMessage,
    error: String,
    permanent: bool,
) -> Result<MailResult> {
    let next = (!permanent)
        .then(|| next_attempt_at(m.created_at, m.attempts, tx.now(), None))
        .flatten();
    match next {
        Some(at) => {
            let mut m = m.clone();
            m.next_attempt_at = at;
            log::warn!(
                "the email {} to {} was not sent (attempt {}; trying again at {}): {error}",
                m.message_id,
                m.to_address,
                m.attempts,
                to_rfc3339(at)
            );
            m.last_error = Some(error);
            tx.put(Table::Mail, &m.id, &m)?;
            Ok(MailResult::RetryAt(at))
        }
        None => {
            give_up(tx, m, &error)?;
            Ok(MailResult::GaveUp)
        }
    }
}

/// The subject and body of a test email sent through `server`.
fn test_text(server: &str) -> (String, String) {
    (
        "Keyward test email".to_owned(),
        format!(
            "Hello,\n\nThis is a test email from Keyward, sent through {server}.\n\nIt arrived, so reminders about API keys will reach their owners by email: a few days before a key is deleted for inactivity, before a key or a token expires.\n\nNothing needs doing.\n\n-- \nKeyward, which keeps your team's API keys. You get this email because someone pressed \"Send a test email\" in its settings.\n"
        ),
    )
}

impl Store {
    /// The mailer "Send a test email" uses (a front end that can send sets it once).
    pub fn set_mailer(&self, mailer: std::sync::Arc<dyn Mailer>) {
        let _ = self.mailer.set(mailer);
    }

    /// Sends a test email to `to` with the saved SMTP settings, now, and says how it went
    /// (and audits it). Refused when email is off (`smtp_url` or `smtp_from` empty) or
    /// `to` is not an address; a server that refuses or cannot be reached is an answer,
    /// not an error: `sent` is false and `error` says why.
    pub fn send_test_email(&self, to: &str) -> Result<TestEmail> {
        let to = validate::email(to).map_err(|e| Error::invalid_field("to", e.to_string()))?;
        let settings = self.settings()?;
        if !settings.email_on() {
            return Err(Error::invalid_field(
                "smtp_url",
                "email is off — set smtp_url and smtp_from, save, then send a test email",
            ));
        }
        let (Some(server), Some(from)) = (
            self.smtp_server(self, &settings)?,
            parse_from(&settings.smtp_from)?,
        ) else {
            return Err(Error::invalid_field("smtp_url", "email is off"));
        };
        let Some(mailer) = self.mailer.get() else {
            return Err(Error::Forbidden(
                "this Keyward process cannot send email".to_owned(),
            ));
        };
        let now = self.now();
        let id = new_id("mail_", now);
        let (subject, body) = test_text(&server.masked);
        let email = DueEmail {
            message_id: format!("<{id}@{}>", from.domain()),
            mail_id: id,
            server: server.clone(),
            from,
            to_name: String::new(),
            to_address: to.clone(),
            subject,
            body,
            date: to_datetime(now),
            attempt: 1,
        };
        let error = match mailer.send(&email) {
            MailAttempt::Sent => None,
            MailAttempt::Failed { error, .. } => Some(error),
        };
        let result = TestEmail {
            to,
            server: server.masked,
            sent: error.is_none(),
            error,
            message_id: email.message_id,
        };
        self.write(|tx| {
            let summary = match &result.error {
                None => format!(
                    "sent a test email to {} through {}",
                    result.to, result.server
                ),
                Some(e) => format!(
                    "a test email to {} through {} was not sent: {e}",
                    result.to, result.server
                ),
            };
            tx.audit(
                tx.event("email", "tested")
                    .object(&email.mail_id, &result.to)
                    .says(summary),
            )
        })?;
        Ok(result)
    }

    /// When the next email is due, if any is waiting.
    pub(crate) fn next_email_at(&self) -> Result<Option<Millis>> {
        let mut next: Option<Millis> = None;
        for m in self.values::<MailMessage>(Table::Mail) {
            let at = m?.next_attempt_at;
            next = Some(next.map_or(at, |n| n.min(at)));
        }
        Ok(next)
    }

    /// Every email waiting to be sent, due or not, oldest first.
    pub fn waiting_emails(&self) -> Result<Vec<EmailView>> {
        self.values::<MailMessage>(Table::Mail)
            .map(|m| {
                m.map(|m| EmailView {
                    to: if m.to_name.is_empty() {
                        m.to_address.clone()
                    } else {
                        format!("{} <{}>", m.to_name, m.to_address)
                    },
                    id: m.id,
                    message_id: m.message_id,
                    key_id: m.key_id,
                    subject: m.subject,
                    body: m.body,
                    attempts: m.attempts,
                    next_attempt_at: to_datetime(m.next_attempt_at),
                    last_error: m.last_error,
                })
            })
            .collect()
    }

    /// Emails due now, oldest first, at most `limit`, each claimed for a while so that no
    /// other process sharing the database sends it meanwhile. Emails queued while email
    /// was on are given up (and audited) if it has been turned off since.
    pub fn due_emails(&self, limit: usize) -> Result<Vec<DueEmail>> {
        self.write(|tx| {
            let now = tx.now();
            let waiting = tx
                .values::<MailMessage>(Table::Mail)
                .collect::<Result<Vec<_>>>()?;
            let mut waiting: Vec<MailMessage> = waiting
                .into_iter()
                .filter(|m| m.next_attempt_at <= now)
                .collect();
            if waiting.is_empty() {
                return Ok(Vec::new());
            }
            let settings = super::settings::read_settings(tx)?;
            if !settings.email_on() {
                for m in &waiting {
                    give_up(
                        tx,
                        m,
                        "email was turned off (smtp_url or smtp_from is empty)",
                    )?;
                }
                return Ok(Vec::new());
            }
            let setup = self
                .smtp_server(tx, &settings)
                .and_then(|s| Ok((s, parse_from(&settings.smtp_from)?)));
            let (server, from) = match setup {
                Ok((Some(server), Some(from))) => (server, from),
                Ok(_) => return Ok(Vec::new()),
                Err(e) => {
                    // Nothing can be sent without the server's password; try again later.
                    for m in &mut waiting {
                        m.attempts += 1;
                        retry_or_give_up(tx, m, e.to_string(), false)?;
                    }
                    return Ok(Vec::new());
                }
            };
            waiting.truncate(limit);
            let mut due = Vec::with_capacity(waiting.len());
            for m in waiting {
                let mut claimed = m.clone();
                claimed.next_attempt_at = now + CLAIM;
                tx.put(Table::Mail, &claimed.id, &claimed)?;
                due.push(DueEmail {
                    mail_id: m.id,
                    message_id: m.message_id,
                    server: server.clone(),
                    from: from.clone(),
                    to_name: m.to_name,
                    to_address: m.to_address,
                    subject: m.subject,
                    body: m.body,
                    date: to_datetime(m.created_at),
                    attempt: m.attempts + 1,
                });
            }
            Ok(due)
        })
    }

    /// Records how an attempt at an email went: sent (and audited), or retried later, or
    /// given up (and audited) once three days have passed or the server refused it for
    /// good.
    pub fn record_email(&self, mail_id: &str, attempt: MailAttempt) -> Result<MailResult> {
        self.write(|tx| {
            let Some(mut m) = tx.get::<MailMessage>(Table::Mail, mail_id)? else {
                return Ok(MailResult::GaveUp);
            };
            m.attempts += 1;
            match attempt {
                MailAttempt::Sent => {
                    tx.del(Table::Mail, &m.id);
                    let summary = format!(
                        "emailed {} \"{}\" ({})",
                        m.to_address, m.subject, m.message_id
                    );
                    tx.audit(email_event(tx, &m, "sent").says(summary))?;
                    Ok(MailResult::Sent)
                }
                MailAttempt::Failed { error, permanent } => {
                    retry_or_give_up(tx, &m, error, permanent)
                }
            }
        })
    }
}
