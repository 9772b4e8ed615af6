//! The management routes (docs/management-api.md): every action of the app and the
//! command line, for the site manager a management token acts as. A handler names its
//! inputs — [`Caller`], an [`Id`] from the path, a [`Query`], a [`Body`] — and hands one
//! [`Manage`] call to the blocking pool as the caller; the role checks and the audit are
//! the core's (`Acting`).

pub(crate) mod audit;
pub(crate) mod keys;
pub(crate) mod locations;
pub(crate) mod management_tokens;
pub(crate) mod settings;
pub(crate) mod tokens;
pub(crate) mod users;
pub(crate) mod webhooks;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use keyward_core::{Acting, Actor, Manage, Secret};
use serde::de::DeserializeOwned;
use serde::Serialize;
use utoipa::openapi::path::ParameterIn;
use utoipa::{IntoParams, ToSchema};

use super::bearer;
use crate::error::ApiError;
use crate::ApiState;

/// What a management route answers: the value as JSON, or the error.
pub(crate) type Answer<T> = Result<Json<T>, ApiError>;

/// A new object: 201 with it.
pub(crate) type Created<T> = Result<(StatusCode, Json<T>), ApiError>;

pub(crate) fn created<T>(v: T) -> (StatusCode, Json<T>) {
    (StatusCode::CREATED, Json(v))
}

/// The header a client names its channel with; the audit log shows it.
pub(crate) const CLIENT_HEADER: &str = "x-keyward-client";

/// The channel a request comes through: `cli` or `desktop` when `X-Keyward-Client` says
/// so, otherwise none (the caller picks the default).
fn named_channel(headers: &HeaderMap) -> Option<&'static str> {
    match headers.get(CLIENT_HEADER)?.to_str().ok()?.trim() {
        c if c.eq_ignore_ascii_case("cli") => Some("cli"),
        c if c.eq_ignore_ascii_case("desktop") => Some("desktop"),
        _ => None,
    }
}

/// The site manager a request acts as. Authenticated before anything else of the request
/// is looked at: a management token (`Store::authenticate`), or this process's local
/// token, which acts as the store's local owner. Anything else is 401 and spends the
/// client's failure budget, like a failed verification.
pub(crate) struct Caller {
    state: ApiState,
    actor: Actor,
}

impl FromRequestParts<ApiState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        let presented = bearer(&parts.headers).unwrap_or_else(|| Secret::from_text(String::new()));
        let channel = named_channel(&parts.headers);
        let local = state.is_local_token(&presented);
        let store = state.store().clone();
        let found = state
            .blocking(move || {
                if local {
                    let mut owner = store.local_actor();
                    owner.channel = channel.unwrap_or("cli").to_owned();
                    Ok(owner)
                } else {
                    store.authenticate(presented.expose(), channel.unwrap_or("http"))
                }
            })
            .await;
        match found {
            Ok(actor) => Ok(Caller {
                state: state.clone(),
                actor,
            }),
            Err(e) if e.status() == StatusCode::UNAUTHORIZED => Err(state.refuse(e)),
            Err(e) => Err(e),
        }
    }
}

impl Caller {
    /// Runs `f` on the blocking pool, as the caller.
    pub(crate) async fn run<T: Send + 'static>(
        self,
        f: impl FnOnce(&dyn Manage) -> keyward_core::Result<T> + Send + 'static,
    ) -> Result<T, ApiError> {
        let store = self.state.store().clone();
        let actor = self.actor;
        self.state
            .blocking(move || f(&Acting::new(&store, actor)))
            .await
    }
}

/// The one parameter of a route's path (a user id or email, or an object's id),
/// percent-decoded.
pub(crate) struct Id(pub String);

impl FromRequestParts<ApiState> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(id)) => Ok(Id(id)),
            Err(e) => Err(ApiError::bad_request(format!(
                "the path cannot be read: {}",
                e.body_text()
            ))),
        }
    }
}

