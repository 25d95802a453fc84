//! Liveness and identity: `GET /healthz`, `GET /v1/me`, `POST /v1/tokens`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use seatdesk_core::api::limits::{LABEL_MAX, id_error, text_error};
use seatdesk_core::api::{CreatedToken, Health, Me, NewToken, Readiness, TokenInfo};
use seatdesk_core::problem::ProblemResponses;
use seatdesk_core::{Permission, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json, Path};
use crate::mutation;
use crate::store;
use crate::store::audit::NewEvent;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(me))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(rotate_token))
}

/// Reports whether the server and its database answer.
#[utoipa::path(get, path = "/healthz", tag = "meta",
    responses((status = 200, description = "The process is up and its database answers", body = Health), (status = 503, description = "The database does not answer", body = Problem, content_type = "application/problem+json"), ProblemResponses))]
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
    responses((status = 200, description = "Ready to take traffic", body = Readiness), (status = 503, description = "Not ready: the database does not answer or migrations are pending", body = Problem, content_type = "application/problem+json"), ProblemResponses))]
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
    responses((status = 200, description = "The token's identity: org, role and what it may do", body = Me), (status = 401, description = "No token, or one that is unknown, revoked or expired", body = Problem, content_type = "application/problem+json"), ProblemResponses))]
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
    responses((status = 201, description = "The new token; its secret is shown only here", body = CreatedToken), ProblemResponses))]
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
        body.expires_in_days
            .filter(|d| !(1..=3650).contains(d))
            .map(|_| "expires_in_days must be 1 to 3650".to_string()),
    ])?;
    let fingerprint = mutation::fingerprint("create_token", &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let org_path = store::orgs::path(w.conn(), body.org_id).await?;
        let org_path = org_path
            .filter(|p| auth.in_scope(p))
            .ok_or_else(|| ApiError::not_found(format!("org {}", body.org_id)))?;
        let expires_at = crate::tokens::expiry(body.role, body.expires_in_days);
        let (id, secret) = crate::tokens::insert_token_until(
            w.conn(),
            &body.name,
            body.role,
            body.org_id,
            Some(expires_at),
        )
        .await?;
        w.answer_is_secret(format!(
            "token {id} was already created with this Idempotency-Key; its secret was shown once"
        ));
        w.record(NewEvent {
            action: "token.create",
            target_type: "token",
            target_id: id,
            org_path,
            before: None,
            after: Some(serde_json::json!({"name": body.name, "role": body.role,
                "org_id": body.org_id, "expires_at": expires_at.0})),
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

/// Tokens of the caller's subtree (never their secrets), by id: who made
/// them for which org and role, when they were last used, when they expire.
#[utoipa::path(get, path = "/v1/tokens", tag = "meta", security(("bearer" = [])),
    responses((status = 200, description = "The tokens of the caller's subtree, secrets never included", body = Vec<TokenInfo>), ProblemResponses))]
async fn list_tokens(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<TokenInfo>>> {
    auth.require(Permission::ManageTokens)?;
    let rows = store::tokens::list(&state.db.pool, &auth.scope).await?;
    Ok(Json(rows.into_iter().map(|r| r.into_api()).collect()))
}

/// Token `id` if the caller may change it: in its subtree (else 404) and of
/// a role no higher than its own (else 403).
async fn token_to_change(
    w: &mut mutation::Work,
    auth: &Auth,
    id: i64,
) -> ApiResult<store::tokens::TokenRow> {
    let row = store::tokens::token(w.conn(), id)
        .await?
        .filter(|t| auth.in_scope(&t.org_path))
        .ok_or_else(|| ApiError::not_found(format!("token {id}")))?;
    if row.role.0.rank() > auth.role.rank() {
        return Err(ApiError::forbidden(format!(
            "a {} token cannot change a {} token",
            auth.role, row.role.0
        )));
    }
    if row.revoked_at.is_some() {
        return Err(ApiError::conflict(format!("token {id} is already revoked")));
    }
    Ok(row)
}

/// Revokes a token at once: the next request with it is refused by every
/// server, since each request reads the token from the database.
#[utoipa::path(delete, path = "/v1/tokens/{id}", tag = "meta", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Token id")),
    responses((status = 200, body = TokenInfo, description = "The revoked token"),
              ProblemResponses))]
async fn revoke_token(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageTokens)?;
    let fingerprint = mutation::fingerprint(&format!("revoke_token:{id}"), &());
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let before = token_to_change(w, &auth, id).await?;
        let org_path = before.org_path.clone();
        let before = before.into_api();
        let now = w.now;
        store::tokens::revoke(w.conn(), id, now).await?;
        let after = store::tokens::token(w.conn(), id)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("token {id}")))?
            .into_api();
        w.record(NewEvent {
            action: "token.revoke",
            target_type: "token",
            target_id: id,
            org_path,
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&after).ok(),
        });
        Ok((StatusCode::OK, after))
    })
    .await
}

/// Replaces a token: the old one is revoked and a new one with the same
/// name, role and org (and its role's default lifetime) is returned with
/// its secret, once.
#[utoipa::path(post, path = "/v1/tokens/{id}/rotate", tag = "meta", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Token id")),
    responses((status = 201, description = "The replacement token; its secret is shown only here, and the old one no longer works", body = CreatedToken), ProblemResponses))]
async fn rotate_token(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageTokens)?;
    let fingerprint = mutation::fingerprint(&format!("rotate_token:{id}"), &());
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let old = token_to_change(w, &auth, id).await?;
        let (name, role, org_id, org_path) = (old.name.clone(), old.role.0, old.org_id, old.org_path.clone());
        let before = old.into_api();
        let now = w.now;
        store::tokens::revoke(w.conn(), id, now).await?;
        let expires_at = crate::tokens::expiry(role, None);
        let (new_id, secret) =
            crate::tokens::insert_token_until(w.conn(), &name, role, org_id, Some(expires_at))
                .await?;
        w.answer_is_secret(format!(
            "token {id} was already rotated with this Idempotency-Key; the new secret was shown once"
        ));
        w.record(NewEvent {
            action: "token.rotate",
            target_type: "token",
            target_id: id,
            org_path,
            before: serde_json::to_value(&before).ok(),
            after: Some(serde_json::json!({"replaced_by": new_id, "expires_at": expires_at.0})),
        });
        Ok((
            StatusCode::CREATED,
            CreatedToken {
                id: new_id,
                name,
                role,
                org_id,
                secret,
            },
        ))
    })
    .await
}
