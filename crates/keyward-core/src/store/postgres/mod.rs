//! PostgreSQL behind the storage seam: one SQL table per store table with typed columns
//! (`tables.rs`), created by versioned migrations (`migrations/`), every batch of writes
//! one SQL transaction. Many processes may share one database.
//!
//! The driver is `postgres` (tokio-postgres, blocking): the store is called from
//! blocking threads, never from async tasks.

mod pool;
mod tables;

use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{Json, ToSql};
use postgres::Row;
use serde_json::{Map, Value};

use self::pool::{Pool, Pooled};
use self::tables::{spec, specs, Col, Spec};
use crate::error::{Error, Result};
use crate::store::backend::{Backend, Changed, Lease, Op, Rows, Table, Watch};

/// The newest schema this build creates and understands.
pub const PG_SCHEMA_VERSION: u32 = 6;

/// Each migration brings the schema to its version, in one transaction.
const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("migrations/0001_tables.sql")),
    (2, include_str!("migrations/0002_management_tokens.sql")),
    (3, include_str!("migrations/0003_key_policy.sql")),
    (4, include_str!("migrations/0004_key_usage.sql")),
    (5, include_str!("migrations/0005_deleted_keys.sql")),
    (6, include_str!("migrations/0006_mail.sql")),
];

/// Rows fetched per round trip while scanning.
const PAGE: i64 = 500;

/// Serializes migrations of one database across processes (any constant would do).
const MIGRATION_LOCK: i64 = 0x6b65_7977_6172_6401;

/// Serializes changes across the processes sharing the database.
const WRITE_LOCK: i64 = 0x6b65_7977_6172_6402;

/// The channel every commit announces the rows it changed on.
const CHANNEL: &str = "keyward_changes";

/// The tables other processes keep in memory (the verification index), announced on
/// every change.
/// ("Last used" times are not: verification does not read them, and they change with
/// every batch of uses.)
fn announced(t: Table) -> bool {
    matches!(
        t,
        Table::Hashes | Table::Keys | Table::Tokens | Table::Users
    )
}

/// `NOTIFY` payloads naming the changed rows, "table:hexkey" a line, each under
/// PostgreSQL's 8000-byte limit.
fn payloads<'a>(rows: impl Iterator<Item = (Table, &'a [u8])>) -> Vec<String> {
    let mut out = vec![String::new()];
    for (t, key) in rows.filter(|(t, _)| announced(*t)) {
        let line = format!("{}:{}\n", t.name(), hex(key));
        if out.last().is_some_and(|p| p.len() + line.len() > 7_500) {
            out.push(String::new());
        }
        out.last_mut().expect("one payload").push_str(&line);
    }
    out.retain(|p| !p.is_empty());
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn parse_payload(p: &str) -> Vec<(Table, Vec<u8>)> {
    p.lines()
        .filter_map(|line| {
            let (name, key) = line.split_once(':')?;
            let table = Table::ALL.into_iter().find(|t| t.name() == name)?;
            Some((table, unhex(key)?))
        })
        .collect()
}

pub struct PgBackend {
    pool: Pool,
    /// The URL without its password, for messages.
    shown: String,
}

/// What `migrate` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migrated {
    pub from: u32,
    pub to: u32,
}

impl PgBackend {
    /// Connects (failing fast when the server cannot be reached) and checks the schema:
    /// a database without Keyward's tables, or with older ones, is refused with
    /// `NEEDS_MIGRATION` unless `migrate` is set; a newer one with `SCHEMA_TOO_NEW`.
    pub fn connect(url: &str, migrate: bool) -> Result<PgBackend> {
        let backend = PgBackend::unchecked(url)?;
        blocking(|| {
            if migrate {
                backend.migrate().map(|_| ())
            } else {
                backend.check_schema()
            }
        })?;
        Ok(backend)
    }

    /// `keyward migrate`: brings the database at `url` to this build's schema.
    pub fn migrate_url(url: &str) -> Result<(PgBackend, Migrated)> {
        let backend = PgBackend::unchecked(url)?;
        let done = backend.migrate()?;
        Ok((backend, done))
    }

    fn unchecked(url: &str) -> Result<PgBackend> {
        let config: postgres::Config = url
            .parse()
            .map_err(|e| Error::invalid_field("database", format!("not a PostgreSQL URL: {e}")))?;
        let shown = shown_url(url);
        Ok(PgBackend {
            pool: Pool::new(config, shown.clone()),
            shown,
        })
    }

