//! The store: opens a backend (sled today) with its schema and master key, and is the one
//! way to change data. Every change is `Store::write(|tx| …)`: the closure reads through
//! `tx` (seeing its own pending writes), records its writes and audit events, and the
//! store commits them in one transaction together with the webhook messages the events
//! call for (`outbox`), makes them durable before returning, then runs the commit hooks
//! (`hooks`: the in-memory index and usage). An acknowledged change survives a crash and
//! never half-applies.

pub(crate) mod answers;
pub mod backend;
pub mod hooks;
pub(crate) mod index;
mod integrity;
mod master;
mod migrate;
mod outbox;
#[cfg(feature = "postgres")]
pub mod postgres;
pub(crate) mod recent_usage;
pub mod recovery;
pub mod sled;
mod tx;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

pub use backend::{Backend, Op, Table};
pub use tx::{Read, Tx};

use self::hooks::{CommitHook, IndexMirror, Usage};
use self::index::Index;
use crate::clock::{Clock, Millis, SystemClock};
use crate::error::{Error, Result};
use crate::model::access::Actor;
use crate::model::limits::ExchangeBudget;
use crate::seal::{FileMasterKey, MasterKey, MasterKeySource};

/// The schema this build reads and writes.
pub const SCHEMA_VERSION: u32 = 4;

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
    /// On a shared database: how long verification goes on from memory once the database
    /// is out of reach, before it too answers DATABASE_UNAVAILABLE.
    pub max_staleness: Millis,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            cache_capacity: 64 * 1024 * 1024,
            durable: true,
            actor: "cli".to_owned(),
            new_store: false,
            max_staleness: 60 * crate::clock::SECOND,
        }
    }
}

thread_local! {
    static ACTING: std::cell::RefCell<Option<Actor>> = const { std::cell::RefCell::new(None) };
}

/// Where the meta table records the store's owner (a user id).
pub(crate) const OWNER_KEY: &[u8] = b"owner";

pub struct Store {
    dir: PathBuf,
    backend: Box<dyn Backend>,
    clock: Arc<dyn Clock>,
    master: std::result::Result<MasterKey, String>,
    write_lock: Mutex<()>,
    index: Arc<IndexMirror>,
    usage: Arc<Usage>,
    /// The last 30 days' valid verifications of every key, for the keys list.
    pub(crate) recent_usage: Arc<self::recent_usage::RecentUsage>,
    hooks: Vec<Arc<dyn CommitHook>>,
    opts: StoreOptions,
    /// Told when a commit has queued webhook messages or emails, so a delivery worker
    /// wakes at once.
    outbox_listener: std::sync::RwLock<Option<Box<dyn Fn() + Send + Sync>>>,
    /// Per-key budgets of the HTTP token exchange.
    pub(crate) exchanges: ExchangeBudget,
    pub(crate) verify_limits: crate::model::limits::VerifyLimits,
    /// What sends a test email, when this process can (see [`Store::set_mailer`]).
    pub(crate) mailer: std::sync::OnceLock<Arc<dyn crate::view::mail::Mailer>>,
    /// Verifications counted per key and day, not yet written.
    pub(crate) usage_pending: Mutex<crate::service::usage::Pending>,
    pub(crate) usage_saved_at: AtomicI64,
    /// Whether a [`Follower`] keeps the index in step with a shared database.
    following: AtomicBool,
    /// When the follower last heard from the database (clock millis).
    synced_at: AtomicI64,
    /// Whether the database answered the follower last time it asked.
    reachable: AtomicBool,
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

thread_local! {
    /// Set while this thread holds the write lock: a nested write would wait for itself.
    static IN_WRITE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The write lock held (and the shared database's write lease, if it has one), and this
/// thread marked as writing until dropped.
struct WriteGuard<'a> {
    _lease: Option<Box<dyn backend::Lease + 'a>>,
    _lock: MutexGuard<'a, ()>,
}

impl Drop for WriteGuard<'_> {
    fn drop(&mut self) {
        IN_WRITE.with(|w| w.set(false));
    }
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
        if !db_path(dir).exists() && master_key_path(dir).exists() && !opts.new_store {
            return Err(Error::DatabaseMissing {
                dir: dir.display().to_string(),
            });
        }
        create_private_dir(dir)?;
        let opened = self::sled::SledBackend::open(dir, opts.cache_capacity, clock.now())?;
        Store::assemble(
            dir,
            Box::new(opened.backend),
            &opened.repaired,
            clock,
            master_sources,
            opts,
        )
    }

