//! Regeneration and the token exchange: a retired secret keeps the grace period it was
//! promised, however often the key is regenerated after it, and nothing minted with a
//! secret outlives that secret. The exchange is capped per key and audited as HTTP.

mod common;

use common::{code, Env, T0};
use keyward_core::clock::{to_rfc3339, DAY, HOUR, MINUTE, SECOND};
use keyward_core::tokens::{EXCHANGE_BURST, EXCHANGE_REFILL};
use keyward_core::{AuditFilter, Settings};

#[test]
fn a_token_minted_with_the_old_secret_ends_with_the_old_secret() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let old = env.key("ada@example.com", "Zapier");
    let new = env.store.regenerate_key(&old.view.id, 24 * HOUR).unwrap();

    env.at(HOUR);
    let from_old = env
        .store
        .exchange_key_for_token(old.key.expose())
        .unwrap()
        .unwrap();
    // It says when it ends: with the old secret's grace, not a year from now.
    assert_eq!(from_old.expires_at, to_rfc3339(T0 + 24 * HOUR));
    let from_new = env
        .store
        .exchange_key_for_token(new.key.expose())
        .unwrap()
        .unwrap();
    assert_eq!(from_new.expires_at, to_rfc3339(T0 + HOUR + 365 * DAY));

    env.at(24 * HOUR - 1);
    assert_eq!(env.verify(from_old.token.expose()), "VALID");
    env.at(24 * HOUR);
    assert_eq!(env.verify(old.key.expose()), "REVOKED");
    assert_eq!(env.verify(from_old.token.expose()), "REVOKED");
    assert_eq!(env.verify(from_new.token.expose()), "VALID");
    env.at(300 * DAY);
    assert_eq!(env.verify(from_old.token.expose()), "REVOKED");
    assert_eq!(env.verify(from_new.token.expose()), "VALID");
}

#[test]
fn a_second_regeneration_keeps_the_first_secrets_promised_end() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let first = env.key("ada@example.com", "Zapier");
    let first_token = env.store.create_token(&first.view.id).unwrap();
    let second = env.store.regenerate_key(&first.view.id, 7 * DAY).unwrap();
    let second_token = env.store.create_token(&first.view.id).unwrap();

    env.at(HOUR);
    let third = env.store.regenerate_key(&first.view.id, HOUR).unwrap();
    // The answer and the audit say when each retired secret stops.
    assert_eq!(
        third.view.grace_until.as_deref(),
        Some(to_rfc3339(T0 + 7 * DAY).as_str())
    );
    let audit = env.store.audit(&AuditFilter::default()).unwrap();
    let said = &audit
        .iter()
        .find(|e| e.action == "api_key.regenerated")
        .unwrap()
        .summary;
    assert!(
        said.contains(&format!("stop working at {}", to_rfc3339(T0 + 2 * HOUR))),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "an earlier key and its 1 live token(s) still stop working at {}",
            to_rfc3339(T0 + 7 * DAY)
        )),
        "{said}"
    );

    // Two hours in: the second secret's hour is over, the first's week is not.
    env.at(2 * HOUR);
    assert_eq!(env.verify(first.key.expose()), "VALID");
    assert_eq!(env.verify(first_token.token.expose()), "VALID");
    assert_eq!(env.verify(second.key.expose()), "REVOKED");
    assert_eq!(env.verify(second_token.token.expose()), "REVOKED");
    assert_eq!(env.verify(third.key.expose()), "VALID");

    env.at(7 * DAY - SECOND);
    assert_eq!(env.verify(first.key.expose()), "VALID");
    env.at(7 * DAY);
    assert_eq!(env.verify(first.key.expose()), "REVOKED");
    assert_eq!(env.verify(first_token.token.expose()), "REVOKED");
    assert_eq!(env.verify(third.key.expose()), "VALID");

    // The promises survive a restart.
    env.at(HOUR);
    let env = env.reopen();
    assert_eq!(env.verify(first.key.expose()), "VALID");
    assert_eq!(env.verify(second.key.expose()), "VALID");
}

