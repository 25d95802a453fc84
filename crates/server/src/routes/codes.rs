//! Codes of a license: the Master / Resource / Redemption / activation code
//! lists of Manage Products and per-subject resource codes. Batches and
//! redemption have their own modules.

pub mod batches;
pub mod redeem;

use crate::db::Conn;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use seatdesk_core::api::Page;
use seatdesk_core::api::codes::{Code, CodeQuery, NewResourceCode};
use seatdesk_core::{CodeKind, Permission, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::audit::NewEvent;
use crate::codes::{CodeFields, insert_code};
use crate::db::sql::Sql;
use crate::db::types::{Named, Stamp};
use crate::domain::licenses::{load_license, today};
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json, Path, Query, decode_cursor, encode_cursor, page_size};
use crate::mutation;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_codes))
        .routes(routes!(create_resource_code))
        .merge(batches::routes())
        .merge(redeem::routes())
}

/// Columns of [`CodeRow`]; `c` is codes. The user is the holder of the
/// code's seat (the teacher of a redemption code, the redeemer of a
/// single-user activation code).
pub const CODE_SELECT: &str = "SELECT c.id, c.code, c.kind, c.license_id, c.batch_id, \
    c.seat_id, u.email AS user_email, c.subject, c.max_uses, c.uses, c.expires_at, c.created_at \
    FROM codes c LEFT JOIN seats s ON s.id = c.seat_id LEFT JOIN users u ON u.id = s.user_id";

#[derive(sqlx::FromRow)]
pub struct CodeRow {
    id: i64,
    code: String,
    kind: Named<CodeKind>,
    license_id: i64,
    batch_id: Option<i64>,
    seat_id: Option<i64>,
    user_email: Option<String>,
    subject: Option<String>,
    max_uses: i64,
    uses: i64,
    expires_at: Option<Stamp>,
    created_at: Stamp,
}

impl From<CodeRow> for Code {
    fn from(r: CodeRow) -> Code {
        Code {
            id: r.id,
            code: r.code,
            kind: r.kind.0,
            license_id: r.license_id,
            batch_id: r.batch_id,
            seat_id: r.seat_id,
            user_email: r.user_email,
            subject: r.subject,
            max_uses: (r.max_uses > 0).then_some(r.max_uses),
            uses: r.uses,
            expires_at: r.expires_at.map(|t| t.0),
            created_at: r.created_at.0,
        }
    }
}

pub async fn load_code(conn: &mut Conn, id: i64) -> ApiResult<Code> {
    let mut sql = Sql::new(CODE_SELECT);
    sql.push(" WHERE c.id = ").bind(id);
    let row: CodeRow = sql.query_as().fetch_one(conn).await?;
    Ok(row.into())
}

/// One keyset page of codes matching `filter` (SQL after `WHERE`, built by
/// the caller with its binds), in id order.
pub async fn code_page(
    conn: &mut Conn,
    mut sql: Sql,
    cursor: Option<&str>,
    limit: Option<u32>,
) -> ApiResult<(Vec<Code>, Option<String>)> {
    let limit = page_size(limit);
    if let Some(cursor) = cursor {
        let (_, after) = decode_cursor(cursor)?;
        sql.push(" AND c.id > ").bind(after);
    }
    sql.push(" ORDER BY c.id LIMIT ").bind(limit + 1);
    let rows: Vec<CodeRow> = sql.query_as().fetch_all(conn).await?;
    let (rows, next_cursor) = crate::http::split_page(rows, limit, |r| encode_cursor("", r.id));
    Ok((rows.into_iter().map(Code::from).collect(), next_cursor))
}

/// The codes of a license, optionally of one kind: the Master Codes,
/// Resource Codes and Redemption Codes tabs, and activation codes.
#[utoipa::path(get, path = "/v1/licenses/{id}/codes", tag = "codes", security(("bearer" = [])),
    params(("id" = i64, Path, description = "License id"), CodeQuery),
    responses((status = 200, body = Page<Code>), (status = "4XX", body = Problem)))]
async fn list_codes(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(query): Query<CodeQuery>,
) -> ApiResult<Json<Page<Code>>> {
    auth.require(Permission::Read)?;
    let mut conn = state.db.pool.acquire().await?;
    load_license(&mut conn, &auth.scope, id).await?;
    let mut sql = Sql::new(CODE_SELECT);
    sql.push(" WHERE c.license_id = ").bind(id);
    if let Some(kind) = query.kind {
        sql.push(" AND c.kind = ").bind(kind.as_str().to_string());
    }
    let (items, next_cursor) =
        code_page(&mut conn, sql, query.cursor.as_deref(), query.limit).await?;
    Ok(Json(Page { items, next_cursor }))
}

/// Longest subject name accepted.
const MAX_SUBJECT_LEN: usize = 100;

/// Makes the resource code of one subject for a product that has them
/// (ALEKS / Redbird style); one code per subject and license.
#[utoipa::path(post, path = "/v1/licenses/{id}/resource-codes", tag = "codes", security(("bearer" = [])),
    params(("id" = i64, Path, description = "License id")),
    request_body = NewResourceCode,
    responses((status = 201, body = Code), (status = "4XX", body = Problem)))]
async fn create_resource_code(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Path(id): Path<i64>,
    Json(body): Json<NewResourceCode>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageCodes)?;
    let subject = body.subject.trim().to_string();
    if subject.is_empty() || subject.chars().count() > MAX_SUBJECT_LEN {
        return Err(ApiError::invalid(format!(
            "subject must be 1 to {MAX_SUBJECT_LEN} characters"
        )));
    }
    let fingerprint = mutation::fingerprint(&format!("resource_code:{id}"), &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let license = load_license(w.conn(), &auth.scope, id).await?;
        let org_path = license.org_path.clone();
        let license = license.into_api(today());
        let has_resource_codes: i64 =
            crate::db::query_scalar("SELECT has_resource_codes FROM products WHERE id = $1")
                .bind(license.product_id)
                .fetch_one(w.conn())
                .await?;
        if has_resource_codes == 0 {
            return Err(ApiError::conflict(format!(
                "{} has no resource codes; only products with per-subject classes \
                 (ALEKS, Redbird) do",
                license.product_name
            )));
        }
        let existing: Option<String> = crate::db::query_scalar(
            "SELECT code FROM codes WHERE license_id = $1 AND kind = 'resource' \
             AND LOWER(subject) = LOWER($2)",
        )
        .bind(id)
        .bind(subject.clone())
        .fetch_optional(w.conn())
        .await?;
        if let Some(code) = existing {
            return Err(ApiError::conflict(format!(
                "license {id} already has resource code {code} for {subject}"
            )));
        }
        let fields = CodeFields {
            license_id: id,
            subject: Some(subject.clone()),
            ..CodeFields::default()
        };
        let now = w.now;
        let (code_id, _) = insert_code(w.conn(), CodeKind::Resource, &fields, now).await?;
        let code = load_code(w.conn(), code_id).await?;
        w.record(NewEvent {
            action: "code.create",
            target_type: "code",
            target_id: code_id,
            org_path,
            before: None,
            after: serde_json::to_value(&code).ok(),
        });
        Ok((StatusCode::CREATED, code))
    })
    .await
}
