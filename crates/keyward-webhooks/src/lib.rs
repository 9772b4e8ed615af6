//! Keyward's webhook and email delivery (SPEC §3.11, §8, §11): takes due messages from the store's
//! outbox, signs them (Standard Webhooks), POSTs them and records each attempt. The store
//! keeps the subscriptions, the outbox, the signing rules and the retry schedule; this
//! crate only sends.
//!
//! The URL rules of SPEC §8 hold at connect time: host names are resolved by a resolver
//! that refuses forbidden addresses on every attempt (a name that starts resolving to a
//! private address is caught then), IP literals are checked before sending, redirects are
//! not followed and no proxy is used.
//!
//! Reminder emails go out the same way: the store queues them with the reminder, and the
//! same passes send what is due over SMTP ([`mail`]) and record each attempt.
//!
//! The desktop app and `keyward serve` run a [`Worker`]; a one-shot command calls
//! [`deliver_once`] before it exits.

pub mod mail;
mod send;
mod worker;

use std::sync::Once;

pub use mail::send_email;
pub use send::{Deliverer, ATTEMPT_TIMEOUT};
pub use worker::{deliver_due, deliver_once, send_due_emails, Worker};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The HTTP client could not be set up (its TLS configuration, say).
    #[error("webhook delivery cannot start: its HTTP client could not be built ({0})")]
    Client(String),
    #[error(transparent)]
    Store(#[from] keyward_core::Error),
}

impl Error {
    pub fn code(&self) -> &'static str {
        match self {
            Error::Client(_) => "DELIVERY_UNAVAILABLE",
            Error::Store(e) => e.code(),
        }
    }
}

static CRYPTO: Once = Once::new();

/// rustls needs a process-wide crypto provider; Keyward uses ring's. Anything in the
/// process that builds a reqwest client calls this first (delivery does it itself).
pub fn install_crypto_provider() {
    CRYPTO.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
