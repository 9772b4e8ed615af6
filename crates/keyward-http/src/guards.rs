//! What every request passes before it reaches a route:
//! - `Host` must name this server (`127.0.0.1:PORT` or `localhost:PORT`): a page whose
//!   DNS name was rebound to 127.0.0.1 sends its own name, and is refused (403);
//! - an `Origin`, if present, must be this server's own: browsers send one with every
//!   cross-site request, Postman, curl and local services do not (403);
//! - the body is read here, at most [`BODY_LIMIT`] bytes (413 beyond).
//!
//! No CORS header is ever added, so a browser never lets a foreign page read an answer.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::{ApiState, BODY_LIMIT};

pub(crate) async fn guard(State(state): State<ApiState>, req: Request, next: Next) -> Response {
    let port = state.port();
    if !host_allowed(req.headers(), req.uri(), port) {
        return ApiError::forbidden(
            "FORBIDDEN_HOST",
            "this API answers only requests addressed to 127.0.0.1 or localhost on its own port",
        )
        .into_response();
    }
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        if !origin_allowed(origin.as_bytes(), port) {
            return ApiError::forbidden(
                "FORBIDDEN_ORIGIN",
                "requests from web pages are refused — call this API from Postman, curl or a \
                 local service",
            )
            .into_response();
        }
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        return ApiError::too_large().into_response();
    }
    // Read the body here, bounded, whatever the route: a chunked body without a length
    // is cut off at the limit too.
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(b) => b,
        Err(e) if is_length_limit(&e) => return ApiError::too_large().into_response(),
        Err(_) => {
            return ApiError::bad_request("the request body could not be read").into_response()
        }
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// axum reports an over-long body as an error whose chain holds `LengthLimitError`.
fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = s.source();
    }
    false
}

fn host_allowed(headers: &HeaderMap, uri: &Uri, port: u16) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    if !is_own_authority(host, port) {
        return false;
    }
    // An absolute-form request line (`GET http://elsewhere/ HTTP/1.1`) must agree.
    uri.authority()
        .is_none_or(|a| is_own_authority(a.as_str(), port))
}

fn is_own_authority(authority: &str, port: u16) -> bool {
    let Some((name, p)) = authority.rsplit_once(':') else {
        return false;
    };
    p.parse::<u16>().ok() == Some(port)
        && (name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost"))
}

fn origin_allowed(origin: &[u8], port: u16) -> bool {
    let Ok(origin) = std::str::from_utf8(origin) else {
        return false;
    };
    let Some(authority) = origin.strip_prefix("http://") else {
        return false;
    };
    is_own_authority(authority.trim_end_matches('/'), port)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_servers_own_names_are_accepted() {
        assert!(is_own_authority("127.0.0.1:7420", 7420));
        assert!(is_own_authority("localhost:7420", 7420));
        assert!(is_own_authority("LocalHost:7420", 7420));
        assert!(!is_own_authority("127.0.0.1:7421", 7420));
        assert!(!is_own_authority("127.0.0.1", 7420));
        assert!(!is_own_authority("evil.example:7420", 7420));
        assert!(!is_own_authority("localhost.evil.example:7420", 7420));
        assert!(!is_own_authority("[::1]:7420", 7420));
    }

    #[test]
    fn only_this_servers_own_origin_is_accepted() {
        assert!(origin_allowed(b"http://127.0.0.1:7420", 7420));
        assert!(origin_allowed(b"http://localhost:7420", 7420));
        assert!(!origin_allowed(b"https://127.0.0.1:7420", 7420));
        assert!(!origin_allowed(b"null", 7420));
        assert!(!origin_allowed(b"http://evil.example", 7420));
        assert!(!origin_allowed(b"http://127.0.0.1:7420.evil.example", 7420));
    }
}
