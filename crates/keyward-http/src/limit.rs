//! The failed-verification limiter: a budget per client address (on a loopback API every
//! client shares one, so the budget is in effect global; behind a trusted proxy the
//! address is the one the proxy names in `X-Forwarded-For`). Only failures spend it, so a
//! flood of bad keys is answered with 429 while a valid key keeps working. (Guessing a
//! key is not what this stops — a secret carries ~190 random bits — but a runaway script
//! filling the audit log and the CPU with failures is.)

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};

/// Clients remembered before those whose budget is whole again are forgotten.
const REMEMBERED: usize = 10_000;

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
    limiter: RateLimiter<IpAddr, HashMapStateStore<IpAddr>, DefaultClock>,
}

impl Failures {
    pub fn new(budget: FailureBudget) -> Failures {
        let quota = Quota::per_second(budget.per_second).allow_burst(budget.burst);
        Failures {
            limiter: RateLimiter::hashmap(quota),
        }
    }

    /// Spends one failure of `client`'s budget. `Err(wait)` when it is spent: answer 429
    /// and tell the client to retry after `wait`.
    pub fn spend(&self, client: IpAddr) -> Result<(), Duration> {
        if self.limiter.len() > REMEMBERED {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&client)
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
        let a: IpAddr = "203.0.113.7".parse().unwrap();
        let b: IpAddr = "198.51.100.9".parse().unwrap();
        for _ in 0..3 {
            assert!(f.spend(a).is_ok());
        }
        let wait = f.spend(a).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        // Another client has its own budget.
        assert!(f.spend(b).is_ok());
    }
}
