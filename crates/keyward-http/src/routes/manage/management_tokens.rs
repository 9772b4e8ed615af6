//! Management tokens: what a script, the command line or the desktop app presents to
//! these routes.

use keyward_core::management::parse_lifetime;
use keyward_core::{CreatedManagementToken, ManagementTokenView};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{created, list_query, Answer, Body, Caller, Created, Id, Page, Query};
use crate::error::ApiError;
use crate::openapi::schema::ErrorBody;

list_query!(
    /// Whose management tokens.
    ManagementTokenQuery {
        /// Only this site manager's tokens (a user id or email).
        user,
    }
);

/// A new management token.
#[derive(Deserialize, ToSchema)]
pub(crate) struct NewManagementToken {
    /// The site manager it acts as (a user id or email).
    #[schema(example = "ada@example.com")]
    user: String,
    /// What it is for ("Management token" unless given).
    #[serde(default)]
    name: Option<String>,
    /// How long it works: hours or days (`12h`, `30d`, at most `366d`) or `never` (the
    /// default).
    #[serde(default)]
    #[schema(example = "90d")]
    expires: Option<String>,
}

/// List management tokens.
///
/// A manager sees only their own.
#[utoipa::path(
    get,
    path = "/v1/management-tokens",
    tag = "management-tokens",
    security(("bearer" = [])),
    params(ManagementTokenQuery),
    responses(
        (status = 200, description = "A page of management tokens, newest first", body = Page<ManagementTokenView>),
        (status = 403, description = "A manager named someone else", body = ErrorBody),
        (status = 404, description = "No such site manager", body = ErrorBody),
    )
)]
pub(crate) async fn list_management_tokens(
    caller: Caller,
    Query(q): Query<ManagementTokenQuery>,
) -> Answer<Page<ManagementTokenView>> {
    let paging = q.paging()?;
    let all = caller
        .run(move |m| m.list_management_tokens(q.user.as_deref()))
        .await?;
    Ok(axum::Json(paging.page(all)))
}

/// Create a management token.
///
/// It acts as `user`, with their role. The token is in the answer this once; Keyward
/// keeps only its SHA-256 hash.
#[utoipa::path(
    post,
    path = "/v1/management-tokens",
    tag = "management-tokens",
    security(("bearer" = [])),
    request_body = NewManagementToken,
    responses(
        (status = 201, description = "The new management token, with `token` shown once", body = CreatedManagementToken),
        (status = 400, description = "A name or lifetime that is not acceptable (`field` says which)", body = ErrorBody),
        (status = 403, description = "A manager named someone else", body = ErrorBody),
        (status = 404, description = "No such site manager", body = ErrorBody),
        (status = 409, description = "USER_DEACTIVATED", body = ErrorBody),
    )
)]
pub(crate) async fn create_management_token(
    caller: Caller,
    Body(new): Body<NewManagementToken>,
) -> Created<CreatedManagementToken> {
    let lifetime = match new.expires.as_deref() {
        Some(text) => parse_lifetime(text).map_err(|e| ApiError::from_store(&e))?,
        None => None,
    };
    caller
        .run(move |m| m.create_management_token(&new.user, new.name.as_deref(), lifetime))
        .await
        .map(created)
}

/// Revoke a management token.
///
/// For good: it is refused from then on.
#[utoipa::path(
    post,
    path = "/v1/management-tokens/{id}/revoke",
    tag = "management-tokens",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "A management token id (`mgt_…`)")),
    responses(
        (status = 200, description = "The management token", body = ManagementTokenView),
        (status = 403, description = "Another site manager's token", body = ErrorBody),
        (status = 404, description = "No such management token", body = ErrorBody),
    )
)]
pub(crate) async fn revoke_management_token(
    caller: Caller,
    Id(id): Id,
) -> Answer<ManagementTokenView> {
    caller
        .run(move |m| m.revoke_management_token(&id))
        .await
        .map(axum::Json)
}
