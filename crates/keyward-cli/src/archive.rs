//! `keyward export` and `keyward import`: the whole store as one encrypted archive.

use std::io::IsTerminal;
use std::path::Path;

use keyward_core::archive::{ArchiveSummary, Progress};
use keyward_core::{Error, Store};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::output::{Cx, Human, Out};

/// The passphrase: KEYWARD_PASSPHRASE, or asked for on the terminal (twice for an export).
fn passphrase(confirm: bool) -> Result<Zeroizing<String>, Error> {
    if let Ok(p) = std::env::var("KEYWARD_PASSPHRASE") {
        if !p.is_empty() {
            return Ok(Zeroizing::new(p));
        }
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::invalid_field(
            "passphrase",
            "no passphrase: set KEYWARD_PASSPHRASE, or run keyward in a terminal to be asked for it",
        ));
    }
    let ask = |prompt: &str| {
        rpassword::prompt_password(prompt)
            .map(Zeroizing::new)
            .map_err(|e| {
                Error::invalid_field(
                    "passphrase",
                    format!("the passphrase could not be read: {e}"),
                )
            })
    };
    let first = ask("Passphrase: ")?;
    if confirm && *ask("Passphrase again: ")? != *first {
        return Err(Error::invalid_field(
            "passphrase",
            "the two passphrases differ",
        ));
    }
    Ok(first)
}

#[derive(Serialize)]
struct Done<'a> {
    #[serde(skip)]
    verb: &'static str,
    file: String,
    #[serde(flatten)]
    summary: &'a ArchiveSummary,
}

impl Human for Done<'_> {
    fn human(&self, _: &Cx) {
        let s = self.summary;
        let (verb, prep) = if self.verb == "export" {
            ("Exported", "to")
        } else {
            ("Imported", "from")
        };
        crate::output::write_stdout(format_args!(
            "{verb} {} site manager(s), {} location(s), {} API key(s), {} token(s), {} webhook(s) and {} audit event(s) {prep} {}.",
            s.users, s.locations, s.keys, s.tokens, s.webhooks, s.audit_events, self.file
        ));
        if self.verb == "export" {
            crate::output::write_stdout(format_args!(
                "It is encrypted with your passphrase: without it nobody, Keyward included, can read it back."
            ));
        }
    }
}

pub fn export(store: &Store, file: &Path, force: bool, out: &Out) -> Result<(), Error> {
    if file.exists() && !force {
        return Err(Error::invalid_field(
            "out",
            format!(
                "{} exists — choose another name, or pass --force to replace it",
                file.display()
            ),
        ));
    }
    let pass = passphrase(true)?;
    let (bytes, summary) = store.export_archive(&pass)?;
    keyward_core::archive::save(file, &bytes).map_err(|e| {
        Error::invalid_field(
            "out",
            format!(
                "the archive could not be written to {}: {e}",
                file.display()
            ),
        )
    })?;
    out.show(&Done {
        verb: "export",
        file: file.display().to_string(),
        summary: &summary,
    });
    Ok(())
}

pub fn import(store: &Store, file: &Path, out: &Out) -> Result<(), Error> {
    let bytes = std::fs::read(file).map_err(|e| {
        Error::invalid_field("file", format!("{} cannot be read: {e}", file.display()))
    })?;
    let pass = passphrase(false)?;
    let show_progress = !out.json && std::io::stderr().is_terminal();
    let summary = store.import_archive(&bytes, &pass, &mut |p: Progress| {
        if show_progress && p.total > 0 {
            eprint!("\rImporting… {}%", p.done * 100 / p.total);
            if p.done == p.total {
                eprintln!();
            }
        }
    })?;
    out.show(&Done {
        verb: "import",
        file: file.display().to_string(),
        summary: &summary,
    });
    Ok(())
}
