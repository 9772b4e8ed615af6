//! Webhook subscriptions (SPEC §3.11, §8): the signing secret, the rules for entities,
//! operations and URLs, on and off, test messages, removal. Nothing here sends HTTP: a
//! test plays the delivery worker by asking for due messages and recording how each
//! attempt went.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use keyward_core::clock::DAY;
use keyward_core::{
    Attempt, AttemptResult, AuditFilter, DueMessage, Millis, NewWebhook, WebhookView,
};
use keyward_testkit::webhooks::HOOK_URL;
use keyward_testkit::{code, Backend, Env};
use serde_json::Value;

/// A queued message's body, as JSON.
pub fn body(m: &DueMessage) -> Value {
    serde_json::from_str(&m.body).expect("the body is JSON")
}

/// A failed delivery attempt, as the worker reports one.
pub fn failed(status: Option<u16>, retry_after: Option<Millis>) -> Attempt {
    Attempt::Failed {
        status,
        error: "the receiver answered 500".into(),
        retry_after,
    }
}

pub fn add_webhook_shows_a_whsec_secret_of_32_random_bytes_once(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let created = env.hook(&ada.id, "api_key", "created");
    let secret = created.secret.clone();

    let raw = secret.strip_prefix("whsec_").expect("whsec_ prefix");
    assert_eq!(B64.decode(raw).unwrap().len(), 32);
    assert_ne!(env.hook(&ada.id, "api_key", "created").secret, secret);

    let view = &created.view;
    assert!(view.id.starts_with("whk_"));
    assert_eq!(view.user_id, ada.id);
    assert_eq!(view.user_email, "ada@example.com");
    assert_eq!(view.user_name, "Ada");
    assert_eq!(view.url, HOOK_URL);
    assert_eq!(view.status, "on");
    assert_eq!(view.pending, 0);
    assert!(view.masked_secret.starts_with("whsec_…"));
    let unpadded = secret.trim_end_matches('=');
    assert!(view
        .masked_secret
        .ends_with(&unpadded[unpadded.len() - 4..]));

    // Shown in full where it is created ...
    let created_json = serde_json::to_value(&created).unwrap();
    assert_eq!(created_json["secret"], secret.as_str());
    assert_eq!(created_json["id"], view.id.as_str());

    // ... and nowhere else.
    let mut views: Vec<WebhookView> = env.store.list_webhooks(None).unwrap();
    views.extend(env.store.list_webhooks(Some("ada@example.com")).unwrap());
    views.push(env.store.webhook_view(&view.id).unwrap());
    for v in &views {
        let json = serde_json::to_string(v).unwrap();
        assert!(!json.contains(&secret), "{json}");
        assert!(!json.contains(raw), "{json}");
        assert!(!json.contains("\"secret\""), "{json}");
        assert!(json.contains(&v.masked_secret), "{json}");
    }
    let audit = serde_json::to_string(&env.store.audit(&AuditFilter::default()).unwrap()).unwrap();
    assert!(!audit.contains(raw));
    assert_eq!(env.count("webhook.created"), 2);
}

pub fn reveal_webhook_secret_returns_the_same_secret_and_is_audited(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let created = env.hook(&ada.id, "api_key", "*");
    assert_eq!(env.count("webhook.revealed"), 0);

    let revealed = env.store.reveal_webhook_secret(&created.view.id).unwrap();
    assert_eq!(revealed.expose(), created.secret);
    assert_eq!(env.count("webhook.revealed"), 1);
    let events = env.store.audit(&AuditFilter::default()).unwrap();
    let reveal = events
        .iter()
        .find(|e| e.action == "webhook.revealed")
        .unwrap();
    assert_eq!(reveal.object_id, created.view.id);
    assert!(!reveal.summary.contains(&created.secret[6..]));

    assert_eq!(
        code(env.store.reveal_webhook_secret("whk_NOPE")),
        "NOT_FOUND"
    );
}