    /// The database this backend writes to, without its password.
    pub fn shown_url(&self) -> &str {
        &self.shown
    }

    /// The schema version the database has (0: no Keyward tables yet).
    pub fn schema_version(&self) -> Result<u32> {
        let mut c = self.pool.get()?;
        schema_version(&mut c.client).map_err(|e| self.pool.error(e))
    }

    /// Brings the database to this build's schema; several processes may run it at once.
    pub fn migrate(&self) -> Result<Migrated> {
        let mut c = self.pool.get()?;
        let pool = &self.pool;
        let mut tx = c.client.transaction().map_err(|e| pool.error(e))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(|e| pool.error(e))?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS keyward_schema (
                 version integer PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now()
             )",
        )
        .map_err(|e| pool.error(e))?;
        let from = schema_version(&mut tx).map_err(|e| pool.error(e))?;
        self.refuse_newer(from)?;
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > from) {
            tx.batch_execute(sql).map_err(|e| pool.error(e))?;
            tx.execute(
                "INSERT INTO keyward_schema (version) VALUES ($1)",
                &[&(*version as i32)],
            )
            .map_err(|e| pool.error(e))?;
        }
        tx.commit().map_err(|e| pool.error(e))?;
        Ok(Migrated {
            from,
            to: PG_SCHEMA_VERSION,
        })
    }

    fn check_schema(&self) -> Result<()> {
        let found = self.schema_version()?;
        self.refuse_newer(found)?;
        if found < PG_SCHEMA_VERSION {
            return Err(Error::NeedsMigration(format!(
                "the database {} {} — run `keyward migrate --database URL` (or start `keyward serve` with --migrate) first",
                self.shown,
                if found == 0 {
                    "has no Keyward tables yet".to_owned()
                } else {
                    format!("has Keyward schema {found}, this version needs {PG_SCHEMA_VERSION}")
                }
            )));
        }
        Ok(())
    }

    fn refuse_newer(&self, found: u32) -> Result<()> {
        if found > PG_SCHEMA_VERSION {
            return Err(Error::SchemaTooNew {
                dir: self.shown.clone(),
                found,
                supported: PG_SCHEMA_VERSION,
            });
        }
        Ok(())
    }

    fn do_get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let mut c = self.pool.get()?;
        let s = spec(table, key);
        let sql = select_sql(s, "WHERE {key} = $1");
        let stmt = c.prepare(&sql).map_err(|e| self.pool.error(e))?;
        let k = key_param(s, key)?;
        let rows = c
            .client
            .query(&stmt, &[k.as_ref()])
            .map_err(|e| self.pool.error(e))?;
        match rows.first() {
            Some(row) => Ok(Some(decode_row(s, row)?.1)),
            None => Ok(None),
        }
    }
}

fn schema_version(
    c: &mut impl postgres::GenericClient,
) -> std::result::Result<u32, postgres::Error> {
    let exists: bool = c
        .query_one("SELECT to_regclass('keyward_schema') IS NOT NULL", &[])?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let v: Option<i32> = c
        .query_one("SELECT max(version) FROM keyward_schema", &[])?
        .get(0);
    Ok(v.unwrap_or(0) as u32)
}

/// `postgres://user:secret@host/db` → `postgres://user@host/db`.
fn shown_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => "the database".to_owned(),
    }
}

fn sql_name(name: &str, col: Col) -> &str {
    if col == Col::Scope {
        "location_id"
    } else {
        name
    }
}

/// `SELECT key, cols… FROM table {tail}`, with `{key}` in `tail` standing for the key column.
fn select_sql(s: &Spec, tail: &str) -> String {
    let cols: Vec<&str> = s.cols.iter().map(|(n, c)| sql_name(n, *c)).collect();
    format!(
        "SELECT {}, {} FROM {} {}",
        s.key,
        cols.join(", "),
        s.sql,
        tail.replace("{key}", s.key)
    )
}

fn upsert_sql(s: &Spec) -> String {
    let cols: Vec<&str> = s.cols.iter().map(|(n, c)| sql_name(n, *c)).collect();
    let params: Vec<String> = (1..=cols.len() + 1).map(|i| format!("${i}")).collect();
    let set: Vec<String> = cols.iter().map(|c| format!("{c} = EXCLUDED.{c}")).collect();
    format!(
        "INSERT INTO {} ({}, {}) VALUES ({}) ON CONFLICT ({}) DO UPDATE SET {}",
        s.sql,
        s.key,
        cols.join(", "),
        params.join(", "),
        s.key,
        set.join(", ")
    )
}

