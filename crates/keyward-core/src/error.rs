//! One error type for the domain. Every error has a stable `code` that the CLI, the HTTP
//! API and the UI branch on, and a message that says what happened and what to do.

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How an error should be reported by a front end (the CLI maps these to exit codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Something broke inside Keyward or its storage (exit 1).
    Internal,
    /// The request itself is wrong: bad name, bad email, bad setting (exit 2).
    Usage,
    /// The request is understood but refused by a rule (exit 3).
    Refused,
    /// The object named does not exist (exit 4).
    NotFound,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// A value the user gave is not acceptable; `field` names the input it came from
    /// (`name`, `email`, `inactivity_days`…), so a form can show the message beside it.
    #[error("{message}")]
    Invalid {
        field: Option<&'static str>,
        message: String,
    },
    #[error("{what} '{id}' was not found")]
    NotFound { what: &'static str, id: String },
    #[error("a site manager with the email {0} already exists — emails are unique")]
    EmailTaken(String),
    #[error("API key '{name}' is in use ({detail}) — deleting it will break live connections; confirm to delete it anyway")]
    KeyInUse { name: String, detail: String },
    #[error("API access is off for {0} — turn it on under Site managers first")]
    ApiAccessOff(String),
    #[error("{0} is deactivated — reactivate the site manager first")]
    UserDeactivated(String),
    #[error("{0}")]
    Revoked(String),
    #[error("API key '{0}' is disabled — enable it first")]
    KeyDisabled(String),
    #[error("the Keyward database in {dir} is in use by another Keyward process — close the Keyward app (or the other keyward command) and try again")]
    Locked { dir: String },
    #[error("the database in {dir} was written by a newer Keyward (schema {found}, this version understands up to {supported}) — upgrade Keyward to open it")]
    SchemaTooNew {
        dir: String,
        found: u32,
        supported: u32,
    },
    #[error("{0}")]
    MasterKeyUnavailable(String),
    #[error("the webhook {0} is off — turn it on first")]
    WebhookOff(String),
    #[error("the database is damaged: {0}")]
    Corrupt(String),
    #[error("storage error: {0}")]
    Storage(String),
    #[error("{0}")]
    DiskFull(String),
    #[error("the data directory {dir} holds a master key (master.key) but no database (db/ is missing) — if you moved or restored the data directory, put db/ back beside master.key; to start a new, empty store with this master key, run keyward with --new-store")]
    DatabaseMissing { dir: String },
    /// The database server cannot be reached (or dropped the connection).
    #[error("the database is unavailable: {0}")]
    DatabaseUnavailable(String),
    /// A PostgreSQL database without Keyward's tables, or with older ones.
    #[error("{0}")]
    NeedsMigration(String),
    #[error("API key '{name}' already has {max} live tokens, the most a key may have — revoke tokens it no longer needs, or raise max_live_tokens in the settings")]
    TooManyTokens { name: String, max: u32 },
    #[error("too many tokens minted from API key '{name}' in a short time — try again in {} s", retry_after_ms.div_ceil(1000))]
    RateLimited { name: String, retry_after_ms: u64 },
    /// A change that would stop keys in use, asked for without confirming it.
    #[error("{0}")]
    ConfirmationRequired(String),
    /// No valid management token (or a credential that is not one).
    #[error("{0}")]
    Unauthorized(String),
    /// The acting site manager's role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// An error a Keyward server answered with, kept as the server said it.
    #[error("{message}")]
    Remote {
        code: ErrorCode,
        message: String,
        field: Option<String>,
    },
}

crate::model::text_enum::text_enum! {
    /// Every code an error of the domain can carry.
    pub enum ErrorCode {
        InvalidInput = "INVALID_INPUT",
        NotFound = "NOT_FOUND",
        EmailTaken = "EMAIL_TAKEN",
        KeyInUse = "KEY_IN_USE",
        ApiAccessOff = "API_ACCESS_OFF",
        UserDeactivated = "USER_DEACTIVATED",
        Revoked = "REVOKED",
        Disabled = "DISABLED",
        DatabaseLocked = "DATABASE_LOCKED",
        SchemaTooNew = "SCHEMA_TOO_NEW",
        MasterKeyUnavailable = "MASTER_KEY_UNAVAILABLE",
        WebhookOff = "WEBHOOK_OFF",
        DatabaseCorrupt = "DATABASE_CORRUPT",
        StorageError = "STORAGE_ERROR",
        DiskFull = "DISK_FULL",
        DatabaseMissing = "DATABASE_MISSING",
        TooManyTokens = "TOO_MANY_TOKENS",
        RateLimited = "RATE_LIMITED",
        DatabaseUnavailable = "DATABASE_UNAVAILABLE",
        NeedsMigration = "NEEDS_MIGRATION",
        Unauthorized = "UNAUTHORIZED",
        Forbidden = "FORBIDDEN",
        ConfirmationRequired = "CONFIRMATION_REQUIRED",
        /// A server could not be reached, or answered with something that is not Keyward.
        ServerUnavailable = "SERVER_UNAVAILABLE",
        /// The server failed inside, or answered with a code this version does not know.
        ServerError = "SERVER_ERROR",
    }
}

impl ErrorCode {
    /// The code with this text, if this version knows it.
    pub fn parse(text: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == text)
    }

    /// How a front end reports an error with this code (the CLI's exit code).
    pub fn class(self) -> ErrorClass {
        use ErrorCode as C;
        match self {
            C::InvalidInput => ErrorClass::Usage,
            C::NotFound => ErrorClass::NotFound,
            C::EmailTaken
            | C::KeyInUse
            | C::ApiAccessOff
            | C::UserDeactivated
            | C::Revoked
            | C::Disabled
            | C::DatabaseLocked
            | C::SchemaTooNew
            | C::MasterKeyUnavailable
            | C::WebhookOff
            | C::DatabaseMissing
            | C::NeedsMigration
            | C::TooManyTokens
            | C::RateLimited
            | C::Unauthorized
            | C::Forbidden
            | C::ConfirmationRequired => ErrorClass::Refused,
            C::DatabaseCorrupt
            | C::StorageError
            | C::DiskFull
            | C::DatabaseUnavailable
            | C::ServerUnavailable
            | C::ServerError => ErrorClass::Internal,
        }
    }
}

