//! Activation-code batches: the User Activation Codes window of the License
//! Inventory article. Create Codes, change the four options (Save), list a
//! license's batches, read one with its codes, Download Codes (.xlsx / CSV).

use crate::db::Conn;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use seatdesk_core::api::Page;
use seatdesk_core::api::codes::{
    BatchOptions, CodeBatch, CodeBatchDetail, CodeBatchPatch, ExportFormat, ExportQuery,
    NewCodeBatch, PageQuery,
};
use seatdesk_core::problem::kinds;
use seatdesk_core::{Permission, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{CODE_SELECT, code_page};
use crate::AppState;
use crate::audit::NewEvent;
use crate::codes::{CodeFields, insert_activation_codes};
use crate::db::sql::Sql;
use crate::db::types::Stamp;
use crate::db::{Backend, flag};
use crate::domain::licenses::{load_license, today, unusable_reason};
use crate::error::{ApiError, ApiResult};
use crate::export::{CodeSheetRow, codes_csv, codes_xlsx};
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json, Path, Query, decode_cursor, encode_cursor, page_size};
use crate::mutation;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_batches, create_batch))
        .routes(routes!(get_batch, patch_batch))
        .routes(routes!(export_batch))
}

const DAY_MS: i64 = 86_400_000;

/// Columns of [`BatchRow`]; `b` is code_batches, `l` its license.
const BATCH_SELECT: &str = "SELECT b.id, b.license_id, b.code_count, b.users_per_code, \
    b.duration_days, b.enable_benchmark, b.enable_exercises, b.enable_badges, \
    b.require_teacher_link, b.created_by, b.created_at, \
    (SELECT CAST(COALESCE(SUM(c.uses), 0) AS BIGINT) FROM codes c WHERE c.batch_id = b.id) AS uses, \
    l.org_path FROM code_batches b JOIN licenses l ON l.id = b.license_id";

#[derive(sqlx::FromRow)]
struct BatchRow {
    id: i64,
    license_id: i64,
    code_count: i64,
    users_per_code: i64,
    duration_days: i64,
    enable_benchmark: i64,
    enable_exercises: i64,
    enable_badges: i64,
    require_teacher_link: i64,
    created_by: String,
    created_at: Stamp,
    uses: i64,
    org_path: String,
}

impl BatchRow {
    fn to_api(&self) -> CodeBatch {
        CodeBatch {
            id: self.id,
            license_id: self.license_id,
            code_count: self.code_count,
            users_per_code: self.users_per_code,
            duration_days: self.duration_days,
            options: BatchOptions {
                enable_benchmark: flag(self.enable_benchmark),
                enable_exercises: flag(self.enable_exercises),
                enable_badges: flag(self.enable_badges),
                require_teacher_link: flag(self.require_teacher_link),
            },
            created_by: self.created_by.clone(),
            created_at: self.created_at.0,
            expires_at: self.created_at.0
                + chrono::Duration::milliseconds(self.duration_days * DAY_MS),
            uses: self.uses,
        }
    }
}

/// Loads a batch whose license lies in the caller's scope, or 404.
async fn load_batch(conn: &mut Conn, auth: &Auth, id: i64) -> ApiResult<BatchRow> {
    let mut sql = Sql::new(BATCH_SELECT);
    sql.push(" WHERE b.id = ").bind(id);
    let row: Option<BatchRow> = sql.query_as().fetch_optional(conn).await?;
    row.filter(|r| auth.in_scope(&r.org_path))
        .ok_or_else(|| ApiError::not_found(format!("code batch {id}")))
}

/// Seats promised to unredeemed uses of the license's live activation codes.
async fn promised_seats(conn: &mut Conn, license_id: i64, now: i64) -> ApiResult<i64> {
    let promised: i64 = crate::db::query_scalar(
        "SELECT CAST(COALESCE(SUM(max_uses - uses), 0) AS BIGINT) AS promised FROM codes \
         WHERE license_id = $1 AND kind = 'activation' AND max_uses > uses \
         AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(license_id)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(promised)
}

/// Create Codes: a batch of activation codes for a license. The codes'
/// users must fit in the seats still available and not already promised to
/// earlier batches, so every code handed out can be honoured.
#[utoipa::path(post, path = "/v1/licenses/{id}/code-batches", tag = "codes", security(("bearer" = [])),
    params(("id" = i64, Path, description = "License id")),
    request_body = NewCodeBatch,
    responses((status = 201, body = CodeBatch),
              (status = 409, description = "Not enough seats, or the license is not usable", body = Problem),
              (status = "4XX", body = Problem)))]
