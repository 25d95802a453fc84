//! Liveness and identity: `GET /healthz`, `GET /v1/me`, `POST /v1/tokens`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use seatdesk_core::api::limits::{LABEL_MAX, id_error, text_error};
use seatdesk_core::api::{CreatedToken, Health, Me, NewToken, Readiness};
use seatdesk_core::{Permission, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json};
use crate::mutation;
use crate::store;
use crate::store::audit::NewEvent;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(me))
        .routes(routes!(create_token))
}

/// Reports whether the server and its database answer.
#[utoipa::path(get, path = "/healthz", tag = "meta",
    responses((status = 200, body = Health), (status = 503, body = Problem)))]
async fn healthz(State(state): State<AppState>) -> ApiResult<Json<Health>> {
    store::health::ping(&state.db.pool).await.map_err(|e| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            format!("the database does not answer: {e}"),
        )
    })?;
    Ok(Json(Health {
        status: "ok".into(),
        database: state.db.backend.name().into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}

/// Readiness for a load balancer: 503 until the database answers and holds
/// every migration this build expects (say, while a rolling upgrade waits
/// for the new schema), 200 after.
#[utoipa::path(get, path = "/readyz", tag = "meta",
    responses((status = 200, body = Readiness), (status = 503, body = Problem)))]
async fn readyz(State(state): State<AppState>) -> ApiResult<Json<Readiness>> {
    let unavailable =
        |detail: String| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail);
    let (applied, expected) = store::health::migration_versions(&state.db)
        .await
        .map_err(|e| unavailable(format!("the database does not answer: {e}")))?;
    if applied != expected {
        return Err(unavailable(format!(
            "the database is at migration {applied}, this server expects {expected}"
        )));
    }
    Ok(Json(Readiness {
        status: "ready".into(),
        database: state.db.backend.name().into(),
        migration_applied: applied,
        migration_expected: expected,
    }))
}

/// The calling token: its role, org and permissions.
#[utoipa::path(get, path = "/v1/me", tag = "meta", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = Problem)))]
async fn me(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Me>> {
    let org_name = store::health::org_name(&state.db.pool, auth.org_id).await?;
    Ok(Json(Me {
        token_id: auth.token_id,
        token_name: auth.token_name.clone(),
        role: auth.role,
        org_id: auth.org_id,
        org_name,
        permissions: auth.role.permissions(),
    }))
}

/// Creates a token for an org in the caller's subtree, with a role no
/// higher than the caller's. The secret is returned once.
#[utoipa::path(post, path = "/v1/tokens", tag = "meta", security(("bearer" = [])),
    request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = "4XX", body = Problem)))]
async fn create_token(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Json(body): Json<NewToken>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageTokens)?;
    if body.role.rank() > auth.role.rank() {
        return Err(ApiError::forbidden(format!(
            "a {} token cannot create a {} token",
            auth.role, body.role
        )));
    }
    crate::error::validate([
        text_error("name", &body.name, LABEL_MAX),
        id_error("org_id", body.org_id),
    ])?;
    let fingerprint = mutation::fingerprint("create_token", &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let org_path = store::orgs::path(w.conn(), body.org_id).await?;
        let org_path = org_path
            .filter(|p| auth.in_scope(p))
            .ok_or_else(|| ApiError::not_found(format!("org {}", body.org_id)))?;
        let (id, secret) =
            crate::tokens::insert_token(w.conn(), &body.name, body.role, body.org_id).await?;
        w.answer_is_secret(format!(
            "token {id} was already created with this Idempotency-Key; its secret was shown once"
        ));
        w.record(NewEvent {
            action: "token.create",
            target_type: "token",
            target_id: id,
            org_path,
            before: None,
            after: Some(
                serde_json::json!({"name": body.name, "role": body.role, "org_id": body.org_id}),
            ),
        });
        Ok((
            StatusCode::CREATED,
            CreatedToken {
                id,
                name: body.name.clone(),
                role: body.role,
                org_id: body.org_id,
                secret,
            },
        ))
    })
    .await
}