#[test]
fn an_immediate_regeneration_ends_the_current_secret_but_not_earlier_promises() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let first = env.key("ada@example.com", "Zapier");
    let second = env.store.regenerate_key(&first.view.id, 24 * HOUR).unwrap();
    env.at(MINUTE);
    let third = env.store.regenerate_key(&first.view.id, 0).unwrap();
    assert_eq!(env.verify(second.key.expose()), "REVOKED");
    assert_eq!(env.verify(first.key.expose()), "VALID");
    assert_eq!(env.verify(third.key.expose()), "VALID");
    // Clearing the owner's keys ends every grace at once.
    env.store.clear_user_keys("ada@example.com").unwrap();
    assert_eq!(env.verify(first.key.expose()), "REVOKED");
}

#[test]
fn a_key_has_at_most_max_live_tokens() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    env.store
        .update_settings(Settings {
            max_live_tokens: 3,
            ..env.store.settings().unwrap()
        })
        .unwrap();
    let minted: Vec<_> = (0..3)
        .map(|_| env.store.create_token(&k.view.id).unwrap())
        .collect();
    let e = env.store.create_token(&k.view.id).unwrap_err();
    assert_eq!(e.code(), "TOO_MANY_TOKENS");
    assert!(e.to_string().contains("already has 3 live tokens"), "{e}");
    assert_eq!(
        code(env.store.exchange_key_for_token(k.key.expose())),
        "TOO_MANY_TOKENS"
    );
    // Revoking one makes room; expired ones do not count.
    env.store.revoke_token(&minted[0].id).unwrap();
    env.store.create_token(&k.view.id).unwrap();
    env.at(366 * DAY);
    assert!(env.store.create_token(&k.view.id).is_ok());
    assert_eq!(
        code(env.store.update_settings(Settings {
            max_live_tokens: 0,
            ..env.store.settings().unwrap()
        })),
        "INVALID_INPUT"
    );
}

#[test]
fn the_exchange_is_rate_limited_per_key_and_other_keys_are_unaffected() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let busy = env.key("ada@example.com", "Runaway script");
    let calm = env.key("ada@example.com", "Postman");
    for _ in 0..EXCHANGE_BURST {
        env.store
            .exchange_key_for_token(busy.key.expose())
            .unwrap()
            .unwrap();
    }
    let e = env
        .store
        .exchange_key_for_token(busy.key.expose())
        .unwrap_err();
    assert_eq!(e.code(), "RATE_LIMITED");
    let keyward_core::Error::RateLimited { retry_after_ms, .. } = e else {
        unreachable!()
    };
    assert!(retry_after_ms > 0 && retry_after_ms <= EXCHANGE_REFILL as u64);
    // The key still verifies, and another key still exchanges.
    assert_eq!(env.verify(busy.key.expose()), "VALID");
    assert!(env
        .store
        .exchange_key_for_token(calm.key.expose())
        .unwrap()
        .is_ok());
    // Waiting as told lets exactly one more through.
    env.at(retry_after_ms as i64);
    assert!(env
        .store
        .exchange_key_for_token(busy.key.expose())
        .unwrap()
        .is_ok());
    assert_eq!(
        code(env.store.exchange_key_for_token(busy.key.expose())),
        "RATE_LIMITED"
    );
}

#[test]
fn exchanges_are_audited_as_http_and_other_mints_as_the_store_actor() {
    let env = Env::new();
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    env.store
        .exchange_key_for_token(k.key.expose())
        .unwrap()
        .unwrap();
    env.store.create_token(&k.view.id).unwrap();
    let actors: Vec<String> = env
        .store
        .audit(&AuditFilter::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "token.created")
        .map(|e| e.actor)
        .collect();
    assert_eq!(actors, ["cli", "http"]);
}
