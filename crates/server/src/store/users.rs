//! Users as stored: the one row shape a user is read as, the list and
//! detail reads of the users API, and the hand-made user's insert and
//! change. (Roster-owned writes are in [`super::rosters`].)

use seatdesk_core::api::users::{User, UserQuery};
use seatdesk_core::{UserKind, UserRole, UserStatus};

use crate::db::sql::{Sql, Target, contains_pattern};
use crate::db::types::{NameList, Named, Stamp};
use crate::db::{Backend, Conn, Pool};
use crate::domain::live::live_seat;
use crate::domain::scope::Scope;
use crate::store::claims::{CLAIM_SELECT, ClaimRow};

/// Columns of [`UserRow`], in order; `u` is users, `o` their org.
pub const USER_SELECT: &str = "SELECT u.id, u.org_id, o.name AS org_name, u.org_path, u.email, \
    u.given_name, u.family_name, u.kind, u.roles, u.status, u.trainings, u.last_login_at, \
    u.created_at, u.updated_at FROM users u JOIN orgs o ON o.id = u.org_id";

#[derive(sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    org_id: i64,
    pub org_name: String,
    pub org_path: String,
    email: String,
    given_name: String,
    family_name: String,
    kind: Named<UserKind>,
    roles: NameList<UserRole>,
    status: Named<UserStatus>,
    trainings: String,
    last_login_at: Option<Stamp>,
    created_at: Stamp,
    updated_at: Stamp,
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
        self.roles.0.clone()
    }

    pub fn status(&self) -> UserStatus {
        self.status.0
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
            kind: self.kind.0,
            trainings: split_list(&self.trainings).map(str::to_string).collect(),
            last_login_at: self.last_login_at.map(|t| t.0),
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
        }
    }
}

/// User `id`, whatever its org. With `for_update` the row is locked on
/// PostgreSQL, so concurrent changes of one user queue (SQLite's write
/// transaction already holds the whole database).
pub async fn user(
    conn: &mut Conn,
    id: i64,
    for_update: bool,
) -> Result<Option<UserRow>, sqlx::Error> {
    let mut sql = Sql::new(USER_SELECT);
    sql.push(" WHERE u.id = ").bind(id);
    if for_update && conn.backend() == Backend::Postgres {
        sql.push(" FOR UPDATE OF u");
    }
    sql.query_as().fetch_optional(conn).await
}

/// One page of the users of `scope` matching `query`, by id after `after`;
/// `limit + 1` rows so the caller can tell whether a next page exists.
pub async fn list(
    pool: &Pool,
    scope: &Scope,
    query: &UserQuery,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<UserRow>, sqlx::Error> {
    let mut sql = Sql::new(USER_SELECT);
    sql.push(" WHERE ").push(&scope.sql("u.org_path"));
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
        let pattern = contains_pattern(q);
        sql.push(" AND (LOWER(u.given_name || ' ' || u.family_name) LIKE ")
            .bind_like(pattern.clone())
            .push(" OR LOWER(u.email) LIKE ")
            .bind_like(pattern)
            .push(")");
    }
    if let Some(after) = after {
        sql.push(" AND u.id > ").bind(after);
    }
    sql.push(" ORDER BY u.id LIMIT ").bind(limit + 1);
    sql.query_as().fetch_all(pool).await
}

/// The live seats user `id` holds on licenses of `scope` (seats on licenses
/// of a parent org stay out of view, like the licenses), at most `limit`.
pub async fn live_claims(
    conn: &mut Conn,
    id: i64,
    scope: &Scope,
    limit: i64,
) -> Result<Vec<ClaimRow>, sqlx::Error> {
    let mut sql = Sql::new(CLAIM_SELECT);
    sql.push(" WHERE s.user_id = ")
        .bind(id)
        .push(" AND ")
        .push(&scope.sql("l.org_path"))
        .push(" AND ")
        .push(&live_seat("s.status"))
        .push(" ORDER BY s.id LIMIT ")
        .bind(limit);
    sql.query_as().fetch_all(conn).await
}

/// The user holding `email`, if any.
pub async fn id_by_email<'c>(
    target: impl Into<Target<'c>>,
    email: &str,
) -> Result<Option<i64>, sqlx::Error> {
    crate::db::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(target)
        .await
}

/// A new user's stored fields, already checked and trimmed: made by hand
/// or imported from a roster (with its `sourced_id`).
pub struct NewUserRow<'a> {
    pub org_id: i64,
    pub org_path: &'a str,
    pub email: &'a str,
    pub given_name: &'a str,
    pub family_name: &'a str,
    pub kind: UserKind,
    pub roles: &'a [UserRole],
    /// As stored: sorted, comma-separated.
    pub trainings: &'a str,
    pub status: UserStatus,
    pub sourced_id: Option<&'a str>,
}

/// Inserts a user and returns its id (a taken email fails with the
/// database's unique violation).
pub async fn insert(
    conn: &mut Conn,
    user: &NewUserRow<'_>,
    now: Stamp,
) -> Result<i64, sqlx::Error> {
    crate::db::query_scalar(
        "INSERT INTO users (org_id, org_path, email, given_name, family_name, kind, roles, \
         status, trainings, sourced_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
    )
    .bind(user.org_id)
    .bind(user.org_path)
    .bind(user.email)
    .bind(user.given_name)
    .bind(user.family_name)
    .bind(user.kind.as_str())
    .bind(join_roles(user.roles))
    .bind(user.status.as_str())
    .bind(user.trainings)
    .bind(user.sourced_id)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// The fields of a user a change sets; `None` keeps the stored value.
#[derive(Default)]
pub struct UserChangeRow<'a> {
    pub given_name: Option<&'a str>,
    pub family_name: Option<&'a str>,
    pub roles: Option<&'a [UserRole]>,
    pub status: Option<UserStatus>,
    /// As stored: sorted, comma-separated.
    pub trainings: Option<&'a str>,
}

/// Changes the given fields of user `id` and stamps `updated_at` (and
/// `status_changed_at` when the status changes: the suspended-user reclaim
/// rule measures from it).
pub async fn update(
    conn: &mut Conn,
    id: i64,
    change: &UserChangeRow<'_>,
    now: Stamp,
) -> Result<(), sqlx::Error> {
    crate::db::query(
        "UPDATE users SET given_name = COALESCE($1, given_name), \
         family_name = COALESCE($2, family_name), roles = COALESCE($3, roles), \
         status_changed_at = CASE WHEN $4 IS NOT NULL AND $4 <> status THEN $6 \
         ELSE status_changed_at END, \
         status = COALESCE($4, status), trainings = COALESCE($5, trainings), updated_at = $6 \
         WHERE id = $7",
    )
    .bind(change.given_name)
    .bind(change.family_name)
    .bind(change.roles.map(join_roles))
    .bind(change.status.map(|s| s.as_str()))
    .bind(change.trainings)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}
