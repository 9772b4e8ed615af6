//! Locations: what a location-scoped key is scoped to.

use keyward_core::LocationView;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{created, Answer, Body, Caller, Created, Id, Page, PageQuery, Query};
use crate::openapi::schema::ErrorBody;

/// `{"name": "…"}`
#[derive(Deserialize, ToSchema)]
pub(crate) struct NameBody {
    #[schema(example = "Downtown")]
    pub name: String,
}

/// List locations.
#[utoipa::path(
    get,
    path = "/v1/locations",
    tag = "locations",
    security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, description = "A page of locations", body = Page<LocationView>))
)]
pub(crate) async fn list_locations(
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> Answer<Page<LocationView>> {
    let paging = q.paging()?;
    let all = caller.run(|m| m.list_locations()).await?;
    Ok(axum::Json(paging.page(all)))
}

/// Add a location.
///
/// Admins only.
#[utoipa::path(
    post,
    path = "/v1/locations",
    tag = "locations",
    security(("bearer" = [])),
    request_body = NameBody,
    responses(
        (status = 201, description = "The new location", body = LocationView),
        (status = 400, description = "A name that is not acceptable", body = ErrorBody),
        (status = 403, description = "Only an admin may add locations", body = ErrorBody),
    )
)]
pub(crate) async fn add_location(caller: Caller, Body(b): Body<NameBody>) -> Created<LocationView> {
    caller
        .run(move |m| m.add_location(&b.name))
        .await
        .map(created)
}

/// Rename a location.
///
/// Admins only.
#[utoipa::path(
    patch,
    path = "/v1/locations/{id}",
    tag = "locations",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "A location id (`loc_…`)")),
    request_body = NameBody,
    responses(
        (status = 200, description = "The location", body = LocationView),
        (status = 400, description = "A name that is not acceptable", body = ErrorBody),
        (status = 403, description = "Only an admin may rename locations", body = ErrorBody),
        (status = 404, description = "No such location", body = ErrorBody),
    )
)]
pub(crate) async fn rename_location(
    caller: Caller,
    Id(id): Id,
    Body(b): Body<NameBody>,
) -> Answer<LocationView> {
    caller
        .run(move |m| m.rename_location(&id, &b.name))
        .await
        .map(axum::Json)
}
