//! Which master key seals this database's API keys: recorded in the meta table with a
//! check value, so a wrong or missing key is named instead of producing garbage.

use super::backend::{Op, Table};
use super::Store;
use crate::error::{Error, Result};
use crate::seal::{self, MasterKey, MasterKeySource};

const CHECK_AAD: &str = "keyward:master-check";
const CHECK_TEXT: &[u8] = b"keyward master key check";

/// Finds the master key the database was sealed with. A database that never sealed
/// anything gets a new one; an existing one never does (its keys would be lost). An
/// unreachable key is not an error: the store opens, and copying keys says why it cannot.
pub(super) fn find(
    store: &Store,
    sources: &[&dyn MasterKeySource],
) -> Result<std::result::Result<MasterKey, String>> {
    let Some(recorded) = store.master_key_source()? else {
        return create(store, sources).map(Ok);
    };
    let Some(source) = sources.iter().find(|s| s.kind() == recorded) else {
        return Ok(Err(format!(
            "the API keys in this database are sealed with a master key kept in the {recorded}, \
             which this Keyward cannot reach — copying and revealing keys is unavailable \
             (verification keeps working)"
        )));
    };
    let key = match source.load() {
        Ok(Some(k)) => k,
        Ok(None) => {
            return Ok(Err(format!(
                "the master key ({}) is missing, so sealed API keys cannot be copied or \
                 revealed; restore it from a backup (verification keeps working)",
                source.describe()
            )))
        }
        Err(e) => return Ok(Err(e.to_string())),
    };
    let check = store
        .backend
        .get(Table::Meta, b"master_check")?
        .unwrap_or_default();
    if seal::open(&key, CHECK_AAD, &check).is_none() {
        return Ok(Err(format!(
            "the master key in {} does not belong to this database, so sealed API keys \
             cannot be copied or revealed; restore the right key file (verification keeps \
             working)",
            source.describe()
        )));
    }
    Ok(Ok(key))
}

/// A fresh database: the first source that has or can keep a key wins.
fn create(store: &Store, sources: &[&dyn MasterKeySource]) -> Result<MasterKey> {
    let mut problems = Vec::new();
    for source in sources {
        let key = match source.load() {
            Ok(Some(k)) => Ok(k),
            Ok(None) => {
                let k = MasterKey::generate();
                source.store(&k).map(|()| k)
            }
            Err(e) => Err(e),
        };
        match key {
            Ok(key) => {
                let meta = |key: &str, value: Vec<u8>| Op {
                    table: Table::Meta,
                    key: key.as_bytes().to_vec(),
                    value: Some(value),
                };
                store.commit_durable(vec![
                    meta("master_source", source.kind().as_bytes().to_vec()),
                    meta("master_check", seal::seal(&key, CHECK_AAD, CHECK_TEXT)),
                ])?;
                return Ok(key);
            }
            Err(e) => problems.push(format!("{}: {e}", source.describe())),
        }
    }
    Err(Error::MasterKeyUnavailable(format!(
        "no place to keep the master key ({})",
        problems.join("; ")
    )))
}
