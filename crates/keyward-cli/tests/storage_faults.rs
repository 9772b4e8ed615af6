//! The store under storage faults, driven through the real `keyward` binary:
//! - a process killed at each of its first 20 writes — while opening a new store, while
//!   reading right after a write (when sled writes a snapshot) and while writing — with
//!   `strace`'s fault injection, exactly how an interrupted snapshot was first found to
//!   brick the store;
//! - a kill -9 loop of reads and writes at random moments;
//! - a full disk (a small tmpfs), a lost `db/` beside its master key, and loose file
//!   modes.
//!
//! After every fault the store opens, and every acknowledged change is there.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use keyward_testkit::cli::{keyward_at, keyward_bin, s, Kw, T0};
use keyward_testkit::fs::{mode, walk};
use rand::Rng;
use serde_json::Value;

const KILLS_PER_PHASE: usize = 20;
const ADD_ADMIN: &[&str] = &[
    "users",
    "add",
    "--name",
    "Ada",
    "--email",
    "ada@example.com",
    "--admin",
];

fn strace() -> &'static str {
    let path = "/usr/bin/strace";
    assert!(
        Path::new(path).exists(),
        "these tests need strace (Debian package strace; `make test` installs it)"
    );
    path
}

/// `cmd` (keyward itself, or strace running it) made into `keyward --data-dir DIR --json
/// ARGS…` at the tests' pinned time, with nothing on standard input.
fn keyward_on<'c>(cmd: &'c mut Command, dir: &Path, args: &[&str]) -> &'c mut Command {
    keyward_at(cmd, dir, T0)
        .arg("--json")
        .args(args)
        .stdin(Stdio::null())
}

