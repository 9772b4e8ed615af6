//! Site managers: the people keys belong to. Emails are unique case-insensitively; API
//! access is on by default for admins and off for managers.

use serde::{Deserialize, Serialize};

use crate::model::clock::Millis;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Admin,
    Manager,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
        }
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

#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub name: String,
    pub email: String,
    pub admin: bool,
}

#[derive(Debug, Clone, Default)]
pub struct UserEdit {
    pub name: Option<String>,
    pub email: Option<String>,
}
