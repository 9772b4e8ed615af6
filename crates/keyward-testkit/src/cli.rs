//! The real `keyward` binary on a test's own data directory at a pinned time
//! (`KEYWARD_NOW`): a command builder, its parsed answers, a running `keyward serve`, and
//! the checks of what the CLI prints.
//!
//! Ids embed the clock's millisecond, so two invocations at the same pinned instant sort in
//! random order: tests that depend on "newest first" move the clock between commands.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use keyward_core::clock::{parse_rfc3339, to_rfc3339, Millis};
use serde_json::Value;
use tempfile::TempDir;

pub use crate::json::{arr, ids, s};
pub use crate::T0_2026 as T0;
pub use keyward_core::clock::{DAY, HOUR, MINUTE, SECOND};

/// The `keyward` binary cargo built for these tests.
pub fn keyward_bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("keyward")
}

/// Makes `cmd` — keyward itself, or a program that runs it (`sh`, `strace`) — into
/// `keyward --data-dir DIR` at the pinned instant `now` (RFC 3339), whatever
/// `KEYWARD_DATA_DIR` the test runner has.
pub fn keyward_at<'c>(
    cmd: &'c mut std::process::Command,
    dir: &Path,
    now: &str,
) -> &'c mut std::process::Command {
    cmd.env_remove("KEYWARD_DATA_DIR")
        .env_remove("KEYWARD_DATABASE_URL")
        .env_remove("KEYWARD_MASTER_KEY_FILE")
        .env("KEYWARD_NOW", now)
        .arg("--data-dir")
        .arg(dir)
}

/// The outcome of one invocation.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    /// stdout parsed as JSON (`Null` when stdout is empty or the run was not `--json`).
    pub json: Value,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts exit 0 and returns the JSON answer.
    #[track_caller]
    pub fn ok(self) -> Value {
        assert_eq!(
            self.code, 0,
            "expected success, got exit {}\nstdout: {}\nstderr: {}",
            self.code, self.stdout, self.stderr
        );
        self.json
    }

    /// Asserts the exit code and that stderr holds exactly `{"error":{"code","message"}}`
    /// with `code`; stdout stays empty. Returns the message.
    #[track_caller]
    pub fn fails(&self, exit: i32, code: &str) -> String {
        assert_eq!(
            self.code, exit,
            "expected exit {exit} ({code}), got {}\nstdout: {}\nstderr: {}",
            self.code, self.stdout, self.stderr
        );
        assert!(
            self.stdout.trim().is_empty(),
            "an error printed on stdout: {}",
            self.stdout
        );
        let (got, message) = error_of(&self.stderr);
        assert_eq!(got, code, "stderr: {}", self.stderr);
        message
    }
}

/// Parses `{"error":{"code":"…","message":"…"}}` (nothing more, nothing less) from stderr.
#[track_caller]
pub fn error_of(stderr: &str) -> (String, String) {
    let v: Value = serde_json::from_str(stderr.trim())
        .unwrap_or_else(|e| panic!("stderr is not one JSON document ({e}): {stderr}"));
    crate::json::error_of(&v)
}

/// A data directory and a clock for one test.
pub struct Kw {
    dir: TempDir,
    now: Cell<Millis>,
    /// `KEYWARD_DATABASE_URL` for every run: the store is in PostgreSQL.
    database: Option<String>,
    /// `KEYWARD_SERVER` and `KEYWARD_TOKEN` for every run: a client of that server.
    server: Option<(String, String)>,
}

impl Default for Kw {
    fn default() -> Self {
        Self::new()
    }
}

impl Kw {
    pub fn new() -> Kw {
        Kw {
            dir: tempfile::tempdir().expect("a temporary directory"),
            now: Cell::new(at(T0)),
            database: None,
            server: None,
        }
    }

