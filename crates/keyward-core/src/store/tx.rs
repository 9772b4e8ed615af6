//! Reading and writing records. `Read` is what every use case reads through, whether it
//! looks at the committed database (`Store`) or at a transaction being built (`Tx`, which
//! sees its own pending writes). `Tx` collects the writes of one change, with the audit
//! events that describe it; `Store::write` commits them together.

use std::collections::{BTreeMap, HashMap};

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::backend::{Op, Rows, Table};
use super::Store;
use crate::clock::Millis;
use crate::error::Result;
use crate::model::audit::AuditEvent;

/// Typed reads over raw rows. Values are bincode-encoded records.
pub trait Read {
    fn get_raw(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// Rows whose key starts with `prefix`, in key order.
    fn scan_raw(&self, table: Table, prefix: &[u8]) -> Rows<'_>;

    /// The time this read or change happens at.
    fn now(&self) -> Millis;

    fn get<V: DeserializeOwned>(&self, table: Table, key: impl AsRef<[u8]>) -> Result<Option<V>>
    where
        Self: Sized,
    {
        match self.get_raw(table, key.as_ref())? {
            Some(bytes) => Ok(Some(bincode::deserialize(&bytes)?)),
            None => Ok(None),
        }
    }

    fn contains(&self, table: Table, key: impl AsRef<[u8]>) -> Result<bool>
    where
        Self: Sized,
    {
        Ok(self.get_raw(table, key.as_ref())?.is_some())
    }

    /// Every record of a table, in key order.
    fn values<V: DeserializeOwned>(&self, table: Table) -> impl Iterator<Item = Result<V>> + '_
    where
        Self: Sized,
    {
        self.scan_raw(table, b"").map(|r| {
            let (_, bytes) = r?;
            Ok(bincode::deserialize(&bytes)?)
        })
    }
}

impl Read for Store {
    fn get_raw(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.backend.get(table, key)
    }

    fn scan_raw(&self, table: Table, prefix: &[u8]) -> Rows<'_> {
        self.backend.scan(table, prefix, false)
    }

    fn now(&self) -> Millis {
        self.clock.now()
    }
}

/// The writes of one change, not yet committed. Reads through it see them.
pub struct Tx<'s> {
    pub(super) store: &'s Store,
    pub(super) ops: Vec<Op>,
    /// Where in `ops` each row's latest write is: a change of many rows (a batch of usage
    /// counts, an import) reads its own writes without a scan of all of them.
    latest: HashMap<Table, HashMap<Vec<u8>, usize>>,
    pub(super) events: Vec<AuditEvent>,
    now: Millis,
}

impl<'s> Tx<'s> {
    pub(super) fn new(store: &'s Store) -> Tx<'s> {
        Tx {
            store,
            ops: Vec::new(),
            latest: HashMap::new(),
            events: Vec::new(),
            now: store.clock.now(),
        }
    }

    pub fn store(&self) -> &'s Store {
        self.store
    }

    pub fn put<V: Serialize>(
        &mut self,
        table: Table,
        key: impl AsRef<[u8]>,
        value: &V,
    ) -> Result<()> {
        let bytes = bincode::serialize(value)?;
        self.put_raw(table, key, bytes);
        Ok(())
    }

    pub fn put_raw(&mut self, table: Table, key: impl AsRef<[u8]>, value: impl Into<Vec<u8>>) {
        self.push(table, key.as_ref(), Some(value.into()));
    }

    pub fn del(&mut self, table: Table, key: impl AsRef<[u8]>) {
        self.push(table, key.as_ref(), None);
    }

    fn push(&mut self, table: Table, key: &[u8], value: Option<Vec<u8>>) {
        let at = self.ops.len();
        self.latest
            .entry(table)
            .or_default()
            .insert(key.to_vec(), at);
        self.ops.push(Op {
            table,
            key: key.to_vec(),
            value,
        });
    }

    /// Records an audit event with this change: written in the same transaction, and
    /// announced to the webhooks that subscribe to it.
    pub fn audit(&mut self, event: AuditEvent) -> Result<()> {
        self.put(Table::Audit, event.id.as_bytes(), &event)?;
        self.events.push(event);
        Ok(())
    }

    /// A new audit event stamped with this change's time and actor.
    pub fn event(&self, entity: &str, operation: &str) -> AuditEvent {
        let (channel, user_id) = self.store.actor();
        let mut event = AuditEvent::new(self.now, &channel, entity, operation);
        event.actor_user_id = user_id;
        event
    }

    /// How many rows this change puts under keys starting with `prefix`.
    pub fn count_puts(&self, table: Table, prefix: &[u8]) -> usize {
        self.ops
            .iter()
            .filter(|op| op.table == table && op.value.is_some() && op.key.starts_with(prefix))
            .count()
    }

    /// Commits what is pending so far and goes on with an empty change, still holding
    /// the write lock (long passes commit in batches).
    pub fn commit_so_far(&mut self) -> Result<()> {
        super::outbox::fan_out(self)?;
        let ops = std::mem::take(&mut self.ops);
        self.latest.clear();
        self.store.commit(ops)
    }

    fn pending(&self, table: Table, key: &[u8]) -> Option<&Option<Vec<u8>>> {
        let at = *self.latest.get(&table)?.get(key)?;
        Some(&self.ops[at].value)
    }
}

impl Read for Tx<'_> {
    fn get_raw(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>> {
        match self.pending(table, key) {
            Some(v) => Ok(v.clone()),
            None => self.store.backend.get(table, key),
        }
    }

    fn scan_raw(&self, table: Table, prefix: &[u8]) -> Rows<'_> {
        let touched = self
            .ops
            .iter()
            .any(|op| op.table == table && op.key.starts_with(prefix));
        if !touched {
            return self.store.backend.scan(table, prefix, false);
        }
        // Committed rows with this change's writes laid over them.
        let mut rows: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for r in self.store.backend.scan(table, prefix, false) {
            match r {
                Ok((k, v)) => {
                    rows.insert(k, v);
                }
                Err(e) => return Box::new(std::iter::once(Err(e))),
            }
        }
        for op in self
            .ops
            .iter()
            .filter(|op| op.table == table && op.key.starts_with(prefix))
        {
            match &op.value {
                Some(v) => rows.insert(op.key.clone(), v.clone()),
                None => rows.remove(&op.key),
            };
        }
        Box::new(rows.into_iter().map(Ok))
    }

    fn now(&self) -> Millis {
        self.now
    }
}
