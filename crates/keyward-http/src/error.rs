//! The crate's errors: [`Error`] for starting and running the server, [`ApiError`] for
//! what a request is answered with — always `{"error":{"code","message"}}`, with `"field"`
//! when one input is at fault.

use std::borrow::Cow;
use std::path::PathBuf;
use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("port {0} is in use — choose another under Preferences or with --port")]
    PortInUse(u16),
    #[error("cannot listen on 127.0.0.1:{port}: {reason}")]
    Bind { port: u16, reason: String },
    #[error("the local API failed: {0}")]
    Io(#[from] std::io::Error),
    /// A Postman export could not be written (see `postman`): nothing was left at `path`
    /// but what was there before.
    #[error("cannot write the Postman export {}: {reason} — {advice}", path.display())]
    Export {
        path: PathBuf,
        /// What went wrong, from the system.
        reason: String,
        /// What to do about it.
        advice: &'static str,
    },
    #[error(transparent)]
    Store(#[from] keyward_core::Error),
}

/// The codes this crate adds to the core's, in the order of the variants above.
pub const ERROR_CODES: [&str; 4] = [
    "PORT_IN_USE",
    "BIND_FAILED",
    "SERVER_ERROR",
    "EXPORT_FAILED",
];

impl Error {
    pub fn code(&self) -> &'static str {
        match self {
            Error::PortInUse(_) => ERROR_CODES[0],
            Error::Bind { .. } => ERROR_CODES[1],
            Error::Io(_) => ERROR_CODES[2],
            Error::Export { .. } => ERROR_CODES[3],
            Error::Store(e) => e.code(),
        }
    }
}

/// `{"code": "...", "message": "..."}`, like every Keyward error.
impl Serialize for Error {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Error", 2)?;
        st.serialize_field("code", self.code())?;
        st.serialize_field("message", &self.to_string())?;
        st.end()
    }
}

