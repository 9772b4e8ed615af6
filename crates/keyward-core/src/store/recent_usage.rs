//! The valid verifications of every key over the last [`RECENT_DAYS`] days, read in one
//! pass over those days' usage rows and kept in memory, so a page of the keys list draws
//! its sparklines without a read per row and per day. Commits of this process keep it
//! exact (it is a commit hook). What other processes write to a shared database goes to
//! today's rows (and yesterday's, just after midnight): those two days are read again
//! when a minute has passed, the whole window once an hour or when a new day begins.

use std::collections::HashMap;
use std::sync::Mutex;

use super::backend::{Op, Table};
use super::hooks::CommitHook;
use crate::clock::{Millis, HOUR, MINUTE};
use crate::error::Result;
use crate::model::usage::{row_day, row_key_id};

/// How many days a sparkline shows, today included.
pub const RECENT_DAYS: usize = 30;

/// How long today's and yesterday's counts serve before they are read again.
const RECENT_FRESH_FOR: Millis = MINUTE;
/// How long the older days serve.
const ALL_FRESH_FOR: Millis = HOUR;

/// The one field of a day's counts a sparkline needs, decoded without the failure codes
/// that follow it.
#[derive(serde::Deserialize)]
struct Valid {
    valid: u64,
}

fn valid_of(bytes: &[u8]) -> Result<u64> {
    Ok(bincode::deserialize::<Valid>(bytes)?.valid)
}

/// Valid verifications per day, oldest first, today last.
pub(crate) type Line = [u64; RECENT_DAYS];

pub(crate) struct Recent {
    /// The day (days since 1970-01-01, UTC) of each line's first count.
    pub first_day: i64,
    /// When every day was read; when today and yesterday were.
    all_read_at: Millis,
    recent_read_at: Millis,
    pub lines: HashMap<String, Line>,
}

impl Recent {
    fn slot(&self, day: i64) -> Option<usize> {
        usize::try_from(day - self.first_day)
            .ok()
            .filter(|i| *i < RECENT_DAYS)
    }

    /// Sets what the store holds for `key_id` on `day` (a row written or removed).
    fn set(&mut self, day: i64, key_id: &str, valid: u64) {
        let Some(i) = self.slot(day) else { return };
        match self.lines.get_mut(key_id) {
            Some(line) => line[i] = valid,
            None if valid > 0 => {
                let mut line = [0; RECENT_DAYS];
                line[i] = valid;
                self.lines.insert(key_id.to_owned(), line);
            }
            None => {}
        }
    }
}

#[derive(Default)]
pub(crate) struct RecentUsage {
    inner: Mutex<Option<Recent>>,
}

impl RecentUsage {
    /// Runs `f` on the lines of the [`RECENT_DAYS`] days up to `today`, reading first (with
    /// `rows`, a day's usage rows) what is not held or no longer fresh.
    pub fn with<R>(
        &self,
        today: i64,
        now: Millis,
        rows: impl Fn(i64) -> Result<Vec<(Vec<u8>, Vec<u8>)>>,
        f: impl FnOnce(&Recent) -> R,
    ) -> Result<R> {
        let first_day = today - RECENT_DAYS as i64 + 1;
        // Held while reading: a commit meanwhile waits, then lands on what was read.
        let mut held = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let age = |at: Millis| if now >= at { now - at } else { Millis::MAX };
        let recent = match held.take() {
            Some(r) if r.first_day == first_day && age(r.all_read_at) < ALL_FRESH_FOR => {
                if age(r.recent_read_at) < RECENT_FRESH_FOR {
                    r
                } else {
                    reread(r, [today - 1, today], now, &rows)?
                }
            }
            _ => read_all(first_day, today, now, &rows)?,
        };
        Ok(f(held.insert(recent)))
    }
}

fn read_all(
    first_day: i64,
    today: i64,
    now: Millis,
    rows: &impl Fn(i64) -> Result<Vec<(Vec<u8>, Vec<u8>)>>,
) -> Result<Recent> {
    let mut recent = Recent {
        first_day,
        all_read_at: now,
        recent_read_at: now,
        lines: HashMap::new(),
    };
    for day in first_day..=today {
        read_day(&mut recent, day, rows)?;
    }
    Ok(recent)
}

