//! How often each key is verified: per key and per day (UTC), the valid verifications and
//! the failed ones by code. Counted in memory on every verification and written in
//! batches, never one write per verification; kept 90 days.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::clock::{Millis, DAY};

/// How many days of counts are kept.
pub const DAYS_KEPT: i64 = 90;

/// One key's verifications on one day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCounts {
    pub valid: u64,
    /// Failed verifications by code (`DISABLED`, `EXPIRED`, `RATE_LIMITED`, …).
    pub failed: BTreeMap<String, u64>,
}

impl DayCounts {
    pub fn add(&mut self, other: &DayCounts) {
        self.valid += other.valid;
        for (code, n) in &other.failed {
            *self.failed.entry(code.clone()).or_default() += n;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.valid == 0 && self.failed.is_empty()
    }
}

/// The day (days since 1970-01-01, UTC) of a moment.
pub fn day_of(at: Millis) -> i64 {
    at.div_euclid(DAY)
}

/// Where a key's counts of a day are stored: by day first, so the oldest days are one
/// range to drop.
pub fn row_key(day: i64, key_id: &str) -> String {
    format!("{}{key_id}", day_prefix(day))
}

/// What every row of one day starts with.
pub fn day_prefix(day: i64) -> String {
    format!("{day:08}/")
}

/// The key a stored row is about: what follows its day.
pub fn row_key_id(row_key: &[u8]) -> Option<&str> {
    std::str::from_utf8(row_key.get(9..)?).ok()
}

/// The day a stored row is about.
pub fn row_day(row_key: &[u8]) -> Option<i64> {
    std::str::from_utf8(row_key.get(..8)?).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_sort_by_day_and_read_back() {
        let k = row_key(20_700, "key_1");
        assert_eq!(k, "00020700/key_1");
        assert_eq!(row_day(k.as_bytes()), Some(20_700));
        assert_eq!(row_key_id(k.as_bytes()), Some("key_1"));
        assert!(row_key(9, "key_z") < row_key(10, "key_a"));
        let mut a = DayCounts::default();
        a.add(&DayCounts {
            valid: 2,
            failed: [("DISABLED".to_owned(), 1)].into(),
        });
        a.add(&DayCounts {
            valid: 1,
            failed: [("DISABLED".to_owned(), 2)].into(),
        });
        assert_eq!((a.valid, a.failed["DISABLED"]), (3, 3));
        assert_eq!(day_of(DAY * 3 + 5), 3);
    }
}
