//! The token exchange's per-key budget.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::model::clock::Millis;

/// How many tokens one API key may mint through the token exchange in a burst, and how
/// often it earns one more: a script that loops on `POST /v1/tokens` is stopped at about
/// ten a minute, while a person pressing "Get token" in Postman never notices.
pub const EXCHANGE_BURST: u32 = 20;
pub const EXCHANGE_REFILL: Millis = 6_000;

/// Per-key budgets of token exchanges, kept in memory (a restart forgives).
#[derive(Default)]
pub(crate) struct ExchangeBudget {
    /// key id → (exchanges left, when that was counted).
    left: Mutex<HashMap<String, (f64, Millis)>>,
}

impl ExchangeBudget {
    /// `Err(wait)` when the key has no exchange left now; the wait is in milliseconds.
    pub fn check(&self, key_id: &str, now: Millis) -> std::result::Result<(), u64> {
        let left = self.left_at(key_id, now);
        if left >= 1.0 {
            Ok(())
        } else {
            Err(((1.0 - left) * EXCHANGE_REFILL as f64).ceil().max(1.0) as u64)
        }
    }

    /// Counts one exchange that happened.
    pub fn spend(&self, key_id: &str, now: Millis) {
        let left = self.left_at(key_id, now);
        let mut map = self.left.lock().unwrap_or_else(|p| p.into_inner());
        map.insert(key_id.to_owned(), ((left - 1.0).max(0.0), now));
        // Keys whose budget is full again need no entry.
        if map.len() > 10_000 {
            map.retain(|_, (l, at)| {
                *l + ((now - *at) as f64 / EXCHANGE_REFILL as f64) < f64::from(EXCHANGE_BURST)
            });
        }
    }

    fn left_at(&self, key_id: &str, now: Millis) -> f64 {
        let map = self.left.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(key_id) {
            Some((left, at)) => {
                let earned = (now - at).max(0) as f64 / EXCHANGE_REFILL as f64;
                (left + earned).min(EXCHANGE_BURST as f64)
            }
            None => EXCHANGE_BURST as f64,
        }
    }
}

/// Per-key verification limits (`--rate 600/min`), kept in memory on each process: a
/// bucket of `count` verifications that refills over `per`. Only keys with a limit have
/// an entry, so keys without one never touch the lock.
#[derive(Default)]
pub(crate) struct VerifyLimits {
    /// key id → (verifications left, when that was counted).
    left: Mutex<HashMap<String, (f64, Millis)>>,
}

impl VerifyLimits {
    /// Spends one verification of `key_id`; `Err(wait)` in milliseconds when none is left.
    pub fn take(
        &self,
        key_id: &str,
        limit: crate::model::key::RateLimit,
        now: Millis,
    ) -> std::result::Result<(), u64> {
        let capacity = f64::from(limit.count);
        let refill = limit.per as f64 / capacity;
        let mut map = self.left.lock().unwrap_or_else(|p| p.into_inner());
        let (left, at) = map.get(key_id).copied().unwrap_or((capacity, now));
        let left = (left + (now - at).max(0) as f64 / refill).min(capacity);
        if left < 1.0 {
            map.insert(key_id.to_owned(), (left, now));
            return Err(((1.0 - left) * refill).ceil().max(1.0) as u64);
        }
        map.insert(key_id.to_owned(), (left - 1.0, now));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::clock::{MINUTE, SECOND};
    use crate::model::key::RateLimit;

    #[test]
    fn a_rate_limit_spends_a_bucket_and_refills_it_over_its_window() {
        let limits = VerifyLimits::default();
        let limit = RateLimit {
            count: 3,
            per: MINUTE,
        };
        for _ in 0..3 {
            assert!(limits.take("key_a", limit, 0).is_ok());
        }
        let wait = limits.take("key_a", limit, 0).unwrap_err();
        assert_eq!(
            wait,
            20 * SECOND as u64,
            "one verification comes back every 20 s"
        );
        // Another key is unaffected.
        assert!(limits.take("key_b", limit, 0).is_ok());
        assert!(limits.take("key_a", limit, 20 * SECOND).is_ok());
        assert!(limits.take("key_a", limit, 20 * SECOND).is_err());
    }
}
