//! Which changes queue which webhook messages: entity and operation filters, another
//! user's subscriptions, token events, and nothing for users who are deactivated or have
//! API access off.

use keyward_core::clock::{DAY, SECOND};
use keyward_core::{Disclosure, UserEdit};
use keyward_testkit::webhooks::HOOK_URL;
use keyward_testkit::{Backend, Env, T0};

use crate::webhooks::body;

/// How long a message handed out stays claimed.
const CLAIM: i64 = 60 * SECOND;

pub fn creating_a_key_queues_one_api_key_created_message_without_the_secret(
    backend: &'static dyn Backend,
) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let hook = env.hook(&ada.id, "api_key", "created");
    assert_eq!(env.store.next_delivery_at().unwrap(), None);

    env.clock.advance(1_500);
    let key = env.key(&ada.id, "Marketing Automation");
    assert_eq!(env.store.next_delivery_at().unwrap(), Some(T0 + 1_500));
    assert_eq!(env.pending(&hook.view.id), 1);

    let due = env.due();
    assert_eq!(due.len(), 1);
    let m = &due[0];
    assert!(m.message_id.starts_with("msg_"));
    assert_eq!(m.webhook_id, hook.view.id);
    assert_eq!(m.url, HOOK_URL);
    assert_eq!(m.event_type, "api_key.created");
    assert_eq!(m.attempt, 1);
    assert_eq!(m.secret.as_str(), hook.secret);

    let b = body(m);
    assert_eq!(
        b.as_object().unwrap().keys().collect::<Vec<_>>(),
        vec!["data", "timestamp", "type"]
    );
    assert_eq!(b["type"], "api_key.created");
    assert_eq!(b["timestamp"], "2023-11-14T22:13:21Z");
    assert_eq!(b["data"]["id"], key.view.id.as_str());
    assert_eq!(b["data"]["name"], "Marketing Automation");
    assert_eq!(b["data"]["user_id"], ada.id.as_str());
    let full = key.key.expose();
    assert!(!m.body.contains(full), "{}", m.body);
    assert!(!m.body.contains(&full[4..]), "{}", m.body);

    // Handed out, it is claimed: no other process sharing the database sends it too.
    assert!(env.due().is_empty());
    // A process that died mid-attempt never records one: once the claim lapses, the
    // same message is handed out again.
    env.clock.advance(CLAIM);
    let again = env.due();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].message_id, m.message_id);
    assert_eq!(again[0].attempt, 1);
}

pub fn an_operation_filter_only_matches_its_own_operation(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let deleted = env.hook(&ada.id, "api_key", "deleted");
    let key = env.key(&ada.id, "Reporting");
    assert_eq!(env.pending(&deleted.view.id), 0);
    assert_eq!(env.store.next_delivery_at().unwrap(), None);

    env.store.delete_key(&key.view.id, true).unwrap();
    let due = env.due();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].event_type, "api_key.deleted");
    assert_eq!(body(&due[0])["data"]["id"], key.view.id.as_str());
}

pub fn a_star_operation_matches_every_change_of_its_entity(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let all = env.hook(&ada.id, "api_key", "*");
    let key = env.key(&ada.id, "Billing");
    env.store.set_key_disabled(&key.view.id, true).unwrap();
    let regenerated = env.store.regenerate_key(&key.view.id, 0).unwrap();
    env.store.delete_key(&key.view.id, true).unwrap();

    let due = env.due();
    for m in &due {
        assert_eq!(body(m)["data"]["id"], key.view.id.as_str());
        assert!(!m.body.contains(&key.key.expose()[4..]), "{}", m.body);
        assert!(
            !m.body.contains(&regenerated.key.expose()[4..]),
            "{}",
            m.body
        );
    }
    let mut types: Vec<String> = due.into_iter().map(|m| m.event_type).collect();
    types.sort();
    assert_eq!(
        types,
        vec![
            "api_key.created",
            "api_key.deleted",
            "api_key.regenerated",
            "api_key.updated"
        ]
    );
    assert_eq!(env.pending(&all.view.id), 4);
}

