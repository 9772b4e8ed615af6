//! The routes of SPEC §6 that Postman and services call with an API key or token: the
//! token exchange, verification, `GET /v1/me`, health and this document.
//! Every bad credential gets the same 401, whatever made it bad.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use keyward_core::{CreatedToken, Secret, Verdict};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bearer;
use crate::error::ApiError;
use crate::openapi::schema;
use crate::ApiState;

const KEY_REQUIRED: &str =
    "a valid API key is required — send it as Authorization: Bearer <api key>";
const CREDENTIAL_REQUIRED: &str =
    "a valid API key or token is required — send it as Authorization: Bearer <api key or token>";
const VERIFY_BODY: &str = "send a JSON object {\"key\":\"<api key or token>\"}";

/// `{"status":"ok","version":"…"}`
#[derive(Serialize, ToSchema)]
pub(crate) struct Health {
    #[schema(example = "ok")]
    status: &'static str,
    /// Keyward's version.
    #[schema(example = "0.1.0")]
    version: &'static str,
    /// Whether the database answers ("ok" or "unavailable"). A team server node whose
    /// database is out of reach goes on verifying from memory for a while, and refuses
    /// changes with 503 DATABASE_UNAVAILABLE.
    #[schema(example = "ok")]
    database: &'static str,
}

/// The body of `POST /v1/verify`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct VerifyRequest {
    /// An API key (`kwa_…`, `kwl_…`) or a token (`kwt_…`).
    #[schema(example = "kwa_…")]
    key: String,
    /// A permission the caller needs (`contacts:read`): a key without it answers
    /// `valid: false` with `INSUFFICIENT_PERMISSIONS`.
    #[serde(default)]
    #[schema(example = "contacts:read")]
    permission: Option<String>,
}

/// Whether the API is up.
#[utoipa::path(
    get,
    path = "/v1/health",
    tag = "keyward",
    responses((status = 200, description = "The API is up", body = Health))
)]
pub(crate) async fn health(State(s): State<ApiState>) -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        database: if s.store().database_reachable() {
            "ok"
        } else {
            "unavailable"
        },
    })
}

