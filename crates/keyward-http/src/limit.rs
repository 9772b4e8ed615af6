//! The failed-verification limiter. Every client of a loopback API shares one address, so
//! the budget is global; and only failures spend it, so a flood of bad keys is answered
//! with 429 while a valid key keeps working. (Guessing a key is not what this stops —
//! a secret carries ~190 random bits — but a runaway script filling the audit log and the
//! CPU with failures is.)

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::Clock;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// How many failed verifications and token exchanges the API answers before refusing
/// more with 429: a burst, refilled at a steady rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureBudget {
    pub burst: NonZeroU32,
    pub per_second: NonZeroU32,
}

impl Default for FailureBudget {
    fn default() -> Self {
        FailureBudget {
            burst: NonZeroU32::new(100).unwrap_or(NonZeroU32::MIN),
            per_second: NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN),
        }
    }
}

pub(crate) struct Failures {
    limiter: DefaultDirectRateLimiter,
}

impl Failures {
    pub fn new(budget: FailureBudget) -> Failures {
        let quota = Quota::per_second(budget.per_second).allow_burst(budget.burst);
        Failures {
            limiter: RateLimiter::direct(quota),
        }
    }

    /// Spends one failure. `Err(wait)` when the budget is spent: answer 429 and tell the
    /// client to retry after `wait`.
    pub fn spend(&self) -> Result<(), Duration> {
        self.limiter
            .check()
            .map_err(|not_until| not_until.wait_time_from(self.limiter.clock().now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spent_budget_says_how_long_to_wait() {
        let f = Failures::new(FailureBudget {
            burst: NonZeroU32::new(3).unwrap(),
            per_second: NonZeroU32::new(1).unwrap(),
        });
        for _ in 0..3 {
            assert!(f.spend().is_ok());
        }
        let wait = f.spend().unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
    }
}
