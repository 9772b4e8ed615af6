//! The paged, sorted keys list the desktop's API keys page reads.

use keyward_core::clock::{DAY, MINUTE};
use keyward_core::{KeyFilter, KeyPage, KeySort, KeyView, SortColumn, SortDir, UserEdit};
use keyward_testkit::{Backend, Env, T0};
use proptest::prelude::*;

/// A key created a minute after the previous one, so "newest first" is well defined.
fn key(env: &Env, owner: &str, name: &str, location: Option<&str>) -> KeyView {
    env.clock.advance(MINUTE);
    env.key_at(owner, name, location).view
}

fn page(
    env: &Env,
    filter: &KeyFilter,
    column: SortColumn,
    dir: SortDir,
    offset: usize,
    limit: usize,
) -> KeyPage {
    env.store
        .key_page(filter, KeySort { column, dir }, offset, limit)
        .unwrap()
}

fn names(p: &KeyPage) -> Vec<&str> {
    p.rows.iter().map(|k| k.name.as_str()).collect()
}

fn all(env: &Env, column: SortColumn, dir: SortDir) -> Vec<String> {
    page(env, &KeyFilter::default(), column, dir, 0, 1000)
        .rows
        .into_iter()
        .map(|k| k.name)
        .collect()
}

/// Ada owns "Key 2", "key 10" and "Alpha"; Bob owns "Beta" at the Downtown location.
fn small(backend: &'static dyn Backend) -> Env {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    env.admin("bob", "bob@example.com");
    let loc = env.store.add_location("Downtown").unwrap();
    key(&env, "ada@example.com", "Key 2", None);
    key(&env, "ada@example.com", "key 10", None);
    key(&env, "bob@example.com", "Beta", Some(&loc.id));
    key(&env, "ada@example.com", "Alpha", None);
    env
}

pub fn default_order_is_newest_first(backend: &'static dyn Backend) {
    let env = small(backend);
    let p = env
        .store
        .key_page(&KeyFilter::default(), KeySort::default(), 0, 50)
        .unwrap();
    assert_eq!(names(&p), ["Alpha", "Beta", "key 10", "Key 2"]);
    assert_eq!((p.matching, p.total, p.offset), (4, 4, 0));
}

pub fn each_column_sorts_both_ways(backend: &'static dyn Backend) {
    let env = small(backend);
    use SortColumn::*;
    assert_eq!(
        all(&env, Name, SortDir::Asc),
        ["Alpha", "Beta", "Key 2", "key 10"]
    );
    assert_eq!(
        all(&env, Name, SortDir::Desc),
        ["key 10", "Key 2", "Beta", "Alpha"]
    );
    // Ada before bob whatever the case; Ada's keys by id within (the tie-break).
    assert_eq!(
        all(&env, Owner, SortDir::Asc),
        ["Key 2", "key 10", "Alpha", "Beta"]
    );
    assert_eq!(all(&env, Scope, SortDir::Asc)[3], "Beta");
    assert_eq!(all(&env, Scope, SortDir::Desc)[0], "Beta");
    assert_eq!(
        all(&env, Created, SortDir::Asc),
        ["Key 2", "key 10", "Beta", "Alpha"]
    );

    // Used and token-holding keys.
    let used = env.store.list_keys(&KeyFilter::default()).unwrap();
    let beta = used.iter().find(|k| k.name == "Beta").unwrap().id.clone();
    let k2 = used.iter().find(|k| k.name == "Key 2").unwrap().id.clone();
    env.store.create_token(&beta).unwrap();
    env.store.create_token(&beta).unwrap();
    env.store.create_token(&k2).unwrap();
    assert_eq!(all(&env, LiveTokens, SortDir::Desc)[..2], ["Beta", "Key 2"]);
    assert_eq!(all(&env, LastUsed, SortDir::Asc).len(), 4);
}

