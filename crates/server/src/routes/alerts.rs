//! `GET /v1/alerts`: what needs an administrator's attention now, for the
//! dashboard's alert pane and `seatdesk alerts` (monitoring scripts).

use axum::extract::State;
use seatdesk_core::Permission;
use seatdesk_core::api::alerts::{AlertQuery, Alerts, MAX_ALERTS};
use seatdesk_core::problem::ProblemResponses;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::alerts::find::{find_alerts, resolve_view};
use crate::db::types::Stamp;
use crate::domain::licenses::today;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::{Json, Query};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(alerts))
}

/// Alerts of the token's subtree, most severe first: licenses finishing
/// within an expiry threshold (the smallest crossed one is reported),
/// licenses in grace, pools at or above the usage threshold, and codes
/// redeemed more than `fast_redemptions` times within `fast_window_minutes`.
/// Thresholds default to the server's; each may be overridden per request.
#[utoipa::path(get, path = "/v1/alerts", tag = "alerts", security(("bearer" = [])),
    params(AlertQuery),
    responses((status = 200, description = "What needs attention in the token's subtree", body = Alerts), ProblemResponses))]
async fn alerts(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<AlertQuery>,
) -> ApiResult<Json<Alerts>> {
    auth.require(Permission::Read)?;
    let thresholds = query
        .thresholds(&state.config.alert_thresholds)
        .map_err(ApiError::validation)?;
    let mut conn = state.db.pool.acquire().await?;
    let view = resolve_view(&mut conn, &auth, query.account_id, query.org_id).await?;
    drop(conn);
    let today = today();
    let (found, truncated) = find_alerts(
        &state.db.pool,
        &view,
        &thresholds,
        query.kind,
        (today, Stamp::now()),
        MAX_ALERTS,
    )
    .await?;
    Ok(Json(Alerts {
        today,
        thresholds,
        items: found.into_iter().map(|f| f.alert).collect(),
        truncated,
    }))
}
