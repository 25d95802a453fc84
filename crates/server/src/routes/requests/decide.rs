//! The parent org's decision on a request over HTTP: input checks, then
//! [`requests::approve`] / [`requests::reject`], where the rules live.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use seatdesk_core::api::requests::{Approval, LicenseRequest, Rejection};
use seatdesk_core::problem::ProblemResponses;
use seatdesk_core::{Permission, Problem};

use super::{MAX_SEATS, MAX_TEXT};
use crate::AppState;
use crate::domain::requests;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json, Path};
use crate::mutation;

/// Approves a pending request of a child org.
#[utoipa::path(post, path = "/v1/requests/{id}/approve", tag = "requests", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    request_body = Approval,
    responses((status = 200, description = "The approved request, naming the license it created or renewed", body = LicenseRequest),
              (status = 403, description = "Not an admin of a parent org of the requester", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "The request is no longer pending", body = Problem, content_type = "application/problem+json"),
              ProblemResponses))]
pub(super) async fn approve(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Path(id): Path<i64>,
    Json(body): Json<Approval>,
) -> ApiResult<Response> {
    auth.require(Permission::DecideRequest)?;
    let mut errors = Vec::new();
    if body.seats.is_some_and(|s| !(1..=MAX_SEATS).contains(&s)) {
        errors.push(format!("seats must be between 1 and {MAX_SEATS}"));
    }
    if body
        .approval_comments
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_TEXT)
    {
        errors.push(format!(
            "approval_comments must be at most {MAX_TEXT} characters"
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let fingerprint = mutation::fingerprint(&format!("approve_request:{id}"), &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let comments = body.approval_comments.clone().unwrap_or_default();
        let request = requests::approve(w, &auth.scope, id, body.seats, &comments).await?;
        Ok((StatusCode::OK, request))
    })
    .await
}

/// Rejects a pending request of a child org; the reason is required.
#[utoipa::path(post, path = "/v1/requests/{id}/reject", tag = "requests", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    request_body = Rejection,
    responses((status = 200, description = "The rejected request", body = LicenseRequest),
              (status = 403, description = "Not an admin of a parent org of the requester", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "The request is no longer pending", body = Problem, content_type = "application/problem+json"),
              ProblemResponses))]
pub(super) async fn reject(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Path(id): Path<i64>,
    Json(body): Json<Rejection>,
) -> ApiResult<Response> {
    auth.require(Permission::DecideRequest)?;
    let comments = body.approval_comments.trim().to_string();
    if comments.is_empty() || body.approval_comments.chars().count() > MAX_TEXT {
        return Err(ApiError::invalid(format!(
            "approval_comments must say why the request is rejected (1 to {MAX_TEXT} characters)"
        )));
    }
    let fingerprint = mutation::fingerprint(&format!("reject_request:{id}"), &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let request = requests::reject(w, &auth.scope, id, &comments).await?;
        Ok((StatusCode::OK, request))
    })
    .await
}
