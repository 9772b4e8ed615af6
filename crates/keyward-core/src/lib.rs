//! Keyward's domain: site managers, locations, API keys, tokens, verification, the
//! inactivity lifecycle, the audit log, webhooks and settings. Knows nothing of Tauri,
//! HTTP or the command line.
//!
//! Four layers, each using only the ones before it:
//! - `model`: pure types and rules;
//! - `store`: the `Backend` trait (sled today), schema and migrations, the one write path;
//! - `service`: the use cases, written against the store's `write`/`Read` and the model;
//! - `view`: what front ends show.
//!
//! The public modules below gather each concept's model and view types under one name.

pub mod error;
pub mod model;
pub mod service;
pub mod store;
pub mod view;

pub use model::{clock, ids, policy, seal, secret, settings, validate, webhook_url};

pub mod audit {
    pub use crate::model::audit::*;
    pub use crate::view::audit::*;
}
pub mod keys {
    pub use crate::model::deleted::KEEP_DELETED_DAYS;
    pub use crate::model::key::*;
    pub use crate::view::keys::*;
}
pub mod key_page {
    pub use crate::view::key_page::*;
}
pub mod lifecycle {
    pub use crate::model::lifecycle::*;
    pub use crate::view::lifecycle::*;
}
pub mod locations {
    pub use crate::model::location::*;
    pub use crate::view::locations::*;
}
pub mod tokens {
    pub use crate::model::limits::*;
    pub use crate::model::token::*;
    pub use crate::view::tokens::*;
}
pub mod mail {
    pub use crate::model::mail::*;
    pub use crate::view::mail::*;
}
pub mod management {
    pub use crate::model::management::*;
    pub use crate::view::management::*;
}
pub mod users {
    pub use crate::model::user::*;
    pub use crate::view::users::*;
}
pub mod verify {
    pub use crate::view::verify::*;
}
pub mod webhooks {
    pub use crate::model::webhook::*;
    pub use crate::view::webhooks::*;
}
pub use model::access::Actor;
pub use service::archive;
pub use service::{Acting, Manage, OwnerQuestion, THIS_COMPUTER};
pub use store::recovery;

pub use audit::{AuditFilter, AuditView};
pub use clock::{Clock, ManualClock, Millis, SystemClock};
pub use error::{Error, ErrorClass, Result};
pub use key_page::{KeyPage, KeySort, SortColumn, SortDir};
pub use keys::{
    CreatedKey, DeletedKey, DeletedKeyView, Disclosure, KeyDetail, KeyEdit, KeyFilter, KeyView,
    NewKey, RateLimit, ScopeView,
};
pub use lifecycle::{ExpiringSoon, LifecycleReport};
pub use locations::LocationView;
pub use management::{CreatedManagementToken, ManagementTokenView, Session};
#[cfg(feature = "keychain")]
pub use seal::KeychainMasterKey;
pub use seal::{FileMasterKey, MasterKey, MasterKeySource};
pub use secret::{Secret, SecretKind, ShownSecret};
pub use settings::Settings;
pub use store::{Follower, Store, StoreOptions};
pub use tokens::{CreatedToken, TokenView};
pub use users::{ClearReport, Impact, NewUser, UserEdit, UserView};
pub use verify::{CredentialKind, Identity, Verdict, VerifyCode};
pub use view::usage::UsageDay;
pub use webhooks::{
    Attempt, AttemptResult, CreatedWebhook, DeliveryView, DueMessage, NewWebhook, WebhookView,
};