    /// Opens the store in a PostgreSQL database (`postgres://…`), shared by any number of
    /// processes. `migrate` first brings the database to this build's schema; without it
    /// a database that needs one is refused. `dir` is where this process keeps its own
    /// files (the master key file by default).
    #[cfg(feature = "postgres")]
    pub fn open_postgres(
        url: &str,
        migrate: bool,
        dir: &Path,
        clock: Arc<dyn Clock>,
        master_sources: &[&dyn MasterKeySource],
        opts: StoreOptions,
    ) -> Result<Store> {
        let backend = self::postgres::PgBackend::connect(url, migrate)?;
        Store::assemble(dir, Box::new(backend), &[], clock, master_sources, opts)
    }

    /// A store over an opened backend: its schema checked (and its data migrated), its
    /// master key found, and what open repaired noted.
    fn assemble(
        dir: &Path,
        backend: Box<dyn Backend>,
        repaired: &[String],
        clock: Arc<dyn Clock>,
        master_sources: &[&dyn MasterKeySource],
        opts: StoreOptions,
    ) -> Result<Store> {
        let index = Arc::new(IndexMirror::default());
        let usage = Arc::new(Usage::default());
        let recent_usage = Arc::new(self::recent_usage::RecentUsage::default());
        let mut store = Store {
            dir: dir.to_path_buf(),
            backend,
            clock,
            master: Err(String::new()),
            write_lock: Mutex::new(()),
            hooks: vec![index.clone(), usage.clone(), recent_usage.clone()],
            index,
            usage,
            recent_usage,
            opts,
            outbox_listener: std::sync::RwLock::new(None),
            exchanges: Default::default(),
            verify_limits: Default::default(),
            mailer: Default::default(),
            usage_pending: Default::default(),
            usage_saved_at: AtomicI64::new(0),
            following: AtomicBool::new(false),
            synced_at: AtomicI64::new(i64::MIN),
            reachable: AtomicBool::new(true),
        };
        store.check_schema()?;
        store.master = master::find(&store, master_sources)?;
        store.record_recovery(repaired);
        Ok(store)
    }

    /// Notes in the audit log what open repaired. Best effort: a store that opened is
    /// worth more than the note.
    fn record_recovery(&self, done: &[String]) {
        if done.is_empty() || self.backend.refuses_writes().is_some() {
            return;
        }
        let noted = self.write(|tx| {
            let summary = format!(
                "Keyward repaired its database on opening: {}",
                done.join("; ")
            );
            tx.audit(tx.event("store", "recovered").says(summary))
        });
        if let Err(e) = noted {
            log::warn!("the repair could not be noted in the audit log: {e}");
        }
    }

    fn check_schema(&self) -> Result<()> {
        match self.backend.get(Table::Meta, b"schema_version")? {
            Some(v) => {
                let found = u32::from_be_bytes(v.as_slice().try_into().map_err(|_| {
                    Error::Corrupt("the schema version record is unreadable".into())
                })?);
                if found > SCHEMA_VERSION {
                    return Err(Error::SchemaTooNew {
                        dir: self.dir.display().to_string(),
                        found,
                        supported: SCHEMA_VERSION,
                    });
                }
                migrate::run(self, found, SCHEMA_VERSION)?;
                self.backend.flush()
            }
            None => self.commit_durable(vec![Op {
                table: Table::Meta,
                key: b"schema_version".to_vec(),
                value: Some(SCHEMA_VERSION.to_be_bytes().to_vec()),
            }]),
        }
    }