fn delete_sql(s: &Spec) -> String {
    format!("DELETE FROM {} WHERE {} = $1", s.sql, s.key)
}

type Param = Box<dyn ToSql + Sync>;

fn key_param(s: &Spec, key: &[u8]) -> Result<Param> {
    if s.key_is_bytes {
        Ok(Box::new(key.to_vec()))
    } else {
        let text = std::str::from_utf8(key)
            .map_err(|_| Error::Storage(format!("a {} key is not text", s.sql)))?;
        Ok(Box::new(text.to_owned()))
    }
}

fn bad(s: &Spec, field: &str) -> Error {
    Error::Storage(format!(
        "{}.{field}: the record does not fit its column",
        s.sql
    ))
}

/// The SQL value of one field of a decoded record.
fn param(s: &Spec, name: &str, col: Col, v: Option<Value>) -> Result<Param> {
    let v = v.unwrap_or(Value::Null);
    let bytes =
        |v: Value| -> Result<Vec<u8>> { serde_json::from_value(v).map_err(|_| bad(s, name)) };
    Ok(match col {
        Col::Text => Box::new(v.as_str().ok_or_else(|| bad(s, name))?.to_owned()),
        Col::OptText => Box::new(v.as_str().map(str::to_owned)),
        Col::Int => Box::new(v.as_i64().ok_or_else(|| bad(s, name))?),
        Col::OptInt => Box::new(v.as_i64()),
        Col::Bool => Box::new(v.as_bool().ok_or_else(|| bad(s, name))?),
        Col::Bytes => Box::new(bytes(v)?),
        Col::BytesList => {
            let list: Vec<Vec<u8>> = serde_json::from_value(v).map_err(|_| bad(s, name))?;
            Box::new(list)
        }
        Col::IntList => {
            let list: Vec<i64> = serde_json::from_value(v).map_err(|_| bad(s, name))?;
            Box::new(list)
        }
        Col::Json => Box::new(Json(v)),
        Col::Scope => match v {
            Value::String(ref agency) if agency == "Agency" => Box::new(None::<String>),
            Value::Object(mut m) => match m.remove("Location") {
                Some(Value::String(id)) => Box::new(Some(id)),
                _ => return Err(bad(s, name)),
            },
            _ => return Err(bad(s, name)),
        },
    })
}

fn encode_params(s: &Spec, key: &[u8], value: &[u8]) -> Result<Vec<Param>> {
    let mut fields = (s.codec.decode)(value)?;
    let mut params = Vec::with_capacity(s.cols.len() + 1);
    params.push(key_param(s, key)?);
    for (name, col) in s.cols {
        params.push(param(s, name, *col, fields.remove(*name))?);
    }
    Ok(params)
}

/// One row back into the store's key and encoded value.
fn decode_row(s: &Spec, row: &Row) -> Result<(Vec<u8>, Vec<u8>)> {
    let key: Vec<u8> = if s.key_is_bytes {
        row.try_get(0).map_err(|e| Error::Storage(e.to_string()))?
    } else {
        let k: String = row.try_get(0).map_err(|e| Error::Storage(e.to_string()))?;
        k.into_bytes()
    };
    let mut fields = Map::new();
    if let Some(f) = s.key_field {
        fields.insert(
            f.to_owned(),
            Value::String(String::from_utf8_lossy(&key).into_owned()),
        );
    }
    for (i, (name, col)) in s.cols.iter().enumerate() {
        let i = i + 1;
        let get_err = |e: postgres::Error| Error::Corrupt(format!("{}.{name}: {e}", s.sql));
        let v = match col {
            Col::Text => Value::String(row.try_get::<_, String>(i).map_err(get_err)?),
            Col::OptText => row
                .try_get::<_, Option<String>>(i)
                .map_err(get_err)?
                .map_or(Value::Null, Value::String),
            Col::Int => Value::from(row.try_get::<_, i64>(i).map_err(get_err)?),
            Col::OptInt => row
                .try_get::<_, Option<i64>>(i)
                .map_err(get_err)?
                .map_or(Value::Null, Value::from),
            Col::Bool => Value::Bool(row.try_get(i).map_err(get_err)?),
            Col::Bytes => Value::from(row.try_get::<_, Vec<u8>>(i).map_err(get_err)?),
            Col::BytesList => Value::from(row.try_get::<_, Vec<Vec<u8>>>(i).map_err(get_err)?),
            Col::IntList => Value::from(row.try_get::<_, Vec<i64>>(i).map_err(get_err)?),
            Col::Json => row.try_get::<_, Json<Value>>(i).map_err(get_err)?.0,
            Col::Scope => match row.try_get::<_, Option<String>>(i).map_err(get_err)? {
                None => Value::String("Agency".into()),
                Some(id) => Value::Object(Map::from_iter([("Location".into(), Value::String(id))])),
            },
        };
        fields.insert((*name).to_owned(), v);
    }
    Ok((key, (s.codec.encode)(fields)?))
}

