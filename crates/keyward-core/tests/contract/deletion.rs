//! Deleting a key: refused while it is in use (used within 30 days, or live tokens) unless
//! forced; its tokens go with it.

use keyward_core::clock::DAY;
use keyward_core::{ErrorClass, KeyFilter};
use keyward_testkit::{code, Backend, Env};

pub fn delete_refuses_key_used_within_30_days_unless_forced(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    let other = env.key("ada@example.com", "Other");
    env.at(DAY);
    assert_eq!(env.verify(k.key.expose()), "VALID");
    assert_eq!(env.verify(other.key.expose()), "VALID");

    env.at(30 * DAY);
    let before = env.audit().len();
    let err = env.store.delete_key(&k.view.id, false).unwrap_err();
    assert_eq!(err.code(), "KEY_IN_USE");
    assert_eq!(err.class(), ErrorClass::Refused);
    assert!(err.to_string().contains("Zapier"));
    assert!(!err.to_string().contains(k.key.expose()));
    assert_eq!(env.audit().len(), before);
    assert!(env.store.key_view(&k.view.id).unwrap().in_use);

    let gone = env.store.delete_key(&k.view.id, true).unwrap();
    assert_eq!(gone.id, k.view.id);
    assert!(gone.was_in_use);
    assert_eq!(env.verify(k.key.expose()), "NOT_FOUND");
    assert_eq!(code(env.store.key_view(&k.view.id)), "NOT_FOUND");
    assert_eq!(env.count("api_key.deleted"), 1);

    // Last used 31 days ago: no longer in use.
    env.at(32 * DAY);
    let gone = env.store.delete_key(&other.view.id, false).unwrap();
    assert!(!gone.was_in_use);
    assert_eq!(env.verify(other.key.expose()), "NOT_FOUND");
}

pub fn delete_refuses_key_with_live_tokens_and_force_removes_them(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    let t1 = env.store.create_token(&k.view.id).unwrap();
    let t2 = env.store.create_token(&k.view.id).unwrap();
    env.store.revoke_token(&t2.id).unwrap();
    env.at(40 * DAY);
    assert_eq!(env.store.key_view(&k.view.id).unwrap().live_tokens, 1);
    assert_eq!(code(env.store.delete_key(&k.view.id, false)), "KEY_IN_USE");
    assert_eq!(env.verify(t1.token.expose()), "VALID");

    // Used within the last minute: the newest use is held in memory only.
    assert_eq!(env.verify(k.key.expose()), "VALID");
    env.at(40 * DAY + 1_000);
    assert_eq!(env.verify(k.key.expose()), "VALID");
    assert_eq!(env.verify(t1.token.expose()), "VALID");
    let gone = env.store.delete_key(&k.view.id, true).unwrap();
    assert!(gone.was_in_use);
    assert_eq!(gone.tokens_deleted, 2);
    // Nothing about the key or its tokens is left behind, in memory or on disk.
    assert_eq!(env.store.last_used(&k.view.id).unwrap(), None);
    assert_eq!(env.store.last_used(&t1.id).unwrap(), None);
    let env = env.reopen();
    assert_eq!(env.store.last_used(&k.view.id).unwrap(), None);
    assert_eq!(env.store.last_used(&t1.id).unwrap(), None);
    assert_eq!(env.verify(k.key.expose()), "NOT_FOUND");
    assert_eq!(env.verify(t1.token.expose()), "NOT_FOUND");
    assert_eq!(env.verify(t2.token.expose()), "NOT_FOUND");
    assert!(env.store.list_tokens(None).unwrap().is_empty());
    assert_eq!(code(env.store.list_tokens(Some(&k.view.id))), "NOT_FOUND");
    assert_eq!(code(env.store.revoke_token(&t1.id)), "NOT_FOUND");
}

pub fn delete_unused_key_needs_no_force(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    env.at(31 * DAY);
    assert!(!env.store.key_view(&k.view.id).unwrap().in_use);
    let gone = env.store.delete_key(&k.view.id, false).unwrap();
    assert_eq!(gone.name, "Zapier");
    assert_eq!(gone.owner.email, "ada@example.com");
    assert!(!gone.was_in_use);
    assert_eq!(gone.tokens_deleted, 0);
    assert_eq!(env.verify(k.key.expose()), "NOT_FOUND");
    assert!(env
        .store
        .list_keys(&KeyFilter::default())
        .unwrap()
        .is_empty());
    assert_eq!(env.count("api_key.deleted"), 1);
    assert_eq!(code(env.store.delete_key(&k.view.id, true)), "NOT_FOUND");
}
