//! API keys: creating, listing and filtering, revealing, disabling, keeping, names, and
//! the errors the key calls answer with.

use keyward_core::clock::{to_datetime, DAY, HOUR};
use keyward_core::{
    AuditFilter, CredentialKind, Disclosure, ErrorClass, KeyFilter, NewKey, NewUser, ScopeView,
};
use keyward_testkit::{code, sorted, status, Backend, Env, T0};

pub fn created_key_verifies_as_api_key_with_owner_and_scope(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada Lovelace", "ada@example.com");
    let k = env.key("ada@example.com", "  Zapier sync  ");
    assert!(k.view.id.starts_with("key_"));
    assert_eq!(k.view.name, "Zapier sync");
    assert_eq!(k.view.status, "active");
    assert_eq!(k.view.owner.id, ada.id);
    assert_eq!(k.view.masked_key, k.key.mask());
    assert_eq!(k.view.created_at, to_datetime(T0));
    assert_eq!(k.view.last_used_at, None);
    assert_eq!(k.view.live_tokens, 0);
    assert_eq!(k.view.deletes_at, Some(to_datetime(T0 + 90 * DAY)));
    assert_eq!(k.view.deletes_in_days, Some(90));
    assert_eq!(k.key.expose().len(), 42);

    let v = env.store.verify(k.key.expose()).unwrap();
    assert!(v.valid);
    assert_eq!(v.code, None);
    let id = v.identity.unwrap();
    assert_eq!(id.kind, CredentialKind::ApiKey);
    assert_eq!(id.key_id, k.view.id);
    assert_eq!(id.token_id, None);
    assert_eq!(id.owner.id, ada.id);
    assert_eq!(id.owner.name, "Ada Lovelace");
    assert_eq!(id.owner.email, "ada@example.com");
    assert_eq!(id.scope, ScopeView::Agency);
    assert_eq!(id.expires_at, None);

    // The shown-once answer carries the key; the audit event does not.
    let json = serde_json::to_value(&k).unwrap();
    assert_eq!(json["key"], k.key.expose());
    let created = env.audit();
    let created: Vec<_> = created
        .iter()
        .filter(|e| e.action == "api_key.created")
        .collect();
    assert_eq!(created.len(), 1);
    assert!(!created[0].summary.contains(k.key.expose()));
}

pub fn list_keys_filters_by_owner_status_and_search(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    env.admin("Bob", "bob@example.com");
    let ka = env.key("ada@example.com", "Zapier sync");
    let kb = env.key("bob@example.com", "Billing export");
    let kc = env.key("ada@example.com", "Marketing automation");
    let (a, b, c) = (
        ka.view.id.as_str(),
        kb.view.id.as_str(),
        kc.view.id.as_str(),
    );

    // Newest first.
    let all: Vec<String> = env
        .store
        .list_keys(&KeyFilter::default())
        .unwrap()
        .into_iter()
        .map(|k| k.id)
        .collect();
    assert_eq!(all, [c, b, a]);

    let by_owner = |o: &str| KeyFilter {
        owner: Some(o.into()),
        ..Default::default()
    };
    assert_eq!(env.keys(by_owner("ADA@example.com")), sorted(&[a, c]));
    assert_eq!(env.keys(by_owner("bob@example.com")), sorted(&[b]));
    assert_eq!(
        code(env.store.list_keys(&by_owner("nobody@example.com"))),
        "NOT_FOUND"
    );

    let search = |q: &str| KeyFilter {
        search: Some(q.into()),
        ..Default::default()
    };
    assert_eq!(env.keys(search("zapier")), sorted(&[a]));
    assert_eq!(env.keys(search("BILLING")), sorted(&[b]));
    assert_eq!(env.keys(search("bob@example")), sorted(&[b]));
    assert_eq!(env.keys(search("ada@")), sorted(&[a, c]));
    assert!(env.keys(search("no such thing")).is_empty());

    env.store.set_key_disabled(c, true).unwrap();
    assert_eq!(env.keys(status("disabled")), sorted(&[c]));
    assert_eq!(env.keys(status("active")), sorted(&[a, b]));
    assert!(env.keys(status("in_use")).is_empty());
    assert!(env.keys(status("expiring")).is_empty());

    // Day 76: unused keys are within 15 days of deletion; a used one is in use.
    env.at(76 * DAY);
    assert_eq!(env.verify(kb.key.expose()), "VALID");
    assert_eq!(env.keys(status("in_use")), sorted(&[b]));
    assert_eq!(env.keys(status("expiring")), sorted(&[a, c]));
    let combined = KeyFilter {
        owner: Some("ada@example.com".into()),
        status: Some("disabled".into()),
        search: Some("market".into()),
        scope: None,
    };
    assert_eq!(env.keys(combined), sorted(&[c]));
}