/// A route's JSON body. An empty body stands for `{}` (a route whose fields all have
/// defaults takes none); anything that is not the JSON the route takes is 400
/// `INVALID_REQUEST`.
pub(crate) struct Body<T>(pub T);

impl<T: DeserializeOwned> FromRequest<ApiState> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &ApiState) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::bad_request("the request body could not be read"))?;
        parse_body(&bytes).map(Body)
    }
}

fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    serde_json::from_slice(text).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            ApiError::bad_request(format!(
                "the request body is not valid JSON (line {}, column {}) — send the JSON \
                 object this route takes (see GET /openapi.json)",
                e.line(),
                e.column()
            ))
        } else {
            ApiError::bad_request(format!(
                "the request body is not what this route takes: {e} — see GET /openapi.json"
            ))
        }
    })
}

/// A route's query parameters, declared once by `T`: its `IntoParams` names the
/// parameters the route takes (and documents them); a parameter it does not name is 400
/// `INVALID_INPUT` with that `field`. An empty value counts as absent.
pub(crate) struct Query<T>(pub T);

impl<T: DeserializeOwned + IntoParams> FromRequestParts<ApiState> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &ApiState) -> Result<Self, ApiError> {
        parse_query(parts.uri.query().unwrap_or_default()).map(Query)
    }
}

fn parse_query<T: DeserializeOwned + IntoParams>(query: &str) -> Result<T, ApiError> {
    let names: Vec<String> = T::into_params(|| Some(ParameterIn::Query))
        .into_iter()
        .map(|p| p.name)
        .collect();
    let mut given = serde_json::Map::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if !names.iter().any(|n| *n == name) {
            let takes = if names.is_empty() {
                "it takes none".to_owned()
            } else {
                format!("it takes {}", names.join(", "))
            };
            return Err(ApiError::invalid_field(
                name.clone().into_owned(),
                format!("this route has no parameter '{name}' — {takes}"),
            ));
        }
        if !value.is_empty() {
            given.insert(
                name.into_owned(),
                serde_json::Value::from(value.into_owned()),
            );
        }
    }
    serde_json::from_value(serde_json::Value::Object(given))
        .map_err(|e| ApiError::bad_request(format!("the query cannot be read: {e}")))
}

/// The default and the largest `limit`.
pub(crate) const LIMIT_DEFAULT: usize = 100;
pub(crate) const LIMIT_MAX: usize = 500;

/// Declares a list route's query parameters: its own (each an optional text) and `limit`
/// and `cursor`, which every list takes.
macro_rules! list_query {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
        #[into_params(parameter_in = Query)]
        pub(crate) struct $name {
            $($(#[$fmeta])* pub $field: Option<String>,)*
            /// How many items the page holds: 1 to 500 (100 unless given).
            #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
            pub limit: Option<String>,
            /// Where the page starts: the `next_cursor` of the page before, unchanged.
            pub cursor: Option<String>,
        }

        impl $name {
            /// The page asked for by `limit` and `cursor`.
            pub fn paging(&self) -> Result<$crate::routes::manage::Paging, $crate::error::ApiError> {
                $crate::routes::manage::Paging::parse(self.limit.as_deref(), self.cursor.as_deref())
            }
        }
    };
}
pub(crate) use list_query;

list_query!(
    /// The query of a list that takes only `limit` and `cursor`.
    PageQuery {}
);

/// Which items of a list a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Paging {
    pub offset: usize,
    pub limit: usize,
}

