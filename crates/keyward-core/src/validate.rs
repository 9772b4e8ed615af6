//! Rules for text a user types: names and emails.

use crate::error::{Error, Result};

/// A descriptive name: trimmed, 1–`max` characters, no control characters.
pub fn name(what: &str, input: &str, max: usize) -> Result<String> {
    let t = input.trim();
    if t.is_empty() {
        return Err(Error::invalid(format!(
            "the {what} name is empty — give it a descriptive name"
        )));
    }
    if t.chars().count() > max {
        return Err(Error::invalid(format!(
            "the {what} name is {} characters long — keep it to {max}",
            t.chars().count()
        )));
    }
    if t.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "the {what} name contains control characters (tabs, line breaks) — use plain text"
        )));
    }
    Ok(t.to_owned())
}

/// An email address, trimmed; compared case-insensitively elsewhere.
pub fn email(input: &str) -> Result<String> {
    let t = input.trim();
    let bad = || {
        Error::invalid(format!(
            "'{t}' is not an email address (like ada@example.com)"
        ))
    };
    if t.len() > 254 || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = t.split_once('@').ok_or_else(bad)?;
    if local.is_empty()
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains("..")
    {
        return Err(bad());
    }
    Ok(t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            name("API key", "  Zapier sync ", 100).unwrap(),
            "Zapier sync"
        );
        assert_eq!(
            name("API key", "   ", 100).unwrap_err().code(),
            "INVALID_INPUT"
        );
        assert!(name("API key", &"x".repeat(101), 100).is_err());
        assert!(name("API key", &"é".repeat(100), 100).is_ok());
        assert!(name("API key", "a\nb", 100).is_err());
    }

    #[test]
    fn emails_need_a_local_part_and_a_domain() {
        assert_eq!(email(" Ada@Example.com ").unwrap(), "Ada@Example.com");
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@b@c.d",
            "ada@example..com",
        ] {
            assert!(email(bad).is_err(), "{bad} accepted");
        }
    }
}
