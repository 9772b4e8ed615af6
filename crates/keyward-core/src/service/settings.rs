//! Reading and changing the settings, kept as one JSON record in the meta table. The SMTP
//! password is not in that record: it is sealed under the master key in a meta row of its
//! own, and the record keeps the URL with the password masked.

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::model::mail::{parse_smtp_url, SmtpServer};
use crate::model::seal;
use crate::model::settings::{changed_names, Settings};
use crate::store::{Read, Store, Table};

/// The meta row holding the sealed SMTP password.
pub(crate) const SMTP_PASSWORD: &[u8] = b"smtp_password";
/// The associated data the SMTP password is sealed with.
pub(crate) const SMTP_PASSWORD_AAD: &str = "settings/smtp_password";

pub(crate) fn read_settings(r: &impl Read) -> Result<Settings> {
    match r.get_raw(Table::Meta, b"settings")? {
        Some(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| Error::Corrupt(format!("the settings record is unreadable ({e})"))),
        None => Ok(Settings::default()),
    }
}

/// What a settings change does to the stored SMTP password.
enum Password {
    Keep,
    Set(Zeroizing<String>),
    Remove,
}

impl Store {
    pub fn settings(&self) -> Result<Settings> {
        read_settings(self)
    }

    pub fn update_settings(&self, mut new: Settings) -> Result<Settings> {
        new.normalize();
        new.validate()?;
        let server = parse_smtp_url(&new.smtp_url)?;
        let password = match &server {
            Some(s) if s.password_is_mask() => Password::Keep,
            Some(SmtpServer {
                password: Some(p), ..
            }) => Password::Set(p.clone()),
            _ => Password::Remove,
        };
        if let Some(s) = &server {
            new.smtp_url.clone_from(&s.masked);
        }
        let sealed = match &password {
            Password::Set(p) => Some(seal::seal(
                self.master_key()?,
                SMTP_PASSWORD_AAD,
                p.as_bytes(),
            )),
            _ => None,
        };
        self.write(|tx| {
            let old = read_settings(tx)?;
            let stored = tx.contains(Table::Meta, SMTP_PASSWORD)?;
            let password_changed = match password {
                Password::Keep if !stored => {
                    return Err(Error::invalid_field(
                        "smtp_url",
                        format!(
                            "no SMTP password is stored yet — type the password in place of {}",
                            crate::model::mail::PASSWORD_MASK
                        ),
                    ))
                }
                Password::Keep => false,
                Password::Set(_) => true,
                Password::Remove => stored,
            };
            if old == new && !password_changed {
                return Ok(new);
            }
            match sealed {
                Some(bytes) => tx.put_raw(Table::Meta, SMTP_PASSWORD, bytes),
                None if password_changed => tx.del(Table::Meta, SMTP_PASSWORD),
                None => {}
            }
            let json = serde_json::to_vec(&new).map_err(|e| Error::Storage(e.to_string()))?;
            tx.put_raw(Table::Meta, "settings", json);
            let mut changed = changed_names(&old, &new);
            if password_changed && old.smtp_url == new.smtp_url {
                changed.push("the SMTP password".to_owned());
            }
            let summary = format!("changed {}", changed.join(", "));
            let event = tx
                .event("settings", "updated")
                .object("settings", "Preferences");
            tx.audit(event.says(summary))?;
            Ok(new)
        })
    }

    /// The SMTP server emails go through, its password opened: `None` while email is off.
    pub(crate) fn smtp_server(
        &self,
        r: &impl Read,
        settings: &Settings,
    ) -> Result<Option<SmtpServer>> {
        let Some(mut server) = parse_smtp_url(&settings.smtp_url)? else {
            return Ok(None);
        };
        if server.password.is_some() {
            let sealed = r.get_raw(Table::Meta, SMTP_PASSWORD)?.ok_or_else(|| {
                Error::invalid_field(
                    "smtp_url",
                    "the SMTP password is not stored — set smtp_url again with its password",
                )
            })?;
            server.password = Some(self.open_smtp_password(&sealed)?);
        }
        Ok(Some(server))
    }

    /// The SMTP password, opened from its sealed row.
    pub(crate) fn open_smtp_password(&self, sealed: &[u8]) -> Result<Zeroizing<String>> {
        let plain = seal::open(self.master_key()?, SMTP_PASSWORD_AAD, sealed)
            .ok_or_else(|| Error::Corrupt("the SMTP password cannot be opened".into()))?;
        let text = std::str::from_utf8(&plain)
            .map_err(|_| Error::Corrupt("the SMTP password is not text".into()))?;
        Ok(Zeroizing::new(text.to_owned()))
    }
}
