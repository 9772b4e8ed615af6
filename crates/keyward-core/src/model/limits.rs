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
