//! Role rules: "users of this org (and below) with this role get a seat of
//! this product", e.g. observers → the Observe module. They are applied by
//! [`crate::domain::role_rules`] whenever a user is created or their roles
//! or status change; adding or deleting a rule does not touch existing seats.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use seatdesk_core::api::Page;
use seatdesk_core::api::users::{NewRoleRule, RoleRule, RoleRuleQuery};
use seatdesk_core::problem::ProblemResponses;
use seatdesk_core::{Permission, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::domain::role_rules::{create_rule, delete_rule};
use crate::error::ApiResult;
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json, Path, Query, decode_cursor, encode_cursor, page_size};
use crate::mutation;
use crate::store::role_rules::{self as store, RuleRow};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_role_rules, create_role_rule))
        .routes(routes!(delete_role_rule))
}

/// Role rules of the caller's subtree.
#[utoipa::path(get, path = "/v1/role-rules", tag = "users", security(("bearer" = [])),
    params(RoleRuleQuery),
    responses((status = 200, description = "One page of role rules", body = Page<RoleRule>), ProblemResponses))]
async fn list_role_rules(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<RoleRuleQuery>,
) -> ApiResult<Json<Page<RoleRule>>> {
    auth.require(Permission::Read)?;
    let limit = page_size(query.limit);
    let after = match &query.cursor {
        Some(cursor) => Some(decode_cursor(cursor)?.1),
        None => None,
    };
    let rows = store::list(&state.db.pool, &auth.scope, &query, after, limit).await?;
    let (rows, next_cursor) = crate::http::split_page(rows, limit, |r| encode_cursor("", r.id));
    Ok(Json(Page {
        items: rows.into_iter().map(RuleRow::into_api).collect(),
        next_cursor,
    }))
}

/// Adds a rule for an org of the caller's subtree.
#[utoipa::path(post, path = "/v1/role-rules", tag = "users", security(("bearer" = [])),
    request_body = NewRoleRule,
    responses((status = 201, description = "The new rule", body = RoleRule),
              (status = 409, description = "The org already has this rule", body = Problem, content_type = "application/problem+json"),
              ProblemResponses))]
async fn create_role_rule(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Json(body): Json<NewRoleRule>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageUsers)?;
    crate::domain::role_rules::check_rule(&body)?;
    let fingerprint = mutation::fingerprint("create_role_rule", &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let rule = create_rule(w, &auth.scope, &body).await?;
        Ok((StatusCode::CREATED, rule))
    })
    .await
}

/// Deletes a rule; seats it assigned stay until the user's roles change.
#[utoipa::path(delete, path = "/v1/role-rules/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Role rule id")),
    responses((status = 200, body = RoleRule, description = "The deleted rule"),
              ProblemResponses))]
async fn delete_role_rule(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageUsers)?;
    let fingerprint = mutation::fingerprint(&format!("delete_role_rule:{id}"), &());
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let rule = delete_rule(w, &auth.scope, id).await?;
        Ok((StatusCode::OK, rule))
    })
    .await
}
