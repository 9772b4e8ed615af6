//! Usage: verifications counted per key and per day — valid, and failed by code — written
//! in batches, added to what is stored, and kept 90 days.

use keyward_core::clock::{DAY, MINUTE};
use keyward_core::{KeyEdit, KeyFilter, KeySort, NewKey};
use keyward_testkit::{Backend, Env};

pub fn verifications_are_counted_per_key_and_day(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let k = env
        .store
        .create_key(NewKey {
            owner: ada.id.clone(),
            name: "Counted".into(),
            permissions: vec!["contacts:read".into()],
            ..Default::default()
        })
        .unwrap();
    let other = env.key(&ada.id, "Other");
    for _ in 0..3 {
        assert_eq!(env.verify(k.key.expose()), "VALID");
    }
    let t = env.store.create_token(&k.view.id).unwrap();
    assert_eq!(
        env.verify(t.token.expose()),
        "VALID",
        "a token counts for its key"
    );
    let v = env
        .store
        .verify_for(k.key.expose(), Some("contacts:write"))
        .unwrap();
    assert!(!v.valid);
    env.verify(other.key.expose());
    // Counted before anything is written.
    let today = env.store.key_usage(&k.view.id, 1).unwrap();
    assert_eq!(today.len(), 1);
    assert_eq!(today[0].valid, 4);
    assert_eq!(today[0].failed["INSUFFICIENT_PERMISSIONS"], 1);
    env.store.flush().unwrap();

    // The next day: disabled, it fails by code; yesterday is kept.
    env.at(DAY);
    env.store.set_key_disabled(&k.view.id, true).unwrap();
    env.verify(k.key.expose());
    env.verify(k.key.expose());
    env.store.flush().unwrap();
    let two = env.store.key_usage(&k.view.id, 2).unwrap();
    assert_eq!((two[0].valid, two[1].valid), (4, 0));
    assert_eq!(two[1].failed["DISABLED"], 2);
    assert!(two[0].date < two[1].date);
    // Written counts add up across saves (several processes may count the same key).
    env.store.edit_key(&k.view.id, KeyEdit::default()).unwrap();
    env.verify(k.key.expose());
    env.store.flush().unwrap();
    assert_eq!(
        env.store.key_usage(&k.view.id, 1).unwrap()[0].failed["DISABLED"],
        3
    );
    // Another key's counts are its own; unknown secrets count for no key.
    assert_eq!(env.store.key_usage(&other.view.id, 2).unwrap()[0].valid, 1);
    assert_eq!(env.verify("kwa_nonsense"), "MALFORMED");
    let usage = env.store.key_usage(&k.view.id, 30).unwrap();
    assert_eq!(usage.len(), 30);

    // Kept 90 days: 91 days on, the first day's two rows go; the lifecycle drops the
    // next day's the day after.
    env.at(91 * DAY);
    assert_eq!(env.store.drop_old_usage().unwrap(), 2);
    assert_eq!(env.store.drop_old_usage().unwrap(), 0);
    env.at(92 * DAY);
    env.store.run_lifecycle(false).unwrap();
    assert_eq!(
        env.store.drop_old_usage().unwrap(),
        0,
        "the lifecycle dropped it"
    );
    assert_eq!(env.store.key_usage(&k.view.id, 500).unwrap().len(), 90);
}

/// The keys list's usage column: each row's valid verifications over the last 30 days,
/// oldest first, today last, from the page itself.
pub fn the_keys_page_carries_each_rows_last_30_days_of_valid_verifications(
    backend: &'static dyn Backend,
) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let busy = env.key(&ada.id, "Busy");
    let quiet = env.key(&ada.id, "Quiet");
    let line = |id: &str| {
        let page = env
            .store
            .key_page(&KeyFilter::default(), KeySort::default(), 0, 50)
            .unwrap();
        assert_eq!(page.usage.len(), page.rows.len(), "a line for every row");
        page.usage[id].clone()
    };
    let total = |l: &[u64]| l.iter().sum::<u64>();

    // A key never verified has thirty zeros, read before any verification.
    assert_eq!(line(&busy.view.id), vec![0; 30]);
    // Counted in memory, not yet saved: the page shows them already.
    for _ in 0..3 {
        assert_eq!(env.verify(busy.key.expose()), "VALID");
    }
    let l = line(&busy.view.id);
    assert_eq!((l.len(), l[29], total(&l)), (30, 3, 3));
    assert_eq!(line(&quiet.view.id), vec![0; 30]);
    // A failed verification is not a use.
    env.store.set_key_disabled(&busy.view.id, true).unwrap();
    assert_eq!(env.verify(busy.key.expose()), "DISABLED");
    env.store.set_key_disabled(&busy.view.id, false).unwrap();
    assert_eq!(line(&busy.view.id)[29], 3);

    // Saved after the page read the stored days: counted once, not lost nor doubled.
    env.store.flush().unwrap();
    assert_eq!(line(&busy.view.id)[29], 3);
    assert_eq!(env.verify(busy.key.expose()), "VALID");
    env.store.flush().unwrap();
    assert_eq!(line(&busy.view.id)[29], 4);

    // The next day, yesterday is one slot back; read again from the store, the same.
    env.at(DAY);
    env.verify(busy.key.expose());
    env.verify(busy.key.expose());
    let l = line(&busy.view.id);
    assert_eq!((l[28], l[29], total(&l)), (4, 2, 6));
    env.store.flush().unwrap();
    env.at(DAY + 2 * MINUTE);
    assert_eq!(line(&busy.view.id), l);
    assert_eq!(line(&quiet.view.id), vec![0; 30]);

    // Thirty days on, the first day has left the window.
    env.at(30 * DAY);
    let l = line(&busy.view.id);
    assert_eq!((l[0], total(&l)), (2, 2));
}
