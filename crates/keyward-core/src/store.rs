//! The sled store: one place that opens the database (with an explicit cache capacity),
//! checks the schema version, finds the master key, and commits changes. Every change is
//! a `Changes` set applied in one multi-tree transaction and flushed before the call
//! returns, so an acknowledged change survives a crash and never half-applies.

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::audit::AuditEvent;
use crate::clock::{Clock, Millis, SystemClock, MINUTE};
use crate::error::{Error, Result};
use crate::index::Index;
use crate::recovery;
use crate::seal::{self, FileMasterKey, MasterKey, MasterKeySource};
use sled::Transactional;

/// The schema this build reads and writes.
pub const SCHEMA_VERSION: u32 = 2;
const MASTER_CHECK_AAD: &str = "keyward:master-check";
const MASTER_CHECK_TEXT: &[u8] = b"keyward master key check";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum T {
    Meta,
    Users,
    Emails,
    Locations,
    Keys,
    Hashes,
    Tokens,
    LastUsed,
    Audit,
    Webhooks,
    Outbox,
    Deliveries,
}

const TREES: [T; 12] = [
    T::Meta,
    T::Users,
    T::Emails,
    T::Locations,
    T::Keys,
    T::Hashes,
    T::Tokens,
    T::LastUsed,
    T::Audit,
    T::Webhooks,
    T::Outbox,
    T::Deliveries,
];

impl T {
    fn name(self) -> &'static str {
        match self {
            T::Meta => "meta",
            T::Users => "users",
            T::Emails => "user_emails",
            T::Locations => "locations",
            T::Keys => "api_keys",
            T::Hashes => "secret_hashes",
            T::Tokens => "tokens",
            T::LastUsed => "last_used",
            T::Audit => "audit",
            T::Webhooks => "webhooks",
            T::Outbox => "webhook_outbox",
            T::Deliveries => "webhook_deliveries",
        }
    }
}

#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// sled's page cache, in bytes. Caps the memory the store may hold.
    pub cache_capacity: u64,
    /// Flush to disk before acknowledging each change. Only bulk loaders (benchmarks,
    /// imports) turn this off and flush once at the end.
    pub durable: bool,
    /// Who is acting, recorded in audit events ("cli", "desktop", "http").
    pub actor: String,
    /// Start a new, empty database even though the data directory holds a master key
    /// file but no database (normally refused: the database was probably lost or moved).
    pub new_store: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            cache_capacity: 64 * 1024 * 1024,
            durable: true,
            actor: "cli".to_owned(),
            new_store: false,
        }
    }
}

/// A set of writes across trees, committed atomically by `Store::commit`.
#[derive(Default)]
pub(crate) struct Changes {
    ops: Vec<(T, Vec<u8>, Option<Vec<u8>>)>,
    /// The audit events among the ops, which the commit fans out to webhook subscriptions.
    events: Vec<AuditEvent>,
}

impl Changes {
    pub fn put<V: Serialize>(&mut self, t: T, key: impl AsRef<[u8]>, value: &V) -> Result<()> {
        let bytes = bincode::serialize(value)?;
        self.ops.push((t, key.as_ref().to_vec(), Some(bytes)));
        Ok(())
    }

    pub fn put_raw(&mut self, t: T, key: impl AsRef<[u8]>, value: impl Into<Vec<u8>>) {
        self.ops
            .push((t, key.as_ref().to_vec(), Some(value.into())));
    }

    pub fn del(&mut self, t: T, key: impl AsRef<[u8]>) {
        self.ops.push((t, key.as_ref().to_vec(), None));
    }

    pub fn audit(&mut self, event: &AuditEvent) -> Result<()> {
        self.events.push(event.clone());
        self.put(T::Audit, event.id.as_bytes(), event)
    }

    /// How many values this change set writes under keys starting with `prefix`.
    pub fn count_puts(&self, t: T, prefix: &str) -> usize {
        self.ops
            .iter()
            .filter(|(tt, k, v)| *tt == t && v.is_some() && k.starts_with(prefix.as_bytes()))
            .count()
    }

