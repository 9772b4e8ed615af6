//! Email to key owners: the SMTP server setting (`smtp_url`) and its sender (`smtp_from`)
//! with their rules, and the emails waiting to be sent. The password inside `smtp_url` is
//! a secret: the settings record only ever holds the URL with the password masked, the
//! password itself is sealed under the master key beside it.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::model::clock::Millis;
use crate::model::ids::new_id;
use crate::model::validate;

/// What stands for the password wherever an SMTP URL is shown, and what a form sends back
/// to keep the stored password.
pub const PASSWORD_MASK: &str = "•••";

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtp://`: STARTTLS when the server offers it, and required before a password is
    /// sent.
    StartTls,
    /// `smtps://`: TLS from the first byte.
    Tls,
    /// `smtp://…?tls=none`: plain text, for a relay on the same machine or a test server.
    Plain,
}

/// An SMTP server as `smtp_url` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpServer {
    pub security: SmtpSecurity,
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    /// The password as typed: [`PASSWORD_MASK`] when the URL came back from a view.
    pub password: Option<Zeroizing<String>>,
    /// The URL as it may be shown: the password replaced by [`PASSWORD_MASK`].
    pub masked: String,
}

impl SmtpServer {
    /// Whether the password is the mask, i.e. "keep the one stored".
    pub fn password_is_mask(&self) -> bool {
        self.password.as_deref().map(String::as_str) == Some(PASSWORD_MASK)
    }
}

fn bad_url(why: &str) -> Error {
    Error::invalid_field(
        "smtp_url",
        format!(
            "smtp_url {why} — use smtp://[user[:password]@]host[:port] (STARTTLS, port 587), smtps://… (TLS, port 465) or smtp://host:port?tls=none (plain text, a local relay); empty turns email off"
        ),
    )
}

fn decode(part: &str) -> Result<String> {
    url::form_urlencoded::parse(format!("x={}", part.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| bad_url("has a user name or password that cannot be read"))
}

/// Parses `smtp_url`. `None` for an empty value: email is off. Error messages never
/// repeat the password.
pub fn parse_smtp_url(text: &str) -> Result<Option<SmtpServer>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let u = url::Url::parse(text).map_err(|e| bad_url(&format!("is not a URL ({e})")))?;
    let mut security = match u.scheme() {
        "smtp" => SmtpSecurity::StartTls,
        "smtps" => SmtpSecurity::Tls,
        other => return Err(bad_url(&format!("starts with {other}:// "))),
    };
    let host = match u.host() {
        Some(url::Host::Domain(d)) if !d.is_empty() => d.to_owned(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        _ => return Err(bad_url("names no host")),
    };
    if !matches!(u.path(), "" | "/") || u.fragment().is_some() {
        return Err(bad_url("has a path"));
    }
    for (k, v) in u.query_pairs() {
        match (k.as_ref(), v.as_ref()) {
            ("tls", "none") if security == SmtpSecurity::StartTls => {
                security = SmtpSecurity::Plain;
            }
            ("tls", "none") => return Err(bad_url("asks for smtps:// without TLS")),
            _ => return Err(bad_url(&format!("has an unknown option '{k}'"))),
        }
    }
    let port = u.port().unwrap_or(match security {
        SmtpSecurity::Tls => 465,
        _ => 587,
    });
    if port == 0 {
        return Err(bad_url("has port 0"));
    }
    let user = (!u.username().is_empty())
        .then(|| decode(u.username()))
        .transpose()?;
    let password = u
        .password()
        .map(|p| decode(p).map(Zeroizing::new))
        .transpose()?;
    if password.is_some() && user.is_none() {
        return Err(bad_url("has a password but no user name"));
    }
    let mut masked = format!("{}://", u.scheme());
    if !u.username().is_empty() {
        masked.push_str(u.username());
        if password.is_some() {
            masked.push(':');
            masked.push_str(PASSWORD_MASK);
        }
        masked.push('@');
    }
    // An IPv6 host keeps its brackets.
    masked.push_str(u.host_str().unwrap_or_default());
    if let Some(p) = u.port() {
        masked.push_str(&format!(":{p}"));
    }
    if security == SmtpSecurity::Plain {
        masked.push_str("?tls=none");
    }
    Ok(Some(SmtpServer {
        security,
        host,
        port,
        user,
        password,
        masked,
    }))
}

/// The sender of Keyward's emails, as `smtp_from` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    pub name: Option<String>,
    pub address: String,
}

impl Sender {
    /// The domain of the address: where Message-IDs are made.
    pub fn domain(&self) -> &str {
        self.address.rsplit_once('@').map_or("keyward", |(_, d)| d)
    }
}

/// Parses `smtp_from`: `address` or `Name <address>`. `None` when empty.
pub fn parse_from(text: &str) -> Result<Option<Sender>> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let bad = |why: String| {
        Error::invalid_field(
            "smtp_from",
            format!("smtp_from {why} — use an address (keyward@example.com) or a name and an address (Keyward <keyward@example.com>)"),
        )
    };
    let (name, address) = match t.strip_suffix('>') {
        Some(rest) => {
            let Some((name, address)) = rest.rsplit_once('<') else {
                return Err(bad("has a '>' without '<'".into()));
            };
            let name = name.trim();
            let name = name
                .strip_prefix('"')
                .and_then(|n| n.strip_suffix('"'))
                .unwrap_or(name)
                .trim();
            if name
                .chars()
                .any(|c| c.is_control() || matches!(c, '<' | '>' | '"' | '\\'))
            {
                return Err(bad(
                    "has a name with a character a mail header cannot hold".into()
                ));
            }
            ((!name.is_empty()).then(|| name.to_owned()), address.trim())
        }
        None => (None, t),
    };
    let address = validate::email(address).map_err(|e| bad(e.to_string()))?;
    Ok(Some(Sender { name, address }))
}