/// The smallest key greater than every key starting with `prefix`, if there is one that
/// the key column can hold.
fn prefix_end(prefix: &[u8], text: bool) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < if text { 0x7f } else { 0xff } {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Runs `f` where the blocking driver may run: on this thread, or, when this thread
/// drives async tasks (an HTTP server's worker, where the driver's own runtime cannot
/// start), on a thread of its own for the call.
fn blocking<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if tokio::runtime::Handle::try_current().is_err() {
        return f();
    }
    std::thread::scope(|s| {
        s.spawn(f)
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

impl Backend for PgBackend {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>> {
        blocking(|| self.do_get(table, key))
    }

    fn scan(&self, table: Table, prefix: &[u8], rev: bool) -> Rows<'_> {
        self.do_scan(table, prefix, rev)
    }

    fn is_empty(&self, table: Table) -> Result<bool> {
        blocking(|| self.do_is_empty(table))
    }

    fn apply(&self, ops: &[Op]) -> Result<()> {
        blocking(|| self.do_apply(ops))
    }

    fn save_uses(&self, uses: &[(String, crate::clock::Millis)]) -> Result<()> {
        if uses.is_empty() {
            return Ok(());
        }
        blocking(|| self.do_save_uses(uses))
    }

    fn flush(&self) -> Result<()> {
        // A committed PostgreSQL transaction is already durable.
        Ok(())
    }

    fn refuses_writes(&self) -> Option<String> {
        None
    }

    fn size_on_disk(&self) -> Result<u64> {
        blocking(|| self.do_size_on_disk())
    }

    fn lease_writes(&self) -> Result<Option<Box<dyn Lease + '_>>> {
        let lease = blocking(|| self.do_lease())?;
        Ok(Some(Box::new(lease)))
    }

    fn watch(&self) -> Option<Box<dyn Watch>> {
        Some(Box::new(PgWatch {
            config: self.pool.config().clone(),
            shown: self.shown.clone(),
            client: None,
        }))
    }
}

impl PgBackend {
    fn do_scan(&self, table: Table, prefix: &[u8], rev: bool) -> Rows<'_> {
        if table == Table::Meta {
            // Two small SQL tables: read whole, merged in key order.
            let all = blocking(|| {
                let mut c = self.pool.get()?;
                let mut rows = Vec::new();
                for s in specs(table) {
                    let stmt = c
                        .prepare(&select_sql(s, ""))
                        .map_err(|e| self.pool.error(e))?;
                    for row in c.client.query(&stmt, &[]).map_err(|e| self.pool.error(e))? {
                        let (k, v) = decode_row(s, &row)?;
                        if k.starts_with(prefix) {
                            rows.push((k, v));
                        }
                    }
                }
                rows.sort();
                if rev {
                    rows.reverse();
                }
                Ok(rows)
            });
            return match all {
                Ok(rows) => Box::new(rows.into_iter().map(Ok)),
                Err(e) => Box::new(std::iter::once(Err(e))),
            };
        }
        Box::new(Scan {
            backend: self,
            spec: spec(table, prefix),
            prefix: prefix.to_vec(),
            rev,
            after: None,
            page: Vec::new().into_iter(),
            done: false,
        })
    }

    fn do_is_empty(&self, table: Table) -> Result<bool> {
        let mut c = self.pool.get()?;
        for s in specs(table) {
            let sql = format!("SELECT NOT EXISTS (SELECT 1 FROM {})", s.sql);
            let empty: bool = c
                .client
                .query_one(sql.as_str(), &[])
                .map_err(|e| self.pool.error(e))?
                .get(0);
            if !empty {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn do_apply(&self, ops: &[Op]) -> Result<()> {
        if ops.is_empty() {
            return Ok(());
        }
        let mut c = self.pool.get()?;
        // Statements first (a transaction borrows the connection), then the writes.
        let mut writes = Vec::with_capacity(ops.len());
        for op in ops {
            let s = spec(op.table, &op.key);
            let (sql, params) = match &op.value {
                Some(v) => (upsert_sql(s), encode_params(s, &op.key, v)?),
                None => (delete_sql(s), vec![key_param(s, &op.key)?]),
            };
            writes.push((c.prepare(&sql).map_err(|e| self.pool.error(e))?, params));
        }
        let notify = c
            .prepare("SELECT pg_notify($1, $2)")
            .map_err(|e| self.pool.error(e))?;
        let pool = &self.pool;
        let mut tx = c.client.transaction().map_err(|e| pool.error(e))?;
        for (stmt, params) in &writes {
            let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref()).collect();
            tx.execute(stmt, &refs).map_err(|e| pool.error(e))?;
        }
        // Delivered to every listener when (and only if) the transaction commits.
        for payload in payloads(ops.iter().map(|op| (op.table, op.key.as_slice()))) {
            tx.execute(&notify, &[&CHANNEL, &payload])
                .map_err(|e| pool.error(e))?;
        }
        tx.commit().map_err(|e| pool.error(e))
    }

    /// Every use in one statement per 10,000, the newest time winning.
    fn do_save_uses(&self, uses: &[(String, crate::clock::Millis)]) -> Result<()> {
        let mut c = self.pool.get()?;
        let stmt = c
            .prepare(
                "INSERT INTO last_used (id, at) SELECT * FROM UNNEST($1::text[], $2::bigint[]) \
                 ON CONFLICT (id) DO UPDATE SET at = GREATEST(last_used.at, EXCLUDED.at)",
            )
            .map_err(|e| self.pool.error(e))?;
        for chunk in uses.chunks(10_000) {
            let ids: Vec<&str> = chunk.iter().map(|(id, _)| id.as_str()).collect();
            let ats: Vec<i64> = chunk.iter().map(|(_, at)| *at).collect();
            c.client
                .execute(&stmt, &[&ids, &ats])
                .map_err(|e| self.pool.error(e))?;
        }
        Ok(())
    }

    fn do_size_on_disk(&self) -> Result<u64> {
        let mut c = self.pool.get()?;
        let n: i64 = c
            .client
            .query_one("SELECT pg_database_size(current_database())", &[])
            .map_err(|e| self.pool.error(e))?
            .get(0);
        Ok(n.max(0) as u64)
    }

    fn do_lease(&self) -> Result<WriteLease<'_>> {
        let mut c = self.pool.get()?;
        c.client
            .execute("SELECT pg_advisory_lock($1)", &[&WRITE_LOCK])
            .map_err(|e| self.pool.error(e))?;
        Ok(WriteLease { conn: c })
    }
}

/// The cluster-wide write lock, held on one connection; released when dropped (or by
/// the server, should the connection or the process die).
struct WriteLease<'a> {
    conn: Pooled<'a>,
}

