//! Bulk revocation and restore: many seats per request, one result per id;
//! a refused item never rolls back or hides the others. The work is
//! [`revoke_seats`] and [`restore_seats`].

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use seatdesk_core::Permission;
use seatdesk_core::api::seats::SeatIds;
use seatdesk_core::api::{BulkResult, MAX_BULK_ITEMS};
use seatdesk_core::problem::ProblemResponses;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::domain::restore::restore_seats;
use crate::domain::revocation::revoke_seats;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json, Query};
use crate::mutation;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(revoke))
        .routes(routes!(restore))
}

/// `?dry_run=true`: report each item's outcome without changing anything.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BulkOptions {
    /// Run in a transaction that is rolled back; the results are exactly
    /// what a real run would return now.
    #[serde(default)]
    pub dry_run: bool,
}

impl BulkOptions {
    pub fn mode(self) -> mutation::Mode {
        if self.dry_run {
            mutation::Mode::DryRun
        } else {
            mutation::Mode::Commit
        }
    }
}

fn check_bulk_size(ids: &[i64]) -> ApiResult<()> {
    if ids.is_empty() {
        return Err(ApiError::invalid("seat_ids must list at least one seat"));
    }
    if ids.len() > MAX_BULK_ITEMS {
        return Err(ApiError::batch_too_large(ids.len(), MAX_BULK_ITEMS));
    }
    Ok(())
}

/// Revokes many seats in one request, one result per id. A student-edition
/// seat whose teacher still has students assigned is refused (the teacher
/// must remove them first); the others still go through.
#[utoipa::path(post, path = "/v1/seats/revoke", tag = "seats", security(("bearer" = [])),
    params(BulkOptions),
    request_body = SeatIds,
    responses((status = 200, description = "What was revoked, and why each refused seat was refused", body = BulkResult), ProblemResponses))]
async fn revoke(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Query(options): Query<BulkOptions>,
    Json(body): Json<SeatIds>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageSeats)?;
    check_bulk_size(&body.seat_ids)?;
    let fingerprint = mutation::fingerprint("revoke", &body);
    mutation::run_mode(
        &state,
        &auth,
        &key,
        fingerprint,
        options.mode(),
        async |w| {
            let (now, actor) = (w.now, w.actor.clone());
            let (results, events) = revoke_seats(
                w.conn(),
                state.db.backend,
                &auth.scope,
                &body.seat_ids,
                &actor,
                now,
            )
            .await?;
            w.record_rows(&events);
            Ok((StatusCode::OK, BulkResult::from_results(results)))
        },
    )
    .await
}

/// Undoes revocations made within the restore window, putting each seat
/// back as it was, never past the license's seat limit.
#[utoipa::path(post, path = "/v1/seats/restore", tag = "seats", security(("bearer" = [])),
    params(BulkOptions),
    request_body = SeatIds,
    responses((status = 200, description = "What was restored, and why each refused seat was refused", body = BulkResult), ProblemResponses))]
async fn restore(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Query(options): Query<BulkOptions>,
    Json(body): Json<SeatIds>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageSeats)?;
    check_bulk_size(&body.seat_ids)?;
    let fingerprint = mutation::fingerprint("restore", &body);
    mutation::run_mode(
        &state,
        &auth,
        &key,
        fingerprint,
        options.mode(),
        async |w| {
            let results = restore_seats(
                w,
                state.db.backend,
                &auth.scope,
                &body.seat_ids,
                state.config.restore_window,
            )
            .await?;
            Ok((StatusCode::OK, BulkResult::from_results(results)))
        },
    )
    .await
}
