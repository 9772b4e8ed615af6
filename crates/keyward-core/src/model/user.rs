//! Site managers: the people keys belong to. Emails are unique case-insensitively; API
//! access is on by default for admins and off for managers.

use serde::{Deserialize, Serialize};

use crate::model::clock::Millis;

crate::model::text_enum::text_enum! {
    /// Stored by variant index (bincode): the text is only how it is shown.
    pub enum Role {
        Admin = "admin",
        Manager = "manager",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
    pub api_access: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct NewUser {
    pub name: String,
    pub email: String,
    pub admin: bool,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct UserEdit {
    pub name: Option<String>,
    pub email: Option<String>,
}
