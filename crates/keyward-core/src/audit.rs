//! The audit log: who did what to which object, when. Written in the same transaction as
//! the change it describes. Never holds a secret: summaries name keys by name and mask.

use serde::{Deserialize, Serialize};

use crate::clock::{to_rfc3339, Millis};
use crate::error::Result;
use crate::ids::new_id;
use crate::store::{Store, T};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AuditEvent {
    pub id: String,
    pub at: Millis,
    pub actor: String,
    /// `user`, `location`, `api_key`, `token`, `settings`, `verification`.
    pub entity: String,
    /// `created`, `updated`, `deleted`, `regenerated`, `revoked`, `expired`, `copied`,
    /// `revealed`, `reminder`, `kept`, `failed`, …
    pub operation: String,
    pub object_id: String,
    pub object_name: String,
    /// The site manager the object belongs to, when there is one.
    pub user_id: Option<String>,
    pub summary: String,
}

impl AuditEvent {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        at: Millis,
        actor: &str,
        entity: &str,
        operation: &str,
        object_id: &str,
        object_name: &str,
        user_id: Option<&str>,
        summary: String,
    ) -> AuditEvent {
        AuditEvent {
            id: new_id("evt_", at),
            at,
            actor: actor.to_owned(),
            entity: entity.to_owned(),
            operation: operation.to_owned(),
            object_id: object_id.to_owned(),
            object_name: object_name.to_owned(),
            user_id: user_id.map(str::to_owned),
            summary,
        }
    }

    pub fn view(&self) -> AuditView {
        AuditView {
            id: self.id.clone(),
            at: to_rfc3339(self.at),
            actor: self.actor.clone(),
            action: format!("{}.{}", self.entity, self.operation),
            entity: self.entity.clone(),
            operation: self.operation.clone(),
            object_id: self.object_id.clone(),
            object_name: self.object_name.clone(),
            user_id: self.user_id.clone(),
            summary: self.summary.clone(),
        }
    }
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AuditView {
    pub id: String,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub operation: String,
    pub object_id: String,
    pub object_name: String,
    pub user_id: Option<String>,
    pub summary: String,
}

/// Which events to return, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub limit: Option<usize>,
    /// Only events about this object (a key id also matches its tokens' events).
    pub object_id: Option<String>,
    pub user_id: Option<String>,
    pub entity: Option<String>,
    /// Case-insensitive text found in the summary, name or action.
    pub search: Option<String>,
}

impl Store {
    pub fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditView>> {
        let limit = filter.limit.unwrap_or(usize::MAX);
        let needle = filter.search.as_ref().map(|s| s.to_lowercase());
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        for r in self.tree(T::Audit).iter().values().rev() {
            let e: AuditEvent = bincode::deserialize(&r?)?;
            if let Some(o) = &filter.object_id {
                if &e.object_id != o && !e.summary.contains(o.as_str()) {
                    continue;
                }
            }
            if filter.user_id.is_some() && e.user_id != filter.user_id {
                continue;
            }
            if let Some(ent) = &filter.entity {
                if &e.entity != ent {
                    continue;
                }
            }
            if let Some(n) = &needle {
                let hay = format!(
                    "{} {}.{} {}",
                    e.object_name, e.entity, e.operation, e.summary
                )
                .to_lowercase();
                if !hay.contains(n.as_str()) {
                    continue;
                }
            }
            out.push(e.view());
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }
}
