//! The audit log of failed verifications: counted as they happen, written as one summary
//! event on flush, on close, or when the housekeeping call finds one due.

use keyward_core::clock::MINUTE;
use keyward_core::{AuditFilter, Secret, SecretKind};
use keyward_testkit::{Backend, Env};

pub fn failed_verifications_are_aggregated_into_one_audit_event_on_flush(
    backend: &'static dyn Backend,
) {
    let env = Env::on(backend);
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

pub fn failed_verifications_are_aggregated_into_one_audit_event_on_close(
    backend: &'static dyn Backend,
) {
    let env = Env::on(backend);
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

pub fn failure_summaries_are_written_when_due_never_by_a_verification(
    backend: &'static dyn Backend,
) {
    let env = Env::on(backend);
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
