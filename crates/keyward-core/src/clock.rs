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
    if d < 0 {
        return format!("in {}", span(-d));
    }
    if d < MINUTE {
        return "just now".to_owned();
    }
    format!("{} ago", span(d))
}

fn span(d: Millis) -> String {
    let (n, unit) = if d >= DAY {
        (d / DAY, "day")
    } else if d >= HOUR {
        (d / HOUR, "hour")
    } else if d >= MINUTE {
        (d / MINUTE, "minute")
    } else {
        (d / SECOND, "second")
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

    #[test]
    fn rfc3339_round_trips_at_second_precision() {
        let at = parse_rfc3339("2026-08-12T10:00:00Z").unwrap();
        assert_eq!(to_rfc3339(at), "2026-08-12T10:00:00Z");
    }
}