pub fn status_sorts_by_the_badge_with_deletions_soonest_first(backend: &'static dyn Backend) {
    let env = small(backend);
    let ids: Vec<(String, String)> = env
        .store
        .list_keys(&KeyFilter::default())
        .unwrap()
        .into_iter()
        .map(|k| (k.name, k.id))
        .collect();
    let id = |n: &str| ids.iter().find(|(name, _)| name == n).unwrap().1.clone();
    env.store.set_key_disabled(&id("Beta"), true).unwrap();
    env.store.delete_key_typed(&id("key 10"), None).unwrap();
    // Day 80: keys created at T0 + minutes are 10 days from deletion; keep one.
    env.clock.set(T0 + 80 * DAY);
    env.store.keep_key(&id("Alpha")).unwrap();
    let order = all(&env, SortColumn::Status, SortDir::Asc);
    // "Alpha" is Active (kept); "Key 2" deletes in 10 days; Beta is disabled but its
    // coming deletion outranks that; "key 10" was deleted.
    assert_eq!(order[0], "Alpha");
    assert_eq!(&order[1..3], ["Key 2", "Beta"]);
    assert_eq!(order.len(), 3, "a deleted key is gone: {order:?}");
}

/// "Needs attention": the coming deletion first, then the rotating key, then the key that
/// does not work, then working keys (newest first), the revoked one last.
pub fn attention_puts_coming_deletions_then_rotations_then_broken_keys_first(
    backend: &'static dyn Backend,
) {
    let env = small(backend);
    let carol = env.admin("Carol", "carol@example.com");
    let doomed = key(&env, "carol@example.com", "Gone", None);
    let id = |n: &str| {
        env.store
            .list_keys(&KeyFilter::default())
            .unwrap()
            .into_iter()
            .find(|k| k.name == n)
            .unwrap()
            .id
    };
    // Day 80: every key is 10 days from deletion; keep all but "Key 2".
    env.clock.set(T0 + 80 * DAY);
    for n in ["Alpha", "Beta", "key 10"] {
        env.store.keep_key(&id(n)).unwrap();
    }
    env.store.set_key_disabled(&id("Beta"), true).unwrap();
    env.store
        .regenerate_key(&id("key 10"), 24 * keyward_core::clock::HOUR)
        .unwrap();
    env.store.clear_user_keys(&carol.id).unwrap();
    assert_eq!(doomed.name, "Gone");
    let order = all(&env, SortColumn::Attention, SortDir::Asc);
    assert_eq!(order, ["Key 2", "key 10", "Beta", "Alpha", "Gone"]);
}

pub fn pages_slice_the_sorted_list_and_count_matches(backend: &'static dyn Backend) {
    let env = small(backend);
    let f = KeyFilter::default();
    let first = page(&env, &f, SortColumn::Name, SortDir::Asc, 0, 2);
    let second = page(&env, &f, SortColumn::Name, SortDir::Asc, 2, 2);
    let past = page(&env, &f, SortColumn::Name, SortDir::Asc, 9, 2);
    assert_eq!(names(&first), ["Alpha", "Beta"]);
    assert_eq!(names(&second), ["Key 2", "key 10"]);
    assert!(past.rows.is_empty());
    assert_eq!((past.offset, past.matching), (4, 4));

    let ada = KeyFilter {
        owner: Some("ada@example.com".into()),
        ..Default::default()
    };
    let p = page(&env, &ada, SortColumn::Name, SortDir::Asc, 1, 10);
    assert_eq!(names(&p), ["Key 2", "key 10"]);
    assert_eq!((p.matching, p.total), (3, 4));

    let none = KeyFilter {
        search: Some("no such key".into()),
        ..Default::default()
    };
    let p = page(&env, &none, SortColumn::Created, SortDir::Desc, 0, 10);
    assert_eq!((p.matching, p.total, p.rows.len()), (0, 4, 0));
}

pub fn bad_filters_are_refused_as_in_the_full_list(backend: &'static dyn Backend) {
    let env = small(backend);
    let bad = KeyFilter {
        status: Some("bogus".into()),
        ..Default::default()
    };
    let err = env
        .store
        .key_page(&bad, KeySort::default(), 0, 10)
        .unwrap_err();
    assert_eq!(err.code(), "INVALID_INPUT");
}

