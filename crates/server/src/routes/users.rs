//! Users (teachers, students, staff): list, show with their seats, create
//! and change. Role rules run in the same transaction as each change, and
//! archiving a user frees their seats.

pub mod role_rules;

use crate::db::Conn;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use seatdesk_core::api::Page;
use seatdesk_core::api::seats::Claim;
use seatdesk_core::api::users::{NewUser, User, UserChange, UserDetail, UserPatch, UserQuery};
use seatdesk_core::{Permission, Problem, UserStatus};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::audit::NewEvent;
use crate::db::Backend;
use crate::db::sql::Sql;
use crate::domain::claims::{CLAIM_SELECT, ClaimRow};
use crate::domain::live::live_seat;
use crate::domain::orgs::org_path_in_scope;
use crate::domain::users::{USER_SELECT, UserRow, join_roles, normalize_email};
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json, Path, Query, decode_cursor, encode_cursor, page_size};
use crate::mutation;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, patch_user))
        .merge(role_rules::routes())
}

/// Most live seats listed with one user.
const MAX_SEATS_SHOWN: i64 = 1000;

/// Loads a user inside the caller's scope, or 404; locks the row on
/// PostgreSQL when `lock` so concurrent changes of one user queue.
async fn load_user(
    conn: &mut Conn,
    auth: &Auth,
    id: i64,
    lock: Option<Backend>,
) -> ApiResult<UserRow> {
    let mut sql = Sql::new(USER_SELECT);
    sql.push(" WHERE u.id = ").bind(id);
    if lock == Some(Backend::Postgres) {
        sql.push(" FOR UPDATE OF u");
    }
    let row: Option<UserRow> = sql.query_as().fetch_optional(conn).await?;
    row.filter(|r| auth.in_scope(&r.org_path))
        .ok_or_else(|| ApiError::not_found(format!("user {id}")))
}

/// Users of the caller's subtree, by id.
#[utoipa::path(get, path = "/v1/users", tag = "users", security(("bearer" = [])),
    params(UserQuery),
    responses((status = 200, body = Page<User>), (status = "4XX", body = Problem)))]
async fn list_users(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<UserQuery>,
) -> ApiResult<Json<Page<User>>> {
    auth.require(Permission::Read)?;
    let limit = page_size(query.limit);
    let mut sql = Sql::new(USER_SELECT);
    sql.push(" WHERE ").push(&auth.scope.sql("u.org_path"));
    if let Some(org_id) = query.org_id {
        sql.push(" AND u.org_id = ").bind(org_id);
    }
    if let Some(role) = query.role {
        sql.push(" AND (',' || u.roles || ',') LIKE ")
            .bind(format!("%,{},%", role.as_str()));
    }
    if let Some(kind) = query.kind {
        sql.push(" AND u.kind = ").bind(kind.as_str().to_string());
    }
    if let Some(status) = query.status {
        sql.push(" AND u.status = ")
            .bind(status.as_str().to_string());
    }
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = crate::db::sql::contains_pattern(q);
        sql.push(" AND (LOWER(u.given_name || ' ' || u.family_name) LIKE ")
            .bind_like(pattern.clone())
            .push(" OR LOWER(u.email) LIKE ")
            .bind_like(pattern)
            .push(")");
    }
    if let Some(cursor) = &query.cursor {
        let (_, after) = decode_cursor(cursor)?;
        sql.push(" AND u.id > ").bind(after);
    }
    sql.push(" ORDER BY u.id LIMIT ").bind(limit + 1);
    let rows: Vec<UserRow> = sql.query_as().fetch_all(&state.db.pool).await?;
    let (rows, next_cursor) = crate::http::split_page(rows, limit, |r| encode_cursor("", r.id));
    Ok(Json(Page {
        items: rows.into_iter().map(UserRow::into_api).collect(),
        next_cursor,
    }))
}

/// One user with the live (pending or active) seats they hold.
#[utoipa::path(get, path = "/v1/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = UserDetail), (status = "4XX", body = Problem)))]
async fn get_user(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<UserDetail>> {
    auth.require(Permission::Read)?;
    let mut conn = state.db.pool.acquire().await?;
    let user = load_user(&mut conn, &auth, id, None).await?.into_api();
    let mut sql = Sql::new(CLAIM_SELECT);
    // Seats on licenses of a parent org stay out of view, like the licenses.
    sql.push(" WHERE s.user_id = ")
        .bind(id)
        .push(" AND ")
        .push(&auth.scope.sql("l.org_path"))
        .push(" AND ")
        .push(&live_seat("s.status"))
        .push(" ORDER BY s.id LIMIT ")
        .bind(MAX_SEATS_SHOWN);
    let seats: Vec<ClaimRow> = sql.query_as().fetch_all(&mut conn).await?;
    Ok(Json(UserDetail {
        user,
        seats: seats.into_iter().map(Claim::from).collect(),
    }))
}

fn check_name(errors: &mut Vec<String>, field: &str, value: &str) {
    let len = value.trim().chars().count();
    if len == 0 || len > 200 {
        errors.push(format!("{field} must be 1 to 200 characters"));
    }
}

fn join_trainings(errors: &mut Vec<String>, trainings: &[String]) -> String {
    if trainings.len() > 100 {
        errors.push("at most 100 trainings".to_string());
    }
    let mut names: Vec<String> = trainings.iter().map(|t| t.trim().to_string()).collect();
    if names
        .iter()
        .any(|t| t.is_empty() || t.len() > 100 || t.contains(','))
    {
        errors.push("each training must be 1 to 100 characters without commas".to_string());
    }
    names.sort();
    names.dedup();
    names.join(",")
}

fn validation_result(errors: Vec<String>) -> ApiResult<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Adds a user to an org of the caller's subtree and applies the role rules.
#[utoipa::path(post, path = "/v1/users", tag = "users", security(("bearer" = [])),
    request_body = NewUser,
    responses((status = 201, body = UserChange),
              (status = 409, description = "The email is already taken", body = Problem),
              (status = "4XX", body = Problem)))]
