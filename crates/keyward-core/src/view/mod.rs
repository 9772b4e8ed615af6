//! What the desktop app, the CLI and the HTTP API show: built from model records, never
//! holding a secret except in the one answer that shows it once. TypeScript types for the
//! desktop are derived from these (feature `ts`).

pub mod audit;
pub mod key_page;
pub mod keys;
pub mod lifecycle;
pub mod locations;
pub mod mail;
pub mod management;
pub mod rules;
pub mod time;
pub mod tokens;
pub mod usage;
pub mod users;
pub mod verify;
pub mod webhooks;
