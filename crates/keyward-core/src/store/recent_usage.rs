//! The valid verifications of every key over the last [`RECENT_DAYS`] days, read in one
//! pass over those days' usage rows and kept in memory, so a page of the keys list draws
//! its sparklines without a read per row and per day. Commits of this process keep it
//! exact (it is a commit hook); what other processes write to a shared database shows when
//! it is read again, a minute later at most, or when a new day begins.

use std::collections::HashMap;
use std::sync::Mutex;

use super::backend::{Op, Table};
use super::hooks::CommitHook;
use crate::clock::{Millis, MINUTE};
use crate::error::Result;
use crate::model::usage::{row_day, DayCounts};

/// How many days a sparkline shows, today included.
pub const RECENT_DAYS: usize = 30;

/// How long what was read serves before it is read again.
const FRESH_FOR: Millis = MINUTE;

/// Valid verifications per day, oldest first, today last.
pub(crate) type Line = [u64; RECENT_DAYS];

pub(crate) struct Recent {
    /// The day (days since 1970-01-01, UTC) of each line's first count.
    pub first_day: i64,
    read_at: Millis,
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

/// The key a usage row is about: what follows `{day:08}/`.
fn row_key_id(row: &[u8]) -> Option<&str> {
    std::str::from_utf8(row.get(9..)?).ok()
}

#[derive(Default)]
pub(crate) struct RecentUsage {
    inner: Mutex<Option<Recent>>,
}

impl RecentUsage {
    /// Runs `f` on the lines of the [`RECENT_DAYS`] days up to `today`; reads them with
    /// `rows` (the usage rows of one day) first when none are held, when they were read a
    /// minute ago or more, or when they end on another day.
    pub fn with<R>(
        &self,
        today: i64,
        now: Millis,
        rows: impl Fn(i64) -> Result<Vec<(Vec<u8>, Vec<u8>)>>,
        f: impl FnOnce(&Recent) -> R,
    ) -> Result<R> {
        let first_day = today - RECENT_DAYS as i64 + 1;
        let mut held = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let fresh = held.as_ref().is_some_and(|r| {
            r.first_day == first_day && now - r.read_at < FRESH_FOR && now >= r.read_at
        });
        if !fresh {
            // Held while reading: a commit meanwhile waits, then lands on what was read.
            *held = None;
            let mut recent = Recent {
                first_day,
                read_at: now,
                lines: HashMap::new(),
            };
            for day in first_day..=today {
                for (k, v) in rows(day)? {
                    if let Some(id) = row_key_id(&k) {
                        let counts: DayCounts = bincode::deserialize(&v)?;
                        recent.set(day, id, counts.valid);
                    }
                }
            }
            *held = Some(recent);
        }
        Ok(f(held.as_ref().expect("just read")))
    }
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
                Some(v) => match bincode::deserialize::<DayCounts>(v) {
                    Ok(c) => c.valid,
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
    use crate::model::usage::row_key;

    fn row(day: i64, id: &str, valid: u64) -> (Vec<u8>, Vec<u8>) {
        let counts = DayCounts {
            valid,
            ..DayCounts::default()
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
    fn reads_each_day_once_then_follows_commits_until_a_minute_has_passed() {
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

        // A minute later, or on another day, it reads again.
        recent.with(100, MINUTE, rows, |_| ()).unwrap();
        assert_eq!(reads.get(), 60);
        let a = recent
            .with(101, MINUTE, rows, |r| line(r, "key_a"))
            .unwrap()
            .unwrap();
        assert_eq!(reads.get(), 90);
        assert_eq!((a[28], a[29]), (3, 0), "yesterday is one slot back");
    }
}
