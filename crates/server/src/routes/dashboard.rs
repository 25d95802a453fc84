//! The License Dashboard summary over HTTP: the figures are
//! [`crate::domain::dashboard`]'s, aggregated in SQL by
//! [`crate::store::dashboard`].
//!
//! A computed dashboard is kept per view and day, and served again while
//! the audit feed head has not moved (see [`crate::feed_cache`]): any
//! audited write, from any server process, makes the next request compute
//! afresh.

use axum::extract::State;
use chrono::NaiveDate;
use seatdesk_core::Permission;
use seatdesk_core::api::dashboard::{Dashboard, DashboardQuery};
use seatdesk_core::problem::ProblemResponses;
use seatdesk_core::seats::week_index;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::db::now_ms;
use crate::domain::dashboard;
use crate::domain::licenses::today;
use crate::error::ApiResult;
use crate::feed_cache::FeedCache;
use crate::http::auth::Auth;
use crate::http::{Json, Query};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(dashboard))
}

/// What a dashboard answer depends on besides the data: the caller's
/// subtree, the filters, and the day and week it was computed for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DashboardKey {
    scope: String,
    account_id: Option<i64>,
    org_id: Option<i64>,
    product_id: Option<i64>,
    today: NaiveDate,
    last_week: i64,
}

/// Dashboards are a few kilobytes; cloning one is cheaper than a query.
pub type DashboardCache = FeedCache<DashboardKey, Dashboard>;

/// The License Dashboard for the token's subtree, optionally narrowed to a
/// purchasing account, an org's subtree or a product. "Today" is the
/// server's UTC date, returned as `today`.
#[utoipa::path(get, path = "/v1/dashboard", tag = "dashboard", security(("bearer" = [])),
    params(DashboardQuery),
    responses((status = 200, description = "The dashboard figures of the token's subtree", body = Dashboard), ProblemResponses))]
async fn dashboard(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<DashboardQuery>,
) -> ApiResult<Json<Dashboard>> {
    auth.require(Permission::Read)?;
    let view = dashboard::resolve_view(&state.db.pool, &auth.scope, &query).await?;
    let today = today();
    let last_week = week_index(now_ms());
    if !state.config.feed_cache {
        return Ok(Json(
            dashboard::compute(&state.db.pool, &view, today, last_week).await?,
        ));
    }
    let key = DashboardKey {
        scope: view.scope.path().to_string(),
        account_id: query.account_id,
        org_id: query.org_id,
        product_id: query.product_id,
        today,
        last_week,
    };
    // Read with the token, before the figures: a write committed meanwhile
    // moves the head past this one, so the answer stored under it is never
    // served stale.
    let head = auth.feed_head;
    if let Some(hit) = state.dashboards.get(&key, head) {
        return Ok(Json(hit));
    }
    let answer = dashboard::compute(&state.db.pool, &view, today, last_week).await?;
    state.dashboards.put(key, head, answer.clone());
    Ok(Json(answer))
}
