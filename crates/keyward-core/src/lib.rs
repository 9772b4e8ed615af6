//! Keyward's domain: site managers, locations, API keys, tokens, verification, the
//! inactivity lifecycle, the audit log and settings, stored in sled. Knows nothing of
//! Tauri, HTTP or the command line.

pub mod audit;
pub mod clock;
pub mod error;
pub mod ids;
mod index;
pub mod integrity;
pub mod key_page;
pub mod keys;
pub mod lifecycle;
pub mod locations;
mod migrate;
pub mod recovery;
pub mod seal;
pub mod secret;
pub mod settings;
pub mod store;
pub mod tokens;
pub mod users;
pub mod validate;
pub mod verify;
pub mod webhook_url;
pub mod webhooks;

pub use audit::{AuditFilter, AuditView};
pub use clock::{Clock, ManualClock, Millis, SystemClock};
pub use error::{Error, ErrorClass, Result};
pub use key_page::{KeyPage, KeySort, SortColumn, SortDir};
pub use keys::{
    CreatedKey, DeletedKey, Disclosure, KeyDetail, KeyFilter, KeyView, NewKey, ScopeView,
};
pub use lifecycle::{ExpiringSoon, LifecycleReport};
pub use locations::LocationView;
#[cfg(feature = "keychain")]
pub use seal::KeychainMasterKey;
pub use seal::{FileMasterKey, MasterKey, MasterKeySource};
pub use secret::{Secret, SecretKind, ShownSecret};
pub use settings::Settings;
pub use store::{Store, StoreOptions};
pub use tokens::{CreatedToken, TokenView};
pub use users::{ClearReport, NewUser, UserEdit, UserView};
pub use verify::{CredentialKind, Identity, Verdict, VerifyCode};
pub use webhooks::{
    Attempt, AttemptResult, CreatedWebhook, DeliveryView, DueMessage, NewWebhook, WebhookView,
};
