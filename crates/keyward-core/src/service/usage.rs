//! Verifications counted per key and per day: in memory on every verification, written
//! in batches (added to what is stored, so several processes may count the same key),
//! and kept 90 days.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;

use super::keys::find_key;
use crate::error::Result;
use crate::model::clock::{to_datetime, DAY, MINUTE};
use crate::model::usage::{day_of, day_prefix, row_day, row_key, DayCounts, DAYS_KEPT};
use crate::store::recent_usage::RECENT_DAYS;
use crate::store::{Read, Store, Table};
use crate::view::usage::UsageDay;

/// How often a running process writes what it counted.
const SAVE_EVERY: i64 = MINUTE;

/// Counts not yet written: key id → day → counts.
pub(crate) type Pending = HashMap<String, HashMap<i64, DayCounts>>;

impl Store {
    /// Counts one failed verification of `key_id`, by its code. In memory only; never
    /// waits for the disk. (Valid ones are counted beside the key's last use: see
    /// [`Store::record_valid_use`].)
    pub(crate) fn count_verification(&self, key_id: &str, code: &'static str) {
        let day = day_of(self.now());
        let mut pending = self.usage_pending.lock().unwrap_or_else(|p| p.into_inner());
        let days = match pending.get_mut(key_id) {
            Some(d) => d,
            None => pending.entry(key_id.to_owned()).or_default(),
        };
        *days
            .entry(day)
            .or_default()
            .failed
            .entry(code.to_owned())
            .or_default() += 1;
    }

    /// Writes the counts of verifications, added to those stored. What could not be
    /// written is kept for the next try.
    pub fn save_usage(&self) -> Result<()> {
        let mut pending =
            std::mem::take(&mut *self.usage_pending.lock().unwrap_or_else(|p| p.into_inner()));
        for (key_id, day, n) in self.take_valid_counts() {
            pending
                .entry(key_id)
                .or_default()
                .entry(day)
                .or_default()
                .valid += n;
        }
        if pending.is_empty() {
            return Ok(());
        }
        let written = self.write(|tx| {
            for (key_id, days) in &pending {
                for (day, counts) in days {
                    let row = row_key(*day, key_id);
                    let mut stored: DayCounts = tx.get(Table::Usage, &row)?.unwrap_or_default();
                    stored.add(counts);
                    tx.put(Table::Usage, &row, &stored)?;
                }
            }
            Ok(())
        });
        match written {
            Ok(()) => {
                self.usage_saved_at.store(self.now(), Ordering::Relaxed);
                Ok(())
            }
            Err(e) => {
                let mut now_pending = self.usage_pending.lock().unwrap_or_else(|p| p.into_inner());
                for (key_id, days) in pending {
                    let into = now_pending.entry(key_id).or_default();
                    for (day, counts) in days {
                        into.entry(day).or_default().add(&counts);
                    }
                }
                Err(e)
            }
        }
    }

    /// [`Store::save_usage`] once a minute has passed since the last save.
    pub(crate) fn save_usage_if_due(&self) -> Result<()> {
        let last = self.usage_saved_at.load(Ordering::Relaxed);
        if self.now() - last >= SAVE_EVERY {
            self.save_usage()?;
            self.usage_saved_at.store(self.now(), Ordering::Relaxed);
        }
        Ok(())
    }

    /// A key's verifications over the last `days` days (at most 90), oldest first, one
    /// entry per day including today; what is counted but not yet written is included.
    pub fn key_usage(&self, id: &str, days: u32) -> Result<Vec<UsageDay>> {
        let key = find_key(self, id)?;
        let days = i64::from(days.clamp(1, DAYS_KEPT as u32));
        let today = day_of(self.now());
        let mut pending: HashMap<i64, DayCounts> = self
            .usage_pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key.id)
            .cloned()
            .unwrap_or_default();
        for (day, n) in self.unsaved_valid(&key.id) {
            pending.entry(day).or_default().valid += n;
        }
        let mut out = Vec::with_capacity(days as usize);
        for day in (today - days + 1)..=today {
            let mut counts: DayCounts = self
                .get(Table::Usage, row_key(day, &key.id))?
                .unwrap_or_default();
            if let Some(p) = pending.get(&day) {
                counts.add(p);
            }
            out.push(UsageDay {
                date: to_datetime(day * DAY).format("%Y-%m-%d").to_string(),
                valid: counts.valid,
                failed: counts.failed,
            });
        }
        Ok(out)
    }

    /// The valid verifications of each of `ids` per day over the last 30 days (UTC), oldest
    /// first and today last, what is counted but not yet written included; a key not
    /// verified in that time has thirty zeros. The stored days are read once for all keys
    /// and kept a minute (`RecentUsage`), so a page of rows costs lookups, not reads.
    pub fn recent_usage<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<BTreeMap<String, Vec<u64>>> {
        let now = self.now();
        let today = day_of(now);
        let first = today - RECENT_DAYS as i64 + 1;
        let day_rows = |day: i64| {
            self.scan_raw(Table::Usage, day_prefix(day).as_bytes())
                .collect::<Result<Vec<_>>>()
        };
        let mut lines = self.recent_usage.with(today, now, day_rows, |recent| {
            ids.into_iter()
                .map(|id| {
                    let line = recent.lines.get(id).copied().unwrap_or([0; RECENT_DAYS]);
                    (id.to_owned(), line)
                })
                .collect::<BTreeMap<_, _>>()
        })?;
        // Valid verifications not yet written are held beside the key's last use.
        for (id, line) in lines.iter_mut() {
            for (day, n) in self.unsaved_valid(id) {
                if let Some(slot) = usize::try_from(day - first)
                    .ok()
                    .and_then(|i| line.get_mut(i))
                {
                    *slot += n;
                }
            }
        }
        Ok(lines
            .into_iter()
            .map(|(id, line)| (id, line.to_vec()))
            .collect())
    }

    /// Drops the counts of days older than 90 days; returns how many rows went.
    pub fn drop_old_usage(&self) -> Result<usize> {
        let cutoff = day_of(self.now()) - DAYS_KEPT;
        let old: Vec<Vec<u8>> = self
            .scan_raw(Table::Usage, b"")
            .map_while(|r| match r {
                Ok((k, _)) if row_day(&k).is_some_and(|d| d < cutoff) => Some(Ok(k)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            })
            .collect::<Result<_>>()?;
        if old.is_empty() {
            return Ok(0);
        }
        self.write(|tx| {
            for k in &old {
                tx.del(Table::Usage, k);
            }
            Ok(old.len())
        })
    }
}