async fn create_batch(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Path(id): Path<i64>,
    Json(body): Json<NewCodeBatch>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageCodes)?;
    let problems = body.problems();
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    let fingerprint = mutation::fingerprint(&format!("code_batch:{id}"), &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        if state.db.backend == Backend::Postgres {
            // Serialises batch creation per license, so two batches cannot
            // both count the same free seats.
            crate::db::query("SELECT id FROM licenses WHERE id = $1 FOR UPDATE")
                .bind(id)
                .execute(w.conn())
                .await?;
        }
        let license = load_license(w.conn(), &auth.scope, id).await?;
        let org_path = license.org_path.clone();
        let license = license.into_api(today());
        if let Some(reason) = unusable_reason(&license) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                kinds::LICENSE_NOT_USABLE,
                reason,
            ));
        }
        let now = w.now;
        let promised = promised_seats(w.conn(), id, now).await?;
        let needed = body.count * body.users_per_code;
        let free = license.seats_available - promised;
        if needed > free {
            return Err(ApiError::no_seats_left(format!(
                "{} codes for {} user(s) each need {needed} seats; license {id} has {} seats \
                 available, {promised} of them promised to earlier unredeemed codes",
                body.count, body.users_per_code, license.seats_available
            )));
        }
        let options = body.options();
        let batch_id: i64 = crate::db::query_scalar(
            "INSERT INTO code_batches (license_id, code_count, users_per_code, duration_days, \
             enable_benchmark, enable_exercises, enable_badges, require_teacher_link, created_by, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(id)
        .bind(body.count)
        .bind(body.users_per_code)
        .bind(body.duration_days)
        .bind(i64::from(options.enable_benchmark))
        .bind(i64::from(options.enable_exercises))
        .bind(i64::from(options.enable_badges))
        .bind(i64::from(options.require_teacher_link))
        .bind(w.actor.clone())
        .bind(now)
        .fetch_one(w.conn())
        .await?;
        let fields = CodeFields {
            license_id: id,
            batch_id: Some(batch_id),
            max_uses: body.users_per_code,
            expires_at: Some(now + body.duration_days * DAY_MS),
            ..CodeFields::default()
        };
        insert_activation_codes(w.conn(), &fields, body.count as usize, now).await?;
        let batch = load_batch(w.conn(), &auth, batch_id).await?.to_api();
        // One event for the batch; its codes are read from the batch.
        w.record(NewEvent {
            action: "code_batch.create",
            target_type: "code_batch",
            target_id: batch_id,
            org_path,
            before: None,
            after: serde_json::to_value(&batch).ok(),
        });
        Ok((StatusCode::CREATED, batch))
    })
    .await
}

/// The activation-code batches of a license, oldest first.
#[utoipa::path(get, path = "/v1/licenses/{id}/code-batches", tag = "codes", security(("bearer" = [])),
    params(("id" = i64, Path, description = "License id"), PageQuery),
    responses((status = 200, body = Page<CodeBatch>), (status = "4XX", body = Problem)))]
async fn list_batches(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(query): Query<PageQuery>,
) -> ApiResult<Json<Page<CodeBatch>>> {
    auth.require(Permission::Read)?;
    let mut conn = state.db.pool.acquire().await?;
    load_license(&mut conn, &auth.scope, id).await?;
    let limit = page_size(query.limit);
    let mut sql = Sql::new(BATCH_SELECT);
    sql.push(" WHERE b.license_id = ").bind(id);
    if let Some(cursor) = &query.cursor {
        let (_, after) = decode_cursor(cursor)?;
        sql.push(" AND b.id > ").bind(after);
    }
    sql.push(" ORDER BY b.id LIMIT ").bind(limit + 1);
    let rows: Vec<BatchRow> = sql.query_as().fetch_all(&mut conn).await?;
    let (rows, next_cursor) = crate::http::split_page(rows, limit, |r| encode_cursor("", r.id));
    Ok(Json(Page {
        items: rows.iter().map(BatchRow::to_api).collect(),
        next_cursor,
    }))
}

/// One batch with a page of its codes.
#[utoipa::path(get, path = "/v1/code-batches/{id}", tag = "codes", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Batch id"), PageQuery),
    responses((status = 200, body = CodeBatchDetail), (status = "4XX", body = Problem)))]
