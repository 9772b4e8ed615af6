//! The sled backend: one tree per table, a multi-tree transaction per batch of writes, the
//! data directory's lock and the repairs `recovery` makes on open.

use std::path::Path;

use sled::Transactional;

use super::backend::{Backend, Op, Rows, Table};
use super::recovery::{self, ReadOnlyCopy};
use crate::clock::Millis;
use crate::error::{Error, Result};

pub struct SledBackend {
    db: sled::Db,
    trees: Vec<sled::Tree>,
    /// Set when the disk was full at open: this copy is read and changes are refused.
    /// Declared after `db`, so the copy is removed after sled has closed it.
    read_only: Option<ReadOnlyCopy>,
    data_dir: String,
    /// This process's hold on the data directory (see `lock_data_dir`), released last.
    _lock: std::fs::File,
}

/// What opening found and repaired, one sentence per repair.
pub struct SledOpened {
    pub backend: SledBackend,
    pub repaired: Vec<String>,
}

impl SledBackend {
    /// Opens (or creates) the database in `data_dir/db`, holding the data directory's
    /// lock first and repairing what an interrupted process left behind.
    pub fn open(data_dir: &Path, cache_capacity: u64, now: Millis) -> Result<SledOpened> {
        let db_dir = super::db_path(data_dir);
        let lock = lock_data_dir(data_dir)?;
        let opened = recovery::open_repairing(data_dir, &db_dir, now, |path| {
            open_sled(path, cache_capacity, data_dir)
        })?;
        let trees = Table::ALL
            .iter()
            .map(|t| opened.db.open_tree(t.name()))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(SledOpened {
            backend: SledBackend {
                db: opened.db,
                trees,
                read_only: opened.read_only,
                data_dir: data_dir.display().to_string(),
                _lock: lock,
            },
            repaired: opened.repaired,
        })
    }

    fn tree(&self, t: Table) -> &sled::Tree {
        &self.trees[t as usize]
    }
}

impl Backend for SledBackend {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.tree(table).get(key)?.map(|v| v.to_vec()))
    }

    fn scan(&self, table: Table, prefix: &[u8], rev: bool) -> Rows<'_> {
        let iter = self.tree(table).scan_prefix(prefix).map(|r| {
            r.map(|(k, v)| (k.to_vec(), v.to_vec()))
                .map_err(Error::from)
        });
        if rev {
            Box::new(iter.rev())
        } else {
            Box::new(iter)
        }
    }

    fn is_empty(&self, table: Table) -> Result<bool> {
        Ok(self.tree(table).is_empty())
    }

    fn apply(&self, ops: &[Op]) -> Result<()> {
        let mut used: Vec<Table> = ops.iter().map(|op| op.table).collect();
        used.sort();
        used.dedup();
        let trees: Vec<&sled::Tree> = used.iter().map(|t| self.tree(*t)).collect();
        let position = |t: Table| used.iter().position(|x| *x == t).unwrap_or(0);
        trees.as_slice().transaction(|view| {
            for op in ops {
                let tree = &view[position(op.table)];
                match &op.value {
                    Some(v) => {
                        tree.insert(op.key.as_slice(), v.as_slice())?;
                    }
                    None => {
                        tree.remove(op.key.as_slice())?;
                    }
                }
            }
            Ok::<_, sled::transaction::ConflictableTransactionError<Error>>(())
        })?;
        Ok(())
    }

    fn save_uses(&self, uses: &[(String, crate::clock::Millis)]) -> Result<()> {
        // One process holds this database, and it only saves times newer than it saved.
        let tree = self.tree(Table::LastUsed);
        for (id, at) in uses {
            tree.insert(id.as_bytes(), &at.to_be_bytes())?;
        }
        Ok(())
    }

    fn flush(&self) -> Result<()> {
        if self.read_only.is_none() {
            self.db.flush()?;
        }
        Ok(())
    }

    fn refuses_writes(&self) -> Option<String> {
        self.read_only.as_ref().map(|_| {
            format!(
                "the disk holding {} is full, so changes cannot be saved — free some space, \
                 then try again (reading and verification keep working)",
                self.data_dir
            )
        })
    }

    fn size_on_disk(&self) -> Result<u64> {
        Ok(self.db.size_on_disk()?)
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
fn open_sled(path: &Path, cache_capacity: u64, data_dir: &Path) -> Result<sled::Db> {
    sled::Config::new()
        .path(path)
        .cache_capacity(cache_capacity)
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
