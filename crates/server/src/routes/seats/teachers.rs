//! The Teacher List of a license: who holds a seat, their redemption code
//! and how many students they have assigned.

use axum::extract::State;
use seatdesk_core::Permission;
use seatdesk_core::api::Page;
use seatdesk_core::api::seats::{Teacher, TeacherQuery};
use seatdesk_core::problem::ProblemResponses;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::domain::licenses::load_license;
use crate::error::ApiResult;
use crate::http::auth::Auth;
use crate::http::{Json, Path, Query, decode_cursor, encode_cursor, page_size};
use crate::store::seats::teachers;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_teachers))
}

/// Teachers holding seats of a license, by seat id.
#[utoipa::path(get, path = "/v1/licenses/{id}/teachers", tag = "seats", security(("bearer" = [])),
    params(("id" = i64, Path, description = "License id"), TeacherQuery),
    responses((status = 200, description = "One page of the license's teachers with their students", body = Page<Teacher>), ProblemResponses))]
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
    let after = match &query.cursor {
        Some(cursor) => Some(decode_cursor(cursor)?.1),
        None => None,
    };
    let rows = teachers(&mut conn, id, &query, after, limit).await?;
    let (rows, next_cursor) =
        crate::http::split_page(rows, limit, |r| encode_cursor("", r.seat_id));
    Ok(Json(Page {
        items: rows.into_iter().map(Teacher::from).collect(),
        next_cursor,
    }))
}