/// An error answer. Its message never carries a secret, nor anything that tells one bad
/// credential from another.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: Cow<'static, str>,
    /// The input at fault, when there is one.
    field: Option<Cow<'static, str>>,
    retry_after: Option<u64>,
    www_authenticate: bool,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after: None,
            www_authenticate: false,
        }
    }

    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "INVALID_REQUEST", message)
    }

    /// 400 `INVALID_INPUT` about one input (a query parameter, say).
    pub fn invalid_field(
        field: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        ApiError {
            field: Some(field.into()),
            ..ApiError::new(StatusCode::BAD_REQUEST, "INVALID_INPUT", message)
        }
    }

    /// The one answer for any missing, malformed, unknown, revoked, disabled or expired
    /// credential.
    pub fn unauthorized(message: &'static str) -> Self {
        ApiError {
            www_authenticate: true,
            ..ApiError::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message)
        }
    }

    pub fn forbidden(code: &'static str, message: &'static str) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, code, message)
    }

    pub fn too_large() -> Self {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "BODY_TOO_LARGE",
            format!(
                "the request body is larger than {} KiB — send only the JSON the route takes",
                crate::BODY_LIMIT / 1024
            ),
        )
    }

    pub fn rate_limited(wait: Duration) -> Self {
        // Whole seconds, rounded up: a client that waits exactly this long gets through.
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let secs = secs.max(1);
        ApiError {
            retry_after: Some(secs),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMITED",
                format!("too many failed verifications — retry in {secs} s"),
            )
        }
    }

    /// The answer for an error of the store: its code, with the status its class calls
    /// for — a bad input 400, an unknown object 404, no valid management token 401, a role
    /// that does not allow the action 403, other refusals 409 (a key minting too fast
    /// 429), an unreachable database or a full disk 503 (reads still work), anything else
    /// 500.
    pub fn from_store(e: &keyward_core::Error) -> Self {
        use keyward_core::{Error as E, ErrorClass};
        let status = match e {
            E::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            E::Forbidden(_) => StatusCode::FORBIDDEN,
            E::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            E::DiskFull(_) | E::DatabaseUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => match e.class() {
                ErrorClass::Usage => StatusCode::BAD_REQUEST,
                ErrorClass::NotFound => StatusCode::NOT_FOUND,
                ErrorClass::Refused => StatusCode::CONFLICT,
                ErrorClass::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            },
        };
        let retry_after = match e {
            E::RateLimited { retry_after_ms, .. } => Some(retry_after_ms.div_ceil(1000).max(1)),
            _ => None,
        };
        ApiError {
            retry_after,
            field: e.field().map(|f| Cow::Owned(f.to_owned())),
            www_authenticate: status == StatusCode::UNAUTHORIZED,
            ..ApiError::new(status, e.code(), e.to_string())
        }
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = serde_json::json!({"code": self.code, "message": self.message});
        if let Some(field) = self.field {
            error["field"] = serde_json::Value::from(field.into_owned());
        }
        let body = serde_json::json!({ "error": error });
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.www_authenticate {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"keyward\""),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_in_use_says_what_to_do() {
        let e = Error::PortInUse(7420);
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["code"], "PORT_IN_USE");
        assert_eq!(
            v["message"],
            "port 7420 is in use — choose another under Preferences or with --port"
        );
    }

    #[test]
    fn an_export_failure_has_its_own_code_and_names_the_file() {
        let e = Error::Export {
            path: PathBuf::from("/home/ada/Downloads/keyward-zapier.postman_environment.json"),
            reason: "Permission denied (os error 13)".into(),
            advice: "export to a folder you may write to",
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["code"], "EXPORT_FAILED");
        assert_eq!(
            v["message"],
            "cannot write the Postman export \
             /home/ada/Downloads/keyward-zapier.postman_environment.json: Permission denied \
             (os error 13) — export to a folder you may write to"
        );
    }

    #[test]
    fn store_errors_answer_with_the_status_of_their_class() {
        use keyward_core::Error as E;
        let status = |e: E| ApiError::from_store(&e).status;
        assert_eq!(status(E::invalid("x")), StatusCode::BAD_REQUEST);
        assert_eq!(
            status(E::NotFound {
                what: "API key",
                id: "key_1".into()
            }),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            status(E::Unauthorized("x".into())),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(status(E::forbidden("x")), StatusCode::FORBIDDEN);
        assert_eq!(
            status(E::KeyInUse {
                name: "K".into(),
                detail: "2 live tokens".into()
            }),
            StatusCode::CONFLICT
        );
        assert_eq!(status(E::EmailTaken("a@b.c".into())), StatusCode::CONFLICT);
        assert_eq!(
            status(E::TooManyTokens {
                name: "K".into(),
                max: 100
            }),
            StatusCode::CONFLICT
        );
        assert_eq!(
            status(E::RateLimited {
                name: "K".into(),
                retry_after_ms: 1_500
            }),
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(
            status(E::DiskFull("x".into())),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            status(E::DatabaseUnavailable("x".into())),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            status(E::Storage("x".into())),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[tokio::test]
    async fn an_invalid_input_names_its_field_and_a_refusal_does_not() {
        let body = |e: ApiError| async move {
            let r = e.into_response();
            let bytes = axum::body::to_bytes(r.into_body(), 4096).await.unwrap();
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()
        };
        let e = keyward_core::Error::invalid_field("email", "not an email");
        let v = body(ApiError::from_store(&e)).await;
        assert_eq!(
            v,
            serde_json::json!({"error": {"code": "INVALID_INPUT", "message": "not an email", "field": "email"}})
        );
        let v = body(ApiError::from_store(&keyward_core::Error::forbidden("no"))).await;
        assert!(v["error"].get("field").is_none(), "{v}");
        let r =
            ApiError::from_store(&keyward_core::Error::Unauthorized("x".into())).into_response();
        assert_eq!(
            r.headers()[header::WWW_AUTHENTICATE],
            "Bearer realm=\"keyward\""
        );
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let r = ApiError::rate_limited(Duration::from_millis(1_200)).into_response();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[header::RETRY_AFTER], "2");
        let r = ApiError::rate_limited(Duration::ZERO).into_response();
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");
    }
}
