//! The audit log (newest first, filtered) and the change feed
//! (`after=<seq>`, oldest first) that clients sync from.

use axum::extract::State;
use seatdesk_core::api::Page;
use seatdesk_core::api::audit::{AuditEvent, AuditQuery, Changes, ChangesQuery};
use seatdesk_core::{Permission, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::db::sql::Sql;
use crate::db::types::{JsonText, Stamp};
use crate::error::ApiResult;
use crate::http::auth::Auth;
use crate::http::{Json, Query, page_size};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_audit))
        .routes(routes!(changes))
}

#[derive(sqlx::FromRow)]
struct EventRow {
    seq: i64,
    at: Stamp,
    actor: String,
    action: String,
    target_type: String,
    target_id: i64,
    before_json: Option<JsonText<serde_json::Value>>,
    after_json: Option<JsonText<serde_json::Value>>,
    request_id: String,
}

impl From<EventRow> for AuditEvent {
    fn from(r: EventRow) -> AuditEvent {
        AuditEvent {
            seq: r.seq,
            at: r.at.0,
            actor: r.actor,
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
            before: r.before_json.map(|j| j.0),
            after: r.after_json.map(|j| j.0),
            request_id: r.request_id,
        }
    }
}

const EVENT_SELECT: &str = "SELECT seq, at, actor, action, target_type, target_id, before_json, \
    after_json, request_id FROM audit_events";

/// Events visible to `auth`: its subtree, plus catalogue-wide events.
fn scoped(auth: &Auth) -> Sql {
    let mut sql = Sql::new(EVENT_SELECT);
    sql.push(" WHERE (")
        .push(&auth.scope.sql("org_path"))
        .push(" OR org_path = '/')");
    sql
}

/// The change log, newest first, with filters. Page with `before=<seq>`.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", security(("bearer" = [])),
    params(AuditQuery),
    responses((status = 200, body = Page<AuditEvent>), (status = "4XX", body = Problem)))]
async fn list_audit(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<AuditQuery>,
) -> ApiResult<Json<Page<AuditEvent>>> {
    auth.require(Permission::Read)?;
    let limit = page_size(query.limit);
    let mut sql = scoped(&auth);
    if let Some(action) = query.action.as_deref().filter(|a| !a.is_empty()) {
        // `seat` matches every seat.* action; `seat.revoke` matches exactly.
        if action.contains('.') {
            sql.push(" AND action = ").bind(action.to_string());
        } else {
            sql.push(" AND action LIKE ")
                .bind_like(format!("{}.%", crate::db::sql::like_escape(action)));
        }
    }
    if let Some(actor) = query.actor.as_deref().filter(|a| !a.is_empty()) {
        sql.push(" AND actor LIKE ")
            .bind_like(format!("%{}%", crate::db::sql::like_escape(actor)));
    }
    if let Some(kind) = query.target_type.as_deref().filter(|a| !a.is_empty()) {
        sql.push(" AND target_type = ").bind(kind.to_string());
    }
    if let Some(id) = query.target_id {
        sql.push(" AND target_id = ").bind(id);
    }
    if let Some(from) = query.from {
        sql.push(" AND at >= ").bind(from.timestamp_millis());
    }
    if let Some(to) = query.to {
        sql.push(" AND at < ").bind(to.timestamp_millis());
    }
    if let Some(before) = query.before {
        sql.push(" AND seq < ").bind(before);
    }
    sql.push(" ORDER BY seq DESC LIMIT ").bind(limit + 1);
    let rows: Vec<EventRow> = sql.query_as().fetch_all(&state.db.pool).await?;
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
    responses((status = 200, body = Changes), (status = "4XX", body = Problem)))]
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
    let head = crate::feed_cache::head(&state.db.pool).await?;
    let mut sql = scoped(&auth);
    sql.push(" AND seq > ")
        .bind(after)
        .push(" AND seq <= ")
        .bind(head);
    sql.push(" ORDER BY seq LIMIT ").bind(limit + 1);
    let mut rows: Vec<EventRow> = sql.query_as().fetch_all(&state.db.pool).await?;
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
