//! Locations as the front ends show them.

use serde::Serialize;

use crate::model::clock::to_rfc3339;
use crate::model::location::Location;

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
