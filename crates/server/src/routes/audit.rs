//! The audit log (newest first, filtered) and the change feed
//! (`after=<seq>`, oldest first) that clients sync from.

use axum::extract::State;
use seatdesk_core::Permission;
use seatdesk_core::api::Page;
use seatdesk_core::api::audit::{AuditEvent, AuditQuery, Changes, ChangesQuery};
use seatdesk_core::problem::ProblemResponses;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiResult;
use crate::http::auth::Auth;
use crate::http::{Json, Query, page_size};
use crate::store;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_audit))
        .routes(routes!(changes))
}

/// The change log, newest first, with filters. Page with `before=<seq>`.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", security(("bearer" = [])),
    params(AuditQuery),
    responses((status = 200, description = "One page of audit events, newest first", body = Page<AuditEvent>), ProblemResponses))]
async fn list_audit(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<AuditQuery>,
) -> ApiResult<Json<Page<AuditEvent>>> {
    auth.require(Permission::Read)?;
    let limit = page_size(query.limit);
    let rows = store::audit::list_events(&state.db.pool, &auth.scope, &query, limit).await?;
    let (rows, next_cursor) = crate::http::split_page(rows, limit, |r| r.seq.to_string());
    Ok(Json(Page {
        items: rows.into_iter().map(AuditEvent::from).collect(),
        next_cursor,
    }))
}

/// Events after `after`, oldest first: the feed a client syncs from.
/// Sequence numbers become visible in order, so nothing below the last
/// returned seq can appear later.
#[utoipa::path(get, path = "/v1/changes", tag = "audit", security(("bearer" = [])),
    params(ChangesQuery),
    responses((status = 200, description = "The events after `after`, oldest first, and where to go on from", body = Changes), ProblemResponses))]
async fn changes(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<ChangesQuery>,
) -> ApiResult<Json<Changes>> {
    auth.require(Permission::Read)?;
    let limit = page_size(query.limit);
    let after = query.after.unwrap_or(0);
    // The head is read first: everything at or below it is committed, and
    // events outside the scope still advance the client's position.
    let head = store::audit::feed_head(&state.db.pool).await?;
    let mut rows =
        store::audit::events_after(&state.db.pool, &auth.scope, after, head, limit).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    // A client ahead of the head (the database was restored from a backup)
    // gets the head back, lower than it asked with: its sign to reload.
    let next_after = if more {
        rows.last().map_or(after, |r| r.seq)
    } else {
        head
    };
    Ok(Json(Changes {
        events: rows.into_iter().map(AuditEvent::from).collect(),
        next_after,
        more,
    }))
}
