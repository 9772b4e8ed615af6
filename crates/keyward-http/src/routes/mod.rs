//! The routes: those of SPEC §6 for API keys and tokens (`api`), and the management
//! routes (`manage`, docs/management-api.md). Each handler parses, hands the store call to
//! the blocking pool (see `pool`: a store call may write durably) — or, for a
//! verification that cannot, makes it on the spot — and answers.

mod api;
pub(crate) mod manage;

use axum::body::Bytes;
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::MethodFilter;
use axum::Router;
use keyward_core::{Secret, Verdict};

use crate::error::ApiError;
use crate::openapi::{BearerAuth, ManagementErrors};
use crate::ApiState;
use api::*;
use manage::audit::*;
use manage::keys::*;
use manage::locations::*;
use manage::management_tokens::*;
use manage::settings::*;
use manage::tokens::*;
use manage::users::*;
use manage::webhooks::*;

/// The API's routes, declared once: each handler's `#[utoipa::path]` gives its method and
/// path, which both the router and the OpenAPI document (`ApiDoc`) take from it. Each
/// handler is named with the path type utoipa generates for it (`__path_<handler>`).
/// Routes that share a path with different methods (`GET` and `POST /v1/tokens`) are
/// merged into one method router by axum's `Router::route`.
macro_rules! api_routes {
    ($($handler:ident: $path:ident),* $(,)?) => {
        pub(crate) fn router(state: ApiState) -> Router {
            let mut router = Router::new();
            $(
                router = router.route(
                    &<$path as utoipa::Path>::path(),
                    method_router(<$path as utoipa::Path>::methods(), $handler),
                );
            )*
            router
                .fallback(not_found)
                .method_not_allowed_fallback(method_not_allowed)
                .with_state(state)
        }

        #[derive(utoipa::OpenApi)]
        #[openapi(
            info(
                title = "Keyward local API",
                description = "Keyward's API. For API keys: exchange an API key for a token, \
                               verify keys and tokens, ask who a credential belongs to. For \
                               management (with a management token, kwm_…): everything the \
                               Keyward app and the keyward command line do — site managers, \
                               locations, keys, tokens, webhooks, the audit log, the settings \
                               and the lifecycle. Requests from web pages (a foreign Host or \
                               Origin) are refused. Errors are \
                               {\"error\":{\"code\",\"message\"}}, with \"field\" when one \
                               input is at fault. Lists are paged: ?limit= (at most 500) and \
                               ?cursor= (the next_cursor of the page before)."
            ),
            paths($($handler),*),
            modifiers(&BearerAuth, &ManagementErrors),
            tags(
                (name = "keyward", description = "API keys and tokens"),
                (name = "session", description = "Who a management token acts as"),
                (name = "users", description = "Site managers"),
                (name = "locations", description = "Locations"),
                (name = "keys", description = "API keys"),
                (name = "tokens", description = "Tokens minted from API keys"),
                (name = "webhooks", description = "Webhook subscriptions"),
                (name = "audit", description = "The audit log"),
                (name = "settings", description = "Settings"),
                (name = "lifecycle", description = "Inactivity reminders and deletions"),
                (name = "management-tokens", description = "Management tokens"),
            )
        )]
        pub(crate) struct ApiDoc;
    };
}

