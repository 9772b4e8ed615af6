//! `keyward`: the headless Keyward on the desktop app's data directory.

mod archive;
mod cli;
mod commands;
mod local_api;
mod logger;
mod output;

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use cli::{Cli, Command};
use commands::Target;
use keyward_client::{AddressFile, Manage, Remote};
use keyward_core::{
    Clock, Error, ErrorClass, FileMasterKey, KeychainMasterKey, ManualClock, Store, StoreOptions,
    SystemClock,
};
use output::Out;

/// The desktop app's identifier: its data directory is `<data dir>/<identifier>`.
pub const APP_IDENTIFIER: &str = "com.keyward.desktop";

fn main() -> ExitCode {
    // args_os: a non-UTF-8 argument is a usage error (below), not a panic here.
    let json_requested = std::env::args_os().any(|a| a == "--json");
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let usage = e.use_stderr();
            if usage && json_requested {
                output::print_error_json("USAGE", &usage_message(&e));
                return ExitCode::from(2);
            }
            let _ = e.print();
            return ExitCode::from(if usage { 2 } else { 0 });
        }
    };
    logger::init(cli.json);
    let out = Out::new(cli.json, clock().map(|c| c.now()).unwrap_or_default());
    let code = match run(cli, &out) {
        Ok(code) => code,
        Err(e) => {
            out.error(&e);
            exit_code(&e)
        }
    };
    if let Some(why) = output::write_error() {
        eprintln!("error: the answer could not be written to standard output: {why}");
        return ExitCode::from(if code == 0 { 1 } else { code });
    }
    ExitCode::from(code)
}

/// A one-line message for a usage error: clap's first paragraph (which names the missing
/// arguments or the possible values on its following lines), or, when clap shows the help
/// because a subcommand is missing, the usage line.
fn usage_message(e: &clap::Error) -> String {
    let text = e.to_string();
    if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let usage = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("Usage: "))
            .unwrap_or("keyward <COMMAND>");
        return format!("a subcommand is required: {usage} (see --help)");
    }
    let first_paragraph: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.is_empty())
        .collect();
    let msg = first_paragraph.join(" ");
    let msg = msg.trim_start_matches("error: ").trim();
    if msg.is_empty() {
        "usage error (see --help)".to_owned()
    } else {
        msg.to_owned()
    }
}

fn exit_code(e: &Error) -> u8 {
    match e.class() {
        ErrorClass::Internal => 1,
        ErrorClass::Usage => 2,
        ErrorClass::Refused => 3,
        ErrorClass::NotFound => 4,
    }
}

fn data_dir(flag: Option<PathBuf>) -> Result<PathBuf, Error> {
    if let Some(d) = flag.filter(|d| !d.as_os_str().is_empty()) {
        return Ok(d);
    }
    dirs::data_dir()
        .map(|d| d.join(APP_IDENTIFIER))
        .ok_or_else(|| {
            Error::invalid(
                "no data directory could be determined (HOME is not set) — pass --data-dir DIR",
            )
        })
}

/// `KEYWARD_NOW` pins the clock (RFC 3339), to rehearse what the lifecycle will do on a date.
fn clock() -> Result<Arc<dyn Clock>, Error> {
    match std::env::var("KEYWARD_NOW") {
        Ok(v) if !v.is_empty() => {
            let at = keyward_core::clock::parse_rfc3339(&v).ok_or_else(|| {
                Error::invalid(format!(
                    "KEYWARD_NOW='{v}' is not an RFC 3339 time like 2026-08-12T10:00:00Z"
                ))
            })?;
            Ok(Arc::new(ManualClock::new(at)))
        }
        _ => Ok(Arc::new(SystemClock)),
    }
}

/// A database the CLI creates keeps its master key in a file; one the desktop app created
/// may have it in the OS keychain, which the CLI then reads too. With --database the data
/// is in PostgreSQL and the master key in its file (--master-key-file, shared by nodes).
fn open(cli: &Cli, migrate: bool) -> Result<Store, Error> {
    let dir = data_dir(cli.data_dir.clone())?;
    let file = match &cli.master_key_file {
        Some(f) => {
            let named = FileMasterKey::new(f);
            // A key file named by the user is refused outright when others may read it.
            named.check_private()?;
            named
        }
        None => FileMasterKey::new(keyward_core::store::master_key_path(&dir)),
    };
    let mut opts = StoreOptions {
        new_store: cli.new_store,
        ..StoreOptions::default()
    };
    if let Command::Serve { max_staleness, .. } = cli.command {
        opts.max_staleness = i64::from(max_staleness) * keyward_core::clock::SECOND;
    }
    let store = if let Some(url) = cli.database_url() {
        keyward_core::store::create_private_dir(&dir)?;
        Store::open_postgres(url, migrate, &dir, clock()?, &[&file], opts)?
    } else {
        let keychain = KeychainMasterKey::new(APP_IDENTIFIER, &dir);
        Store::open_with_sources(&dir, clock()?, &[&file, &keychain], opts)?
    };
    keyward_webhooks::mail::enable(&store);
    Ok(store)
}

