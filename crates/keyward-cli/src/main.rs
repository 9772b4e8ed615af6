//! `keyward`: the headless Keyward on the desktop app's data directory.

mod archive;
mod cli;
mod local_api;
mod logger;
mod output;

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use cli::{
    Cli, Command, KeysCmd, LocationsCmd, OnOff, SettingsCmd, TokensCmd, UsersCmd, WebhooksCmd,
};
use keyward_core::{
    AuditFilter, Clock, Disclosure, Error, ErrorClass, FileMasterKey, KeyFilter, KeychainMasterKey,
    ManualClock, NewKey, NewUser, NewWebhook, Store, StoreOptions, SystemClock, UserEdit,
};
use output::{KeptKey, KeyAndTokens, Labelled, Out, Revealed, TestedWebhook};

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
    if let Some(url) = cli.database_url() {
        keyward_core::store::create_private_dir(&dir)?;
        return Store::open_postgres(url, migrate, &dir, clock()?, &[&file], opts);
    }
    let keychain = KeychainMasterKey::new(APP_IDENTIFIER, &dir);
    Store::open_with_sources(&dir, clock()?, &[&file, &keychain], opts)
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
fn presented_secret(arg: String) -> Result<keyward_core::Secret, Error> {
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
    let serve_migrate = matches!(cli.command, Command::Serve { migrate: true, .. });
    if serve_migrate && cli.database_url().is_none() {
        return Err(Error::invalid_field(
            "migrate",
            "--migrate is for a PostgreSQL database: pass --database postgres://… too",
        ));
    }
    let store = Arc::new(open(&cli, serve_migrate)?);
    let mut code = 0;
    match cli.command {
        Command::Migrate => unreachable!("handled above"),
        Command::Serve { port, listen, .. } => return local_api::serve(store, port, listen, out),
        Command::Webhooks(cmd) => webhooks(&store, cmd, out)?,
        Command::Users(cmd) => users(&store, cmd, out)?,
        Command::Locations(cmd) => locations(&store, cmd, out)?,
        Command::Keys(cmd) => code = keys(&store, cmd, out)?,
        Command::Tokens(cmd) => tokens(&store, cmd, out)?,
        Command::Verify { secret } => {
            let secret = presented_secret(secret)?;
            let verdict = store.verify(secret.expose())?;
            out.show(&verdict);
            if !verdict.valid {
                code = 3;
            }
        }
        Command::Lifecycle { dry_run } => out.show(&store.run_lifecycle(dry_run)?),
        Command::Audit {
            limit,
            object,
            search,
        } => out.show(&store.audit(&AuditFilter {
            limit: Some(limit),
            object_id: object,
            search,
            ..Default::default()
        })?),
        Command::Export { out: file, force } => archive::export(&store, &file, force, out)?,
        Command::Import { file } => archive::import(&store, &file, out)?,
        Command::Settings(SettingsCmd::Show) => out.show(&store.settings()?),
        Command::Settings(SettingsCmd::Set { name, value }) => {
            let mut s = store.settings()?;
            s.set(&name, &value)?;
            out.show(&store.update_settings(s)?);
        }
    }
    deliver_webhooks(&store);
    store.flush()?;
    Ok(code)
}

/// How long a one-shot command may spend sending queued webhook events before it exits.
const ONE_SHOT_DELIVERY: std::time::Duration = std::time::Duration::from_secs(3);