pub fn another_users_subscription_receives_nothing(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let grace = env.admin("Grace", "grace@example.com");
    let graces = env.hook(&grace.id, "api_key", "*");
    env.key(&ada.id, "Ada's key");
    assert_eq!(env.pending(&graces.view.id), 0);
    assert!(env.due().is_empty());

    let adas = env.hook(&ada.id, "api_key", "*");
    env.key(&ada.id, "Ada's second key");
    assert_eq!(env.pending(&graces.view.id), 0);
    assert_eq!(env.pending(&adas.view.id), 1);
    let due = env.due();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].webhook_id, adas.view.id);
}

pub fn a_token_subscription_receives_token_created_naming_its_key(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let tokens = env.hook(&ada.id, "token", "created");
    let key = env.key(&ada.id, "Exchange");
    assert_eq!(env.pending(&tokens.view.id), 0, "a key is not a token");

    let token = env.store.create_token(&key.view.id).unwrap();
    let due = env.due();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].event_type, "token.created");
    let b = body(&due[0]);
    assert_eq!(b["type"], "token.created");
    assert_eq!(b["data"]["id"], token.id.as_str());
    assert_eq!(b["data"]["key_id"], key.view.id.as_str());
    assert_eq!(b["data"]["key_name"], "Exchange");
    assert!(!due[0].body.contains(&token.token.expose()[4..]));
    assert!(!due[0].body.contains(&key.key.expose()[4..]));
}

pub fn an_expired_token_is_announced_once_by_the_lifecycle(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let mut settings = env.store.settings().unwrap();
    settings.token_lifetime_days = 10;
    settings.token_reminder_days = vec![7, 1];
    env.store.update_settings(settings).unwrap();
    let key = env.key(&ada.id, "Exchange");
    let token = env.store.create_token(&key.view.id).unwrap();
    let revoked = env.store.create_token(&key.view.id).unwrap();
    env.store.revoke_token(&revoked.id).unwrap();
    env.hook(&ada.id, "token", "expired");

    env.clock.advance(9 * DAY);
    env.store.run_lifecycle(false).unwrap();
    assert!(env.due().is_empty(), "not expired yet");

    env.clock.advance(DAY);
    env.store.run_lifecycle(false).unwrap();
    let due = env.due();
    assert_eq!(
        due.len(),
        1,
        "only the token that was live until it ran out"
    );
    assert_eq!(due[0].event_type, "token.expired");
    let b = body(&due[0]);
    assert_eq!(b["data"]["id"], token.id.as_str());
    assert_eq!(b["data"]["key_id"], key.view.id.as_str());

    env.clock.advance(DAY);
    env.store.run_lifecycle(false).unwrap();
    assert_eq!(env.due().len(), 1, "announced once");
}

pub fn a_revoked_token_is_announced_with_its_key(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let key = env.key(&ada.id, "Exchange");
    let token = env.store.create_token(&key.view.id).unwrap();
    env.hook(&ada.id, "token", "revoked");
    env.store.revoke_token(&token.id).unwrap();
    let due = env.due();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].event_type, "token.revoked");
    let b = body(&due[0]);
    assert_eq!(b["data"]["id"], token.id.as_str());
    assert_eq!(b["data"]["key_id"], key.view.id.as_str());
    assert!(!due[0].body.contains(&token.token.expose()[4..]));
}

pub fn editing_a_user_queues_user_updated(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let users = env.hook(&ada.id, "user", "updated");
    env.store
        .edit_user(
            &ada.id,
            UserEdit {
                name: Some("Ada Lovelace".into()),
                email: None,
            },
        )
        .unwrap();
    let due = env.due();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].webhook_id, users.view.id);
    assert_eq!(due[0].event_type, "user.updated");
    let b = body(&due[0]);
    assert_eq!(b["data"]["id"], ada.id.as_str());
    assert_eq!(b["data"]["user_id"], ada.id.as_str());
}

