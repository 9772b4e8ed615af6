//! Audit events as the front ends show them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::audit::AuditEvent;
use crate::model::clock::to_datetime;

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AuditView {
    pub id: String,
    #[serde(serialize_with = "crate::view::time::rfc3339")]
    pub at: DateTime<Utc>,
    pub actor: String,
    /// The site manager who acted, when one is known.
    pub actor_user_id: Option<String>,
    pub action: String,
    pub entity: String,
    pub operation: String,
    pub object_id: String,
    pub object_name: String,
    pub user_id: Option<String>,
    /// The API key the event concerns (the key itself, or a token's key).
    pub key_id: Option<String>,
    pub summary: String,
}

/// Which events to return, newest first.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct AuditFilter {
    pub limit: Option<usize>,
    /// Only events about this object (a key id also matches its tokens' events).
    pub object_id: Option<String>,
    pub user_id: Option<String>,
    pub entity: Option<String>,
    /// Case-insensitive text found in the summary, name or action.
    pub search: Option<String>,
}

impl AuditFilter {
    pub fn admits(&self, e: &AuditEvent, needle: Option<&str>) -> bool {
        if self.object_id.as_deref().is_some_and(|o| !e.concerns(o)) {
            return false;
        }
        if self.user_id.is_some() && e.user_id != self.user_id {
            return false;
        }
        if self.entity.as_ref().is_some_and(|ent| *ent != e.entity) {
            return false;
        }
        needle.is_none_or(|n| {
            format!(
                "{} {}.{} {}",
                e.object_name, e.entity, e.operation, e.summary
            )
            .to_lowercase()
            .contains(n)
        })
    }
}

impl AuditEvent {
    pub fn view(&self) -> AuditView {
        AuditView {
            id: self.id.clone(),
            at: to_datetime(self.at),
            actor: self.actor.clone(),
            actor_user_id: self.actor_user_id.clone(),
            action: format!("{}.{}", self.entity, self.operation),
            entity: self.entity.clone(),
            operation: self.operation.clone(),
            object_id: self.object_id.clone(),
            object_name: self.object_name.clone(),
            user_id: self.user_id.clone(),
            key_id: self.key_id.clone(),
            summary: self.summary.clone(),
        }
    }
}
