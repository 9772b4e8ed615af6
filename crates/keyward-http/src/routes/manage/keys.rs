//! API keys: listed a page at a time (filtered and sorted in the core), created,
//! revealed, regenerated, disabled, kept, renamed and deleted; a key's tokens.

use std::collections::BTreeMap;

use keyward_core::keys::parse_grace;
use keyward_core::{
    CreatedKey, CreatedToken, DeletedKey, DeletedKeyView, Disclosure, KeyDetail, KeyEdit,
    KeyFilter, KeySort, KeyView, NewKey, ShownSecret, SortDir, TokenView, UsageDay,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    created, list_query, Answer, Body, Caller, Created, Id, Page, PageQuery, Paging, Query,
};
use crate::error::ApiError;
use crate::openapi::schema::ErrorBody;

list_query!(
    /// Which keys, in which order.
    KeyQuery {
        /// Only this site manager's keys (a user id or email).
        owner,
        /// `active`, `disabled`, `revoked`, `owner_deactivated`, `access_off`, `expiring`
        /// or `in_use`.
        status,
        /// Text found in the name, id, masked key, owner or scope.
        search,
        /// `agency`, or a location id.
        scope,
        /// `name`, `owner`, `scope`, `status`, `created` (the default), `last_used`,
        /// `live_tokens` or `attention`.
        sort,
        /// `asc` or `desc` (the default).
        dir,
        /// Where the page starts, as a row number (0 for the first), for a screen that
        /// jumps to a row; instead of `cursor`.
        #[param(value_type = Option<u64>, minimum = 0)]
        offset,
    }
);

impl KeyQuery {
    fn filter(&self) -> KeyFilter {
        KeyFilter {
            owner: self.owner.clone(),
            status: self.status.clone(),
            search: self.search.clone(),
            scope: self.scope.clone(),
        }
    }

    /// The page asked for: by `cursor`, or by `offset`.
    fn position(&self) -> Result<Paging, ApiError> {
        let mut paging = self.paging()?;
        if let Some(text) = self.offset.as_deref() {
            if self.cursor.is_some() {
                return Err(ApiError::invalid_field(
                    "offset",
                    "give either offset or cursor, not both",
                ));
            }
            paging.offset = text.trim().parse().map_err(|_| {
                ApiError::invalid_field(
                    "offset",
                    format!("offset '{text}' is not a whole number from 0"),
                )
            })?;
        }
        Ok(paging)
    }

    fn sort(&self) -> Result<KeySort, ApiError> {
        Ok(KeySort {
            column: self
                .sort
                .as_deref()
                .map(|s| named("sort", s, SORTS))
                .transpose()?
                .unwrap_or_default(),
            dir: self
                .dir
                .as_deref()
                .map(|d| named::<SortDir>("dir", d, "asc, desc"))
                .transpose()?
                .unwrap_or_default(),
        })
    }
}

const SORTS: &str = "name, owner, scope, status, created, last_used, live_tokens, attention";

/// The value of an enum named by its JSON text, or `INVALID_INPUT` naming `field`.
fn named<T: serde::de::DeserializeOwned>(
    field: &'static str,
    text: &str,
    choices: &str,
) -> Result<T, ApiError> {
    serde_json::from_value(serde_json::Value::from(text.trim())).map_err(|_| {
        ApiError::invalid_field(field, format!("{field} '{text}' is not one of: {choices}"))
    })
}

/// A page of keys, with how many match the filter and how many there are.
#[derive(Serialize, ToSchema)]
pub(crate) struct KeysPage {
    items: Vec<KeyView>,
    /// Pass it back as `cursor` for the next page; null on the last page.
    next_cursor: Option<String>,
    /// Keys matching the filter.
    matching: usize,
    /// Keys in the list, filter aside.
    total: usize,
    /// For each key of `items` (by id): its valid verifications per day over the last 30
    /// days (UTC), oldest first, today last.
    #[schema(example = json!({"key_01J9Z8K4M2": [0, 0, 3, 12, 9, 0, 1, 4, 0, 0, 0, 2, 7, 5, 0, 0, 1, 0, 3, 8, 6, 0, 0, 2, 1, 0, 4, 9, 11, 3]}))]
    usage: BTreeMap<String, Vec<u64>>,
}

/// `{"how": "reveal"|"copy"|"copy_as_curl"|"export_for_postman"}`: why the key is shown,
/// for the audit log.
#[derive(Deserialize, ToSchema)]
pub(crate) struct RevealBody {
    #[serde(default = "reveal")]
    how: Disclosure,
}

fn reveal() -> Disclosure {
    Disclosure::Reveal
}

/// The full key.
#[derive(Serialize, ToSchema)]
pub(crate) struct RevealedKey {
    #[schema(value_type = String, example = "kwa_…")]
    key: ShownSecret,
}

