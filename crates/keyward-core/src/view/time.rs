//! How views write a moment: RFC 3339 in UTC, to the second ("2026-08-12T10:00:00Z"),
//! the form every answer has always had. Views hold `DateTime<Utc>`; only this writes it.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serializer;

pub fn rfc3339<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&at.to_rfc3339_opts(SecondsFormat::Secs, true))
}

pub fn rfc3339_opt<S: Serializer>(at: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => rfc3339(at, s),
        None => s.serialize_none(),
    }
}