/// `recent` with `days` read again (what they held dropped first).
fn reread(
    mut recent: Recent,
    days: [i64; 2],
    now: Millis,
    rows: &impl Fn(i64) -> Result<Vec<(Vec<u8>, Vec<u8>)>>,
) -> Result<Recent> {
    for day in days {
        if let Some(i) = recent.slot(day) {
            recent.lines.values_mut().for_each(|line| line[i] = 0);
            read_day(&mut recent, day, rows)?;
        }
    }
    recent.recent_read_at = now;
    Ok(recent)
}

fn read_day(
    recent: &mut Recent,
    day: i64,
    rows: &impl Fn(i64) -> Result<Vec<(Vec<u8>, Vec<u8>)>>,
) -> Result<()> {
    for (k, v) in rows(day)? {
        if let Some(id) = row_key_id(&k) {
            recent.set(day, id, valid_of(&v)?);
        }
    }
    Ok(())
}

impl CommitHook for RecentUsage {
    fn committed(&self, ops: &[Op]) -> Result<()> {
        let mut held = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let Some(recent) = held.as_mut() else {
            return Ok(());
        };
        for op in ops.iter().filter(|op| op.table == Table::Usage) {
            let (Some(day), Some(id)) = (row_day(&op.key), row_key_id(&op.key)) else {
                continue;
            };
            let valid = match &op.value {
                Some(v) => match valid_of(v) {
                    Ok(n) => n,
                    Err(_) => {
                        // Unreadable here means unreadable for the next read too; let it say so.
                        *held = None;
                        return Ok(());
                    }
                },
                None => 0,
            };
            recent.set(day, id, valid);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::usage::{row_key, DayCounts};

    fn row(day: i64, id: &str, valid: u64) -> (Vec<u8>, Vec<u8>) {
        let counts = DayCounts {
            valid,
            failed: [("DISABLED".to_owned(), 7)].into(),
        };
        (
            row_key(day, id).into_bytes(),
            bincode::serialize(&counts).unwrap(),
        )
    }

    fn put(day: i64, id: &str, valid: u64) -> Op {
        let (key, value) = row(day, id, valid);
        Op {
            table: Table::Usage,
            key,
            value: Some(value),
        }
    }

    #[test]
    fn reads_each_day_once_follows_commits_and_rereads_today_each_minute_all_each_hour() {
        let recent = RecentUsage::default();
        let reads = std::cell::Cell::new(0);
        let rows = |day: i64| {
            reads.set(reads.get() + 1);
            Ok(match day {
                100 => vec![row(100, "key_a", 3), row(100, "key_b", 1)],
                71 => vec![row(71, "key_a", 2)],
                _ => vec![],
            })
        };
        let line = |r: &Recent, id: &str| r.lines.get(id).copied();
        let a = recent
            .with(100, 0, rows, |r| line(r, "key_a"))
            .unwrap()
            .unwrap();
        assert_eq!((a[0], a[29], a[1..29].iter().sum::<u64>()), (2, 3, 0));
        assert_eq!(reads.get(), 30, "one read per day, not per key");

        // Commits land on what is held, without reading again.
        recent
            .committed(&[
                put(100, "key_a", 5),
                put(99, "key_c", 4),
                put(60, "key_d", 9),
            ])
            .unwrap();
        recent
            .committed(&[Op {
                table: Table::Usage,
                key: row_key(100, "key_b").into_bytes(),
                value: None,
            }])
            .unwrap();
        let (a, b, c, d) = recent
            .with(100, MINUTE - 1, rows, |r| {
                (
                    line(r, "key_a"),
                    line(r, "key_b"),
                    line(r, "key_c"),
                    line(r, "key_d"),
                )
            })
            .unwrap();
        assert_eq!(reads.get(), 30);
        assert_eq!((a.unwrap()[29], b.unwrap()[29], c.unwrap()[28]), (5, 0, 4));
        assert_eq!(d, None, "a day before the window is not kept");

        // A minute later, today and yesterday are read again (what another process
        // saved there shows); an hour later, or on another day, every day.
        recent.with(100, MINUTE, rows, |_| ()).unwrap();
        assert_eq!(reads.get(), 32);
        let a = recent
            .with(100, MINUTE, rows, |r| line(r, "key_a"))
            .unwrap()
            .unwrap();
        assert_eq!(a[29], 3, "today as stored");
        recent.with(100, HOUR, rows, |_| ()).unwrap();
        assert_eq!(reads.get(), 62);
        let a = recent
            .with(101, HOUR, rows, |r| line(r, "key_a"))
            .unwrap()
            .unwrap();
        assert_eq!(reads.get(), 92);
        assert_eq!((a[28], a[29]), (3, 0), "yesterday is one slot back");
    }
}
