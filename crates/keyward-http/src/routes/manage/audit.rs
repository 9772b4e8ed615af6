//! The audit log, newest first.

use keyward_core::{AuditFilter, AuditView};

use super::{list_query, Answer, Caller, Page, Query};
use crate::openapi::schema::ErrorBody;

list_query!(
    /// Which events.
    AuditQuery {
        /// Only events about this object (a key id also matches its tokens' events).
        object,
        /// Only events about this site manager's things (a user id).
        user,
        /// Only events about this kind of object: `api_key`, `token`, `user`, …
        entity,
        /// Text found in the summary, the object's name or the action.
        search,
    }
);

/// The audit log.
///
/// Newest first. A manager sees only the events about their own things.
#[utoipa::path(
    get,
    path = "/v1/audit",
    tag = "audit",
    security(("bearer" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of audit events, newest first", body = Page<AuditView>),
        (status = 403, description = "A manager named someone else", body = ErrorBody),
    )
)]
pub(crate) async fn list_audit(
    caller: Caller,
    Query(q): Query<AuditQuery>,
) -> Answer<Page<AuditView>> {
    let paging = q.paging()?;
    let filter = AuditFilter {
        // Read as far as this page and one past it: the log is read from its newest end.
        limit: Some(paging.reach()),
        object_id: q.object,
        user_id: q.user,
        entity: q.entity,
        search: q.search,
    };
    let read = caller.run(move |m| m.audit(&filter)).await?;
    Ok(axum::Json(paging.page(read)))
}