    /// Every run manages the server at `url` with the management token `token`
    /// (`KEYWARD_SERVER`, `KEYWARD_TOKEN`), from a data directory of its own.
    pub fn client_of(url: &str, token: &str) -> Kw {
        Kw {
            server: Some((url.to_owned(), token.to_owned())),
            ..Kw::new()
        }
    }

    /// Every run keeps its data in the PostgreSQL database at `url` (its master key still
    /// in this data directory).
    pub fn on_database(url: &str) -> Kw {
        Kw {
            database: Some(url.to_owned()),
            ..Kw::new()
        }
    }

    pub fn database(&self) -> Option<&str> {
        self.database.as_deref()
    }

    /// The data directory passed as `--data-dir`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn now(&self) -> Millis {
        self.now.get()
    }

    pub fn set_now(&self, t: Millis) {
        self.now.set(t);
    }

    pub fn advance(&self, by: Millis) {
        self.now.set(self.now.get() + by);
    }

    /// Makes `cmd` (keyward, or a program that runs it) act on this data directory at
    /// this test's time.
    pub fn keyward_on<'c>(
        &self,
        cmd: &'c mut std::process::Command,
    ) -> &'c mut std::process::Command {
        keyward_at(cmd, self.dir(), &to_rfc3339(self.now()));
        if let Some(url) = &self.database {
            cmd.env("KEYWARD_DATABASE_URL", url);
        }
        cmd.env_remove("KEYWARD_SERVER").env_remove("KEYWARD_TOKEN");
        if let Some((url, token)) = &self.server {
            cmd.env("KEYWARD_SERVER", url).env("KEYWARD_TOKEN", token);
        }
        cmd
    }

    /// The command with `--data-dir`, the pinned clock and a safety timeout; nothing else.
    pub fn command(&self) -> Command {
        let mut c = std::process::Command::new(keyward_bin());
        self.keyward_on(&mut c);
        let mut c = Command::from_std(c);
        c.timeout(Duration::from_secs(30));
        c
    }

    /// Runs `keyward --data-dir DIR --json ARGS…` and parses stdout as JSON.
    #[track_caller]
    pub fn json(&self, args: &[&str]) -> Run {
        let mut c = self.command();
        c.arg("--json").args(args);
        run(c, true)
    }

    /// [`Kw::json`] with these environment variables set too.
    #[track_caller]
    pub fn json_env(&self, env: &[(&str, &std::ffi::OsStr)], args: &[&str]) -> Run {
        let mut c = self.command();
        c.envs(env.iter().copied()).arg("--json").args(args);
        run(c, true)
    }

    /// Runs `keyward --data-dir DIR ARGS…` (human output).
    #[track_caller]
    pub fn human(&self, args: &[&str]) -> Run {
        let mut c = self.command();
        c.args(args);
        run(c, false)
    }

    /// Starts `keyward serve ARGS…` on this data directory at this test's time.
    #[track_caller]
    pub fn serve(&self, args: &[&str]) -> Serving {
        let mut c = std::process::Command::new(keyward_bin());
        self.keyward_on(&mut c).arg("serve").args(args);
        Serving::spawn(c)
    }

    // ---- scenario shortcuts (each asserts success) ----

    #[track_caller]
    pub fn add_user(&self, name: &str, email: &str, admin: bool) -> Value {
        let mut args = vec!["users", "add", "--name", name, "--email", email];
        if admin {
            args.push("--admin");
        }
        self.json(&args).ok()
    }

    /// An admin (API access on) called Ada; returns her id.
    #[track_caller]
    pub fn ada(&self) -> String {
        let u = self.add_user("Ada Lovelace", "ada@example.com", true);
        u["id"].as_str().expect("user id").to_owned()
    }

    /// Creates an agency key for `owner`; returns (id, secret).
    #[track_caller]
    pub fn create_key(&self, owner: &str, name: &str) -> (String, String) {
        self.create_key_at(owner, name, None)
    }

    /// Creates a key for `owner` scoped to `location` (an id or a name), or to the agency;
    /// returns (id, secret).
    #[track_caller]
    pub fn create_key_at(
        &self,
        owner: &str,
        name: &str,
        location: Option<&str>,
    ) -> (String, String) {
        let mut args = vec!["keys", "create", "--owner", owner, "--name", name];
        if let Some(l) = location {
            args.extend(["--location", l]);
        }
        let k = self.json(&args).ok();
        (s(&k["id"]), s(&k["key"]))
    }

    /// Mints a token from a key; returns (id, secret).
    #[track_caller]
    pub fn create_token(&self, key: &str) -> (String, String) {
        let t = self.json(&["tokens", "create", key]).ok();
        (s(&t["id"]), s(&t["token"]))
    }

    /// `keyward verify SECRET` → (exit code, verdict).
    #[track_caller]
    pub fn verify(&self, secret: &str) -> (i32, Value) {
        let r = self.json(&["verify", secret]);
        assert!(
            r.stderr.trim().is_empty(),
            "verify wrote to stderr: {}",
            r.stderr
        );
        (r.code, r.json)
    }

    /// The code of a failed verification, asserting exit 3 and `valid: false`.
    #[track_caller]
    pub fn verify_fails(&self, secret: &str) -> String {
        let (code, v) = self.verify(secret);
        assert_eq!(code, 3, "an invalid secret exits 3: {v}");
        assert_eq!(v["valid"], false, "{v}");
        s(&v["code"])
    }

    /// Asserts the secret verifies (exit 0, `valid: true`) and returns the verdict.
    #[track_caller]
    pub fn verify_ok(&self, secret: &str) -> Value {
        let (code, v) = self.verify(secret);
        assert_eq!(code, 0, "a valid secret exits 0: {v}");
        assert_eq!(v["valid"], true, "{v}");
        assert!(v.get("code").is_none(), "a valid verdict has no code: {v}");
        v
    }

    #[track_caller]
    pub fn key_show(&self, key: &str) -> Value {
        self.json(&["keys", "show", key]).ok()
    }

    /// The whole audit log, newest first.
    #[track_caller]
    pub fn audit_all(&self) -> Vec<Value> {
        arr(&self.json(&["audit", "--limit", "100000"]).ok())
    }
}

