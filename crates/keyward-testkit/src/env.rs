//! One store per test: a fresh temporary data directory, a clock the test moves, the
//! master key in a file beside the data, on the storage backend the test runs against.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use keyward_core::store::master_key_path;
use keyward_core::{
    AuditFilter, AuditView, CreatedKey, CreatedWebhook, DeliveryView, DueMessage, FileMasterKey,
    KeyFilter, ManualClock, MasterKeySource, Millis, NewKey, NewUser, NewWebhook, Result, Store,
    StoreOptions, UserView,
};
use tempfile::TempDir;

use crate::webhooks::HOOK_URL;
use crate::T0;

/// A storage backend the contract suite runs against. [`contract_tests!`] instantiates
/// every contract test once per backend; a test receives its backend and opens its store
/// with [`Env::on`].
///
/// [`contract_tests!`]: crate::contract_tests
pub trait Backend: Send + Sync {
    /// How the backend is named in test paths and messages.
    fn name(&self) -> &'static str;

    /// Opens the store of one test, creating it on first use. `dir` is the test's own
    /// temporary data directory: the master key file lives there, and so does whatever
    /// the backend needs to find the same store again when the test reopens it.
    fn open(
        &self,
        dir: &Path,
        clock: Arc<ManualClock>,
        master: &dyn MasterKeySource,
        options: StoreOptions,
    ) -> Result<Store>;
}

/// The embedded sled store, in the data directory itself: the default backend.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sled;

impl Backend for Sled {
    fn name(&self) -> &'static str {
        "sled"
    }

    fn open(
        &self,
        dir: &Path,
        clock: Arc<ManualClock>,
        master: &dyn MasterKeySource,
        options: StoreOptions,
    ) -> Result<Store> {
        Store::open(dir, clock, master, options)
    }
}

/// PostgreSQL: the test process's own cluster ([`crate::pg`]), a fresh schema per store.
/// The schema's name is kept in the test's data directory, so a reopened store finds it.
#[cfg(feature = "postgres")]
#[derive(Debug, Clone, Copy, Default)]
pub struct Postgres;

#[cfg(feature = "postgres")]
impl Backend for Postgres {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn open(
        &self,
        dir: &Path,
        clock: Arc<ManualClock>,
        master: &dyn MasterKeySource,
        options: StoreOptions,
    ) -> Result<Store> {
        let cluster = crate::pg::cluster();
        let marker = dir.join("postgres-url");
        let url = match std::fs::read_to_string(&marker) {
            Ok(url) => url,
            Err(_) => {
                let url = cluster.new_schema();
                std::fs::write(&marker, &url).expect("write the schema's URL");
                url
            }
        };
        Store::open_postgres(&url, true, dir, clock, &[master], options)
    }
}

/// A store in a fresh directory, and the clock it reads. Fields drop in order: the store
/// before the directory.
pub struct Env {
    pub store: Arc<Store>,
    pub clock: Arc<ManualClock>,
    place: Place,
}

/// Everything needed to open a test's store again.
struct Place {
    backend: &'static dyn Backend,
    start: Millis,
    options: StoreOptions,
    dir: TempDir,
}

impl Place {
    fn open(&self, clock: &Arc<ManualClock>) -> Result<Store> {
        let master = FileMasterKey::new(master_key_path(self.dir.path()));
        self.backend.open(
            self.dir.path(),
            clock.clone(),
            &master,
            self.options.clone(),
        )
    }
}

/// How an [`Env`] is made: which backend, from what instant, with which store options, in
/// which directory. [`Env::new`] and [`Env::on`] cover the usual cases.
pub struct EnvBuilder {
    backend: &'static dyn Backend,
    start: Millis,
    options: StoreOptions,
    dir: Option<TempDir>,
}

impl EnvBuilder {
    pub fn on(mut self, backend: &'static dyn Backend) -> Self {
        self.backend = backend;
        self
    }

    /// The clock starts here instead of at [`T0`].
    pub fn starting_at(mut self, at: Millis) -> Self {
        self.start = at;
        self
    }

