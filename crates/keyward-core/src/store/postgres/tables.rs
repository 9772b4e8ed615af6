//! How each store table lives in PostgreSQL: its SQL table, its key column, and a typed
//! column per field of the record. The store hands a backend encoded records (bincode,
//! or JSON for the settings); here a record is decoded into its fields, each field bound
//! to its column with its SQL type, and read back the same way.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::model::audit::AuditEvent;
use crate::model::deleted::BinnedKey;
use crate::model::key::{ApiKey, HashEntry};
use crate::model::location::Location;
use crate::model::mail::MailMessage;
use crate::model::management::ManagementToken;
use crate::model::settings::Settings;
use crate::model::token::Token;
use crate::model::usage::DayCounts;
use crate::model::user::User;
use crate::model::webhook::{DeliveryRecord, OutboxMessage, Webhook};
use crate::store::Table;

/// A column's SQL type, and how a record field maps onto it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Col {
    Text,
    OptText,
    Int,
    OptInt,
    Bool,
    /// A byte string (`[u8; 32]`, `Vec<u8>`): bytea.
    Bytes,
    /// A list of byte strings: bytea[].
    BytesList,
    /// A list of numbers: bigint[].
    IntList,
    /// Nested records (reminders, grace periods): jsonb.
    Json,
    /// A key's scope: NULL for the agency, else the location's id.
    Scope,
}

/// How a row's value bytes become fields and back.
#[derive(Clone, Copy)]
pub(super) struct Codec {
    pub decode: fn(&[u8]) -> Result<Map<String, Value>>,
    pub encode: fn(Map<String, Value>) -> Result<Vec<u8>>,
}

#[derive(Clone, Copy)]
pub(super) struct Spec {
    pub sql: &'static str,
    /// The key column (text sorted as bytes, or bytea for hashes).
    pub key: &'static str,
    pub key_is_bytes: bool,
    /// The record field that holds the key itself, filled from the key column on reads.
    pub key_field: Option<&'static str>,
    pub cols: &'static [(&'static str, Col)],
    pub codec: Codec,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Corrupt(format!("{what}: {e}"))
}

fn object(v: Value, what: &str) -> Result<Map<String, Value>> {
    match v {
        Value::Object(m) => Ok(m),
        other => Err(corrupt(what, format!("expected a record, found {other}"))),
    }
}

fn bin_decode<T: DeserializeOwned + Serialize>(bytes: &[u8]) -> Result<Map<String, Value>> {
    let record: T = bincode::deserialize(bytes)?;
    object(
        serde_json::to_value(record).map_err(|e| corrupt("record", e))?,
        "record",
    )
}

fn bin_encode<T: DeserializeOwned + Serialize>(fields: Map<String, Value>) -> Result<Vec<u8>> {
    let record: T = serde_json::from_value(Value::Object(fields)).map_err(|e| corrupt("row", e))?;
    Ok(bincode::serialize(&record)?)
}

fn json_decode<T: DeserializeOwned + Serialize>(bytes: &[u8]) -> Result<Map<String, Value>> {
    let record: T = serde_json::from_slice(bytes).map_err(|e| corrupt("record", e))?;
    object(
        serde_json::to_value(record).map_err(|e| corrupt("record", e))?,
        "record",
    )
}

fn json_encode<T: DeserializeOwned + Serialize>(fields: Map<String, Value>) -> Result<Vec<u8>> {
    let record: T = serde_json::from_value(Value::Object(fields)).map_err(|e| corrupt("row", e))?;
    serde_json::to_vec(&record).map_err(|e| corrupt("row", e))
}

/// A value that is a UTF-8 string (an email index entry's user id), as column `field`.
fn text_decode(bytes: &[u8], field: &str) -> Result<Map<String, Value>> {
    let s = std::str::from_utf8(bytes).map_err(|e| corrupt("text value", e))?;
    Ok(Map::from_iter([(
        field.to_owned(),
        Value::String(s.to_owned()),
    )]))
}

