//! Rules for text a user types: names and emails.

use crate::error::{Error, Result};

/// The longest name of a site manager, location or API key, in characters.
pub const NAME_MAX: usize = 100;

/// A descriptive name: trimmed, 1–`max` characters, no control characters, and nothing
/// that hides or reorders text on screen (zero-width spaces, byte-order marks, direction
/// overrides that make `invoice<U+202E>fdp.exe` show as "invoiceexe.pdf", line separators).
pub fn name(what: &str, input: &str, max: usize) -> Result<String> {
    let t = input.trim();
    if t.chars().any(char::is_control) {
        return Err(Error::invalid_field(
            "name",
            format!(
                "the {what} name contains control characters (tabs, line breaks) — use plain text"
            ),
        ));
    }
    if let Some(c) = t.chars().find(|c| is_invisible(*c)) {
        return Err(Error::invalid_field(
            "name",
            format!(
                "the {what} name contains an invisible or text-reversing character (U+{:04X}) — \
             type the name again as plain text",
                c as u32
            ),
        ));
    }
    if !t.chars().any(is_visible) {
        return Err(Error::invalid_field(
            "name",
            format!("the {what} name is empty — give it a descriptive name"),
        ));
    }
    if t.chars().count() > max {
        return Err(Error::invalid_field(
            "name",
            format!(
                "the {what} name is {} characters long — keep it to {max}",
                t.chars().count()
            ),
        ));
    }
    Ok(t.to_owned())
}

/// Characters that are never part of a name a person typed on purpose: they show nothing,
/// or change the order or the lines in which the text around them is shown.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' // soft hyphen
        | '\u{034F}' // combining grapheme joiner
        | '\u{061C}' // Arabic letter mark
        | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' // Hangul fillers
        | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' // Mongolian selectors and vowel separator
        | '\u{200B}' // zero-width space
        | '\u{200E}' | '\u{200F}' // direction marks
        | '\u{2028}'..='\u{202E}' // line/paragraph separators, embeddings, overrides
        | '\u{2060}'..='\u{206F}' // word joiner, invisible operators, isolates
        | '\u{FEFF}' // byte-order mark
        | '\u{FFF9}'..='\u{FFFB}' // interlinear annotations
        | '\u{E0000}'..='\u{E007F}' // tags
    )
}

/// A character that shows something: not white space, and not one of the joiners and
/// variation selectors that scripts and emoji need between visible characters.
fn is_visible(c: char) -> bool {
    !c.is_whitespace()
        && !matches!(c, '\u{200C}' | '\u{200D}' | '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// An email address, trimmed; compared case-insensitively elsewhere. The local part is a
/// dot-separated run of letters, digits and ``!#$%&'*+-/=?^_`{|}~`` (no leading, trailing
/// or doubled dot); the domain is two or more labels of letters, digits and inner hyphens.
/// Letters may be non-ASCII (internationalised addresses); invisible characters may not.
pub fn email(input: &str) -> Result<String> {
    let t = input.trim();
    let bad = |why: &str| {
        Error::invalid_field(
            "email",
            format!(
                "'{}' is not an email address ({why}) — enter one like ada@example.com",
                t.escape_debug()
            ),
        )
    };
    if t.chars().count() > 254 {
        return Err(bad("it is over 254 characters long"));
    }
    let Some((local, domain)) = t.rsplit_once('@') else {
        return Err(bad("it has no @"));
    };
    if local.is_empty() || local.chars().count() > 64 {
        return Err(bad("the part before @ must be 1 to 64 characters"));
    }
    if let Some(c) = t
        .chars()
        .find(|c| c.is_control() || is_invisible(*c) || !is_visible(*c))
    {
        return Err(bad(&format!(
            "it contains U+{:04X}, an invisible character",
            c as u32
        )));
    }
    let atext = |c: char| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    if local
        .split('.')
        .any(|part| part.is_empty() || !part.chars().all(atext))
    {
        return Err(bad(
            "the part before @ may hold letters, digits, dots between them and !#$%&'*+-/=?^_`{|}~",
        ));
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.chars().count() <= 63
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if labels.len() < 2 || !labels.iter().all(label_ok) {
        return Err(bad(
            "the domain after @ must be names like example.com: letters, digits and inner hyphens",
        ));
    }
    if labels
        .last()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(bad("the domain after @ must end in a name, not a number"));
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
            "a\u{200b}@example.com",
            "a..b@example.com",
            ".a@example.com",
            "a.@example.com",
            "a@-example.com",
            "a@example-.com",
            "a,b@example.com",
            "<script>@x.io",
            "a@example.123",
            "\u{feff}a@example.com",
        ] {
            assert!(email(bad).is_err(), "{bad} accepted");
        }
        for good in [
            "o'brien@example.co.uk",
            "first.last+tag@mail-server.example.com",
            "josé@exämple.com",
            "a@b.io",
        ] {
            assert_eq!(email(good).unwrap(), good);
        }
    }

    #[test]
    fn names_refuse_invisible_and_reordering_characters() {
        for bad in [
            "\u{200B}",
            "\u{FEFF}",
            "\u{200B}\u{FEFF} ",
            "invoice\u{202E}fdp.exe",
            "line\u{2028}break",
            "isolated\u{2067}text",
            "\u{200D}",
        ] {
            let e = name("API key", bad, 100).unwrap_err();
            assert_eq!(e.code(), "INVALID_INPUT", "{bad:?}");
        }
        let e = name("API key", "invoice\u{202E}fdp.exe", 100).unwrap_err();
        assert!(e.to_string().contains("U+202E"), "{e}");
        // Joiners between visible characters are part of scripts and emoji.
        assert!(name("API key", "می\u{200C}خواهم", 100).is_ok());
        assert!(name("API key", "Team 👩\u{200D}💻", 100).is_ok());
    }
}
