//! A small pool of PostgreSQL connections, each with the statements it has prepared. A
//! connection that broke is dropped, never handed out again; the next caller connects
//! anew, so the backend recovers by itself when the server is back.

use std::collections::HashMap;
use std::sync::Mutex;

use postgres::{Client, NoTls, Statement};

use crate::error::{Error, Result};

/// Idle connections kept for reuse; more may be open while busy.
const KEEP_IDLE: usize = 16;

pub(super) struct Conn {
    pub client: Client,
    statements: HashMap<String, Statement>,
}

impl Conn {
    /// The statement for `sql`, prepared once per connection.
    pub fn prepare(&mut self, sql: &str) -> std::result::Result<Statement, postgres::Error> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }
}

pub(super) struct Pool {
    config: postgres::Config,
    shown: String,
    idle: Mutex<Vec<Conn>>,
}

/// A connection out of the pool; back in when dropped, unless it broke.
pub(super) struct Pooled<'a> {
    pool: &'a Pool,
    conn: Option<Conn>,
}

impl std::ops::Deref for Pooled<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn.as_ref().expect("a pooled connection")
    }
}

impl std::ops::DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn.as_mut().expect("a pooled connection")
    }
}

impl Pooled<'_> {
    /// Closes this connection instead of returning it to the pool.
    pub fn discard(&mut self) {
        self.conn = None;
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            if conn.client.is_closed() {
                return;
            }
            let mut idle = self.pool.idle.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() < KEEP_IDLE {
                idle.push(conn);
            }
        }
    }
}

impl Pool {
    pub fn new(mut config: postgres::Config, shown: String) -> Pool {
        config.connect_timeout(super::CONNECT_TIMEOUT);
        config.application_name("keyward");
        Pool {
            config,
            shown,
            idle: Mutex::new(Vec::new()),
        }
    }

    pub fn config(&self) -> &postgres::Config {
        &self.config
    }

    pub fn get(&self) -> Result<Pooled<'_>> {
        let reused = {
            let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            let mut found = None;
            while let Some(c) = idle.pop() {
                if !c.client.is_closed() {
                    found = Some(c);
                    break;
                }
            }
            found
        };
        let conn = match reused {
            Some(c) => c,
            None => Conn {
                client: self.config.connect(NoTls).map_err(|e| self.error(e))?,
                statements: HashMap::new(),
            },
        };
        Ok(Pooled {
            pool: self,
            conn: Some(conn),
        })
    }

    /// Forgets every idle connection (after the server went away).
    pub fn clear(&self) {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// A driver error as the store's: the server out of reach is `DATABASE_UNAVAILABLE`
    /// (and the idle connections are dropped), anything else a storage error.
    pub fn error(&self, e: postgres::Error) -> Error {
        let unreachable = e.is_closed()
            || std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>())
            || e.to_string().starts_with("error connecting to server")
            || e.as_db_error().is_some_and(|db| {
                // admin_shutdown, crash_shutdown, cannot_connect_now
                matches!(db.code().code(), "57P01" | "57P02" | "57P03")
            });
        if unreachable {
            self.clear();
            let why = std::error::Error::source(&e)
                .map(|s| s.to_string())
                .unwrap_or_else(|| e.to_string());
            return Error::DatabaseUnavailable(format!("{} ({why})", self.shown));
        }
        Error::Storage(e.to_string())
    }
}
