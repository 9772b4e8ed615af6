//! Who a token acts as, and the site managers.

use keyward_core::{ClearReport, Impact, NewUser, Session, UserEdit, UserView};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{created, Answer, Body, Caller, Created, Id, Page, PageQuery, Query};
use crate::openapi::schema::ErrorBody;

/// `{"active": true|false}`
#[derive(Deserialize, ToSchema)]
pub(crate) struct ActiveBody {
    active: bool,
}

/// `{"on": true|false}`
#[derive(Deserialize, ToSchema)]
pub(crate) struct OnBody {
    pub on: bool,
}

/// Who the token acts as.
///
/// The site manager behind the management token (null for a store's local owner who has
/// not said who they are), their role, and where the store is.
#[utoipa::path(
    get,
    path = "/v1/session",
    tag = "session",
    security(("bearer" = [])),
    responses((status = 200, description = "The acting site manager and their role", body = Session))
)]
pub(crate) async fn session(caller: Caller) -> Answer<Session> {
    caller.run(|m| m.session()).await.map(axum::Json)
}

/// List site managers.
///
/// An admin sees everyone; a manager only themselves.
#[utoipa::path(
    get,
    path = "/v1/users",
    tag = "users",
    security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, description = "A page of site managers", body = Page<UserView>))
)]
pub(crate) async fn list_users(
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> Answer<Page<UserView>> {
    let paging = q.paging()?;
    let all = caller.run(|m| m.list_users()).await?;
    Ok(axum::Json(paging.page(all)))
}

/// Add a site manager.
///
/// Admins only. `admin` makes them an admin (API access on); otherwise a manager (API
/// access off until turned on).
#[utoipa::path(
    post,
    path = "/v1/users",
    tag = "users",
    security(("bearer" = [])),
    request_body = NewUser,
    responses(
        (status = 201, description = "The new site manager", body = UserView),
        (status = 400, description = "A name or email that is not acceptable (`field` says which)", body = ErrorBody),
        (status = 403, description = "Only an admin may add site managers", body = ErrorBody),
        (status = 409, description = "EMAIL_TAKEN", body = ErrorBody),
    )
)]
pub(crate) async fn add_user(caller: Caller, Body(new): Body<NewUser>) -> Created<UserView> {
    caller.run(move |m| m.add_user(new)).await.map(created)
}

/// One site manager.
#[utoipa::path(
    get,
    path = "/v1/users/{user}",
    tag = "users",
    security(("bearer" = [])),
    params(("user" = String, Path, description = "A user id (`usr_…`) or email")),
    responses(
        (status = 200, description = "The site manager", body = UserView),
        (status = 403, description = "A manager asked for someone else", body = ErrorBody),
        (status = 404, description = "No such site manager", body = ErrorBody),
    )
)]
pub(crate) async fn get_user(caller: Caller, Id(user): Id) -> Answer<UserView> {
    caller
        .run(move |m| m.user_view(&user))
        .await
        .map(axum::Json)
}

/// Rename a site manager or change their email.
///
/// Admins only.
#[utoipa::path(
    patch,
    path = "/v1/users/{user}",
    tag = "users",
    security(("bearer" = [])),
    params(("user" = String, Path, description = "A user id (`usr_…`) or email")),
    request_body = UserEdit,
    responses(
        (status = 200, description = "The site manager", body = UserView),
        (status = 400, description = "A name or email that is not acceptable (`field` says which)", body = ErrorBody),
        (status = 403, description = "Only an admin may edit site managers", body = ErrorBody),
        (status = 404, description = "No such site manager", body = ErrorBody),
        (status = 409, description = "EMAIL_TAKEN", body = ErrorBody),
    )
)]
pub(crate) async fn edit_user(
    caller: Caller,
    Id(user): Id,
    Body(edit): Body<UserEdit>,
) -> Answer<UserView> {
    caller
        .run(move |m| m.edit_user(&user, edit))
        .await
        .map(axum::Json)
}

/// Deactivate or reactivate a site manager.
///
/// Admins only. A deactivated site manager's keys and tokens stop working until they are
/// reactivated.
#[utoipa::path(
    put,
    path = "/v1/users/{user}/active",
    tag = "users",
    security(("bearer" = [])),
    params(("user" = String, Path, description = "A user id (`usr_…`) or email")),
    request_body = ActiveBody,
    responses(
        (status = 200, description = "The site manager", body = UserView),
        (status = 403, description = "Only an admin may do this", body = ErrorBody),
        (status = 404, description = "No such site manager", body = ErrorBody),
    )
)]
pub(crate) async fn set_user_active(
    caller: Caller,
    Id(user): Id,
    Body(b): Body<ActiveBody>,
) -> Answer<UserView> {
    caller
        .run(move |m| m.set_user_active(&user, b.active))
        .await
        .map(axum::Json)
}

/// Turn a site manager's API access on or off.
///
/// Admins only. While it is off, their keys and tokens do not verify.
#[utoipa::path(
    put,
    path = "/v1/users/{user}/api-access",
    tag = "users",
    security(("bearer" = [])),
    params(("user" = String, Path, description = "A user id (`usr_…`) or email")),
    request_body = OnBody,
    responses(
        (status = 200, description = "The site manager", body = UserView),
        (status = 403, description = "Only an admin may do this", body = ErrorBody),
        (status = 404, description = "No such site manager", body = ErrorBody),
    )
)]
pub(crate) async fn set_api_access(
    caller: Caller,
    Id(user): Id,
    Body(b): Body<OnBody>,
) -> Answer<UserView> {
    caller
        .run(move |m| m.set_api_access(&user, b.on))
        .await
        .map(axum::Json)
}

/// What turning a site manager's access off, deactivating them or clearing their keys
/// would stop.
///
/// Their keys that work now (newest first), those keys' live tokens, and how many of the
/// keys are in use (used in the last 30 days, or with live tokens): what a confirmation
/// names before the change. Admins only.
#[utoipa::path(
    get,
    path = "/v1/users/{user}/impact",
    tag = "users",
    security(("bearer" = [])),
    params(("user" = String, Path, description = "A user id (`usr_…`) or email")),
    responses(
        (status = 200, description = "What would stop working", body = Impact),
        (status = 403, description = "Only an admin may do this", body = ErrorBody),
        (status = 404, description = "No such site manager", body = ErrorBody),
    )
)]
pub(crate) async fn user_impact(caller: Caller, Id(user): Id) -> Answer<Impact> {
    caller
        .run(move |m| m.user_impact(&user))
        .await
        .map(axum::Json)
}

/// Revoke every key and token of a site manager.
///
/// Admins only.
#[utoipa::path(
    post,
    path = "/v1/users/{user}/clear-keys",
    tag = "users",
    security(("bearer" = [])),
    params(("user" = String, Path, description = "A user id (`usr_…`) or email")),
    responses(
        (status = 200, description = "What was revoked", body = ClearReport),
        (status = 403, description = "Only an admin may do this", body = ErrorBody),
        (status = 404, description = "No such site manager", body = ErrorBody),
    )
)]
pub(crate) async fn clear_user_keys(caller: Caller, Id(user): Id) -> Answer<ClearReport> {
    caller
        .run(move |m| m.clear_user_keys(&user))
        .await
        .map(axum::Json)
}
