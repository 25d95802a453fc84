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
// Likewise.
pub mod orgs;
pub mod reclaim;
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
        .merge(reclaim::routes())
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

#[cfg(test)]
mod tests {
    //! Structural checks of the generated document, cheap enough to run
    //! without the Python validator and schemathesis (`.ci/contract`).

    use serde_json::Value;

    fn document() -> Value {
        serde_json::to_value(super::openapi()).expect("the document serializes")
    }

    /// Every `(operation, status, response)` of the document.
    fn responses(doc: &Value) -> Vec<(String, String, &Value)> {
        let mut found = Vec::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("a path item") {
                let Some(responses) = operation["responses"].as_object() else {
                    continue;
                };
                for (status, response) in responses {
                    found.push((format!("{method} {path}"), status.clone(), response));
                }
            }
        }
        found
    }

    fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    match (key.as_str(), inner) {
                        ("$ref", Value::String(target)) => found.push(target),
                        _ => refs(inner, found),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| refs(item, found)),
            _ => {}
        }
    }

    #[test]
    fn every_response_has_a_description() {
        let doc = document();
        let bare: Vec<_> = responses(&doc)
            .into_iter()
            .filter(|(_, _, r)| r["description"].as_str().is_none_or(str::is_empty))
            .map(|(op, status, _)| format!("{op} {status}"))
            .collect();
        assert!(bare.is_empty(), "responses without a description: {bare:?}");
    }

    #[test]
    fn every_ref_names_a_component_schema() {
        let doc = document();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(found.len() > 50, "only {} $refs", found.len());
        let dangling: Vec<_> = found
            .into_iter()
            .filter(|target| {
                let name = target
                    .strip_prefix("#/components/schemas/")
                    .unwrap_or(target);
                doc["components"]["schemas"].get(name).is_none()
            })
            .collect();
        assert!(dangling.is_empty(), "dangling $refs: {dangling:?}");
    }

    #[test]
    fn problems_are_documented_as_problem_json_and_every_operation_has_them() {
        let doc = document();
        for (op, status, response) in responses(&doc) {
            let Some(content) = response["content"].as_object() else {
                continue;
            };
            for (media, body) in content {
                let is_problem =
                    body["schema"]["$ref"].as_str() == Some("#/components/schemas/Problem");
                assert_eq!(
                    is_problem,
                    media == seatdesk_core::problem::CONTENT_TYPE,
                    "{op} {status}: {media}"
                );
            }
        }
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("a path item") {
                for range in ["4XX", "5XX"] {
                    assert!(
                        operation["responses"].get(range).is_some(),
                        "{method} {path} does not document its {range} problems"
                    );
                }
            }
        }
    }
}