    /// The value this change set writes for `key`, if it writes one.
    pub fn pending_value<V: DeserializeOwned>(&self, t: T, key: &str) -> Result<Option<V>> {
        for (tt, k, v) in self.ops.iter().rev() {
            if *tt == t && k.as_slice() == key.as_bytes() {
                return match v {
                    Some(v) => Ok(Some(bincode::deserialize(v)?)),
                    None => Ok(None),
                };
            }
        }
        Ok(None)
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

#[derive(Default)]
struct Usage {
    /// id → (last used, last persisted), for keys and tokens.
    seen: HashMap<String, (Millis, Millis)>,
    /// Failed verifications by code since the last audit event that counted them.
    failed: std::collections::BTreeMap<&'static str, u64>,
    failed_since: Option<Millis>,
}

pub struct Store {
    dir: PathBuf,
    db: sled::Db,
    trees: Vec<sled::Tree>,
    clock: Arc<dyn Clock>,
    master: std::result::Result<MasterKey, String>,
    write_lock: Mutex<()>,
    usage: Mutex<Usage>,
    /// Built on first use (a one-shot CLI command that never verifies never pays for it).
    index: std::sync::RwLock<Option<Index>>,
    opts: StoreOptions,
    /// Told when a commit has queued webhook messages, so a delivery worker wakes at once.
    outbox_listener: std::sync::RwLock<Option<Box<dyn Fn() + Send + Sync>>>,
    /// Per-key budgets of the HTTP token exchange.
    pub(crate) exchanges: crate::tokens::ExchangeBudget,
    /// Set when the disk was full at open: the store reads this copy and refuses changes.
    /// Declared after `db`, so the copy is removed after sled has closed it.
    read_only: Option<recovery::ReadOnlyCopy>,
    /// This process's hold on the data directory (see `lock_data_dir`), released last.
    _lock: std::fs::File,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// The data directory's layout: the sled database in `db/`, the master key file beside it.
pub fn db_path(dir: &Path) -> PathBuf {
    dir.join("db")
}

pub fn master_key_path(dir: &Path) -> PathBuf {
    dir.join("master.key")
}

impl Store {
    /// Opens the data directory with the real clock and the master key file.
    pub fn open_default(dir: &Path, opts: StoreOptions) -> Result<Store> {
        let source = FileMasterKey::new(master_key_path(dir));
        Store::open(dir, Arc::new(SystemClock), &source, opts)
    }

    pub fn open(
        dir: &Path,
        clock: Arc<dyn Clock>,
        master_source: &dyn MasterKeySource,
        opts: StoreOptions,
    ) -> Result<Store> {
        Store::open_with_sources(dir, clock, &[master_source], opts)
    }

    /// Opens with several places the master key may be kept, in order of preference: a
    /// new database takes the first that works; an existing one uses the one it recorded.
    pub fn open_with_sources(
        dir: &Path,
        clock: Arc<dyn Clock>,
        master_sources: &[&dyn MasterKeySource],
        opts: StoreOptions,
    ) -> Result<Store> {
        let db_dir = db_path(dir);
        if !db_dir.exists() && master_key_path(dir).exists() && !opts.new_store {
            return Err(Error::DatabaseMissing {
                dir: dir.display().to_string(),
            });
        }
        create_private_dir(dir)?;
        let lock = lock_data_dir(dir)?;
        let opened = recovery::open_repairing(dir, &db_dir, clock.now(), |path| {
            open_sled(path, &opts, dir)
        })?;
        let db = opened.db;
        let trees = TREES
            .iter()
            .map(|t| db.open_tree(t.name()))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let mut store = Store {
            dir: dir.to_path_buf(),
            db,
            trees,
            clock,
            master: Err(String::new()),
            write_lock: Mutex::new(()),
            usage: Mutex::new(Usage::default()),
            index: std::sync::RwLock::new(None),
            opts,
            outbox_listener: std::sync::RwLock::new(None),
            exchanges: Default::default(),
            read_only: opened.read_only,
            _lock: lock,
        };
        store.check_schema()?;
        store.master = store.find_master_key(master_sources)?;
        store.record_recovery(&opened.repaired);
        Ok(store)
    }

    /// Notes in the audit log what open repaired. Best effort: a store that opened is
    /// worth more than the note.
    fn record_recovery(&self, done: &[String]) {
        if done.is_empty() || self.read_only.is_some() {
            return;
        }
        let evt = self.audit_event(
            "store",
            "recovered",
            "",
            "",
            None,
            format!(
                "Keyward repaired its database on opening: {}",
                done.join("; ")
            ),
        );
        let mut ch = Changes::default();
        if ch.audit(&evt).is_ok() {
            if let Err(e) = self.commit(ch) {
                log::warn!("the repair could not be noted in the audit log: {e}");
            }
        }
    }

    fn check_schema(&self) -> Result<()> {
        match self.tree(T::Meta).get("schema_version")? {
            Some(v) => {
                let found = u32::from_be_bytes(v.as_ref().try_into().map_err(|_| {
                    Error::Corrupt("the schema version record is unreadable".into())
                })?);
                if found > SCHEMA_VERSION {
                    return Err(Error::SchemaTooNew {
                        dir: self.dir.display().to_string(),
                        found,
                        supported: SCHEMA_VERSION,
                    });
                }
                crate::migrate::run(self, found, SCHEMA_VERSION)?;
                self.db.flush()?;
                Ok(())
            }
            None => {
                let mut ch = Changes::default();
                ch.put_raw(
                    T::Meta,
                    "schema_version",
                    SCHEMA_VERSION.to_be_bytes().to_vec(),
                );
                self.commit_durable(ch)
            }
        }
    }

    /// Finds the master key the database was sealed with. A database that never sealed
    /// anything gets a new one; an existing one never does (its keys would be lost).
    fn find_master_key(
        &self,
        sources: &[&dyn MasterKeySource],
    ) -> Result<std::result::Result<MasterKey, String>> {
        let meta = self.tree(T::Meta);
        let recorded = meta
            .get("master_source")?
            .map(|v| String::from_utf8_lossy(&v).into_owned());
        let Some(recorded) = recorded else {
            return self.create_master_key(sources).map(Ok);
        };
        let Some(source) = sources.iter().find(|s| s.kind() == recorded) else {
            return Ok(Err(format!(
                "the API keys in this database are sealed with a master key kept in the {recorded}, \
                 which this Keyward cannot reach — copying and revealing keys is unavailable \
                 (verification keeps working)"
            )));
        };
        let key = match source.load() {
            Ok(Some(k)) => k,
            Ok(None) => {
                return Ok(Err(format!(
                    "the master key ({}) is missing, so sealed API keys cannot be copied or \
                     revealed; restore it from a backup (verification keeps working)",
                    source.describe()
                )))
            }
            Err(e) => return Ok(Err(e.to_string())),
        };
        let check = meta.get("master_check")?.unwrap_or_default();
        if seal::open(&key, MASTER_CHECK_AAD, &check).is_none() {
            return Ok(Err(format!(
                "the master key in {} does not belong to this database, so sealed API keys \
                 cannot be copied or revealed; restore the right key file (verification keeps \
                 working)",
                source.describe()
            )));
        }
        Ok(Ok(key))
    }

    /// A fresh database: the first source that has or can keep a key wins.
    fn create_master_key(&self, sources: &[&dyn MasterKeySource]) -> Result<MasterKey> {
        let mut problems = Vec::new();
        for source in sources {
            let key = match source.load() {
                Ok(Some(k)) => Ok(k),
                Ok(None) => {
                    let k = MasterKey::generate();
                    source.store(&k).map(|()| k)
                }
                Err(e) => Err(e),
            };
            match key {
                Ok(key) => {
                    let mut ch = Changes::default();
                    ch.put_raw(T::Meta, "master_source", source.kind().as_bytes().to_vec());
                    ch.put_raw(
                        T::Meta,
                        "master_check",
                        seal::seal(&key, MASTER_CHECK_AAD, MASTER_CHECK_TEXT),
                    );
                    self.commit_durable(ch)?;
                    return Ok(key);
                }
                Err(e) => problems.push(format!("{}: {e}", source.describe())),
            }
        }
        Err(Error::MasterKeyUnavailable(format!(
            "no place to keep the master key ({})",
            problems.join("; ")
        )))
    }

    /// Where the master key is kept ("keychain", "file"), as the database records it.
    pub fn master_key_source(&self) -> Result<Option<String>> {
        Ok(self
            .tree(T::Meta)
            .get("master_source")?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn now(&self) -> Millis {
        self.clock.now()
    }

    pub(crate) fn actor(&self) -> &str {
        &self.opts.actor
    }

    pub(crate) fn master_key(&self) -> Result<&MasterKey> {
        self.master
            .as_ref()
            .map_err(|why| Error::MasterKeyUnavailable(why.clone()))
    }

    /// `None` when sealed keys can be copied; otherwise why not.
    pub fn master_key_problem(&self) -> Option<String> {
        self.master.as_ref().err().cloned()
    }

    pub(crate) fn tree(&self, t: T) -> &sled::Tree {
        &self.trees[TREES.iter().position(|x| *x == t).unwrap_or(0)]
    }

    /// Serializes writers inside this process; sled's file lock keeps other processes out.
    pub(crate) fn write_guard(&self) -> MutexGuard<'_, ()> {
        self.write_lock.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn get<V: DeserializeOwned>(
        &self,
        t: T,
        key: impl AsRef<[u8]>,
    ) -> Result<Option<V>> {
        match self.tree(t).get(key)? {
            Some(bytes) => Ok(Some(bincode::deserialize(&bytes)?)),
            None => Ok(None),
        }
    }

    pub(crate) fn values<V: DeserializeOwned>(&self, t: T) -> impl Iterator<Item = Result<V>> + '_ {
        self.tree(t).iter().values().map(|r| {
            let bytes = r?;
            Ok(bincode::deserialize(&bytes)?)
        })
    }

    /// Applies all writes in one transaction, then makes them durable.
    pub(crate) fn commit(&self, mut changes: Changes) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        if self.read_only.is_some() {
            return Err(Error::DiskFull(format!(
                "the disk holding {} is full, so changes cannot be saved — free some space, \
                 then try again (reading and verification keep working)",
                self.dir.display()
            )));
        }
        let events = std::mem::take(&mut changes.events);
        let queued = self.fan_out(&mut changes, &events)?;
        let mut used: Vec<T> = changes.ops.iter().map(|(t, _, _)| *t).collect();
        used.sort();
        used.dedup();
        let trees: Vec<&sled::Tree> = used.iter().map(|t| self.tree(*t)).collect();
        let index = |t: T| used.iter().position(|x| *x == t).unwrap_or(0);
        trees.as_slice().transaction(|view| {
            for (t, k, v) in &changes.ops {
                let tt = &view[index(*t)];
                match v {
                    Some(v) => {
                        tt.insert(k.as_slice(), v.as_slice())?;
                    }
                    None => {
                        tt.remove(k.as_slice())?;
                    }
                }
            }
            Ok::<_, sled::transaction::ConflictableTransactionError<Error>>(())
        })?;
        {
            let mut ix = self.index.write().unwrap_or_else(|p| p.into_inner());
            if let Some(ix) = ix.as_mut() {
                for (t, k, v) in &changes.ops {
                    ix.apply(*t, k, v.as_deref())?;
                }
            }
        }
        if self.opts.durable {
            self.db.flush()?;
        }
        if queued {
            self.notify_outbox();
        }
        Ok(())
    }

    /// Calls `f` whenever a commit has queued webhook messages.
    pub fn on_outbox(&self, f: impl Fn() + Send + Sync + 'static) {
        *self
            .outbox_listener
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(Box::new(f));
    }

    fn notify_outbox(&self) {
        if let Some(f) = self
            .outbox_listener
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            f();
        }
    }

    fn commit_durable(&self, changes: Changes) -> Result<()> {
        self.commit(changes)?;
        self.db.flush()?;
        Ok(())
    }

    pub(crate) fn audit_event(
        &self,
        entity: &str,
        operation: &str,
        object_id: &str,
        object_name: &str,
        user_id: Option<&str>,
        summary: String,
    ) -> AuditEvent {
        AuditEvent::new(
            self.now(),
            self.actor(),
            entity,
            operation,
            object_id,
            object_name,
            user_id,
            summary,
        )
    }

    // ---- usage: kept in memory, persisted at most once per object per minute ----

    pub(crate) fn record_use(&self, ids: &[&str]) {
        let now = self.now();
        let mut to_persist = Vec::new();
        {
            let mut usage = self.usage.lock().unwrap_or_else(|p| p.into_inner());
            for id in ids {
                if !usage.seen.contains_key(*id) {
                    usage.seen.insert((*id).to_owned(), (now, i64::MIN));
                }
                let Some(entry) = usage.seen.get_mut(*id) else {
                    continue;
                };
                entry.0 = entry.0.max(now);
                if now.saturating_sub(entry.1) >= MINUTE {
                    entry.1 = now;
                    to_persist.push(((*id).to_owned(), entry.0));
                }
            }
        }
        for (id, at) in to_persist {
            // Best effort: a lost write costs at most a minute of "last used" precision.
            let _ = self
                .tree(T::LastUsed)
                .insert(id.as_bytes(), &at.to_be_bytes());
        }
    }

    /// Drops the in-memory "last used" of deleted keys and tokens.
    pub(crate) fn forget_use(&self, ids: &[&str]) {
        let mut usage = self.usage.lock().unwrap_or_else(|p| p.into_inner());
        for id in ids {
            usage.seen.remove(*id);
        }
    }

    /// Counts a failed verification, in memory only: a verification never waits for the
    /// disk, so a server can answer it on the thread that received it. The counts become
    /// one audit event through [`Store::write_due_failure_summary`] (servers call it every
    /// few seconds, off the request path) or [`Store::flush`] (on close).
    pub(crate) fn record_failed_verification(&self, code: &'static str) {
        let now = self.now();
        let mut usage = self.usage.lock().unwrap_or_else(|p| p.into_inner());
        *usage.failed.entry(code).or_insert(0) += 1;
        usage.failed_since.get_or_insert(now);
    }

    /// Writes the summary of failed verifications once they have been counted for a
    /// minute; returns whether it wrote one. Durable (it fsyncs): call it off any thread
    /// that answers requests.
    pub fn write_due_failure_summary(&self) -> Result<bool> {
        let due = {
            let usage = self.usage.lock().unwrap_or_else(|p| p.into_inner());
            usage
                .failed_since
                .is_some_and(|since| self.now() - since >= MINUTE)
        };
        if due && self.read_only.is_none() {
            self.flush_failed_verifications()?;
            return Ok(true);
        }
        Ok(false)
    }

    fn flush_failed_verifications(&self) -> Result<()> {
        let (counts, since) = {
            let mut usage = self.usage.lock().unwrap_or_else(|p| p.into_inner());
            let counts = std::mem::take(&mut usage.failed);
            (counts, usage.failed_since.take())
        };
        if counts.is_empty() {
            return Ok(());
        }
        let total: u64 = counts.values().sum();
        let detail = counts
            .iter()
            .map(|(c, n)| format!("{c} ×{n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let since = since.map(crate::clock::to_rfc3339).unwrap_or_default();
        let evt = self.audit_event(
            "verification",
            "failed",
            "",
            "",
            None,
            format!("{total} failed verification(s) since {since}: {detail}"),
        );
        let _g = self.write_guard();
        let mut ch = Changes::default();
        ch.audit(&evt)?;
        self.commit(ch)
    }

    /// Runs `f` on the in-memory index, building it first if needed.
    pub(crate) fn with_index<R>(&self, f: impl FnOnce(&Index) -> R) -> Result<R> {
        {
            let ix = self.index.read().unwrap_or_else(|p| p.into_inner());
            if let Some(ix) = ix.as_ref() {
                return Ok(f(ix));
            }
        }
        let mut ix = self.index.write().unwrap_or_else(|p| p.into_inner());
        if ix.is_none() {
            *ix = Some(Index::load(self)?);
        }
        Ok(f(ix.as_ref().expect("index just built")))
    }

    /// Builds the in-memory index now rather than on the first verification, so a server
    /// answers its first request as fast as the rest. Returns how many keys it holds.
    pub fn warm_index(&self) -> Result<usize> {
        self.with_index(|ix| ix.keys.len())
    }

    /// The newest of a persisted and an in-memory "last used" time.
    pub(crate) fn last_used_in(&self, ix: &Index, id: &str) -> Option<Millis> {
        let mem = self
            .usage
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .seen
            .get(id)
            .map(|e| e.0);
        ix.last_used.get(id).copied().max(mem)
    }

    /// When a key or token was last used, from memory or disk, whichever is newer.
    pub fn last_used(&self, id: &str) -> Result<Option<Millis>> {
        let disk = self
            .tree(T::LastUsed)
            .get(id.as_bytes())?
            .and_then(|v| v.as_ref().try_into().ok().map(i64::from_be_bytes));
        let mem = self
            .usage
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .seen
            .get(id)
            .map(|e| e.0);
        Ok(disk.max(mem))
    }

    /// Raises persisted "last used" times to the newer ones kept in memory.
    pub(crate) fn overlay_usage(&self, out: &mut HashMap<String, Millis>) {
        let usage = self.usage.lock().unwrap_or_else(|p| p.into_inner());
        for (id, (at, _)) in &usage.seen {
            let e = out.entry(id.clone()).or_insert(*at);
            *e = (*e).max(*at);
        }
    }

    /// Writes pending "last used" times and failure counts, then flushes everything.
    pub fn flush(&self) -> Result<()> {
        let pending: Vec<(String, Millis)> = {
            let mut usage = self.usage.lock().unwrap_or_else(|p| p.into_inner());
            usage
                .seen
                .iter_mut()
                .filter(|(_, e)| e.0 > e.1)
                .map(|(id, e)| {
                    e.1 = e.0;
                    (id.clone(), e.0)
                })
                .collect()
        };
        for (id, at) in pending {
            self.tree(T::LastUsed)
                .insert(id.as_bytes(), &at.to_be_bytes())?;
        }
        if self.read_only.is_some() {
            // Nothing reaches the disk: the copy is thrown away on exit.
            return Ok(());
        }
        self.flush_failed_verifications()?;
        self.db.flush()?;
        Ok(())
    }

    /// Size of everything stored, for diagnostics.
    pub fn size_on_disk(&self) -> Result<u64> {
        Ok(self.db.size_on_disk()?)
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// Takes the data directory for this process: an exclusive lock on `keyward.lock` in it,
/// held as long as the store is open and dropped by the kernel if the process dies. Open
/// repairs files (see `recovery`) only while holding it, so it never touches the files of
/// a live process — sled's own lock is taken later, inside `sled::open`.
fn lock_data_dir(dir: &Path) -> Result<std::fs::File> {
    let path = dir.join("keyward.lock");
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts.open(&path).map_err(|e| {
        Error::Storage(format!("cannot open the lock file {}: {e}", path.display()))
    })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::Locked {
            dir: dir.display().to_string(),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::Storage(format!(
            "cannot lock {}: {e}",
            path.display()
        ))),
    }
}

/// Opens sled in `path`, naming the two failures open can recover from.
fn open_sled(path: &Path, opts: &StoreOptions, data_dir: &Path) -> Result<sled::Db> {
    sled::Config::new()
        .path(path)
        .cache_capacity(opts.cache_capacity)
        .flush_every_ms(Some(500))
        .open()
        .map_err(|e| match e {
            sled::Error::Io(ref io) if io.to_string().contains("could not acquire lock") => {
                Error::Locked {
                    dir: data_dir.display().to_string(),
                }
            }
            other => other.into(),
        })
}

/// Creates `dir` (and what is missing above it) for the user only (0700), or narrows it
/// to 0700 if it was there with wider modes.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir)?.permissions().mode() & 0o777;
            if mode != 0o700 {
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(
                    |e| Error::Storage(format!("cannot make {} private: {e}", dir.display())),
                )?;
            }
        }
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir).map_err(|e| {
        Error::Storage(format!(
            "cannot create the directory {}: {e}",
            dir.display()
        ))
    })
}