#[track_caller]
fn run(mut c: Command, json: bool) -> Run {
    let out = c.output().expect("keyward runs");
    let stdout = String::from_utf8(out.stdout).expect("stdout is UTF-8");
    let stderr = String::from_utf8(out.stderr).expect("stderr is UTF-8");
    let code = out
        .status
        .code()
        .expect("keyward exited (not killed by a signal)");
    let json = if json && !stdout.trim().is_empty() {
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("--json printed something that is not JSON ({e}): {stdout}"))
    } else {
        Value::Null
    };
    Run {
        code,
        json,
        stdout,
        stderr,
    }
}

/// A running `keyward serve`, killed when dropped if it is still running.
pub struct Serving {
    child: Child,
    /// The port it announced.
    pub port: u16,
}

impl Serving {
    /// Starts `cmd`, which must end up running `keyward serve` (directly, or through a
    /// program such as `sh -c 'ulimit …; exec …'`), and waits for it to announce its port.
    #[track_caller]
    pub fn spawn(mut cmd: std::process::Command) -> Serving {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start keyward serve");
        let port = announced_port(&mut child);
        Serving { child, port }
    }

    /// A server started by the test itself, which read its announcement.
    pub fn from_child(child: Child, port: u16) -> Serving {
        Serving { child, port }
    }