    /// Who the store records as acting ("cli" unless told).
    pub fn actor(mut self, actor: &str) -> Self {
        self.options.actor = actor.to_owned();
        self
    }

    pub fn options(mut self, options: StoreOptions) -> Self {
        self.options = options;
        self
    }

    /// Opens the store in `dir` (a copy of another test's data, a fixture) instead of a
    /// fresh directory.
    pub fn in_dir(mut self, dir: TempDir) -> Self {
        self.dir = Some(dir);
        self
    }

    #[track_caller]
    pub fn open(self) -> Env {
        let dir = self
            .dir
            .unwrap_or_else(|| tempfile::tempdir().expect("a temporary directory"));
        let place = Place {
            backend: self.backend,
            start: self.start,
            options: self.options,
            dir,
        };
        let clock = Arc::new(ManualClock::new(place.start));
        let store = place
            .open(&clock)
            .unwrap_or_else(|e| panic!("open a {} store: {e}", place.backend.name()));
        Env {
            store: Arc::new(store),
            clock,
            place,
        }
    }
}

impl Default for Env {
    fn default() -> Self {
        Env::new()
    }
}

impl Env {
    /// A sled store at [`T0`] with the default options.
    pub fn new() -> Env {
        Env::on(&Sled)
    }

    /// A store on `backend` at [`T0`] with the default options.
    pub fn on(backend: &'static dyn Backend) -> Env {
        Env::build().on(backend).open()
    }

    pub fn build() -> EnvBuilder {
        EnvBuilder {
            backend: &Sled,
            start: T0,
            options: StoreOptions::default(),
            dir: None,
        }
    }

    pub fn backend(&self) -> &'static dyn Backend {
        self.place.backend
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        self.place.dir.path()
    }

    /// Opens the same store a second time while this one still holds it, as a second
    /// process would.
    pub fn open_again(&self) -> Result<Store> {
        self.place.open(&self.clock)
    }

    /// Closes the store (as the process would on exit); the directory stays.
    #[track_caller]
    pub fn close(self) -> Closed {
        let Env {
            store,
            clock,
            place,
        } = self;
        match Arc::try_unwrap(store) {
            Ok(store) => drop(store),
            Err(_) => panic!("close: a clone of env.store is still alive; drop it first"),
        }
        Closed { clock, place }
    }

    /// Closes the store and opens it again: what survives a restart.
    #[track_caller]
    pub fn reopen(self) -> Env {
        self.close().open()
    }
}

/// A test's store after [`Env::close`]: its directory and clock, ready to be opened again.
pub struct Closed {
    pub clock: Arc<ManualClock>,
    place: Place,
}

impl Closed {
    pub fn dir(&self) -> &Path {
        self.place.dir.path()
    }

    /// One attempt at opening the store, as a new process makes it.
    pub fn try_open(&self) -> Result<Store> {
        self.place.open(&self.clock)
    }

    /// Opens the store again, waiting while the handle just closed still holds it.
    #[track_caller]
    pub fn open(self) -> Env {
        // sled's flusher thread lets go of the file lock a moment after the last handle.
        let mut tries = 0;
        let store = loop {
            match self.try_open() {
                Err(e) if e.code() == "DATABASE_LOCKED" && tries < 100 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(20));
                }
                r => break r.unwrap_or_else(|e| panic!("reopen the store: {e}")),
            }
        };
        Env {
            store: Arc::new(store),
            clock: self.clock,
            place: self.place,
        }
    }
}

/// What the store's tests do again and again, in one line each.
impl Env {
    /// Sets the clock to `offset` after the instant the test started at.
    pub fn at(&self, offset: Millis) {
        self.clock.set(self.place.start + offset);
    }

    #[track_caller]
    pub fn admin(&self, name: &str, email: &str) -> UserView {
        self.user(name, email, true)
    }

    /// A manager: API access starts off.
    #[track_caller]
    pub fn manager(&self, name: &str, email: &str) -> UserView {
        self.user(name, email, false)
    }

    #[track_caller]
    pub fn user(&self, name: &str, email: &str, admin: bool) -> UserView {
        self.store
            .add_user(NewUser {
                name: name.into(),
                email: email.into(),
                admin,
            })
            .unwrap_or_else(|e| panic!("add user {email}: {e}"))
    }

