//! Time is injected: core code asks a `Clock`, never the system directly, so the 90-day
//! rules can be tested by moving a clock rather than waiting.

use std::sync::atomic::{AtomicI64, Ordering};

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

pub const SECOND: Millis = 1_000;
pub const MINUTE: Millis = 60 * SECOND;
pub const HOUR: Millis = 60 * MINUTE;
pub const DAY: Millis = 24 * HOUR;

pub trait Clock: Send + Sync {
    fn now(&self) -> Millis;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Millis {
        chrono::Utc::now().timestamp_millis()
    }
}

/// A clock that only moves when told to: for tests, and for `KEYWARD_NOW` rehearsals.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(at: Millis) -> Self {
        ManualClock(AtomicI64::new(at))
    }

    pub fn set(&self, at: Millis) {
        self.0.store(at, Ordering::SeqCst);
    }

    pub fn advance(&self, by: Millis) {
        self.0.fetch_add(by, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Millis {
        self.0.load(Ordering::SeqCst)
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> Millis {
        (**self).now()
    }
}

/// RFC 3339 (UTC, second precision) for display and JSON.
pub fn to_rfc3339(at: Millis) -> String {
    to_datetime(at).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn to_datetime(at: Millis) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(at).unwrap_or_default()
}

pub fn parse_rfc3339(s: &str) -> Option<Millis> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.timestamp_millis())
}

/// "3 hours ago", "just now", "in 7 days": for messages and human output.
pub fn ago(now: Millis, at: Millis) -> String {
    let d = now - at;
    // Within a minute either way (a clock a little behind the one that stamped it).
    if d.abs() < MINUTE {
        return "just now".to_owned();
    }
    if d < 0 {
        return format!("in {}", span(-d));
    }
    format!("{} ago", span(d))
}

