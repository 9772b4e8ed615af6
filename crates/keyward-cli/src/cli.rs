//! The command line's shape (SPEC §5). Verb names are an interface: keep them.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "keyward",
    version,
    about = "Issue, copy, rotate and retire API keys — the headless Keyward",
    long_about = "Keyward's command line. It works on the same data directory as the Keyward \
                  desktop app (close the app first: one process holds the database at a time).\n\n\
                  Exit codes: 0 done, 1 internal error, 2 usage, 3 refused (in use, access off, \
                  deactivated, invalid verification, locked database), 4 not found."
)]
pub struct Cli {
    /// Data directory (default: the desktop app's data directory).
    #[arg(long, global = true, env = "KEYWARD_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Machine-readable output: JSON on stdout, errors as {"error":{"code","message"}} on stderr.
    #[arg(long, global = true)]
    pub json: bool,

    /// Keep the data in this PostgreSQL database (postgres://user@host/db) instead of the
    /// embedded database in the data directory: the store a team of `keyward serve` nodes
    /// shares. Create its tables first with `keyward migrate`.
    #[arg(long, global = true, env = "KEYWARD_DATABASE_URL", value_name = "URL")]
    pub database: Option<String>,

    /// The master key file (base64 of 32 random bytes, mode 0600; created on first use).
    /// Team server nodes share one. Default: master.key in the data directory.
    #[arg(
        long,
        global = true,
        env = "KEYWARD_MASTER_KEY_FILE",
        value_name = "FILE"
    )]
    pub master_key_file: Option<PathBuf>,

    /// Start a new, empty database in a data directory that has a master key but lost its
    /// database (db/). Without it Keyward refuses, so a missing database is never replaced
    /// silently.
    #[arg(long, global = true)]
    pub new_store: bool,

    /// Manage the Keyward server at this address (https://…) instead of a store on this
    /// computer. The management token is read from KEYWARD_TOKEN; a certificate authority
    /// of your own from KEYWARD_CA_CERT (a PEM file).
    #[arg(long, global = true, env = "KEYWARD_SERVER", value_name = "URL")]
    pub server: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The PostgreSQL database to use, if one is named (an empty value names none).
    pub fn database_url(&self) -> Option<&str> {
        self.database.as_deref().filter(|u| !u.is_empty())
    }

    /// The server to manage, if one is named (an empty value names none).
    pub fn server_url(&self) -> Option<&str> {
        self.server.as_deref().filter(|u| !u.is_empty())
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Site managers: the people API keys belong to.
    #[command(subcommand)]
    Users(UsersCmd),
    /// Locations: sub-accounts a key can be scoped to.
    #[command(subcommand)]
    Locations(LocationsCmd),
    /// API keys.
    #[command(subcommand)]
    Keys(KeysCmd),
    /// Tokens minted from API keys.
    #[command(subcommand)]
    Tokens(TokensCmd),
    /// Check an API key or token; records its use like the HTTP verify. Exit 0 if valid, 3 if not.
    #[command(
        long_about = "Check an API key or token; records its use like the HTTP verify. \
                      Exit 0 if valid, 3 if not.\n\n\
                      Pass - instead of the secret to read it from standard input, so it stays \
                      out of the process list and your shell history: \
                      `keyward verify - < key.txt`, or type it and press Enter."
    )]
    Verify {
        /// The API key or token, or - to read it from standard input.
        secret: String,
        /// Also check that the key may do this (e.g. contacts:read): exit 3 with
        /// INSUFFICIENT_PERMISSIONS when it may not.
        #[arg(long)]
        permission: Option<String>,
    },
    /// Raise due reminders and delete keys whose inactivity deadline has passed.
    Lifecycle {
        /// Only report what would happen.
        #[arg(long)]
        dry_run: bool,
    },
    /// The audit log, newest first.
    Audit {
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Only events about this object (a key id also finds its tokens' events).
        #[arg(long, value_name = "ID")]
        object: Option<String>,
        /// Only events whose text contains this.
        #[arg(long)]
        search: Option<String>,
    },
    /// Preferences stored in the database.
    #[command(subcommand)]
    Settings(SettingsCmd),
    /// Management tokens (kwm_…): what `--server` clients, scripts and the desktop app
    /// present to manage a Keyward server as one site manager.
    #[command(subcommand, name = "manage-tokens")]
    ManageTokens(ManageTokensCmd),
    /// Webhook subscriptions per site manager: signed events about keys, tokens and users.
    #[command(subcommand)]
    Webhooks(WebhooksCmd),
    /// Serve the loopback HTTP API (token exchange, verification) on 127.0.0.1 until
    /// Ctrl-C or SIGTERM; last-used times are saved on the way out.
    #[command(
        long_about = "Serve the loopback HTTP API on 127.0.0.1 (never another interface) \
                      for Postman and local services: GET /v1/health, POST /v1/tokens, \
                      POST /v1/verify, GET /v1/me, GET /openapi.json. Runs until Ctrl-C or \
                      SIGTERM, then lets in-flight requests finish and saves last-used times.\n\n\
                      Exits 3 if the port is in use."
    )]
    Serve {
        /// Port to listen on (default: the local_api_port setting, 7420; 0 picks a free one).
        #[arg(long)]
        port: Option<u16>,
        /// With --database: first bring the database to this version's schema.
        #[arg(long)]
        migrate: bool,
        /// With --database: how long to go on verifying from memory while the database
        /// is out of reach (changes are refused at once), in seconds.
        #[arg(long, value_name = "SECS", default_value_t = 60)]
        max_staleness: u32,
        #[command(flatten)]
        listen: ListenArgs,
    },
    /// Write the whole store to FILE, encrypted with a passphrase (KEYWARD_PASSPHRASE, or
    /// asked for): users, locations, API keys, tokens (as hashes), webhooks, the audit
    /// log and the settings. `keyward import` loads it into a new store of either kind.
    Export {
        /// The archive to write (mode 0600).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Load an archive made by `keyward export` into this store, which must be empty
    /// (a new data directory, or a new database with --database). API keys are sealed
    /// under this store's master key. A wrong passphrase changes nothing.
    Import {
        /// The archive to read.
        file: PathBuf,
    },
    /// Create or upgrade Keyward's tables in the PostgreSQL database of --database. Safe to
    /// run again, and from several machines at once; a newer schema is left alone and
    /// refused.
    Migrate,
}

