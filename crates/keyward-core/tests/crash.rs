//! Crash safety (SPEC §8): a child process writes to the store as fast as it can and is
//! killed with SIGKILL at a random moment, again and again on the same data directory.
//! After every kill the parent reopens the store and checks that every acknowledged
//! change survived, that nothing half-applied, and that the indexes are consistent.
//!
//! The child is this very test binary, re-executed with `--exact child_writer` and the
//! data directory in `KEYWARD_CRASH_CHILD_DIR`. It reports each operation on stdout:
//! `START <op> <key_id|->` before the call and `ACK <op> <key_id> <secret|token|->` after
//! it returned (an acknowledged change). Printing secrets into this pipe is fine: it is a
//! test of throwaway data.
//!
//! A webhook subscription to every API key event runs throughout and nothing delivers, so
//! the outbox must hold one event per acknowledged change: no change without its event.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use keyward_core::{
    CredentialKind, Disclosure, KeyFilter, NewKey, NewUser, NewWebhook, Store, StoreOptions,
    VerifyCode,
};
use rand::Rng;

const CHILD_ENV: &str = "KEYWARD_CRASH_CHILD_DIR";
const ROUNDS: usize = 60;

// ---------------------------------------------------------------------------------------
// The child: loops forever doing random durable operations until it is killed.

#[test]
fn child_writer() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    run_child(Path::new(&dir));
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    // One write per line, flushed at once: what the parent reads was really said.
    let _ = out.write_all(format!("{line}\n").as_bytes());
    let _ = out.flush();
}

