//! What every request passes before it reaches a route:
//! - `Host` must name this server (`127.0.0.1:PORT` or `localhost:PORT`, or a name given
//!   with `--public-host`): a page whose DNS name was rebound to this server sends its
//!   own name, and is refused (403);
//! - an `Origin`, if present, must be this server's own: browsers send one with every
//!   cross-site request, Postman, curl and services do not (403);
//! - the body is read here, at most [`BODY_LIMIT`] bytes (413 beyond).
//!
//! It also settles who the client is for the failure budget: the peer's address, or, when
//! the peer is a trusted proxy, the address the proxy puts in `X-Forwarded-For`.
//!
//! No CORS header is ever added, so a browser never lets a foreign page read an answer.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::{ApiState, Cidr, BODY_LIMIT};

/// The connection's peer, set on each request by the accept loop.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Peer(pub SocketAddr);

tokio::task_local! {
    /// The client the request being answered counts against.
    static CLIENT: IpAddr;
}

/// The client of the request being answered (127.0.0.1 outside one).
pub(crate) fn client() -> IpAddr {
    CLIENT
        .try_with(|c| *c)
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

/// The peer, or — when the peer is a trusted proxy — the nearest address in
/// `X-Forwarded-For` that is not itself a trusted proxy.
fn client_of(peer: IpAddr, headers: &HeaderMap, trusted: &[Cidr]) -> IpAddr {
    if !trusted.iter().any(|c| c.contains(peer)) {
        return peer;
    }
    let hops: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    hops.into_iter()
        .rev()
        .find(|ip| !trusted.iter().any(|c| c.contains(*ip)))
        .unwrap_or(peer)
}

pub(crate) async fn guard(State(state): State<ApiState>, req: Request, next: Next) -> Response {
    let port = state.port();
    let names = state.public_hosts();
    if !host_allowed(req.headers(), req.uri(), port, names) {
        return ApiError::forbidden(
            "FORBIDDEN_HOST",
            "this API answers only requests addressed to its own host name and port",
        )
        .into_response();
    }
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        if !origin_allowed(origin.as_bytes(), port, names) {
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
    let peer = parts
        .extensions
        .get::<Peer>()
        .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |p| p.0.ip());
    let client = client_of(peer, &parts.headers, state.trusted_proxies());
    CLIENT
        .scope(
            client,
            next.run(Request::from_parts(parts, Body::from(bytes))),
        )
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

fn host_allowed(headers: &HeaderMap, uri: &Uri, port: u16, names: &[String]) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    if !is_own_authority(host, port, names) {
        return false;
    }
    // An absolute-form request line (`GET http://elsewhere/ HTTP/1.1`) must agree.
    uri.authority()
        .is_none_or(|a| is_own_authority(a.as_str(), port, names))
}

/// `127.0.0.1:PORT`, `localhost:PORT`, or a public name.
fn is_own_authority(authority: &str, port: u16, names: &[String]) -> bool {
    is_loopback_authority(authority, port) || is_public_name(authority, names)
}

/// `127.0.0.1:PORT` or `localhost:PORT`, on this server's own port.
fn is_loopback_authority(authority: &str, port: u16) -> bool {
    let Some((name, p)) = authority.rsplit_once(':') else {
        return false;
    };
    p.parse::<u16>().ok() == Some(port)
        && (name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost"))
}

/// A name given with `--public-host`: `NAME` (any port, as a proxy in front may use its
/// own) or `NAME:PORT` as given.
fn is_public_name(authority: &str, names: &[String]) -> bool {
    names.iter().any(|n| {
        authority.eq_ignore_ascii_case(n)
            || (!n.contains(':')
                && authority.rsplit_once(':').is_some_and(|(name, p)| {
                    name.eq_ignore_ascii_case(n) && p.parse::<u16>().is_ok()
                }))
    })
}

/// This server's own origin: `http://` on loopback, or `https://` with a public name (a
/// public name is served over TLS, or by a proxy that terminates it).
fn origin_allowed(origin: &[u8], port: u16, names: &[String]) -> bool {
    let Ok(origin) = std::str::from_utf8(origin) else {
        return false;
    };
    let origin = origin.trim_end_matches('/');
    if let Some(authority) = origin.strip_prefix("http://") {
        return is_loopback_authority(authority, port);
    }
    origin
        .strip_prefix("https://")
        .is_some_and(|a| is_public_name(a, names))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_servers_own_names_are_accepted() {
        let none: &[String] = &[];
        assert!(is_own_authority("127.0.0.1:7420", 7420, none));
        assert!(is_own_authority("localhost:7420", 7420, none));
        assert!(is_own_authority("LocalHost:7420", 7420, none));
        assert!(!is_own_authority("127.0.0.1:7421", 7420, none));
        assert!(!is_own_authority("127.0.0.1", 7420, none));
        assert!(!is_own_authority("evil.example:7420", 7420, none));
        assert!(!is_own_authority("localhost.evil.example:7420", 7420, none));
        assert!(!is_own_authority("[::1]:7420", 7420, none));
    }

    #[test]
    fn public_names_extend_the_list_and_nothing_else_does() {
        let names = vec!["keys.example.org".to_owned(), "10.0.0.5:8443".to_owned()];
        assert!(is_own_authority("keys.example.org", 7420, &names));
        assert!(is_own_authority("KEYS.example.org:443", 7420, &names));
        assert!(is_own_authority("10.0.0.5:8443", 7420, &names));
        assert!(!is_own_authority("10.0.0.5:7420", 7420, &names));
        assert!(!is_own_authority(
            "keys.example.org.evil.example",
            7420,
            &names
        ));
        assert!(!is_own_authority("evil.example:7420", 7420, &names));
        assert!(origin_allowed(b"https://keys.example.org", 7420, &names));
        assert!(!origin_allowed(b"http://keys.example.org", 7420, &names));
        assert!(!origin_allowed(b"https://evil.example", 7420, &names));
    }

    #[test]
    fn only_this_servers_own_origin_is_accepted() {
        let none: &[String] = &[];
        assert!(origin_allowed(b"http://127.0.0.1:7420", 7420, none));
        assert!(origin_allowed(b"http://localhost:7420", 7420, none));
        assert!(!origin_allowed(b"https://127.0.0.1:7420", 7420, none));
        assert!(!origin_allowed(b"null", 7420, none));
        assert!(!origin_allowed(b"http://evil.example", 7420, none));
        assert!(!origin_allowed(
            b"http://127.0.0.1:7420.evil.example",
            7420,
            none
        ));
    }

    #[test]
    fn behind_a_trusted_proxy_the_client_is_the_forwarded_address() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let trusted = vec![Cidr::parse("10.0.0.0/24").unwrap()];
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            "198.51.100.7, 203.0.113.9, 10.0.0.3".parse().unwrap(),
        );
        assert_eq!(
            client_of(proxy, &h, &trusted),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        // From anyone else the header is not believed.
        let stranger: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(client_of(stranger, &h, &trusted), stranger);
        assert_eq!(client_of(proxy, &HeaderMap::new(), &trusted), proxy);
    }
}
