//! `POST /v1/verify` answers on the worker that received it unless the store could write
//! durably during the verification (a failure summary is due): what the store records —
//! "last used", the summary of failed verifications — is the same either way.

mod common;

use common::Server;
use keyward_core::audit::AuditFilter;
use keyward_core::clock::{MINUTE, SECOND};
use serde_json::Value;

async fn verdict(s: &Server, key: &str) -> Value {
    let r = s.verify(key).await;
    assert_eq!(r.status(), 200);
    r.json().await.expect("a verdict")
}

fn failure_summaries(s: &Server) -> Vec<String> {
    s.store
        .audit(&AuditFilter {
            entity: Some("verification".into()),
            ..Default::default()
        })
        .expect("audit")
        .into_iter()
        .map(|e| e.summary)
        .collect()
}

#[tokio::test]
async fn verify_records_use_and_failures_are_summarised_after_a_minute() {
    let mut s = Server::start().await;
    let unknown = "kwa_0000000000000000000000000000000000000000000";
    assert_eq!(verdict(&s, &s.key).await["valid"], true);
    assert_eq!(s.store.last_used(&s.key_id).unwrap(), Some(common::t0()));

    // The first failure starts the store's count; a valid key still verifies meanwhile.
    assert_eq!(verdict(&s, unknown).await["valid"], false);
    s.clock.advance(30 * SECOND);
    assert_eq!(verdict(&s, &s.key).await["valid"], true);
    assert_eq!(
        s.store.last_used(&s.key_id).unwrap(),
        Some(common::t0() + 30 * SECOND)
    );
    assert_eq!(verdict(&s, "not a key").await["valid"], false);
    assert!(failure_summaries(&s).is_empty(), "not due before a minute");

    // A failure a minute after the first writes the summary of all three.
    s.clock.advance(MINUTE);
    assert_eq!(verdict(&s, unknown).await["valid"], false);
    let summaries = failure_summaries(&s);
    assert_eq!(summaries.len(), 1, "{summaries:?}");
    assert!(
        summaries[0].starts_with("3 failed verification(s)"),
        "{summaries:?}"
    );
    assert_eq!(verdict(&s, &s.key).await["valid"], true);
    s.shutdown().await;
}
