//! Pure types and rules: ids, time, secrets and sealing, the records (keys, tokens, site
//! managers, locations, webhooks, audit events) with their status rules, settings with
//! their limits, lifecycle planning and webhook policy. Nothing here reads or writes.

pub mod access;
pub mod audit;
pub mod clock;
pub mod deleted;
pub mod ids;
pub mod key;
pub mod lifecycle;
pub mod limits;
pub mod location;
pub mod mail;
pub mod management;
pub mod policy;
pub mod seal;
pub mod secret;
pub mod settings;
#[macro_use]
pub(crate) mod text_enum;
pub mod token;
pub mod usage;
pub mod user;
pub mod validate;
pub mod webhook;
pub mod webhook_url;
