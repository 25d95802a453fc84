//! The access check over HTTP: for one user and one product, each condition
//! access depends on as pass/fail with the reason (the rules are
//! [`crate::domain::triage::access_check`]'s).

use axum::extract::State;
use seatdesk_core::Permission;
use seatdesk_core::api::triage::{AccessCheck, AccessCheckQuery};
use seatdesk_core::problem::ProblemResponses;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::domain::triage;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::{Json, Query};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(access_check))
}

/// Checks, for one user and one product, each condition access depends on,
/// in a fixed order: account active, role, org, license active and in date,
/// seat held, training prerequisites.
#[utoipa::path(get, path = "/v1/access-check", tag = "triage", security(("bearer" = [])),
    params(AccessCheckQuery),
    responses((status = 200, description = "Whether the user can get in, and every reason not", body = AccessCheck), ProblemResponses))]
async fn access_check(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<AccessCheckQuery>,
) -> ApiResult<Json<AccessCheck>> {
    auth.require(Permission::Triage)?;
    if query.user.trim().is_empty() || query.product.trim().is_empty() {
        return Err(ApiError::invalid(
            "give both user (email or id) and product (SKU or id)",
        ));
    }
    let mut conn = state.db.pool.acquire().await?;
    let check = triage::access_check(&mut conn, &auth.scope, &query.user, &query.product).await?;
    Ok(Json(check))
}
