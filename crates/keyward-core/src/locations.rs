//! Locations: the agency's sub-accounts. A key is scoped to the agency or to one location.

use serde::{Deserialize, Serialize};

use crate::clock::{to_rfc3339, Millis};
use crate::error::{Error, Result};
use crate::ids::new_id;
use crate::store::{Changes, Store, T};
use crate::validate;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub id: String,
    pub name: String,
    pub created_at: Millis,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LocationView {
    pub id: String,
    pub name: String,
    pub created_at: String,
}

impl Location {
    pub fn view(&self) -> LocationView {
        LocationView {
            id: self.id.clone(),
            name: self.name.clone(),
            created_at: to_rfc3339(self.created_at),
        }
    }
}

impl Store {
    pub fn add_location(&self, name: &str) -> Result<LocationView> {
        let name = validate::name("location", name, 100)?;
        let _g = self.write_guard();
        self.refuse_duplicate_location(&name, None)?;
        let now = self.now();
        let loc = Location {
            id: new_id("loc_", now),
            name,
            created_at: now,
        };
        let mut ch = Changes::default();
        ch.put(T::Locations, &loc.id, &loc)?;
        ch.audit(&self.audit_event(
            "location",
            "created",
            &loc.id,
            &loc.name,
            None,
            format!("added location {}", loc.name),
        ))?;
        self.commit(ch)?;
        Ok(loc.view())
    }

    pub fn location(&self, id: &str) -> Result<Location> {
        self.get(T::Locations, id.trim())?
            .ok_or_else(|| Error::not_found("location", id.trim()))
    }

    pub fn list_locations(&self) -> Result<Vec<LocationView>> {
        let mut all = self
            .values::<Location>(T::Locations)
            .map(|l| l.map(|l| l.view()))
            .collect::<Result<Vec<_>>>()?;
        all.sort_by_key(|l| l.name.to_lowercase());
        Ok(all)
    }

    pub(crate) fn all_locations(&self) -> Result<std::collections::HashMap<String, Location>> {
        self.values::<Location>(T::Locations)
            .map(|l| l.map(|l| (l.id.clone(), l)))
            .collect()
    }

    pub fn rename_location(&self, id: &str, name: &str) -> Result<LocationView> {
        let name = validate::name("location", name, 100)?;
        let _g = self.write_guard();
        let mut loc = self.location(id)?;
        if loc.name == name {
            return Ok(loc.view());
        }
        self.refuse_duplicate_location(&name, Some(&loc.id))?;
        let old = std::mem::replace(&mut loc.name, name);
        let mut ch = Changes::default();
        ch.put(T::Locations, &loc.id, &loc)?;
        ch.audit(&self.audit_event(
            "location",
            "updated",
            &loc.id,
            &loc.name,
            None,
            format!("renamed location {old} → {}", loc.name),
        ))?;
        self.commit(ch)?;
        Ok(loc.view())
    }

    fn refuse_duplicate_location(&self, name: &str, except: Option<&str>) -> Result<()> {
        for l in self.values::<Location>(T::Locations) {
            let l = l?;
            if Some(l.id.as_str()) != except && l.name.to_lowercase() == name.to_lowercase() {
                return Err(Error::invalid(format!(
                    "a location named '{}' already exists ({})",
                    l.name, l.id
                )));
            }
        }
        Ok(())
    }
}