    /// Where the master key is kept ("keychain", "file"), as the database records it.
    pub fn master_key_source(&self) -> Result<Option<String>> {
        Ok(self
            .backend
            .get(Table::Meta, b"master_source")?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn now(&self) -> Millis {
        self.clock.now()
    }

    /// Runs `f` with the changes it makes audited as `actor`'s (on this thread only: a
    /// server's requests each run as their own site manager).
    pub fn acting_as<T>(&self, actor: &Actor, f: impl FnOnce() -> T) -> T {
        struct Restore(Option<Actor>);
        impl Drop for Restore {
            fn drop(&mut self) {
                ACTING.with(|a| *a.borrow_mut() = self.0.take());
            }
        }
        let _restore = Restore(ACTING.with(|a| a.replace(Some(actor.clone()))));
        f()
    }

    /// The channel and site manager changes are audited as: the one `acting_as` set, or
    /// this store's own (`StoreOptions::actor`, and the owner the store records).
    pub(crate) fn actor(&self) -> (String, Option<String>) {
        ACTING
            .with(|a| {
                a.borrow()
                    .as_ref()
                    .map(|a| (a.channel.clone(), a.user_id.clone()))
            })
            .unwrap_or_else(|| (self.opts.actor.clone(), self.owner_id()))
    }

    /// The site manager who owns this store on this computer, once they have said who
    /// they are.
    pub fn owner_id(&self) -> Option<String> {
        self.backend
            .get(Table::Meta, OWNER_KEY)
            .ok()
            .flatten()
            .filter(|v| !v.is_empty())
            .map(|v| String::from_utf8_lossy(&v).into_owned())
    }

    /// Whether the owner was asked who they are (and answered, or declined).
    pub fn owner_asked(&self) -> bool {
        matches!(self.backend.get(Table::Meta, OWNER_KEY), Ok(Some(_)))
    }

    /// The local owner as an actor: who acts through this computer's CLI or desktop app.
    pub fn local_actor(&self) -> Actor {
        Actor::owner(&self.opts.actor, self.owner_id())
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

    /// Rows of a table from the newest key back (the audit log reads newest first).
    pub(crate) fn scan_rev(&self, table: Table, prefix: &[u8]) -> backend::Rows<'_> {
        self.backend.scan(table, prefix, true)
    }

    pub(crate) fn is_empty(&self, table: Table) -> Result<bool> {
        self.backend.is_empty(table)
    }

    /// Runs one change: `f` reads and writes through the transaction; its writes, audit
    /// events and the webhook messages they call for are committed together and made
    /// durable before this returns. If `f` fails, nothing is written. Writers are
    /// serialized; a write inside a write is refused (the lock is not reentrant).
    pub fn write<R>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<R>) -> Result<R> {
        let _g = self.lock_writes()?;
        let mut tx = Tx::new(self);
        let out = f(&mut tx)?;
        tx.commit_so_far()?;
        Ok(out)
    }

    fn lock_writes(&self) -> Result<WriteGuard<'_>> {
        if IN_WRITE.with(|w| w.get()) {
            debug_assert!(false, "Store::write called inside a write");
            return Err(Error::Storage(
                "a change was started inside another change (an internal error)".into(),
            ));
        }
        let lock = self.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        let guard = WriteGuard {
            _lease: self.backend.lease_writes()?,
            _lock: lock,
        };
        IN_WRITE.with(|w| w.set(true));
        Ok(guard)
    }

