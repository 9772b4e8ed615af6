//! What follows every commit, in memory: the index verification reads mirrors the
//! committed writes, and the "last used" times held in memory forget deleted keys and
//! tokens. Registered by `Store::open`; each sees exactly the writes that were applied.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, RwLock};

use rustc_hash::FxHashMap;

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
            ix.apply_all(
                ops.iter()
                    .map(|op| (op.table, op.key.as_slice(), op.value.as_deref())),
            )?;
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
    /// Keys and tokens by id (server-made ids: a fast, non-keyed hasher is safe).
    seen: FxHashMap<String, Seen>,
    /// Valid verifications of an earlier day not yet written: (key id, day, count).
    spilled: Vec<(String, i64, u64)>,
    /// Failed verifications by code since the last audit event that counted them.
    failed: BTreeMap<&'static str, u64>,
    failed_since: Option<Millis>,
}

/// What is held of one key or token.
struct Seen {
    /// Last used.
    last: Millis,
    /// When that was last persisted.
    persisted: Millis,
    /// A key's valid verifications on `day` not yet written: counted here, beside its
    /// last use, so a verification pays one lookup for both.
    day: i64,
    valid: u64,
}

impl UsageState {
    /// `id` used at `now`: its entry, with the last use raised to `now`.
    fn seen_at(&mut self, id: &str, now: Millis) -> &mut Seen {
        // Looked up by reference first: a key seen before costs no allocation.
        if !self.seen.contains_key(id) {
            let fresh = Seen {
                last: now,
                persisted: i64::MIN,
                day: 0,
                valid: 0,
            };
            self.seen.insert(id.to_owned(), fresh);
        }
        let entry = self.seen.get_mut(id).expect("just inserted");
        entry.last = entry.last.max(now);
        entry
    }

    /// Notes a use of `id`; adds it to `due` when its last persisted use is a minute old
    /// (when `persist`). Returns its entry.
    fn used(
        &mut self,
        id: &str,
        now: Millis,
        persist: bool,
        due: &mut Vec<(String, Millis)>,
    ) -> &mut Seen {
        let entry = self.seen_at(id, now);
        if persist && now.saturating_sub(entry.persisted) >= MINUTE {
            entry.persisted = now;
            due.push((id.to_owned(), entry.last));
        }
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
            state.used(id, now, true, &mut due);
        }
        due
    }

    /// A valid verification of `key_id` (through `token_id` when a token was presented)
    /// on `day`: notes the uses as [`Usage::record`] does (or only notes them, without
    /// `persist`) and counts the verification in the key's entry. Returns the uses due.
    pub fn record_valid(
        &self,
        key_id: &str,
        token_id: Option<&str>,
        now: Millis,
        day: i64,
        persist: bool,
    ) -> Vec<(String, Millis)> {
        let mut due = Vec::new();
        let mut state = self.state();
        let entry = state.used(key_id, now, persist, &mut due);
        if entry.day == day {
            entry.valid += 1;
        } else {
            let earlier = (entry.day, entry.valid);
            entry.day = day;
            entry.valid = 1;
            if earlier.1 > 0 {
                state
                    .spilled
                    .push((key_id.to_owned(), earlier.0, earlier.1));
            }
        }
        if let Some(t) = token_id {
            state.used(t, now, persist, &mut due);
        }
        due
    }

    /// The valid verifications counted and not yet written, as (key id, day, count),
    /// forgotten here: the caller writes them or hands them back to its own pending.
    pub fn take_valid_counts(&self) -> Vec<(String, i64, u64)> {
        let mut state = self.state();
        let mut out = std::mem::take(&mut state.spilled);
        for (id, e) in state.seen.iter_mut().filter(|(_, e)| e.valid > 0) {
            out.push((id.clone(), e.day, e.valid));
            e.valid = 0;
        }
        out
    }

    /// A key's valid verifications not yet written, as (day, count).
    pub fn unsaved_valid(&self, key_id: &str) -> Vec<(i64, u64)> {
        let state = self.state();
        let mut out: Vec<(i64, u64)> = state
            .spilled
            .iter()
            .filter(|(id, _, _)| id == key_id)
            .map(|(_, day, n)| (*day, *n))
            .collect();
        if let Some(e) = state.seen.get(key_id).filter(|e| e.valid > 0) {
            out.push((e.day, e.valid));
        }
        out
    }

    /// Notes a use of each id, to be persisted later by [`Usage::take_unpersisted`].
    pub fn note(&self, ids: &[&str], now: Millis) {
        let mut state = self.state();
        for id in ids {
            state.seen_at(id, now);
        }
    }

    pub fn last(&self, id: &str) -> Option<Millis> {
        self.state().seen.get(id).map(|e| e.last)
    }

    /// Raises `out`'s times to the newer ones held here.
    pub fn overlay(&self, out: &mut HashMap<String, Millis>) {
        for (id, e) in &self.state().seen {
            let at = out.entry(id.clone()).or_insert(e.last);
            *at = (*at).max(e.last);
        }
    }

    /// Uses not yet persisted, marked as persisted.
    pub fn take_unpersisted(&self) -> Vec<(String, Millis)> {
        self.state()
            .seen
            .iter_mut()
            .filter(|(_, e)| e.last > e.persisted)
            .map(|(id, e)| {
                e.persisted = e.last;
                (id.clone(), e.last)
            })
            .collect()
    }

    /// Marks these ids' uses as not saved after all (a write failed).
    pub fn forget_saved(&self, ids: &[&str]) {
        let mut state = self.state();
        for id in ids {
            if let Some(e) = state.seen.get_mut(*id) {
                e.persisted = i64::MIN;
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
