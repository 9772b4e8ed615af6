//! Recently deleted: a deleted key (by hand or by the inactivity rule) stops verifying at
//! once, can be restored with its tokens as they were for 30 days, and is then purged for
//! good. "Clear API keys" and regeneration stay final.

use keyward_core::archive::Progress;
use keyward_core::clock::{to_datetime, DAY, HOUR};
use keyward_core::{Acting, Actor, KeyFilter, Manage};
use keyward_testkit::{code, Backend, Env, T0};

pub fn a_deleted_key_stops_at_once_and_comes_back_with_its_tokens(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada Lovelace", "ada@example.com");
    let mut settings = env.store.settings().unwrap();
    settings.token_lifetime_days = 5;
    settings.token_reminder_days = vec![1];
    env.store.update_settings(settings).unwrap();
    let k = env.key(&ada.id, "Zapier");
    let short = env.store.create_token(&k.view.id).unwrap();
    let revoked = env.store.create_token(&k.view.id).unwrap();
    env.store.revoke_token(&revoked.id).unwrap();
    env.at(DAY);
    assert_eq!(env.verify(k.key.expose()), "VALID");
    let mut settings = env.store.settings().unwrap();
    settings.token_lifetime_days = 365;
    env.store.update_settings(settings).unwrap();
    let live = env.store.create_token(&k.view.id).unwrap();

    env.at(2 * DAY);
    let ada_acts = Acting::new(
        &env.store,
        Actor {
            channel: "desktop".into(),
            user_id: Some(ada.id.clone()),
            admin: true,
        },
    );
    let gone = ada_acts.delete_key(&k.view.id, true, None).unwrap();
    assert_eq!(gone.tokens_deleted, 3);
    assert_eq!(gone.restorable_until, to_datetime(T0 + 32 * DAY));
    // Stopped at once: the key and every token, as if they never were.
    for s in [k.key.expose(), live.token.expose(), short.token.expose()] {
        assert_eq!(env.verify(s), "NOT_FOUND");
    }
    assert_eq!(code(env.store.key_view(&k.view.id)), "NOT_FOUND");
    assert!(env.keys(KeyFilter::default()).is_empty());
    assert!(env.store.list_tokens(None).unwrap().is_empty());

    let deleted = env.store.deleted_keys().unwrap();
    assert_eq!(deleted.len(), 1);
    let d = &deleted[0];
    assert_eq!(d.key.id, k.view.id);
    assert_eq!(d.key.name, "Zapier");
    assert_eq!(d.key.masked_key, k.view.masked_key);
    assert_eq!(d.reason, "deleted");
    assert_eq!(d.said, "Deleted by Ada Lovelace");
    assert_eq!(d.deleted_by.as_ref().unwrap().id, ada.id);
    assert_eq!(d.deleted_at, to_datetime(T0 + 2 * DAY));
    assert_eq!(d.purges_at, to_datetime(T0 + 32 * DAY));
    assert_eq!(d.purges_in, "in 30 days");
    assert!(!serde_json::to_string(&deleted)
        .unwrap()
        .contains(k.key.expose()));

    // Ten days later the short token has run out; the others are as they were.
    env.at(12 * DAY);
    let back = env.store.restore_key(&k.view.id).unwrap();
    assert_eq!(back.id, k.view.id);
    assert_eq!(back.status.as_str(), "active");
    assert_eq!(back.live_tokens, 1);
    assert_eq!(back.last_used_at, Some(to_datetime(T0 + DAY)));
    // Restoring is a "Keep": the inactivity clock starts again now.
    assert_eq!(back.deletes_at, Some(to_datetime(T0 + 12 * DAY + 90 * DAY)));
    assert_eq!(env.verify(k.key.expose()), "VALID");
    assert_eq!(env.verify(live.token.expose()), "VALID");
    assert_eq!(env.verify(revoked.token.expose()), "REVOKED");
    assert_eq!(env.verify(short.token.expose()), "EXPIRED");
    assert!(env.store.deleted_keys().unwrap().is_empty());
    assert_eq!(env.count("api_key.deleted"), 1);
    assert_eq!(env.count("api_key.restored"), 1);
    // Once back, it is not in the bin any more.
    assert_eq!(code(env.store.restore_key(&k.view.id)), "NOT_FOUND");
}

