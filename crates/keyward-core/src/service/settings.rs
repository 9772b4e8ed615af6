//! Reading and changing the settings, kept as one JSON record in the meta table.

use crate::error::{Error, Result};
use crate::model::settings::{changed_names, Settings};
use crate::store::{Read, Store, Table};

pub(crate) fn read_settings(r: &impl Read) -> Result<Settings> {
    match r.get_raw(Table::Meta, b"settings")? {
        Some(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| Error::Corrupt(format!("the settings record is unreadable ({e})"))),
        None => Ok(Settings::default()),
    }
}

impl Store {
    pub fn settings(&self) -> Result<Settings> {
        read_settings(self)
    }

    pub fn update_settings(&self, mut new: Settings) -> Result<Settings> {
        new.normalize();
        new.validate()?;
        self.write(|tx| {
            let old = read_settings(tx)?;
            if old == new {
                return Ok(new);
            }
            let json = serde_json::to_vec(&new).map_err(|e| Error::Storage(e.to_string()))?;
            tx.put_raw(Table::Meta, "settings", json);
            let summary = format!("changed {}", changed_names(&old, &new).join(", "));
            let event = tx
                .event("settings", "updated")
                .object("settings", "Preferences");
            tx.audit(event.says(summary))?;
            Ok(new)
        })
    }
}