impl Lease for WriteLease<'_> {}

impl Drop for WriteLease<'_> {
    fn drop(&mut self) {
        let conn = &mut self.conn;
        let released = blocking(|| {
            conn.client
                .execute("SELECT pg_advisory_unlock($1)", &[&WRITE_LOCK])
                .is_ok()
        });
        if !released {
            // Closing the connection releases the lock.
            self.conn.discard();
        }
    }
}

/// A connection of its own that LISTENs on the changes channel.
struct PgWatch {
    config: postgres::Config,
    shown: String,
    client: Option<postgres::Client>,
}

impl PgWatch {
    fn lost(&mut self, e: postgres::Error) -> Error {
        self.client = None;
        Error::DatabaseUnavailable(format!("{} ({e})", self.shown))
    }
}

impl Watch for PgWatch {
    fn wait(&mut self, timeout: Duration) -> Result<Changed> {
        let Some(client) = self.client.as_mut() else {
            let mut client = match self.config.connect(postgres::NoTls) {
                Ok(c) => c,
                Err(e) => {
                    std::thread::sleep(timeout.min(Duration::from_millis(500)));
                    return Err(self.lost(e));
                }
            };
            if let Err(e) = client.batch_execute(&format!("LISTEN {CHANNEL}")) {
                return Err(self.lost(e));
            }
            self.client = Some(client);
            return Ok(Changed::Everything);
        };
        let mut rows = Vec::new();
        let mut failed = None;
        {
            let mut notes = client.notifications();
            let first = notes.timeout_iter(timeout).next();
            match first {
                Ok(Some(n)) => rows.extend(parse_payload(n.payload())),
                Ok(None) => {}
                Err(e) => failed = Some(e),
            }
            if failed.is_none() {
                // Whatever else already arrived, without waiting.
                let mut more = notes.iter();
                loop {
                    match more.next() {
                        Ok(Some(n)) => rows.extend(parse_payload(n.payload())),
                        Ok(None) => break,
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
            }
        }
        if let Some(e) = failed {
            return Err(self.lost(e));
        }
        if rows.is_empty() && client.is_closed() {
            self.client = None;
            return Err(Error::DatabaseUnavailable(format!(
                "{} (connection closed)",
                self.shown
            )));
        }
        Ok(Changed::Rows(rows))
    }
}

/// Rows of one SQL table in key order, a page per round trip.
struct Scan<'a> {
    backend: &'a PgBackend,
    spec: &'static Spec,
    prefix: Vec<u8>,
    rev: bool,
    /// The last key of the page fetched last: the next page starts after it.
    after: Option<Vec<u8>>,
    page: std::vec::IntoIter<(Vec<u8>, Vec<u8>)>,
    done: bool,
}

impl Scan<'_> {
    fn fetch(&mut self) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let s = self.spec;
        let text = !s.key_is_bytes;
        let mut conds = vec!["{key} >= $1".to_owned()];
        let mut params: Vec<Param> = vec![key_param(s, &self.prefix)?];
        if let Some(end) = prefix_end(&self.prefix, text) {
            params.push(key_param(s, &end)?);
            conds.push(format!("{{key}} < ${}", params.len()));
        }
        if let Some(after) = &self.after {
            params.push(key_param(s, after)?);
            conds.push(format!(
                "{{key}} {} ${}",
                if self.rev { "<" } else { ">" },
                params.len()
            ));
        }
        let tail = format!(
            "WHERE {} ORDER BY {{key}} {} LIMIT {PAGE}",
            conds.join(" AND "),
            if self.rev { "DESC" } else { "ASC" }
        );
        let mut c = self.backend.pool.get()?;
        let pool = &self.backend.pool;
        let stmt = c
            .prepare(&select_sql(s, &tail))
            .map_err(|e| pool.error(e))?;
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref()).collect();
        let rows = c.client.query(&stmt, &refs).map_err(|e| pool.error(e))?;
        if (rows.len() as i64) < PAGE {
            self.done = true;
        }
        rows.iter().map(|r| decode_row(s, r)).collect()
    }
}

