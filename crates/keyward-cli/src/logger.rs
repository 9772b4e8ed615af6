//! Warnings from the store and the HTTP API (a database repaired on opening, a webhook
//! that could not be sent) go to standard error: as `warning: …` lines, or with `--json`
//! as `{"warning":{"message":"…"}}` lines, so a script reading stderr can tell them from
//! the one error line. `KEYWARD_LOG` sets the level: error, warn (the default), info,
//! debug or off. Records of the libraries underneath show only at debug.

use log::{Level, LevelFilter, Log, Metadata, Record};

struct StderrLog {
    json: bool,
}

impl Log for StderrLog {
    /// Keyward's own records at the chosen level; the libraries' only with `debug` (what
    /// they fail at reaches the user as the command's error, said once).
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        let ours = metadata.target().starts_with("keyward");
        metadata.level() <= log::max_level() && (ours || log::max_level() >= LevelFilter::Debug)
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let message = record.args().to_string();
        let label = match record.level() {
            Level::Error => "error",
            Level::Warn => "warning",
            Level::Info => "info",
            Level::Debug | Level::Trace => "debug",
        };
        if self.json {
            eprintln!("{}", serde_json::json!({ label: { "message": message } }));
        } else {
            eprintln!("{label}: {}", crate::output::terminal_safe(&message));
        }
    }

    fn flush(&self) {}
}

pub fn init(json: bool) {
    let level = match std::env::var("KEYWARD_LOG").as_deref().map(str::trim) {
        Ok("off") => LevelFilter::Off,
        Ok("error") => LevelFilter::Error,
        Ok("info") => LevelFilter::Info,
        Ok("debug" | "trace") => LevelFilter::Debug,
        _ => LevelFilter::Warn,
    };
    let logger: &'static StderrLog = Box::leak(Box::new(StderrLog { json }));
    if log::set_logger(logger).is_ok() {
        log::set_max_level(level);
    }
}