pub fn copying_or_revealing_a_key_queues_nothing(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let key = env.key(&ada.id, "Copied");
    let all = env.hook(&ada.id, "api_key", "*");
    for how in [
        Disclosure::Copy,
        Disclosure::Reveal,
        Disclosure::CopyAsCurl,
        Disclosure::ExportForPostman,
    ] {
        env.store.reveal_key(&key.view.id, how).unwrap();
    }
    assert_eq!(env.pending(&all.view.id), 0);
    assert_eq!(env.store.next_delivery_at().unwrap(), None);
    assert!(env.due().is_empty());
}

pub fn a_deactivated_users_events_are_not_queued(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let key = env.key(&ada.id, "Before");
    let keys = env.hook(&ada.id, "api_key", "*");
    let users = env.hook(&ada.id, "user", "*");

    env.store.set_user_active(&ada.id, false).unwrap();
    let view = env.store.webhook_view(&keys.view.id).unwrap();
    assert_eq!(view.status, "on");
    assert!(view.paused_reason.unwrap().contains("deactivated"));

    env.store
        .edit_user(
            &ada.id,
            UserEdit {
                name: Some("Ada L.".into()),
                email: None,
            },
        )
        .unwrap();
    env.store.set_key_disabled(&key.view.id, true).unwrap();
    assert_eq!(env.pending(&keys.view.id), 0);
    assert_eq!(env.pending(&users.view.id), 0);
    assert!(env.due().is_empty());

    env.store.set_user_active(&ada.id, true).unwrap();
    env.store.set_key_disabled(&key.view.id, false).unwrap();
    assert_eq!(env.pending(&keys.view.id), 1);
}

pub fn events_of_a_user_with_api_access_off_are_not_queued(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let key = env.key(&ada.id, "Before");
    let keys = env.hook(&ada.id, "api_key", "*");
    let users = env.hook(&ada.id, "user", "updated");

    env.store.set_api_access(&ada.id, false).unwrap();
    let view = env.store.webhook_view(&keys.view.id).unwrap();
    assert!(view.paused_reason.unwrap().contains("API access is off"));
    env.store.set_key_disabled(&key.view.id, true).unwrap();
    env.store
        .edit_user(
            &ada.id,
            UserEdit {
                name: Some("Ada L.".into()),
                email: None,
            },
        )
        .unwrap();
    assert_eq!(env.pending(&keys.view.id), 0);
    assert_eq!(env.pending(&users.view.id), 0);
    assert!(env.due().is_empty());
}

pub fn messages_queued_before_a_user_was_blocked_are_dropped_when_due(
    backend: &'static dyn Backend,
) {
    for block in ["deactivate", "api_access_off"] {
        let env = Env::on(backend);
        let ada = env.admin("Ada", "ada@example.com");
        let hook = env.hook(&ada.id, "api_key", "created");
        env.key(&ada.id, "Queued first");
        assert_eq!(env.pending(&hook.view.id), 1);

        match block {
            "deactivate" => env.store.set_user_active(&ada.id, false).unwrap(),
            _ => env.store.set_api_access(&ada.id, false).unwrap(),
        };
        assert!(env.due().is_empty(), "{block}");
        assert_eq!(env.pending(&hook.view.id), 0, "{block}");
        assert_eq!(env.store.next_delivery_at().unwrap(), None, "{block}");
        let log = env.deliveries(&hook.view.id);
        assert_eq!(log.len(), 1, "{block}");
        assert_eq!(log[0].outcome, "dropped", "{block}");
        assert_eq!(log[0].event_type, "api_key.created");
        let why = log[0].error.as_deref().unwrap();
        assert!(why.starts_with("dropped:"), "{why}");
        assert!(why.contains("ada@example.com"), "{why}");
    }
}