    /// An agency key of `owner` (an id or an email).
    #[track_caller]
    pub fn key(&self, owner: &str, name: &str) -> CreatedKey {
        self.key_at(owner, name, None)
    }

    /// A key of `owner` scoped to `location`, or to the agency.
    #[track_caller]
    pub fn key_at(&self, owner: &str, name: &str, location: Option<&str>) -> CreatedKey {
        self.store
            .create_key(NewKey {
                owner: owner.into(),
                name: name.into(),
                location: location.map(Into::into),
                ..Default::default()
            })
            .unwrap_or_else(|e| panic!("create key {name:?}: {e}"))
    }

    /// "VALID" or the verdict's code.
    #[track_caller]
    pub fn verify(&self, presented: &str) -> &'static str {
        let v = self.store.verify(presented).unwrap();
        match v.code {
            None => {
                assert!(v.valid);
                assert!(v.identity.is_some());
                "VALID"
            }
            Some(code) => {
                assert!(!v.valid);
                assert!(v.identity.is_none());
                code.as_str()
            }
        }
    }

    /// The whole audit log, newest first.
    pub fn audit(&self) -> Vec<AuditView> {
        self.store.audit(&AuditFilter::default()).unwrap()
    }

    /// How many audit events have this action.
    pub fn count(&self, action: &str) -> usize {
        self.audit().iter().filter(|e| e.action == action).count()
    }

    /// The ids of the keys the filter lists, sorted.
    #[track_caller]
    pub fn keys(&self, filter: KeyFilter) -> Vec<String> {
        let mut ids: Vec<String> = self
            .store
            .list_keys(&filter)
            .unwrap()
            .into_iter()
            .map(|k| k.id)
            .collect();
        ids.sort();
        ids
    }
}

/// Webhook subscriptions and their outbox. Nothing here sends HTTP: a test plays the
/// delivery worker by asking for due messages and recording how each attempt went.
impl Env {
    /// A subscription of `user` to [`HOOK_URL`].
    #[track_caller]
    pub fn hook(&self, user: &str, entity: &str, operation: &str) -> CreatedWebhook {
        self.hook_to(user, HOOK_URL, entity, operation, false)
    }

    #[track_caller]
    pub fn hook_to(
        &self,
        user: &str,
        url: &str,
        entity: &str,
        operation: &str,
        allow_private: bool,
    ) -> CreatedWebhook {
        self.store
            .add_webhook(NewWebhook {
                user: user.into(),
                url: url.into(),
                entity: entity.into(),
                operation: operation.into(),
                allow_private,
            })
            .unwrap_or_else(|e| panic!("add webhook {entity}.{operation}: {e}"))
    }

    /// Everything due now (this also drops what must not be sent any more).
    pub fn due(&self) -> Vec<DueMessage> {
        self.store.due_messages(1000).unwrap()
    }

    /// Messages waiting for one subscription.
    pub fn pending(&self, webhook_id: &str) -> usize {
        self.store.webhook_view(webhook_id).unwrap().pending
    }

    /// One subscription's delivery log, newest first.
    pub fn deliveries(&self, webhook_id: &str) -> Vec<DeliveryView> {
        self.store.webhook_deliveries(webhook_id, 1000).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::t0_2026;
    use keyward_core::Clock;

    #[test]
    fn a_reopened_store_keeps_its_data_clock_and_options() {
        let env = Env::build().starting_at(t0_2026()).actor("http").open();
        let ada = env.admin("Ada", "ada@example.com");
        env.at(5_000);
        let env = env.reopen();
        assert_eq!(env.store.user(&ada.id).unwrap().id, ada.id);
        assert_eq!(env.clock.now(), t0_2026() + 5_000);
        assert_eq!(env.audit()[0].actor, "http");
    }

    #[test]
    #[should_panic(expected = "still alive")]
    fn closing_while_a_clone_of_the_store_lives_is_refused() {
        let env = Env::new();
        let _held = env.store.clone();
        env.close();
    }
}