fn text_encode(mut fields: Map<String, Value>, field: &str) -> Result<Vec<u8>> {
    match fields.remove(field) {
        Some(Value::String(s)) => Ok(s.into_bytes()),
        other => Err(corrupt("text value", format!("{other:?}"))),
    }
}

/// A value that is 8 big-endian bytes (a "last used" time), as column `field`.
fn millis_decode(bytes: &[u8], field: &str) -> Result<Map<String, Value>> {
    let b: [u8; 8] = bytes
        .try_into()
        .map_err(|_| corrupt("time value", "not 8 bytes"))?;
    Ok(Map::from_iter([(
        field.to_owned(),
        Value::from(i64::from_be_bytes(b)),
    )]))
}

fn millis_encode(mut fields: Map<String, Value>, field: &str) -> Result<Vec<u8>> {
    match fields.remove(field).and_then(|v| v.as_i64()) {
        Some(ms) => Ok(ms.to_be_bytes().to_vec()),
        None => Err(corrupt("time value", "missing")),
    }
}

fn bytes_decode(bytes: &[u8]) -> Result<Map<String, Value>> {
    Ok(Map::from_iter([(
        "v".to_owned(),
        Value::Array(bytes.iter().map(|b| Value::from(*b)).collect()),
    )]))
}

fn bytes_encode(mut fields: Map<String, Value>) -> Result<Vec<u8>> {
    match fields.remove("v") {
        Some(v) => serde_json::from_value(v).map_err(|e| corrupt("bytes value", e)),
        None => Err(corrupt("bytes value", "missing")),
    }
}

const fn bin<T: DeserializeOwned + Serialize>() -> Codec {
    Codec {
        decode: bin_decode::<T>,
        encode: bin_encode::<T>,
    }
}

use Col::*;

const USERS: Spec = Spec {
    sql: "users",
    key: "id",
    key_is_bytes: false,
    key_field: Some("id"),
    cols: &[
        ("name", Text),
        ("email", Text),
        ("role", Text),
        ("active", Bool),
        ("api_access", Bool),
        ("created_at", Int),
        ("updated_at", Int),
    ],
    codec: bin::<User>(),
};

const EMAILS: Spec = Spec {
    sql: "user_emails",
    key: "email",
    key_is_bytes: false,
    key_field: None,
    cols: &[("user_id", Text)],
    codec: Codec {
        decode: |b| text_decode(b, "user_id"),
        encode: |m| text_encode(m, "user_id"),
    },
};

const LOCATIONS: Spec = Spec {
    sql: "locations",
    key: "id",
    key_is_bytes: false,
    key_field: Some("id"),
    cols: &[("name", Text), ("created_at", Int)],
    codec: bin::<Location>(),
};

const KEYS: Spec = Spec {
    sql: "api_keys",
    key: "id",
    key_is_bytes: false,
    key_field: Some("id"),
    cols: &[
        ("name", Text),
        ("owner", Text),
        ("scope", Scope),
        ("created_at", Int),
        ("updated_at", Int),
        ("kept_at", OptInt),
        ("disabled", Bool),
        ("revoked_at", OptInt),
        ("generation", Int),
        ("hash", Bytes),
        ("masked", Text),
        ("sealed", Bytes),
        ("graces", Json),
        ("old_hashes", BytesList),
        ("reminders", Json),
        ("expires_at", OptInt),
        ("keep_always", Bool),
        ("notes", Text),
        ("tags", Json),
        ("permissions", Json),
        ("rate", Json),
        ("deleted_at", OptInt),
        ("expiry_reminders", Json),
    ],
    codec: bin::<ApiKey>(),
};

const HASHES: Spec = Spec {
    sql: "secret_hashes",
    key: "hash",
    key_is_bytes: true,
    key_field: None,
    cols: &[("token", Bool), ("id", Text), ("generation", Int)],
    codec: bin::<HashEntry>(),
};

