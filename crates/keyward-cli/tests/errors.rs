//! Exit codes and error shapes (SPEC §5, §8): usage errors, `--json` errors, the
//! environment, a database held by another process, and a database from a newer Keyward.

use keyward_core::{Store, StoreOptions};
use keyward_testkit::cli::*;
use keyward_testkit::sled_db::{schema_version, set_schema_version};
use std::io::{BufRead, BufReader};
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

// ---- usage errors ----

#[test]
fn clap_usage_errors_with_json_exit_2_with_a_json_error_naming_the_problem() {
    let kw = Kw::new();
    let cases: [(&[&str], &str); 7] = [
        (&["users", "add", "--name", "Ada"], "--email"),
        (&["keys", "create"], "--owner"),
        (&["users", "frobnicate"], "frobnicate"),
        (&["users", "list", "--bogus"], "--bogus"),
        (
            &["users", "api-access", "ada@example.com", "maybe"],
            "on, off",
        ),
        (&["audit", "--limit", "many"], "--limit"),
        (&["users"], "keyward users"),
    ];
    for (args, needle) in cases {
        let msg = kw.json(args).fails(2, "USAGE");
        assert!(
            msg.contains(needle),
            "{args:?}: the message names {needle}: {msg}"
        );
        assert!(!msg.contains('\n'), "one line: {msg}");
    }
    // --json may come anywhere, and with no subcommand at all.
    let mut c = kw.command();
    c.args(["users", "add", "--json"]);
    let out = c.output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let (code, _) = error_of(&String::from_utf8_lossy(&out.stderr));
    assert_eq!(code, "USAGE");
    let mut c = kw.command();
    c.arg("--json");
    let out = c.output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(error_of(&String::from_utf8_lossy(&out.stderr)).0, "USAGE");
}

#[test]
fn clap_usage_errors_without_json_exit_2_with_a_human_message() {
    let kw = Kw::new();
    let r = kw.human(&["users", "add", "--name", "Ada"]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty());
    assert!(r.stderr.starts_with("error:"), "{}", r.stderr);
    assert!(r.stderr.contains("--email"), "{}", r.stderr);
    assert!(
        serde_json::from_str::<serde_json::Value>(&r.stderr).is_err(),
        "not JSON"
    );
}

