//! What Keyward's tests share, so each test file holds only its tests:
//!
//! - [`Env`]: one store per test — a temporary data directory, a [`ManualClock`] the test
//!   moves, a file master key, [`StoreOptions`] — that can be closed and opened again;
//! - [`Seed`]: users, locations, keys, tokens and webhooks in a few fluent calls;
//!   [`bulk`]: thousands of keys, for the benchmarks;
//! - [`Backend`] and [`contract_tests!`]: the store's contract suite, run once per storage
//!   backend;
//! - [`fs`], [`sled_db`], [`json`], [`webhooks`]: the file, database, JSON and signature
//!   checks several test files make;
//! - [`cli`] (feature `cli`): the `keyward` binary on a data directory, at a pinned time;
//! - [`pg`] (feature `postgres`): a real PostgreSQL cluster the tests start themselves;
//! - [`smtp`]: a real SMTP server (Python's aiosmtpd) the tests start themselves.
//!
//! Used only as a dev-dependency; never published.
//!
//! [`ManualClock`]: keyward_core::ManualClock
//! [`StoreOptions`]: keyward_core::StoreOptions

pub mod bulk;
#[cfg(feature = "cli")]
pub mod cli;
mod contract;
mod env;
pub mod fs;
pub mod json;
#[cfg(feature = "postgres")]
pub mod pg;
mod seed;
pub mod sled_db;
pub mod smtp;
pub mod webhooks;

#[cfg(feature = "postgres")]
pub use env::Postgres;
pub use env::{Backend, Closed, Env, EnvBuilder, Sled};
pub use seed::{Seed, Seeded};

use keyward_core::{KeyFilter, Millis};

/// 14 Nov 2023, 22:13:20 UTC: where every store test starts.
pub const T0: Millis = 1_700_000_000_000;

/// 12 Aug 2026, 10:00 UTC: where the tests of the `keyward` binary and of the HTTP API
/// start (their answers carry dates a reader checks by eye).
pub const T0_2026: &str = "2026-08-12T10:00:00Z";

/// [`T0_2026`] in milliseconds.
pub fn t0_2026() -> Millis {
    keyward_core::clock::parse_rfc3339(T0_2026).expect("T0_2026 is RFC 3339")
}

/// The code of an error a call must have returned.
#[track_caller]
pub fn code<T: std::fmt::Debug>(r: keyward_core::Result<T>) -> &'static str {
    r.expect_err("expected an error").code()
}

/// Ids, sorted: what [`Env::keys`] is compared with.
pub fn sorted(ids: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// A key filter on one status ("active", "disabled", "in_use", "expiring", "revoked" …).
pub fn status(s: &str) -> KeyFilter {
    KeyFilter {
        status: Some(s.into()),
        ..Default::default()
    }
}