async fn create_user(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Json(body): Json<NewUser>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageUsers)?;
    let mut errors = Vec::new();
    let email = normalize_email(&body.email).unwrap_or_else(|e| {
        errors.push(e);
        String::new()
    });
    check_name(&mut errors, "given_name", &body.given_name);
    check_name(&mut errors, "family_name", &body.family_name);
    let trainings = join_trainings(&mut errors, &body.trainings);
    validation_result(errors)?;
    let fingerprint = mutation::fingerprint("create_user", &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let org_path = org_path_in_scope(w.conn(), &auth.scope, body.org_id).await?;
        let taken: Option<i64> = crate::db::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email.clone())
            .fetch_optional(w.conn())
            .await?;
        if taken.is_some() {
            return Err(ApiError::conflict(format!(
                "a user with email {email} already exists"
            )));
        }
        let id: i64 = crate::db::query_scalar(
            "INSERT INTO users (org_id, org_path, email, given_name, family_name, kind, roles, \
             status, trainings, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $9) RETURNING id",
        )
        .bind(body.org_id)
        .bind(org_path.clone())
        .bind(email.clone())
        .bind(body.given_name.trim().to_string())
        .bind(body.family_name.trim().to_string())
        .bind(body.kind.as_str().to_string())
        .bind(join_roles(&body.roles))
        .bind(trainings.clone())
        .bind(w.now)
        .fetch_one(w.conn())
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                ApiError::conflict(format!("a user with email {email} already exists"))
            }
            _ => ApiError::from(e),
        })?;
        let row = load_user(w.conn(), &auth, id, None).await?;
        let subject = row.subject();
        let user = row.into_api();
        w.record(NewEvent {
            action: "user.create",
            target_type: "user",
            target_id: id,
            org_path,
            before: None,
            after: serde_json::to_value(&user).ok(),
        });
        let assignments =
            crate::domain::role_rules::apply_role_rules(w, &subject, state.db.backend).await?;
        Ok((StatusCode::CREATED, UserChange { user, assignments }))
    })
    .await
}

/// Changes a user's names, roles, status or trainings. Archiving revokes
/// the user's live seats; role and status changes re-apply the role rules.
#[utoipa::path(patch, path = "/v1/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id")),
    request_body = UserPatch,
    responses((status = 200, body = UserChange), (status = "4XX", body = Problem)))]
async fn patch_user(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Path(id): Path<i64>,
    Json(body): Json<UserPatch>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageUsers)?;
    let mut errors = Vec::new();
    if body == UserPatch::default() {
        errors.push(
            "nothing to change: send given_name, family_name, roles, status or trainings"
                .to_string(),
        );
    }
    if let Some(name) = &body.given_name {
        check_name(&mut errors, "given_name", name);
    }
    if let Some(name) = &body.family_name {
        check_name(&mut errors, "family_name", name);
    }
    let trainings = body
        .trainings
        .as_ref()
        .map(|t| join_trainings(&mut errors, t));
    validation_result(errors)?;
    let fingerprint = mutation::fingerprint(&format!("patch_user:{id}"), &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let before_row = load_user(w.conn(), &auth, id, Some(state.db.backend)).await?;
        let org_path = before_row.org_path.clone();
        let before = before_row.into_api();
        crate::db::query(
            "UPDATE users SET given_name = COALESCE($1, given_name), \
             family_name = COALESCE($2, family_name), roles = COALESCE($3, roles), \
             status = COALESCE($4, status), trainings = COALESCE($5, trainings), updated_at = $6 \
             WHERE id = $7",
        )
        .bind(body.given_name.as_deref().map(|s| s.trim().to_string()))
        .bind(body.family_name.as_deref().map(|s| s.trim().to_string()))
        .bind(body.roles.as_deref().map(join_roles))
        .bind(body.status.map(|s| s.as_str().to_string()))
        .bind(trainings.clone())
        .bind(w.now)
        .bind(id)
        .execute(w.conn())
        .await?;
        let row = load_user(w.conn(), &auth, id, None).await?;
        let subject = row.subject();
        let user = row.into_api();
        w.record(NewEvent {
            action: "user.update",
            target_type: "user",
            target_id: id,
            org_path,
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&user).ok(),
        });
        let assignments = if user.status == UserStatus::Archived {
            crate::domain::role_rules::revoke_all_seats(w, &subject, state.db.backend).await?
        } else if body.roles.is_some() || body.status.is_some() {
            crate::domain::role_rules::apply_role_rules(w, &subject, state.db.backend).await?
        } else {
            Vec::new()
        };
        Ok((StatusCode::OK, UserChange { user, assignments }))
    })
    .await
}
