//! The use cases, as methods of `Store`: each reads through `Read` and changes data only
//! through `Store::write`, applying the rules of `model` and answering with `view` types.
//! Nothing here knows which database is underneath.

pub mod archive;
mod audit;
mod deleted;
mod expiring;
mod key_page;
mod keys;
mod lifecycle;
mod locations;
pub(crate) mod mail;
mod manage;
mod management;

pub use manage::{Acting, Manage, THIS_COMPUTER};
pub use management::OwnerQuestion;
mod outbox;
pub(crate) mod settings;
mod tokens;
pub(crate) mod usage;
mod users;
mod verify;
mod webhooks;
