//! Who is acting, and what their role lets them do. An admin may do everything; a manager
//! only what concerns their own keys, tokens, webhooks and management tokens.

use serde::{Deserialize, Serialize};

use crate::model::user::{Role, User};

/// The one acting on the store: the channel a change came through ("cli", "desktop",
/// "http") and, when known, the site manager behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub channel: String,
    /// The acting site manager; `None` for the local owner of a store who has not said
    /// who they are.
    pub user_id: Option<String>,
    pub admin: bool,
}

impl Actor {
    /// Whoever holds this computer's data directory: may do everything.
    pub fn owner(channel: &str, user_id: Option<String>) -> Actor {
        Actor {
            channel: channel.to_owned(),
            user_id,
            admin: true,
        }
    }

    /// A site manager acting through `channel`, with their role's rights.
    pub fn user(user: &User, channel: &str) -> Actor {
        Actor {
            channel: channel.to_owned(),
            user_id: Some(user.id.clone()),
            admin: user.role == Role::Admin,
        }
    }

    /// Whether this actor may act on what belongs to `owner_id`.
    pub fn may_act_for(&self, owner_id: &str) -> bool {
        self.admin || self.user_id.as_deref() == Some(owner_id)
    }

    /// The site manager whose things a manager is limited to; `None` for an admin.
    pub fn limited_to(&self) -> Option<&str> {
        if self.admin {
            None
        } else {
            Some(self.user_id.as_deref().unwrap_or(""))
        }
    }
}