/// `{"grace": "0"|"1h"|"24h"|"7d"}`: how long the old key and its tokens keep working.
#[derive(Deserialize, ToSchema)]
pub(crate) struct RegenerateBody {
    #[serde(default = "no_grace")]
    #[schema(example = "24h")]
    grace: String,
}

fn no_grace() -> String {
    "0".to_owned()
}

/// `{"disabled": true|false}`
#[derive(Deserialize, ToSchema)]
pub(crate) struct DisabledBody {
    disabled: bool,
}

/// How a key in use may be deleted.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DeleteQuery {
    /// `true` deletes the key even if it is in use.
    #[param(value_type = Option<bool>)]
    force: Option<String>,
    /// The key's name, typed to confirm the deletion of a key in use.
    confirm_name: Option<String>,
}

/// List API keys.
///
/// Filtered and sorted on the server, a page at a time: through `cursor`, or from any
/// row with `offset`. A manager sees only their own keys.
#[utoipa::path(
    get,
    path = "/v1/keys",
    tag = "keys",
    security(("bearer" = [])),
    params(KeyQuery),
    responses(
        (status = 200, description = "A page of keys", body = KeysPage),
        (status = 400, description = "A parameter that is not acceptable (`field` says which)", body = ErrorBody),
        (status = 403, description = "A manager named another owner", body = ErrorBody),
    )
)]
pub(crate) async fn list_keys(caller: Caller, Query(q): Query<KeyQuery>) -> Answer<KeysPage> {
    let paging = q.position()?;
    let (filter, sort) = (q.filter(), q.sort()?);
    let page = caller
        .run(move |m| m.key_page(&filter, sort, paging.offset, paging.limit))
        .await?;
    let end = page.offset + page.rows.len();
    Ok(axum::Json(KeysPage {
        next_cursor: paging.next(end, page.matching),
        items: page.rows,
        matching: page.matching,
        total: page.total,
        usage: page.usage,
    }))
}

/// Create an API key.
///
/// Agency-wide, or scoped to `location`. The key is in the answer this once.
#[utoipa::path(
    post,
    path = "/v1/keys",
    tag = "keys",
    security(("bearer" = [])),
    request_body = NewKey,
    responses(
        (status = 201, description = "The new key, with `key` shown once", body = CreatedKey),
        (status = 400, description = "A name that is not acceptable", body = ErrorBody),
        (status = 403, description = "A manager named another owner", body = ErrorBody),
        (status = 404, description = "No such owner or location", body = ErrorBody),
        (status = 409, description = "USER_DEACTIVATED", body = ErrorBody),
    )
)]
pub(crate) async fn create_key(caller: Caller, Body(new): Body<NewKey>) -> Created<CreatedKey> {
    caller.run(move |m| m.create_key(new)).await.map(created)
}

/// One API key, with its tokens and its history.
#[utoipa::path(
    get,
    path = "/v1/keys/{id}",
    tag = "keys",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "A key id (`key_…`)")),
    responses(
        (status = 200, description = "The key, its tokens and its audit events", body = KeyDetail),
        (status = 403, description = "Another site manager's key", body = ErrorBody),
        (status = 404, description = "No such key", body = ErrorBody),
    )
)]
pub(crate) async fn get_key(caller: Caller, Id(id): Id) -> Answer<KeyDetail> {
    caller.run(move |m| m.key_detail(&id)).await.map(axum::Json)
}

/// Rename an API key, or change its policy: notes, tags, permissions, rate limit, and
/// "never delete for inactivity" (`keep_always`). What is left out stays as it is.
#[utoipa::path(
    patch,
    path = "/v1/keys/{id}",
    tag = "keys",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "A key id (`key_…`)")),
    request_body = KeyEdit,
    responses(
        (status = 200, description = "The key", body = KeyView),
        (status = 400, description = "A value that is not acceptable (`field` names it)", body = ErrorBody),
        (status = 403, description = "Another site manager's key", body = ErrorBody),
        (status = 404, description = "No such key", body = ErrorBody),
    )
)]
pub(crate) async fn rename_key(
    caller: Caller,
    Id(id): Id,
    Body(b): Body<KeyEdit>,
) -> Answer<KeyView> {
    caller
        .run(move |m| m.edit_key(&id, b))
        .await
        .map(axum::Json)
}

/// Show the full key.
///
/// Audited, with why (`how`).
#[utoipa::path(
    post,
    path = "/v1/keys/{id}/reveal",
    tag = "keys",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "A key id (`key_…`)")),
    request_body = RevealBody,
    responses(
        (status = 200, description = "The full key", body = RevealedKey),
        (status = 403, description = "Another site manager's key", body = ErrorBody),
        (status = 404, description = "No such key", body = ErrorBody),
        (status = 409, description = "REVOKED, or MASTER_KEY_UNAVAILABLE", body = ErrorBody),
    )
)]
pub(crate) async fn reveal_key(
    caller: Caller,
    Id(id): Id,
    Body(b): Body<RevealBody>,
) -> Answer<RevealedKey> {
    let key = caller.run(move |m| m.reveal_key(&id, b.how)).await?;
    Ok(axum::Json(RevealedKey {
        key: ShownSecret(key),
    }))
}

