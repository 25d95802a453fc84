//! Renewal and new-license requests: a child org submits, an admin of a
//! parent org approves (creating or renewing the license) or rejects.

use crate::db::Conn;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use seatdesk_core::api::Page;
use seatdesk_core::api::requests::{
    LicenseRequest, NewLicenseRequest, NewRenewal, NewRequest, RequestQuery,
};
use seatdesk_core::{LicenseStatus, Permission, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::audit::NewEvent;
use crate::db::sql::Sql;
use crate::domain::licenses::{account_in_scope, load_license, today};
use crate::domain::requests::{REQUEST_SELECT, RequestRow, load_request};
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json, Path, Query, decode_cursor, encode_cursor, page_size};
use crate::mutation::{self, Work};

mod decide;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_requests, submit_request))
        .routes(routes!(get_request))
        .routes(routes!(decide::approve))
        .routes(routes!(decide::reject))
}

/// Longest free text accepted in comments and purchase orders.
const MAX_TEXT: usize = 2000;
/// Most seats one request may ask for.
const MAX_SEATS: i64 = 10_000_000;

/// Requests of the caller's subtree: a parent org sees its children's.
#[utoipa::path(get, path = "/v1/requests", tag = "requests", security(("bearer" = [])),
    params(RequestQuery),
    responses((status = 200, body = Page<LicenseRequest>), (status = "4XX", body = Problem)))]
async fn list_requests(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<RequestQuery>,
) -> ApiResult<Json<Page<LicenseRequest>>> {
    auth.require(Permission::Read)?;
    let limit = page_size(query.limit);
    let mut sql = Sql::new(REQUEST_SELECT);
    sql.push(" WHERE ").push(&auth.scope.sql("r.org_path"));
    if let Some(status) = query.status {
        sql.push(" AND r.status = ")
            .bind(status.as_str().to_string());
    }
    if let Some(kind) = query.kind {
        sql.push(" AND r.kind = ").bind(kind.as_str().to_string());
    }
    if let Some(license_id) = query.license_id {
        sql.push(" AND r.license_id = ").bind(license_id);
    }
    if let Some(cursor) = &query.cursor {
        let (_, after) = decode_cursor(cursor)?;
        sql.push(" AND r.id > ").bind(after);
    }
    sql.push(" ORDER BY r.id LIMIT ").bind(limit + 1);
    let rows: Vec<RequestRow> = sql.query_as().fetch_all(&state.db.pool).await?;
    let (rows, next_cursor) = crate::http::split_page(rows, limit, |r| encode_cursor("", r.id));
    Ok(Json(Page {
        items: rows.into_iter().map(RequestRow::into_api).collect(),
        next_cursor,
    }))
}

#[utoipa::path(get, path = "/v1/requests/{id}", tag = "requests", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    responses((status = 200, body = LicenseRequest), (status = "4XX", body = Problem)))]
async fn get_request(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<LicenseRequest>> {
    auth.require(Permission::Read)?;
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(
        load_request(&mut conn, &auth.scope, id).await?.into_api(),
    ))
}

fn check_text(errors: &mut Vec<String>, field: &str, value: Option<&String>) {
    if value.is_some_and(|v| v.len() > MAX_TEXT) {
        errors.push(format!("{field} must be at most {MAX_TEXT} characters"));
    }
}

fn check_seats(errors: &mut Vec<String>, field: &str, value: Option<i64>) {
    if value.is_some_and(|v| !(1..=MAX_SEATS).contains(&v)) {
        errors.push(format!("{field} must be between 1 and {MAX_SEATS}"));
    }
}

fn validate(body: &NewRequest) -> ApiResult<()> {
    let mut errors = Vec::new();
    match body {
        NewRequest::Renewal(r) => {
            if r.courses.is_some() || r.product_id.is_some() {
                errors.push(
                    "the product mix of a license cannot change on renewal: leave out courses \
                     and product_id (the renewal keeps the license's products), or request a \
                     new license instead"
                        .to_string(),
                );
            }
            if r.finish_date < r.start_date {
                errors.push("finish_date must not be before start_date".to_string());
            }
            for (name, date) in [("start_date", r.start_date), ("finish_date", r.finish_date)] {
                errors.extend(crate::domain::licenses::check_date(name, date).err());
            }
            check_seats(&mut errors, "students", r.students);
            check_text(&mut errors, "purchase_order", r.purchase_order.as_ref());
            check_text(&mut errors, "comments", r.comments.as_ref());
        }
        NewRequest::NewLicense(r) => {
            check_seats(&mut errors, "students", Some(r.students));
            for (name, date) in [("start_date", r.start_date), ("finish_date", r.finish_date)] {
                if let Some(date) = date {
                    errors.extend(crate::domain::licenses::check_date(name, date).err());
                }
            }
            if let (Some(start), Some(finish)) = (r.start_date, r.finish_date)
                && finish < start
            {
                errors.push("finish_date must not be before start_date".to_string());
            }
            if r.courses
                .iter()
                .any(|c| c.trim().is_empty() || c.len() > 200)
            {
                errors.push("each course must be 1 to 200 characters".to_string());
            }
            if r.courses.len() > 200 {
                errors.push("at most 200 courses".to_string());
            }
            check_text(&mut errors, "purchase_order", r.purchase_order.as_ref());
            check_text(&mut errors, "comments", r.comments.as_ref());
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// The parent of the requesting org, which decides the request.
async fn parent_org(conn: &mut Conn, org_id: i64) -> ApiResult<i64> {
    let parent: Option<Option<i64>> =
        crate::db::query_scalar("SELECT parent_id FROM orgs WHERE id = $1")
            .bind(org_id)
            .fetch_optional(conn)
            .await?;
    parent.flatten().ok_or_else(|| {
        ApiError::invalid(format!(
            "org {org_id} has no parent org to send the request to"
        ))
    })
}

/// Submits a renewal or new-license request to the parent org.
#[utoipa::path(post, path = "/v1/requests", tag = "requests", security(("bearer" = [])),
    request_body = NewRequest,
    responses((status = 201, body = LicenseRequest),
              (status = 409, description = "A renewal of this license is already pending", body = Problem),
              (status = "4XX", body = Problem)))]
async fn submit_request(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Json(body): Json<NewRequest>,
) -> ApiResult<Response> {
    auth.require(Permission::SubmitRequest)?;
    validate(&body)?;
    let fingerprint = mutation::fingerprint("submit_request", &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let id = match &body {
            NewRequest::Renewal(r) => insert_renewal(w, &auth, r).await?,
            NewRequest::NewLicense(r) => insert_new_license(w, &auth, r).await?,
        };
        let request = load_request(w.conn(), &auth.scope, id).await?;
        let org_path = request.org_path.clone();
        let request = request.into_api();
        w.record(NewEvent {
            action: "request.submit",
            target_type: "request",
            target_id: id,
            org_path,
            before: None,
            after: serde_json::to_value(&request).ok(),
        });
        Ok((StatusCode::CREATED, request))
    })
    .await
}