/// One bounded delivery attempt of what is due (SPEC §8); the rest waits for the next
/// Keyward process. A failure here never fails the command: it is in the delivery log.
fn deliver_webhooks(store: &Arc<Store>) {
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

fn webhooks(store: &Arc<Store>, cmd: WebhooksCmd, out: &Out) -> Result<(), Error> {
    match cmd {
        WebhooksCmd::Add {
            user,
            url,
            entity,
            operation,
            allow_private,
        } => out.show(&store.add_webhook(NewWebhook {
            user,
            url,
            entity,
            operation,
            allow_private,
        })?),
        WebhooksCmd::List { user } => out.show(&store.list_webhooks(user.as_deref())?),
        WebhooksCmd::On { webhook } => out.show(&Labelled(
            "Turned on",
            &store.set_webhook_active(&webhook, true)?,
        )),
        WebhooksCmd::Off { webhook } => out.show(&Labelled(
            "Turned off",
            &store.set_webhook_active(&webhook, false)?,
        )),
        WebhooksCmd::Remove { webhook } => {
            out.show(&Labelled("Removed", &store.remove_webhook(&webhook)?))
        }
        WebhooksCmd::Deliveries { webhook, limit } => {
            out.show(&store.webhook_deliveries(&webhook, limit)?)
        }
        WebhooksCmd::Test { webhook } => {
            let view = store.test_webhook(&webhook)?;
            deliver_webhooks(store);
            let last = store.webhook_deliveries(&view.id, 1)?;
            out.show(&TestedWebhook {
                delivery: last.first(),
                webhook: &view,
            })
        }
        WebhooksCmd::Reveal { webhook } => {
            let secret = store.reveal_webhook_secret(&webhook)?;
            let view = store.webhook_view(&webhook)?;
            out.show(&Revealed {
                view: &view,
                secret: secret.expose(),
            })
        }
    }
    Ok(())
}

fn users(store: &Store, cmd: UsersCmd, out: &Out) -> Result<(), Error> {
    match cmd {
        UsersCmd::Add { name, email, admin } => out.show(&Labelled(
            "Added",
            &store.add_user(NewUser { name, email, admin })?,
        )),
        UsersCmd::List => out.show(&store.list_users()?),
        UsersCmd::Show { user } => out.show(&store.user_view(&user)?),
        UsersCmd::Edit { user, name, email } => {
            if name.is_none() && email.is_none() {
                return Err(Error::invalid(
                    "nothing to change — pass --name and/or --email",
                ));
            }
            out.show(&Labelled(
                "Updated",
                &store.edit_user(&user, UserEdit { name, email })?,
            ))
        }
        UsersCmd::Deactivate { user } => out.show(&Labelled(
            "Deactivated",
            &store.set_user_active(&user, false)?,
        )),
        UsersCmd::Activate { user } => {
            out.show(&Labelled("Activated", &store.set_user_active(&user, true)?))
        }
        UsersCmd::ApiAccess { user, state } => {
            let on = matches!(state, OnOff::On);
            let label = if on {
                "API access on for"
            } else {
                "API access off for"
            };
            out.show(&Labelled(label, &store.set_api_access(&user, on)?))
        }
        UsersCmd::ClearKeys { user } => out.show(&store.clear_user_keys(&user)?),
    }
    Ok(())
}

fn locations(store: &Store, cmd: LocationsCmd, out: &Out) -> Result<(), Error> {
    match cmd {
        LocationsCmd::Add { name } => out.show(&Labelled("Added", &store.add_location(&name)?)),
        LocationsCmd::List => out.show(&store.list_locations()?),
        LocationsCmd::Rename { location, name } => out.show(&Labelled(
            "Renamed",
            &store.rename_location(&location, &name)?,
        )),
    }
    Ok(())
}

/// Exit 0, or the export's own code when it could not write its files.
fn keys(store: &Store, cmd: KeysCmd, out: &Out) -> Result<u8, Error> {
    match cmd {
        KeysCmd::Create {
            owner,
            name,
            location,
        } => out.show(&Labelled(
            "Created",
            &store.create_key(NewKey {
                owner,
                name,
                location,
            })?,
        )),
        KeysCmd::List(a) => out.show(&store.list_keys(&KeyFilter {
            owner: a.owner,
            status: a.status,
            search: a.search,
            scope: a.scope,
        })?),
        KeysCmd::Show { key } => {
            let view = store.key_view(&key)?;
            let tokens = store.list_tokens(Some(&view.id))?;
            out.show(&KeyAndTokens {
                key: &view,
                tokens: &tokens,
            })
        }
        KeysCmd::Reveal { key } => {
            let secret = store.reveal_key(&key, Disclosure::Reveal)?;
            out.show(&Revealed {
                view: &store.key_view(&key)?,
                secret: secret.expose(),
            })
        }
        KeysCmd::Regenerate { key, grace } => {
            let grace = keyward_core::keys::parse_grace(&grace)?;
            out.show(&Labelled(
                "Regenerated",
                &store.regenerate_key(&key, grace)?,
            ))
        }
        KeysCmd::Disable { key } => {
            out.show(&Labelled("Disabled", &store.set_key_disabled(&key, true)?))
        }
        KeysCmd::Enable { key } => {
            out.show(&Labelled("Enabled", &store.set_key_disabled(&key, false)?))
        }
        KeysCmd::Keep { key } => out.show(&KeptKey(&store.keep_key(&key)?)),
        KeysCmd::Rename { key, name } => {
            out.show(&Labelled("Renamed", &store.rename_key(&key, &name)?))
        }
        KeysCmd::Delete { key, force } => out.show(&store.delete_key(&key, force)?),
        KeysCmd::ExportPostman { key, out: dest } => {
            return local_api::export_postman(store, &key, dest, out)
        }
    }
    Ok(0)
}

fn tokens(store: &Store, cmd: TokensCmd, out: &Out) -> Result<(), Error> {
    match cmd {
        TokensCmd::Create { key } => out.show(&store.create_token(&key)?),
        TokensCmd::List { key } => out.show(&store.list_tokens(key.as_deref())?),
        TokensCmd::Revoke { token } => out.show(&Labelled("Revoked", &store.revoke_token(&token)?)),
    }
    Ok(())
}