/// Replace the key's secret.
///
/// Same id, name, owner and scope; the old key and its tokens keep working for `grace`.
/// The new key is in the answer this once.
#[utoipa::path(
    post,
    path = "/v1/keys/{id}/regenerate",
    tag = "keys",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "A key id (`key_…`)")),
    request_body = RegenerateBody,
    responses(
        (status = 200, description = "The key, with its new `key` shown once", body = CreatedKey),
        (status = 400, description = "A grace period not offered", body = ErrorBody),
        (status = 403, description = "Another site manager's key", body = ErrorBody),
        (status = 404, description = "No such key", body = ErrorBody),
        (status = 409, description = "REVOKED", body = ErrorBody),
    )
)]
pub(crate) async fn regenerate_key(
    caller: Caller,
    Id(id): Id,
    Body(b): Body<RegenerateBody>,
) -> Answer<CreatedKey> {
    let grace = parse_grace(&b.grace).map_err(|e| ApiError::from_store(&e))?;
    caller
        .run(move |m| m.regenerate_key(&id, grace))
        .await
        .map(axum::Json)
}

/// Disable or enable an API key.
#[utoipa::path(
    put,
    path = "/v1/keys/{id}/disabled",
    tag = "keys",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "A key id (`key_…`)")),
    request_body = DisabledBody,
    responses(
        (status = 200, description = "The key", body = KeyView),
        (status = 403, description = "Another site manager's key", body = ErrorBody),
        (status = 404, description = "No such key", body = ErrorBody),
        (status = 409, description = "REVOKED", body = ErrorBody),
    )
)]
pub(crate) async fn set_key_disabled(
    caller: Caller,
    Id(id): Id,
    Body(b): Body<DisabledBody>,
) -> Answer<KeyView> {
    caller
        .run(move |m| m.set_key_disabled(&id, b.disabled))
        .await
        .map(axum::Json)
}

/// How many days of a key's usage to show.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct UsageQuery {
    /// 1 to 90 days back, today included (default 30).
    #[param(value_type = Option<u32>)]
    days: Option<String>,
}

/// How often a key was verified, day by day.
///
/// Valid verifications and failed ones by code (`DISABLED`, `EXPIRED`,
/// `INSUFFICIENT_PERMISSIONS`, `RATE_LIMITED`, …), per day (UTC), oldest first, the last
/// `days` days (30 by default, at most 90, kept 90 days). Counted on every verification
/// and written in batches.
#[utoipa::path(
    get,
    path = "/v1/keys/{id}/usage",
    tag = "keys",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "A key id (`key_…`)"), UsageQuery),
    responses(
        (status = 200, description = "A day each", body = [UsageDay]),
        (status = 400, description = "`days` is not 1 to 90", body = ErrorBody),
        (status = 403, description = "Another site manager's key", body = ErrorBody),
        (status = 404, description = "No such key", body = ErrorBody),
    )
)]
pub(crate) async fn key_usage(
    caller: Caller,
    Id(id): Id,
    Query(q): Query<UsageQuery>,
) -> Answer<Vec<UsageDay>> {
    let days = match q.days.as_deref().map(str::trim) {
        None => 30,
        Some(d) => d
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=90).contains(d))
            .ok_or_else(|| {
                ApiError::invalid_field("days", format!("days '{d}' is not a number from 1 to 90"))
            })?,
    };
    caller
        .run(move |m| m.key_usage(&id, days))
        .await
        .map(axum::Json)
}

/// Keep an unused key.
///
/// Restarts its inactivity clock, as a use would.
#[utoipa::path(
    post,
    path = "/v1/keys/{id}/keep",
    tag = "keys",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "A key id (`key_…`)")),
    responses(
        (status = 200, description = "The key", body = KeyView),
        (status = 403, description = "Another site manager's key", body = ErrorBody),
        (status = 404, description = "No such key", body = ErrorBody),
        (status = 409, description = "REVOKED", body = ErrorBody),
    )
)]
pub(crate) async fn keep_key(caller: Caller, Id(id): Id) -> Answer<KeyView> {
    caller.run(move |m| m.keep_key(&id)).await.map(axum::Json)
}

