//! Site managers: adding, finding by email in any case, editing, deactivating, API access,
//! and Clear API keys.

use keyward_core::{Disclosure, ErrorClass, KeyFilter, NewKey, NewUser, UserEdit};
use keyward_testkit::{code, sorted, status, Backend, Env};

pub fn add_user_gives_admins_api_access_and_managers_none(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada Lovelace", "ada@example.com");
    let bob = env.manager("Bob Manager", "bob@example.com");
    assert!(ada.id.starts_with("usr_"));
    assert_eq!(ada.role, "admin");
    assert!(ada.active && ada.api_access);
    assert_eq!(bob.role, "manager");
    assert!(bob.active && !bob.api_access);
    let all = env.store.list_users().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(env.count("user.created"), 2);
}

pub fn email_is_unique_case_insensitively(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    let before = env.audit().len();
    let err = env
        .store
        .add_user(NewUser {
            name: "Another Ada".into(),
            email: "  ADA@Example.COM ".into(),
            admin: false,
        })
        .unwrap_err();
    assert_eq!(err.code(), "EMAIL_TAKEN");
    assert_eq!(err.class(), ErrorClass::Refused);
    assert_eq!(env.store.list_users().unwrap().len(), 1);
    assert_eq!(env.audit().len(), before);
}

pub fn user_lookup_by_email_ignores_case(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "Ada@Example.com");
    for needle in [
        "ada@example.com",
        "ADA@EXAMPLE.COM",
        " Ada@Example.com ",
        &ada.id,
    ] {
        assert_eq!(env.store.user(needle).unwrap().id, ada.id, "{needle}");
        assert_eq!(env.store.user_view(needle).unwrap().id, ada.id);
    }
    assert_eq!(
        env.store.user_view("ada@example.com").unwrap().email,
        "Ada@Example.com"
    );
    assert_eq!(code(env.store.user("nobody@example.com")), "NOT_FOUND");
    assert_eq!(code(env.store.user("usr_NOPE")), "NOT_FOUND");
}

pub fn user_lookup_by_email_works_when_the_email_starts_like_an_id(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ops = env.admin("Ops", "usr_ops@example.com");
    assert_eq!(env.store.user("usr_ops@example.com").unwrap().id, ops.id);
    assert_eq!(env.store.user("USR_OPS@example.com").unwrap().id, ops.id);
    let k = env.key("usr_ops@example.com", "Ops key");
    assert_eq!(k.view.owner.id, ops.id);
    env.store
        .set_api_access("usr_ops@example.com", false)
        .unwrap();
    assert_eq!(env.verify(k.key.expose()), "API_ACCESS_OFF");
}

pub fn edit_user_changes_name_and_email_and_moves_the_email_index(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    env.admin("Bob", "bob@example.com");
    let edited = env
        .store
        .edit_user(
            "ADA@example.com",
            UserEdit {
                name: Some("  Ada King ".into()),
                email: Some("countess@example.com".into()),
            },
        )
        .unwrap();
    assert_eq!(edited.id, ada.id);
    assert_eq!(edited.name, "Ada King");
    assert_eq!(edited.email, "countess@example.com");
    assert_eq!(env.store.user("Countess@Example.com").unwrap().id, ada.id);
    assert_eq!(code(env.store.user("ada@example.com")), "NOT_FOUND");
    // The old email is free again.
    let other = env.manager("Other Ada", "ADA@example.com");
    assert_ne!(other.id, ada.id);

    // Another user's email (any case) is refused and nothing changes.
    let err = env.store.edit_user(
        &ada.id,
        UserEdit {
            name: Some("Renamed".into()),
            email: Some("BOB@example.com".into()),
        },
    );
    assert_eq!(code(err), "EMAIL_TAKEN");
    let still = env.store.user_view(&ada.id).unwrap();
    assert_eq!(
        (still.name.as_str(), still.email.as_str()),
        ("Ada King", "countess@example.com")
    );
    assert_eq!(env.store.user("bob@example.com").unwrap().name, "Bob");

    // Bad input is refused.
    let bad = UserEdit {
        name: Some("   ".into()),
        email: None,
    };
    assert_eq!(code(env.store.edit_user(&ada.id, bad)), "INVALID_INPUT");
    let bad = UserEdit {
        name: None,
        email: Some("not-an-email".into()),
    };
    assert_eq!(code(env.store.edit_user(&ada.id, bad)), "INVALID_INPUT");
    assert_eq!(
        code(env.store.edit_user("usr_NOPE", UserEdit::default())),
        "NOT_FOUND"
    );
    assert_eq!(env.count("user.updated"), 1);
}

