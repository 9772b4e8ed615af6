//! Tokens: minted from a key, verified as tokens, expiring, revoked, listed per key; the
//! exchange of a key for a token, its cap per key, its rate limit and its audit.

use keyward_core::clock::{to_datetime, DAY, HOUR, MINUTE};
use keyward_core::tokens::{EXCHANGE_BURST, EXCHANGE_REFILL};
use keyward_core::{
    AuditFilter, CredentialKind, ErrorClass, ScopeView, Secret, SecretKind, Settings,
};
use keyward_testkit::{code, Backend, Env, T0};

pub fn token_verifies_as_token_expiring_in_365_days(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let k = env.key(&ada.id, "Zapier");
    let t = env.store.create_token(&k.view.id).unwrap();
    assert!(t.id.starts_with("tok_"));
    assert!(t.token.expose().starts_with("kwt_"));
    assert_eq!(t.token.kind(), Some(SecretKind::Token));
    assert_eq!(t.key_id, k.view.id);
    assert_eq!(t.expires_at, to_datetime(T0 + 365 * DAY));
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
    assert_eq!(id.expires_at, Some(to_datetime(T0 + 365 * DAY)));
    // A token's use counts for its key too.
    assert_eq!(env.store.last_used(&t.id).unwrap(), Some(T0));
    assert_eq!(env.store.last_used(&k.view.id).unwrap(), Some(T0));
    assert_eq!(env.count("token.created"), 1);
}

pub fn token_expires_after_its_lifetime(backend: &'static dyn Backend) {
    let env = Env::on(backend);
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

pub fn revoked_token_fails_with_revoked(backend: &'static dyn Backend) {
    let env = Env::on(backend);
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

pub fn tokens_are_listed_per_key(backend: &'static dyn Backend) {
    let env = Env::on(backend);
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
    assert_eq!(l1[1].last_used_at, Some(to_datetime(T0 + HOUR)));
    assert_eq!(l1[0].last_used_at, None);
    assert_eq!(l1[0].created_at, to_datetime(T0 + HOUR));
    assert_eq!(l1[0].expires_at, to_datetime(T0 + HOUR + 365 * DAY));
    assert_eq!(l1[0].masked_token, b.token.mask());

    let l2 = env.store.list_tokens(Some(&k2.view.id)).unwrap();
    assert_eq!(l2.len(), 1);
    assert_eq!(l2[0].id, c.id);
    assert_eq!(env.store.list_tokens(None).unwrap().len(), 3);
    assert_eq!(env.store.key_view(&k1.view.id).unwrap().live_tokens, 2);
}

pub fn disabled_key_cannot_mint_tokens(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    env.store.set_key_disabled(&k.view.id, true).unwrap();
    let err = env.store.create_token(&k.view.id).unwrap_err();
    assert_eq!(err.code(), "DISABLED");
    assert_eq!(err.class(), ErrorClass::Refused);
    assert!(env.store.list_tokens(None).unwrap().is_empty());
    assert_eq!(env.count("token.created"), 0);
}

pub fn token_exchange_counts_as_use_and_records_failures_without_deadlocking(
    backend: &'static dyn Backend,
) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    let k = env.key("ada@example.com", "Zapier");
    let (store, clock) = (env.store.clone(), env.clock.clone());

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
    drop((clock, env));
}

pub fn a_key_has_at_most_max_live_tokens(backend: &'static dyn Backend) {
    let env = Env::on(backend);
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

pub fn the_exchange_is_rate_limited_per_key_and_other_keys_are_unaffected(
    backend: &'static dyn Backend,
) {
    let env = Env::on(backend);
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

pub fn exchanges_are_audited_as_http_and_other_mints_as_the_store_actor(
    backend: &'static dyn Backend,
) {
    let env = Env::on(backend);
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