impl Error {
    pub fn error_code(&self) -> ErrorCode {
        match self {
            Error::Invalid { .. } => ErrorCode::InvalidInput,
            Error::NotFound { .. } => ErrorCode::NotFound,
            Error::EmailTaken(_) => ErrorCode::EmailTaken,
            Error::KeyInUse { .. } => ErrorCode::KeyInUse,
            Error::ApiAccessOff(_) => ErrorCode::ApiAccessOff,
            Error::UserDeactivated(_) => ErrorCode::UserDeactivated,
            Error::Revoked(_) => ErrorCode::Revoked,
            Error::KeyDisabled(_) => ErrorCode::Disabled,
            Error::Locked { .. } => ErrorCode::DatabaseLocked,
            Error::SchemaTooNew { .. } => ErrorCode::SchemaTooNew,
            Error::MasterKeyUnavailable(_) => ErrorCode::MasterKeyUnavailable,
            Error::WebhookOff(_) => ErrorCode::WebhookOff,
            Error::Corrupt(_) => ErrorCode::DatabaseCorrupt,
            Error::Storage(_) => ErrorCode::StorageError,
            Error::DiskFull(_) => ErrorCode::DiskFull,
            Error::DatabaseMissing { .. } => ErrorCode::DatabaseMissing,
            Error::DatabaseUnavailable(_) => ErrorCode::DatabaseUnavailable,
            Error::NeedsMigration(_) => ErrorCode::NeedsMigration,
            Error::TooManyTokens { .. } => ErrorCode::TooManyTokens,
            Error::RateLimited { .. } => ErrorCode::RateLimited,
            Error::Unauthorized(_) => ErrorCode::Unauthorized,
            Error::Forbidden(_) => ErrorCode::Forbidden,
            Error::ConfirmationRequired(_) => ErrorCode::ConfirmationRequired,
            Error::Remote { code, .. } => *code,
        }
    }

    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }

    /// The input an `INVALID_INPUT` error is about, when it is about one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Invalid { field, .. } => *field,
            Error::Remote { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    pub fn class(&self) -> ErrorClass {
        self.error_code().class()
    }

    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::Invalid {
            field: None,
            message: msg.into(),
        }
    }

    /// An invalid value of one named input.
    pub fn invalid_field(field: &'static str, msg: impl Into<String>) -> Self {
        Error::Invalid {
            field: Some(field),
            message: msg.into(),
        }
    }

    /// The acting site manager may not do this.
    pub fn forbidden(msg: impl Into<String>) -> Self {
        Error::Forbidden(msg.into())
    }

    pub(crate) fn not_found(what: &'static str, id: impl Into<String>) -> Self {
        Error::NotFound {
            what,
            id: id.into(),
        }
    }
}