/// One `keyward --json --data-dir DIR ARGS…` run, optionally under strace killing it at
/// its `kill_at`-th call of `syscalls`. Returns whether it was killed and its stdout.
fn run(dir: &Path, args: &[&str], inject: Option<(&str, usize)>) -> (bool, i32, String) {
    let mut cmd = match inject {
        Some((syscalls, n)) => {
            let mut c = Command::new(strace());
            c.args(["-f", "-qq", "-o", "/dev/null", "-e"])
                .arg(format!("trace={syscalls}"))
                .arg("-e")
                .arg(format!("inject={syscalls}:signal=KILL:when={n}"))
                .arg(keyward_bin());
            c
        }
        None => Command::new(keyward_bin()),
    };
    let out = keyward_on(&mut cmd, dir, args)
        .env("KEYWARD_LOG", "off")
        .output()
        .expect("keyward runs");
    let killed = out.status.signal() == Some(9);
    (
        killed,
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The key ids the store lists; panics (with what it said) if it does not open.
#[track_caller]
fn listed_keys(dir: &Path, context: &str) -> BTreeSet<String> {
    let (killed, code, out) = run(dir, &["keys", "list"], None);
    assert!(
        !killed && code == 0,
        "{context}: the store did not open ({code}): {out}"
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    v.as_array().unwrap().iter().map(|k| s(&k["id"])).collect()
}

#[track_caller]
fn assert_verifies(dir: &Path, secret: &str, context: &str) {
    let (_, code, out) = run(dir, &["verify", secret], None);
    assert_eq!(code, 0, "{context}: a valid key no longer verifies: {out}");
}

/// A key created by `keys create --json`, if the answer was printed whole.
fn acknowledged_key(stdout: &str) -> Option<(String, String)> {
    let v: Value = serde_json::from_str(stdout).ok()?;
    Some((s(&v["id"]), s(&v["key"])))
}

struct Store {
    dir: tempfile::TempDir,
    keys: BTreeSet<String>,
    secret: String,
}

impl Store {
    fn new() -> Store {
        let dir = tempfile::tempdir().unwrap();
        let (_, code, _) = run(dir.path(), ADD_ADMIN, None);
        assert_eq!(code, 0);
        let mut store = Store {
            dir,
            keys: BTreeSet::new(),
            secret: String::new(),
        };
        let (id, secret) = store.create(None).1.expect("the first key");
        store.secret = secret;
        assert!(store.keys.contains(&id));
        store
    }

    /// `keys create`, possibly killed; an acknowledged key is remembered.
    fn create(&mut self, inject: Option<(&str, usize)>) -> (bool, Option<(String, String)>) {
        let (killed, _, out) = run(
            self.dir.path(),
            &[
                "keys",
                "create",
                "--owner",
                "ada@example.com",
                "--name",
                "Crash test",
            ],
            inject,
        );
        let ack = acknowledged_key(&out);
        if let Some((id, _)) = &ack {
            self.keys.insert(id.clone());
        }
        (killed, ack)
    }

    #[track_caller]
    fn check(&self, context: &str) {
        let listed = listed_keys(self.dir.path(), context);
        let lost: Vec<_> = self.keys.difference(&listed).collect();
        assert!(
            lost.is_empty(),
            "{context}: acknowledged keys lost: {lost:?}"
        );
        assert_verifies(self.dir.path(), &self.secret, context);
    }
}

#[test]
fn a_kill_at_any_of_the_first_writes_never_bricks_the_store() {
    // (phase, syscalls) → runs killed; a run with fewer than N writes is not killed.
    let mut kills = Vec::new();
    let mut repaired = 0;
    // The reproduction counted write(2); sled's log goes through pwrite64.
    for syscalls in ["write", "write,pwrite64"] {
        // Opening (and creating) a new store.
        let mut killed = 0;
        for n in 1..=KILLS_PER_PHASE {
            let dir = tempfile::tempdir().unwrap();
            let (k, code, out) = run(dir.path(), ADD_ADMIN, Some((syscalls, n)));
            killed += usize::from(k);
            let context = format!("open, {syscalls} #{n}");
            let (_, c, users) = run(dir.path(), &["users", "list"], None);
            assert_eq!(c, 0, "{context}: the store did not open: {users}");
            if code == 0 && !k {
                assert!(
                    users.contains("ada@example.com"),
                    "{context}: {out} / {users}"
                );
            }
            repaired += usize::from(dir.path().join("recovered").exists());
        }
        kills.push(("open", syscalls, killed));
        // Reading right after a write: the open writes sled's snapshot.
        let mut store = Store::new();
        let mut killed = 0;
        for n in 1..=KILLS_PER_PHASE {
            store.create(None);
            let (k, _, _) = run(store.dir.path(), &["keys", "list"], Some((syscalls, n)));
            killed += usize::from(k);
            store.check(&format!("read, {syscalls} #{n}"));
        }
        kills.push(("read", syscalls, killed));
        repaired += usize::from(store.dir.path().join("recovered").exists());
        // Writing.
        let mut store = Store::new();
        let mut killed = 0;
        for n in 1..=KILLS_PER_PHASE {
            let (k, _) = store.create(Some((syscalls, n)));
            killed += usize::from(k);
            store.check(&format!("write, {syscalls} #{n}"));
        }
        kills.push(("write", syscalls, killed));
        repaired += usize::from(store.dir.path().join("recovered").exists());
    }
    let total: usize = kills.iter().map(|k| k.2).sum();
    eprintln!(
        "crash injection: {} runs, {total} killed at an injected write ({}), {repaired} \
         data director(ies) with something set aside on opening",
        kills.len() * KILLS_PER_PHASE,
        kills
            .iter()
            .map(|(phase, sys, n)| format!("{phase}/{sys}: {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // Every phase writes at least once, so its first injection must have killed it.
    for (phase, syscalls, n) in &kills {
        assert!(*n >= 1, "no {phase} run was killed at a {syscalls} call");
    }
    assert!(
        repaired >= 1,
        "no kill ever left anything to repair: the test lost its teeth"
    );
}

#[test]
fn a_kill_9_loop_of_reads_and_writes_loses_nothing_acknowledged() {
    const ROUNDS: usize = 120;
    let mut store = Store::new();
    let mut rng = rand::thread_rng();
    let mut killed = 0;
    // Kills land anywhere in a run however fast this machine is: up to the slowest of a
    // few unkilled runs.
    let mut longest = Duration::ZERO;
    for _ in 0..3 {
        let started = Instant::now();
        store.create(None);
        longest = longest.max(started.elapsed());
    }
    let window = u64::try_from(longest.as_micros())
        .unwrap_or(u64::MAX)
        .max(1);
    for round in 0..ROUNDS {
        let write = round % 2 == 0;
        let args: &[&str] = if write {
            &[
                "keys",
                "create",
                "--owner",
                "ada@example.com",
                "--name",
                "Loop",
            ]
        } else {
            &["keys", "list"]
        };
        let mut child = keyward_on(&mut Command::new(keyward_bin()), store.dir.path(), args)
            .env("KEYWARD_LOG", "off")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.gen_range(0..window)));
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        killed += usize::from(out.status.signal() == Some(9));
        if write {
            if let Some((id, _)) = acknowledged_key(&String::from_utf8_lossy(&out.stdout)) {
                store.keys.insert(id);
            }
        }
        store.check(&format!("kill -9 round {round}"));
    }
    eprintln!(
        "kill -9 loop: {ROUNDS} rounds, {killed} killed mid-run, {} keys acknowledged",
        store.keys.len()
    );
    assert!(
        killed >= ROUNDS / 4,
        "only {killed} of {ROUNDS} runs were killed"
    );
}

/// A tmpfs of `size` mounted for the test, unmounted when dropped. `None` where mounting
/// is not allowed (not root).
struct SmallDisk {
    mount: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        let mount = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(mount.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk { mount })
    }

    fn path(&self) -> &Path {
        self.mount.path()
    }

    /// Fills the disk to the last byte.
    fn fill(&self) {
        let _ = Command::new("dd")
            .arg("if=/dev/zero")
            .arg(format!("of={}", self.path().join("filler").display()))
            .args(["bs=4096"])
            .stderr(Stdio::null())
            .status();
    }

    fn free(&self) {
        std::fs::remove_file(self.path().join("filler")).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.mount.path()).status();
    }
}

#[test]
fn on_a_full_disk_reads_and_verification_work_and_writes_fail_clearly() {
    let Some(disk) = SmallDisk::mount("4m") else {
        assert!(
            !is_root(),
            "running as root, yet a tmpfs could not be mounted"
        );
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let dir = disk.path().join("data");
    let kw = |args: &[&str]| {
        let out = keyward_on(&mut Command::new(keyward_bin()), &dir, args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(kw(ADD_ADMIN).0, 0);
    let (_, created, _) = kw(&[
        "keys",
        "create",
        "--owner",
        "ada@example.com",
        "--name",
        "Form",
    ]);
    let (id, secret) = acknowledged_key(&created).unwrap();
    const CREATE_MORE: &[&str] = &[
        "keys",
        "create",
        "--owner",
        "ada@example.com",
        "--name",
        "More",
    ];
    // A write after the last open: the next open wants to write a snapshot.
    kw(&["keys", "keep", &id]);
    disk.fill();

    let (code, out, err) = kw(&["keys", "list"]);
    assert_eq!(code, 0, "keys list on a full disk: {out} {err}");
    assert!(out.contains(&id));
    assert!(err.contains("read-only copy"), "a warning says why: {err}");
    let (code, out, _) = kw(&["verify", &secret]);
    assert_eq!(code, 0, "verify on a full disk: {out}");
    let (code, out, err) = kw(CREATE_MORE);
    assert_eq!(code, 1, "{out} {err}");
    assert!(
        err.contains("DISK_FULL") && err.contains("free some space"),
        "{err}"
    );
    // Twice: a failed open leaves nothing that breaks the next one.
    assert_eq!(kw(&["keys", "list"]).0, 0);

    disk.free();
    let (code, out, err) = kw(CREATE_MORE);
    assert_eq!(code, 0, "{out} {err}");
    let (_, listed, _) = kw(&["keys", "list"]);
    assert!(listed.contains(&id) && listed.contains("More"));
    assert_eq!(kw(&["verify", &secret]).0, 0);
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .is_some_and(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

#[test]
fn a_lost_database_beside_its_master_key_is_refused_not_replaced() {
    let kw = Kw::new();
    kw.ada();
    kw.create_key("ada@example.com", "Form");
    std::fs::remove_dir_all(kw.dir().join("db")).unwrap();
    let msg = kw.json(&["keys", "list"]).fails(3, "DATABASE_MISSING");
    assert!(msg.contains("master.key") && msg.contains("db/"), "{msg}");
    assert!(msg.contains("--new-store"), "{msg}");
    assert!(!kw.dir().join("db").exists(), "nothing was created");
    let h = kw.human(&["verify", "kwa_x"]);
    assert_eq!(h.code, 3);
    assert!(h.stderr.contains("no database"), "{}", h.stderr);

    // Asked for explicitly, a new store starts with the same master key.
    let before = std::fs::read(kw.dir().join("master.key")).unwrap();
    assert_eq!(
        kw.json(&["--new-store", "users", "list"]).ok(),
        serde_json::json!([])
    );
    assert_eq!(std::fs::read(kw.dir().join("master.key")).unwrap(), before);
    kw.ada();
    let (id, _) = kw.create_key("ada@example.com", "Again");
    assert_eq!(s(&kw.key_show(&id)["name"]), "Again");
}

#[track_caller]
fn assert_private(dir: &Path) {
    assert_eq!(mode(dir), 0o700, "{}", dir.display());
    for e in walk(dir) {
        let want = if e.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(&e), want, "{}", e.display());
    }
}

#[test]
fn the_data_directory_and_every_database_file_are_private() {
    let kw = Kw::new();
    kw.ada();
    let (id, _) = kw.create_key("ada@example.com", "Form");
    kw.json(&["keys", "list"]).ok();
    assert_private(kw.dir());
    assert!(kw.dir().join("db").is_dir());

    // A directory made by an older Keyward, or by hand, is tightened on the next open.
    for p in walk(kw.dir()).into_iter().chain([kw.dir().to_path_buf()]) {
        let loose = if p.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(loose)).unwrap();
    }
    let started = Instant::now();
    kw.json(&["keys", "show", &id]).ok();
    assert_private(kw.dir());
    assert!(started.elapsed() < Duration::from_secs(10));
}
