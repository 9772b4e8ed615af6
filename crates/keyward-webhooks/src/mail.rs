//! One attempt at one email: the SMTP connection `smtp_url` asks for, the message with
//! its fixed Message-ID, and the server's answer as a [`MailAttempt`] for the store to
//! record. What the email says is decided in core; this only sends it.

use std::time::{Duration, SystemTime};

use std::sync::Arc;

use keyward_core::mail::{DueEmail, MailAttempt, Mailer, SmtpSecurity};
use keyward_core::Store;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::{install_crypto_provider, ATTEMPT_TIMEOUT};

fn mailbox(name: Option<&str>, address: &str) -> Result<Mailbox, String> {
    let (user, domain) = address
        .rsplit_once('@')
        .ok_or_else(|| format!("{address} is not an email address"))?;
    let address =
        Address::new(user, domain).map_err(|e| format!("{address} cannot be written to: {e}"))?;
    Ok(Mailbox::new(
        name.filter(|n| !n.trim().is_empty()).map(str::to_owned),
        address,
    ))
}

fn message(m: &DueEmail) -> Result<Message, String> {
    let date = SystemTime::UNIX_EPOCH
        + Duration::from_millis(u64::try_from(m.date.timestamp_millis()).unwrap_or_default());
    Message::builder()
        .from(mailbox(m.from.name.as_deref(), &m.from.address)?)
        .to(mailbox(Some(&m.to_name), &m.to_address)?)
        .subject(m.subject.clone())
        .message_id(Some(m.message_id.clone()))
        .date(date)
        .user_agent(concat!("Keyward/", env!("CARGO_PKG_VERSION")).to_owned())
        .header(ContentType::TEXT_PLAIN)
        .body(m.body.clone())
        .map_err(|e| format!("the email could not be composed: {e}"))
}

fn transport(m: &DueEmail) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    install_crypto_provider();
    let s = &m.server;
    let tls = |host: &str| {
        TlsParameters::new(host.to_owned()).map_err(|e| format!("TLS cannot be set up: {e}"))
    };
    let security = match s.security {
        SmtpSecurity::Plain => Tls::None,
        SmtpSecurity::Tls => Tls::Wrapper(tls(&s.host)?),
        // A password is never sent in clear: with one, STARTTLS is required.
        SmtpSecurity::StartTls if s.password.is_some() => Tls::Required(tls(&s.host)?),
        SmtpSecurity::StartTls => Tls::Opportunistic(tls(&s.host)?),
    };
    let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(s.host.clone())
        .port(s.port)
        .tls(security)
        .timeout(Some(ATTEMPT_TIMEOUT));
    if let Some(user) = &s.user {
        let password = s
            .password
            .as_deref()
            .map(String::as_str)
            .unwrap_or_default();
        b = b.credentials(Credentials::new(user.clone(), password.to_owned()));
    }
    Ok(b.build())
}

/// Sends one email; never panics, never takes longer than about [`ATTEMPT_TIMEOUT`] per
/// step of the conversation.
pub async fn send_email(m: &DueEmail) -> MailAttempt {
    let failed = |error: String| MailAttempt::Failed {
        error,
        permanent: false,
    };
    let msg = match message(m) {
        Ok(msg) => msg,
        Err(e) => return failed(e),
    };
    let transport = match transport(m) {
        Ok(t) => t,
        Err(e) => return failed(e),
    };
    let sent = tokio::time::timeout(ATTEMPT_TIMEOUT * 2, transport.send(msg)).await;
    let where_to = format!("{}:{}", m.server.host, m.server.port);
    match sent {
        Ok(Ok(_)) => MailAttempt::Sent,
        Ok(Err(e)) => MailAttempt::Failed {
            permanent: e.is_permanent(),
            error: describe(&e, &where_to),
        },
        Err(_) => failed(format!(
            "{where_to} did not finish the conversation within {} s",
            (ATTEMPT_TIMEOUT * 2).as_secs()
        )),
    }
}

/// An SMTP error as one readable line, its innermost cause last.
fn describe(e: &lettre::transport::smtp::Error, where_to: &str) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    format!("the SMTP server {where_to}: {}", parts.join(": "))
}

/// Sends from a synchronous caller (a store call, on whatever thread it runs): each email
/// on a thread of its own with its own small runtime, so it never nests in the caller's.
struct SmtpMailer;

impl Mailer for SmtpMailer {
    fn send(&self, email: &DueEmail) -> MailAttempt {
        let email = email.clone();
        let attempt =
            std::thread::spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(send_email(&email)),
                    Err(e) => MailAttempt::Failed {
                        error: format!("email cannot be sent from this process: {e}"),
                        permanent: false,
                    },
                }
            })
            .join();
        attempt.unwrap_or_else(|_| MailAttempt::Failed {
            error: "sending the email failed inside Keyward".to_owned(),
            permanent: false,
        })
    }
}

/// Lets `store` send email now, over SMTP ("Send a test email"). Every Keyward process
/// that opens a store calls it; reminder emails go through the delivery passes instead.
pub fn enable(store: &Store) {
    store.set_mailer(Arc::new(SmtpMailer));
}
