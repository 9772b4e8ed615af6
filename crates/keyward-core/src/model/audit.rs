//! The audit log: who did what to which object, when. Written in the same transaction as
//! the change it describes. Never holds a secret: summaries name keys by name and mask.
//! The facts a reader filters or acts on (the object, its owner, its key, the actor) are
//! fields; the summary is for people and nothing parses it.

use serde::{Deserialize, Serialize};

use crate::model::clock::Millis;
use crate::model::ids::new_id;

/// An audit event as stored since schema 3.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AuditEvent {
    pub id: String,
    pub at: Millis,
    /// The channel the change came through: "cli", "desktop", "http", "lifecycle"…
    pub actor: String,
    /// The site manager who acted, when one is known.
    pub actor_user_id: Option<String>,
    /// `user`, `location`, `api_key`, `token`, `settings`, `verification`, `webhook`, `store`.
    pub entity: String,
    /// `created`, `updated`, `deleted`, `regenerated`, `revoked`, `expired`, `copied`,
    /// `revealed`, `reminder`, `kept`, `failed`, …
    pub operation: String,
    pub object_id: String,
    pub object_name: String,
    /// The site manager the object belongs to, when there is one.
    pub user_id: Option<String>,
    /// The API key the event concerns: the key itself, or the key of a token.
    pub key_id: Option<String>,
    pub summary: String,
}

impl AuditEvent {
    /// An event about nothing yet; the builder methods below say what it concerns.
    pub fn new(at: Millis, actor: &str, entity: &str, operation: &str) -> AuditEvent {
        AuditEvent {
            id: new_id("evt_", at),
            at,
            actor: actor.to_owned(),
            actor_user_id: None,
            entity: entity.to_owned(),
            operation: operation.to_owned(),
            object_id: String::new(),
            object_name: String::new(),
            user_id: None,
            key_id: None,
            summary: String::new(),
        }
    }

    pub fn object(mut self, id: &str, name: &str) -> AuditEvent {
        id.clone_into(&mut self.object_id);
        name.clone_into(&mut self.object_name);
        self
    }

    /// The site manager the object belongs to.
    pub fn owner(mut self, user_id: &str) -> AuditEvent {
        self.user_id = Some(user_id.to_owned());
        self
    }

    pub fn key(mut self, key_id: &str) -> AuditEvent {
        self.key_id = Some(key_id.to_owned());
        self
    }

    pub fn actor(mut self, actor: &str) -> AuditEvent {
        actor.clone_into(&mut self.actor);
        self
    }

    pub fn says(mut self, summary: String) -> AuditEvent {
        self.summary = summary;
        self
    }

    /// Whether the event concerns `id`: as its object, or as the key of its object.
    pub fn concerns(&self, id: &str) -> bool {
        self.object_id == id || self.key_id.as_deref() == Some(id)
    }
}