api_routes!(
    health: __path_health,
    create_token: __path_create_token,
    verify: __path_verify,
    me: __path_me,
    openapi_json: __path_openapi_json,
    session: __path_session,
    list_users: __path_list_users,
    add_user: __path_add_user,
    get_user: __path_get_user,
    edit_user: __path_edit_user,
    set_user_active: __path_set_user_active,
    set_api_access: __path_set_api_access,
    user_impact: __path_user_impact,
    clear_user_keys: __path_clear_user_keys,
    list_locations: __path_list_locations,
    add_location: __path_add_location,
    rename_location: __path_rename_location,
    list_keys: __path_list_keys,
    create_key: __path_create_key,
    get_key: __path_get_key,
    rename_key: __path_rename_key,
    reveal_key: __path_reveal_key,
    regenerate_key: __path_regenerate_key,
    set_key_disabled: __path_set_key_disabled,
    keep_key: __path_keep_key,
    key_usage: __path_key_usage,
    delete_key: __path_delete_key,
    list_deleted_keys: __path_list_deleted_keys,
    restore_key: __path_restore_key,
    purge_deleted_key: __path_purge_deleted_key,
    list_key_tokens: __path_list_key_tokens,
    create_key_token: __path_create_key_token,
    list_tokens: __path_list_tokens,
    revoke_token: __path_revoke_token,
    list_webhooks: __path_list_webhooks,
    add_webhook: __path_add_webhook,
    get_webhook: __path_get_webhook,
    set_webhook_active: __path_set_webhook_active,
    remove_webhook: __path_remove_webhook,
    reveal_webhook_secret: __path_reveal_webhook_secret,
    test_webhook: __path_test_webhook,
    list_deliveries: __path_list_deliveries,
    list_audit: __path_list_audit,
    get_settings: __path_get_settings,
    put_settings: __path_put_settings,
    send_test_email: __path_send_test_email,
    run_lifecycle: __path_run_lifecycle,
    expiring_soon: __path_expiring_soon,
    list_management_tokens: __path_list_management_tokens,
    create_management_token: __path_create_management_token,
    revoke_management_token: __path_revoke_management_token,
);

/// An axum method router serving `handler` for the methods its OpenAPI path names.
fn method_router<H, T>(
    methods: Vec<utoipa::openapi::path::HttpMethod>,
    handler: H,
) -> axum::routing::MethodRouter<ApiState>
where
    H: axum::handler::Handler<T, ApiState>,
    T: 'static,
{
    use utoipa::openapi::path::HttpMethod;
    let filter = methods
        .iter()
        .map(|m| match m {
            HttpMethod::Get => MethodFilter::GET,
            HttpMethod::Post => MethodFilter::POST,
            HttpMethod::Put => MethodFilter::PUT,
            HttpMethod::Delete => MethodFilter::DELETE,
            HttpMethod::Patch => MethodFilter::PATCH,
            HttpMethod::Head => MethodFilter::HEAD,
            HttpMethod::Options => MethodFilter::OPTIONS,
            HttpMethod::Trace => MethodFilter::TRACE,
        })
        .reduce(MethodFilter::or)
        .unwrap_or(MethodFilter::GET);
    axum::routing::on(filter, handler)
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "UNKNOWN_ROUTE",
        "no such route — see GET /openapi.json for this API's routes",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        "this route does not take that method — see GET /openapi.json",
    )
}

/// The credential of `Authorization: Bearer <secret>`, kept as a `Secret` (wiped on drop).
pub(crate) fn bearer(headers: &HeaderMap) -> Option<Secret> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| Secret::from_text(rest.trim().to_owned()))
}

impl ApiState {
    /// Runs a store call off the async workers (see `pool`).
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> keyward_core::Result<T> + Send + 'static,
    ) -> Result<T, ApiError> {
        match self.inner.store_calls.run(f).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(ApiError::from_store(&e)),
            Err(_) => Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "the request could not be completed",
            )),
        }
    }

    /// Verifies on this worker: a verification never waits for the disk (the store only
    /// counts failures; `housekeeping` writes their summary), and a trip through the pool
    /// costs more than the verification itself.
    fn verify_secret(
        &self,
        presented: &Secret,
        permission: Option<&str>,
    ) -> Result<Verdict, ApiError> {
        self.store()
            .verify_for(presented.expose(), permission)
            .map_err(|e| ApiError::from_store(&e))
    }

    /// Spends one failure from the client's budget; the 429 to answer instead when it is
    /// spent.
    fn spend_failure(&self) -> Result<(), ApiError> {
        self.inner
            .failures
            .spend(crate::guards::client())
            .map_err(ApiError::rate_limited)
    }

    /// The answer to a failed attempt: `e`, or 429 once failures exceed the budget.
    fn refuse(&self, e: ApiError) -> ApiError {
        match self.spend_failure() {
            Ok(()) => e,
            Err(limited) => limited,
        }
    }

    fn openapi_bytes(&self) -> Bytes {
        self.inner.openapi.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_takes_any_case_and_trims() {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, "bearer  kwa_x ".parse().unwrap());
        assert_eq!(bearer(&h).unwrap().expose(), "kwa_x");
        h.insert(header::AUTHORIZATION, "Basic a2V5".parse().unwrap());
        assert!(bearer(&h).is_none());
    }
}
