//! The routes of SPEC §6. Each handler parses, hands the store call to the blocking pool
//! (see `pool`: a store call may write durably) — or, for a verification that cannot,
//! makes it on the spot — and answers.
//! Every bad credential gets the same 401, whatever made it bad.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodFilter;
use axum::{Json, Router};
use keyward_core::{CreatedToken, Secret, Verdict};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::openapi::{schema, BearerAuth};
use crate::ApiState;

const KEY_REQUIRED: &str =
    "a valid API key is required — send it as Authorization: Bearer <api key>";
const CREDENTIAL_REQUIRED: &str =
    "a valid API key or token is required — send it as Authorization: Bearer <api key or token>";
const VERIFY_BODY: &str = "send a JSON object {\"key\":\"<api key or token>\"}";

/// The API's routes, declared once: each handler's `#[utoipa::path]` gives its method and
/// path, which both the router and the OpenAPI document (`ApiDoc`) take from it. Each
/// handler is named with the path type utoipa generates for it (`__path_<handler>`).
macro_rules! api_routes {
    ($($handler:ident: $path:ident),* $(,)?) => {
        pub(crate) fn router(state: ApiState) -> Router {
            let mut router = Router::new();
            $(
                router = router.route(
                    &<$path as utoipa::Path>::path(),
                    method_router(<$path as utoipa::Path>::methods(), $handler),
                );
            )*
            router
                .fallback(not_found)
                .method_not_allowed_fallback(method_not_allowed)
                .with_state(state)
        }

        #[derive(utoipa::OpenApi)]
        #[openapi(
            info(
                title = "Keyward local API",
                description = "Keyward's loopback API: exchange an API key for a token, verify \
                               keys and tokens, ask who a credential belongs to. Listens on \
                               127.0.0.1 only; requests from web pages (a foreign Host or \
                               Origin) are refused. Errors are {\"error\":{\"code\",\"message\"}}."
            ),
            paths($($handler),*),
            modifiers(&BearerAuth),
            tags((name = "keyward", description = "API keys and tokens"))
        )]
        pub(crate) struct ApiDoc;
    };
}

api_routes!(
    health: __path_health,
    create_token: __path_create_token,
    verify: __path_verify,
    me: __path_me,
    openapi_json: __path_openapi_json,
);

/// An axum method router serving `handler` for the methods its OpenAPI path names.
fn method_router<H, T>(
    methods: Vec<utoipa::openapi::path::HttpMethod>,
    handler: H,
) -> axum::routing::MethodRouter<ApiState>
where
    H: axum::handler::Handler<T, ApiState>,
    T: 'static,
{
    use utoipa::openapi::path::HttpMethod;
    let filter = methods
        .iter()
        .map(|m| match m {
            HttpMethod::Get => MethodFilter::GET,
            HttpMethod::Post => MethodFilter::POST,
            HttpMethod::Put => MethodFilter::PUT,
            HttpMethod::Delete => MethodFilter::DELETE,
            HttpMethod::Patch => MethodFilter::PATCH,
            HttpMethod::Head => MethodFilter::HEAD,
            HttpMethod::Options => MethodFilter::OPTIONS,
            HttpMethod::Trace => MethodFilter::TRACE,
        })
        .reduce(MethodFilter::or)
        .unwrap_or(MethodFilter::GET);
    axum::routing::on(filter, handler)
}

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
        (status = 201, description = "A new token", body = schema::TokenAnswer),
        (status = 401, description = "No valid API key (a token is not accepted here)", body = schema::ErrorBody),
        (status = 409, description = "TOO_MANY_TOKENS: the key has as many live tokens as it may have", body = schema::ErrorBody),
        (status = 429, description = "Too many failed attempts, or this key exchanged too often (RATE_LIMITED); see Retry-After", body = schema::ErrorBody,
            headers(("Retry-After" = u64, description = "seconds to wait"))),
    )
)]
pub(crate) async fn create_token(State(s): State<ApiState>, headers: HeaderMap) -> Response {
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
pub(crate) async fn verify(State(s): State<ApiState>, body: Bytes) -> Response {
    let presented = match parse_verify_request(&body) {
        Ok(k) => k,
        Err(e) => return e.into_response(),
    };
    match s.verify_secret(&presented) {
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
    let Some(presented) = bearer(&headers) else {
        return s
            .refuse(ApiError::unauthorized(CREDENTIAL_REQUIRED))
            .into_response();
    };
    match s.verify_secret(&presented) {
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

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "UNKNOWN_ROUTE",
        "no such route — see GET /openapi.json for this API's routes",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        "this route does not take that method — see GET /openapi.json",
    )
}

/// The credential of `Authorization: Bearer <secret>`, kept as a `Secret` (wiped on drop).
fn bearer(headers: &HeaderMap) -> Option<Secret> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| Secret::from_text(rest.trim().to_owned()))
}

/// Parses `{"key":"…"}`. The message never repeats the body: it may hold a secret.
fn parse_verify_request(body: &[u8]) -> Result<Secret, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(format!(
            "the request body is empty — {VERIFY_BODY}"
        )));
    }
    match serde_json::from_slice::<VerifyRequest>(body) {
        Ok(r) => Ok(Secret::from_text(r.key.trim().to_owned())),
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

impl ApiState {
    /// Runs a store call off the async workers (see `pool`).
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> keyward_core::Result<T> + Send + 'static,
    ) -> Result<T, ApiError> {
        match self.inner.store_calls.run(f).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(ApiError::from_store(&e)),
            Err(_) => Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "the request could not be completed",
            )),
        }
    }

    /// Verifies on this worker: a verification never waits for the disk (the store only
    /// counts failures; `housekeeping` writes their summary), and a trip through the pool
    /// costs more than the verification itself.
    fn verify_secret(&self, presented: &Secret) -> Result<Verdict, ApiError> {
        self.store()
            .verify(presented.expose())
            .map_err(|e| ApiError::from_store(&e))
    }

    /// Spends one failure from the client's budget; the 429 to answer instead when it is
    /// spent.
    fn spend_failure(&self) -> Result<(), ApiError> {
        self.inner
            .failures
            .spend(crate::guards::client())
            .map_err(ApiError::rate_limited)
    }

    /// The answer to a failed attempt: `e`, or 429 once failures exceed the budget.
    fn refuse(&self, e: ApiError) -> ApiError {
        match self.spend_failure() {
            Ok(()) => e,
            Err(limited) => limited,
        }
    }

    fn openapi_bytes(&self) -> Bytes {
        self.inner.openapi.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_takes_any_case_and_trims() {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, "bearer  kwa_x ".parse().unwrap());
        assert_eq!(bearer(&h).unwrap().expose(), "kwa_x");
        h.insert(header::AUTHORIZATION, "Basic a2V5".parse().unwrap());
        assert!(bearer(&h).is_none());
    }

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
