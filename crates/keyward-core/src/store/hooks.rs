//! What follows every commit, in memory: the index verification reads mirrors the
//! committed writes, and the "last used" times held in memory forget deleted keys and
//! tokens. Registered by `Store::open`; each sees exactly the writes that were applied.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, RwLock};

use super::backend::{Op, Table};
use super::index::Index;
use crate::clock::{Millis, MINUTE};
use crate::error::Result;

pub trait CommitHook: Send + Sync {
    fn committed(&self, ops: &[Op]) -> Result<()>;
}

/// The in-memory index, built on first use (a one-shot CLI command that never verifies
/// never pays for it), then kept equal to the database by every commit.
#[derive(Default)]
pub(crate) struct IndexMirror {
    ix: RwLock<Option<Index>>,
}

impl IndexMirror {
    /// Runs `f` on the index, building it with `load` first if needed.
    pub fn with<R>(
        &self,
        load: impl FnOnce() -> Result<Index>,
        f: impl FnOnce(&Index) -> R,
    ) -> Result<R> {
        {
            let ix = self.ix.read().unwrap_or_else(|p| p.into_inner());
            if let Some(ix) = ix.as_ref() {
                return Ok(f(ix));
            }
        }
        let mut ix = self.ix.write().unwrap_or_else(|p| p.into_inner());
        if ix.is_none() {
            *ix = Some(load()?);
        }
        Ok(f(ix.as_ref().expect("index just built")))
    }

    /// Replaces a built index with a fresh load (an index never built stays unbuilt).
    pub fn reload(&self, load: impl FnOnce() -> Result<Index>) -> Result<()> {
        if self.ix.read().unwrap_or_else(|p| p.into_inner()).is_none() {
            return Ok(());
        }
        let fresh = load()?;
        *self.ix.write().unwrap_or_else(|p| p.into_inner()) = Some(fresh);
        Ok(())
    }
}

impl CommitHook for IndexMirror {
    fn committed(&self, ops: &[Op]) -> Result<()> {
        let mut ix = self.ix.write().unwrap_or_else(|p| p.into_inner());
        if let Some(ix) = ix.as_mut() {
            for op in ops {
                ix.apply(op.table, &op.key, op.value.as_deref())?;
            }
        }
        Ok(())
    }
}

/// Uses seen by verification, kept in memory and persisted at most once per object per
/// minute, and failed verifications, only counted.
#[derive(Default)]
pub(crate) struct Usage {
    inner: Mutex<UsageState>,
}

#[derive(Default)]
struct UsageState {
    /// id → (last used, last persisted), for keys and tokens.
    seen: HashMap<String, (Millis, Millis)>,
    /// Failed verifications by code since the last audit event that counted them.
    failed: BTreeMap<&'static str, u64>,
    failed_since: Option<Millis>,
}

impl UsageState {
    /// `id` used at `now`: its (last used, last persisted), the first raised to `now`.
    fn seen_at(&mut self, id: &str, now: Millis) -> &mut (Millis, Millis) {
        // Looked up by reference first: a key seen before costs no allocation.
        if !self.seen.contains_key(id) {
            self.seen.insert(id.to_owned(), (now, i64::MIN));
        }
        let entry = self.seen.get_mut(id).expect("just inserted");
        entry.0 = entry.0.max(now);
        entry
    }
}

impl Usage {
    fn state(&self) -> std::sync::MutexGuard<'_, UsageState> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Notes a use of each id; returns the (id, time) pairs due to be persisted.
    pub fn record(&self, ids: &[&str], now: Millis) -> Vec<(String, Millis)> {
        let mut due = Vec::new();
        let mut state = self.state();
        for id in ids {
            let entry = state.seen_at(id, now);
            if now.saturating_sub(entry.1) >= MINUTE {
                entry.1 = now;
                due.push(((*id).to_owned(), entry.0));
            }
        }
        due
    }

    /// Notes a use of each id, to be persisted later by [`Usage::take_unpersisted`].
    pub fn note(&self, ids: &[&str], now: Millis) {
        let mut state = self.state();
        for id in ids {
            state.seen_at(id, now);
        }
    }

    pub fn last(&self, id: &str) -> Option<Millis> {
        self.state().seen.get(id).map(|e| e.0)
    }

    /// Raises `out`'s times to the newer ones held here.
    pub fn overlay(&self, out: &mut HashMap<String, Millis>) {
        for (id, (at, _)) in &self.state().seen {
            let e = out.entry(id.clone()).or_insert(*at);
            *e = (*e).max(*at);
        }
    }

    /// Uses not yet persisted, marked as persisted.
    pub fn take_unpersisted(&self) -> Vec<(String, Millis)> {
        self.state()
            .seen
            .iter_mut()
            .filter(|(_, e)| e.0 > e.1)
            .map(|(id, e)| {
                e.1 = e.0;
                (id.clone(), e.0)
            })
            .collect()
    }

    /// Marks these ids' uses as not saved after all (a write failed).
    pub fn forget_saved(&self, ids: &[&str]) {
        let mut state = self.state();
        for id in ids {
            if let Some(e) = state.seen.get_mut(*id) {
                e.1 = i64::MIN;
            }
        }
    }

    pub fn count_failure(&self, code: &'static str, now: Millis) {
        let mut state = self.state();
        *state.failed.entry(code).or_insert(0) += 1;
        state.failed_since.get_or_insert(now);
    }

    /// Whether failures have been counted for at least a minute.
    pub fn failures_due(&self, now: Millis) -> bool {
        self.state()
            .failed_since
            .is_some_and(|since| now - since >= MINUTE)
    }

    /// The failure counts and since when, cleared.
    pub fn take_failures(&self) -> (BTreeMap<&'static str, u64>, Option<Millis>) {
        let mut state = self.state();
        (std::mem::take(&mut state.failed), state.failed_since.take())
    }
}

impl CommitHook for Usage {
    /// A deleted key or token loses its use held in memory, else it would be written back.
    fn committed(&self, ops: &[Op]) -> Result<()> {
        let gone: Vec<&Op> = ops
            .iter()
            .filter(|op| op.table == Table::LastUsed && op.value.is_none())
            .collect();
        if !gone.is_empty() {
            let mut state = self.state();
            for op in gone {
                state.seen.remove(String::from_utf8_lossy(&op.key).as_ref());
            }
        }
        Ok(())
    }
}
