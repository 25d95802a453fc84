//! Renewal and new-license requests: a child org submits, an admin of a
//! parent org approves (creating or renewing the license) or rejects.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use seatdesk_core::api::Page;
use seatdesk_core::api::requests::{LicenseRequest, NewRequest, RequestQuery};
use seatdesk_core::problem::ProblemResponses;
use seatdesk_core::{Permission, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::domain::requests::{self, load_request};
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json, Path, Query, decode_cursor, encode_cursor, page_size};
use crate::mutation;
use crate::store::requests::{self as store, RequestRow};

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
    responses((status = 200, description = "One page of requests the token's org made or must decide", body = Page<LicenseRequest>), ProblemResponses))]
async fn list_requests(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<RequestQuery>,
) -> ApiResult<Json<Page<LicenseRequest>>> {
    auth.require(Permission::Read)?;
    let limit = page_size(query.limit);
    let after = match &query.cursor {
        Some(cursor) => Some(decode_cursor(cursor)?.1),
        None => None,
    };
    let rows = store::list(&state.db.pool, &auth.scope, &query, after, limit + 1).await?;
    let (rows, next_cursor) = crate::http::split_page(rows, limit, |r| encode_cursor("", r.id));
    Ok(Json(Page {
        items: rows.into_iter().map(RequestRow::into_api).collect(),
        next_cursor,
    }))
}

#[utoipa::path(get, path = "/v1/requests/{id}", tag = "requests", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    responses((status = 200, description = "The request", body = LicenseRequest), ProblemResponses))]
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
    if value.is_some_and(|v| v.chars().count() > MAX_TEXT) {
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
                .any(|c| c.trim().is_empty() || c.chars().count() > 200)
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

/// Submits a renewal or new-license request to the parent org.
#[utoipa::path(post, path = "/v1/requests", tag = "requests", security(("bearer" = [])),
    request_body = NewRequest,
    responses((status = 201, description = "The new pending request", body = LicenseRequest),
              (status = 409, description = "A renewal of this license is already pending", body = Problem, content_type = "application/problem+json"),
              ProblemResponses))]
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
        let request = requests::submit(w, &auth.scope, &body).await?;
        Ok((StatusCode::CREATED, request))
    })
    .await
}
