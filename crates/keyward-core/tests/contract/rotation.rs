//! Regeneration: same id, new secret; the old secret and what was minted with it stop at
//! once or after the grace period promised, however often the key is regenerated after it.

use keyward_core::clock::{to_datetime, to_rfc3339, DAY, HOUR, MINUTE, SECOND};
use keyward_core::{AuditFilter, Disclosure};
use keyward_testkit::{code, Backend, Env, T0};

pub fn regenerate_without_grace_revokes_old_secret_and_tokens_at_once(
    backend: &'static dyn Backend,
) {
    let env = Env::on(backend);
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

pub fn regenerate_with_grace_keeps_old_secret_until_grace_ends(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    let old = env.key("ada@example.com", "Zapier");
    let tok = env.store.create_token(&old.view.id).unwrap();
    let new = env.store.regenerate_key(&old.view.id, HOUR).unwrap();
    assert_eq!(new.view.id, old.view.id);
    assert_eq!(new.view.grace_until, Some(to_datetime(T0 + HOUR)));
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

pub fn a_token_minted_with_the_old_secret_ends_with_the_old_secret(backend: &'static dyn Backend) {
    let env = Env::on(backend);
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
    assert_eq!(from_old.expires_at, to_datetime(T0 + 24 * HOUR));
    let from_new = env
        .store
        .exchange_key_for_token(new.key.expose())
        .unwrap()
        .unwrap();
    assert_eq!(from_new.expires_at, to_datetime(T0 + HOUR + 365 * DAY));

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

pub fn a_second_regeneration_keeps_the_first_secrets_promised_end(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    let first = env.key("ada@example.com", "Zapier");
    let first_token = env.store.create_token(&first.view.id).unwrap();
    let second = env.store.regenerate_key(&first.view.id, 7 * DAY).unwrap();
    let second_token = env.store.create_token(&first.view.id).unwrap();

    env.at(HOUR);
    let third = env.store.regenerate_key(&first.view.id, HOUR).unwrap();
    // The answer and the audit say when each retired secret stops.
    assert_eq!(third.view.grace_until, Some(to_datetime(T0 + 7 * DAY)));
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

pub fn an_immediate_regeneration_ends_the_current_secret_but_not_earlier_promises(
    backend: &'static dyn Backend,
) {
    let env = Env::on(backend);
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
