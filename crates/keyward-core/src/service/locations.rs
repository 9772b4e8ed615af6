//! Locations: add, rename, list. Names are unique case-insensitively.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::model::ids::new_id;
use crate::model::location::Location;
use crate::model::validate;
use crate::store::{Read, Store, Table};
use crate::view::locations::LocationView;

pub(crate) fn find_location(r: &impl Read, id: &str) -> Result<Location> {
    r.get(Table::Locations, id.trim())?
        .ok_or_else(|| Error::not_found("location", id.trim()))
}

fn refuse_duplicate(r: &impl Read, name: &str, except: Option<&str>) -> Result<()> {
    for l in r.values::<Location>(Table::Locations) {
        let l = l?;
        if Some(l.id.as_str()) != except && l.name.to_lowercase() == name.to_lowercase() {
            return Err(Error::invalid_field(
                "name",
                format!("a location named '{}' already exists ({})", l.name, l.id),
            ));
        }
    }
    Ok(())
}

impl Store {
    pub fn add_location(&self, name: &str) -> Result<LocationView> {
        let name = validate::name("location", name, validate::NAME_MAX)?;
        self.write(|tx| {
            refuse_duplicate(tx, &name, None)?;
            let now = tx.now();
            let loc = Location {
                id: new_id("loc_", now),
                name,
                created_at: now,
            };
            tx.put(Table::Locations, &loc.id, &loc)?;
            let summary = format!("added location {}", loc.name);
            let event = tx.event("location", "created").object(&loc.id, &loc.name);
            tx.audit(event.says(summary))?;
            Ok(loc.view())
        })
    }

    pub fn location(&self, id: &str) -> Result<Location> {
        find_location(self, id)
    }

    pub fn list_locations(&self) -> Result<Vec<LocationView>> {
        let mut all = self
            .values::<Location>(Table::Locations)
            .map(|l| l.map(|l| l.view()))
            .collect::<Result<Vec<_>>>()?;
        all.sort_by_key(|l| l.name.to_lowercase());
        Ok(all)
    }

    pub(crate) fn all_locations(&self) -> Result<HashMap<String, Location>> {
        self.values::<Location>(Table::Locations)
            .map(|l| l.map(|l| (l.id.clone(), l)))
            .collect()
    }

    pub fn rename_location(&self, id: &str, name: &str) -> Result<LocationView> {
        let name = validate::name("location", name, validate::NAME_MAX)?;
        self.write(|tx| {
            let mut loc = find_location(tx, id)?;
            if loc.name == name {
                return Ok(loc.view());
            }
            refuse_duplicate(tx, &name, Some(&loc.id))?;
            let old = std::mem::replace(&mut loc.name, name);
            tx.put(Table::Locations, &loc.id, &loc)?;
            let summary = format!("renamed location {old} → {}", loc.name);
            let event = tx.event("location", "updated").object(&loc.id, &loc.name);
            tx.audit(event.says(summary))?;
            Ok(loc.view())
        })
    }
}
