//! The discrepancy report ("License Count Discrepancies" in the seeds) over
//! HTTP: archived or suspended users still holding seats, duplicate
//! assignments, stored counters that disagree with seat rows or child
//! licenses, and licenses whose live rows exceed their seats. Each kind is
//! one grouped query ([`crate::store::triage::discrepancies`]), counted in
//! full and listed up to a cap.

use axum::extract::State;
use seatdesk_core::Permission;
use seatdesk_core::api::triage::{DiscrepancyQuery, DiscrepancyReport};
use seatdesk_core::problem::ProblemResponses;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::domain::triage;
use crate::error::ApiResult;
use crate::http::auth::Auth;
use crate::http::{Json, Query};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(discrepancies))
}

/// Items listed per kind unless the caller asks for another cap.
const DEFAULT_ITEMS_PER_KIND: u32 = 50;
const MAX_ITEMS_PER_KIND: u32 = 1000;

/// Finds every kind of discrepancy in the caller's subtree: per kind the
/// total and the first `limit` items (by license, user, seat).
#[utoipa::path(get, path = "/v1/discrepancies", tag = "triage", security(("bearer" = [])),
    params(DiscrepancyQuery),
    responses((status = 200, description = "Where recorded and recomputed seat counts disagree", body = DiscrepancyReport), ProblemResponses))]
async fn discrepancies(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<DiscrepancyQuery>,
) -> ApiResult<Json<DiscrepancyReport>> {
    auth.require(Permission::Triage)?;
    let limit = i64::from(
        query
            .limit
            .unwrap_or(DEFAULT_ITEMS_PER_KIND)
            .clamp(1, MAX_ITEMS_PER_KIND),
    );
    let mut conn = state.db.pool.acquire().await?;
    let report = triage::discrepancies(&mut conn, &auth.scope, limit).await?;
    Ok(Json(report))
}
