//! Codes of a license: the Master / Resource / Redemption / activation code
//! lists of Manage Products and per-subject resource codes. Batches and
//! redemption have their own modules.

pub mod batches;
pub mod redeem;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use seatdesk_core::Permission;
use seatdesk_core::api::Page;
use seatdesk_core::api::codes::{Code, CodeQuery, NewResourceCode};
use seatdesk_core::problem::ProblemResponses;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::db::Conn;
use crate::domain::codes;
use crate::domain::licenses::load_license;
use crate::error::ApiResult;
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json, Path, Query, decode_cursor, encode_cursor, page_size};
use crate::mutation;
use crate::store::codes::CodeSet;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_codes))
        .routes(routes!(create_resource_code))
        .merge(batches::routes())
        .merge(redeem::routes())
}

/// One keyset page of the codes of `set`, in id order.
pub async fn code_page(
    conn: &mut Conn,
    set: CodeSet,
    cursor: Option<&str>,
    limit: Option<u32>,
) -> ApiResult<(Vec<Code>, Option<String>)> {
    let limit = page_size(limit);
    let after = match cursor {
        Some(cursor) => Some(decode_cursor(cursor)?.1),
        None => None,
    };
    let rows = crate::store::codes::codes(conn, set, after, limit).await?;
    let (rows, next_cursor) = crate::http::split_page(rows, limit, |r| encode_cursor("", r.id));
    Ok((rows.into_iter().map(Code::from).collect(), next_cursor))
}

/// The codes of a license, optionally of one kind: the Master Codes,
/// Resource Codes and Redemption Codes tabs, and activation codes.
#[utoipa::path(get, path = "/v1/licenses/{id}/codes", tag = "codes", security(("bearer" = [])),
    params(("id" = i64, Path, description = "License id"), CodeQuery),
    responses((status = 200, description = "One page of the license's codes", body = Page<Code>), ProblemResponses))]
async fn list_codes(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(query): Query<CodeQuery>,
) -> ApiResult<Json<Page<Code>>> {
    auth.require(Permission::Read)?;
    let mut conn = state.db.pool.acquire().await?;
    load_license(&mut conn, &auth.scope, id).await?;
    let set = CodeSet::License(id, query.kind);
    let (items, next_cursor) =
        code_page(&mut conn, set, query.cursor.as_deref(), query.limit).await?;
    Ok(Json(Page { items, next_cursor }))
}

/// Makes the resource code of one subject for a product that has them
/// (ALEKS / Redbird style); one code per subject and license.
#[utoipa::path(post, path = "/v1/licenses/{id}/resource-codes", tag = "codes", security(("bearer" = [])),
    params(("id" = i64, Path, description = "License id")),
    request_body = NewResourceCode,
    responses((status = 201, description = "The new resource code", body = Code), ProblemResponses))]
async fn create_resource_code(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Path(id): Path<i64>,
    Json(body): Json<NewResourceCode>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageCodes)?;
    let subject = codes::resource_subject(&body.subject)?;
    let fingerprint = mutation::fingerprint(&format!("resource_code:{id}"), &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let code = codes::create_resource_code(w, &auth.scope, id, subject.clone()).await?;
        Ok((StatusCode::CREATED, code))
    })
    .await
}
