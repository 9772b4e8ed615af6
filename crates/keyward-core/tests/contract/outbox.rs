//! Delivery attempts from the outbox: delivered, retried with backoff under the same
//! message id, Retry-After, giving up after three days, 410 Gone, the delivery log, and
//! the Standard Webhooks signature.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use keyward_core::clock::{DAY, MINUTE, SECOND};
use keyward_core::webhooks::{sign, GIVE_UP_AFTER};
use keyward_core::{Attempt, AttemptResult, DueMessage};
use keyward_testkit::{Backend, Env, T0};
use sha2::Sha256;

use crate::webhooks::failed;

type HmacSha256 = Hmac<Sha256>;

pub fn a_delivered_attempt_removes_the_message_and_logs_its_status(backend: &'static dyn Backend) {
    let env = Env::on(backend);
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

    let log = env.deliveries(&hook.view.id);
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
    assert_eq!(env.deliveries(&hook.view.id).len(), 1);
}

pub fn a_failed_attempt_is_retried_after_the_backoff_under_the_same_message_id(
    backend: &'static dyn Backend,
) {
    let env = Env::on(backend);
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
    let log = env.deliveries(&hook.view.id);
    assert_eq!(log[0].outcome, "retrying");
    assert_eq!(log[0].status_code, Some(500));
    assert_eq!(log[0].attempt, 1);
    assert_eq!(
        log[0].next_retry_at.map(|at| at.to_rfc3339()).as_deref(),
        Some("2023-11-14T22:13:25+00:00")
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

pub fn retry_after_replaces_the_backoff(backend: &'static dyn Backend) {
    let env = Env::on(backend);
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

pub fn a_message_failing_for_three_days_is_given_up(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let hook = env.hook(&ada.id, "api_key", "*");
    env.key(&ada.id, "Dead receiver");

    let mut attempts = 0;
    let mut message_id = None;
    let result = loop {
        let due = env.due();
        assert_eq!(due.len(), 1);
        let message_id = message_id
            .get_or_insert_with(|| due[0].message_id.clone())
            .clone();
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
    let log = env.deliveries(&hook.view.id);
    assert_eq!(log.len(), 9);
    assert_eq!(log[0].outcome, "failed");
    assert_eq!(log[0].attempt, 9);
    assert_eq!(log[0].next_retry_at, None);
    assert!(log[1..].iter().all(|d| d.outcome == "retrying"));
    // The subscription itself stays on.
    assert_eq!(env.store.webhook_view(&hook.view.id).unwrap().status, "on");
}

pub fn gone_turns_the_webhook_off_and_drops_its_other_messages(backend: &'static dyn Backend) {
    let env = Env::on(backend);
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
    let log = env.deliveries(&hook.view.id);
    let outcomes: Vec<&str> = log.iter().map(|d| d.outcome.as_str()).collect();
    assert_eq!(outcomes.iter().filter(|o| **o == "turned_off").count(), 1);
    assert_eq!(outcomes.iter().filter(|o| **o == "dropped").count(), 1);
    let turned_off = log.iter().find(|d| d.outcome == "turned_off").unwrap();
    assert_eq!(turned_off.message_id, due[0].message_id);
    assert_eq!(turned_off.status_code, Some(410));
    assert_eq!(env.count("webhook.updated"), 1);

    // The other subscription is untouched; the one turned off gets nothing new.
    assert_eq!(env.pending(&other.view.id), 2);
    env.key(&ada.id, "Three");
    assert_eq!(env.pending(&hook.view.id), 0);
    assert_eq!(env.pending(&other.view.id), 3);

    // Turning it on again clears the reason.
    let on = env.store.set_webhook_active(&hook.view.id, true).unwrap();
    assert_eq!(on.off_reason, None);
}

pub fn the_delivery_log_keeps_the_latest_hundred_attempts(backend: &'static dyn Backend) {
    let env = Env::on(backend);
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
    let log = env.deliveries(&hook.view.id);
    assert_eq!(log.len(), 100);
    // Newest first, and the oldest five are the ones pruned.
    let logged: Vec<String> = log.into_iter().rev().map(|d| d.message_id).collect();
    assert_eq!(logged, delivered[5..]);
}

pub fn sign_is_standard_webhooks_hmac_sha256(backend: &'static dyn Backend) {
    let env = Env::on(backend);
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