impl Paging {
    pub fn parse(limit: Option<&str>, cursor: Option<&str>) -> Result<Paging, ApiError> {
        let limit = match limit {
            None => LIMIT_DEFAULT,
            Some(text) => text
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=LIMIT_MAX).contains(n))
                .ok_or_else(|| {
                    ApiError::invalid_field(
                        "limit",
                        format!("limit '{text}' is not a whole number from 1 to {LIMIT_MAX}"),
                    )
                })?,
        };
        let offset = match cursor {
            None => 0,
            Some(text) => decode_cursor(text).ok_or_else(|| {
                ApiError::invalid_field(
                    "cursor",
                    format!(
                        "cursor '{text}' is not one this server gave — pass a page's \
                         next_cursor back unchanged"
                    ),
                )
            })?,
        };
        Ok(Paging { offset, limit })
    }

    /// How many items to read of a list read from its start: this page, and one past it
    /// (to know whether another page follows).
    pub fn reach(&self) -> usize {
        self.offset.saturating_add(self.limit).saturating_add(1)
    }

    /// This page of `all` (the whole list, or its first [`Paging::reach`] items).
    pub fn page<T>(&self, all: Vec<T>) -> Page<T> {
        let len = all.len();
        let items: Vec<T> = all.into_iter().skip(self.offset).take(self.limit).collect();
        let end = self.offset.saturating_add(items.len());
        Page {
            next_cursor: self.next(end, len),
            items,
        }
    }

    /// The cursor of the page that starts at `end`, if items remain there.
    pub fn next(&self, end: usize, len: usize) -> Option<String> {
        (end < len).then(|| encode_cursor(end))
    }
}

/// A cursor is opaque to clients; today it holds the offset of the page it starts.
fn encode_cursor(offset: usize) -> String {
    format!("o{offset:x}")
}

fn decode_cursor(text: &str) -> Option<usize> {
    let hex = text.strip_prefix('o')?;
    if hex.is_empty() || hex.starts_with('+') {
        return None;
    }
    usize::from_str_radix(hex, 16).ok()
}

/// A page of a list: `next_cursor` is null on the last page.
#[derive(Serialize, ToSchema)]
pub(crate) struct Page<T> {
    pub items: Vec<T>,
    /// Pass it back as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_defaults_to_the_first_hundred_and_bounds_the_limit() {
        assert_eq!(
            Paging::parse(None, None).unwrap(),
            Paging {
                offset: 0,
                limit: 100
            }
        );
        for bad in ["0", "501", "-1", "ten", "1.5"] {
            let e = Paging::parse(Some(bad), None).unwrap_err();
            assert_eq!(e.status(), StatusCode::BAD_REQUEST, "{bad}");
        }
        for bad in ["", "o", "12", "o+1", "ozz", "x10"] {
            assert!(Paging::parse(None, Some(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn pages_chain_through_their_cursors_to_the_last() {
        let all: Vec<usize> = (0..250).collect();
        let mut cursor: Option<String> = None;
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let p = Paging::parse(Some("100"), cursor.as_deref()).unwrap();
            let page = p.page(all.clone());
            seen.extend(page.items);
            pages += 1;
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!((pages, seen), (3, all));
        // A list read only as far as it needs ends where it ends.
        let p = Paging::parse(Some("10"), None).unwrap();
        assert_eq!(
            p.page((0..p.reach()).collect()).next_cursor.as_deref(),
            Some("oa")
        );
        assert_eq!(p.page((0..10).collect()).next_cursor, None);
    }

    #[test]
    fn a_query_names_only_the_parameters_its_route_takes() {
        let q: PageQuery = parse_query("limit=5&cursor=").unwrap();
        assert_eq!((q.limit.as_deref(), q.cursor), (Some("5"), None));
        let e = parse_query::<PageQuery>("limt=5").unwrap_err();
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert!(format!("{e:?}").contains("limt"));
    }

    #[test]
    fn an_empty_body_stands_for_an_empty_object() {
        #[derive(serde::Deserialize, Debug)]
        struct Dry {
            #[serde(default)]
            dry_run: bool,
        }
        assert!(!parse_body::<Dry>(b" ").unwrap().dry_run);
        assert!(parse_body::<Dry>(b"{\"dry_run\":true}").unwrap().dry_run);
        assert!(parse_body::<Dry>(b"{\"dry_run\":").is_err());
        assert!(parse_body::<Dry>(b"{\"dry_run\":\"yes\"}").is_err());
    }
}
