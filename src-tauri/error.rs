//! The app's errors: the core's, plus what the desktop itself can fail at. Across IPC
//! every error is `{ "code": "…", "message": "…" }`, with `"field"` when it is about one
//! input of a form.

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Core(#[from] keyward_core::Error),
    /// What keyward-http does for the desktop beyond core: the Postman export.
    #[error(transparent)]
    Http(keyward_http::Error),
    #[error("the clipboard is not available: {0}")]
    Clipboard(String),
    #[error("{0}")]
    Io(String),
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// The codes the desktop adds to the core's (`keyward_core::error::ErrorCode`).
pub const APP_ERROR_CODES: [&str; 2] = ["CLIPBOARD_UNAVAILABLE", "IO_ERROR"];

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Core(e) => e.code(),
            AppError::Http(e) => e.code(),
            AppError::Clipboard(_) => APP_ERROR_CODES[0],
            AppError::Io(_) => APP_ERROR_CODES[1],
        }
    }
}

/// A store error reached through keyward-http is still the core's.
impl From<keyward_http::Error> for AppError {
    fn from(e: keyward_http::Error) -> Self {
        match e {
            keyward_http::Error::Store(e) => AppError::Core(e),
            other => AppError::Http(other),
        }
    }
}

impl Serialize for AppError {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("AppError", 3)?;
        st.serialize_field("code", self.code())?;
        st.serialize_field("message", &self.to_string())?;
        match self {
            AppError::Core(e) if e.field().is_some() => st.serialize_field("field", &e.field())?,
            _ => st.skip_field("field")?,
        }
        st.end()
    }
}
