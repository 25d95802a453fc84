//! Role rules: "users of this org (and below) with this role get a seat of
//! this product", e.g. observers → the Observe module. They are applied by
//! [`super::assign`] whenever a user is created or their roles or status
//! change; adding or deleting a rule does not touch existing seats.

use crate::db::Conn;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use seatdesk_core::api::Page;
use seatdesk_core::api::users::{NewRoleRule, RoleRule, RoleRuleQuery};
use seatdesk_core::{Permission, Problem, UserRole};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::audit::NewEvent;
use crate::db::sql::Sql;
use crate::db::types::{Named, Stamp};
use crate::domain::orgs::org_path_in_scope;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json, Path, Query, decode_cursor, encode_cursor, page_size};
use crate::mutation;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_role_rules, create_role_rule))
        .routes(routes!(delete_role_rule))
}

const RULE_SELECT: &str = "SELECT r.id, r.org_id, r.org_path, r.role, r.product_id, \
    p.name AS product_name, r.created_at FROM role_rules r JOIN products p ON p.id = r.product_id";

#[derive(sqlx::FromRow)]
struct RuleRow {
    id: i64,
    org_id: i64,
    org_path: String,
    role: Named<UserRole>,
    product_id: i64,
    product_name: String,
    created_at: Stamp,
}

impl RuleRow {
    fn into_api(self) -> RoleRule {
        RoleRule {
            id: self.id,
            org_id: self.org_id,
            role: self.role.0,
            product_id: self.product_id,
            product_name: self.product_name,
            created_at: self.created_at.0,
        }
    }
}

async fn load_rule(conn: &mut Conn, auth: &Auth, id: i64) -> ApiResult<RuleRow> {
    let mut sql = Sql::new(RULE_SELECT);
    sql.push(" WHERE r.id = ").bind(id);
    let row: Option<RuleRow> = sql.query_as().fetch_optional(conn).await?;
    row.filter(|r| auth.in_scope(&r.org_path))
        .ok_or_else(|| ApiError::not_found(format!("role rule {id}")))
}

/// Role rules of the caller's subtree.
#[utoipa::path(get, path = "/v1/role-rules", tag = "users", security(("bearer" = [])),
    params(RoleRuleQuery),
    responses((status = 200, body = Page<RoleRule>), (status = "4XX", body = Problem)))]
async fn list_role_rules(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<RoleRuleQuery>,
) -> ApiResult<Json<Page<RoleRule>>> {
    auth.require(Permission::Read)?;
    let limit = page_size(query.limit);
    let mut sql = Sql::new(RULE_SELECT);
    sql.push(" WHERE ").push(&auth.scope.sql("r.org_path"));
    if let Some(org_id) = query.org_id {
        sql.push(" AND r.org_id = ").bind(org_id);
    }
    if let Some(role) = query.role {
        sql.push(" AND r.role = ").bind(role.as_str().to_string());
    }
    if let Some(product_id) = query.product_id {
        sql.push(" AND r.product_id = ").bind(product_id);
    }
    if let Some(cursor) = &query.cursor {
        let (_, after) = decode_cursor(cursor)?;
        sql.push(" AND r.id > ").bind(after);
    }
    sql.push(" ORDER BY r.id LIMIT ").bind(limit + 1);
    let rows: Vec<RuleRow> = sql.query_as().fetch_all(&state.db.pool).await?;
    let (rows, next_cursor) = crate::http::split_page(rows, limit, |r| encode_cursor("", r.id));
    Ok(Json(Page {
        items: rows.into_iter().map(RuleRow::into_api).collect(),
        next_cursor,
    }))
}

/// Adds a rule for an org of the caller's subtree.
#[utoipa::path(post, path = "/v1/role-rules", tag = "users", security(("bearer" = [])),
    request_body = NewRoleRule,
    responses((status = 201, body = RoleRule),
              (status = 409, description = "The org already has this rule", body = Problem),
              (status = "4XX", body = Problem)))]
async fn create_role_rule(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Json(body): Json<NewRoleRule>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageUsers)?;
    let fingerprint = mutation::fingerprint("create_role_rule", &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let org_path = org_path_in_scope(w.conn(), &auth.scope, body.org_id).await?;
        let product: Option<i64> = crate::db::query_scalar("SELECT id FROM products WHERE id = $1")
            .bind(body.product_id)
            .fetch_optional(w.conn())
            .await?;
        product.ok_or_else(|| ApiError::not_found(format!("product {}", body.product_id)))?;
        let existing: Option<i64> = crate::db::query_scalar(
            "SELECT id FROM role_rules WHERE org_id = $1 AND role = $2 AND product_id = $3",
        )
        .bind(body.org_id)
        .bind(body.role.as_str().to_string())
        .bind(body.product_id)
        .fetch_optional(w.conn())
        .await?;
        if let Some(existing) = existing {
            return Err(ApiError::conflict(format!(
                "org {} already has this rule (role rule {existing})",
                body.org_id
            )));
        }
        let id: i64 = crate::db::query_scalar(
            "INSERT INTO role_rules (org_id, org_path, role, product_id, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(body.org_id)
        .bind(org_path.clone())
        .bind(body.role.as_str().to_string())
        .bind(body.product_id)
        .bind(w.now)
        .fetch_one(w.conn())
        .await?;
        let rule = load_rule(w.conn(), &auth, id).await?.into_api();
        w.record(NewEvent {
            action: "role_rule.create",
            target_type: "role_rule",
            target_id: id,
            org_path,
            before: None,
            after: serde_json::to_value(&rule).ok(),
        });
        Ok((StatusCode::CREATED, rule))
    })
    .await
}

/// Deletes a rule; seats it assigned stay until the user's roles change.
#[utoipa::path(delete, path = "/v1/role-rules/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Role rule id")),
    responses((status = 200, body = RoleRule, description = "The deleted rule"),
              (status = "4XX", body = Problem)))]
async fn delete_role_rule(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageUsers)?;
    let fingerprint = mutation::fingerprint(&format!("delete_role_rule:{id}"), &());
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let row = load_rule(w.conn(), &auth, id).await?;
        let org_path = row.org_path.clone();
        let rule = row.into_api();
        crate::db::query("DELETE FROM role_rules WHERE id = $1")
            .bind(id)
            .execute(w.conn())
            .await?;
        w.record(NewEvent {
            action: "role_rule.delete",
            target_type: "role_rule",
            target_id: id,
            org_path,
            before: serde_json::to_value(&rule).ok(),
            after: None,
        });
        Ok((StatusCode::OK, rule))
    })
    .await
}