pub fn deactivated_owner_keys_fail_with_user_deactivated_until_reactivated(
    backend: &'static dyn Backend,
) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let k = env.key(&ada.id, "Zapier");
    let t = env.store.create_token(&k.view.id).unwrap();
    assert_eq!(env.verify(k.key.expose()), "VALID");

    let v = env.store.set_user_active("ada@example.com", false).unwrap();
    assert!(!v.active);
    assert_eq!(env.verify(k.key.expose()), "USER_DEACTIVATED");
    assert_eq!(env.verify(t.token.expose()), "USER_DEACTIVATED");
    assert_eq!(
        env.store.key_view(&k.view.id).unwrap().status,
        "owner_deactivated"
    );
    assert_eq!(code(env.store.create_token(&k.view.id)), "USER_DEACTIVATED");

    let v = env.store.set_user_active(&ada.id, true).unwrap();
    assert!(v.active);
    assert_eq!(env.verify(k.key.expose()), "VALID");
    assert_eq!(env.verify(t.token.expose()), "VALID");
    assert_eq!(env.store.key_view(&k.view.id).unwrap().status, "active");
}

pub fn api_access_off_fails_with_api_access_off_until_turned_back_on(
    backend: &'static dyn Backend,
) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let k = env.key(&ada.id, "Zapier");
    let t = env.store.create_token(&k.view.id).unwrap();

    assert!(!env.store.set_api_access(&ada.id, false).unwrap().api_access);
    assert_eq!(env.verify(k.key.expose()), "API_ACCESS_OFF");
    assert_eq!(env.verify(t.token.expose()), "API_ACCESS_OFF");
    assert_eq!(env.store.key_view(&k.view.id).unwrap().status, "access_off");

    assert!(env.store.set_api_access(&ada.id, true).unwrap().api_access);
    assert_eq!(env.verify(k.key.expose()), "VALID");
    assert_eq!(env.verify(t.token.expose()), "VALID");
}

pub fn create_key_is_refused_for_deactivated_or_access_off_owners(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let bob = env.manager("Bob", "bob@example.com");
    let new = |owner: &str| NewKey {
        owner: owner.into(),
        name: "Reporting".into(),
        location: None,
        ..Default::default()
    };
    // Managers start with API access off.
    assert_eq!(code(env.store.create_key(new(&bob.id))), "API_ACCESS_OFF");
    env.store.set_api_access(&bob.id, true).unwrap();
    env.store.set_user_active(&bob.id, false).unwrap();
    let err = env.store.create_key(new("bob@example.com")).unwrap_err();
    assert_eq!(err.code(), "USER_DEACTIVATED");
    assert_eq!(err.class(), ErrorClass::Refused);
    assert!(env
        .store
        .list_keys(&KeyFilter::default())
        .unwrap()
        .is_empty());
    assert_eq!(env.count("api_key.created"), 0);

    env.store.set_user_active(&bob.id, true).unwrap();
    let k = env.store.create_key(new(&bob.id)).unwrap();
    assert_eq!(env.verify(k.key.expose()), "VALID");
    assert_eq!(
        code(env.store.create_key(new("nobody@example.com"))),
        "NOT_FOUND"
    );
}

pub fn clear_user_keys_revokes_keys_and_tokens_for_good_and_turns_access_off(
    backend: &'static dyn Backend,
) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let bob = env.admin("Bob", "bob@example.com");
    let ka = env.key(&ada.id, "Zapier");
    let kb = env.key(&ada.id, "Billing");
    let kbob = env.key(&bob.id, "Bob's key");
    let t1 = env.store.create_token(&ka.view.id).unwrap();
    let t2 = env.store.create_token(&ka.view.id).unwrap();
    let t3 = env.store.create_token(&kb.view.id).unwrap();
    let tbob = env.store.create_token(&kbob.view.id).unwrap();

    let report = env.store.clear_user_keys("ADA@example.com").unwrap();
    assert_eq!(report.keys_revoked, 2);
    assert_eq!(report.tokens_revoked, 3);
    assert_eq!(report.user.id, ada.id);
    assert!(!report.user.api_access);
    assert_eq!(report.user.keys, 0);
    assert_eq!(env.count("user.keys_cleared"), 1);

    for s in [
        ka.key.expose(),
        kb.key.expose(),
        t1.token.expose(),
        t2.token.expose(),
        t3.token.expose(),
    ] {
        assert_eq!(env.verify(s), "REVOKED");
    }
    // For good: turning access back on does not bring them back.
    env.store.set_api_access(&ada.id, true).unwrap();
    for s in [
        ka.key.expose(),
        kb.key.expose(),
        t1.token.expose(),
        t3.token.expose(),
    ] {
        assert_eq!(env.verify(s), "REVOKED");
    }
    assert_eq!(code(env.store.create_token(&ka.view.id)), "REVOKED");
    assert_eq!(code(env.store.regenerate_key(&ka.view.id, 0)), "REVOKED");
    assert_eq!(
        code(env.store.reveal_key(&ka.view.id, Disclosure::Reveal)),
        "REVOKED"
    );
    assert_eq!(
        env.keys(status("revoked")),
        sorted(&[&ka.view.id, &kb.view.id])
    );
    // Someone else's keys are untouched.
    assert_eq!(env.verify(kbob.key.expose()), "VALID");
    assert_eq!(env.verify(tbob.token.expose()), "VALID");

    // Clearing again finds nothing left to revoke.
    let again = env.store.clear_user_keys(&ada.id).unwrap();
    assert_eq!((again.keys_revoked, again.tokens_revoked), (0, 0));
}
