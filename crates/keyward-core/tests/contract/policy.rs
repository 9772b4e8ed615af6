//! A key's policy: an end date chosen at creation, "never delete for inactivity" (and the
//! rule off for all), notes and tags that search finds, permissions that verification
//! checks, and a per-key rate limit.

use keyward_core::clock::{to_datetime, DAY, MINUTE, SECOND};
use keyward_core::{KeyEdit, KeyFilter, NewKey, Settings};
use keyward_testkit::{code, Backend, Env, T0};

fn new_key(owner: &str, name: &str) -> NewKey {
    NewKey {
        owner: owner.into(),
        name: name.into(),
        ..Default::default()
    }
}

pub fn a_key_given_an_end_expires_then(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let k = env
        .store
        .create_key(NewKey {
            expires: Some("30d".into()),
            ..new_key(&ada.id, "Campaign form")
        })
        .unwrap();
    assert_eq!(k.view.expires_at, Some(to_datetime(T0 + 30 * DAY)));
    // Its end is within the first reminder's 30 days: the list shows it.
    assert!(k.view.expiry_near);
    let later = env
        .store
        .create_key(NewKey {
            expires: Some("90d".into()),
            ..new_key(&ada.id, "Quarterly")
        })
        .unwrap();
    assert!(!later.view.expiry_near);
    env.at(60 * DAY - SECOND);
    assert!(!env.store.key_view(&later.view.id).unwrap().expiry_near);
    env.at(60 * DAY);
    assert!(env.store.key_view(&later.view.id).unwrap().expiry_near);
    env.store.delete_key(&later.view.id, true).unwrap();
    env.at(0);
    let v = env.store.verify(k.key.expose()).unwrap();
    assert_eq!(
        v.identity.unwrap().expires_at,
        Some(to_datetime(T0 + 30 * DAY))
    );
    // A token minted from it ends with it.
    let t = env.store.create_token(&k.view.id).unwrap();
    env.at(30 * DAY);
    assert_eq!(env.verify(k.key.expose()), "EXPIRED");
    assert_eq!(env.verify(t.token.expose()), "EXPIRED");
    let shown = env.store.key_view(&k.view.id).unwrap();
    assert_eq!(shown.status.as_str(), "expired");
    assert!(!shown.expiry_near, "an expired key is past near");
    assert_eq!(
        env.keys(KeyFilter {
            status: Some("expired".into()),
            ..Default::default()
        }),
        vec![k.view.id.clone()]
    );
    // No end by default; a bad end is refused and nothing is created.
    let forever = env.key(&ada.id, "Forever");
    assert_eq!(forever.view.expires_at, None);
    for bad in ["yesterday", "0d", "2001-01-01"] {
        let e = env
            .store
            .create_key(NewKey {
                expires: Some(bad.into()),
                ..new_key(&ada.id, "Bad")
            })
            .unwrap_err();
        assert_eq!(e.field(), Some("expires"), "{bad}");
    }
    assert_eq!(env.store.list_keys(&KeyFilter::default()).unwrap().len(), 2);
}

pub fn a_key_is_reminded_before_its_end_as_tokens_are(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let k = env
        .store
        .create_key(NewKey {
            expires: Some("90d".into()),
            keep_always: true,
            ..new_key(&ada.id, "Partner feed")
        })
        .unwrap();
    let hook = env.hook("ada@example.com", "api_key", "expiring");
    let reminded = |at: i64| {
        env.at(at);
        env.store
            .run_lifecycle(false)
            .unwrap()
            .reminders
            .into_iter()
            .filter(|r| r.key_id == k.view.id)
            .collect::<Vec<_>>()
    };
    assert!(reminded(59 * DAY).is_empty(), "nothing 31 days before");
    let first = reminded(60 * DAY);
    assert_eq!(first.len(), 1);
    assert_eq!(
        first[0].kind,
        keyward_core::lifecycle::ReminderKind::KeyExpiry
    );
    assert_eq!(first[0].days_before, 30);
    assert!(
        first[0].summary.contains("expires in 30 days"),
        "{}",
        first[0].summary
    );
    assert!(reminded(61 * DAY).is_empty(), "each threshold once");
    assert_eq!(reminded(83 * DAY)[0].days_before, 7);
    // Each reminder is an api_key.expiring event for the owner's subscription.
    assert_eq!(env.pending(&hook.view.id), 2);
    // Past its end: no more reminders, and the key answers EXPIRED.
    assert_eq!(reminded(89 * DAY)[0].days_before, 1);
    assert!(reminded(91 * DAY).is_empty());
    assert_eq!(env.verify(k.key.expose()), "EXPIRED");
}