    /// Runs a change as `write` would, then throws it away: for dry runs, which report
    /// exactly what the change would do.
    pub fn rehearse<R>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<R>) -> Result<R> {
        let _g = self.lock_writes()?;
        f(&mut Tx::new(self))
    }

    /// Applies `ops` in one transaction, makes them durable (unless the store was opened
    /// for bulk loading) and runs the commit hooks.
    pub(crate) fn commit(&self, ops: Vec<Op>) -> Result<()> {
        if ops.is_empty() {
            return Ok(());
        }
        if let Some(why) = self.backend.refuses_writes() {
            return Err(Error::DiskFull(why));
        }
        self.backend.apply(&ops)?;
        for hook in &self.hooks {
            hook.committed(&ops)?;
        }
        if self.opts.durable {
            self.backend.flush()?;
        }
        if ops
            .iter()
            .any(|op| matches!(op.table, Table::Outbox | Table::Mail) && op.value.is_some())
        {
            self.notify_outbox();
        }
        Ok(())
    }

    fn commit_durable(&self, ops: Vec<Op>) -> Result<()> {
        self.commit(ops)?;
        self.backend.flush()
    }

    /// Calls `f` whenever a commit has queued webhook messages or emails.
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

    // ---- usage: kept in memory, persisted at most once per object per minute ----

    pub(crate) fn record_use(&self, ids: &[&str]) {
        if self.following.load(Ordering::Relaxed) {
            // On a shared database the follower saves uses in batches: a verification
            // never waits on the network.
            self.usage.note(ids, self.now());
            return;
        }
        let due = self.usage.record(ids, self.now());
        if !due.is_empty() {
            // Best effort: a lost write costs at most a minute of "last used" precision.
            let _ = self.backend.save_uses(&due);
        }
    }

    /// Notes a valid verification of `key_id` (through `token_id`): its use, as
    /// [`Store::record_use`] does, and one more valid verification in today's usage.
    pub(crate) fn record_valid_use(&self, key_id: &str, token_id: Option<&str>, now: Millis) {
        let day = crate::model::usage::day_of(now);
        let following = self.following.load(Ordering::Relaxed);
        let due = self
            .usage
            .record_valid(key_id, token_id, now, day, !following);
        if !due.is_empty() {
            // Best effort: a lost write costs at most a minute of "last used" precision.
            let _ = self.backend.save_uses(&due);
        }
    }

    /// Valid verifications counted in memory and not yet written, as (key id, day,
    /// count), forgotten there.
    pub(crate) fn take_valid_counts(&self) -> Vec<(String, i64, u64)> {
        self.usage.take_valid_counts()
    }

    /// A key's valid verifications not yet written, as (day, count).
    pub(crate) fn unsaved_valid(&self, key_id: &str) -> Vec<(i64, u64)> {
        self.usage.unsaved_valid(key_id)
    }

    /// Counts a failed verification, in memory only: a verification never waits for the
    /// disk, so a server can answer it on the thread that received it. The counts become
    /// one audit event through [`Store::write_due_failure_summary`] (servers call it every
    /// few seconds, off the request path) or [`Store::flush`] (on close).
    pub(crate) fn record_failed_verification(&self, code: &'static str) {
        self.usage.count_failure(code, self.now());
    }

    /// Writes the summary of failed verifications once they have been counted for a
    /// minute; returns whether it wrote one. Durable (it fsyncs): call it off any thread
    /// that answers requests.
    pub fn write_due_failure_summary(&self) -> Result<bool> {
        if self.backend.refuses_writes().is_none() {
            self.save_usage_if_due()?;
        }
        if self.usage.failures_due(self.now()) && self.backend.refuses_writes().is_none() {
            self.write_failure_summary()?;
            return Ok(true);
        }
        Ok(false)
    }

    fn write_failure_summary(&self) -> Result<()> {
        let (counts, since) = self.usage.take_failures();
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
        self.write(|tx| {
            let summary = format!("{total} failed verification(s) since {since}: {detail}");
            tx.audit(tx.event("verification", "failed").says(summary))
        })
    }

    /// On a database other processes share, keeps this process's in-memory index in step
    /// with every change any of them commits (within a second), reloading it whole when
    /// the feed was interrupted. `None` for a database only this process writes.
    pub fn follow(self: &Arc<Store>) -> Option<Follower> {
        let mut watch = self.backend.watch()?;
        let stop = Arc::new(AtomicBool::new(false));
        let store = Arc::downgrade(self);
        let stopping = stop.clone();
        // What the store holds was read from the database just now: fresh until the
        // follower's first look, which may come a moment later on a busy machine.
        self.synced_at.store(self.now(), Ordering::SeqCst);
        self.following.store(true, Ordering::SeqCst);
        let thread = std::thread::Builder::new()
            .name("keyward-follow".into())
            .spawn(move || {
                let mut was_down = false;
                while !stopping.load(Ordering::SeqCst) {
                    let changed = watch.wait(std::time::Duration::from_millis(250));
                    let Some(store) = store.upgrade() else { return };
                    let done = changed.and_then(|c| match c {
                        backend::Changed::Rows(rows) => store.reload_rows(rows),
                        backend::Changed::Everything => store.reload_index(),
                    });
                    match done {
                        Ok(()) => {
                            if was_down {
                                log::info!("the database is back; the index was reloaded");
                            }
                            was_down = false;
                            store.synced_at.store(store.now(), Ordering::SeqCst);
                            store.reachable.store(true, Ordering::SeqCst);
                        }
                        Err(e) => {
                            if !was_down {
                                log::warn!("following the database's changes stopped: {e}");
                            }
                            was_down = true;
                            store.reachable.store(false, Ordering::SeqCst);
                        }
                    }
                }
            })
            .ok()?;
        // Uses are saved on a thread of their own: a large batch never holds up changes.
        let saver_store = Arc::downgrade(self);
        let saver_stop = stop.clone();
        let saver = std::thread::Builder::new()
            .name("keyward-save-uses".into())
            .spawn(move || {
                while !saver_stop.load(Ordering::SeqCst) {
                    let started = std::time::Instant::now();
                    while started.elapsed() < USAGE_BATCH && !saver_stop.load(Ordering::SeqCst) {
                        std::thread::sleep(std::time::Duration::from_millis(100));
                    }
                    let Some(store) = saver_store.upgrade() else {
                        return;
                    };
                    if let Err(e) = store.save_uses() {
                        log::warn!("last-used times were not saved (kept for the next try): {e}");
                    }
                }
            })
            .ok();
        Some(Follower {
            store: Arc::downgrade(self),
            stop,
            threads: [Some(thread), saver].into_iter().flatten().collect(),
        })
    }

    /// Writes the uses verification noted since the last time (each merged with what the
    /// other processes saved: the newest wins). Kept for the next try if the database
    /// refuses them.
    fn save_uses(&self) -> Result<()> {
        let pending = self.usage.take_unpersisted();
        if let Err(e) = self.backend.save_uses(&pending) {
            let unsaved: Vec<&str> = pending.iter().map(|(id, _)| id.as_str()).collect();
            self.usage.forget_saved(&unsaved);
            return Err(e);
        }
        Ok(())
    }

    /// Reads rows another process changed and passes them to the commit hooks, as if
    /// this process had written them.
    fn reload_rows(&self, rows: Vec<(Table, Vec<u8>)>) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut ops = Vec::with_capacity(rows.len());
        for (table, key) in rows {
            let value = self.backend.get(table, &key)?;
            ops.push(Op { table, key, value });
        }
        for hook in &self.hooks {
            hook.committed(&ops)?;
        }
        Ok(())
    }

    /// Builds the index again from the database (if it was built at all).
    fn reload_index(&self) -> Result<()> {
        self.index.reload(|| Index::load(self))
    }

    /// Refuses to answer from memory once the database has been out of reach longer than
    /// `max_staleness` (only while following a shared database).
    pub(crate) fn check_fresh(&self) -> Result<()> {
        if !self.following.load(Ordering::SeqCst) {
            return Ok(());
        }
        let synced = self.synced_at.load(Ordering::SeqCst);
        let age = self.now().saturating_sub(synced);
        if synced == i64::MIN || age > self.opts.max_staleness {
            return Err(Error::DatabaseUnavailable(format!(
                "the database has been out of reach for more than {} s, so this server no longer answers from memory",
                self.opts.max_staleness / crate::clock::SECOND
            )));
        }
        Ok(())
    }

    /// Whether the database answered last time the follower asked (an embedded database
    /// always does). Never waits on the database.
    pub fn database_reachable(&self) -> bool {
        self.reachable.load(Ordering::SeqCst)
    }

    /// Runs `f` on the in-memory index, building it first if needed.
    pub(crate) fn with_index<R>(&self, f: impl FnOnce(&Index) -> R) -> Result<R> {
        self.index.with(|| Index::load(self), f)
    }

    /// Builds the in-memory index now rather than on the first verification, so a server
    /// answers its first request as fast as the rest. Returns how many keys it holds.
    pub fn warm_index(&self) -> Result<usize> {
        self.with_index(|ix| ix.keys.len())
    }

    /// The newest of a persisted and an in-memory "last used" time.
    pub(crate) fn last_used_in(&self, ix: &Index, id: &str) -> Option<Millis> {
        ix.last_used.get(id).copied().max(self.usage.last(id))
    }

    /// When a key or token was last used, from memory or disk, whichever is newer.
    pub fn last_used(&self, id: &str) -> Result<Option<Millis>> {
        let disk = self
            .backend
            .get(Table::LastUsed, id.as_bytes())?
            .and_then(|v| v.as_slice().try_into().ok().map(i64::from_be_bytes));
        Ok(disk.max(self.usage.last(id)))
    }

    /// Raises persisted "last used" times to the newer ones kept in memory.
    pub(crate) fn overlay_usage(&self, out: &mut HashMap<String, Millis>) {
        self.usage.overlay(out);
    }

    /// Writes pending "last used" times and failure counts, then flushes everything.
    pub fn flush(&self) -> Result<()> {
        self.save_uses()?;
        if self.backend.refuses_writes().is_some() {
            // Nothing reaches the disk: the copy is thrown away on exit.
            return Ok(());
        }
        self.write_failure_summary()?;
        self.save_usage()?;
        self.backend.flush()
    }

    /// Size of everything stored, for diagnostics.
    pub fn size_on_disk(&self) -> Result<u64> {
        self.backend.size_on_disk()
    }
}

/// How often a process following a shared database saves the uses it saw.
const USAGE_BATCH: std::time::Duration = std::time::Duration::from_secs(5);

/// The thread that keeps a store's index in step with a shared database; stops when
/// dropped.
pub struct Follower {
    store: std::sync::Weak<Store>,
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        // Unfollowed, the store answers as any other: uses saved as they come, and no
        // staleness limit on what it holds.
        if let Some(store) = self.store.upgrade() {
            store.following.store(false, Ordering::SeqCst);
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

pub use crate::model::seal::create_private_file;

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
