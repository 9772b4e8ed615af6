//! Moving a whole store to another (sled to PostgreSQL, one computer to another): an
//! archive of every row, encrypted with a passphrase (Argon2id, then XChaCha20-Poly1305),
//! loaded into an empty store of either backend.
//!
//! Secrets sealed under the source's master key (API keys, webhook signing secrets) are
//! opened on export and travel only inside the encrypted archive; import seals them under
//! the destination's master key. Tokens travel as the hashes the store keeps. Nothing in
//! the file is readable without the passphrase, and a wrong one changes nothing.

use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::model::clock::Millis;
use crate::model::deleted::{BinContents, BinnedKey};
use crate::model::key::ApiKey;
use crate::model::webhook::Webhook;
use crate::seal::{self, MasterKey};
use crate::service::settings::{SMTP_PASSWORD, SMTP_PASSWORD_AAD};
use crate::store::{Op, Read, Store, Table, SCHEMA_VERSION};

const MAGIC: &[u8; 16] = b"KEYWARD-ARCHIVE\n";
const FORMAT: u8 = 1;
const SALT_LEN: usize = 16;
/// Argon2id: 64 MiB, 3 passes, one lane (OWASP's recommendation).
const KDF_MEMORY_KIB: u32 = 64 * 1024;
const KDF_PASSES: u32 = 3;
const KDF_LANES: u32 = 1;
/// Rows written per transaction on import.
const BATCH: usize = 1_000;
/// The shortest passphrase accepted for an export.
pub const PASSPHRASE_MIN: usize = 12;

/// The SMTP password's name among an archive's opened secrets.
const SMTP_PASSWORD_ID: &str = "smtp_password";

/// What an archive holds, by kind.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveSummary {
    pub users: usize,
    pub locations: usize,
    pub keys: usize,
    pub tokens: usize,
    pub webhooks: usize,
    pub audit_events: usize,
    /// Every row of every table, the settings included.
    pub rows: usize,
}

/// How far an import has come: rows written of all (the desktop's `restore-progress`).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    schema: u32,
    exported_at: Millis,
    tables: Vec<TableRows>,
    /// Opened secrets by id (API key or webhook), to seal again on import.
    secrets: Vec<(String, String)>,
}

#[derive(Serialize, Deserialize)]
struct TableRows {
    table: String,
    /// (key, value), both base64.
    rows: Vec<(String, String)>,
}

/// What an archive carries: everything but the store's own records (schema, where its
/// master key is) and the management tokens, which admit to this store only.
fn moves(table: Table, key: &[u8]) -> bool {
    match table {
        Table::Meta => key == b"settings" || key == SMTP_PASSWORD,
        Table::ManagementTokens => false,
        _ => true,
    }
}

/// A deleted key's row with its key's sealed secret replaced by `seal(key)`: emptied on
/// export (the secret travels apart, like every key's), sealed anew on import.
fn reseal_binned(value: &[u8], seal: impl FnOnce(&ApiKey) -> Result<Vec<u8>>) -> Result<Vec<u8>> {
    let mut binned: BinnedKey = bincode::deserialize(value)?;
    let mut contents: BinContents = bincode::deserialize(&binned.contents)?;
    contents.key.sealed = seal(&contents.key)?;
    binned.contents = bincode::serialize(&contents)?;
    Ok(bincode::serialize(&binned)?)
}

fn derive(passphrase: &str, salt: &[u8], m: u32, t: u32, p: u32) -> Result<MasterKey> {
    let params = Params::new(m, t, p, Some(32)).map_err(|e| {
        Error::invalid(format!(
            "the archive's key derivation settings are unusable: {e}"
        ))
    })?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, out.as_mut())
        .map_err(|e| Error::invalid(format!("the passphrase could not be used: {e}")))?;
    Ok(MasterKey::from_bytes(*out))
}

/// magic, format, salt, Argon2 m/t/p: also the associated data of the sealed payload.
fn header(salt: &[u8; SALT_LEN]) -> Vec<u8> {
    let mut h = MAGIC.to_vec();
    h.push(FORMAT);
    h.extend_from_slice(salt);
    for n in [KDF_MEMORY_KIB, KDF_PASSES, KDF_LANES] {
        h.extend_from_slice(&n.to_be_bytes());
    }
    h
}

const HEADER_LEN: usize = 16 + 1 + SALT_LEN + 12;

