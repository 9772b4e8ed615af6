//! A real SMTP server for the tests: `smtp_receiver.py` (Python, aiosmtpd) started on
//! 127.0.0.1 as a child process, writing each message it accepts to a directory the test
//! reads. It can be stopped and started again on the same port (a server that is down,
//! then back), can ask for a login, and can speak TLS (STARTTLS, or TLS from the first
//! byte) with a self-signed certificate for 127.0.0.1 made for it.
//!
//! The Python it runs: `KEYWARD_TEST_PYTHON`, else the virtual environment `make
//! setup-test` makes (`target/test-venv`), else `python3`; it must have aiosmtpd.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/smtp_receiver.py");

/// One message the server accepted.
#[derive(Debug, Clone)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    /// The user name it logged in with, if it did.
    pub login: Option<String>,
    /// Headers in order, decoded.
    pub headers: Vec<(String, String)>,
    /// The text, decoded.
    pub body: String,
    /// The message as it came over the wire.
    pub raw: String,
}

impl Received {
    /// The first header of this name (any case), decoded.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The server, running or stopped; stopped when dropped.
pub struct SmtpReceiver {
    pub port: u16,
    dir: TempDir,
    login: Option<(String, String)>,
    tls: SmtpTls,
    child: Option<Child>,
}

/// How a receiver speaks TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text only (no STARTTLS offered).
    None,
    /// Plain text, then STARTTLS, required before anything else (and before a login).
    StartTls,
    /// TLS from the first byte (`smtps://`).
    Implicit,
}

/// The Python interpreter that has aiosmtpd.
fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("KEYWARD_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-venv/bin/python3");
    if venv.exists() {
        return venv;
    }
    PathBuf::from("python3")
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

impl SmtpReceiver {
    /// A server on a free port, without login.
    pub fn start() -> SmtpReceiver {
        SmtpReceiver::stopped(free_port(), None).started()
    }

    /// A server on a free port that asks for this login.
    pub fn with_login(user: &str, password: &str) -> SmtpReceiver {
        SmtpReceiver::stopped(free_port(), Some((user.into(), password.into()))).started()
    }

    /// A server on a free port, not started yet: nothing listens there until [`start_again`].
    ///
    /// [`start_again`]: SmtpReceiver::start_again
    pub fn down() -> SmtpReceiver {
        SmtpReceiver::stopped(free_port(), None)
    }

    /// A server on a free port speaking `tls` with a self-signed certificate for
    /// 127.0.0.1 (see [`SmtpReceiver::certificate`]), asking for `login` if given.
    pub fn with_tls(tls: SmtpTls, login: Option<(&str, &str)>) -> SmtpReceiver {
        let mut r = SmtpReceiver::stopped(
            free_port(),
            login.map(|(u, p)| (u.to_owned(), p.to_owned())),
        );
        r.tls = tls;
        if tls != SmtpTls::None {
            let made = rcgen::generate_simple_self_signed(vec![
                "127.0.0.1".to_owned(),
                "localhost".to_owned(),
            ])
            .expect("a self-signed certificate");
            std::fs::write(r.certificate(), made.cert.pem()).expect("the certificate written");
            std::fs::write(r.dir.path().join("key.pem"), made.key_pair.serialize_pem())
                .expect("the key written");
        }
        r.started()
    }

    /// The receiver's certificate (PEM), its own issuer: a client trusts the server only
    /// when told to trust this file.
    pub fn certificate(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    fn stopped(port: u16, login: Option<(String, String)>) -> SmtpReceiver {
        SmtpReceiver {
            port,
            dir: tempfile::tempdir().expect("a temporary directory"),
            login,
            tls: SmtpTls::None,
            child: None,
        }
    }

    fn started(mut self) -> SmtpReceiver {
        self.start_again();
        self
    }

    /// `smtp_url` for this server on 127.0.0.1 (with the login, if it asks for one): plain
    /// text, STARTTLS or TLS, as it speaks.
    pub fn url(&self) -> String {
        let login = match &self.login {
            Some((u, p)) => format!("{u}:{p}@"),
            None => String::new(),
        };
        match self.tls {
            SmtpTls::None => format!("smtp://{login}127.0.0.1:{}?tls=none", self.port),
            SmtpTls::StartTls => format!("smtp://{login}127.0.0.1:{}", self.port),
            SmtpTls::Implicit => format!("smtps://{login}127.0.0.1:{}", self.port),
        }
    }

    /// Starts the server (again) on its port; returns once it listens.
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "the SMTP receiver is already running");
        let py = python();
        let mut cmd = Command::new(&py);
        cmd.arg(SCRIPT)
            .arg(self.port.to_string())
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some((u, p)) = &self.login {
            cmd.args(["--user", u, "--password", p]);
        }
        let tls = match self.tls {
            SmtpTls::None => None,
            SmtpTls::StartTls => Some("starttls"),
            SmtpTls::Implicit => Some("implicit"),
        };
        if let Some(mode) = tls {
            cmd.args(["--tls", mode])
                .arg("--cert")
                .arg(self.certificate())
                .arg("--key")
                .arg(self.dir.path().join("key.pem"));
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("{} could not be started ({e}): {}", py.display(), HOW));
        let stdout = child.stdout.take().expect("the receiver's stdout");
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        if line.trim() != "ready" {
            let _ = child.kill();
            let out = child.wait_with_output().expect("the receiver's output");
            panic!(
                "the SMTP receiver did not start: {}\n{}",
                String::from_utf8_lossy(&out.stderr),
                HOW
            );
        }
        self.child = Some(child);
    }

    /// Stops the server: connections to its port are refused until it starts again.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Every message accepted so far, in the order received.
    pub fn messages(&self) -> Vec<Received> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("the receiver's directory")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
            .collect();
        names.sort();
        names.iter().map(|p| parse(p)).collect()
    }

    /// Waits up to `within` until at least `n` messages came; returns them all.
    pub fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let got = self.messages();
            if got.len() >= n || started.elapsed() > within {
                return got;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpReceiver {
    fn drop(&mut self) {
        self.stop();
    }
}

const HOW: &str = "the email tests need Python 3 with aiosmtpd: run `make setup-test` (it makes target/test-venv), or `python3 -m pip install --user aiosmtpd`, or point KEYWARD_TEST_PYTHON at a Python that has it";

fn parse(path: &Path) -> Received {
    let text = std::fs::read_to_string(path).expect("a received message");
    let v: Value = serde_json::from_str(&text).expect("a received message in JSON");
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
    Received {
        mail_from: s("mail_from"),
        rcpt_tos: v["rcpt_tos"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| r.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        login: v["login"].as_str().map(str::to_owned),
        headers: v["headers"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|h| {
                        (
                            h[0].as_str().unwrap_or_default().to_owned(),
                            h[1].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        body: s("body"),
        raw: s("data"),
    }
}
