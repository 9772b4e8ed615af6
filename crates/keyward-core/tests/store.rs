//! Integration tests of the core store: the public API against a real sled database in a
//! fresh temporary directory per test, with an injected clock.

mod common;

use std::sync::Arc;

use common::{code, open, Env, T0};
use keyward_core::clock::{to_rfc3339, DAY, HOUR, MINUTE};
use keyward_core::lifecycle::ReminderKind;
use keyward_core::{
    AuditFilter, CredentialKind, Disclosure, ErrorClass, KeyFilter, Millis, NewKey, NewUser,
    ScopeView, Secret, SecretKind, Settings, UserEdit,
};

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

fn status(s: &str) -> KeyFilter {
    KeyFilter {
        status: Some(s.into()),
        ..Default::default()
    }
}

// ---------------------------------------------------------------- users

#[test]
fn add_user_gives_admins_api_access_and_managers_none() {
    let env = Env::new();
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

#[test]
fn email_is_unique_case_insensitively() {
    let env = Env::new();
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

#[test]
fn user_lookup_by_email_ignores_case() {
    let env = Env::new();
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

#[test]
fn user_lookup_by_email_works_when_the_email_starts_like_an_id() {
    let env = Env::new();
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

#[test]
fn edit_user_changes_name_and_email_and_moves_the_email_index() {
    let env = Env::new();
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

#[test]
fn deactivated_owner_keys_fail_with_user_deactivated_until_reactivated() {
    let env = Env::new();
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

#[test]
fn api_access_off_fails_with_api_access_off_until_turned_back_on() {
    let env = Env::new();
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

#[test]
fn create_key_is_refused_for_deactivated_or_access_off_owners() {
    let env = Env::new();
    let bob = env.manager("Bob", "bob@example.com");
    let new = |owner: &str| NewKey {
        owner: owner.into(),
        name: "Reporting".into(),
        location: None,
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

#[test]
fn clear_user_keys_revokes_keys_and_tokens_for_good_and_turns_access_off() {
    let env = Env::new();
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

// ---------------------------------------------------------------- locations

#[test]
fn locations_add_rename_list_and_refuse_duplicate_names() {
    let env = Env::new();
    let down = env.store.add_location("Downtown").unwrap();
    assert!(down.id.starts_with("loc_"));
    assert_eq!(code(env.store.add_location("  downtown ")), "INVALID_INPUT");
    let up = env.store.add_location("Uptown").unwrap();
    let mid = env.store.rename_location(&up.id, "Midtown").unwrap();
    assert_eq!(mid.id, up.id);
    assert_eq!(mid.name, "Midtown");
    assert_eq!(
        code(env.store.rename_location(&up.id, "DOWNTOWN")),
        "INVALID_INPUT"
    );
    assert_eq!(
        code(env.store.rename_location("loc_NOPE", "Nowhere")),
        "NOT_FOUND"
    );
    assert_eq!(code(env.store.add_location("")), "INVALID_INPUT");
    let names: Vec<String> = env
        .store
        .list_locations()
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert_eq!(names, ["Downtown", "Midtown"]);
    assert_eq!(env.count("location.created"), 2);
    assert_eq!(env.count("location.updated"), 1);
}

#[test]
fn location_keys_get_kwl_prefix_and_agency_keys_kwa() {
    let env = Env::new();
    let ada = env.admin("Ada", "ada@example.com");
    let loc = env.store.add_location("Downtown").unwrap();
    let lk = env
        .store
        .create_key(NewKey {
            owner: ada.id.clone(),
            name: "Downtown kiosk".into(),
            location: Some(loc.id.clone()),
        })
        .unwrap();
    let ak = env.key(&ada.id, "Agency sync");
    assert!(lk.key.expose().starts_with("kwl_"));
    assert_eq!(lk.key.kind(), Some(SecretKind::LocationKey));
    assert!(ak.key.expose().starts_with("kwa_"));
    assert_eq!(ak.key.kind(), Some(SecretKind::AgencyKey));
    assert_eq!(ak.view.scope, ScopeView::Agency);
    assert_eq!(
        lk.view.scope,
        ScopeView::Location {
            location_id: loc.id.clone(),
            name: Some("Downtown".into())
        }
    );
    let v = env.store.verify(lk.key.expose()).unwrap();
    let id = v.identity.unwrap();
    assert!(
        matches!(id.scope, ScopeView::Location { ref location_id, .. } if *location_id == loc.id)
    );

    // Renaming the location shows in the key's view.
    env.store.rename_location(&loc.id, "Old Town").unwrap();
    let view = env.store.key_view(&lk.view.id).unwrap();
    assert!(matches!(view.scope, ScopeView::Location { name: Some(ref n), .. } if n == "Old Town"));

    let scoped = KeyFilter {
        scope: Some(loc.id.clone()),
        ..Default::default()
    };
    assert_eq!(env.keys(scoped), sorted(&[&lk.view.id]));
    let agency = KeyFilter {
        scope: Some("agency".into()),
        ..Default::default()
    };
    assert_eq!(env.keys(agency), sorted(&[&ak.view.id]));

    let unknown = env.store.create_key(NewKey {
        owner: ada.id.clone(),
        name: "Nowhere".into(),
        location: Some("loc_NOPE".into()),
    });
    assert_eq!(code(unknown), "NOT_FOUND");
}

// ---------------------------------------------------------------- keys

#[test]
fn created_key_verifies_as_api_key_with_owner_and_scope() {
    let env = Env::new();
    let ada = env.admin("Ada Lovelace", "ada@example.com");
    let k = env.key("ada@example.com", "  Zapier sync  ");
    assert!(k.view.id.starts_with("key_"));
    assert_eq!(k.view.name, "Zapier sync");
    assert_eq!(k.view.status, "active");
    assert_eq!(k.view.owner.id, ada.id);
    assert_eq!(k.view.masked_key, k.key.mask());
    assert_eq!(k.view.created_at, to_rfc3339(T0));
    assert_eq!(k.view.last_used_at, None);
    assert_eq!(k.view.live_tokens, 0);
    assert_eq!(
        k.view.deletes_at.as_deref(),
        Some(to_rfc3339(T0 + 90 * DAY).as_str())
    );
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

#[test]
fn list_keys_filters_by_owner_status_and_search() {
    let env = Env::new();
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

#[test]
fn list_keys_rejects_unknown_status() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    env.key("ada@example.com", "Zapier");
    let err = env.store.list_keys(&status("bogus")).unwrap_err();
    assert_eq!(err.code(), "INVALID_INPUT");
    assert_eq!(err.class(), ErrorClass::Usage);
}

#[test]
fn listings_never_contain_full_secrets() {
    let env = Env::new();
    let ada = env.admin("Ada", "ada@example.com");
    let loc = env.store.add_location("Downtown").unwrap();
    let k1 = env.key(&ada.id, "Zapier");
    let k2 = env
        .store
        .create_key(NewKey {
            owner: ada.id.clone(),
            name: "Kiosk".into(),
            location: Some(loc.id),
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

#[test]
fn reveal_returns_the_secret_and_audits_without_it() {
    let env = Env::new();
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
    assert_eq!(revealed[0].at, to_rfc3339(T0 + HOUR));
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

#[test]
fn regenerate_without_grace_revokes_old_secret_and_tokens_at_once() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let old = env.key("ada@example.com", "Zapier");
    let tok = env.store.create_token(&old.view.id).unwrap();
    env.at(MINUTE);
    let new = env.store.regenerate_key(&old.view.id, 0).unwrap();
    assert_eq!(new.view.id, old.view.id);
    assert_eq!(new.view.name, old.view.name);
    assert_eq!(new.view.owner, old.view.owner);
    assert_eq!(new.view.scope, old.view.scope);
    assert_ne!(new.key.expose(), old.key.expose());
    assert_eq!(new.view.masked_key, new.key.mask());
    assert_eq!(new.view.grace_until, None);
    assert_eq!(new.view.live_tokens, 0);

    assert_eq!(env.verify(old.key.expose()), "REVOKED");
    assert_eq!(env.verify(tok.token.expose()), "REVOKED");
    let v = env.store.verify(new.key.expose()).unwrap();
    assert!(v.valid);
    assert_eq!(v.identity.unwrap().key_id, old.view.id);
    // Reveal gives the new secret; new tokens work.
    let shown = env
        .store
        .reveal_key(&old.view.id, Disclosure::Reveal)
        .unwrap();
    assert_eq!(shown.expose(), new.key.expose());
    let tok2 = env.store.create_token(&old.view.id).unwrap();
    assert_eq!(env.verify(tok2.token.expose()), "VALID");
    let listed = env.store.list_tokens(Some(&old.view.id)).unwrap();
    let old_tok = listed.iter().find(|t| t.id == tok.id).unwrap();
    assert_eq!(old_tok.status, "revoked");
    assert_eq!(env.count("api_key.regenerated"), 1);

    // Only the offered grace periods.
    assert_eq!(
        code(env.store.regenerate_key(&old.view.id, 5 * MINUTE)),
        "INVALID_INPUT"
    );
    assert_eq!(code(env.store.regenerate_key("key_NOPE", 0)), "NOT_FOUND");
}

#[test]
fn regenerate_with_grace_keeps_old_secret_until_grace_ends() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let old = env.key("ada@example.com", "Zapier");
    let tok = env.store.create_token(&old.view.id).unwrap();
    let new = env.store.regenerate_key(&old.view.id, HOUR).unwrap();
    assert_eq!(new.view.id, old.view.id);
    assert_eq!(
        new.view.grace_until.as_deref(),
        Some(to_rfc3339(T0 + HOUR).as_str())
    );
    assert_eq!(new.view.live_tokens, 1);

    env.at(HOUR - 1);
    assert_eq!(env.verify(old.key.expose()), "VALID");
    assert_eq!(env.verify(tok.token.expose()), "VALID");
    assert_eq!(env.verify(new.key.expose()), "VALID");
    let tok2 = env.store.create_token(&old.view.id).unwrap();

    env.at(HOUR);
    assert_eq!(env.verify(old.key.expose()), "REVOKED");
    assert_eq!(env.verify(tok.token.expose()), "REVOKED");
    assert_eq!(env.verify(new.key.expose()), "VALID");
    assert_eq!(env.verify(tok2.token.expose()), "VALID");
    let view = env.store.key_view(&old.view.id).unwrap();
    assert_eq!(view.grace_until, None);
    assert_eq!(view.live_tokens, 1);
}

#[test]
fn disabled_key_fails_with_disabled_until_enabled() {
    let env = Env::new();
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

#[test]
fn keep_resets_the_deletion_deadline() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    env.at(50 * DAY);
    let before = env.store.key_view(&k.view.id).unwrap();
    assert_eq!(
        before.deletes_at.as_deref(),
        Some(to_rfc3339(T0 + 90 * DAY).as_str())
    );
    assert_eq!(before.deletes_in_days, Some(40));
    let kept = env.store.keep_key(&k.view.id).unwrap();
    assert_eq!(
        kept.deletes_at.as_deref(),
        Some(to_rfc3339(T0 + 140 * DAY).as_str())
    );
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

#[test]
fn delete_refuses_key_used_within_30_days_unless_forced() {
    let env = Env::new();
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

#[test]
fn delete_refuses_key_with_live_tokens_and_force_removes_them() {
    let env = Env::new();
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

#[test]
fn delete_unused_key_needs_no_force() {
    let env = Env::new();
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

#[test]
fn unknown_ids_are_not_found() {
    let env = Env::new();
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

#[test]
fn invalid_key_names_are_refused_and_write_nothing() {
    let env = Env::new();
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

// ---------------------------------------------------------------- tokens

#[test]
fn token_verifies_as_token_expiring_in_365_days() {
    let env = Env::new();
    let ada = env.admin("Ada", "ada@example.com");
    let k = env.key(&ada.id, "Zapier");
    let t = env.store.create_token(&k.view.id).unwrap();
    assert!(t.id.starts_with("tok_"));
    assert!(t.token.expose().starts_with("kwt_"));
    assert_eq!(t.token.kind(), Some(SecretKind::Token));
    assert_eq!(t.key_id, k.view.id);
    assert_eq!(t.expires_at, to_rfc3339(T0 + 365 * DAY));
    let json = serde_json::to_value(&t).unwrap();
    assert_eq!(json["token"], t.token.expose());

    let v = env.store.verify(t.token.expose()).unwrap();
    assert!(v.valid);
    let id = v.identity.unwrap();
    assert_eq!(id.kind, CredentialKind::Token);
    assert_eq!(id.key_id, k.view.id);
    assert_eq!(id.token_id.as_deref(), Some(t.id.as_str()));
    assert_eq!(id.owner.id, ada.id);
    assert_eq!(id.scope, ScopeView::Agency);
    assert_eq!(
        id.expires_at.as_deref(),
        Some(to_rfc3339(T0 + 365 * DAY).as_str())
    );
    // A token's use counts for its key too.
    assert_eq!(env.store.last_used(&t.id).unwrap(), Some(T0));
    assert_eq!(env.store.last_used(&k.view.id).unwrap(), Some(T0));
    assert_eq!(env.count("token.created"), 1);
}

#[test]
fn token_expires_after_its_lifetime() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    let t = env.store.create_token(&k.view.id).unwrap();
    env.at(365 * DAY - 1);
    assert_eq!(env.verify(t.token.expose()), "VALID");
    env.at(365 * DAY);
    assert_eq!(env.verify(t.token.expose()), "EXPIRED");
    let listed = env.store.list_tokens(Some(&k.view.id)).unwrap();
    assert_eq!(listed[0].status, "expired");
    assert_eq!(env.store.key_view(&k.view.id).unwrap().live_tokens, 0);
    // The key itself does not expire.
    assert_eq!(env.verify(k.key.expose()), "VALID");
}

#[test]
fn revoked_token_fails_with_revoked() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    let t = env.store.create_token(&k.view.id).unwrap();
    let other = env.store.create_token(&k.view.id).unwrap();
    let view = env.store.revoke_token(&t.id).unwrap();
    assert_eq!(view.status, "revoked");
    assert_eq!(env.verify(t.token.expose()), "REVOKED");
    assert_eq!(env.verify(other.token.expose()), "VALID");
    assert_eq!(env.verify(k.key.expose()), "VALID");
    // Revoking twice is harmless and audited once.
    env.store.revoke_token(&t.id).unwrap();
    assert_eq!(env.count("token.revoked"), 1);
}

#[test]
fn tokens_are_listed_per_key() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let k1 = env.key("ada@example.com", "Zapier");
    let k2 = env.key("ada@example.com", "Billing");
    let a = env.store.create_token(&k1.view.id).unwrap();
    env.at(HOUR);
    let b = env.store.create_token(&k1.view.id).unwrap();
    let c = env.store.create_token(&k2.view.id).unwrap();
    env.verify(a.token.expose());

    let l1 = env.store.list_tokens(Some(&k1.view.id)).unwrap();
    let ids: Vec<&str> = l1.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, [b.id.as_str(), a.id.as_str()], "newest first");
    assert!(l1
        .iter()
        .all(|t| t.key_id == k1.view.id && t.key_name == "Zapier"));
    assert!(l1.iter().all(|t| t.status == "active"));
    assert_eq!(
        l1[1].last_used_at.as_deref(),
        Some(to_rfc3339(T0 + HOUR).as_str())
    );
    assert_eq!(l1[0].last_used_at, None);
    assert_eq!(l1[0].created_at, to_rfc3339(T0 + HOUR));
    assert_eq!(l1[0].expires_at, to_rfc3339(T0 + HOUR + 365 * DAY));
    assert_eq!(l1[0].masked_token, b.token.mask());

    let l2 = env.store.list_tokens(Some(&k2.view.id)).unwrap();
    assert_eq!(l2.len(), 1);
    assert_eq!(l2[0].id, c.id);
    assert_eq!(env.store.list_tokens(None).unwrap().len(), 3);
    assert_eq!(env.store.key_view(&k1.view.id).unwrap().live_tokens, 2);
}

#[test]
fn disabled_key_cannot_mint_tokens() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    env.store.set_key_disabled(&k.view.id, true).unwrap();
    let err = env.store.create_token(&k.view.id).unwrap_err();
    assert_eq!(err.code(), "DISABLED");
    assert_eq!(err.class(), ErrorClass::Refused);
    assert!(env.store.list_tokens(None).unwrap().is_empty());
    assert_eq!(env.count("token.created"), 0);
}

// ---------------------------------------------------------------- verification

#[test]
fn one_changed_character_is_malformed() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    let t = env.store.create_token(&k.view.id).unwrap();
    for secret in [k.key.expose(), t.token.expose()] {
        for pos in [4, 10, 35, 37, 41] {
            let mut chars: Vec<char> = secret.chars().collect();
            chars[pos] = if chars[pos] == 'A' { 'B' } else { 'A' };
            let changed: String = chars.into_iter().collect();
            assert_eq!(env.verify(&changed), "MALFORMED", "position {pos}");
        }
        assert_eq!(env.verify(&secret[..41]), "MALFORMED");
        assert_eq!(env.verify(&format!("{secret} ")), "MALFORMED");
    }
    assert_eq!(env.verify(""), "MALFORMED");
    assert_eq!(env.verify("Bearer nonsense"), "MALFORMED");
    // The key is untouched and still works.
    assert_eq!(env.verify(k.key.expose()), "VALID");
}

#[test]
fn well_formed_unknown_secret_is_not_found() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    env.key("ada@example.com", "Zapier");
    for kind in [
        SecretKind::AgencyKey,
        SecretKind::LocationKey,
        SecretKind::Token,
    ] {
        let unknown = Secret::generate(kind);
        assert_eq!(env.verify(unknown.expose()), "NOT_FOUND");
    }
}

#[test]
fn last_used_is_kept_in_memory_and_persisted_across_reopen() {
    let env = Env::new();
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
        view.last_used_at.as_deref(),
        Some(to_rfc3339(T0 + 5 * MINUTE + 20_000).as_str())
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
        listed[0].last_used_at.as_deref(),
        Some(to_rfc3339(T0 + 5 * MINUTE + 20_000).as_str())
    );
    // Failed verifications are not uses.
    env.at(HOUR);
    env.verify(Secret::generate(SecretKind::AgencyKey).expose());
    assert_eq!(
        env.store.last_used(&k.view.id).unwrap(),
        Some(T0 + 5 * MINUTE + 20_000)
    );
}

#[test]
fn failed_verifications_are_aggregated_into_one_audit_event_on_flush() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    env.store.set_key_disabled(&k.view.id, true).unwrap();
    let unknown = Secret::generate(SecretKind::AgencyKey);
    let presented = ["garbage", "kwa_short", unknown.expose(), k.key.expose()];
    for p in presented {
        assert_ne!(env.verify(p), "VALID");
    }
    let verification = |env: &Env| {
        env.store
            .audit(&AuditFilter {
                entity: Some("verification".into()),
                ..Default::default()
            })
            .unwrap()
    };
    assert!(verification(&env).is_empty(), "not written per failure");
    env.store.flush().unwrap();
    let events = verification(&env);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.action, "verification.failed");
    assert!(e.summary.starts_with("4 failed"), "{}", e.summary);
    assert!(e.summary.contains("MALFORMED ×2"), "{}", e.summary);
    assert!(e.summary.contains("NOT_FOUND ×1"), "{}", e.summary);
    assert!(e.summary.contains("DISABLED ×1"), "{}", e.summary);
    for p in presented {
        assert!(!e.summary.contains(p));
    }
    // Nothing new to report: flushing or closing again adds nothing.
    env.store.flush().unwrap();
    let env = env.reopen();
    assert_eq!(verification(&env).len(), 1);
}

#[test]
fn failed_verifications_are_aggregated_into_one_audit_event_on_close() {
    let env = Env::new();
    for _ in 0..5 {
        env.verify(Secret::generate(SecretKind::Token).expose());
    }
    let env = env.reopen();
    let events = env
        .store
        .audit(&AuditFilter {
            entity: Some("verification".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(events.len(), 1);
    assert!(
        events[0].summary.contains("NOT_FOUND ×5"),
        "{}",
        events[0].summary
    );
}

#[test]
fn token_exchange_counts_as_use_and_records_failures_without_deadlocking() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    let Env { store, clock, dir } = env;
    let store = Arc::new(store);

    clock.set(T0 + HOUR);
    let created = store
        .exchange_key_for_token(k.key.expose())
        .unwrap()
        .unwrap();
    assert_eq!(created.key_id, k.view.id);
    assert_eq!(store.last_used(&k.view.id).unwrap(), Some(T0 + HOUR));
    let v = store.verify(created.token.expose()).unwrap();
    assert_eq!(v.identity.unwrap().kind, CredentialKind::Token);
    // A token cannot be exchanged for another token.
    let refused = store
        .exchange_key_for_token(created.token.expose())
        .unwrap();
    assert!(refused.is_err());

    // A failure a minute after the first one, inside the exchange (which holds the write
    // lock): only counted, and the summary is written by the housekeeping call.
    clock.set(T0 + HOUR + 2 * MINUTE);
    let unknown = Secret::generate(SecretKind::AgencyKey);
    let (tx, rx) = std::sync::mpsc::channel();
    let s = store.clone();
    let presented = unknown.expose().to_owned();
    std::thread::spawn(move || {
        let r = s.exchange_key_for_token(&presented).map(|r| r.err());
        let _ = tx.send(r.map_err(|e| e.code()));
    });
    let answer = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("token exchange deadlocked");
    assert_eq!(answer.unwrap().map(|c| c.as_str()), Some("NOT_FOUND"));
    assert!(store.write_due_failure_summary().unwrap());
    let failed = store
        .audit(&AuditFilter {
            entity: Some("verification".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0].summary.starts_with("2 failed"),
        "{}",
        failed[0].summary
    );
    // Writers still get through.
    store.keep_key(&k.view.id).unwrap();
    drop(store);
    drop((clock, dir));
}

// ---------------------------------------------------------------- lifecycle

#[test]
fn lifecycle_reminds_at_15_7_and_1_days_then_deletes() {
    let env = Env::new();
    let ada = env.admin("Ada", "ada@example.com");
    let k = env.key(&ada.id, "Marketing Automation");
    let t = env.store.create_token(&k.view.id).unwrap();
    let id = k.view.id.clone();

    env.at(74 * DAY + 23 * HOUR);
    let r = env.store.run_lifecycle(false).unwrap();
    assert!(r.reminders.is_empty() && r.deleted.is_empty());
    assert_eq!(r.keys_checked, 1);
    assert_eq!(r.tokens_checked, 1);

    env.at(75 * DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    assert!(!r.dry_run);
    assert_eq!(r.ran_at, to_rfc3339(T0 + 75 * DAY));
    assert_eq!(r.reminders.len(), 1);
    let n = &r.reminders[0];
    assert_eq!(n.kind, ReminderKind::KeyDeletion);
    assert_eq!(
        (n.id.as_str(), n.key_id.as_str()),
        (id.as_str(), id.as_str())
    );
    assert_eq!(n.key_name, "Marketing Automation");
    assert_eq!(n.owner.id, ada.id);
    assert_eq!((n.days_before, n.days_left), (15, 15));
    assert_eq!(n.due_at, to_rfc3339(T0 + 90 * DAY));
    assert!(n.message.contains("Marketing Automation"), "{}", n.message);
    assert!(n.message.contains("15 days"), "{}", n.message);
    assert!(r.deleted.is_empty());
    let view = env.store.key_view(&id).unwrap();
    assert!(view.deletion_scheduled);
    assert_eq!(view.deletes_in_days, Some(15));

    // Once per threshold: later the same day, nothing.
    env.at(75 * DAY + 6 * HOUR);
    assert!(env.store.run_lifecycle(false).unwrap().reminders.is_empty());
    env.at(82 * DAY + 23 * HOUR);
    assert!(env.store.run_lifecycle(false).unwrap().reminders.is_empty());

    env.at(83 * DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    assert_eq!(r.reminders.len(), 1);
    assert_eq!(r.reminders[0].days_before, 7);
    assert!(
        r.reminders[0].message.contains("7 days"),
        "{}",
        r.reminders[0].message
    );
    env.at(84 * DAY);
    assert!(env.store.run_lifecycle(false).unwrap().reminders.is_empty());

    env.at(89 * DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    assert_eq!(r.reminders.len(), 1);
    assert_eq!(r.reminders[0].days_before, 1);
    assert!(
        r.reminders[0].message.contains("deleted in 24 hours "),
        "{}",
        r.reminders[0].message
    );
    assert!(r.deleted.is_empty());

    env.at(90 * DAY - 1);
    let r = env.store.run_lifecycle(false).unwrap();
    assert!(r.reminders.is_empty() && r.deleted.is_empty());
    assert!(env.store.key_view(&id).is_ok());

    // The deadline, with the last reminder a full day old: deleted, with its tokens.
    env.at(90 * DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    assert!(r.reminders.is_empty());
    assert_eq!(r.deleted.len(), 1);
    assert_eq!(r.deleted[0].id, id);
    assert_eq!(r.deleted[0].name, "Marketing Automation");
    assert_eq!(r.deleted[0].tokens_deleted, 1);
    assert!(r.deleted[0].message.contains("Marketing Automation"));
    assert_eq!(env.verify(k.key.expose()), "NOT_FOUND");
    assert_eq!(env.verify(t.token.expose()), "NOT_FOUND");
    assert_eq!(code(env.store.key_view(&id)), "NOT_FOUND");
    assert_eq!(env.count("api_key.reminder"), 3);
    assert_eq!(env.count("api_key.deleted"), 1);
    let deleted: Vec<_> = env
        .audit()
        .into_iter()
        .filter(|e| e.action == "api_key.deleted")
        .collect();
    assert_eq!(deleted[0].object_id, id);

    env.at(91 * DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    assert_eq!(r.keys_checked, 0);
    assert!(r.deleted.is_empty());
}

#[test]
fn lifecycle_raises_only_the_most_urgent_missed_reminder_and_moves_the_deadline() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    let now = 89 * DAY + 12 * HOUR;
    env.at(now);
    let r = env.store.run_lifecycle(false).unwrap();
    assert_eq!(r.reminders.len(), 1, "only the most urgent missed reminder");
    let n = &r.reminders[0];
    assert_eq!(n.days_before, 1);
    assert_eq!(n.days_left, 1);
    assert_eq!(n.due_at, to_rfc3339(T0 + now + DAY));
    assert!(n.message.contains("deleted in 24 hours"), "{}", n.message);
    assert!(r.deleted.is_empty());
    let view = env.store.key_view(&k.view.id).unwrap();
    assert_eq!(
        view.deletes_at.as_deref(),
        Some(to_rfc3339(T0 + now + DAY).as_str())
    );

    // The original deadline passes: not deleted, no reminder again.
    env.at(90 * DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    assert!(r.reminders.is_empty() && r.deleted.is_empty());
    env.at(now + DAY - 1);
    let r = env.store.run_lifecycle(false).unwrap();
    assert!(r.reminders.is_empty() && r.deleted.is_empty());
    // A full day after the reminder: deleted.
    env.at(now + DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    assert_eq!(r.deleted.len(), 1);
    assert_eq!(r.deleted[0].id, k.view.id);
    assert_eq!(env.count("api_key.reminder"), 1);
}

#[test]
fn lifecycle_warns_before_deleting_a_key_found_long_past_its_deadline() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    env.at(200 * DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    assert!(r.deleted.is_empty());
    assert_eq!(r.reminders.len(), 1);
    assert_eq!(r.reminders[0].days_before, 1);
    assert_eq!(r.reminders[0].due_at, to_rfc3339(T0 + 201 * DAY));
    env.at(201 * DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    assert_eq!(r.deleted.len(), 1);
    assert_eq!(env.verify(k.key.expose()), "NOT_FOUND");
}

#[test]
fn lifecycle_dry_run_changes_nothing() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    let id = k.view.id.clone();

    env.at(75 * DAY);
    let before = env.audit().len();
    let d1 = env.store.run_lifecycle(true).unwrap();
    let d2 = env.store.run_lifecycle(true).unwrap();
    assert!(d1.dry_run);
    assert_eq!(d1, d2);
    assert_eq!(d1.reminders.len(), 1);
    assert_eq!(d1.reminders[0].days_before, 15);
    assert_eq!(env.audit().len(), before);
    assert!(!env.store.key_view(&id).unwrap().deletion_scheduled);

    let real = env.store.run_lifecycle(false).unwrap();
    assert_eq!(real.reminders.len(), 1);
    assert_eq!(real.reminders[0].id, id);
    assert_eq!(real.reminders[0].message, d1.reminders[0].message);
    assert!(env.store.run_lifecycle(false).unwrap().reminders.is_empty());
    assert!(env.store.run_lifecycle(true).unwrap().reminders.is_empty());

    env.at(83 * DAY);
    env.store.run_lifecycle(false).unwrap();
    env.at(89 * DAY);
    env.store.run_lifecycle(false).unwrap();

    env.at(90 * DAY);
    let before = env.audit().len();
    let d1 = env.store.run_lifecycle(true).unwrap();
    let d2 = env.store.run_lifecycle(true).unwrap();
    assert_eq!(d1, d2);
    assert_eq!(d1.deleted.len(), 1);
    assert_eq!(d1.deleted[0].id, id);
    assert!(env.store.key_view(&id).is_ok(), "a dry run deletes nothing");
    assert_eq!(env.audit().len(), before);

    let real = env.store.run_lifecycle(false).unwrap();
    assert_eq!(real.deleted.len(), 1);
    assert_eq!(code(env.store.key_view(&id)), "NOT_FOUND");
    let again = env.store.run_lifecycle(false).unwrap();
    assert!(again.deleted.is_empty() && again.reminders.is_empty());
    assert_eq!(env.count("api_key.deleted"), 1);
}

#[test]
fn lifecycle_ignores_used_keys() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    env.at(75 * DAY);
    assert_eq!(env.store.run_lifecycle(false).unwrap().reminders.len(), 1);

    env.at(80 * DAY);
    assert_eq!(env.verify(k.key.expose()), "VALID");
    env.at(85 * DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    assert!(r.reminders.is_empty() && r.deleted.is_empty());
    let view = env.store.key_view(&k.view.id).unwrap();
    assert_eq!(
        view.deletes_at.as_deref(),
        Some(to_rfc3339(T0 + 170 * DAY).as_str())
    );
    assert!(!view.deletion_scheduled);
    env.at(90 * DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    assert!(r.reminders.is_empty() && r.deleted.is_empty());

    // The new deadline gets its own reminders.
    env.at(155 * DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    assert_eq!(r.reminders.len(), 1);
    assert_eq!(r.reminders[0].days_before, 15);
    assert_eq!(r.reminders[0].due_at, to_rfc3339(T0 + 170 * DAY));
    assert!(r.reminders[0].last_used_at.is_some());
}

#[test]
fn lifecycle_reminds_before_token_expiry_at_30_7_and_1_days() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    let t = env.store.create_token(&k.view.id).unwrap();
    let expiry = 365 * DAY;
    let checkpoints: [(Millis, Option<u32>); 8] = [
        (expiry - 31 * DAY, None),
        (expiry - 30 * DAY, Some(30)),
        (expiry - 29 * DAY, None),
        (expiry - 8 * DAY, None),
        (expiry - 7 * DAY, Some(7)),
        (expiry - 2 * DAY, None),
        (expiry - DAY, Some(1)),
        (expiry - HOUR, None),
    ];
    for (at, expected) in checkpoints {
        env.at(at);
        // Using the token keeps its key from inactivity deletion.
        assert_eq!(env.verify(t.token.expose()), "VALID");
        let r = env.store.run_lifecycle(false).unwrap();
        assert!(r.deleted.is_empty());
        let got: Vec<_> = r
            .reminders
            .iter()
            .map(|n| (n.kind.clone(), n.days_before))
            .collect();
        match expected {
            None => assert!(got.is_empty(), "at {at}: {got:?}"),
            Some(days) => {
                assert_eq!(got, [(ReminderKind::TokenExpiry, days)], "at {at}");
                let n = &r.reminders[0];
                assert_eq!(n.id, t.id);
                assert_eq!(n.key_id, k.view.id);
                assert_eq!(n.due_at, t.expires_at);
                assert_eq!(n.days_left, days as i64);
                assert!(n.message.contains("Zapier"), "{}", n.message);
                let span = if days == 1 {
                    "expires in 24 hours ".to_owned()
                } else {
                    format!("expires in {days} days")
                };
                assert!(n.message.contains(&span), "{}", n.message);
            }
        }
    }
    assert_eq!(env.count("token.reminder"), 3);
    // An expired token gets no more reminders.
    env.at(expiry + DAY);
    env.store.keep_key(&k.view.id).unwrap();
    assert!(env.store.run_lifecycle(false).unwrap().reminders.is_empty());
}

// ---------------------------------------------------------------- store

#[test]
fn second_open_of_same_directory_is_database_locked() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let err = open(env.dir.path(), &env.clock).unwrap_err();
    assert_eq!(err.code(), "DATABASE_LOCKED");
    assert_eq!(err.class(), ErrorClass::Refused);
    assert!(err
        .to_string()
        .contains("in use by another Keyward process"));
    // The first store is unharmed, and once it closes the directory opens again.
    assert_eq!(env.store.list_users().unwrap().len(), 1);
    let env = env.reopen();
    assert_eq!(env.store.list_users().unwrap().len(), 1);
}

#[test]
fn newer_schema_is_refused() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let Env { store, clock, dir } = env;
    drop(store);
    {
        let db = sled::open(dir.path().join("db")).unwrap();
        let meta = db.open_tree("meta").unwrap();
        assert_eq!(
            meta.get("schema_version").unwrap().unwrap().as_ref(),
            keyward_core::store::SCHEMA_VERSION.to_be_bytes()
        );
        meta.insert(
            "schema_version",
            &(keyward_core::store::SCHEMA_VERSION + 1).to_be_bytes(),
        )
        .unwrap();
        db.flush().unwrap();
    }
    let err = open(dir.path(), &clock).unwrap_err();
    assert_eq!(err.code(), "SCHEMA_TOO_NEW");
    assert_eq!(err.class(), ErrorClass::Refused);
    assert!(err.to_string().contains("newer Keyward"), "{err}");
    // Refused again: nothing was rewritten.
    assert_eq!(code(open(dir.path(), &clock)), "SCHEMA_TOO_NEW");

    // An unreadable version record is reported as damage, not guessed at.
    {
        let db = sled::open(dir.path().join("db")).unwrap();
        let meta = db.open_tree("meta").unwrap();
        meta.insert("schema_version", b"v1".as_slice()).unwrap();
        db.flush().unwrap();
    }
    assert_eq!(code(open(dir.path(), &clock)), "DATABASE_CORRUPT");
}

#[test]
fn missing_master_key_keeps_verification_but_blocks_reveal_and_create() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    assert_eq!(env.store.master_key_problem(), None);
    let master = env.dir.path().join("master.key");
    assert!(master.is_file());
    let Env { store, clock, dir } = env;
    drop(store);
    std::fs::remove_file(&master).unwrap();

    let env = Env {
        store: open(dir.path(), &clock).unwrap(),
        clock,
        dir,
    };
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

#[test]
fn settings_default_and_updates_persist_and_invalid_are_refused() {
    let env = Env::new();
    assert_eq!(env.store.settings().unwrap(), Settings::default());
    let s = Settings {
        inactivity_days: 30,
        reminder_days: vec![3, 10, 3],
        token_lifetime_days: 60,
        ..Settings::default()
    };
    let saved = env.store.update_settings(s).unwrap();
    assert_eq!(saved.reminder_days, vec![10, 3]);
    assert_eq!(env.count("settings.updated"), 1);

    let env = env.reopen();
    let got = env.store.settings().unwrap();
    assert_eq!(got, saved);

    let bad: [fn(&mut Settings); 6] = [
        |s| s.inactivity_days = 0,
        |s| s.reminder_days = vec![0],
        |s| s.reminder_days = vec![30],
        |s| s.token_lifetime_days = 0,
        |s| s.clipboard_clear_seconds = 4000,
        |s| s.local_api_port = 80,
    ];
    for change in bad {
        let mut s = got.clone();
        change(&mut s);
        assert_eq!(code(env.store.update_settings(s)), "INVALID_INPUT");
    }
    assert_eq!(env.store.settings().unwrap(), saved);
    assert_eq!(env.count("settings.updated"), 1);

    // The store follows its settings.
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    assert_eq!(
        k.view.deletes_at.as_deref(),
        Some(to_rfc3339(T0 + 30 * DAY).as_str())
    );
    let t = env.store.create_token(&k.view.id).unwrap();
    assert_eq!(t.expires_at, to_rfc3339(T0 + 60 * DAY));
    env.at(19 * DAY);
    assert!(env.store.run_lifecycle(false).unwrap().reminders.is_empty());
    env.at(20 * DAY);
    let r = env.store.run_lifecycle(false).unwrap();
    let days: Vec<u32> = r.reminders.iter().map(|n| n.days_before).collect();
    assert_eq!(days, [10]);
}

#[test]
fn errors_serialize_as_code_and_message_only() {
    let env = Env::new();
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
        assert_eq!(fields, ["code", "message"]);
        assert_eq!(obj["code"], err.code());
        assert_eq!(obj["message"], err.to_string());
        assert!(!err.to_string().is_empty());
        assert!(!err.to_string().contains(k.key.expose()));
    }
}

#[test]
fn a_second_open_never_repairs_the_files_of_the_process_that_holds_the_store() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    // What a snapshot being written by the holder looks like from outside.
    let generating = env.dir.path().join("db/snap.00000000000FFFFF.generating");
    std::fs::write(&generating, b"being written").unwrap();
    assert_eq!(code(open(env.dir.path(), &env.clock)), "DATABASE_LOCKED");
    assert!(generating.exists(), "a live process's file was moved");
    assert!(!env.dir.path().join("recovered").exists());
    // Once the holder is gone, the leftover is set aside and the store opens.
    let env = env.reopen();
    assert!(!generating.exists());
    assert_eq!(env.store.list_users().unwrap().len(), 1);
    assert_eq!(env.count("store.recovered"), 1);
}

#[test]
fn expiring_soon_says_when_as_a_person_would() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    let t = env.store.create_token(&k.view.id).unwrap();
    // 25 hours before the key's deletion: not "in 2 days", nor "in 1 day".
    env.at(90 * DAY - 25 * HOUR);
    env.store.run_lifecycle(false).unwrap();
    let soon = env.store.expiring_soon().unwrap();
    assert_eq!(soon.keys[0].due_in, "in 25 hours");
    assert_eq!(soon.keys[0].days_left, 2);
    assert!(soon.tokens.is_empty());
    env.store.keep_key(&k.view.id).unwrap();
    env.at(365 * DAY - 7 * DAY);
    env.store.keep_key(&k.view.id).unwrap();
    let soon = env.store.expiring_soon().unwrap();
    assert_eq!(soon.tokens[0].id, t.id);
    assert_eq!(soon.tokens[0].due_in, "in 7 days");
}

#[test]
fn failure_summaries_are_written_when_due_never_by_a_verification() {
    let env = Env::new();
    let count = |env: &Env| {
        env.store
            .audit(&AuditFilter {
                entity: Some("verification".into()),
                ..Default::default()
            })
            .unwrap()
            .len()
    };
    env.verify("garbage");
    assert!(
        !env.store.write_due_failure_summary().unwrap(),
        "not due yet"
    );
    // A minute on, verifying still writes nothing: the housekeeping call does.
    env.at(MINUTE);
    env.verify("garbage");
    assert_eq!(count(&env), 0);
    assert!(env.store.write_due_failure_summary().unwrap());
    assert_eq!(count(&env), 1);
    assert!(
        !env.store.write_due_failure_summary().unwrap(),
        "nothing left"
    );
}

#[test]
fn reminder_notices_carry_a_summary_and_advice_said_as_a_person_would() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier sync");
    // 25 hours before deletion: hours, not "in 2 days".
    env.at(90 * DAY - 25 * HOUR);
    let r = env.store.run_lifecycle(false).unwrap();
    let n = &r.reminders[0];
    assert_eq!(
        n.summary,
        "API key 'Zapier sync' will be deleted in 25 hours"
    );
    assert_eq!(
        n.advice,
        "Never used. Open Keyward to keep it, or let it go."
    );
    assert!(n.message.starts_with(&n.summary), "{}", n.message);

    // Used, then reminded 7 days ahead (just inside 7 days).
    env.store.verify(k.key.expose()).unwrap();
    env.store.flush().unwrap();
    env.at(90 * DAY - 25 * HOUR + 83 * DAY + HOUR);
    let r = env.store.run_lifecycle(false).unwrap();
    let n = &r.reminders[0];
    assert_eq!(n.summary, "API key 'Zapier sync' will be deleted in 7 days");
    assert!(n.advice.starts_with("Last used "), "{}", n.advice);

    // A token 30 days before it expires.
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier sync");
    env.store.create_token(&k.view.id).unwrap();
    env.at(335 * DAY);
    env.store.keep_key(&k.view.id).unwrap();
    let r = env.store.run_lifecycle(false).unwrap();
    let n = r
        .reminders
        .iter()
        .find(|n| n.kind == ReminderKind::TokenExpiry)
        .unwrap();
    assert_eq!(
        n.summary,
        "A token of API key 'Zapier sync' expires in 30 days"
    );
    assert!(
        n.advice
            .starts_with("Never used. Generate a new one before "),
        "{}",
        n.advice
    );
}

#[cfg(unix)]
#[test]
fn a_private_directory_is_created_and_narrowed_to_the_user() {
    use keyward_core::store::create_private_dir;
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("cache/com.keyward.desktop/webview");
    create_private_dir(&dir).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    create_private_dir(&dir).unwrap();
    assert_eq!(mode(&dir), 0o700);
}