/// Serialized as `{"code": "...", "message": "..."}`, the shape every front end shows,
/// with `"field"` when the error is about one input.
impl Serialize for Error {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Error", 3)?;
        st.serialize_field("code", self.code())?;
        st.serialize_field("message", &self.to_string())?;
        match self.field() {
            Some(field) => st.serialize_field("field", field)?,
            None => st.skip_field("field")?,
        }
        st.end()
    }
}

impl From<sled::Error> for Error {
    fn from(e: sled::Error) -> Self {
        match e {
            sled::Error::Corruption { .. } => Error::Corrupt(e.to_string()),
            sled::Error::Io(io) => io.into(),
            other => Error::Storage(other.to_string()),
        }
    }
}

impl From<sled::transaction::TransactionError<Error>> for Error {
    fn from(e: sled::transaction::TransactionError<Error>) -> Self {
        match e {
            sled::transaction::TransactionError::Abort(e) => e,
            sled::transaction::TransactionError::Storage(e) => e.into(),
        }
    }
}

impl From<bincode::Error> for Error {
    fn from(e: bincode::Error) -> Self {
        Error::Corrupt(format!("a record could not be decoded ({e})"))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        if crate::recovery::is_disk_full(&e) {
            Error::DiskFull(format!(
                "the disk is full, so the change was not saved ({e}) — free some space and \
                 try again"
            ))
        } else {
            Error::Storage(format!("IO error: {e}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_serializes_as_code_and_message() {
        let e = Error::ApiAccessOff("ada@example.com".into());
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["code"], "API_ACCESS_OFF");
        assert_eq!(
            v["message"],
            "API access is off for ada@example.com — turn it on under Site managers first"
        );
        assert_eq!(v.as_object().unwrap().len(), 2);
        assert_eq!(e.class(), ErrorClass::Refused);
    }

    #[test]
    fn not_found_names_the_object() {
        let e = Error::not_found("API key", "key_123");
        assert_eq!(e.to_string(), "API key 'key_123' was not found");
        assert_eq!(e.class(), ErrorClass::NotFound);
    }
}

#[cfg(test)]
mod field_tests {
    use super::*;

    #[test]
    fn an_invalid_input_names_its_field_in_json() {
        let e = crate::model::validate::email("not an email").unwrap_err();
        assert_eq!(e.field(), Some("email"));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "INVALID_INPUT");
        assert_eq!(json["field"], "email");
        let mut s = crate::Settings::default();
        let e = s.set("reminder_days", "1,2,3,4,5,6").unwrap_err();
        assert_eq!(e.field(), Some("reminder_days"));
        // Other errors have no field at all.
        let json = serde_json::to_value(Error::KeyDisabled("K".into())).unwrap();
        assert!(json.get("field").is_none(), "{json}");
    }

    #[test]
    fn every_error_code_is_declared_once() {
        let texts: std::collections::HashSet<&str> =
            ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(texts.len(), ErrorCode::ALL.len());
        assert!(texts.contains(Error::invalid("x").code()));
    }
}