    /// The server's process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM: the server finishes what it is doing and exits.
    #[track_caller]
    pub fn terminate(&self) {
        let status = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success());
    }

    /// SIGTERM, then the exit code (-1 if a signal ended it).
    #[track_caller]
    pub fn stop(self) -> i32 {
        self.stop_within(Duration::from_secs(10))
    }

    /// SIGTERM, then the exit code; fails the test if the server takes longer than `limit`.
    #[track_caller]
    pub fn stop_within(mut self, limit: Duration) -> i32 {
        self.terminate();
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "keyward serve did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: gone at once, whatever it was doing.
    pub fn kill_9(mut self) {
        self.child.kill().expect("kill the server we started");
        self.child.wait().expect("reap it");
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The port a just-started `keyward serve --port 0` announces on its first line
/// ("Listening on http://127.0.0.1:PORT").
#[track_caller]
pub fn announced_port(child: &mut Child) -> u16 {
    use std::io::BufRead;
    let stdout = child.stdout.take().expect("serve's stdout is piped");
    let mut first = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut first)
        .expect("read the first line");
    first
        .trim()
        .strip_prefix("Listening on ")
        .and_then(|u| {
            u.strip_prefix("http://127.0.0.1:")
                .or_else(|| u.strip_prefix("https://127.0.0.1:"))
        })
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("keyward serve did not start: {first:?}"))
}

/// A port nobody listens on at the moment of asking.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// An RFC 3339 instant in milliseconds.
#[track_caller]
pub fn at(rfc3339: &str) -> Millis {
    parse_rfc3339(rfc3339).unwrap_or_else(|| panic!("not RFC 3339: {rfc3339}"))
}

/// Asserts that no secret — nor the random part of one — appears in `text`.
#[track_caller]
pub fn assert_no_secret(text: &str, secrets: &[&str], what: &str) {
    for secret in secrets {
        assert_eq!(secret.len(), 42, "a secret is 42 characters: {secret}");
        assert!(!text.contains(secret), "{what} contains a full secret");
        assert!(
            !text.contains(&secret[4..36]),
            "{what} contains the random part of a secret"
        );
        // The mask shows the prefix and 4+4 characters; any 12-character run is too much.
        for w in 0..=(42 - 12) {
            let window = &secret[w..w + 12];
            assert!(
                !text.contains(window),
                "{what} contains 12 consecutive characters of a secret ({window})"
            );
        }
    }
}

/// Asserts the shape of a secret: prefix, 42 characters, base62 after the prefix.
#[track_caller]
pub fn assert_secret_shape(secret: &str, prefix: &str) {
    assert_eq!(secret.len(), 42, "{secret}");
    assert!(secret.starts_with(prefix), "{secret} starts with {prefix}");
    assert!(
        secret[4..].bytes().all(|b| b.is_ascii_alphanumeric()),
        "{secret} is base62 after the prefix"
    );
}

/// `kwa_AbCd…wxyz` for a secret.
pub fn masked(secret: &str) -> String {
    format!("{}…{}", &secret[..8], &secret[secret.len() - 4..])
}

/// One HTTP/1.1 request to a `keyward serve` on 127.0.0.1 (`Connection: close`): the
/// status and the body as JSON (`Null` if it is not JSON). `None` when nothing answered.
pub fn http(port: u16, method: &str, path: &str, body: Option<&str>) -> Option<(u16, Value)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let body = body.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    s.read_to_string(&mut answer).ok()?;
    let status = answer.split(' ').nth(1)?.parse().ok()?;
    let json = answer
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    Some((status, json))
}

/// `POST /v1/verify` of `secret`: the status and the verdict's code ("VALID" when valid).
pub fn verify_over_http(port: u16, secret: &str) -> Option<(u16, String)> {
    let (status, v) = http(
        port,
        "POST",
        "/v1/verify",
        Some(&format!(r#"{{"key":"{secret}"}}"#)),
    )?;
    let code = if v["valid"] == true {
        "VALID".to_owned()
    } else {
        v["code"]
            .as_str()
            .or(v["error"]["code"].as_str())
            .unwrap_or("?")
            .to_owned()
    };
    Some((status, code))
}