fn run_child(dir: &Path) {
    // libtest has printed "test child_writer ... " without a newline: end that line first.
    say("");
    let store = Store::open_default(dir, StoreOptions::default()).expect("child: open the store");
    let owner = match store
        .list_users()
        .expect("child: list users")
        .into_iter()
        .find(|u| u.active && u.api_access)
    {
        Some(u) => u.id,
        None => {
            say("START add_user -");
            let u = store
                .add_user(NewUser {
                    name: "Crash Admin".into(),
                    email: "crash-admin@example.com".into(),
                    admin: true,
                })
                .expect("child: add the admin");
            say(&format!("ACK add_user {} -", u.id));
            u.id
        }
    };
    if store
        .list_webhooks(None)
        .expect("child: list webhooks")
        .is_empty()
    {
        say("START add_webhook -");
        store
            .add_webhook(NewWebhook {
                user: owner.clone(),
                url: "https://hooks.example.com/crash".into(),
                entity: "api_key".into(),
                operation: "*".into(),
                allow_private: false,
            })
            .expect("child: subscribe a webhook");
        say("ACK add_webhook - -");
    }
    let mut keys: Vec<String> = store
        .list_keys(&KeyFilter::default())
        .expect("child: list keys")
        .into_iter()
        .map(|k| k.id)
        .collect();
    say(&format!("READY {}", keys.len()));
    let mut rng = rand::thread_rng();
    let mut n: u64 = 0;
    loop {
        n += 1;
        let roll = rng.gen_range(0..100);
        let op = if keys.len() < 5 {
            "create"
        } else if keys.len() > 120 && roll < 40 {
            "delete"
        } else {
            match roll {
                0..=29 => "create",
                30..=54 => "regenerate",
                55..=74 => "delete",
                _ => "token",
            }
        };
        match op {
            "create" => {
                say("START create -");
                let location = None;
                let k = store
                    .create_key(NewKey {
                        owner: owner.clone(),
                        name: format!("crash key {n}"),
                        location,
                        ..Default::default()
                    })
                    .expect("child: create a key");
                say(&format!("ACK create {} {}", k.view.id, k.key.expose()));
                keys.push(k.view.id);
            }
            "regenerate" => {
                let id = keys[rng.gen_range(0..keys.len())].clone();
                say(&format!("START regenerate {id}"));
                let k = store
                    .regenerate_key(&id, 0)
                    .expect("child: regenerate a key");
                say(&format!("ACK regenerate {id} {}", k.key.expose()));
            }
            "delete" => {
                let i = rng.gen_range(0..keys.len());
                let id = keys.swap_remove(i);
                say(&format!("START delete {id}"));
                store.delete_key(&id, true).expect("child: delete a key");
                say(&format!("ACK delete {id} -"));
            }
            _ => {
                let id = keys[rng.gen_range(0..keys.len())].clone();
                say(&format!("START token {id}"));
                let t = store.create_token(&id).expect("child: create a token");
                say(&format!("ACK token {id} {}", t.token.expose()));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The parent: what it knows was acknowledged, and the checks after each kill.

#[derive(Debug, Default, Clone)]
struct KeyModel {
    /// The last secret known to be current.
    secret: String,
    /// Tokens minted under the current secret: must verify.
    tokens: Vec<String>,
    /// Earlier secrets and the tokens minted under them: must answer REVOKED (grace 0).
    replaced: Vec<String>,
}

#[derive(Debug, Default)]
struct Model {
    live: HashMap<String, KeyModel>,
    /// Deleted keys → every secret and token they ever had: must answer NOT_FOUND.
    deleted: HashMap<String, Vec<String>>,
}

impl Model {
    fn delete(&mut self, id: &str) {
        let km = self
            .live
            .remove(id)
            .unwrap_or_else(|| panic!("delete of unknown key {id}"));
        let mut all = km.replaced;
        all.push(km.secret);
        all.extend(km.tokens);
        self.deleted.insert(id.to_owned(), all);
    }

    fn regenerate(&mut self, id: &str, secret: String) {
        let km = self
            .live
            .get_mut(id)
            .unwrap_or_else(|| panic!("regeneration of unknown key {id}"));
        let old = std::mem::replace(&mut km.secret, secret);
        km.replaced.push(old);
        km.replaced.append(&mut km.tokens);
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Op {
    op: String,
    key: String,
}

#[derive(Default)]
struct Totals {
    acked: usize,
    by_op: HashMap<String, usize>,
    in_flight_at_kill: usize,
    in_flight_applied: usize,
    verifies: usize,
    /// Webhook events the acknowledged changes must have queued: (type, key id) → count.
    events: HashMap<(String, String), usize>,
    events_checked: usize,
}

/// Every acknowledged change has its event in the outbox; an event without an
/// acknowledged change can only come from an operation in flight at a kill.
fn check_outbox(store: &Store, t: &mut Totals, round: usize) {
    let hooks = store.list_webhooks(None).expect("list webhooks");
    let Some(hook) = hooks.first() else {
        assert!(
            t.events.is_empty(),
            "round {round}: events acknowledged without a webhook"
        );
        return;
    };
    let mut found: HashMap<(String, String), usize> = HashMap::new();
    for (webhook, event_type, body) in store.waiting_messages().expect("waiting messages") {
        if webhook != hook.id {
            continue;
        }
        let body: serde_json::Value = serde_json::from_str(&body).expect("a JSON event");
        assert_eq!(body["type"], event_type.as_str());
        let key = body["data"]["id"].as_str().expect("the key id").to_owned();
        *found.entry((event_type, key)).or_insert(0) += 1;
    }
    let mut extra = 0;
    for (event, n) in &t.events {
        let got = found.get(event).copied().unwrap_or(0);
        assert!(
            got >= *n,
            "round {round}: {n} acknowledged {} of {} but {got} event(s) queued",
            event.0,
            event.1
        );
    }
    for (event, got) in &found {
        extra += got.saturating_sub(t.events.get(event).copied().unwrap_or(0));
    }
    assert!(
        extra <= t.in_flight_at_kill,
        "round {round}: {extra} events without an acknowledged change, but only {} kills \
         landed mid-operation",
        t.in_flight_at_kill
    );
    t.events_checked = t.events.values().sum();
}

fn expect_valid(store: &Store, secret: &str, key_id: &str, kind: CredentialKind, what: &str) {
    let v = store.verify(secret).expect("verify");
    assert!(
        v.valid,
        "{what} of {key_id} no longer verifies: {:?}",
        v.code
    );
    let id = v.identity.expect("a valid verdict has an identity");
    assert_eq!(id.key_id, key_id, "{what} verifies as another key");
    assert_eq!(id.kind, kind, "{what} verifies as another kind");
}

fn expect_code(store: &Store, secret: &str, code: VerifyCode, what: &str) {
    let v = store.verify(secret).expect("verify");
    assert!(!v.valid, "{what} still verifies");
    assert_eq!(v.code, Some(code), "{what}");
}

/// Checks a key that must be in exactly the modelled state.
fn check_live(store: &Store, id: &str, km: &KeyModel, t: &mut Totals) {
    let key = store
        .api_key(id)
        .unwrap_or_else(|e| panic!("acknowledged key {id} is gone: {e}"));
    assert_eq!(key.id, id);
    expect_valid(
        store,
        &km.secret,
        id,
        CredentialKind::ApiKey,
        "the last acknowledged secret",
    );
    let revealed = store.reveal_key(id, Disclosure::Reveal).expect("reveal");
    assert!(
        revealed.expose() == km.secret,
        "the sealed copy of {id} is not its last acknowledged secret"
    );
    for tok in &km.tokens {
        expect_valid(
            store,
            tok,
            id,
            CredentialKind::Token,
            "an acknowledged token",
        );
    }
    for old in &km.replaced {
        expect_code(
            store,
            old,
            VerifyCode::Revoked,
            "a replaced secret or its token",
        );
    }
    t.verifies += 1 + km.tokens.len() + km.replaced.len();
}

fn check_deleted(store: &Store, id: &str, secrets: &[String], t: &mut Totals) {
    match store.api_key(id) {
        Err(e) if e.code() == "NOT_FOUND" => {}
        Err(e) => panic!("api_key({id}) after its deletion: {e}"),
        Ok(_) => panic!("acknowledged deletion of {id} did not survive"),
    }
    for s in secrets {
        expect_code(
            store,
            s,
            VerifyCode::NotFound,
            "a deleted key's secret or token",
        );
    }
    t.verifies += secrets.len();
}

struct Round {
    lines: Vec<String>,
    stderr: String,
    exited_early: Option<std::process::ExitStatus>,
}

fn run_round(exe: &Path, dir: &Path, run_for: Duration) -> Round {
    let mut child = Command::new(exe)
        .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the child");
    let stdout = child.stdout.take().expect("child stdout");
    let mut stderr = child.stderr.take().expect("child stderr");
    let reader = std::thread::spawn(move || {
        let mut r = BufReader::new(stdout);
        let mut lines = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            match r.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                // A line cut by the kill (no newline) was never fully said: ignore it.
                Ok(_) if line.ends_with('\n') => lines.push(line.trim_end().to_owned()),
                Ok(_) => {}
            }
        }
        lines
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + run_for;
    let mut exited_early = None;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().expect("try_wait") {
            exited_early = Some(status);
            break;
        }
        std::thread::sleep(
            Duration::from_millis(5).min(deadline.saturating_duration_since(Instant::now())),
        );
    }
    if exited_early.is_none() {
        child.kill().expect("SIGKILL the child");
    }
    child.wait().expect("reap the child");
    Round {
        lines: reader.join().expect("stdout reader"),
        stderr: err_reader.join().expect("stderr reader"),
        exited_early,
    }
}

#[test]
fn kill_9_during_writes_loses_no_acknowledged_change() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let started = Instant::now();
    let exe = std::env::current_exe().expect("current_exe");
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("data");
    // Create the database and its master key before the first kill can land: this test is
    // about the writes, not about creating a data directory.
    drop(Store::open_default(&dir, StoreOptions::default()).expect("initialise the store"));

    let mut rng = rand::thread_rng();
    let mut model = Model::default();
    let mut totals = Totals::default();
    let mut ops_per_round = Vec::new();

    for round in 0..ROUNDS {
        let run_for = Duration::from_millis(rng.gen_range(20..=400));
        let r = run_round(&exe, &dir, run_for);
        if let Some(status) = r.exited_early {
            panic!(
                "round {round}: the child exited by itself ({status}) before the kill.\nstdout:\n{}\nstderr:\n{}",
                r.lines.join("\n"),
                r.stderr
            );
        }

        // Replay what the child said into the model.
        let mut pending: Option<Op> = None;
        let mut acked_this_round = 0;
        let mut deleted_this_round: HashSet<String> = HashSet::new();
        for line in &r.lines {
            let parts: Vec<&str> = line.split(' ').collect();
            match parts.as_slice() {
                ["START", op, key] => {
                    assert!(
                        pending.is_none(),
                        "round {round}: two operations at once: {line}"
                    );
                    pending = Some(Op {
                        op: (*op).to_owned(),
                        key: (*key).to_owned(),
                    });
                }
                ["ACK", op, key, value] => {
                    let p = pending
                        .take()
                        .unwrap_or_else(|| panic!("round {round}: ACK without START: {line}"));
                    assert_eq!(p.op, *op, "round {round}: ACK of another operation");
                    if p.key != "-" {
                        assert_eq!(p.key, *key, "round {round}: ACK of another key");
                    }
                    acked_this_round += 1;
                    *totals.by_op.entry((*op).to_owned()).or_insert(0) += 1;
                    let event = match *op {
                        "create" => Some("api_key.created"),
                        "regenerate" => Some("api_key.regenerated"),
                        "delete" => Some("api_key.deleted"),
                        _ => None,
                    };
                    if let Some(e) = event {
                        *totals
                            .events
                            .entry((e.to_owned(), (*key).to_owned()))
                            .or_insert(0) += 1;
                    }
                    match *op {
                        "create" => {
                            model.live.insert(
                                (*key).to_owned(),
                                KeyModel {
                                    secret: (*value).to_owned(),
                                    ..KeyModel::default()
                                },
                            );
                        }
                        "regenerate" => model.regenerate(key, (*value).to_owned()),
                        "delete" => {
                            model.delete(key);
                            deleted_this_round.insert((*key).to_owned());
                        }
                        "token" => model
                            .live
                            .get_mut(*key)
                            .unwrap_or_else(|| panic!("round {round}: token of unknown key {key}"))
                            .tokens
                            .push((*value).to_owned()),
                        "add_user" | "add_webhook" => {}
                        other => panic!("round {round}: unknown operation {other}"),
                    }
                }
                _ => {} // libtest's own chatter, READY
            }
        }
        totals.acked += acked_this_round;
        ops_per_round.push(acked_this_round);

        // Reopen and check.
        let store = Store::open_default(
            &dir,
            StoreOptions {
                durable: false,
                ..StoreOptions::default()
            },
        )
        .unwrap_or_else(|e| panic!("round {round}: the store does not reopen after the kill: {e}"));
        if pending.is_some() {
            totals.in_flight_at_kill += 1;
        }
        let in_flight_key = pending
            .as_ref()
            .filter(|p| p.op == "regenerate" || p.op == "delete")
            .map(|p| p.key.clone());

        for (id, km) in &model.live {
            if Some(id) != in_flight_key.as_ref() {
                check_live(&store, id, km, &mut totals);
            }
        }
        // Keys deleted this round always; all deleted keys every tenth round and at the end
        // (they must never come back), which keeps the run short as deletions pile up.
        let full = round % 10 == 0 || round + 1 == ROUNDS;
        for (id, secrets) in &model.deleted {
            if full || deleted_this_round.contains(id) {
                check_deleted(&store, id, secrets, &mut totals);
            }
        }

        // The operation in flight at the kill: either its old or its new state, whole.
        if let Some(p) = pending.as_ref() {
            match p.op.as_str() {
                "regenerate" => {
                    let km = model
                        .live
                        .get(&p.key)
                        .expect("in-flight regeneration of a known key")
                        .clone();
                    let v = store.verify(&km.secret).expect("verify");
                    if v.valid {
                        check_live(&store, &p.key, &km, &mut totals);
                    } else {
                        assert_eq!(
                            v.code,
                            Some(VerifyCode::Revoked),
                            "round {round}: half a regeneration"
                        );
                        let now = store
                            .reveal_key(&p.key, Disclosure::Reveal)
                            .expect("reveal")
                            .expose()
                            .to_owned();
                        assert_ne!(now, km.secret);
                        model.regenerate(&p.key, now);
                        totals.in_flight_applied += 1;
                        check_live(&store, &p.key, &model.live[&p.key], &mut totals);
                    }
                }
                "delete" => match store.api_key(&p.key) {
                    Ok(_) => check_live(&store, &p.key, &model.live[&p.key], &mut totals),
                    Err(e) if e.code() == "NOT_FOUND" => {
                        model.delete(&p.key);
                        totals.in_flight_applied += 1;
                        check_deleted(&store, &p.key, &model.deleted[&p.key], &mut totals);
                    }
                    Err(e) => panic!("round {round}: api_key after an in-flight delete: {e}"),
                },
                // A create or token in flight leaves known keys as they were (checked
                // above); a created key, if it landed, is adopted below.
                _ => {}
            }
        }

        if full {
            check_outbox(&store, &mut totals, round);
        }

        let problems = store.check_integrity().expect("check_integrity");
        assert!(
            problems.is_empty(),
            "round {round}: integrity problems after the kill:\n{}",
            problems.join("\n")
        );

        // Adopt keys the model does not know (an unacknowledged create that landed): the
        // child will pick them up, so the model must know their secrets.
        let in_store: HashSet<String> = store
            .list_keys(&KeyFilter::default())
            .expect("list keys")
            .into_iter()
            .map(|k| k.id)
            .collect();
        for id in &in_store {
            if !model.live.contains_key(id) {
                assert!(
                    pending.as_ref().is_some_and(|p| p.op == "create"),
                    "round {round}: key {id} appeared without a create in flight"
                );
                assert!(
                    !model.deleted.contains_key(id),
                    "round {round}: deleted key {id} is back"
                );
                let secret = store
                    .reveal_key(id, Disclosure::Reveal)
                    .expect("reveal")
                    .expose()
                    .to_owned();
                expect_valid(
                    &store,
                    &secret,
                    id,
                    CredentialKind::ApiKey,
                    "an unacknowledged new key",
                );
                model.live.insert(
                    id.clone(),
                    KeyModel {
                        secret,
                        ..KeyModel::default()
                    },
                );
                totals.in_flight_applied += 1;
            }
        }
        assert_eq!(
            in_store.len(),
            model.live.len(),
            "round {round}: keys in the store vs. the model"
        );
        drop(store);
    }

    let mut by_op: Vec<_> = totals.by_op.iter().collect();
    by_op.sort();
    println!(
        "crash summary: {ROUNDS} rounds, {} operations acknowledged ({}), {} kills mid-operation \
         ({} of them had landed), {} live keys and {} deleted at the end, {} credentials \
         verified, {} webhook events found queued, ops/round min {} max {}, {:.1} s",
        totals.acked,
        by_op
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", "),
        totals.in_flight_at_kill,
        totals.in_flight_applied,
        model.live.len(),
        model.deleted.len(),
        totals.verifies,
        totals.events_checked,
        ops_per_round.iter().min().unwrap_or(&0),
        ops_per_round.iter().max().unwrap_or(&0),
        started.elapsed().as_secs_f64()
    );
    assert!(totals.acked > 0, "the child never acknowledged anything");
}
