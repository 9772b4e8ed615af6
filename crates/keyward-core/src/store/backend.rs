//! The storage seam: what a database must do for the store. The store decides what to
//! write (typed records, encoded by `Tx`); a backend only keeps rows of a fixed set of
//! tables and applies a batch of writes atomically. sled is the first implementation.

use crate::error::Result;

/// The tables of a Keyward database. Keys and values are opaque to the backend except
/// where a backend maps a table onto typed columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// Schema version, settings, where the master key is kept.
    Meta,
    Users,
    /// Lower-cased email → user id: the unique index of emails.
    Emails,
    Locations,
    Keys,
    /// SHA-256 of a secret → what it belongs to: the unique index of secrets.
    Hashes,
    Tokens,
    /// Key or token id → when it was last used (big-endian milliseconds).
    LastUsed,
    Audit,
    Webhooks,
    Outbox,
    /// `{webhook id}/{delivery id}` → one logged attempt.
    Deliveries,
    /// Management tokens (`kwm_…`), by id.
    ManagementTokens,
    /// `{day}/{key id}` → that key's verifications on that day.
    Usage,
    /// Key id → a deleted key kept for 30 days, restorable.
    DeletedKeys,
    /// Emails waiting to be sent, by id.
    Mail,
}

impl Table {
    pub const ALL: [Table; 16] = [
        Table::Meta,
        Table::Users,
        Table::Emails,
        Table::Locations,
        Table::Keys,
        Table::Hashes,
        Table::Tokens,
        Table::LastUsed,
        Table::Audit,
        Table::Webhooks,
        Table::Outbox,
        Table::Deliveries,
        Table::ManagementTokens,
        Table::Usage,
        Table::DeletedKeys,
        Table::Mail,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Table::Meta => "meta",
            Table::Users => "users",
            Table::Emails => "user_emails",
            Table::Locations => "locations",
            Table::Keys => "api_keys",
            Table::Hashes => "secret_hashes",
            Table::Tokens => "tokens",
            Table::LastUsed => "last_used",
            Table::Audit => "audit",
            Table::Webhooks => "webhooks",
            Table::Outbox => "webhook_outbox",
            Table::Deliveries => "webhook_deliveries",
            Table::ManagementTokens => "management_tokens",
            Table::Usage => "key_usage",
            Table::DeletedKeys => "deleted_keys",
            Table::Mail => "mail_outbox",
        }
    }
}

/// One write: a row put (`Some`) or removed (`None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    pub table: Table,
    pub key: Vec<u8>,
    pub value: Option<Vec<u8>>,
}

/// Rows in key order, read lazily.
pub type Rows<'a> = Box<dyn Iterator<Item = Result<(Vec<u8>, Vec<u8>)>> + 'a>;

pub trait Backend: Send + Sync {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// The rows whose key starts with `prefix`, in key order (reversed with `rev`).
    fn scan(&self, table: Table, prefix: &[u8], rev: bool) -> Rows<'_>;

    fn is_empty(&self, table: Table) -> Result<bool>;

    /// Applies every write or none.
    fn apply(&self, ops: &[Op]) -> Result<()>;

    /// Writes "last used" times (`Table::LastUsed`, id → big-endian milliseconds) outside
    /// any transaction, without waiting for the disk: a crash may lose them at little
    /// cost. A stored time is only ever raised: a database several processes share
    /// keeps the newest whoever saves last.
    fn save_uses(&self, uses: &[(String, crate::clock::Millis)]) -> Result<()>;

    /// Makes every applied write durable.
    fn flush(&self) -> Result<()>;

    /// Why changes cannot be saved right now, if they cannot (a full disk).
    fn refuses_writes(&self) -> Option<String>;

    /// Bytes used, for diagnostics.
    fn size_on_disk(&self) -> Result<u64>;

    /// Keeps every other process that shares this database from writing until the lease
    /// is dropped, so changes apply one after another across processes as they do within
    /// one. A database only one process opens (sled, locked) needs none.
    fn lease_writes(&self) -> Result<Option<Box<dyn Lease + '_>>> {
        Ok(None)
    }

    /// For a database other processes write to: a feed of their changes, so what this
    /// process holds in memory follows. `None`: no other process writes here.
    fn watch(&self) -> Option<Box<dyn Watch>> {
        None
    }
}

/// A held write lease; released when dropped.
pub trait Lease {}

/// What a [`Watch`] saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changed {
    /// These rows changed (read them again).
    Rows(Vec<(Table, Vec<u8>)>),
    /// The feed (re)started: anything may have changed while it was not listening.
    Everything,
}

/// Changes committed to a shared database, by any process.
pub trait Watch: Send {
    /// Waits up to `timeout` for changes. An empty `Rows` means none came, and the
    /// database was reachable. An error means it is not (the next call tries again).
    fn wait(&mut self, timeout: std::time::Duration) -> Result<Changed>;
}