/// `keyward migrate`: PostgreSQL's tables; the embedded database migrates itself.
fn migrate(cli: &Cli, out: &Out) -> Result<u8, Error> {
    let Some(url) = cli.database_url() else {
        return Err(Error::invalid_field(
            "database",
            "keyward migrate needs --database postgres://… (or KEYWARD_DATABASE_URL); the embedded database in the data directory upgrades itself when opened",
        ));
    };
    let (backend, done) = keyward_core::store::postgres::PgBackend::migrate_url(url)?;
    out.show(&output::Migration {
        database: backend.shown_url().to_owned(),
        from: done.from,
        to: done.to,
    });
    Ok(0)
}

/// The secret of `keyward verify`: the argument, or standard input for `-`.
pub(crate) fn presented_secret(arg: String) -> Result<keyward_core::Secret, Error> {
    if arg != "-" {
        return Ok(keyward_core::Secret::from_text(arg.trim().to_owned()));
    }
    // Wiped when dropped, like the secret itself.
    let mut line = zeroize::Zeroizing::new(String::new());
    std::io::stdin().read_line(&mut line).map_err(|e| {
        Error::invalid(format!(
            "the secret could not be read from standard input: {e}"
        ))
    })?;
    let secret = keyward_core::Secret::from_text(line.trim().to_owned());
    if secret.expose().is_empty() {
        return Err(Error::invalid(
            "no secret on standard input — pipe the key or token in, e.g. keyward verify - < key.txt",
        ));
    }
    Ok(secret)
}

fn run(cli: Cli, out: &Out) -> Result<u8, Error> {
    if matches!(cli.command, Command::Migrate) {
        return migrate(&cli, out);
    }
    if let Some(url) = cli.server_url() {
        let remote = connect_server(url)?;
        return commands::run(&Target::Remote(remote), cli.command, out);
    }
    let serve_migrate = matches!(cli.command, Command::Serve { migrate: true, .. });
    if serve_migrate && cli.database_url().is_none() {
        return Err(Error::invalid_field(
            "migrate",
            "--migrate is for a PostgreSQL database: pass --database postgres://… too",
        ));
    }
    let store = match open(&cli, serve_migrate) {
        Ok(store) => Arc::new(store),
        Err(locked @ Error::Locked { .. }) => return through_running_process(cli, locked, out),
        Err(e) => return Err(e),
    };
    let code = match cli.command {
        Command::Serve { port, listen, .. } => return local_api::serve(store, port, listen, out),
        Command::Export { out: file, force } => {
            archive::export(&store, &file, force, out)?;
            0
        }
        Command::Import { file } => {
            archive::import(&store, &file, out)?;
            0
        }
        command => commands::run(&Target::Local(store.clone()), command, out)?,
    };
    store.flush()?;
    Ok(code)
}

/// `--server URL`: the server, with the management token of KEYWARD_TOKEN.
fn connect_server(url: &str) -> Result<Remote, Error> {
    let token = std::env::var("KEYWARD_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| {
            Error::invalid_field(
                "token",
                "--server needs a management token in KEYWARD_TOKEN (kwm_…) — an admin creates one with keyward manage-tokens create --user EMAIL",
            )
        })?;
    let ca = std::env::var_os("KEYWARD_CA_CERT")
        .filter(|c| !c.is_empty())
        .map(PathBuf::from);
    Remote::connect(
        url,
        keyward_core::Secret::from_text(token.trim().to_owned()),
        "cli",
        ca.as_deref(),
    )
}

/// The database is held by another Keyward process: when that process left its address in
/// the data directory (the desktop app, `keyward serve`), the command goes to it. Otherwise
/// — or when it no longer answers — the answer is the locked database.
fn through_running_process(cli: Cli, locked: Error, out: &Out) -> Result<u8, Error> {
    let on_the_store_itself = matches!(
        cli.command,
        Command::Serve { .. } | Command::Export { .. } | Command::Import { .. }
    );
    if on_the_store_itself {
        return Err(locked);
    }
    let dir = data_dir(cli.data_dir.clone())?;
    let Some((address, token)) = AddressFile::read(&dir)? else {
        return Err(locked);
    };
    let remote = Remote::connect(&address.url, token, "cli", None)?;
    match remote.session() {
        Ok(_) => commands::run(&Target::Remote(remote), cli.command, out),
        Err(e) if e.error_code() == keyward_core::error::ErrorCode::ServerUnavailable => {
            Err(locked)
        }
        Err(e) => Err(e),
    }
}

/// How long a one-shot command may spend sending queued webhook events before it exits.
pub(crate) const ONE_SHOT_DELIVERY: std::time::Duration = std::time::Duration::from_secs(3);

/// One bounded delivery attempt of what is due (SPEC §8); the rest waits for the next
/// Keyward process. A failure here never fails the command: it is in the delivery log.
pub(crate) fn deliver_webhooks(store: &Arc<Store>) {
    let due = matches!(store.next_delivery_at(), Ok(Some(at)) if at <= store.now());
    if !due {
        return;
    }
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    let _ = rt.block_on(keyward_webhooks::deliver_once(store, ONE_SHOT_DELIVERY));
}