fn count(summary: &mut ArchiveSummary, table: Table) {
    match table {
        Table::Users => summary.users += 1,
        Table::Locations => summary.locations += 1,
        Table::Keys => summary.keys += 1,
        Table::Tokens => summary.tokens += 1,
        Table::Webhooks => summary.webhooks += 1,
        Table::Audit => summary.audit_events += 1,
        _ => {}
    }
    summary.rows += 1;
}

fn aad(header: &[u8]) -> String {
    B64.encode(header)
}

impl Store {
    /// The whole store as an archive encrypted with `passphrase` (at least
    /// [`PASSPHRASE_MIN`] characters). Needs the master key: sealed secrets are opened
    /// to travel inside the archive.
    pub fn export_archive(&self, passphrase: &str) -> Result<(Vec<u8>, ArchiveSummary)> {
        if passphrase.chars().count() < PASSPHRASE_MIN {
            return Err(Error::invalid_field(
                "passphrase",
                format!("the passphrase must be at least {PASSPHRASE_MIN} characters: it is all that protects the keys in the archive"),
            ));
        }
        let mut summary = ArchiveSummary::default();
        let mut secrets = Vec::new();
        let mut tables = Vec::new();
        for table in Table::ALL {
            let mut rows = Vec::new();
            for row in self.scan_raw(table, b"") {
                let (key, mut value) = row?;
                if !moves(table, &key) {
                    continue;
                }
                match table {
                    Table::Keys => {
                        let mut k: ApiKey = bincode::deserialize(&value)?;
                        secrets.push((k.id.clone(), self.open_key_secret(&k)?.to_string()));
                        k.sealed = Vec::new();
                        value = bincode::serialize(&k)?;
                    }
                    Table::DeletedKeys => {
                        value = reseal_binned(&value, |k| {
                            secrets.push((k.id.clone(), self.open_key_secret(k)?.to_string()));
                            Ok(Vec::new())
                        })?;
                    }
                    Table::Webhooks => {
                        let mut w: Webhook = bincode::deserialize(&value)?;
                        secrets.push((w.id.clone(), self.open_webhook_secret(&w)?.to_string()));
                        w.sealed_secret = Vec::new();
                        value = bincode::serialize(&w)?;
                    }
                    Table::Meta if key == SMTP_PASSWORD => {
                        let password = self.open_smtp_password(&value)?;
                        secrets.push((SMTP_PASSWORD_ID.to_owned(), password.to_string()));
                        value = Vec::new();
                    }
                    _ => {}
                }
                count(&mut summary, table);
                rows.push((B64.encode(&key), B64.encode(&value)));
            }
            tables.push(TableRows {
                table: table.name().to_owned(),
                rows,
            });
        }
        let payload = Zeroizing::new(
            serde_json::to_vec(&Payload {
                schema: SCHEMA_VERSION,
                exported_at: self.now(),
                tables,
                secrets,
            })
            .map_err(|e| Error::Storage(e.to_string()))?,
        );
        let mut salt = [0u8; SALT_LEN];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        let head = header(&salt);
        let key = derive(passphrase, &salt, KDF_MEMORY_KIB, KDF_PASSES, KDF_LANES)?;
        let mut out = head.clone();
        out.extend(seal::seal(&key, &aad(&head), &payload));
        Ok((out, summary))
    }

