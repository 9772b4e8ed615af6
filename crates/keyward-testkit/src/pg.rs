//! A real PostgreSQL for the tests: one throwaway cluster per test process, started on
//! first use from the Debian package's binaries (`apt-get install postgresql`), and a
//! fresh schema for every store a test opens.
//!
//! The cluster lives in a temporary directory, listens on 127.0.0.1 at a free port, and
//! is stopped and removed by a watcher process once the test process is gone, however it
//! ends (success, panic, kill). `KEYWARD_TEST_DATABASE_URL` points the tests at an
//! existing server instead.
//!
//! PostgreSQL refuses to run as root: as root the cluster runs as the `postgres` user.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A running cluster (or the server named by `KEYWARD_TEST_DATABASE_URL`).
#[derive(Debug)]
pub struct Cluster {
    /// `postgres://keyward@127.0.0.1:PORT` (no database).
    base: String,
    /// The cluster's directory (None for an outside server).
    pub dir: Option<PathBuf>,
    pub port: u16,
    bin: PathBuf,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
static NEXT: AtomicU64 = AtomicU64::new(0);

/// The test process's cluster, started on first call. Panics with what to install when
/// PostgreSQL is not there.
pub fn cluster() -> &'static Cluster {
    match CLUSTER.get_or_init(start) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    }
}

impl Cluster {
    /// The URL of database `db` on this cluster.
    pub fn url(&self, db: &str) -> String {
        format!("{}/{db}", self.base)
    }

    /// A new, empty database, for a test that runs several processes on one store.
    pub fn new_database(&self) -> String {
        let name = unique("kw");
        self.psql("postgres", &format!("CREATE DATABASE {name}"));
        self.url(&name)
    }

    /// The URL of a new, empty schema in the shared test database: a store of its own,
    /// made in a few milliseconds.
    pub fn new_schema(&self) -> String {
        let name = unique("t");
        self.psql("kw", &format!("CREATE SCHEMA {name}"));
        self.schema_url(&name)
    }

    /// The URL that opens the store in schema `name` of the shared test database.
    pub fn schema_url(&self, name: &str) -> String {
        format!("{}?options=-c%20search_path%3D{name}", self.url("kw"))
    }

    /// Runs one SQL statement with `psql`, panicking if it fails.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = Command::new("psql")
            .args([
                "-X",
                "-q",
                "-t",
                "-A",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                &self.url(db),
                "-c",
                sql,
            ])
            .output()
            .unwrap_or_else(|e| panic!("psql could not run: {e}"));
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// `pg_ctl` on this cluster (`stop -m immediate`, `start`), as its owner.
    pub fn pg_ctl(&self, args: &[&str]) {
        let dir = self
            .dir
            .as_ref()
            .expect("an outside server cannot be stopped by a test");
        let data = dir.join("data");
        let log = dir.join("log");
        let mut all: Vec<String> = vec!["-D".into(), data.display().to_string(), "-w".into()];
        all.extend(args.iter().map(|a| a.to_string()));
        if args.first() == Some(&"start") {
            all.extend([
                "-l".into(),
                log.display().to_string(),
                "-o".into(),
                server_options(dir, self.port),
            ]);
        }
        let status = as_owner(&self.bin.join("pg_ctl"), &all)
            .stdout(Stdio::null())
            .status()
            .expect("pg_ctl");
        assert!(status.success(), "pg_ctl {args:?} failed");
    }
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos()
    )
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A command run as the cluster's owner: `postgres` when we are root, else ourselves.
fn as_owner(program: &Path, args: &[String]) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program).args(args);
        c
    } else {
        let mut c = Command::new(program);
        c.args(args);
        c
    }
}

/// The newest installed PostgreSQL's binaries.
fn find_bin() -> Option<PathBuf> {
    if let Ok(b) = std::env::var("KEYWARD_PG_BIN") {
        return Some(PathBuf::from(b));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, b)| b)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// No fsync (a test cluster dies with its tests, and a stopped server's writes are still
/// in the OS's cache), but every commit written before it is acknowledged, so a server
/// killed with `pg_ctl stop -m immediate` comes back with all of them. Room for many
/// stores.
fn server_options(dir: &Path, port: u16) -> String {
    format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300",
        dir.display()
    )
}

fn start() -> Result<Cluster, String> {
    if let Ok(url) = std::env::var("KEYWARD_TEST_DATABASE_URL") {
        let base = url.trim_end_matches('/').to_owned();
        let cluster = Cluster {
            base,
            dir: None,
            port: 0,
            bin: PathBuf::new(),
        };
        create_shared_database(&cluster)?;
        return Ok(cluster);
    }
    let bin = find_bin().ok_or(
        "PostgreSQL is not installed: the tests start their own PostgreSQL 15 cluster — \
         install it with `apt-get install postgresql` (make test does, as root), or set \
         KEYWARD_TEST_DATABASE_URL to a server the tests may create databases on",
    )?;
    let dir = tempfile::Builder::new()
        .prefix("keyward-pg-")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    if is_root() {
        let status = Command::new("chown")
            .args(["-R", "postgres"])
            .arg(&dir)
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err("could not give the test cluster's directory to the postgres user".into());
        }
    }
    let data = dir.join("data");
    let out = as_owner(
        &bin.join("initdb"),
        &[
            "-D".into(),
            data.display().to_string(),
            "-A".into(),
            "trust".into(),
            "-U".into(),
            "keyward".into(),
            "--no-sync".into(),
        ],
    )
    .output()
    .map_err(|e| format!("initdb could not run: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let port = free_port();
    let cluster = Cluster {
        base: format!("postgres://keyward@127.0.0.1:{port}"),
        dir: Some(dir.clone()),
        port,
        bin: bin.clone(),
    };
    watch_and_clean_up(&bin, &dir);
    let started = Instant::now();
    cluster.pg_ctl(&["start"]);
    log_started(started.elapsed());
    create_shared_database(&cluster)?;
    Ok(cluster)
}

fn log_started(took: Duration) {
    eprintln!("# test PostgreSQL started in {} ms", took.as_millis());
}

fn create_shared_database(c: &Cluster) -> Result<(), String> {
    let exists = c.psql(
        "postgres",
        "SELECT count(*) FROM pg_database WHERE datname = 'kw'",
    );
    if exists == "0" {
        c.psql("postgres", "CREATE DATABASE kw");
    }
    Ok(())
}

/// A process of its own session that waits for this test process to end, then stops the
/// cluster and removes its directory.
fn watch_and_clean_up(bin: &Path, dir: &Path) {
    let pg_ctl = bin.join("pg_ctl");
    let data = dir.join("data");
    let stop = if is_root() {
        format!(
            "runuser -u postgres -- '{}' -D '{}' -m immediate stop",
            pg_ctl.display(),
            data.display()
        )
    } else {
        format!(
            "'{}' -D '{}' -m immediate stop",
            pg_ctl.display(),
            data.display()
        )
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf '{dir}'",
        pid = std::process::id(),
        dir = dir.display()
    );
    let _ = Command::new("setsid")
        .args(["sh", "-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}
