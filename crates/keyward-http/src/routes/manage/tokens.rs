//! Tokens across keys. (`POST /v1/tokens`, the exchange of an API key for a token, is
//! one of the routes for API keys: see `routes::api`.)

use keyward_core::TokenView;

use super::{list_query, Answer, Caller, Id, Page, Query};
use crate::openapi::schema::ErrorBody;

list_query!(
    /// Which tokens.
    TokenQuery {
        /// Only this key's tokens (a key id).
        key,
    }
);

/// List tokens.
///
/// Of every key, or of one. A manager sees only the tokens of their own keys.
#[utoipa::path(
    get,
    path = "/v1/tokens",
    tag = "tokens",
    security(("bearer" = [])),
    params(TokenQuery),
    responses(
        (status = 200, description = "A page of tokens", body = Page<TokenView>),
        (status = 403, description = "Another site manager's key", body = ErrorBody),
        (status = 404, description = "No such key", body = ErrorBody),
    )
)]
pub(crate) async fn list_tokens(
    caller: Caller,
    Query(q): Query<TokenQuery>,
) -> Answer<Page<TokenView>> {
    let paging = q.paging()?;
    let all = caller.run(move |m| m.list_tokens(q.key.as_deref())).await?;
    Ok(axum::Json(paging.page(all)))
}

/// Revoke a token.
#[utoipa::path(
    post,
    path = "/v1/tokens/{id}/revoke",
    tag = "tokens",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "A token id (`tok_…`)")),
    responses(
        (status = 200, description = "The token", body = TokenView),
        (status = 403, description = "A token of another site manager's key", body = ErrorBody),
        (status = 404, description = "No such token", body = ErrorBody),
    )
)]
pub(crate) async fn revoke_token(caller: Caller, Id(id): Id) -> Answer<TokenView> {
    caller
        .run(move |m| m.revoke_token(&id))
        .await
        .map(axum::Json)
}
