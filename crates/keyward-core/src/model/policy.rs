//! A key's policy, as the owner sets it: when it expires, whether inactivity may delete
//! it, what it is for (notes and tags), what it may do (permissions) and how often it may
//! be verified (a rate limit). Parsing and checking only; the key record holds the values.

use crate::error::{Error, Result};
use crate::model::clock::{parse_rfc3339, Millis, DAY, HOUR, MINUTE, SECOND};
use crate::model::key::RateLimit;
use crate::model::validate::is_invisible;

pub const NOTES_MAX: usize = 1_000;
pub const TAGS_MAX: usize = 10;
pub const TAG_MAX: usize = 32;
pub const PERMISSIONS_MAX: usize = 50;
pub const PERMISSION_MAX: usize = 64;
/// The permission that allows everything, and every key's default.
pub const ALL: &str = "*";

/// `--expires`: `30d`, `90d`, `1y` (365 days), a date (`2027-03-31`, the end of that day
/// in UTC), an RFC 3339 time, or `never`. The moment the key stops working, from `now`;
/// `None` for never. It must lie in the future.
pub fn parse_expiry(text: &str, now: Millis) -> Result<Option<Millis>> {
    let t = text.trim();
    let bad = |why: &str| {
        Error::invalid_field(
            "expires",
            format!("the end '{t}' {why} — use 30d, 90d, 1y, a date like 2027-03-31, or never"),
        )
    };
    if t.eq_ignore_ascii_case("never") || t.is_empty() {
        return Ok(None);
    }
    let at = if let Some(n) = t.strip_suffix(['d', 'D']) {
        now + days(n).ok_or_else(|| bad("is not a number of days"))? * DAY
    } else if let Some(n) = t.strip_suffix(['y', 'Y']) {
        now + days(n).ok_or_else(|| bad("is not a number of years"))? * 365 * DAY
    } else if let Some(at) = parse_rfc3339(t) {
        at
    } else if let Some(at) = parse_rfc3339(&format!("{t}T23:59:59Z")) {
        at
    } else {
        return Err(bad("is not a lifetime or a date"));
    };
    if at <= now {
        return Err(bad("is in the past"));
    }
    if at - now > 10 * 365 * DAY {
        return Err(bad("is more than 10 years away"));
    }
    Ok(Some(at))
}

fn days(n: &str) -> Option<i64> {
    n.trim()
        .parse::<i64>()
        .ok()
        .filter(|d| (1..=3650).contains(d))
}

/// Notes: at most [`NOTES_MAX`] characters, trimmed; line breaks and tabs are kept, other
/// control and invisible characters refused.
pub fn notes(text: &str) -> Result<String> {
    let t = text.trim();
    if t.chars().count() > NOTES_MAX {
        return Err(Error::invalid_field(
            "notes",
            format!(
                "notes are at most {NOTES_MAX} characters — this is {}",
                t.chars().count()
            ),
        ));
    }
    if t.chars()
        .any(|c| (c.is_control() && c != '\n' && c != '\t') || is_invisible(c))
    {
        return Err(Error::invalid_field(
            "notes",
            "notes may not hold control or invisible characters",
        ));
    }
    Ok(t.to_owned())
}