#[derive(Debug, Subcommand)]
pub enum UsersCmd {
    /// Add a site manager (API access is on by default for admins, off for managers).
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        /// Make the site manager an admin.
        #[arg(long)]
        admin: bool,
    },
    List,
    Show {
        /// User id or email.
        user: String,
    },
    Edit {
        user: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        email: Option<String>,
    },
    /// Their keys and tokens stop working until reactivated. Refused (exit 3) when any of
    /// their keys is in use, unless --yes.
    Deactivate {
        user: String,
        /// Go ahead even though keys in use will stop working.
        #[arg(long)]
        yes: bool,
    },
    Activate {
        user: String,
    },
    /// Turn API access on or off (off: their keys fail with API_ACCESS_OFF). Off is
    /// refused (exit 3) when any of their keys is in use, unless --yes.
    ApiAccess {
        user: String,
        state: OnOff,
        /// Go ahead even though keys in use will stop working.
        #[arg(long)]
        yes: bool,
    },
    /// Revoke all the user's keys and tokens for good and turn API access off. Refused
    /// (exit 3) when any of their keys is in use, unless --yes.
    ClearKeys {
        user: String,
        /// Go ahead even though keys in use will stop working.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Debug, Subcommand)]
pub enum LocationsCmd {
    Add {
        #[arg(long)]
        name: String,
    },
    List,
    Rename {
        location: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCmd {
    /// Create an API key; the key is printed once — store it securely.
    Create {
        /// Site manager (user id or email).
        #[arg(long)]
        owner: String,
        /// A descriptive name, e.g. "Zapier – weekly volunteer export".
        #[arg(long)]
        name: String,
        /// Scope the key to a location (id); default: the agency.
        #[arg(long)]
        location: Option<String>,
        /// When the key stops working: 30d, 90d, 1y, a date (2027-03-31) or never.
        #[arg(long, default_value = "never", value_name = "WHEN")]
        expires: String,
        #[command(flatten)]
        policy: PolicyArgs,
        /// Never delete this key for inactivity.
        #[arg(long)]
        always: bool,
    },
    List(ListArgs),
    /// How often a key was verified, day by day: valid, and failed by code (kept 90 days).
    Usage {
        key: String,
        /// How many days back, today included (1–90).
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=90))]
        days: u32,
    },
    /// Change a key's name, notes, tags, permissions or rate limit.
    Edit {
        key: String,
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        policy: PolicyArgs,
        /// Remove every tag.
        #[arg(long, conflicts_with = "tags")]
        no_tags: bool,
    },

    Show {
        key: String,
    },
    /// Print the full key (audited).
    Reveal {
        key: String,
    },
    /// Revoke the secret and generate a new one (same id, name, owner, scope).
    Regenerate {
        key: String,
        /// How long the old key and its tokens keep working: 0, 1h, 24h or 7d.
        #[arg(long, default_value = "0")]
        grace: String,
    },
    Disable {
        key: String,
    },
    Enable {
        key: String,
    },
    /// Reset the inactivity clock; --always: never delete this key for inactivity
    /// (--no-always undoes it).
    Keep {
        key: String,
        #[arg(long, conflicts_with = "no_always")]
        always: bool,
        #[arg(long)]
        no_always: bool,
    },
    /// Give a key a new descriptive name (its secret, owner and scope stay).
    Rename {
        key: String,
        /// The new name (1–100 characters).
        #[arg(long)]
        name: String,
    },
    /// Write a Postman collection of the local API and an environment holding the key.
    #[command(
        long_about = "Write a Postman collection (v2.1) of the local API's routes, with tests, \
                      and a Postman environment with baseUrl (from the local_api_port setting) \
                      and apiKey (the full key) filled in. Both files are created readable by \
                      you only (0600): the environment holds the key. The export is audited.\n\n\
                      Without --out: keyward-<name>.postman_collection.json and \
                      keyward-<name>.postman_environment.json in the current directory. \
                      --out DIR (an existing directory): the same names in DIR. \
                      --out FILE: FILE.postman_collection.json and \
                      FILE.postman_environment.json. Where they cannot be written (exit 2, \
                      EXPORT_FAILED), nothing is left behind.\n\n\
                      Then import both in Postman, or run them against `keyward serve`: \
                      npx newman run <collection> -e <environment>"
    )]
    ExportPostman {
        /// Key id.
        key: String,
        /// A directory, or a path prefix for the two files.
        #[arg(long, value_name = "DIR|FILE")]
        out: Option<PathBuf>,
    },
    /// Delete a key and its tokens. A key in use needs --force.
    /// Delete a key and its tokens: they stop working at once; `keys restore` brings them
    /// back within 30 days.
    Delete {
        key: String,
        /// Delete even if the key was used in the last 30 days or has live tokens.
        #[arg(long)]
        force: bool,
    },
    /// Keys deleted in the last 30 days, which `keys restore` can bring back.
    Deleted,
    /// Bring a deleted key back with its tokens as they were (within 30 days of its
    /// deletion); its inactivity clock starts again.
    Restore {
        key: String,
    },
    /// Purge a deleted key for good before its 30 days are up (asks for --yes).
    Purge {
        key: String,
        /// Yes, it can never be restored.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only keys of this site manager (id or email).
    #[arg(long)]
    pub owner: Option<String>,
    /// active, disabled, revoked, owner_deactivated, access_off, expiring, in_use.
    #[arg(long)]
    pub status: Option<String>,
    /// Text found in the name, id, owner or location.
    #[arg(long)]
    pub search: Option<String>,
    /// "agency" or a location id.
    #[arg(long)]
    pub scope: Option<String>,
}

