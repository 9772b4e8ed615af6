//! Locations as the front ends show them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::clock::to_datetime;
use crate::model::location::Location;

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LocationView {
    pub id: String,
    pub name: String,
    #[serde(serialize_with = "crate::view::time::rfc3339")]
    pub created_at: DateTime<Utc>,
}

impl Location {
    pub fn view(&self) -> LocationView {
        LocationView {
            id: self.id.clone(),
            name: self.name.clone(),
            created_at: to_datetime(self.created_at),
        }
    }
}