async fn get_batch(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(query): Query<PageQuery>,
) -> ApiResult<Json<CodeBatchDetail>> {
    auth.require(Permission::Read)?;
    let mut conn = state.db.pool.acquire().await?;
    let batch = load_batch(&mut conn, &auth, id).await?.to_api();
    let mut sql = Sql::new(CODE_SELECT);
    sql.push(" WHERE c.batch_id = ").bind(id);
    let (codes, next_cursor) =
        code_page(&mut conn, sql, query.cursor.as_deref(), query.limit).await?;
    Ok(Json(CodeBatchDetail {
        batch,
        codes,
        next_cursor,
    }))
}

/// Save: changes the batch's options after its codes were created.
#[utoipa::path(patch, path = "/v1/code-batches/{id}", tag = "codes", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Batch id")),
    request_body = CodeBatchPatch,
    responses((status = 200, body = CodeBatch), (status = "4XX", body = Problem)))]
async fn patch_batch(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Path(id): Path<i64>,
    Json(body): Json<CodeBatchPatch>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageCodes)?;
    let fingerprint = mutation::fingerprint(&format!("code_batch_patch:{id}"), &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let row = load_batch(w.conn(), &auth, id).await?;
        let before = row.to_api().options;
        let after = BatchOptions {
            enable_benchmark: body.enable_benchmark.unwrap_or(before.enable_benchmark),
            enable_exercises: body.enable_exercises.unwrap_or(before.enable_exercises),
            enable_badges: body.enable_badges.unwrap_or(before.enable_badges),
            require_teacher_link: body
                .require_teacher_link
                .unwrap_or(before.require_teacher_link),
        };
        crate::db::query(
            "UPDATE code_batches SET enable_benchmark = $1, enable_exercises = $2, \
             enable_badges = $3, require_teacher_link = $4 WHERE id = $5",
        )
        .bind(i64::from(after.enable_benchmark))
        .bind(i64::from(after.enable_exercises))
        .bind(i64::from(after.enable_badges))
        .bind(i64::from(after.require_teacher_link))
        .bind(id)
        .execute(w.conn())
        .await?;
        let batch = load_batch(w.conn(), &auth, id).await?.to_api();
        w.record(NewEvent {
            action: "code_batch.update",
            target_type: "code_batch",
            target_id: id,
            org_path: row.org_path.clone(),
            before: serde_json::to_value(before).ok(),
            after: serde_json::to_value(after).ok(),
        });
        Ok((StatusCode::OK, batch))
    })
    .await
}

const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Download Codes: the batch as a sheet with the columns Code, Users per
/// code, Name, Last Name, Email. Name and email are filled for single-user
/// codes that were redeemed.
#[utoipa::path(get, path = "/v1/code-batches/{id}/export", tag = "codes", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Batch id"), ExportQuery),
    responses((status = 200, description = "The .xlsx workbook or CSV file",
               content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv"))),
              (status = "4XX", body = Problem)))]
async fn export_batch(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(query): Query<ExportQuery>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageCodes)?;
    let mut conn = state.db.pool.acquire().await?;
    load_batch(&mut conn, &auth, id).await?;
    type SheetLine = (String, i64, Option<String>, Option<String>, Option<String>);
    // A batch holds at most MAX_BATCH_CODES codes, so this is bounded.
    let lines: Vec<SheetLine> = crate::db::query_as(
        "SELECT c.code, c.max_uses, u.given_name, u.family_name, u.email FROM codes c \
         LEFT JOIN seats s ON s.id = c.seat_id LEFT JOIN users u ON u.id = s.user_id \
         WHERE c.batch_id = $1 ORDER BY c.id",
    )
    .bind(id)
    .fetch_all(&mut conn)
    .await?;
    let rows: Vec<CodeSheetRow> = lines
        .into_iter()
        .map(|(code, users_per_code, name, last_name, email)| {
            let single = users_per_code == 1;
            let fill = |value: Option<String>| value.filter(|_| single).unwrap_or_default();
            CodeSheetRow {
                code,
                users_per_code,
                name: fill(name),
                last_name: fill(last_name),
                email: fill(email),
            }
        })
        .collect();
    let format = query.format.unwrap_or_default();
    let (bytes, content_type, extension) = match format {
        ExportFormat::Xlsx => (codes_xlsx(&rows), XLSX_TYPE, "xlsx"),
        ExportFormat::Csv => (codes_csv(&rows), "text/csv; charset=utf-8", "csv"),
    };
    let bytes = bytes.map_err(|e| ApiError::internal(e.to_string()))?;
    let disposition = format!("attachment; filename=\"activation-codes-batch-{id}.{extension}\"");
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