pub fn a_key_kept_always_is_never_deleted_for_inactivity(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let quarterly = env
        .store
        .create_key(NewKey {
            keep_always: true,
            ..new_key(&ada.id, "Quarterly job")
        })
        .unwrap();
    let other = env.key(&ada.id, "Ordinary");
    assert!(quarterly.view.keep_always);
    assert_eq!(quarterly.view.deletes_at, None);
    assert!(other.view.deletes_at.is_some());
    env.at(200 * DAY);
    let report = env.store.run_lifecycle(false).unwrap();
    let deleted: Vec<&str> = report.deleted.iter().map(|d| d.id.as_str()).collect();
    assert!(!deleted.contains(&quarterly.view.id.as_str()));
    assert!(report
        .reminders
        .iter()
        .all(|r| r.key_id != quarterly.view.id));
    // Still there (looked at, not used: a verification would count as use).
    assert_eq!(
        env.store
            .key_view(&quarterly.view.id)
            .unwrap()
            .status
            .as_str(),
        "active"
    );
    // Undone, it is counted from its last activity again (and reminded first).
    let view = env
        .store
        .edit_key(
            &quarterly.view.id,
            KeyEdit {
                keep_always: Some(false),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(!view.keep_always && view.deletes_at.is_some());
    assert!(env
        .store
        .run_lifecycle(false)
        .unwrap()
        .reminders
        .iter()
        .any(|r| r.key_id == quarterly.view.id));
    assert!(env
        .audit()
        .iter()
        .any(|e| e.summary.contains("never deleted for inactivity")));
}

pub fn inactivity_days_zero_switches_the_rule_off(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let k = env.key(&ada.id, "Rarely used");
    env.store
        .update_settings(Settings {
            inactivity_days: 0,
            ..env.store.settings().unwrap()
        })
        .unwrap();
    assert_eq!(env.store.key_view(&k.view.id).unwrap().deletes_at, None);
    env.at(1_000 * DAY);
    let report = env.store.run_lifecycle(false).unwrap();
    assert!(report.deleted.is_empty() && report.reminders.is_empty());
    assert_eq!(env.verify(k.key.expose()), "VALID");
}

pub fn notes_and_tags_say_what_uses_a_key_and_search_finds_them(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let k = env
        .store
        .create_key(NewKey {
            notes: "Used by the donation form on example.org".into(),
            tags: vec!["Website".into(), "forms".into(), "website".into()],
            ..new_key(&ada.id, "Form key")
        })
        .unwrap();
    env.key(&ada.id, "Unrelated");
    assert_eq!(k.view.tags, vec!["website", "forms"]);
    assert_eq!(k.view.notes, "Used by the donation form on example.org");
    let search = |q: &str| {
        env.keys(KeyFilter {
            search: Some(q.into()),
            ..Default::default()
        })
    };
    assert_eq!(search("donation"), vec![k.view.id.clone()]);
    assert_eq!(search("FORMS"), vec![k.view.id.clone()]);
    let edited = env
        .store
        .edit_key(
            &k.view.id,
            KeyEdit {
                tags: Some(vec!["crm".into()]),
                notes: Some("Zapier, nightly".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(edited.tags, vec!["crm"]);
    assert_eq!(search("zapier"), vec![k.view.id.clone()]);
    assert!(search("donation").is_empty());
    // Bad values change nothing.
    let too_many: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
    for edit in [
        KeyEdit {
            tags: Some(too_many),
            ..Default::default()
        },
        KeyEdit {
            notes: Some("n".repeat(1_001)),
            ..Default::default()
        },
        KeyEdit {
            tags: Some(vec!["two words".into()]),
            ..Default::default()
        },
    ] {
        let e = env.store.edit_key(&k.view.id, edit).unwrap_err();
        assert_eq!(e.code(), "INVALID_INPUT");
    }
    assert_eq!(env.store.key_view(&k.view.id).unwrap(), edited);
}

pub fn verification_checks_permissions(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let all = env.key(&ada.id, "Everything");
    assert_eq!(all.view.permissions, vec!["*"]);
    let narrow = env
        .store
        .create_key(NewKey {
            permissions: vec!["contacts:read".into(), "events:*".into()],
            ..new_key(&ada.id, "Read contacts")
        })
        .unwrap();
    let v = env.store.verify(narrow.key.expose()).unwrap();
    assert_eq!(
        v.identity.unwrap().permissions,
        vec!["contacts:read", "events:*"]
    );
    let check = |key: &str, p: &str| {
        let v = env.store.verify_for(key, Some(p)).unwrap();
        v.code.map_or("VALID", |c| c.as_str())
    };
    assert_eq!(check(narrow.key.expose(), "contacts:read"), "VALID");
    assert_eq!(check(narrow.key.expose(), "events:rsvp"), "VALID");
    assert_eq!(
        check(narrow.key.expose(), "contacts:write"),
        "INSUFFICIENT_PERMISSIONS"
    );
    assert_eq!(check(all.key.expose(), "contacts:write"), "VALID");
    // A token carries its key's permissions.
    let t = env.store.create_token(&narrow.view.id).unwrap();
    assert_eq!(
        check(t.token.expose(), "contacts:write"),
        "INSUFFICIENT_PERMISSIONS"
    );
    // Editable; a bad one is refused.
    let widened = env
        .store
        .edit_key(
            &narrow.view.id,
            KeyEdit {
                permissions: Some(vec!["contacts:*".into()]),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(widened.permissions, vec!["contacts:*"]);
    assert_eq!(check(narrow.key.expose(), "contacts:write"), "VALID");
    let e = env
        .store
        .create_key(NewKey {
            permissions: vec!["Contacts Read".into()],
            ..new_key(&ada.id, "Bad")
        })
        .unwrap_err();
    assert_eq!(e.field(), Some("permissions"));
}

pub fn a_rate_limit_stops_a_runaway_key_only(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let limited = env
        .store
        .create_key(NewKey {
            rate: Some("2/min".into()),
            ..new_key(&ada.id, "Runaway script")
        })
        .unwrap();
    let other = env.key(&ada.id, "Calm");
    assert_eq!(limited.view.rate.as_deref(), Some("2/min"));
    assert_eq!(env.verify(limited.key.expose()), "VALID");
    assert_eq!(env.verify(limited.key.expose()), "VALID");
    let v = env.store.verify(limited.key.expose()).unwrap();
    assert_eq!(v.code.unwrap().as_str(), "RATE_LIMITED");
    assert_eq!(v.retry_after_ms, Some(30 * SECOND as u64));
    for _ in 0..10 {
        assert_eq!(env.verify(other.key.expose()), "VALID");
    }
    env.at(30 * SECOND);
    assert_eq!(env.verify(limited.key.expose()), "VALID");
    // Removed, the key is unlimited again.
    env.store
        .edit_key(
            &limited.view.id,
            KeyEdit {
                rate: Some("none".into()),
                ..Default::default()
            },
        )
        .unwrap();
    for _ in 0..5 {
        assert_eq!(env.verify(limited.key.expose()), "VALID");
    }
    assert_eq!(
        code(env.store.create_key(NewKey {
            rate: Some("lots".into()),
            ..new_key(&ada.id, "Bad")
        })),
        "INVALID_INPUT"
    );
    let _ = MINUTE;
}