/// Delete an API key and its tokens.
///
/// The key stops working at once and can be restored for 30 days (`/v1/deleted-keys`).
/// A key in use (live tokens, or used in the last 24 hours) is deleted only with
/// `force=true`, or with `confirm_name` set to its name.
#[utoipa::path(
    delete,
    path = "/v1/keys/{id}",
    tag = "keys",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "A key id (`key_…`)"), DeleteQuery),
    responses(
        (status = 200, description = "What was deleted", body = DeletedKey),
        (status = 400, description = "`force` is not true or false", body = ErrorBody),
        (status = 403, description = "Another site manager's key", body = ErrorBody),
        (status = 404, description = "No such key", body = ErrorBody),
        (status = 409, description = "KEY_IN_USE: confirm with force=true or confirm_name", body = ErrorBody),
    )
)]
pub(crate) async fn delete_key(
    caller: Caller,
    Id(id): Id,
    Query(q): Query<DeleteQuery>,
) -> Answer<DeletedKey> {
    let force = match q.force.as_deref().map(str::trim) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::invalid_field(
                "force",
                format!("force '{other}' is not true or false"),
            ))
        }
    };
    caller
        .run(move |m| m.delete_key(&id, force, q.confirm_name.as_deref()))
        .await
        .map(axum::Json)
}

/// List the keys deleted in the last 30 days.
///
/// A deleted key stops verifying at once but can be restored, with its tokens as they
/// were, for 30 days; then it is purged for good. Newest deletion first.
#[utoipa::path(
    get,
    path = "/v1/deleted-keys",
    tag = "keys",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of deleted keys", body = Page<DeletedKeyView>),
    )
)]
pub(crate) async fn list_deleted_keys(
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> Answer<Page<DeletedKeyView>> {
    let paging = q.paging()?;
    let all = caller.run(move |m| m.deleted_keys()).await?;
    Ok(axum::Json(paging.page(all)))
}

/// Restore a deleted key.
///
/// It comes back with its tokens as they were (one that expired meanwhile stays
/// expired), and its inactivity clock starts again, as "Keep" does.
#[utoipa::path(
    post,
    path = "/v1/deleted-keys/{id}/restore",
    tag = "keys",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "A deleted key's id (`key_…`)")),
    responses(
        (status = 200, description = "The key, restored", body = KeyView),
        (status = 403, description = "Another site manager's key", body = ErrorBody),
        (status = 404, description = "No such deleted key (restored already, or purged)", body = ErrorBody),
    )
)]
pub(crate) async fn restore_key(caller: Caller, Id(id): Id) -> Answer<KeyView> {
    caller
        .run(move |m| m.restore_key(&id))
        .await
        .map(axum::Json)
}

/// Purge a deleted key for good.
///
/// Before its 30 days are up; it can no longer be restored.
#[utoipa::path(
    delete,
    path = "/v1/deleted-keys/{id}",
    tag = "keys",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "A deleted key's id (`key_…`)")),
    responses(
        (status = 200, description = "What was purged", body = DeletedKeyView),
        (status = 403, description = "Another site manager's key", body = ErrorBody),
        (status = 404, description = "No such deleted key", body = ErrorBody),
    )
)]
pub(crate) async fn purge_deleted_key(caller: Caller, Id(id): Id) -> Answer<DeletedKeyView> {
    caller
        .run(move |m| m.purge_deleted_key(&id))
        .await
        .map(axum::Json)
}

/// List a key's tokens.
#[utoipa::path(
    get,
    path = "/v1/keys/{id}/tokens",
    tag = "keys",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "A key id (`key_…`)"), PageQuery),
    responses(
        (status = 200, description = "A page of the key's tokens", body = Page<TokenView>),
        (status = 403, description = "Another site manager's key", body = ErrorBody),
        (status = 404, description = "No such key", body = ErrorBody),
    )
)]
pub(crate) async fn list_key_tokens(
    caller: Caller,
    Id(id): Id,
    Query(q): Query<PageQuery>,
) -> Answer<Page<TokenView>> {
    let paging = q.paging()?;
    let all = caller.run(move |m| m.list_tokens(Some(&id))).await?;
    Ok(axum::Json(paging.page(all)))
}

/// Mint a token from a key.
///
/// As `POST /v1/tokens` does with the key itself. The token is in the answer this once.
#[utoipa::path(
    post,
    path = "/v1/keys/{id}/tokens",
    tag = "keys",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "A key id (`key_…`)")),
    responses(
        (status = 201, description = "A new token", body = CreatedToken),
        (status = 403, description = "Another site manager's key", body = ErrorBody),
        (status = 404, description = "No such key", body = ErrorBody),
        (status = 409, description = "DISABLED, REVOKED, API_ACCESS_OFF, USER_DEACTIVATED or TOO_MANY_TOKENS", body = ErrorBody),
    )
)]
pub(crate) async fn create_key_token(caller: Caller, Id(id): Id) -> Created<CreatedToken> {
    caller.run(move |m| m.create_token(&id)).await.map(created)
}