    /// Loads an archive into this store, which must be empty: every row, with API keys
    /// and webhook secrets sealed under this store's master key. A wrong passphrase or a
    /// damaged file changes nothing. `progress` hears after each batch of rows.
    pub fn import_archive(
        &self,
        archive: &[u8],
        passphrase: &str,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<ArchiveSummary> {
        if archive.len() < HEADER_LEN || &archive[..16] != MAGIC {
            return Err(Error::invalid_field(
                "archive",
                "this file is not a Keyward archive",
            ));
        }
        if archive[16] != FORMAT {
            return Err(Error::invalid_field(
                "archive",
                format!(
                    "this archive has format {}, which this Keyward cannot read — upgrade Keyward",
                    archive[16]
                ),
            ));
        }
        let salt = &archive[17..17 + SALT_LEN];
        let num =
            |at: usize| u32::from_be_bytes(archive[at..at + 4].try_into().unwrap_or_default());
        let (m, t, p) = (num(17 + SALT_LEN), num(21 + SALT_LEN), num(25 + SALT_LEN));
        if m > 1024 * 1024 || t > 64 || p > 64 {
            return Err(Error::invalid_field(
                "archive",
                "this archive asks for an unreasonable key derivation",
            ));
        }
        let head = &archive[..HEADER_LEN];
        let key = derive(passphrase, salt, m, t, p)?;
        let plain = seal::open(&key, &aad(head), &archive[HEADER_LEN..]).ok_or_else(|| {
            Error::invalid_field(
                "passphrase",
                "the passphrase is wrong, or the archive is damaged — nothing was imported",
            )
        })?;
        let payload: Payload = serde_json::from_slice(&plain).map_err(|e| {
            Error::invalid_field(
                "archive",
                format!("the archive's contents are unreadable: {e}"),
            )
        })?;
        if payload.schema != SCHEMA_VERSION {
            return Err(Error::invalid_field(
                "archive",
                format!(
                    "this archive was made by a Keyward with database schema {}, this one has {} — import it with the same version",
                    payload.schema, SCHEMA_VERSION
                ),
            ));
        }
        for t in [
            Table::Users,
            Table::Locations,
            Table::Keys,
            Table::Webhooks,
            Table::Tokens,
        ] {
            if !self.is_empty(t)? {
                return Err(Error::invalid(
                    "this store is not empty: import into a new store (a new data directory, or a new database)",
                ));
            }
        }
        let master = self.master_key()?;
        let secrets: std::collections::HashMap<String, Zeroizing<String>> = payload
            .secrets
            .into_iter()
            .map(|(id, s)| (id, Zeroizing::new(s)))
            .collect();
        let mut ops = Vec::new();
        let mut summary = ArchiveSummary::default();
        for t in payload.tables {
            let Some(table) = Table::ALL.into_iter().find(|x| x.name() == t.table) else {
                return Err(Error::invalid_field(
                    "archive",
                    format!("unknown table {} in the archive", t.table),
                ));
            };
            for (k, v) in t.rows {
                let bad = |_| Error::invalid_field("archive", "the archive's rows are damaged");
                let key = B64.decode(k).map_err(bad)?;
                let mut value = B64.decode(v).map_err(bad)?;
                if !moves(table, &key) {
                    continue;
                }
                let secret = |id: &str| {
                    secrets.get(id).ok_or_else(|| {
                        Error::invalid_field(
                            "archive",
                            format!("the archive lacks the secret of {id}"),
                        )
                    })
                };
                match table {
                    Table::Keys => {
                        let mut k: ApiKey = bincode::deserialize(&value)?;
                        k.sealed = seal::seal(master, &k.id, secret(&k.id)?.as_bytes());
                        value = bincode::serialize(&k)?;
                    }
                    Table::DeletedKeys => {
                        value = reseal_binned(&value, |k| {
                            Ok(seal::seal(master, &k.id, secret(&k.id)?.as_bytes()))
                        })?;
                    }
                    Table::Webhooks => {
                        let mut w: Webhook = bincode::deserialize(&value)?;
                        w.sealed_secret = seal::seal(master, &w.id, secret(&w.id)?.as_bytes());
                        value = bincode::serialize(&w)?;
                    }
                    Table::Meta if key == SMTP_PASSWORD => {
                        let password = secret(SMTP_PASSWORD_ID)?;
                        value = seal::seal(master, SMTP_PASSWORD_AAD, password.as_bytes());
                    }
                    _ => {}
                }
                count(&mut summary, table);
                ops.push(Op {
                    table,
                    key,
                    value: Some(value),
                });
            }
        }
        let total = ops.len();
        let mut done = 0;
        progress(Progress { done, total });
        for batch in ops.chunks(BATCH) {
            self.write(|tx| {
                for op in batch {
                    tx.put_raw(op.table, &op.key, op.value.clone().unwrap_or_default());
                }
                Ok(())
            })?;
            done += batch.len();
            progress(Progress { done, total });
        }
        self.write(|tx| {
            let said = format!(
                "imported an archive: {} site manager(s), {} location(s), {} API key(s), {} token(s), {} webhook(s), {} audit event(s)",
                summary.users, summary.locations, summary.keys, summary.tokens, summary.webhooks, summary.audit_events
            );
            tx.audit(tx.event("store", "imported").object("store", "this store").says(said))
        })?;
        Ok(summary)
    }
}

/// Writes an archive to `file`: whole, beside its place under a temporary name readable
/// by its owner only (0600), flushed, then renamed into place.
pub fn save(file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        file.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("archive"),
        std::process::id()
    ));
    let written = (|| {
        let mut f = crate::store::create_private_file(&tmp)?;
        use std::io::Write;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, file)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}
