//! Activation-code batches: the User Activation Codes window of the License
//! Inventory article. Create Codes, change the four options (Save), list a
//! license's batches, read one with its codes, Download Codes (.xlsx / CSV).

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use seatdesk_core::api::Page;
use seatdesk_core::api::codes::{
    CodeBatch, CodeBatchDetail, CodeBatchPatch, ExportFormat, ExportQuery, NewCodeBatch, PageQuery,
};
use seatdesk_core::problem::ProblemResponses;
use seatdesk_core::{Permission, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::code_page;
use crate::AppState;
use crate::domain::codes;
use crate::domain::licenses::load_license;
use crate::error::{ApiError, ApiResult};
use crate::export::{codes_csv, codes_xlsx};
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json, Path, Query, decode_cursor, encode_cursor, page_size};
use crate::mutation;
use crate::store::codes::{self as store, CodeSet};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_batches, create_batch))
        .routes(routes!(get_batch, patch_batch))
        .routes(routes!(export_batch))
}

/// Create Codes: a batch of activation codes for a license. The codes'
/// users must fit in the seats still available and not already promised to
/// earlier batches, so every code handed out can be honoured.
#[utoipa::path(post, path = "/v1/licenses/{id}/code-batches", tag = "codes", security(("bearer" = [])),
    params(("id" = i64, Path, description = "License id")),
    request_body = NewCodeBatch,
    responses((status = 201, description = "The new batch; its codes are listed by `GET /v1/code-batches/{id}`", body = CodeBatch),
              (status = 409, description = "Not enough seats, or the license is not usable", body = Problem, content_type = "application/problem+json"),
              ProblemResponses))]
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
        let batch = codes::create_batch(w, state.db.backend, &auth.scope, id, &body).await?;
        Ok((StatusCode::CREATED, batch))
    })
    .await
}

/// The activation-code batches of a license, oldest first.
#[utoipa::path(get, path = "/v1/licenses/{id}/code-batches", tag = "codes", security(("bearer" = [])),
    params(("id" = i64, Path, description = "License id"), PageQuery),
    responses((status = 200, description = "One page of the license's code batches", body = Page<CodeBatch>), ProblemResponses))]
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
    let after = match &query.cursor {
        Some(cursor) => Some(decode_cursor(cursor)?.1),
        None => None,
    };
    let rows = store::batches(&mut conn, id, after, limit).await?;
    let (rows, next_cursor) = crate::http::split_page(rows, limit, |r| encode_cursor("", r.id));
    Ok(Json(Page {
        items: rows.iter().map(codes::batch_api).collect(),
        next_cursor,
    }))
}

/// One batch with a page of its codes.
#[utoipa::path(get, path = "/v1/code-batches/{id}", tag = "codes", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Batch id"), PageQuery),
    responses((status = 200, description = "The batch and one page of its codes", body = CodeBatchDetail), ProblemResponses))]
async fn get_batch(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(query): Query<PageQuery>,
) -> ApiResult<Json<CodeBatchDetail>> {
    auth.require(Permission::Read)?;
    let mut conn = state.db.pool.acquire().await?;
    let batch = codes::batch_api(&codes::load_batch(&mut conn, &auth.scope, id).await?);
    let (codes, next_cursor) = code_page(
        &mut conn,
        CodeSet::Batch(id),
        query.cursor.as_deref(),
        query.limit,
    )
    .await?;
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
    responses((status = 200, description = "The batch with its new options", body = CodeBatch), ProblemResponses))]
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
        let batch = codes::patch_batch(w, &auth.scope, id, &body).await?;
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
              ProblemResponses))]
async fn export_batch(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(query): Query<ExportQuery>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageCodes)?;
    let mut conn = state.db.pool.acquire().await?;
    let rows = codes::batch_sheet(&mut conn, &auth.scope, id).await?;
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
