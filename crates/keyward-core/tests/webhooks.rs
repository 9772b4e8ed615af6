//! Integration tests of webhook subscriptions and their outbox (SPEC §3.11, §8): the
//! public API against a real sled database in a fresh temporary directory per test, with
//! an injected clock. Nothing here sends HTTP: a test plays the delivery worker by asking
//! for due messages and recording how each attempt went.

mod common;

use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use common::{code, Env, T0};
use hmac::{Hmac, Mac};
use keyward_core::clock::{DAY, MINUTE, SECOND};
use keyward_core::webhooks::{sign, GIVE_UP_AFTER};
use keyward_core::{
    Attempt, AttemptResult, AuditFilter, CreatedWebhook, DeliveryView, Disclosure, DueMessage,
    Millis, NewWebhook, UserEdit, WebhookView,
};
use serde_json::Value;
use sha2::Sha256;

const HOOK_URL: &str = "https://hooks.example.com/keyward";

impl Env {
    fn hook(&self, user: &str, entity: &str, operation: &str) -> CreatedWebhook {
        self.store
            .add_webhook(NewWebhook {
                user: user.into(),
                url: HOOK_URL.into(),
                entity: entity.into(),
                operation: operation.into(),
                allow_private: false,
            })
            .unwrap()
    }

    /// Everything due now (this also drops what must not be sent any more).
    fn due(&self) -> Vec<DueMessage> {
        self.store.due_messages(1000).unwrap()
    }

    /// Messages waiting for one subscription.
    fn pending(&self, webhook_id: &str) -> usize {
        self.store.webhook_view(webhook_id).unwrap().pending
    }

    fn log(&self, webhook_id: &str) -> Vec<DeliveryView> {
        self.store.webhook_deliveries(webhook_id, 1000).unwrap()
    }

    fn count_audit(&self, action: &str) -> usize {
        self.store
            .audit(&AuditFilter::default())
            .unwrap()
            .iter()
            .filter(|e| e.action == action)
            .count()
    }
}

fn body(m: &DueMessage) -> Value {
    serde_json::from_str(&m.body).expect("the body is JSON")
}

