//! The database stopped (`pg_ctl stop -m immediate`) and started again under a running
//! `keyward serve` node: degraded, not down. Its own test binary, so the cluster it stops
//! is no other test's.

use std::time::{Duration, Instant};

use keyward_testkit::cli::{http, keyward_bin, verify_over_http, Kw, Serving};
use keyward_testkit::pg::cluster;

#[track_caller]
fn within<T>(limit: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> (T, Duration) {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return (v, start.elapsed());
        }
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn health(port: u16) -> Option<String> {
    http(port, "GET", "/v1/health", None)
        .and_then(|(_, v)| v["database"].as_str().map(str::to_owned))
}

#[test]
fn a_node_verifies_from_memory_while_the_database_is_down_then_recovers_by_itself() {
    let kw = Kw::on_database(&cluster().new_database());
    kw.json(&["migrate"]).ok();
    kw.add_user("Ada Lovelace", "ada@example.com", true);
    let (key_id, key) = kw.create_key("ada@example.com", "Website form");

    // The real clock, so the staleness limit (3 s here) runs.
    let mut c = std::process::Command::new(keyward_bin());
    kw.keyward_on(&mut c).env_remove("KEYWARD_NOW").args([
        "serve",
        "--port",
        "0",
        "--max-staleness",
        "3",
    ]);
    let node = Serving::spawn(c);
    let port = node.port;
    assert_eq!(verify_over_http(port, &key), Some((200, "VALID".into())));
    assert_eq!(health(port).as_deref(), Some("ok"));

    cluster().pg_ctl(&["stop", "-m", "immediate"]);
    let down = Instant::now();
    // Verification goes on from memory…
    assert_eq!(verify_over_http(port, &key), Some((200, "VALID".into())));
    // …the node says the database is gone…
    within(Duration::from_secs(3), "health to say unavailable", || {
        (health(port).as_deref() == Some("unavailable")).then_some(())
    });
    // …and changes are refused at once.
    let refused = kw.json(&["keys", "disable", &key_id]);
    refused.fails(1, "DATABASE_UNAVAILABLE");
    if down.elapsed() < Duration::from_millis(2500) {
        assert_eq!(verify_over_http(port, &key), Some((200, "VALID".into())));
    }
    // Past --max-staleness, memory is too old to answer from.
    let (_, waited) = within(Duration::from_secs(8), "verify to refuse with 503", || {
        (verify_over_http(port, &key) == Some((503, "DATABASE_UNAVAILABLE".into()))).then_some(())
    });
    // Counted from the node's last word with the database (at most a poll, 250 ms, before
    // the stop).
    assert!(
        down.elapsed() >= Duration::from_millis(2700),
        "refused after {waited:?}"
    );

    cluster().pg_ctl(&["start"]);
    let (_, back) = within(
        Duration::from_secs(10),
        "the node to find the database again",
        || (health(port).as_deref() == Some("ok")).then_some(()),
    );
    eprintln!("# database back for the node after {} ms", back.as_millis());
    assert_eq!(verify_over_http(port, &key), Some((200, "VALID".into())));

    // Following again: a change is refused on the node within a second.
    kw.json(&["keys", "disable", &key_id]).ok();
    within(
        Duration::from_secs(1),
        "the disable to reach the node",
        || {
            (verify_over_http(port, &key).map(|(_, c)| c).as_deref() == Some("DISABLED"))
                .then_some(())
        },
    );
    node.stop();
}