impl Iterator for Scan<'_> {
    type Item = Result<(Vec<u8>, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((k, v)) = self.page.next() {
                if !k.starts_with(&self.prefix) {
                    continue;
                }
                return Some(Ok((k, v)));
            }
            if self.done {
                return None;
            }
            let fetched = blocking(|| self.fetch());
            match fetched {
                Ok(rows) => {
                    if rows.is_empty() {
                        self.done = true;
                    }
                    if let Some((k, _)) = rows.last() {
                        self.after = Some(k.clone());
                    }
                    self.page = rows.into_iter();
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

/// How long a connection attempt may take before the database counts as unreachable.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ends_are_the_next_key_after_the_prefix() {
        assert_eq!(prefix_end(b"whk_1/", true), Some(b"whk_10".to_vec()));
        assert_eq!(prefix_end(b"", true), None);
        assert_eq!(prefix_end(&[0x01, 0xff], false), Some(vec![0x02]));
        assert_eq!(prefix_end(&[0xff], false), None);
    }

    #[test]
    fn urls_are_shown_without_their_password() {
        assert_eq!(
            shown_url("postgres://kw:hunter2@db.example.com:5432/keyward"),
            "postgres://kw@db.example.com:5432/keyward"
        );
    }

    #[test]
    fn upserts_name_every_column_once() {
        let s = spec(Table::Keys, b"key_1");
        let sql = upsert_sql(s);
        assert!(sql.starts_with("INSERT INTO api_keys (id, name, owner, location_id,"));
        assert_eq!(sql.matches("location_id").count(), 3);
    }
}
