//! What survives closing and reopening the store: last use, queued webhook messages with
//! their changes, and sealed keys whose master key has gone missing.

use keyward_core::clock::{to_datetime, HOUR, MINUTE, SECOND};
use keyward_core::{Disclosure, KeyFilter, NewKey, Secret, SecretKind};
use keyward_testkit::{code, Backend, Env, T0};

use crate::webhooks::{body, failed};

pub fn last_used_is_kept_in_memory_and_persisted_across_reopen(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    let t = env.store.create_token(&k.view.id).unwrap();
    assert_eq!(env.store.last_used(&k.view.id).unwrap(), None);

    env.at(5 * MINUTE);
    assert_eq!(env.verify(k.key.expose()), "VALID");
    assert_eq!(
        env.store.last_used(&k.view.id).unwrap(),
        Some(T0 + 5 * MINUTE)
    );
    // A second use within the minute is kept in memory only, and still visible.
    env.at(5 * MINUTE + 10_000);
    assert_eq!(env.verify(t.token.expose()), "VALID");
    env.at(5 * MINUTE + 20_000);
    assert_eq!(env.verify(k.key.expose()), "VALID");
    assert_eq!(
        env.store.last_used(&k.view.id).unwrap(),
        Some(T0 + 5 * MINUTE + 20_000)
    );
    assert_eq!(
        env.store.last_used(&t.id).unwrap(),
        Some(T0 + 5 * MINUTE + 10_000)
    );
    let view = env.store.key_view(&k.view.id).unwrap();
    assert_eq!(
        view.last_used_at,
        Some(to_datetime(T0 + 5 * MINUTE + 20_000))
    );
    assert!(view.in_use);

    // Closing flushes it; a new process sees it.
    let env = env.reopen();
    assert_eq!(
        env.store.last_used(&k.view.id).unwrap(),
        Some(T0 + 5 * MINUTE + 20_000)
    );
    assert_eq!(
        env.store.last_used(&t.id).unwrap(),
        Some(T0 + 5 * MINUTE + 10_000)
    );
    let listed = env.store.list_keys(&KeyFilter::default()).unwrap();
    assert_eq!(
        listed[0].last_used_at,
        Some(to_datetime(T0 + 5 * MINUTE + 20_000))
    );
    // Failed verifications are not uses.
    env.at(HOUR);
    env.verify(Secret::generate(SecretKind::AgencyKey).expose());
    assert_eq!(
        env.store.last_used(&k.view.id).unwrap(),
        Some(T0 + 5 * MINUTE + 20_000)
    );
}

pub fn a_queued_message_survives_reopening_the_store(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let hook = env.hook(&ada.id, "api_key", "created");
    env.key(&ada.id, "Durable");
    let before = env.due().remove(0);
    env.store
        .record_attempt(&before.message_id, failed(None, None))
        .unwrap();

    let env = env.reopen();
    assert_eq!(env.pending(&hook.view.id), 1);
    assert_eq!(env.store.next_delivery_at().unwrap(), Some(T0 + 5 * SECOND));
    env.clock.advance(5 * SECOND);
    let after = env.due();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].message_id, before.message_id);
    assert_eq!(after[0].body, before.body);
    assert_eq!(after[0].attempt, 2);
    assert_eq!(after[0].secret.as_str(), hook.secret);
    assert_eq!(env.deliveries(&hook.view.id).len(), 1);
}

pub fn every_queued_key_event_has_its_key_after_reopening(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let hook = env.hook(&ada.id, "api_key", "created");
    let mut created = Vec::new();
    for i in 0..20 {
        env.clock.advance(1);
        created.push(env.key(&ada.id, &format!("Key {i}")).view.id);
    }

    let env = env.reopen();
    let due = env.due();
    assert_eq!(due.len(), created.len());
    assert_eq!(env.pending(&hook.view.id), created.len());
    let mut announced = Vec::new();
    for m in &due {
        assert_eq!(m.event_type, "api_key.created");
        let id = body(m)["data"]["id"].as_str().unwrap().to_owned();
        let key = env.store.api_key(&id).expect("the key announced exists");
        assert_eq!(key.owner, ada.id);
        announced.push(id);
    }
    announced.sort();
    created.sort();
    assert_eq!(announced, created);
}

pub fn missing_master_key_keeps_verification_but_blocks_reveal_and_create(
    backend: &'static dyn Backend,
) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    assert_eq!(env.store.master_key_problem(), None);
    let master = env.dir().join("master.key");
    assert!(master.is_file());
    let closed = env.close();
    std::fs::remove_file(&master).unwrap();

    let env = closed.open();
    assert!(env.store.master_key_problem().is_some());
    assert_eq!(env.verify(k.key.expose()), "VALID");
    let err = env
        .store
        .reveal_key(&k.view.id, Disclosure::Copy)
        .unwrap_err();
    assert_eq!(err.code(), "MASTER_KEY_UNAVAILABLE");
    assert!(err.to_string().contains("master key"), "{err}");
    let err = env
        .store
        .create_key(NewKey {
            owner: "ada@example.com".into(),
            name: "Another".into(),
            location: None,
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(err.code(), "MASTER_KEY_UNAVAILABLE");
    assert_eq!(
        code(env.store.regenerate_key(&k.view.id, 0)),
        "MASTER_KEY_UNAVAILABLE"
    );
    assert_eq!(env.store.list_keys(&KeyFilter::default()).unwrap().len(), 1);
    assert_eq!(env.count("api_key.copied"), 0);
    assert!(
        !master.exists(),
        "a new master key was created over a sealed store"
    );
    // Tokens need no master key.
    let t = env.store.create_token(&k.view.id).unwrap();
    assert_eq!(env.verify(t.token.expose()), "VALID");

    let env = env.reopen();
    assert!(!master.exists());
    assert_eq!(env.verify(k.key.expose()), "VALID");
}