const TOKENS: Spec = Spec {
    sql: "tokens",
    key: "id",
    key_is_bytes: false,
    key_field: Some("id"),
    cols: &[
        ("key_id", Text),
        ("generation", Int),
        ("hash", Bytes),
        ("masked", Text),
        ("created_at", Int),
        ("expires_at", Int),
        ("revoked_at", OptInt),
        ("reminders", Json),
    ],
    codec: bin::<Token>(),
};

const LAST_USED: Spec = Spec {
    sql: "last_used",
    key: "id",
    key_is_bytes: false,
    key_field: None,
    cols: &[("at", Int)],
    codec: Codec {
        decode: |b| millis_decode(b, "at"),
        encode: |m| millis_encode(m, "at"),
    },
};

const AUDIT: Spec = Spec {
    sql: "audit_events",
    key: "id",
    key_is_bytes: false,
    key_field: Some("id"),
    cols: &[
        ("at", Int),
        ("actor", Text),
        ("actor_user_id", OptText),
        ("entity", Text),
        ("operation", Text),
        ("object_id", Text),
        ("object_name", Text),
        ("user_id", OptText),
        ("key_id", OptText),
        ("summary", Text),
    ],
    codec: bin::<AuditEvent>(),
};

const WEBHOOKS: Spec = Spec {
    sql: "webhooks",
    key: "id",
    key_is_bytes: false,
    key_field: Some("id"),
    cols: &[
        ("user_id", Text),
        ("url", Text),
        ("entity", Text),
        ("operation", Text),
        ("active", Bool),
        ("allow_private", Bool),
        ("sealed_secret", Bytes),
        ("masked_secret", Text),
        ("created_at", Int),
        ("updated_at", Int),
        ("off_reason", OptText),
    ],
    codec: bin::<Webhook>(),
};

const MANAGEMENT_TOKENS: Spec = Spec {
    sql: "management_tokens",
    key: "id",
    key_is_bytes: false,
    key_field: Some("id"),
    cols: &[
        ("user_id", Text),
        ("name", Text),
        ("hash", Bytes),
        ("masked", Text),
        ("created_at", Int),
        ("expires_at", OptInt),
        ("revoked_at", OptInt),
    ],
    codec: bin::<ManagementToken>(),
};

const USAGE: Spec = Spec {
    sql: "key_usage",
    key: "id",
    key_is_bytes: false,
    key_field: None,
    cols: &[("valid", Int), ("failed", Json)],
    codec: bin::<DayCounts>(),
};

const DELETED_KEYS: Spec = Spec {
    sql: "deleted_keys",
    key: "id",
    key_is_bytes: false,
    key_field: Some("id"),
    cols: &[
        ("name", Text),
        ("owner", Text),
        ("deleted_at", Int),
        ("deleted_by", OptText),
        ("reason", Text),
        ("contents", Bytes),
    ],
    codec: bin::<BinnedKey>(),
};

const OUTBOX: Spec = Spec {
    sql: "webhook_outbox",
    key: "id",
    key_is_bytes: false,
    key_field: Some("id"),
    cols: &[
        ("webhook_id", Text),
        ("event_type", Text),
        ("body", Text),
        ("created_at", Int),
        ("attempts", Int),
        ("next_attempt_at", Int),
    ],
    codec: bin::<OutboxMessage>(),
};

const MAIL: Spec = Spec {
    sql: "mail_outbox",
    key: "id",
    key_is_bytes: false,
    key_field: Some("id"),
    cols: &[
        ("message_id", Text),
        ("user_id", Text),
        ("to_name", Text),
        ("to_address", Text),
        ("key_id", OptText),
        ("subject", Text),
        ("body", Text),
        ("created_at", Int),
        ("attempts", Int),
        ("next_attempt_at", Int),
        ("last_error", OptText),
    ],
    codec: bin::<MailMessage>(),
};

