//! The Teacher List of a license: who holds a seat, their redemption code
//! and how many students they have assigned.

use axum::extract::State;
use seatdesk_core::api::Page;
use seatdesk_core::api::seats::{Teacher, TeacherQuery};
use seatdesk_core::{Permission, Problem, SeatStatus};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::db::sql::Sql;
use crate::db::types::{Named, Stamp};
use crate::domain::licenses::load_license;
use crate::domain::live::live_seat;
use crate::error::ApiResult;
use crate::http::auth::Auth;
use crate::http::{Json, Path, Query, decode_cursor, encode_cursor, page_size};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_teachers))
}

#[derive(sqlx::FromRow)]
struct TeacherRow {
    seat_id: i64,
    user_id: i64,
    name: String,
    email: String,
    org_name: String,
    status: Named<SeatStatus>,
    redemption_code: Option<String>,
    students_assigned: i64,
    assigned_at: Stamp,
    claimed_at: Option<Stamp>,
}

/// Teachers holding seats of a license, by seat id.
#[utoipa::path(get, path = "/v1/licenses/{id}/teachers", tag = "seats", security(("bearer" = [])),
    params(("id" = i64, Path, description = "License id"), TeacherQuery),
    responses((status = 200, body = Page<Teacher>), (status = "4XX", body = Problem)))]
async fn list_teachers(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(query): Query<TeacherQuery>,
) -> ApiResult<Json<Page<Teacher>>> {
    auth.require(Permission::Read)?;
    let mut conn = state.db.pool.acquire().await?;
    load_license(&mut conn, &auth.scope, id).await?;
    let limit = page_size(query.limit);
    let mut sql = Sql::new(
        "SELECT s.id AS seat_id, u.id AS user_id, u.given_name || ' ' || u.family_name AS name, \
         u.email, o.name AS org_name, s.status, s.redemption_code, s.students_assigned, \
         s.assigned_at, s.claimed_at \
         FROM seats s JOIN users u ON u.id = s.user_id JOIN orgs o ON o.id = u.org_id \
         WHERE u.kind = 'teacher' AND s.license_id = ",
    );
    sql.bind(id);
    if !query.all.unwrap_or(false) {
        sql.push(" AND ").push(&live_seat("s.status"));
    }
    if let Some(text) = query.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = crate::db::sql::contains_pattern(text);
        sql.push(" AND (LOWER(u.given_name || ' ' || u.family_name) LIKE ")
            .bind_like(pattern.clone())
            .push(" OR LOWER(u.email) LIKE ")
            .bind_like(pattern)
            .push(")");
    }
    if let Some(cursor) = &query.cursor {
        let (_, after) = decode_cursor(cursor)?;
        sql.push(" AND s.id > ").bind(after);
    }
    sql.push(" ORDER BY s.id LIMIT ").bind(limit + 1);
    let rows: Vec<TeacherRow> = sql.query_as().fetch_all(&mut conn).await?;
    let (rows, next_cursor) =
        crate::http::split_page(rows, limit, |r| encode_cursor("", r.seat_id));
    Ok(Json(Page {
        items: rows
            .into_iter()
            .map(|r| Teacher {
                seat_id: r.seat_id,
                user_id: r.user_id,
                name: r.name,
                email: r.email,
                org_name: r.org_name,
                status: r.status.0,
                redemption_code: r.redemption_code,
                students_assigned: r.students_assigned,
                assigned_at: r.assigned_at.0,
                claimed_at: r.claimed_at.map(|t| t.0),
            })
            .collect(),
        next_cursor,
    }))
}