pub fn a_page_holds_at_most_page_max_rows(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    for i in 0..1005 {
        key(&env, "ada@example.com", &format!("k{i}"), None);
    }
    let p = page(
        &env,
        &KeyFilter::default(),
        SortColumn::Created,
        SortDir::Desc,
        0,
        usize::MAX,
    );
    assert_eq!(p.rows.len(), keyward_core::key_page::PAGE_MAX);
    assert_eq!(p.matching, 1005);
}

pub fn owner_renames_move_keys_in_the_owner_order(backend: &'static dyn Backend) {
    let env = small(backend);
    env.store
        .edit_user(
            "ada@example.com",
            UserEdit {
                name: Some("Zed".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(all(&env, SortColumn::Owner, SortDir::Asc)[0], "Beta");
}

/// Pages of any size, read one after another, give the whole sorted list once.
pub fn pages_cover_the_list_exactly_once(backend: &'static dyn Backend) {
    proptest!(ProptestConfig { cases: 16, ..ProptestConfig::default() }, |(
        names in proptest::collection::vec("[A-Za-z0-9][A-Za-z0-9 ]{0,7}", 1..25),
        size in 1usize..7,
        column in 0usize..7,
        desc in any::<bool>(),
    )| {
        let env = Env::on(backend);
        env.admin("Ada", "ada@example.com");
        for n in &names {
            key(&env, "ada@example.com", n, None);
        }
        let columns = [
            SortColumn::Name, SortColumn::Owner, SortColumn::Scope, SortColumn::Status,
            SortColumn::Created, SortColumn::LastUsed, SortColumn::LiveTokens,
        ];
        let dir = if desc { SortDir::Desc } else { SortDir::Asc };
        let whole: Vec<String> = page(&env, &KeyFilter::default(), columns[column], dir, 0, 1000)
            .rows.into_iter().map(|k| k.id).collect();
        let mut paged = Vec::new();
        let mut offset = 0;
        loop {
            let p = page(&env, &KeyFilter::default(), columns[column], dir, offset, size);
            prop_assert_eq!(p.matching, names.len());
            if p.rows.is_empty() { break; }
            offset += p.rows.len();
            paged.extend(p.rows.into_iter().map(|k| k.id));
        }
        prop_assert_eq!(&paged, &whole);
        let mut ids = whole.clone();
        ids.sort();
        ids.dedup();
        prop_assert_eq!(ids.len(), names.len());
    });
}

pub fn deletion_near_follows_the_earliest_reminder_a_scheduled_reminder_and_revocation(
    backend: &'static dyn Backend,
) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    let k = key(&env, "ada@example.com", "Marketing Automation", None);
    let view = |env: &Env| env.store.key_view(&k.id).unwrap();

    // 90-day inactivity, earliest reminder 15 days ahead.
    env.clock.set(T0 + 60 * DAY);
    assert!(!view(&env).deletion_near, "30 days left");
    env.clock.set(T0 + 80 * DAY);
    assert!(view(&env).deletion_near, "10 days left");

    // A reminder raised for this deadline keeps it shown when the window shrinks.
    env.store.run_lifecycle(false).unwrap();
    assert!(view(&env).deletion_scheduled);
    let mut s = env.store.settings().unwrap();
    s.reminder_days = vec![7, 1];
    env.store.update_settings(s).unwrap();
    assert!(view(&env).deletion_near, "scheduled, though 10 > 7 days");

    // The list says the same as the single view.
    let listed = env.store.list_keys(&KeyFilter::default()).unwrap();
    assert!(listed[0].deletion_near);

    // A revoked key (Clear API keys) has no deletion to show.
    env.store.clear_user_keys("ada@example.com").unwrap();
    let revoked = view(&env);
    assert_eq!(revoked.status, "revoked");
    assert!(!revoked.deletion_near);
}
