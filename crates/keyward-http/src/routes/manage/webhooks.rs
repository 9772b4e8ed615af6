//! Webhook subscriptions and their delivery logs.

use keyward_core::{CreatedWebhook, DeliveryView, NewWebhook, ShownSecret, WebhookView};
use serde::Serialize;
use utoipa::ToSchema;

use super::users::OnBody;
use super::{created, list_query, Answer, Body, Caller, Created, Id, Page, PageQuery, Query};
use crate::openapi::schema::ErrorBody;

list_query!(
    /// Whose subscriptions.
    WebhookQuery {
        /// Only this site manager's subscriptions (a user id or email).
        user,
    }
);

/// A subscription's signing secret.
#[derive(Serialize, ToSchema)]
pub(crate) struct RevealedSecret {
    #[schema(value_type = String, example = "whsec_…")]
    secret: ShownSecret,
}

/// List webhook subscriptions.
///
/// A manager sees only their own.
#[utoipa::path(
    get,
    path = "/v1/webhooks",
    tag = "webhooks",
    security(("bearer" = [])),
    params(WebhookQuery),
    responses(
        (status = 200, description = "A page of subscriptions", body = Page<WebhookView>),
        (status = 403, description = "A manager named someone else", body = ErrorBody),
        (status = 404, description = "No such site manager", body = ErrorBody),
    )
)]
pub(crate) async fn list_webhooks(
    caller: Caller,
    Query(q): Query<WebhookQuery>,
) -> Answer<Page<WebhookView>> {
    let paging = q.paging()?;
    let all = caller
        .run(move |m| m.list_webhooks(q.user.as_deref()))
        .await?;
    Ok(axum::Json(paging.page(all)))
}

/// Subscribe a URL to events.
///
/// Events of `entity` (`api_key`, `token`, `user`, …) and `operation` (or `*`), signed
/// with the subscription's secret, which is in the answer this once. `allow_private` lets
/// the URL be on a private network.
#[utoipa::path(
    post,
    path = "/v1/webhooks",
    tag = "webhooks",
    security(("bearer" = [])),
    request_body = NewWebhook,
    responses(
        (status = 201, description = "The new subscription, with `secret` shown once", body = CreatedWebhook),
        (status = 400, description = "A URL, entity or operation that is not acceptable (`field` says which)", body = ErrorBody),
        (status = 403, description = "A manager named someone else", body = ErrorBody),
        (status = 404, description = "No such site manager", body = ErrorBody),
    )
)]
pub(crate) async fn add_webhook(
    caller: Caller,
    Body(new): Body<NewWebhook>,
) -> Created<CreatedWebhook> {
    caller.run(move |m| m.add_webhook(new)).await.map(created)
}

/// One webhook subscription.
#[utoipa::path(
    get,
    path = "/v1/webhooks/{id}",
    tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "A subscription id (`whk_…`)")),
    responses(
        (status = 200, description = "The subscription", body = WebhookView),
        (status = 403, description = "Another site manager's subscription", body = ErrorBody),
        (status = 404, description = "No such subscription", body = ErrorBody),
    )
)]
pub(crate) async fn get_webhook(caller: Caller, Id(id): Id) -> Answer<WebhookView> {
    caller
        .run(move |m| m.webhook_view(&id))
        .await
        .map(axum::Json)
}

/// Turn a subscription on or off.
#[utoipa::path(
    put,
    path = "/v1/webhooks/{id}/active",
    tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "A subscription id (`whk_…`)")),
    request_body = OnBody,
    responses(
        (status = 200, description = "The subscription", body = WebhookView),
        (status = 403, description = "Another site manager's subscription", body = ErrorBody),
        (status = 404, description = "No such subscription", body = ErrorBody),
    )
)]
pub(crate) async fn set_webhook_active(
    caller: Caller,
    Id(id): Id,
    Body(b): Body<OnBody>,
) -> Answer<WebhookView> {
    caller
        .run(move |m| m.set_webhook_active(&id, b.on))
        .await
        .map(axum::Json)
}

/// Remove a subscription.
#[utoipa::path(
    delete,
    path = "/v1/webhooks/{id}",
    tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "A subscription id (`whk_…`)")),
    responses(
        (status = 200, description = "The subscription removed", body = WebhookView),
        (status = 403, description = "Another site manager's subscription", body = ErrorBody),
        (status = 404, description = "No such subscription", body = ErrorBody),
    )
)]
pub(crate) async fn remove_webhook(caller: Caller, Id(id): Id) -> Answer<WebhookView> {
    caller
        .run(move |m| m.remove_webhook(&id))
        .await
        .map(axum::Json)
}

/// Show a subscription's signing secret.
///
/// Audited.
#[utoipa::path(
    post,
    path = "/v1/webhooks/{id}/reveal-secret",
    tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "A subscription id (`whk_…`)")),
    responses(
        (status = 200, description = "The signing secret", body = RevealedSecret),
        (status = 403, description = "Another site manager's subscription", body = ErrorBody),
        (status = 404, description = "No such subscription", body = ErrorBody),
        (status = 409, description = "MASTER_KEY_UNAVAILABLE", body = ErrorBody),
    )
)]
pub(crate) async fn reveal_webhook_secret(caller: Caller, Id(id): Id) -> Answer<RevealedSecret> {
    let secret = caller.run(move |m| m.reveal_webhook_secret(&id)).await?;
    Ok(axum::Json(RevealedSecret {
        secret: ShownSecret(secret),
    }))
}

/// Send a test event.
///
/// Queued like any event; its delivery shows in the subscription's log.
#[utoipa::path(
    post,
    path = "/v1/webhooks/{id}/test",
    tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "A subscription id (`whk_…`)")),
    responses(
        (status = 200, description = "The subscription; a test event is queued", body = WebhookView),
        (status = 403, description = "Another site manager's subscription", body = ErrorBody),
        (status = 404, description = "No such subscription", body = ErrorBody),
        (status = 409, description = "WEBHOOK_OFF", body = ErrorBody),
    )
)]
pub(crate) async fn test_webhook(caller: Caller, Id(id): Id) -> Answer<WebhookView> {
    caller
        .run(move |m| m.test_webhook(&id))
        .await
        .map(axum::Json)
}

/// A subscription's delivery attempts.
///
/// Newest first.
#[utoipa::path(
    get,
    path = "/v1/webhooks/{id}/deliveries",
    tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "A subscription id (`whk_…`)"), PageQuery),
    responses(
        (status = 200, description = "A page of delivery attempts", body = Page<DeliveryView>),
        (status = 403, description = "Another site manager's subscription", body = ErrorBody),
        (status = 404, description = "No such subscription", body = ErrorBody),
    )
)]
pub(crate) async fn list_deliveries(
    caller: Caller,
    Id(id): Id,
    Query(q): Query<PageQuery>,
) -> Answer<Page<DeliveryView>> {
    let paging = q.paging()?;
    let read = caller
        .run(move |m| m.webhook_deliveries(&id, paging.reach()))
        .await?;
    Ok(axum::Json(paging.page(read)))
}