/// Tags: at most [`TAGS_MAX`] short words (letters, digits, `-`, `_`, `.`, `:`; up to
/// [`TAG_MAX`] characters), lower-cased, each once, in the order given.
pub fn tags<S: AsRef<str>>(given: &[S]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for tag in given {
        let t = tag.as_ref().trim().to_lowercase();
        if t.is_empty() {
            continue;
        }
        let word = t.chars().count() <= TAG_MAX
            && t.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
        if !word {
            return Err(Error::invalid_field(
                "tags",
                format!("tag '{t}' is not one short word (letters, digits, - _ . :, at most {TAG_MAX} characters)"),
            ));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > TAGS_MAX {
        return Err(Error::invalid_field(
            "tags",
            format!("a key has at most {TAGS_MAX} tags — this is {}", out.len()),
        ));
    }
    Ok(out)
}

/// Permissions: `*`, or strings like `contacts:read` / `contacts:*` (lower-case letters,
/// digits, `_`, `-`, `.`, parts joined by `:`). Empty means everything (`*`).
pub fn permissions<S: AsRef<str>>(given: &[S]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for p in given {
        let p = p.as_ref().trim();
        if p.is_empty() {
            continue;
        }
        let part_ok = |part: &str| {
            !part.is_empty()
                && (part == "*"
                    || part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-.".contains(c)))
        };
        let ok = p == ALL || (p.len() <= PERMISSION_MAX && p.split(':').all(part_ok));
        if !ok {
            return Err(Error::invalid_field(
                "permissions",
                format!("permission '{p}' is not like contacts:read or contacts:* (lower-case words joined by :)"),
            ));
        }
        if !out.iter().any(|o| o == p) {
            out.push(p.to_owned());
        }
    }
    if out.len() > PERMISSIONS_MAX {
        return Err(Error::invalid_field(
            "permissions",
            format!("a key has at most {PERMISSIONS_MAX} permissions"),
        ));
    }
    if out.is_empty() || out.iter().any(|p| p == ALL) {
        return Ok(vec![ALL.to_owned()]);
    }
    Ok(out)
}

/// Whether `held` allows `wanted`: `*`, the permission itself, or a held `a:*` for
/// anything under `a:`.
pub fn allows(held: &[String], wanted: &str) -> bool {
    held.iter().any(|h| {
        h == ALL
            || h == wanted
            || h.strip_suffix('*')
                .is_some_and(|prefix| prefix.ends_with(':') && wanted.starts_with(prefix))
    })
}

/// `--rate 600/min`: N per second (`s`, `sec`), minute (`m`, `min`), hour (`h`) or day
/// (`d`); `none` for no limit.
pub fn parse_rate(text: &str) -> Result<Option<RateLimit>> {
    let t = text.trim().to_ascii_lowercase();
    if t == "none" || t.is_empty() {
        return Ok(None);
    }
    let bad = || {
        Error::invalid_field(
            "rate",
            format!("the rate limit '{text}' is not like 600/min, 10/s, 5000/h or none"),
        )
    };
    let (n, unit) = t.split_once('/').ok_or_else(bad)?;
    let count: u32 = n.trim().parse().ok().filter(|c| *c > 0).ok_or_else(bad)?;
    let per = match unit.trim() {
        "s" | "sec" | "second" => SECOND,
        "m" | "min" | "minute" => MINUTE,
        "h" | "hour" => HOUR,
        "d" | "day" => DAY,
        _ => return Err(bad()),
    };
    Ok(Some(RateLimit { count, per }))
}

/// A rate as the owner wrote it: `600/min`.
pub fn rate_text(r: &RateLimit) -> String {
    let unit = match r.per {
        SECOND => "s",
        MINUTE => "min",
        HOUR => "h",
        DAY => "day",
        other => return format!("{}/{}ms", r.count, other),
    };
    format!("{}/{unit}", r.count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::clock::to_datetime;
    use proptest::prelude::*;

    const NOW: Millis = 1_780_000_000_000;

    #[test]
    fn expiry_is_a_lifetime_a_date_or_never() {
        assert_eq!(parse_expiry("30d", NOW).unwrap(), Some(NOW + 30 * DAY));
        assert_eq!(parse_expiry("1y", NOW).unwrap(), Some(NOW + 365 * DAY));
        assert_eq!(parse_expiry("never", NOW).unwrap(), None);
        let date = parse_expiry("2027-03-31", NOW).unwrap().unwrap();
        assert_eq!(
            crate::model::clock::to_rfc3339(date),
            "2027-03-31T23:59:59Z"
        );
        for bad in ["0d", "-1d", "soon", "2020-01-01", "99y", "30x"] {
            assert_eq!(
                parse_expiry(bad, NOW).unwrap_err().field(),
                Some("expires"),
                "{bad}"
            );
        }
    }

    #[test]
    fn tags_are_short_words_lower_cased_once() {
        assert_eq!(
            tags(&["Zapier", " zapier ", "crm:sync", ""]).unwrap(),
            vec!["zapier", "crm:sync"]
        );
        assert!(tags(&["two words"]).is_err());
        assert!(tags(&["x".repeat(33)]).is_err());
        let eleven: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
        assert_eq!(tags(&eleven).unwrap_err().field(), Some("tags"));
    }

    #[test]
    fn notes_keep_lines_and_refuse_hidden_characters() {
        assert_eq!(
            notes("  Used by the\nwebsite form ").unwrap(),
            "Used by the\nwebsite form"
        );
        assert!(notes(&"n".repeat(1_001)).is_err());
        assert!(notes("bell\u{7}").is_err());
        assert!(notes("zero\u{200b}width").is_err());
    }

    #[test]
    fn permissions_default_to_everything_and_match_by_prefix() {
        assert_eq!(permissions::<&str>(&[]).unwrap(), vec!["*"]);
        assert_eq!(permissions(&["contacts:read", "*"]).unwrap(), vec!["*"]);
        let held = permissions(&["contacts:read", "events:*"]).unwrap();
        assert!(allows(&held, "contacts:read"));
        assert!(!allows(&held, "contacts:write"));
        assert!(allows(&held, "events:rsvp:create"));
        assert!(!allows(&held, "eventsx:read"));
        assert!(allows(&["*".to_owned()], "anything:at:all"));
        for bad in ["Contacts:Read", "contacts read", "a::b", ":x"] {
            assert!(permissions(&[bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn rates_read_as_written() {
        let r = parse_rate("600/min").unwrap().unwrap();
        assert_eq!((r.count, r.per), (600, MINUTE));
        assert_eq!(rate_text(&r), "600/min");
        assert_eq!(parse_rate("none").unwrap(), None);
        for bad in ["600", "0/min", "10/fortnight", "x/s"] {
            assert_eq!(parse_rate(bad).unwrap_err().field(), Some("rate"), "{bad}");
        }
    }

    proptest! {
        /// A rate reads back as written, whatever its count and unit.
        #[test]
        fn a_rate_reads_back_as_written(
            count in 1u32..,
            per in proptest::sample::select(vec![SECOND, MINUTE, HOUR, DAY]),
        ) {
            let r = RateLimit { count, per };
            prop_assert_eq!(parse_rate(&rate_text(&r)).unwrap(), Some(r));
        }

        /// A lifetime of n days ends exactly n days from now; a date ends at the last
        /// second of that day (UTC), never before now; beyond 10 years both are refused.
        #[test]
        fn an_end_is_where_it_says(n in 1i64..4_000, at in 0i64..DAY) {
            let now = NOW + at;
            let lifetime = parse_expiry(&format!("{n}d"), now);
            let date = to_datetime(now + n * DAY).format("%Y-%m-%d").to_string();
            let by_date = parse_expiry(&date, now);
            if n <= 3_650 {
                prop_assert_eq!(lifetime.unwrap(), Some(now + n * DAY));
            } else {
                prop_assert!(lifetime.is_err());
            }
            match by_date {
                Ok(Some(end)) => {
                    prop_assert!(n <= 3_650, "{} is more than 10 years away", date);
                    prop_assert!(end > now);
                    prop_assert_eq!(end % DAY, DAY - SECOND, "{} ends at {}", date, end);
                    // The same day as n days from now (which may lie in its last second).
                    prop_assert!((-SECOND..DAY).contains(&(end - (now + n * DAY))));
                }
                Ok(None) => prop_assert!(false, "{} read as never", date),
                Err(_) => prop_assert!(n >= 3_650, "{} refused", date),
            }
        }

        /// Tags come out as at most 10 lower-case words, each once, and reading them
        /// again changes nothing.
        #[test]
        fn tags_are_a_fixed_point(given in proptest::collection::vec("[A-Za-z0-9_.:-]{0,8}", 0..14)) {
            if let Ok(t) = tags(&given) {
                prop_assert!(t.len() <= TAGS_MAX);
                prop_assert!(t.iter().all(|w| !w.is_empty() && *w == w.to_lowercase()));
                let mut unique = t.clone();
                unique.sort();
                unique.dedup();
                prop_assert_eq!(unique.len(), t.len());
                prop_assert_eq!(tags(&t).unwrap(), t);
            } else {
                let distinct: std::collections::HashSet<String> = given
                    .iter()
                    .map(|g| g.to_lowercase())
                    .filter(|g| !g.is_empty())
                    .collect();
                prop_assert!(distinct.len() > TAGS_MAX);
            }
        }

        /// Every permission given is allowed by what is kept, and what is kept reads
        /// back unchanged.
        #[test]
        fn permissions_given_are_allowed(
            given in proptest::collection::vec("([a-c]{1,3}|\\*)(:([a-c]{1,3}|\\*)){0,2}", 0..6),
        ) {
            let held = permissions(&given).unwrap();
            prop_assert_eq!(permissions(&held).unwrap(), held.clone());
            for p in &given {
                prop_assert!(allows(&held, p), "{:?} does not allow {}", held, p);
            }
        }

        /// `a:*` allows exactly what lies under `a:`: never a sibling that merely
        /// starts with the same letters, never `a` itself.
        #[test]
        fn a_prefix_allows_only_what_is_under_it(
            a in "[a-c]{1,3}",
            b in "[a-c]{1,3}",
            rest in "[a-c]{1,3}(:[a-c]{1,3}){0,2}",
        ) {
            let held = permissions(&[format!("{a}:*")]).unwrap();
            prop_assert_eq!(allows(&held, &format!("{b}:{rest}")), a == b);
            prop_assert!(!allows(&held, &a));
        }
    }
}