fn failed(status: Option<u16>, retry_after: Option<Millis>) -> Attempt {
    Attempt::Failed {
        status,
        error: "the receiver answered 500".into(),
        retry_after,
    }
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// ---------------------------------------------------------------- the signing secret

#[test]
fn add_webhook_shows_a_whsec_secret_of_32_random_bytes_once() {
    let env = Env::new();
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
    assert_eq!(env.count_audit("webhook.created"), 2);
}

#[test]
fn reveal_webhook_secret_returns_the_same_secret_and_is_audited() {
    let env = Env::new();
    let ada = env.admin("Ada", "ada@example.com");
    let created = env.hook(&ada.id, "api_key", "*");
    assert_eq!(env.count_audit("webhook.revealed"), 0);

    let revealed = env.store.reveal_webhook_secret(&created.view.id).unwrap();
    assert_eq!(revealed.expose(), created.secret);
    assert_eq!(env.count_audit("webhook.revealed"), 1);
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

#[test]
fn the_signing_secret_is_not_stored_in_plaintext() {
    let env = Env::new();
    let ada = env.admin("Ada", "ada@example.com");
    let secret = env.hook(&ada.id, "api_key", "*").secret;
    env.key(&ada.id, "Queued so the outbox has a message too");
    env.store.flush().unwrap();
    let dir = env.close();

    let raw = secret.strip_prefix("whsec_").unwrap();
    let bytes = B64.decode(raw).unwrap();
    let files = files_under(dir.path());
    // The scan does see what is stored: the subscription's URL is there in plain text.
    let mut url_seen = false;
    for f in files {
        let content = std::fs::read(&f).unwrap();
        url_seen |= contains(&content, HOOK_URL.as_bytes());
        assert!(!contains(&content, secret.as_bytes()), "{}", f.display());
        assert!(!contains(&content, raw.as_bytes()), "{}", f.display());
        assert!(!contains(&content, &bytes), "{}", f.display());
    }
    assert!(
        url_seen,
        "the stored webhook was not found in the data directory"
    );
}

// ---------------------------------------------------------------- bad input

#[test]
fn add_webhook_for_an_unknown_user_is_not_found() {
    let env = Env::new();
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

#[test]
fn add_webhook_refuses_entities_and_operations_outside_the_lists() {
    let env = Env::new();
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
    assert_eq!(env.count_audit("webhook.created"), 0);
}

#[test]
fn add_webhook_refuses_each_forbidden_url_clearly_and_stores_nothing() {
    let env = Env::new();
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
    assert_eq!(env.count_audit("webhook.created"), 0);
}

#[test]
fn loopback_in_any_spelling_is_allowed_with_allow_private() {
    let env = Env::new();
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

// ---------------------------------------------------------------- fan-out

#[test]
fn creating_a_key_queues_one_api_key_created_message_without_the_secret() {
    let env = Env::new();
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

    // Asking again before any attempt was recorded hands out the same message.
    let again = env.due();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].message_id, m.message_id);
}

#[test]
fn an_operation_filter_only_matches_its_own_operation() {
    let env = Env::new();
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

#[test]
fn a_star_operation_matches_every_change_of_its_entity() {
    let env = Env::new();
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

#[test]
fn another_users_subscription_receives_nothing() {
    let env = Env::new();
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

#[test]
fn a_token_subscription_receives_token_created_naming_its_key() {
    let env = Env::new();
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

#[test]
fn an_expired_token_is_announced_once_by_the_lifecycle() {
    let env = Env::new();
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

#[test]
fn a_revoked_token_is_announced_with_its_key() {
    let env = Env::new();
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

#[test]
fn editing_a_user_queues_user_updated() {
    let env = Env::new();
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

#[test]
fn copying_or_revealing_a_key_queues_nothing() {
    let env = Env::new();
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

// ---------------------------------------------------------------- off and blocked

#[test]
fn a_webhook_turned_off_drops_what_waits_and_queues_nothing_until_on_again() {
    let env = Env::new();
    let ada = env.admin("Ada", "ada@example.com");
    let hook = env.hook(&ada.id, "api_key", "*");
    let id = hook.view.id.as_str();
    env.key(&ada.id, "Waiting");
    assert_eq!(env.pending(id), 1);

    let off = env.store.set_webhook_active(id, false).unwrap();
    assert_eq!(off.status, "off");
    assert_eq!(off.pending, 0);
    assert_eq!(env.store.next_delivery_at().unwrap(), None);
    let log = env.log(id);
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

#[test]
fn a_deactivated_users_events_are_not_queued() {
    let env = Env::new();
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

#[test]
fn events_of_a_user_with_api_access_off_are_not_queued() {
    let env = Env::new();
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

#[test]
fn messages_queued_before_a_user_was_blocked_are_dropped_when_due() {
    for block in ["deactivate", "api_access_off"] {
        let env = Env::new();
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
        let log = env.log(&hook.view.id);
        assert_eq!(log.len(), 1, "{block}");
        assert_eq!(log[0].outcome, "dropped", "{block}");
        assert_eq!(log[0].event_type, "api_key.created");
        let why = log[0].error.as_deref().unwrap();
        assert!(why.starts_with("dropped:"), "{why}");
        assert!(why.contains("ada@example.com"), "{why}");
    }
}

// ---------------------------------------------------------------- attempts

#[test]
fn a_delivered_attempt_removes_the_message_and_logs_its_status() {
    let env = Env::new();
    let ada = env.admin("Ada", "ada@example.com");
    let hook = env.hook(&ada.id, "api_key", "*");
    env.key(&ada.id, "Delivered");
    let m = env.due().remove(0);

    env.clock.advance(250);
    let r = env
        .store
        .record_attempt(&m.message_id, Attempt::Delivered { status: 204 })
        .unwrap();
    assert_eq!(r, AttemptResult::Delivered);
    assert_eq!(env.pending(&hook.view.id), 0);
    assert_eq!(env.store.next_delivery_at().unwrap(), None);
    assert!(env.due().is_empty());

    let log = env.log(&hook.view.id);
    assert_eq!(log.len(), 1);
    let d = &log[0];
    assert!(d.id.starts_with("dlv_"));
    assert_eq!(d.outcome, "delivered");
    assert_eq!(d.status_code, Some(204));
    assert_eq!(d.message_id, m.message_id);
    assert_eq!(d.event_type, "api_key.created");
    assert_eq!(d.attempt, 1);
    assert_eq!(d.error, None);
    assert_eq!(d.next_retry_at, None);

    // A late second report about the same message changes nothing.
    let r = env
        .store
        .record_attempt(&m.message_id, Attempt::Delivered { status: 200 })
        .unwrap();
    assert_eq!(r, AttemptResult::GaveUp);
    assert_eq!(env.log(&hook.view.id).len(), 1);
}

#[test]
fn a_failed_attempt_is_retried_after_the_backoff_under_the_same_message_id() {
    let env = Env::new();
    let ada = env.admin("Ada", "ada@example.com");
    let hook = env.hook(&ada.id, "api_key", "*");
    env.key(&ada.id, "Flaky receiver");
    let first = env.due().remove(0);
    assert_eq!(first.attempt, 1);

    let r = env
        .store
        .record_attempt(&first.message_id, failed(Some(500), None))
        .unwrap();
    assert_eq!(r, AttemptResult::RetryAt(T0 + 5 * SECOND));
    assert_eq!(env.store.next_delivery_at().unwrap(), Some(T0 + 5 * SECOND));
    assert_eq!(env.pending(&hook.view.id), 1);
    let log = env.log(&hook.view.id);
    assert_eq!(log[0].outcome, "retrying");
    assert_eq!(log[0].status_code, Some(500));
    assert_eq!(log[0].attempt, 1);
    assert_eq!(
        log[0].next_retry_at.as_deref(),
        Some("2023-11-14T22:13:25Z")
    );

    env.clock.advance(5 * SECOND - 1);
    assert!(env.due().is_empty(), "not due before the backoff");
    env.clock.advance(1);
    let second = env.due().remove(0);
    assert_eq!(second.message_id, first.message_id);
    assert_eq!(second.body, first.body);
    assert_eq!(second.attempt, 2);

    // The second failure waits longer.
    let r = env
        .store
        .record_attempt(&second.message_id, failed(None, None))
        .unwrap();
    assert_eq!(r, AttemptResult::RetryAt(T0 + 5 * SECOND + 5 * MINUTE));
}

#[test]
fn retry_after_replaces_the_backoff() {
    let env = Env::new();
    let ada = env.admin("Ada", "ada@example.com");
    env.hook(&ada.id, "api_key", "*");
    env.key(&ada.id, "Busy receiver");
    let m = env.due().remove(0);
    let r = env
        .store
        .record_attempt(&m.message_id, failed(Some(429), Some(120 * SECOND)))
        .unwrap();
    assert_eq!(r, AttemptResult::RetryAt(T0 + 120 * SECOND));
    assert_eq!(
        env.store.next_delivery_at().unwrap(),
        Some(T0 + 120 * SECOND)
    );
}

#[test]
fn a_message_failing_for_three_days_is_given_up() {
    let env = Env::new();
    let ada = env.admin("Ada", "ada@example.com");
    let hook = env.hook(&ada.id, "api_key", "*");
    env.key(&ada.id, "Dead receiver");

    let mut attempts = 0;
    let message_id = env.due()[0].message_id.clone();
    let result = loop {
        let due = env.due();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].message_id, message_id);
        attempts += 1;
        assert_eq!(due[0].attempt, attempts);
        match env
            .store
            .record_attempt(&message_id, failed(Some(503), None))
            .unwrap()
        {
            AttemptResult::RetryAt(at) => {
                assert!(at <= T0 + GIVE_UP_AFTER);
                env.clock.set(at);
            }
            other => break other,
        }
        assert!(attempts < 50, "never gave up");
    };
    assert_eq!(result, AttemptResult::GaveUp);
    // 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, then daily while within 3 days.
    assert_eq!(attempts, 9);
    let elapsed = env.store.now() - T0;
    assert!(elapsed > 2 * DAY && elapsed <= GIVE_UP_AFTER, "{elapsed}");

    assert_eq!(env.pending(&hook.view.id), 0);
    assert_eq!(env.store.next_delivery_at().unwrap(), None);
    let log = env.log(&hook.view.id);
    assert_eq!(log.len(), 9);
    assert_eq!(log[0].outcome, "failed");
    assert_eq!(log[0].attempt, 9);
    assert_eq!(log[0].next_retry_at, None);
    assert!(log[1..].iter().all(|d| d.outcome == "retrying"));
    // The subscription itself stays on.
    assert_eq!(env.store.webhook_view(&hook.view.id).unwrap().status, "on");
}

#[test]
fn gone_turns_the_webhook_off_and_drops_its_other_messages() {
    let env = Env::new();
    let ada = env.admin("Ada", "ada@example.com");
    let hook = env.hook(&ada.id, "api_key", "*");
    let other = env.hook(&ada.id, "api_key", "created");
    env.key(&ada.id, "One");
    env.key(&ada.id, "Two");
    assert_eq!(env.pending(&hook.view.id), 2);
    assert_eq!(env.pending(&other.view.id), 2);

    let due: Vec<DueMessage> = env
        .due()
        .into_iter()
        .filter(|m| m.webhook_id == hook.view.id)
        .collect();
    let r = env
        .store
        .record_attempt(&due[0].message_id, Attempt::Gone)
        .unwrap();
    assert_eq!(r, AttemptResult::TurnedOff);

    let view = env.store.webhook_view(&hook.view.id).unwrap();
    assert_eq!(view.status, "off");
    assert!(view.off_reason.as_deref().unwrap().contains("410"));
    assert_eq!(view.pending, 0);
    let log = env.log(&hook.view.id);
    let outcomes: Vec<&str> = log.iter().map(|d| d.outcome.as_str()).collect();
    assert_eq!(outcomes.iter().filter(|o| **o == "turned_off").count(), 1);
    assert_eq!(outcomes.iter().filter(|o| **o == "dropped").count(), 1);
    let turned_off = log.iter().find(|d| d.outcome == "turned_off").unwrap();
    assert_eq!(turned_off.message_id, due[0].message_id);
    assert_eq!(turned_off.status_code, Some(410));
    assert_eq!(env.count_audit("webhook.updated"), 1);

    // The other subscription is untouched; the one turned off gets nothing new.
    assert_eq!(env.pending(&other.view.id), 2);
    env.key(&ada.id, "Three");
    assert_eq!(env.pending(&hook.view.id), 0);
    assert_eq!(env.pending(&other.view.id), 3);

    // Turning it on again clears the reason.
    let on = env.store.set_webhook_active(&hook.view.id, true).unwrap();
    assert_eq!(on.off_reason, None);
}

#[test]
fn the_delivery_log_keeps_the_latest_hundred_attempts() {
    let env = Env::new();
    let ada = env.admin("Ada", "ada@example.com");
    let hook = env.hook(&ada.id, "user", "*");
    let mut delivered = Vec::new();
    for _ in 0..105 {
        env.clock.advance(SECOND);
        env.store.test_webhook(&hook.view.id).unwrap();
        let m = env.due().remove(0);
        env.store
            .record_attempt(&m.message_id, Attempt::Delivered { status: 200 })
            .unwrap();
        delivered.push(m.message_id);
    }
    let log = env.log(&hook.view.id);
    assert_eq!(log.len(), 100);
    // Newest first, and the oldest five are the ones pruned.
    let logged: Vec<String> = log.into_iter().rev().map(|d| d.message_id).collect();
    assert_eq!(logged, delivered[5..]);
}

// ---------------------------------------------------------------- test, remove

#[test]
fn test_webhook_queues_a_webhook_test_message() {
    let env = Env::new();
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
    assert_eq!(env.count_audit("webhook.tested"), 1);
}

#[test]
fn test_webhook_is_refused_when_the_webhook_is_off() {
    let env = Env::new();
    let ada = env.admin("Ada", "ada@example.com");
    let hook = env.hook(&ada.id, "api_key", "*");
    env.store.set_webhook_active(&hook.view.id, false).unwrap();
    let err = env.store.test_webhook(&hook.view.id).unwrap_err();
    assert_eq!(err.code(), "WEBHOOK_OFF");
    assert!(err.to_string().contains(HOOK_URL), "{err}");
    assert_eq!(env.pending(&hook.view.id), 0);
    assert_eq!(env.store.next_delivery_at().unwrap(), None);
    assert_eq!(env.count_audit("webhook.tested"), 0);
    assert_eq!(code(env.store.test_webhook("whk_NOPE")), "NOT_FOUND");
}

#[test]
fn remove_webhook_deletes_its_outbox_messages_and_delivery_log() {
    let env = Env::new();
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
    assert_eq!(env.log(&gone.view.id).len(), 1);

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
    assert_eq!(env.count_audit("webhook.deleted"), 1);

    // A late report about a removed message is harmless.
    let r = env
        .store
        .record_attempt(&first.message_id, Attempt::Delivered { status: 200 })
        .unwrap();
    assert_eq!(r, AttemptResult::GaveUp);
}

// ---------------------------------------------------------------- durability

#[test]
fn a_queued_message_survives_reopening_the_store() {
    let env = Env::new();
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
    assert_eq!(env.log(&hook.view.id).len(), 1);
}

#[test]
fn every_queued_key_event_has_its_key_after_reopening() {
    let env = Env::new();
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

// ---------------------------------------------------------------- signatures

type HmacSha256 = Hmac<Sha256>;

#[test]
fn sign_is_standard_webhooks_hmac_sha256() {
    let env = Env::new();
    let ada = env.admin("Ada", "ada@example.com");
    let hook = env.hook(&ada.id, "api_key", "*");
    env.key(&ada.id, "Signed");
    let m = env.due().remove(0);
    let timestamp = T0 / 1000;

    let signature = sign(&m.secret, &m.message_id, timestamp, &m.body).unwrap();
    let encoded = signature.strip_prefix("v1,").expect("v1, prefix");

    // A receiver's check, written from the Standard Webhooks spec alone.
    let key = B64
        .decode(hook.secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let signed = format!("{}.{}.{}", m.message_id, timestamp, m.body);
    let mut mac = HmacSha256::new_from_slice(&key).unwrap();
    mac.update(signed.as_bytes());
    mac.verify_slice(&B64.decode(encoded).unwrap())
        .expect("the signature verifies");

    // Any change to id, time or body breaks it.
    for (id, ts, b) in [
        ("msg_other", timestamp, m.body.as_str()),
        (m.message_id.as_str(), timestamp + 1, m.body.as_str()),
        (m.message_id.as_str(), timestamp, "{}"),
    ] {
        let mut mac = HmacSha256::new_from_slice(&key).unwrap();
        mac.update(format!("{id}.{ts}.{b}").as_bytes());
        assert!(mac.verify_slice(&B64.decode(encoded).unwrap()).is_err());
    }
    // Another subscription's secret gives another signature.
    let other = env.hook(&ada.id, "api_key", "*").secret;
    assert_ne!(
        sign(&other, &m.message_id, timestamp, &m.body).unwrap(),
        signature
    );
}
