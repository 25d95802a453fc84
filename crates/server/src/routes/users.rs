//! Users (teachers, students, staff): list, show with their seats, create
//! and change. Role rules run in the same transaction as each change, and
//! archiving a user frees their seats.

pub mod assign;
pub mod role_rules;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use seatdesk_core::api::Page;
use seatdesk_core::api::seats::Claim;
use seatdesk_core::api::users::{NewUser, User, UserChange, UserDetail, UserPatch, UserQuery};
use seatdesk_core::{Permission, Problem, UserKind, UserRole, UserStatus};
use sqlx::AnyConnection;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::audit::NewEvent;
use crate::db::Backend;
use crate::db::ms_to_time;
use crate::db::sql::Sql;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json, Path, Query, decode_cursor, encode_cursor, page_size};
use crate::mutation;
use crate::routes::orgs::org_path_in_scope;
use crate::routes::seats::claims::{CLAIM_SELECT, ClaimRow};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, patch_user))
        .merge(role_rules::routes())
}

const USER_SELECT: &str = "SELECT u.id, u.org_id, o.name AS org_name, u.org_path, u.email, \
    u.given_name, u.family_name, u.kind, u.roles, u.status, u.trainings, u.last_login_at, \
    u.created_at, u.updated_at FROM users u JOIN orgs o ON o.id = u.org_id";

/// Most live seats listed with one user.
const MAX_SEATS_SHOWN: i64 = 1000;

#[derive(sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    org_id: i64,
    pub org_name: String,
    pub org_path: String,
    email: String,
    given_name: String,
    family_name: String,
    kind: String,
    roles: String,
    status: String,
    trainings: String,
    last_login_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

/// Roles as stored: sorted, comma-separated names.
pub(crate) fn join_roles(roles: &[UserRole]) -> String {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn split_list(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty())
}

impl UserRow {
    pub fn roles(&self) -> Vec<UserRole> {
        split_list(&self.roles)
            .filter_map(UserRole::parse)
            .collect()
    }

    pub fn status(&self) -> UserStatus {
        UserStatus::parse(&self.status).unwrap_or(UserStatus::Suspended)
    }

    pub fn into_api(self) -> User {
        User {
            id: self.id,
            org_id: self.org_id,
            roles: self.roles(),
            status: self.status(),
            org_name: self.org_name,
            email: self.email,
            given_name: self.given_name,
            family_name: self.family_name,
            kind: UserKind::parse(&self.kind).unwrap_or(UserKind::Staff),
            trainings: split_list(&self.trainings).map(str::to_string).collect(),
            last_login_at: self.last_login_at.map(ms_to_time),
            created_at: ms_to_time(self.created_at),
            updated_at: ms_to_time(self.updated_at),
        }
    }

    /// What the role-rule engine needs of this user.
    pub fn subject(&self) -> assign::Subject {
        assign::Subject {
            id: self.id,
            org_name: self.org_name.clone(),
            org_path: self.org_path.clone(),
            roles: self.roles(),
            status: self.status(),
        }
    }
}

/// Loads a user inside the caller's scope, or 404; locks the row on
/// PostgreSQL when `lock` so concurrent changes of one user queue.
async fn load_user(
    conn: &mut AnyConnection,
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
    sql.push(" WHERE u.org_path LIKE ")
        .bind(auth.scope_pattern());
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
        .push(" AND l.org_path LIKE ")
        .bind(auth.scope_pattern())
        .push(" AND s.status IN ('pending', 'active') ORDER BY s.id LIMIT ")
        .bind(MAX_SEATS_SHOWN);
    let seats: Vec<ClaimRow> = sql.query_as().fetch_all(&mut *conn).await?;
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

pub(crate) fn normalize_email(email: &str) -> Result<String, String> {
    let email = email.trim().to_lowercase();
    let valid = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && email.len() <= 254
                && !email.chars().any(|c| c.is_whitespace() || c == ',')
        }
        None => false,
    };
    if valid {
        Ok(email)
    } else {
        Err(format!("email '{email}' is not a valid address"))
    }
}

/// Trainings as stored: comma-separated, so names may not contain commas.
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
        let org_path = org_path_in_scope(w.conn(), &auth, body.org_id).await?;
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email.clone())
            .fetch_optional(w.conn())
            .await?;
        if taken.is_some() {
            return Err(ApiError::conflict(format!(
                "a user with email {email} already exists"
            )));
        }
        let id: i64 = sqlx::query_scalar(
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
        let assignments = assign::apply_role_rules(w, &subject, state.db.backend).await?;
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
        sqlx::query(
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
            assign::revoke_all_seats(w, &subject, state.db.backend).await?
        } else if body.roles.is_some() || body.status.is_some() {
            assign::apply_role_rules(w, &subject, state.db.backend).await?
        } else {
            Vec::new()
        };
        Ok((StatusCode::OK, UserChange { user, assignments }))
    })
    .await
}