/// Exchange an API key for a token.
///
/// The token is shown once: store it. It expires after the token lifetime (365 days by
/// default), or with the presented key when that key was replaced and is in its grace
/// period. Counts as a use of the key. A key may have at most `max_live_tokens` (100 by
/// default) live tokens, and exchange about 10 a minute after a burst of 20.
#[utoipa::path(
    post,
    path = "/v1/tokens",
    tag = "keyward",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "A new token", body = CreatedToken),
        (status = 401, description = "No valid API key (a token is not accepted here)", body = schema::ErrorBody),
        (status = 409, description = "TOO_MANY_TOKENS: the key has as many live tokens as it may have", body = schema::ErrorBody),
        (status = 429, description = "Too many failed attempts, or this key exchanged too often (RATE_LIMITED); see Retry-After", body = schema::ErrorBody,
            headers(("Retry-After" = u64, description = "seconds to wait"))),
    )
)]
pub(crate) async fn create_token(State(s): State<ApiState>, headers: HeaderMap) -> Response {
    if s.management_only {
        return keys_off();
    }
    let Some(presented) = bearer(&headers) else {
        return s
            .refuse(ApiError::unauthorized(KEY_REQUIRED))
            .into_response();
    };
    let store = s.store().clone();
    match s
        .blocking(move || store.exchange_key_for_token(presented.expose()))
        .await
    {
        Ok(Ok(token)) => (StatusCode::CREATED, Json::<CreatedToken>(token)).into_response(),
        Ok(Err(_)) => s
            .refuse(ApiError::unauthorized(KEY_REQUIRED))
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// Check an API key or token.
///
/// Always 200 for a well-formed request: `valid` says whether the key or token works and,
/// if not, `code` says why. A valid one counts as a use.
#[utoipa::path(
    post,
    path = "/v1/verify",
    tag = "keyward",
    request_body = VerifyRequest,
    responses(
        (status = 200, description = "The verdict", body = schema::Verdict),
        (status = 400, description = "The body is not {\"key\":\"…\"}", body = schema::ErrorBody),
        (status = 413, description = "The body is over 16 KiB", body = schema::ErrorBody),
        (status = 429, description = "Too many failed verifications; see Retry-After", body = schema::ErrorBody,
            headers(("Retry-After" = u64, description = "seconds to wait"))),
    )
)]
pub(crate) async fn verify(State(s): State<ApiState>, headers: HeaderMap, body: Bytes) -> Response {
    // With the local API off, `keyward verify` on this computer still works: it presents
    // a management token (the owner's, from the data directory).
    if s.management_only && !s.presents_management_token(&headers).await {
        return keys_off();
    }
    let (presented, permission) = match parse_verify_request(&body) {
        Ok(k) => k,
        Err(e) => return e.into_response(),
    };
    match s.verify_secret(&presented, permission.as_deref()) {
        Ok(verdict) if !verdict.valid => match s.spend_failure() {
            Ok(()) => Json(verdict).into_response(),
            Err(e) => e.into_response(),
        },
        Ok(verdict) => Json(verdict).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Who an API key or token belongs to.
///
/// The same identity as a valid `POST /v1/verify`. Counts as a use.
#[utoipa::path(
    get,
    path = "/v1/me",
    tag = "keyward",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The identity behind the credential", body = schema::Verdict),
        (status = 401, description = "No valid API key or token", body = schema::ErrorBody),
        (status = 429, description = "Too many failed attempts; see Retry-After", body = schema::ErrorBody,
            headers(("Retry-After" = u64, description = "seconds to wait"))),
    )
)]
pub(crate) async fn me(State(s): State<ApiState>, headers: HeaderMap) -> Response {
    if s.management_only {
        return keys_off();
    }
    let Some(presented) = bearer(&headers) else {
        return s
            .refuse(ApiError::unauthorized(CREDENTIAL_REQUIRED))
            .into_response();
    };
    match s.verify_secret(&presented, None) {
        Ok(verdict) if verdict.valid => Json::<Verdict>(verdict).into_response(),
        Ok(_) => s
            .refuse(ApiError::unauthorized(CREDENTIAL_REQUIRED))
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "keyward",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json"))
)]
pub(crate) async fn openapi_json(State(s): State<ApiState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        s.openapi_bytes(),
    )
        .into_response()
}

/// The answer of a route for API keys on a server that takes only management routes.
impl ApiState {
    /// Whether the request carries this process's local token or a working management
    /// token.
    async fn presents_management_token(&self, headers: &HeaderMap) -> bool {
        let Some(presented) = bearer(headers) else {
            return false;
        };
        if self.is_local_token(&presented) {
            return true;
        }
        let store = self.store().clone();
        matches!(
            self.blocking(move || Ok(store.authenticate(presented.expose(), "http").is_ok()))
                .await,
            Ok(true)
        )
    }
}

fn keys_off() -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "UNKNOWN_ROUTE",
        "the local API for API keys is off — turn it on under Preferences › Local API",
    )
    .into_response()
}

/// Parses `{"key":"…"}`. The message never repeats the body: it may hold a secret.
fn parse_verify_request(body: &[u8]) -> Result<(Secret, Option<String>), ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(format!(
            "the request body is empty — {VERIFY_BODY}"
        )));
    }
    match serde_json::from_slice::<VerifyRequest>(body) {
        Ok(r) => Ok((Secret::from_text(r.key.trim().to_owned()), r.permission)),
        Err(e) if e.is_syntax() || e.is_eof() => Err(ApiError::bad_request(format!(
            "the request body is not valid JSON (line {}, column {}) — {VERIFY_BODY}",
            e.line(),
            e.column()
        ))),
        Err(_) => Err(ApiError::bad_request(format!(
            "the request body has no string \"key\" — {VERIFY_BODY}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_body_is_never_echoed() {
        let secret = "kwa_0123456789abcdefghijABCDEFGHIJ012345";
        for body in [
            format!("\"{secret}\""),
            format!("{{\"key\": [\"{secret}\"]}}"),
            format!("{{\"key\": \"{secret}\""),
        ] {
            let e = parse_verify_request(body.as_bytes()).unwrap_err();
            let text = format!("{e:?}");
            assert!(!text.contains("0123456789abcdef"), "{text}");
        }
        assert!(parse_verify_request(b"  ").is_err());
    }
}