const DELIVERIES: Spec = Spec {
    sql: "webhook_deliveries",
    key: "k",
    key_is_bytes: false,
    key_field: None,
    cols: &[
        ("id", Text),
        ("webhook_id", Text),
        ("message_id", Text),
        ("event_type", Text),
        ("attempt", Int),
        ("at", Int),
        ("status_code", OptInt),
        ("error", OptText),
        ("outcome", Text),
        ("next_retry_at", OptInt),
    ],
    codec: bin::<DeliveryRecord>(),
};

/// The meta table's rows other than the settings: small values the store reads whole
/// (the schema version, where the master key is kept, its check value).
const META: Spec = Spec {
    sql: "keyward_meta",
    key: "k",
    key_is_bytes: false,
    key_field: None,
    cols: &[("v", Bytes)],
    codec: Codec {
        decode: bytes_decode,
        encode: bytes_encode,
    },
};

/// The settings, one row keyed "settings", a column per setting.
const SETTINGS: Spec = Spec {
    sql: "settings",
    key: "k",
    key_is_bytes: false,
    key_field: None,
    cols: &[
        ("inactivity_days", Int),
        ("reminder_days", IntList),
        ("token_lifetime_days", Int),
        ("token_reminder_days", IntList),
        ("clipboard_clear_seconds", Int),
        ("local_api_enabled", Bool),
        ("local_api_port", Int),
        ("launch_at_login", Bool),
        ("close_to_tray", Bool),
        ("notifications", Bool),
        ("max_live_tokens", Int),
        ("smtp_url", Text),
        ("smtp_from", Text),
    ],
    codec: Codec {
        decode: json_decode::<Settings>,
        encode: json_encode::<Settings>,
    },
};

/// The meta key stored in the settings table.
const SETTINGS_KEY: &[u8] = b"settings";

/// Where a row of `table` with this key lives.
pub(super) fn spec(table: Table, key: &[u8]) -> &'static Spec {
    match table {
        Table::Meta if key == SETTINGS_KEY => &SETTINGS,
        Table::Meta => &META,
        Table::Users => &USERS,
        Table::Emails => &EMAILS,
        Table::Locations => &LOCATIONS,
        Table::Keys => &KEYS,
        Table::Hashes => &HASHES,
        Table::Tokens => &TOKENS,
        Table::LastUsed => &LAST_USED,
        Table::Audit => &AUDIT,
        Table::Webhooks => &WEBHOOKS,
        Table::Outbox => &OUTBOX,
        Table::Deliveries => &DELIVERIES,
        Table::ManagementTokens => &MANAGEMENT_TOKENS,
        Table::Usage => &USAGE,
        Table::DeletedKeys => &DELETED_KEYS,
        Table::Mail => &MAIL,
    }
}

/// Every SQL table of a store table (the meta table has two).
pub(super) fn specs(table: Table) -> Vec<&'static Spec> {
    match table {
        Table::Meta => vec![&META, &SETTINGS],
        other => vec![spec(other, b"")],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_of_every_table_is_in_the_migration() {
        let sql = super::super::MIGRATIONS
            .iter()
            .map(|(_, sql)| *sql)
            .collect::<String>();
        for table in Table::ALL {
            for s in specs(table) {
                let start = sql
                    .find(&format!("CREATE TABLE {} (", s.sql))
                    .unwrap_or_else(|| panic!("{} has no CREATE TABLE", s.sql));
                let body = &sql[start..start + sql[start..].find(");").unwrap()];
                // Created with the table, or added to it by a later migration.
                let column = |name: &str| {
                    body.lines()
                        .any(|l| l.trim_start().starts_with(&format!("{name} ")))
                        || sql.contains(&format!("ALTER TABLE {} ADD COLUMN {name} ", s.sql))
                };
                assert!(column(s.key), "{}.{}", s.sql, s.key);
                for (name, col) in s.cols {
                    let name = if *col == Col::Scope {
                        "location_id"
                    } else {
                        name
                    };
                    assert!(column(name), "{}.{name}", s.sql);
                }
            }
        }
    }
}
