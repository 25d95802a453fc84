//! `GET /metrics`: Prometheus metrics (OpenMetrics text; what is counted is
//! in [`crate::http::metrics`]).
//!
//! Protection: a bearer token of its own, `serve --metrics-token`
//! (`SEATDESK_METRICS_TOKEN`), not an API token: a scraper needs no org or
//! role, and an API token in a Prometheus config would read licenses too.
//! Without the flag the endpoint is off and answers 404 like any unknown
//! path; with it, a missing or wrong token answers 401. It is not in
//! `/openapi.json`: it is for operators, not API clients.

use axum::Router;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::http::metrics::CONTENT_TYPE as OPENMETRICS;

pub fn routes() -> Router<AppState> {
    Router::new().route("/metrics", axum::routing::get(metrics))
}

/// The scrape: 404 when no metrics token is configured, 401 without it.
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let Some(token) = &state.config.metrics_token else {
        return Err(ApiError::not_found("this path"));
    };
    let given = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if !given.is_some_and(|given| token.matches(given)) {
        return Err(ApiError::unauthorized(
            "GET /metrics needs the server's metrics token (serve --metrics-token) as a bearer token",
        ));
    }
    let mut conn = state.db.pool.acquire().await?;
    let figures = crate::store::metrics::database_figures(&mut conn).await?;
    drop(conn);
    let text = state.metrics.encode(&state.db.pool, &figures);
    Ok((StatusCode::OK, [(CONTENT_TYPE, OPENMETRICS)], text).into_response())
}