/// An email waiting to be sent. Its text and its Message-ID are fixed when it is queued,
/// so every attempt sends the same message; the server and the sender are the settings'
/// at each attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MailMessage {
    pub id: String,
    pub message_id: String,
    /// The site manager it is addressed to.
    pub user_id: String,
    pub to_name: String,
    pub to_address: String,
    /// The API key it is about, if any.
    pub key_id: Option<String>,
    pub subject: String,
    pub body: String,
    pub created_at: Millis,
    pub attempts: u32,
    pub next_attempt_at: Millis,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

impl MailMessage {
    pub fn new(
        at: Millis,
        domain: &str,
        to: (&str, &str, &str),
        key_id: Option<&str>,
        subject: String,
        body: String,
    ) -> MailMessage {
        let id = new_id("mail_", at);
        let (user_id, to_name, to_address) = to;
        MailMessage {
            message_id: format!("<{id}@{domain}>"),
            id,
            user_id: user_id.to_owned(),
            to_name: to_name.to_owned(),
            to_address: to_address.to_owned(),
            key_id: key_id.map(str::to_owned),
            subject,
            body,
            created_at: at,
            attempts: 0,
            next_attempt_at: at,
            last_error: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(text: &str) -> SmtpServer {
        parse_smtp_url(text).unwrap().unwrap()
    }

    #[test]
    fn smtp_urls_take_their_default_ports_and_security() {
        let s = server("smtp://mail.example.com");
        assert_eq!(
            (s.security, s.host.as_str(), s.port),
            (SmtpSecurity::StartTls, "mail.example.com", 587)
        );
        assert_eq!(s.masked, "smtp://mail.example.com");
        let s = server("smtps://mail.example.com");
        assert_eq!((s.security, s.port), (SmtpSecurity::Tls, 465));
        let s = server("smtp://127.0.0.1:2525?tls=none");
        assert_eq!(
            (s.security, s.host.as_str(), s.port),
            (SmtpSecurity::Plain, "127.0.0.1", 2525)
        );
        assert_eq!(s.masked, "smtp://127.0.0.1:2525?tls=none");
        let s = server("smtp://[::1]:25?tls=none");
        assert_eq!(
            (s.host.as_str(), s.masked.as_str()),
            ("::1", "smtp://[::1]:25?tls=none")
        );
        assert!(parse_smtp_url("  ").unwrap().is_none());
    }

    #[test]
    fn the_password_is_decoded_and_masked_everywhere_it_is_shown() {
        let s = server("smtp://ada%40example.com:p%40ss:w0rd@mail.example.com:2587");
        assert_eq!(s.user.as_deref(), Some("ada@example.com"));
        assert_eq!(s.password.as_deref().map(String::as_str), Some("p@ss:w0rd"));
        assert_eq!(
            s.masked,
            "smtp://ada%40example.com:•••@mail.example.com:2587"
        );
        assert!(!s.password_is_mask());
        let again = server(&s.masked);
        assert!(again.password_is_mask());
        assert_eq!(again.masked, s.masked);
        let s = server("smtp://user+tag:a+b@mail.example.com");
        assert_eq!(s.user.as_deref(), Some("user+tag"));
        assert_eq!(s.password.as_deref().map(String::as_str), Some("a+b"));
    }

    #[test]
    fn bad_smtp_urls_are_refused_without_repeating_the_password() {
        for bad in [
            "mail.example.com",
            "http://mail.example.com",
            "smtp://",
            "smtp://mail.example.com/path",
            "smtp://mail.example.com?tls=maybe",
            "smtps://mail.example.com?tls=none",
            "smtp://:hunter2@mail.example.com",
            "smtp://u:hunter2@mail.example.com:99999",
        ] {
            let e = parse_smtp_url(bad).unwrap_err();
            assert_eq!(e.field(), Some("smtp_url"), "{bad}");
            assert!(!e.to_string().contains("hunter2"), "{e}");
        }
    }

    #[test]
    fn senders_are_an_address_or_a_name_and_an_address() {
        let s = parse_from("keyward@example.com").unwrap().unwrap();
        assert_eq!((s.name, s.address.as_str()), (None, "keyward@example.com"));
        let s = parse_from("Keyward Team <keyward@example.com>")
            .unwrap()
            .unwrap();
        assert_eq!(s.name.as_deref(), Some("Keyward Team"));
        assert_eq!(s.domain(), "example.com");
        let s = parse_from("\"Keyward, Acme\" <k@acme.test>")
            .unwrap()
            .unwrap();
        assert_eq!(s.name.as_deref(), Some("Keyward, Acme"));
        assert!(parse_from("").unwrap().is_none());
        for bad in [
            "keyward",
            "Keyward <keyward>",
            "Key\nward <k@example.com>",
            "a <b@c.de",
        ] {
            assert_eq!(
                parse_from(bad).unwrap_err().field(),
                Some("smtp_from"),
                "{bad}"
            );
        }
    }
}
