//! The settings, and the inactivity lifecycle.

use keyward_core::mail::TestEmail;
use keyward_core::{ExpiringSoon, LifecycleReport, Settings};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{Answer, Body, Caller};
use crate::openapi::schema::ErrorBody;

/// `{"dry_run": false}`
#[derive(Deserialize, ToSchema)]
pub(crate) struct LifecycleBody {
    /// Only say what the pass would remind and delete.
    #[serde(default)]
    dry_run: bool,
}

/// The settings.
#[utoipa::path(
    get,
    path = "/v1/settings",
    tag = "settings",
    security(("bearer" = [])),
    responses((status = 200, description = "The settings", body = Settings))
)]
pub(crate) async fn get_settings(caller: Caller) -> Answer<Settings> {
    caller.run(|m| m.settings()).await.map(axum::Json)
}

/// Replace the settings.
///
/// Admins only. A setting left out takes its default.
#[utoipa::path(
    put,
    path = "/v1/settings",
    tag = "settings",
    security(("bearer" = [])),
    request_body = Settings,
    responses(
        (status = 200, description = "The settings", body = Settings),
        (status = 400, description = "A value out of range (`field` names the setting)", body = ErrorBody),
        (status = 403, description = "Only an admin may change the settings", body = ErrorBody),
    )
)]
pub(crate) async fn put_settings(caller: Caller, Body(s): Body<Settings>) -> Answer<Settings> {
    caller
        .run(move |m| m.update_settings(s))
        .await
        .map(axum::Json)
}

/// `{"to": "ada@example.com"}`
#[derive(Deserialize, ToSchema)]
pub(crate) struct TestEmailBody {
    /// Where to send the test email.
    to: String,
}

/// Send a test email.
///
/// Admins only. Sends a short email to `to` now, through the saved `smtp_url` and from
/// `smtp_from`, and answers once the SMTP server has: `sent` is false and `error` holds
/// its answer when it refused, or why it could not be reached. Email off (either setting
/// empty) or a `to` that is not an address answers 400.
#[utoipa::path(
    post,
    path = "/v1/settings/test-email",
    tag = "settings",
    security(("bearer" = [])),
    request_body = TestEmailBody,
    responses(
        (status = 200, description = "How the test email went", body = TestEmail),
        (status = 400, description = "Email is off, or `to` is not an address (`field` says which)", body = ErrorBody),
        (status = 403, description = "Only an admin may send a test email", body = ErrorBody),
    )
)]
pub(crate) async fn send_test_email(
    caller: Caller,
    Body(b): Body<TestEmailBody>,
) -> Answer<TestEmail> {
    caller
        .run(move |m| m.send_test_email(&b.to))
        .await
        .map(axum::Json)
}

/// Run the lifecycle pass.
///
/// Admins only. Raises the reminders that are due and deletes the keys whose inactivity
/// deadline has passed; with `dry_run`, only says what it would do.
#[utoipa::path(
    post,
    path = "/v1/lifecycle",
    tag = "lifecycle",
    security(("bearer" = [])),
    request_body = LifecycleBody,
    responses(
        (status = 200, description = "What the pass reminded and deleted", body = LifecycleReport),
        (status = 403, description = "Only an admin may run the lifecycle", body = ErrorBody),
    )
)]
pub(crate) async fn run_lifecycle(
    caller: Caller,
    Body(b): Body<LifecycleBody>,
) -> Answer<LifecycleReport> {
    caller
        .run(move |m| m.run_lifecycle(b.dry_run))
        .await
        .map(axum::Json)
}

/// Keys and tokens due soon.
///
/// Keys due for deletion and tokens expiring within their first reminder's days, soonest
/// first. A manager sees only their own.
#[utoipa::path(
    get,
    path = "/v1/lifecycle/expiring",
    tag = "lifecycle",
    security(("bearer" = [])),
    responses((status = 200, description = "What is due soon", body = ExpiringSoon))
)]
pub(crate) async fn expiring_soon(caller: Caller) -> Answer<ExpiringSoon> {
    caller.run(|m| m.expiring_soon()).await.map(axum::Json)
}