/// "5 minutes", "3 hours", "2 days", "4 months", "1 year". The desktop's `timeAgo`
/// follows the same rule; `ui/src/lib/relative-times.json`, written from this by a test,
/// holds the cases both are checked against.
fn span(d: Millis) -> String {
    let (n, unit) = if d < HOUR {
        ((d / MINUTE).max(1), "minute")
    } else if d < DAY {
        (d / HOUR, "hour")
    } else if d < 30 * DAY {
        (d / DAY, "day")
    } else if d < 365 * DAY {
        (d / (30 * DAY), "month")
    } else {
        (d / (365 * DAY), "year")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// Whole days from `now` until `at`, rounded up ("deletes in 7 days"), never negative.
pub fn days_until(now: Millis, at: Millis) -> i64 {
    if at <= now {
        0
    } else {
        (at - now + DAY - 1) / DAY
    }
}

/// When something due at `at` happens, as a person would say it after "deleted" or
/// "expires": "now", "within the hour", "in 25 hours", "in 7 days".
///
/// Under two days the phrase counts hours, because a day count turns 25 hours into
/// "2 days" or "1 day", and "today"/"tomorrow" would need the reader's time zone (the
/// clock is UTC). Counts are rounded to the nearest hour or day (a half rounds down), so
/// the 7-day reminder, raised just inside 7 days, says "in 7 days".
pub fn due_phrase(now: Millis, at: Millis) -> String {
    let left = at.saturating_sub(now);
    if left <= 0 {
        return "now".to_owned();
    }
    if left < HOUR {
        return "within the hour".to_owned();
    }
    let nearest = |unit: Millis| left / unit + Millis::from(left % unit > unit / 2);
    let (n, unit) = match nearest(HOUR) {
        h if h < 48 => (h, "hour"),
        _ => (nearest(DAY), "day"),
    };
    format!("in {n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// "12 Aug" (or "12 Aug 2025" when not in `now`'s year).
pub fn short_date(now: Millis, at: Millis) -> String {
    use chrono::Datelike;
    let d = to_datetime(at);
    if d.year() == to_datetime(now).year() {
        d.format("%-d %b").to_string()
    } else {
        d.format("%-d %b %Y").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(1_000);
        assert_eq!(c.now(), 1_000);
        c.advance(DAY);
        assert_eq!(c.now(), 1_000 + DAY);
        c.set(5);
        assert_eq!(c.now(), 5);
    }

    #[test]
    fn human_spans_read_naturally() {
        let now = 10 * DAY;
        assert_eq!(ago(now, now - 3 * HOUR), "3 hours ago");
        assert_eq!(ago(now, now - DAY), "1 day ago");
        assert_eq!(ago(now, now - 5 * SECOND), "just now");
        assert_eq!(ago(now, now + 2 * DAY), "in 2 days");
        assert_eq!(days_until(now, now + DAY + 1), 2);
        assert_eq!(days_until(now, now + 7 * DAY), 7);
        assert_eq!(days_until(now, now - 1), 0);
    }

    /// The cases `ago` and the desktop's `timeAgo` are both checked against: this test
    /// writes them (with UPDATE_BINDINGS=1) and fails when the committed file differs;
    /// `ui/src/lib/rules.test.ts` checks `timeAgo` gives the same phrases.
    #[test]
    fn relative_times_are_the_cases_the_desktop_checks() {
        let now = 1_000 * 365 * DAY;
        let offsets: [Millis; 19] = [
            0,
            20 * SECOND,
            -30 * SECOND,
            MINUTE,
            5 * MINUTE + 59 * SECOND,
            HOUR - 1,
            HOUR,
            3 * HOUR + 54 * MINUTE,
            DAY - 1,
            DAY,
            2 * DAY,
            29 * DAY,
            30 * DAY,
            75 * DAY,
            364 * DAY,
            365 * DAY,
            400 * DAY,
            -2 * DAY,
            -3 * HOUR,
        ];
        let cases: Vec<serde_json::Value> = offsets
            .iter()
            .map(|d| serde_json::json!({ "ago_ms": d, "text": ago(now, now - d) }))
            .collect();
        let text = serde_json::to_string_pretty(&cases).unwrap() + "\n";
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../ui/src/lib/relative-times.json");
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &text).unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(&path).unwrap_or_default(),
            text,
            "ui/src/lib/relative-times.json is stale: run make bindings"
        );
        assert_eq!(ago(now, now - 400 * DAY), "1 year ago");
        assert_eq!(ago(now, now - 75 * DAY), "2 months ago");
    }

    #[test]
    fn due_phrases_read_as_a_person_would_say_them() {
        let now = 100 * DAY;
        assert_eq!(due_phrase(now, now - HOUR), "now");
        assert_eq!(due_phrase(now, now), "now");
        assert_eq!(due_phrase(now, now + 59 * MINUTE), "within the hour");
        assert_eq!(due_phrase(now, now + HOUR), "in 1 hour");
        assert_eq!(due_phrase(now, now + 90 * MINUTE), "in 1 hour");
        assert_eq!(due_phrase(now, now + 91 * MINUTE), "in 2 hours");
        // The defect this replaces: 25 hours read as "in 2 days".
        assert_eq!(due_phrase(now, now + 25 * HOUR), "in 25 hours");
        assert_eq!(due_phrase(now, now + 47 * HOUR), "in 47 hours");
        assert_eq!(due_phrase(now, now + 2 * DAY - MINUTE), "in 2 days");
        assert_eq!(due_phrase(now, now + 6 * DAY + 12 * HOUR), "in 6 days");
        assert_eq!(due_phrase(now, now + 7 * DAY - 5 * MINUTE), "in 7 days");
        assert_eq!(due_phrase(now, now + 15 * DAY), "in 15 days");
        assert_eq!(
            due_phrase(i64::MIN, i64::MAX),
            format!("in {} days", i64::MAX / DAY)
        );
    }

    /// What a phrase promises: the time it names and how far off it may be.
    fn promised(phrase: &str) -> (Millis, Millis) {
        match phrase {
            "now" => (0, 0),
            "within the hour" => (0, HOUR),
            _ => {
                let words: Vec<&str> = phrase.split(' ').collect();
                assert_eq!(words.len(), 3, "{phrase}");
                assert_eq!(words[0], "in", "{phrase}");
                let n: Millis = words[1].parse().unwrap();
                let unit = match words[2] {
                    "hour" | "hours" => HOUR,
                    "day" | "days" => DAY,
                    other => panic!("unit {other} in {phrase}"),
                };
                assert_eq!(words[2].ends_with('s'), n != 1, "plural agrees: {phrase}");
                (n * unit, unit / 2)
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn a_due_phrase_is_off_by_at_most_half_its_unit(
            now in -1_000_000 * DAY..1_000_000 * DAY,
            left in -30 * DAY..4_000 * DAY,
        ) {
            let phrase = due_phrase(now, now + left);
            let (said, tolerance) = promised(&phrase);
            let left = left.max(0);
            proptest::prop_assert!((left - said).abs() <= tolerance, "{phrase} for {left} ms");
        }

        #[test]
        fn later_is_never_said_sooner(
            now in 0..1_000 * DAY,
            a in 0..100 * DAY,
            b in 0..100 * DAY,
        ) {
            let (sooner, later) = (a.min(b), a.max(b));
            let p = promised(&due_phrase(now, now + sooner)).0;
            let q = promised(&due_phrase(now, now + later)).0;
            proptest::prop_assert!(p <= q, "{sooner} → {p}, {later} → {q}");
        }
    }

    #[test]
    fn rfc3339_round_trips_at_second_precision() {
        let at = parse_rfc3339("2026-08-12T10:00:00Z").unwrap();
        assert_eq!(to_rfc3339(at), "2026-08-12T10:00:00Z");
    }
}
