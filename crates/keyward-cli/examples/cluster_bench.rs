//! The team server's figures that wrk cannot give, for `make bench-http`:
//!
//! - durable create on PostgreSQL: each `create_key` committed (one transaction) before
//!   the next, p50 and p99 over 200;
//! - propagation: a change committed by this process (a writer like any node) until a
//!   running `keyward serve` node refuses the key, p50 and p99 over 100 changes
//!   (disable and enable, alternately).
//!
//! `cluster_bench DATABASE_URL MASTER_KEY_FILE NODE_PORT`

use std::sync::Arc;
use std::time::{Duration, Instant};

use keyward_core::{FileMasterKey, NewKey, NewUser, Store, StoreOptions, SystemClock};
use keyward_testkit::cli::verify_over_http;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn report(what: &str, mut d: Vec<Duration>) {
    d.sort();
    println!(
        "{what}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms over {}",
        percentile(&d, 0.50).as_secs_f64() * 1e3,
        percentile(&d, 0.99).as_secs_f64() * 1e3,
        d.last().unwrap().as_secs_f64() * 1e3,
        d.len()
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: cluster_bench DATABASE_URL MASTER_KEY_FILE NODE_PORT";
    let url = args.next().ok_or(usage)?;
    let key_file = args.next().ok_or(usage)?;
    let port: u16 = args.next().ok_or(usage)?.parse()?;
    let dir = tempfile::tempdir()?;
    let master = FileMasterKey::new(&key_file);
    let store = Arc::new(Store::open_postgres(
        &url,
        false,
        dir.path(),
        Arc::new(SystemClock),
        &[&master],
        StoreOptions::default(),
    )?);
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();
    let owner = store.add_user(NewUser {
        name: "Bench Writer".into(),
        email: format!("bench-{stamp}@example.com"),
        admin: true,
    })?;

    let mut creates = Vec::new();
    for i in 0..200 {
        let t = Instant::now();
        store.create_key(NewKey {
            owner: owner.id.clone(),
            name: format!("Durable {i}"),
            location: None,
            ..Default::default()
        })?;
        creates.push(t.elapsed());
    }
    report("durable create on PostgreSQL", creates);

    let key = store.create_key(NewKey {
        owner: owner.id.clone(),
        name: "Propagation".into(),
        location: None,
        ..Default::default()
    })?;
    let secret = key.key.0.expose().to_owned();
    let wait_for = |code: &str| -> Result<Duration, String> {
        let start = Instant::now();
        loop {
            if verify_over_http(port, &secret).is_some_and(|(_, c)| c == code) {
                return Ok(start.elapsed());
            }
            if start.elapsed() > Duration::from_secs(10) {
                return Err(format!("the node did not answer {code} within 10 s"));
            }
            std::thread::sleep(Duration::from_micros(500));
        }
    };
    wait_for("VALID")?;
    let mut seen = Vec::new();
    for i in 0..100 {
        let disable = i % 2 == 0;
        store.set_key_disabled(&key.view.id, disable)?;
        seen.push(wait_for(if disable { "DISABLED" } else { "VALID" })?);
    }
    report("change refused on the other node (propagation)", seen);
    Ok(())
}
