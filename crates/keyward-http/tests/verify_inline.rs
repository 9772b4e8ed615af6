//! `POST /v1/verify` answers on the worker that received it, and never writes durably
//! there: the use is recorded, failures are only counted, and the server's housekeeping
//! writes their summary off the request path once it is a minute old.

mod common;

use std::time::{Duration, Instant};

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
async fn verify_records_use_and_housekeeping_writes_the_failure_summary() {
    let mut s = Server::start().await;
    let unknown = "kwa_0000000000000000000000000000000000000000000";
    assert_eq!(verdict(&s, &s.key).await["valid"], true);
    assert_eq!(s.store.last_used(&s.key_id).unwrap(), Some(common::t0()));

    assert_eq!(verdict(&s, unknown).await["valid"], false);
    s.clock.advance(30 * SECOND);
    assert_eq!(verdict(&s, &s.key).await["valid"], true);
    assert_eq!(
        s.store.last_used(&s.key_id).unwrap(),
        Some(common::t0() + 30 * SECOND)
    );
    assert_eq!(verdict(&s, "not a key").await["valid"], false);
    assert_eq!(verdict(&s, unknown).await["valid"], false);
    assert!(
        failure_summaries(&s).is_empty(),
        "not written by a verification"
    );

    // A minute after the first, the next housekeeping round (every 5 s) writes one
    // summary of all three.
    s.clock.advance(MINUTE);
    let deadline = Instant::now() + Duration::from_secs(10);
    let summaries = loop {
        let found = failure_summaries(&s);
        if !found.is_empty() || Instant::now() > deadline {
            break found;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(summaries.len(), 1, "{summaries:?}");
    assert!(
        summaries[0].starts_with("3 failed verification(s)"),
        "{summaries:?}"
    );
    assert_eq!(verdict(&s, &s.key).await["valid"], true);
    s.shutdown().await;
}