pub fn the_inactivity_rule_deletes_into_recently_deleted_and_30_days_later_it_is_purged(
    backend: &'static dyn Backend,
) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let k = env.key(&ada.id, "Quarterly export");
    let other = env.key(&ada.id, "Other");
    // The last reminder a day before, then the deadline.
    env.at(89 * DAY);
    assert!(env.store.run_lifecycle(false).unwrap().deleted.is_empty());
    env.at(90 * DAY);
    let report = env.store.run_lifecycle(false).unwrap();
    assert_eq!(report.deleted.len(), 2);
    assert!(report.deleted[0].message.contains("Recently deleted"));
    assert_eq!(env.verify(k.key.expose()), "NOT_FOUND");
    let deleted = env.store.deleted_keys().unwrap();
    assert_eq!(deleted.len(), 2);
    assert!(deleted.iter().all(|d| d.reason == "inactive"));
    assert!(deleted.iter().all(|d| d.said == "Deleted for inactivity"));
    assert!(deleted.iter().all(|d| d.deleted_by.is_none()));

    // Restored, it is not taken back by the next run: its clock started again.
    env.at(95 * DAY);
    env.store.restore_key(&k.view.id).unwrap();
    let report = env.store.run_lifecycle(false).unwrap();
    assert!(report.deleted.is_empty());
    assert_eq!(env.verify(k.key.expose()), "VALID");

    // The other one stays restorable for 30 days from its deletion, then goes for good.
    env.at(90 * DAY + 30 * DAY - HOUR);
    let report = env.store.run_lifecycle(false).unwrap();
    assert_eq!(report.purged, 0);
    assert_eq!(env.store.deleted_keys().unwrap().len(), 1);
    env.at(90 * DAY + 30 * DAY);
    let report = env.store.run_lifecycle(false).unwrap();
    assert_eq!(report.purged, 1);
    assert!(env.store.deleted_keys().unwrap().is_empty());
    assert_eq!(code(env.store.restore_key(&other.view.id)), "NOT_FOUND");
    assert_eq!(env.verify(other.key.expose()), "NOT_FOUND");
    assert_eq!(env.count("api_key.purged"), 1);
}

pub fn purge_now_clear_keys_and_regenerate_are_final(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let bob = env.manager("Bob", "bob@example.com");
    let k = env.key(&ada.id, "Old export");
    env.store.delete_key(&k.view.id, false).unwrap();
    let purged = env.store.purge_deleted_key(&k.view.id).unwrap();
    assert_eq!(purged.key.name, "Old export");
    assert!(env.store.deleted_keys().unwrap().is_empty());
    assert_eq!(code(env.store.restore_key(&k.view.id)), "NOT_FOUND");
    assert_eq!(code(env.store.purge_deleted_key(&k.view.id)), "NOT_FOUND");
    assert_eq!(env.count("api_key.purged"), 1);

    // Clearing a site manager's keys revokes them for good: nothing to restore.
    env.store.set_api_access(&bob.id, true).unwrap();
    let b = env.key(&bob.id, "Bob's form");
    env.store.clear_user_keys(&bob.id).unwrap();
    assert!(env.store.deleted_keys().unwrap().is_empty());
    assert_eq!(env.verify(b.key.expose()), "REVOKED");

    // A regenerated key's old secret is not a deleted key.
    let r = env.key(&ada.id, "Rotated");
    env.store.regenerate_key(&r.view.id, 0).unwrap();
    assert!(env.store.deleted_keys().unwrap().is_empty());
    assert_eq!(env.verify(r.key.expose()), "REVOKED");
}

pub fn a_manager_sees_and_restores_only_their_own_deleted_keys(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let bob = env.manager("Bob", "bob@example.com");
    env.store.set_api_access(&bob.id, true).unwrap();
    let mine = env.key(&bob.id, "Bob's form");
    let hers = env.key(&ada.id, "Ada's sync");
    env.store.delete_key(&mine.view.id, false).unwrap();
    env.store.delete_key(&hers.view.id, false).unwrap();
    let bob_acts = Acting::new(
        &env.store,
        Actor {
            channel: "http".into(),
            user_id: Some(bob.id.clone()),
            admin: false,
        },
    );
    let seen: Vec<String> = bob_acts
        .deleted_keys()
        .unwrap()
        .into_iter()
        .map(|d| d.key.id)
        .collect();
    assert_eq!(seen, vec![mine.view.id.clone()]);
    assert_eq!(code(bob_acts.restore_key(&hers.view.id)), "FORBIDDEN");
    assert_eq!(code(bob_acts.purge_deleted_key(&hers.view.id)), "FORBIDDEN");
    assert_eq!(env.store.deleted_keys().unwrap().len(), 2);
    bob_acts.restore_key(&mine.view.id).unwrap();
    assert_eq!(env.verify(mine.key.expose()), "VALID");
}

pub fn an_archive_carries_recently_deleted_keys_and_they_restore_in_the_new_store(
    backend: &'static dyn Backend,
) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let k = env.key(&ada.id, "Zapier");
    let t = env.store.create_token(&k.view.id).unwrap();
    env.store.delete_key(&k.view.id, true).unwrap();
    let (archive, _) = env
        .store
        .export_archive("correct horse battery staple")
        .unwrap();
    assert!(!String::from_utf8_lossy(&archive).contains(k.key.expose()));

    let dest = Env::on(backend);
    dest.store
        .import_archive(
            &archive,
            "correct horse battery staple",
            &mut |_: Progress| {},
        )
        .unwrap();
    assert_eq!(dest.store.deleted_keys().unwrap().len(), 1);
    dest.store.restore_key(&k.view.id).unwrap();
    assert_eq!(dest.verify(k.key.expose()), "VALID");
    assert_eq!(dest.verify(t.token.expose()), "VALID");
    let shown = dest
        .store
        .reveal_key(&k.view.id, keyward_core::Disclosure::Reveal)
        .unwrap();
    assert_eq!(shown.expose(), k.key.expose());
}