pub fn add_webhook_for_an_unknown_user_is_not_found(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    for user in ["usr_NOPE", "nobody@example.com"] {
        let r = env.store.add_webhook(NewWebhook {
            user: user.into(),
            url: HOOK_URL.into(),
            entity: "api_key".into(),
            operation: "created".into(),
            allow_private: false,
        });
        assert_eq!(code(r), "NOT_FOUND", "{user}");
    }
    assert!(env.store.list_webhooks(None).unwrap().is_empty());
}

pub fn add_webhook_refuses_entities_and_operations_outside_the_lists(
    backend: &'static dyn Backend,
) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    for (entity, operation, named) in [
        ("location", "created", "location"),
        ("webhook", "created", "webhook"),
        ("", "created", "entity"),
        ("api_key", "copied", "copied"),
        ("api_key", "reminder", "reminder"),
        ("user", "", "operation"),
    ] {
        let err = env
            .store
            .add_webhook(NewWebhook {
                user: ada.id.clone(),
                url: HOOK_URL.into(),
                entity: entity.into(),
                operation: operation.into(),
                allow_private: false,
            })
            .unwrap_err();
        assert_eq!(err.code(), "INVALID_INPUT", "{entity}.{operation}");
        let msg = err.to_string();
        assert!(msg.contains(named), "{msg}");
        assert!(msg.contains("use one of"), "{msg}");
    }
    assert!(env.store.list_webhooks(None).unwrap().is_empty());
    assert_eq!(env.count("webhook.created"), 0);
}

pub fn add_webhook_refuses_each_forbidden_url_clearly_and_stores_nothing(
    backend: &'static dyn Backend,
) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let cases: [(&str, bool, &str); 9] = [
        ("ftp://example.com/hook", false, "http:// or https://"),
        (
            "https://user:pw@example.com/hook",
            false,
            "user name or password",
        ),
        (
            "https://user@example.com/hook",
            false,
            "user name or password",
        ),
        (
            "http://169.254.169.254/latest/meta-data",
            false,
            "never sent there",
        ),
        (
            "http://169.254.169.254/latest/meta-data",
            true,
            "never sent there",
        ),
        ("http://2130706433/hook", false, "--allow-private"),
        ("http://[::ffff:127.0.0.1]/hook", false, "--allow-private"),
        ("http://[fe80::1]/hook", false, "never sent there"),
        ("http://[fe80::1]/hook", true, "never sent there"),
    ];
    for (url, allow_private, says) in cases {
        let err = env
            .store
            .add_webhook(NewWebhook {
                user: ada.id.clone(),
                url: url.into(),
                entity: "api_key".into(),
                operation: "*".into(),
                allow_private,
            })
            .unwrap_err();
        assert_eq!(err.code(), "INVALID_INPUT", "{url}");
        let msg = err.to_string();
        assert!(
            msg.contains(says),
            "{url} (allow_private {allow_private}): {msg}"
        );
    }
    assert!(env.store.list_webhooks(None).unwrap().is_empty());
    assert_eq!(env.count("webhook.created"), 0);
}

pub fn loopback_in_any_spelling_is_allowed_with_allow_private(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    for url in ["http://2130706433/hook", "http://[::ffff:127.0.0.1]/hook"] {
        let created = env
            .store
            .add_webhook(NewWebhook {
                user: ada.id.clone(),
                url: url.into(),
                entity: "api_key".into(),
                operation: "*".into(),
                allow_private: true,
            })
            .unwrap();
        assert!(created.view.allow_private, "{url}");
        assert_eq!(created.view.status, "on");
    }
    let urls: Vec<String> = env
        .store
        .list_webhooks(None)
        .unwrap()
        .into_iter()
        .map(|w| w.url)
        .collect();
    // Stored as the URL parser reads them, so the list shows where they really point.
    assert_eq!(
        urls,
        vec!["http://127.0.0.1/hook", "http://[::ffff:7f00:1]/hook"]
    );
}

