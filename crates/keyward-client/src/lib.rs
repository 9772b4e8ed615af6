//! Keyward's management API as a client. [`Remote`] implements [`Manage`] over HTTP, so the
//! `keyward` command line and the desktop app do the same things against a team server
//! (or a Keyward process holding this computer's data directory) as against a local store,
//! with the same answers and the same error codes. [`Address`] is how a running process
//! tells the command line where it listens.

mod address;
mod remote;

pub use address::{Address, AddressFile};
pub use remote::Remote;

/// What a client says it is, in the `X-Keyward-Client` header: the audit log shows it.
pub const CLIENT_HEADER: &str = "x-keyward-client";

/// Keyward's rustls crypto provider (ring's), installed once per process.
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

pub use keyward_core::Manage;