#[test]
fn help_and_version_exit_0() {
    let kw = Kw::new();
    let r = kw.human(&["--help"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("Exit codes"), "{}", r.stdout);
    for verb in [
        "users",
        "locations",
        "keys",
        "tokens",
        "verify",
        "lifecycle",
        "audit",
        "settings",
    ] {
        assert!(r.stdout.contains(verb), "--help lists {verb}");
    }
    let r = kw.human(&["keys", "regenerate", "--help"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("--grace"), "{}", r.stdout);
    let r = kw.human(&["--version"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("keyward "), "{}", r.stdout);
}

#[test]
fn domain_errors_without_json_go_to_stderr_as_text_with_the_same_exit_codes() {
    let kw = Kw::new();
    kw.ada();
    let r = kw.human(&["keys", "show", "key_01AAAAAAAAAAAAAAAAAAAAAAAA"]);
    assert_eq!(r.code, 4);
    assert!(r.stdout.is_empty());
    assert_eq!(
        r.stderr.trim(),
        "error: API key 'key_01AAAAAAAAAAAAAAAAAAAAAAAA' was not found"
    );
    let r = kw.human(&["keys", "create", "--owner", "ada@example.com", "--name", ""]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.starts_with("error: the API key name is empty"),
        "{}",
        r.stderr
    );
    kw.json(&["users", "api-access", "ada@example.com", "off"])
        .ok();
    let r = kw.human(&[
        "keys",
        "create",
        "--owner",
        "ada@example.com",
        "--name",
        "K",
    ]);
    assert_eq!(r.code, 3);
    assert!(
        r.stderr.contains("API access is off for ada@example.com"),
        "{}",
        r.stderr
    );
}

// ---- environment ----

#[test]
fn keyward_now_must_be_rfc3339() {
    let kw = Kw::new();
    let mut c = kw.command();
    c.env("KEYWARD_NOW", "yesterday")
        .args(["--json", "users", "list"]);
    let out = c.output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let (code, msg) = error_of(&String::from_utf8_lossy(&out.stderr));
    assert_eq!(code, "INVALID_INPUT");
    assert!(msg.contains("KEYWARD_NOW"), "{msg}");
}

#[test]
fn keyward_data_dir_environment_variable_selects_the_data_directory() {
    let kw = Kw::new();
    kw.ada();
    let mut c = assert_cmd::Command::cargo_bin("keyward").expect("built");
    c.env("KEYWARD_DATA_DIR", kw.dir())
        .env("KEYWARD_NOW", T0)
        .args(["--json", "users", "list"])
        .timeout(Duration::from_secs(30));
    let out = c.output().expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let users: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(users[0]["email"], "ada@example.com");
}

#[cfg(unix)]
#[test]
fn a_new_data_directory_is_private_and_the_master_key_file_is_0600() {
    use keyward_testkit::fs::mode;
    let parent = tempfile::tempdir().expect("tempdir");
    let dir = parent.path().join("fresh");
    let mut c = assert_cmd::Command::cargo_bin("keyward").expect("built");
    c.arg("--data-dir")
        .arg(&dir)
        .args(["--json", "users", "list"])
        .env_remove("KEYWARD_DATA_DIR")
        .timeout(Duration::from_secs(30));
    assert_eq!(c.output().expect("runs").status.code(), Some(0));
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("master.key")), 0o600);
}

// ---- a database held by another process ----

/// Not a test of its own: when `KEYWARD_TEST_HOLD_LOCK` names a data directory, this test
/// binary is the "other Keyward process" — it opens the store, says so, and holds it until
/// its stdin closes or it is killed.
#[test]
fn helper_process_holding_the_database_when_asked() {
    let Some(dir) = std::env::var_os("KEYWARD_TEST_HOLD_LOCK") else {
        return;
    };
    let store = Store::open_default(std::path::Path::new(&dir), StoreOptions::default())
        .expect("the helper opens the store");
    println!("HOLDING THE DATABASE");
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    drop(store);
}

#[test]
fn a_database_held_by_another_process_is_refused_promptly_with_database_locked() {
    let kw = Kw::new();
    kw.ada();
    let (_, secret) = kw.create_key("ada@example.com", "Zapier");

    let mut holder = StdCommand::new(std::env::current_exe().expect("the test binary"))
        .args([
            "--exact",
            "helper_process_holding_the_database_when_asked",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("KEYWARD_TEST_HOLD_LOCK", kw.dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the holder starts");
    let mut lines = BufReader::new(holder.stdout.take().expect("stdout")).lines();
    let ready = lines.any(|l| {
        l.map(|l| l.contains("HOLDING THE DATABASE"))
            .unwrap_or(false)
    });
    assert!(ready, "the helper process holds the database");

    let dir = kw.dir().display().to_string();
    for args in [
        vec!["users", "list"],
        vec![
            "keys",
            "create",
            "--owner",
            "ada@example.com",
            "--name",
            "Blocked",
        ],
        vec!["verify", secret.as_str()],
    ] {
        let started = Instant::now();
        let r = kw.json(&args);
        let took = started.elapsed();
        let msg = r.fails(3, "DATABASE_LOCKED");
        assert!(
            took < Duration::from_secs(5),
            "{args:?} answered in {took:?}, not promptly"
        );
        assert!(
            msg.contains(&dir),
            "the message names the data directory: {msg}"
        );
        assert!(msg.contains("in use by another Keyward process"), "{msg}");
    }
    let h = kw.human(&["users", "list"]);
    assert_eq!(h.code, 3);
    assert!(
        h.stderr.contains("in use by another Keyward process"),
        "{}",
        h.stderr
    );

    // The holder dies abruptly; the database is intact and usable again.
    holder.kill().expect("kill the helper we started");
    holder.wait().expect("the helper is reaped");
    let users = kw.json(&["users", "list"]).ok();
    assert_eq!(ids(&users).len(), 1);
    kw.verify_ok(&secret);
    let keys = kw.json(&["keys", "list"]).ok();
    assert_eq!(arr(&keys).len(), 1, "the blocked create changed nothing");
}

#[test]
fn a_database_held_in_another_process_by_the_core_store_is_refused() {
    // The same refusal when the holder is this test process itself (a Store kept open).
    let kw = Kw::new();
    kw.ada();
    let store = Store::open_default(kw.dir(), StoreOptions::default()).expect("open");
    let started = Instant::now();
    kw.json(&["users", "list"]).fails(3, "DATABASE_LOCKED");
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(store);
    assert_eq!(arr(&once_released(&kw, &["users", "list"]).ok()).len(), 1);
}

// ---- a database from a newer Keyward ----

/// Runs a command until the database is no longer locked by a sled instance this test
/// process just closed (see `sled_db::open`), for at most a few seconds.
fn once_released(kw: &Kw, args: &[&str]) -> Run {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = kw.json(args);
        let locked = r.code == 3 && r.stderr.contains("DATABASE_LOCKED");
        if !locked || Instant::now() >= deadline {
            return r;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_database_with_a_newer_schema_version_is_refused_and_left_untouched() {
    let kw = Kw::new();
    kw.ada();
    let current = keyward_core::store::SCHEMA_VERSION;
    assert_eq!(schema_version(kw.dir()), Some(current));
    set_schema_version(kw.dir(), current + 1);
    once_released(&kw, &["users", "list"]).fails(3, "SCHEMA_TOO_NEW");

    for args in [
        vec!["users", "list"],
        vec![
            "users",
            "add",
            "--name",
            "Bob",
            "--email",
            "bob@example.com",
        ],
    ] {
        let msg = kw.json(&args).fails(3, "SCHEMA_TOO_NEW");
        assert!(msg.contains(&kw.dir().display().to_string()), "{msg}");
        assert!(msg.contains(&format!("schema {}", current + 1)), "{msg}");
        assert!(msg.contains("upgrade Keyward"), "{msg}");
    }
    let h = kw.human(&["users", "list"]);
    assert_eq!(h.code, 3);
    assert!(h.stderr.contains("newer Keyward"), "{}", h.stderr);
    assert_eq!(
        schema_version(kw.dir()),
        Some(current + 1),
        "the version record was not rewritten"
    );

    // Back at a version this Keyward knows, everything is still there.
    set_schema_version(kw.dir(), current);
    assert_eq!(arr(&once_released(&kw, &["users", "list"]).ok()).len(), 1);
}

#[test]
fn a_newer_database_without_a_master_key_gets_no_master_key_created() {
    let kw = Kw::new();
    set_schema_version(kw.dir(), 7);
    once_released(&kw, &["users", "list"]).fails(3, "SCHEMA_TOO_NEW");
    assert!(
        !kw.dir().join("master.key").exists(),
        "nothing was written beside it"
    );
    assert_eq!(schema_version(kw.dir()), Some(7));
}

// ---- not found, across verbs ----

#[test]
fn unknown_ids_exit_4_for_every_verb_that_names_an_object() {
    let kw = Kw::new();
    for args in [
        vec!["users", "show", "usr_01AAAAAAAAAAAAAAAAAAAAAAAA"],
        vec![
            "locations",
            "rename",
            "loc_01AAAAAAAAAAAAAAAAAAAAAAAA",
            "--name",
            "X",
        ],
        vec!["keys", "show", "key_01AAAAAAAAAAAAAAAAAAAAAAAA"],
        vec!["keys", "reveal", "nonsense"],
        vec!["tokens", "revoke", "tok_01AAAAAAAAAAAAAAAAAAAAAAAA"],
        vec!["tokens", "create", "key_01AAAAAAAAAAAAAAAAAAAAAAAA"],
    ] {
        kw.json(&args).fails(4, "NOT_FOUND");
    }
}

// ---- the master key ----

#[test]
fn a_missing_master_key_refuses_reveal_and_create_with_exit_3_while_verification_keeps_working() {
    let kw = Kw::new();
    kw.ada();
    let (key, secret) = kw.create_key("ada@example.com", "Zapier");
    let master = kw.dir().join("master.key");
    let saved = std::fs::read(&master).expect("the master key file exists");
    std::fs::remove_file(&master).expect("remove");

    for args in [
        vec!["keys", "reveal", key.as_str()],
        vec!["keys", "regenerate", key.as_str()],
        vec![
            "keys",
            "create",
            "--owner",
            "ada@example.com",
            "--name",
            "New",
        ],
    ] {
        let msg = kw.json(&args).fails(3, "MASTER_KEY_UNAVAILABLE");
        assert!(
            msg.contains("master.key"),
            "the message says which file: {msg}"
        );
        assert!(msg.contains("verification keeps working"), "{msg}");
    }
    kw.verify_ok(&secret);
    let (_, token) = kw.create_token(&key);
    kw.verify_ok(&token);
    assert!(
        !master.exists(),
        "no new master key is created over a sealed store"
    );

    std::fs::write(&master, saved).expect("restore");
    assert_eq!(
        kw.json(&["keys", "reveal", &key]).ok()["key"],
        secret.as_str()
    );
}

#[test]
fn another_stores_master_key_cannot_reveal_keys() {
    let kw = Kw::new();
    kw.ada();
    let (key, secret) = kw.create_key("ada@example.com", "Zapier");
    let other = Kw::new();
    other.ada();
    std::fs::copy(other.dir().join("master.key"), kw.dir().join("master.key")).expect("copy");
    let msg = kw
        .json(&["keys", "reveal", &key])
        .fails(3, "MASTER_KEY_UNAVAILABLE");
    assert_no_secret(&msg, &[&secret], "the refusal");
    kw.verify_ok(&secret);
}

// ---- output to a reader that went away ----

/// The write end of a pipe whose reader has exited: every write to it fails with EPIPE.
#[cfg(unix)]
fn pipe_without_reader() -> Stdio {
    let mut reader = StdCommand::new("true")
        .stdin(Stdio::piped())
        .spawn()
        .expect("`true` runs");
    let write_end = reader.stdin.take().expect("a pipe");
    reader.wait().expect("`true` exits");
    Stdio::from(write_end)
}

#[cfg(unix)]
#[test]
fn output_into_a_closed_pipe_neither_panics_nor_changes_the_exit_code() {
    let kw = Kw::new();
    kw.ada();
    let (_, secret) = kw.create_key("ada@example.com", "Zapier");
    let run = |args: &[&str]| {
        let child = StdCommand::new(env!("CARGO_BIN_EXE_keyward"))
            .arg("--data-dir")
            .arg(kw.dir())
            .args(args)
            .env_remove("KEYWARD_DATA_DIR")
            .stdin(Stdio::null())
            .stdout(pipe_without_reader())
            .stderr(Stdio::piped())
            .spawn()
            .expect("keyward starts");
        let out = child.wait_with_output().expect("keyward ends");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for (args, code) in [
        (vec!["keys", "list"], 0),
        (vec!["--json", "audit"], 0),
        (vec!["verify", secret.as_str()], 0),
        (vec!["verify", "kwa_wrong"], 3),
    ] {
        let (got, stderr) = run(&args);
        assert_eq!(got, Some(code), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
        assert!(stderr.trim().is_empty(), "{args:?}: {stderr}");
    }
    // The verification still counted as a use although nobody read the answer.
    let key = s(&kw.json(&["keys", "list"]).ok()[0]["id"]);
    assert_eq!(kw.key_show(&key)["in_use"], true);
}

#[cfg(target_os = "linux")]
#[test]
fn output_that_cannot_be_written_exits_1_with_a_message_instead_of_panicking() {
    let kw = Kw::new();
    kw.ada();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full exists on Linux");
    let out = StdCommand::new(env!("CARGO_BIN_EXE_keyward"))
        .arg("--data-dir")
        .arg(kw.dir())
        .args(["users", "list"])
        .env_remove("KEYWARD_DATA_DIR")
        .stdout(Stdio::from(full))
        .stderr(Stdio::piped())
        .output()
        .expect("keyward runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains("could not be written to standard output"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn a_non_utf8_argument_is_a_usage_error_not_a_panic() {
    use std::os::unix::ffi::OsStrExt;
    let kw = Kw::new();
    let bad = std::ffi::OsStr::from_bytes(b"kwa_\xff\xfe");
    for json_first in [true, false] {
        let mut c = kw.command();
        if json_first {
            c.arg("--json").arg("verify").arg(bad);
        } else {
            c.arg("verify").arg(bad).arg("--json");
        }
        let out = c.output().expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert_eq!(error_of(&stderr).0, "USAGE");
    }
    let mut c = kw.command();
    c.arg("verify").arg(bad);
    let out = c.output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn errors_never_send_control_characters_from_input_to_the_terminal() {
    let kw = Kw::new();
    kw.ada();
    for (name, email) in [
        ("\u{1b}[2J\u{1b}[31mRed", "red@example.com"),
        ("Bell", "bell\u{7}@example.com"),
        ("invoice\u{202e}fdp.exe", "x@example.com"),
    ] {
        let h = kw.human(&["users", "add", "--name", name, "--email", email]);
        assert_eq!(h.code, 2, "{}", h.stderr);
        assert!(
            !h.stderr.chars().any(|c| c.is_control() && c != '\n'),
            "raw control characters reached the terminal: {:?}",
            h.stderr
        );
        assert!(!h.stderr.contains('\u{202e}'), "{:?}", h.stderr);
    }
    // The key named in an error is shown escaped, so the user sees what was typed.
    let h = kw.human(&["keys", "show", "key_\u{1b}[31m"]);
    assert_eq!(h.code, 4);
    assert!(h.stderr.contains("\\u{1b}[31m"), "{:?}", h.stderr);
}
