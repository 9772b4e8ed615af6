//! Locations: the agency's sub-accounts. A key is scoped to the agency or to one location.

use serde::{Deserialize, Serialize};

use crate::model::clock::Millis;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub id: String,
    pub name: String,
    pub created_at: Millis,
}
