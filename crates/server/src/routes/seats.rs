//! Seat assignments over HTTP: assign, claim, expire, bulk revoke and
//! restore. The rules live in [`crate::domain::seats`],
//! [`crate::domain::revocation`] and [`crate::domain::restore`].

pub mod bulk;
pub mod claims;
pub mod teachers;

pub use bulk::BulkOptions;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use seatdesk_core::api::seats::NewAssignment;
use seatdesk_core::problem::ProblemResponses;
use seatdesk_core::{Permission, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::domain::seats::{self, UserRef};
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json, Path};
use crate::mutation;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(assign))
        .routes(routes!(claim))
        .routes(routes!(expire))
        .merge(bulk::routes())
        .merge(claims::routes())
        .merge(teachers::routes())
}

/// Assigns a seat of a license to a user (status pending until claimed).
#[utoipa::path(post, path = "/v1/seats", tag = "seats", security(("bearer" = [])),
    request_body = NewAssignment,
    responses((status = 201, description = "The new pending seat", body = seatdesk_core::api::seats::Claim),
              (status = 409, description = "No seats left, or already assigned", body = Problem, content_type = "application/problem+json"),
              ProblemResponses))]
async fn assign(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Json(body): Json<NewAssignment>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageSeats)?;
    let user = match (body.user_id, body.email.as_deref()) {
        (Some(id), None) => UserRef::Id(id),
        (None, Some(email)) => UserRef::Email(email),
        _ => return Err(ApiError::invalid("give exactly one of user_id or email")),
    };
    let fingerprint = mutation::fingerprint("assign", &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let claim = seats::assign(w, &auth.scope, body.license_id, user).await?;
        Ok((StatusCode::CREATED, claim))
    })
    .await
}

/// Marks a pending seat as claimed by its user.
#[utoipa::path(post, path = "/v1/seats/{id}/claim", tag = "seats", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Seat id")),
    responses((status = 200, description = "The seat, now active", body = seatdesk_core::api::seats::Claim), ProblemResponses))]
async fn claim(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageSeats)?;
    let fingerprint = mutation::fingerprint(&format!("claim:{id}"), &());
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let claim = seats::claim(w, state.db.backend, &auth.scope, id).await?;
        Ok((StatusCode::OK, claim))
    })
    .await
}

/// Ends a live seat's validity; the seat is freed for someone else.
#[utoipa::path(post, path = "/v1/seats/{id}/expire", tag = "seats", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Seat id")),
    responses((status = 200, description = "The seat, now expired", body = seatdesk_core::api::seats::Claim), ProblemResponses))]
async fn expire(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageSeats)?;
    let fingerprint = mutation::fingerprint(&format!("expire:{id}"), &());
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let claim = seats::expire(w, state.db.backend, &auth.scope, id).await?;
        Ok((StatusCode::OK, claim))
    })
    .await
}