pub fn list_keys_rejects_unknown_status(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    env.key("ada@example.com", "Zapier");
    let err = env.store.list_keys(&status("bogus")).unwrap_err();
    assert_eq!(err.code(), "INVALID_INPUT");
    assert_eq!(err.class(), ErrorClass::Usage);
}

pub fn listings_never_contain_full_secrets(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let loc = env.store.add_location("Downtown").unwrap();
    let k1 = env.key(&ada.id, "Zapier");
    let k2 = env
        .store
        .create_key(NewKey {
            owner: ada.id.clone(),
            name: "Kiosk".into(),
            location: Some(loc.id),
            ..Default::default()
        })
        .unwrap();
    let t = env.store.create_token(&k1.view.id).unwrap();
    let k3 = env.store.regenerate_key(&k2.view.id, HOUR).unwrap();
    env.verify(k1.key.expose());
    let keys = serde_json::to_string(&env.store.list_keys(&KeyFilter::default()).unwrap()).unwrap();
    let one = serde_json::to_string(&env.store.key_view(&k1.view.id).unwrap()).unwrap();
    let tokens = serde_json::to_string(&env.store.list_tokens(None).unwrap()).unwrap();
    let users = serde_json::to_string(&env.store.list_users().unwrap()).unwrap();
    env.store.flush().unwrap();
    let audit = serde_json::to_string(&env.audit()).unwrap();
    for secret in [&k1.key, &k2.key, &k3.key, &t.token] {
        let s = secret.expose();
        for (what, text) in [
            ("keys", &keys),
            ("key", &one),
            ("tokens", &tokens),
            ("users", &users),
            ("audit", &audit),
        ] {
            assert!(!text.contains(s), "{what} contains a full secret");
            // Not even the random body.
            assert!(
                !text.contains(&s[8..38]),
                "{what} contains most of a secret"
            );
        }
    }
    assert!(keys.contains(&k1.key.mask()));
}

pub fn reveal_returns_the_secret_and_audits_without_it(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    env.at(HOUR);
    let shown = env
        .store
        .reveal_key(&k.view.id, Disclosure::Reveal)
        .unwrap();
    assert_eq!(shown.expose(), k.key.expose());
    let events = env
        .store
        .audit(&AuditFilter {
            object_id: Some(k.view.id.clone()),
            ..Default::default()
        })
        .unwrap();
    let revealed: Vec<_> = events
        .iter()
        .filter(|e| e.action == "api_key.revealed")
        .collect();
    assert_eq!(revealed.len(), 1);
    assert_eq!(revealed[0].at, to_datetime(T0 + HOUR));
    assert_eq!(revealed[0].object_id, k.view.id);
    assert!(!revealed[0].summary.contains(k.key.expose()));
    assert!(revealed[0].summary.contains(&k.key.mask()));

    // A copy is audited too, and revealing does not count as use.
    env.store.reveal_key(&k.view.id, Disclosure::Copy).unwrap();
    assert_eq!(env.count("api_key.copied"), 1);
    assert_eq!(env.store.last_used(&k.view.id).unwrap(), None);
    assert_eq!(
        code(env.store.reveal_key("key_NOPE", Disclosure::Reveal)),
        "NOT_FOUND"
    );
}

pub fn disabled_key_fails_with_disabled_until_enabled(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    let t = env.store.create_token(&k.view.id).unwrap();
    let view = env.store.set_key_disabled(&k.view.id, true).unwrap();
    assert_eq!(view.status, "disabled");
    assert_eq!(env.verify(k.key.expose()), "DISABLED");
    assert_eq!(env.verify(t.token.expose()), "DISABLED");
    let view = env.store.set_key_disabled(&k.view.id, false).unwrap();
    assert_eq!(view.status, "active");
    assert_eq!(env.verify(k.key.expose()), "VALID");
    assert_eq!(env.verify(t.token.expose()), "VALID");
    assert_eq!(env.count("api_key.updated"), 2);
    assert_eq!(
        code(env.store.set_key_disabled("key_NOPE", true)),
        "NOT_FOUND"
    );
}

pub fn keep_resets_the_deletion_deadline(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    env.at(50 * DAY);
    let before = env.store.key_view(&k.view.id).unwrap();
    assert_eq!(before.deletes_at, Some(to_datetime(T0 + 90 * DAY)));
    assert_eq!(before.deletes_in_days, Some(40));
    let kept = env.store.keep_key(&k.view.id).unwrap();
    assert_eq!(kept.deletes_at, Some(to_datetime(T0 + 140 * DAY)));
    assert_eq!(kept.deletes_in_days, Some(90));
    assert_eq!(env.count("api_key.kept"), 1);
    // Keep does not count as use.
    assert_eq!(kept.last_used_at, None);
    // The lifecycle follows the new deadline.
    env.at(90 * DAY + HOUR);
    let r = env.store.run_lifecycle(false).unwrap();
    assert!(r.reminders.is_empty() && r.deleted.is_empty());
    assert_eq!(code(env.store.keep_key("key_NOPE")), "NOT_FOUND");
}