pub fn test_webhook_queues_a_webhook_test_message(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let hook = env.hook(&ada.id, "user", "deleted");
    let view = env.store.test_webhook(&hook.view.id).unwrap();
    assert_eq!(view.pending, 1);
    let due = env.due();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].event_type, "webhook.test");
    let b = body(&due[0]);
    assert_eq!(b["type"], "webhook.test");
    assert_eq!(b["timestamp"], "2023-11-14T22:13:20Z");
    assert_eq!(b["data"]["webhook_id"], hook.view.id.as_str());
    assert_eq!(env.count("webhook.tested"), 1);
}

pub fn test_webhook_is_refused_when_the_webhook_is_off(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let hook = env.hook(&ada.id, "api_key", "*");
    env.store.set_webhook_active(&hook.view.id, false).unwrap();
    let err = env.store.test_webhook(&hook.view.id).unwrap_err();
    assert_eq!(err.code(), "WEBHOOK_OFF");
    assert!(err.to_string().contains(HOOK_URL), "{err}");
    assert_eq!(env.pending(&hook.view.id), 0);
    assert_eq!(env.store.next_delivery_at().unwrap(), None);
    assert_eq!(env.count("webhook.tested"), 0);
    assert_eq!(code(env.store.test_webhook("whk_NOPE")), "NOT_FOUND");
}

pub fn remove_webhook_deletes_its_outbox_messages_and_delivery_log(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let gone = env.hook(&ada.id, "api_key", "*");
    let kept = env.hook(&ada.id, "api_key", "*");
    env.key(&ada.id, "One");
    let first = env
        .due()
        .into_iter()
        .find(|m| m.webhook_id == gone.view.id)
        .unwrap();
    env.store
        .record_attempt(&first.message_id, failed(Some(500), None))
        .unwrap();
    env.key(&ada.id, "Two");
    assert_eq!(env.pending(&gone.view.id), 2);
    assert_eq!(env.deliveries(&gone.view.id).len(), 1);

    let removed = env.store.remove_webhook(&gone.view.id).unwrap();
    assert_eq!(removed.id, gone.view.id);
    assert_eq!(code(env.store.webhook_view(&gone.view.id)), "NOT_FOUND");
    assert_eq!(
        code(env.store.webhook_deliveries(&gone.view.id, 10)),
        "NOT_FOUND"
    );
    let left: Vec<String> = env
        .store
        .list_webhooks(None)
        .unwrap()
        .into_iter()
        .map(|w| w.id)
        .collect();
    assert_eq!(left, vec![kept.view.id.clone()]);
    assert_eq!(env.pending(&kept.view.id), 2);
    env.clock.advance(DAY);
    assert!(env.due().iter().all(|m| m.webhook_id == kept.view.id));
    assert_eq!(env.count("webhook.deleted"), 1);

    // A late report about a removed message is harmless.
    let r = env
        .store
        .record_attempt(&first.message_id, Attempt::Delivered { status: 200 })
        .unwrap();
    assert_eq!(r, AttemptResult::GaveUp);
}

pub fn a_webhook_turned_off_drops_what_waits_and_queues_nothing_until_on_again(
    backend: &'static dyn Backend,
) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let hook = env.hook(&ada.id, "api_key", "*");
    let id = hook.view.id.as_str();
    env.key(&ada.id, "Waiting");
    assert_eq!(env.pending(id), 1);

    let off = env.store.set_webhook_active(id, false).unwrap();
    assert_eq!(off.status, "off");
    assert_eq!(off.pending, 0);
    assert_eq!(env.store.next_delivery_at().unwrap(), None);
    let log = env.deliveries(id);
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].outcome, "dropped");
    assert_eq!(log[0].event_type, "api_key.created");
    assert!(log[0].error.as_deref().unwrap().contains("turned off"));

    env.key(&ada.id, "While off");
    assert_eq!(env.pending(id), 0);
    assert!(env.due().is_empty());

    let on = env.store.set_webhook_active(id, true).unwrap();
    assert_eq!(on.status, "on");
    env.key(&ada.id, "On again");
    let due = env.due();
    assert_eq!(due.len(), 1);
    assert_eq!(body(&due[0])["data"]["name"], "On again");
}
