//! One page of the keys list, filtered and sorted here, so a screen of 10,000 keys asks
//! for the rows it shows and not for the whole list.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::key::KeyStatus;
use crate::view::keys::{KeyView, RowFacts, ViewContext};

/// The column a keys list is sorted by.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortColumn {
    Name,
    Owner,
    Scope,
    /// By the status badge: Access off, Active, then keys due for deletion soonest
    /// first, Disabled, Owner deactivated, Revoked.
    Status,
    #[default]
    Created,
    /// What needs a look first: coming deletions (soonest first), then keys rotating to
    /// a new secret, then keys that do not work (access off, disabled, owner
    /// deactivated), then working keys, revoked last; newest first within each.
    Attention,
    LastUsed,
    LiveTokens,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortDir {
    Asc,
    #[default]
    Desc,
}

/// The order of a keys list; the key id breaks ties, so the order is total and stable.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySort {
    pub column: SortColumn,
    pub dir: SortDir,
}

/// Rows `offset..offset + rows.len()` of the keys matching a filter, in a sort order.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct KeyPage {
    /// Keys matching the filter.
    pub matching: usize,
    /// Keys in the list, filter aside.
    pub total: usize,
    pub offset: usize,
    pub rows: Vec<KeyView>,
    /// For each row's key (by id): its valid verifications per day over the last 30 days
    /// (UTC), oldest first, today last.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "Record<string, number[]>"))]
    pub usage: BTreeMap<String, Vec<u64>>,
}

/// The most rows one page holds.
pub const PAGE_MAX: usize = 1000;

pub(crate) fn sort_rows(rows: &mut [RowFacts<'_>], ctx: &ViewContext, sort: KeySort) {
    let by = |a: &RowFacts<'_>, b: &RowFacts<'_>| -> Ordering {
        match sort.column {
            SortColumn::Name => natural_cmp(&a.key.name, &b.key.name),
            SortColumn::Owner => natural_cmp(owner_name(a), owner_name(b)),
            SortColumn::Scope => natural_cmp(a.scope_label(ctx), b.scope_label(ctx)),
            SortColumn::Status => status_rank(a).cmp(&status_rank(b)),
            SortColumn::Created => a.key.created_at.cmp(&b.key.created_at),
            SortColumn::LastUsed => a.last_used.cmp(&b.last_used),
            SortColumn::LiveTokens => a.live_tokens.cmp(&b.live_tokens),
            SortColumn::Attention => attention_rank(a, ctx.now)
                .cmp(&attention_rank(b, ctx.now))
                .then_with(|| b.key.created_at.cmp(&a.key.created_at)),
        }
        .then_with(|| a.key.id.cmp(&b.key.id))
    };
    match sort.dir {
        SortDir::Asc => rows.sort_by(by),
        SortDir::Desc => rows.sort_by(|a, b| by(b, a)),
    }
}

fn owner_name<'a>(f: &RowFacts<'a>) -> &'a str {
    f.owner.map_or("", |o| o.name.as_str())
}

/// The status badge's order: a coming deletion outranks every status but Revoked, as on
/// the badge; keys due soonest first among them.
fn status_rank(f: &RowFacts<'_>) -> (u8, i64) {
    if f.deletion_near {
        return (2, f.deletes_in_days.unwrap_or(0));
    }
    let group = match f.status {
        KeyStatus::AccessOff => 0,
        KeyStatus::Active => 1,
        KeyStatus::Disabled => 3,
        KeyStatus::OwnerDeactivated => 4,
        KeyStatus::Expired => 5,
        KeyStatus::Revoked => 6,
    };
    (group, 0)
}

/// The "Needs attention" order's groups; within a coming deletion, the soonest first.
fn attention_rank(f: &RowFacts<'_>, now: crate::model::clock::Millis) -> (u8, i64) {
    match f.status {
        KeyStatus::Revoked => (4, 0),
        _ if f.deletion_near => (0, f.deletes_at.unwrap_or(i64::MAX)),
        KeyStatus::Active if f.key.grace_until(now).is_some() => (1, 0),
        KeyStatus::Active => (3, 0),
        _ => (2, 0),
    }
}

/// Case-insensitive order in which digit runs compare as numbers: "Key 2" < "Key 10".
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.chars().peekable(), b.chars().peekable());
    loop {
        match (a.peek().copied(), b.peek().copied()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let na = digits(&mut a);
                let nb = digits(&mut b);
                let ord = na.len().cmp(&nb.len()).then_with(|| na.cmp(&nb));
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            (Some(x), Some(y)) => {
                let ord = x.to_lowercase().cmp(y.to_lowercase());
                if ord != Ordering::Equal {
                    return ord;
                }
                a.next();
                b.next();
            }
        }
    }
}

/// A run of digits without its leading zeros.
fn digits(it: &mut std::iter::Peekable<std::str::Chars<'_>>) -> String {
    let mut s = String::new();
    while let Some(c) = it.peek().copied().filter(char::is_ascii_digit) {
        if !(s.is_empty() && c == '0') {
            s.push(c);
        }
        it.next();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_compares_numbers_as_numbers_and_ignores_case() {
        let mut names = vec![
            "key 10", "Key 2", "alpha", "Key 1", "key 02b", "Beta", "key",
        ];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            vec!["alpha", "Beta", "key", "Key 1", "Key 2", "key 02b", "key 10"]
        );
        assert_eq!(natural_cmp("Zapier", "zapier"), Ordering::Equal);
        assert_eq!(natural_cmp("a007", "a7"), Ordering::Equal);
    }

    proptest::proptest! {
        #[test]
        fn natural_order_is_a_total_order(a in "[a-cA-C0-9 ]{0,6}", b in "[a-cA-C0-9 ]{0,6}", c in "[a-cA-C0-9 ]{0,6}") {
            proptest::prop_assert_eq!(natural_cmp(&a, &b), natural_cmp(&b, &a).reverse());
            if natural_cmp(&a, &b) != Ordering::Greater && natural_cmp(&b, &c) != Ordering::Greater {
                proptest::prop_assert_ne!(natural_cmp(&a, &c), Ordering::Greater);
            }
        }
    }
}