pub fn unknown_ids_are_not_found(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    let s = &env.store;
    let checks: Vec<(&str, keyward_core::Result<()>)> = vec![
        ("api_key", s.api_key("key_NOPE").map(drop)),
        ("key_view", s.key_view("key_NOPE").map(drop)),
        (
            "reveal",
            s.reveal_key("key_NOPE", Disclosure::Copy).map(drop),
        ),
        ("regenerate", s.regenerate_key("key_NOPE", HOUR).map(drop)),
        ("disable", s.set_key_disabled("key_NOPE", true).map(drop)),
        ("keep", s.keep_key("key_NOPE").map(drop)),
        ("rename", s.rename_key("key_NOPE", "x").map(drop)),
        ("delete", s.delete_key("key_NOPE", true).map(drop)),
        ("create_token", s.create_token("key_NOPE").map(drop)),
        ("list_tokens", s.list_tokens(Some("key_NOPE")).map(drop)),
        ("revoke_token", s.revoke_token("tok_NOPE").map(drop)),
        ("user", s.user("usr_NOPE").map(drop)),
        ("deactivate", s.set_user_active("usr_NOPE", false).map(drop)),
        (
            "api_access",
            s.set_api_access("nobody@example.com", true).map(drop),
        ),
        ("clear", s.clear_user_keys("usr_NOPE").map(drop)),
        ("location", s.location("loc_NOPE").map(drop)),
    ];
    for (what, r) in checks {
        let err = r.expect_err(what);
        assert_eq!(err.code(), "NOT_FOUND", "{what}");
        assert_eq!(err.class(), ErrorClass::NotFound, "{what}");
    }
}

pub fn invalid_key_names_are_refused_and_write_nothing(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    let before = env.audit().len();
    let long = "x".repeat(101);
    for bad in [
        "",
        "   ",
        long.as_str(),
        "tab\there",
        "line\nbreak",
        "bell\u{7}",
    ] {
        let r = env.store.create_key(NewKey {
            owner: "ada@example.com".into(),
            name: bad.into(),
            location: None,
            ..Default::default()
        });
        assert_eq!(code(r), "INVALID_INPUT", "{bad:?}");
    }
    assert!(env
        .store
        .list_keys(&KeyFilter::default())
        .unwrap()
        .is_empty());
    assert_eq!(env.audit().len(), before);

    // 100 characters (not bytes) are fine; renaming follows the same rules.
    let k = env.key("ada@example.com", &"é".repeat(100));
    assert_eq!(
        code(env.store.rename_key(&k.view.id, &long)),
        "INVALID_INPUT"
    );
    assert_eq!(
        code(env.store.rename_key(&k.view.id, "a\u{0}b")),
        "INVALID_INPUT"
    );
    assert_eq!(
        env.store.key_view(&k.view.id).unwrap().name,
        "é".repeat(100)
    );
    let renamed = env.store.rename_key(&k.view.id, "  Zapier  ").unwrap();
    assert_eq!(renamed.name, "Zapier");

    // Site manager and location names too.
    let r = env.store.add_user(NewUser {
        name: "a\nb".into(),
        email: "ab@example.com".into(),
        admin: true,
    });
    assert_eq!(code(r), "INVALID_INPUT");
    assert_eq!(code(env.store.add_location(&long)), "INVALID_INPUT");
    assert_eq!(env.store.list_users().unwrap().len(), 1);
    assert!(env.store.list_locations().unwrap().is_empty());
}

pub fn errors_serialize_as_code_and_message_and_a_refused_field(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    env.verify(k.key.expose());
    let errors = [
        env.store
            .add_user(NewUser {
                name: "Ada".into(),
                email: "ada@example.com".into(),
                admin: true,
            })
            .unwrap_err(),
        env.store.delete_key(&k.view.id, false).unwrap_err(),
        env.store.api_key("key_NOPE").unwrap_err(),
        env.store.list_keys(&status("bogus")).unwrap_err(),
    ];
    for err in errors {
        let v = serde_json::to_value(&err).unwrap();
        let obj = v.as_object().unwrap();
        let mut fields: Vec<&str> = obj.keys().map(String::as_str).collect();
        fields.sort();
        // A refused value names its input; every other error is code and message only.
        match err.field() {
            Some(field) => {
                assert_eq!(fields, ["code", "field", "message"]);
                assert_eq!(obj["field"], field);
            }
            None => assert_eq!(fields, ["code", "message"]),
        }
        assert_eq!(obj["code"], err.code());
        assert_eq!(obj["message"], err.to_string());
        assert!(!err.to_string().is_empty());
        assert!(!err.to_string().contains(k.key.expose()));
    }
}