/// A key's policy, as `keys create` and `keys edit` take it.
#[derive(Debug, Clone, Default, Args)]
pub struct PolicyArgs {
    /// What uses this key (at most 1,000 characters).
    #[arg(long)]
    pub notes: Option<String>,
    /// A short word to find the key by; repeat for more (at most 10).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// What the key may do, e.g. contacts:read or events:*; repeat for more (default: *).
    #[arg(long = "permission", value_name = "PERMISSION")]
    pub permissions: Vec<String>,
    /// How often the key may be verified, e.g. 600/min, 10/s, 5000/h, or none.
    #[arg(long, value_name = "N/UNIT")]
    pub rate: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum TokensCmd {
    /// Mint a token from an API key; printed once.
    Create {
        key: String,
    },
    /// Tokens of one key, or all.
    List {
        key: Option<String>,
    },
    Revoke {
        token: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ManageTokensCmd {
    /// Create a management token acting as a site manager, with their role; printed once.
    Create {
        /// The site manager (id or email).
        #[arg(long)]
        user: String,
        /// What the token is for, e.g. "Deploy script".
        #[arg(long)]
        name: Option<String>,
        /// How long it works: 12h, 30d, 90d (at most 366d), or never.
        #[arg(long, default_value = "never", value_name = "LIFETIME")]
        expires: String,
    },
    /// Management tokens, all or one site manager's.
    List {
        #[arg(long)]
        user: Option<String>,
    },
    /// Revoke a management token for good.
    Revoke { token: String },
}

#[derive(Debug, Subcommand)]
pub enum SettingsCmd {
    Show,
    /// Change one setting, e.g. `keyward settings set reminder_days 15,7,1`.
    Set {
        name: String,
        value: String,
    },
    /// Send a test email now with the saved smtp_url and smtp_from; exits 1 when the
    /// server refuses it or cannot be reached, with its answer.
    TestEmail {
        /// Where to send it, e.g. ada@example.com.
        to: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum WebhooksCmd {
    /// Subscribe a URL to a site manager's events; prints the signing secret once.
    #[command(
        long_about = "Subscribe a URL to a site manager's events. Each event is POSTed as JSON \
                      ({\"type\":\"api_key.created\",\"timestamp\":…,\"data\":{…}}) and signed \
                      per the Standard Webhooks spec (webhook-id, webhook-timestamp, \
                      webhook-signature). The signing secret (whsec_…) is printed once; \
                      `keyward webhooks reveal W` shows it again.\n\n\
                      URLs: http or https, no user name or password; link-local and cloud \
                      metadata addresses are always refused; loopback and private networks \
                      only with --allow-private."
    )]
    Add {
        /// The site manager (id or email).
        #[arg(long)]
        user: String,
        #[arg(long)]
        url: String,
        /// api_key, token or user.
        #[arg(long)]
        entity: String,
        /// created, updated, deleted, regenerated, revoked, expired, expiring (each reminder), or * for all.
        #[arg(long)]
        operation: String,
        /// Allow loopback and private-network targets (127.0.0.1, 10.0.0.0/8, …).
        #[arg(long)]
        allow_private: bool,
    },
    /// Subscriptions, all or one site manager's.
    List {
        #[arg(long)]
        user: Option<String>,
    },
    /// Turn a subscription on.
    On { webhook: String },
    /// Turn a subscription off: it sends nothing, and what was waiting is dropped.
    Off { webhook: String },
    /// Remove a subscription with its queue and delivery log.
    Remove { webhook: String },
    /// The delivery log: time, event, attempt, status code or error, next retry.
    Deliveries {
        webhook: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Send a webhook.test event now.
    Test { webhook: String },
    /// Show the signing secret in full (audited).
    Reveal { webhook: String },
}

/// Where `keyward serve` listens when it serves beyond this computer (a team server).
#[derive(Debug, Clone, Default, Args)]
pub struct ListenArgs {
    /// Address and port to listen on, e.g. 0.0.0.0:7420 (default 127.0.0.1 and --port).
    /// An address other than loopback needs --tls-cert and --tls-key, or --insecure-http.
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<std::net::SocketAddr>,
    /// The TLS certificate chain (PEM) to serve HTTPS with.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve plain HTTP beyond loopback: only behind a proxy that terminates TLS.
    #[arg(long)]
    pub insecure_http: bool,
    /// A host name clients use for this server (the Host header), e.g. keys.example.org
    /// (any port) or keys.example.org:8443. Repeatable.
    #[arg(long = "public-host", value_name = "NAME")]
    pub public_hosts: Vec<String>,
    /// A proxy (address or CIDR range) whose X-Forwarded-For names the client, for the
    /// failed-verification limit per client. Repeatable.
    #[arg(long = "trusted-proxy", value_name = "CIDR")]
    pub trusted_proxies: Vec<String>,
}
