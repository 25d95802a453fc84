//! The HTTP surface: one module per area, gathered into one router whose
//! OpenAPI document is generated from the handlers' annotations.

pub mod alerts;
pub mod audit;
pub mod codes;
pub mod dashboard;
pub mod health;
pub mod licenses;
// Operators' endpoint, outside the OpenAPI document.
pub mod metrics;
// Kept apart from its alphabetical place so parallel branches merge cleanly.
pub mod imports;
// Likewise.
pub mod export;
pub mod orgs;
pub mod requests;
pub mod seats;
pub mod triage;
pub mod users;
pub mod webhooks;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::error::ApiError;

#[derive(OpenApi)]
#[openapi(
    info(title = "seatdesk licensing API", description = "Seats, codes, revocation and audit for education product licenses."),
    modifiers(&BearerAuth),
    components(schemas(seatdesk_core::Problem))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every route with its OpenAPI description, before state is attached.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::routes())
        .merge(orgs::routes())
        .merge(licenses::routes())
        .merge(seats::routes())
        .merge(audit::routes())
        .merge(webhooks::routes())
        .merge(requests::routes())
        .merge(imports::routes())
        .merge(users::routes())
        .merge(dashboard::routes())
        .merge(triage::routes())
        .merge(codes::routes())
        .merge(alerts::routes())
        .merge(export::routes())
}

/// The OpenAPI document of every route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_router().split_for_parts().1
}

pub fn router(state: AppState) -> Router {
    let body_limit = state.config.body_limit;
    let (router, api) = api_router().split_for_parts();
    let api_json = serde_json::to_string(&api).unwrap_or_default();
    router
        .route(
            "/openapi.json",
            axum::routing::get(move || async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    api_json,
                )
            }),
        )
        .merge(metrics::routes())
        .fallback(|| async { ApiError::not_found("this path") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                seatdesk_core::problem::kinds::BAD_REQUEST,
                "this method is not allowed on this path",
            )
        })
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::retry::retry_transient,
        ))
        // Outside the retry: a refused request is read once, never replayed.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::hostile::refuse_nul,
        ))
        // Outermost but for panics: every answer, refusals included, carries
        // the request's id and is logged once.
        .layer(axum::middleware::from_fn(
            crate::http::request_log::request_log,
        ))
        // Before the log line: it names the client.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::client_addr::client_addr,
        ))
        // A bug must still answer problem+json, not drop the connection.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                tracing::error!("a request handler panicked");
                axum::response::IntoResponse::into_response(ApiError::internal(
                    "the server hit an internal error; it has been logged",
                ))
            },
        ))
        // Outermost: every answer is counted and timed, panics included.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::metrics::count_requests,
        ))
        .with_state(state)
}