async fn insert_renewal(w: &mut Work, auth: &Auth, r: &NewRenewal) -> ApiResult<i64> {
    let license = load_license(w.conn(), &auth.scope, r.license_id).await?;
    let org_path = license.org_path.clone();
    let license = license.into_api(today());
    if license.status == LicenseStatus::Requested {
        return Err(ApiError::conflict(format!(
            "license {} is itself a request not yet approved; it cannot be renewed",
            license.id
        )));
    }
    let requested_to = parent_org(w.conn(), license.org_id).await?;
    // The conditional update is the lock: of two concurrent renewals of one
    // license, the second finds the flag set and is refused.
    let flagged = crate::db::query(
        "UPDATE licenses SET renewal_requested = 1, updated_at = $1 \
         WHERE id = $2 AND renewal_requested = 0",
    )
    .bind(w.now)
    .bind(license.id)
    .execute(w.conn())
    .await?
    .rows_affected();
    if flagged == 0 {
        return Err(ApiError::conflict(format!(
            "license {} already has a pending renewal request; wait for the parent org's decision",
            license.id
        )));
    }
    let id: i64 = crate::db::query_scalar(
        "INSERT INTO requests (kind, status, license_id, account_id, org_id, org_path, \
         requested_to_org_id, product_id, new_code, inventory_type, students, courses, start_date, \
         finish_date, purchase_order, comments, created_by, created_at) \
         VALUES ('renewal', 'pending', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
         RETURNING id",
    )
    .bind(license.id)
    .bind(license.account_id)
    .bind(license.org_id)
    .bind(org_path.clone())
    .bind(requested_to)
    .bind(license.product_id)
    .bind(i64::from(r.new_code))
    .bind(license.inventory_type.as_str().to_string())
    .bind(r.students)
    .bind(serde_json::to_string(&license.courses).unwrap_or_else(|_| "[]".into()))
    .bind(r.start_date.to_string())
    .bind(r.finish_date.to_string())
    .bind(
        r.purchase_order
            .clone()
            .unwrap_or_else(|| license.purchase_order.clone())
            .trim()
            .to_string(),
    )
    .bind(r.comments.clone().unwrap_or_default().trim().to_string())
    .bind(w.actor.clone())
    .bind(w.now)
    .fetch_one(w.conn())
    .await?;
    w.record(NewEvent {
        action: "license.renewal_requested",
        target_type: "license",
        target_id: license.id,
        org_path,
        before: Some(serde_json::json!({ "renewal_requested": false })),
        after: Some(serde_json::json!({ "renewal_requested": true, "request_id": id })),
    });
    Ok(id)
}

async fn insert_new_license(w: &mut Work, auth: &Auth, r: &NewLicenseRequest) -> ApiResult<i64> {
    let (org_id, org_path) = account_in_scope(w.conn(), &auth.scope, r.account_id).await?;
    let product: Option<i64> = crate::db::query_scalar("SELECT id FROM products WHERE id = $1")
        .bind(r.product_id)
        .fetch_optional(w.conn())
        .await?;
    product.ok_or_else(|| ApiError::not_found(format!("product {}", r.product_id)))?;
    let requested_to = parent_org(w.conn(), org_id).await?;
    let courses: Vec<String> = r.courses.iter().map(|c| c.trim().to_string()).collect();
    let id: i64 = crate::db::query_scalar(
        "INSERT INTO requests (kind, status, account_id, org_id, org_path, requested_to_org_id, \
         product_id, inventory_type, students, courses, start_date, finish_date, purchase_order, \
         comments, created_by, created_at) \
         VALUES ('new_license', 'pending', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         RETURNING id",
    )
    .bind(r.account_id)
    .bind(org_id)
    .bind(org_path)
    .bind(requested_to)
    .bind(r.product_id)
    .bind(r.inventory_type.as_str().to_string())
    .bind(r.students)
    .bind(serde_json::to_string(&courses).unwrap_or_else(|_| "[]".into()))
    .bind(r.start_date.map(|d| d.to_string()))
    .bind(r.finish_date.map(|d| d.to_string()))
    .bind(r.purchase_order.clone().unwrap_or_default().trim().to_string())
    .bind(r.comments.clone().unwrap_or_default().trim().to_string())
    .bind(w.actor.clone())
    .bind(w.now)
    .fetch_one(w.conn())
    .await?;
    Ok(id)
}
