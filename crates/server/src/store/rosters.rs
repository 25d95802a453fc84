//! What a roster import reads and writes beyond the shared org and user
//! statements ([`super::orgs`], [`super::users`]): orgs and users matched
//! by their roster ids (`sourced_id`), and the roster-owned user fields.

use seatdesk_core::{OrgKind, UserKind, UserRole, UserStatus};

use crate::db::Conn;
use crate::db::sql::Sql;
use crate::db::types::Stamp;
use crate::domain::scope::Scope;
use crate::store::orgs::OrgRow;
use crate::store::users::{NewUserRow, join_roles};

/// An org of an earlier import, as a roster row may refer to it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KnownOrg {
    #[sqlx(flatten)]
    pub org: OrgRow,
    pub sourced_id: String,
}

/// The imported orgs (those with a roster id) of `scope`.
pub async fn known_orgs(conn: &mut Conn, scope: &Scope) -> Result<Vec<KnownOrg>, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT id, parent_id, kind, name, path, sourced_id FROM orgs \
         WHERE sourced_id IS NOT NULL AND ",
    );
    sql.push(&scope.sql("path"));
    sql.query_as().fetch_all(conn).await
}

/// The org with roster id `sourced_id`, in any subtree.
pub async fn org_by_sourced_id(
    conn: &mut Conn,
    sourced_id: &str,
) -> Result<Option<i64>, sqlx::Error> {
    crate::db::query_scalar("SELECT id FROM orgs WHERE sourced_id = $1")
        .bind(sourced_id)
        .fetch_optional(conn)
        .await
}

/// Sets the roster-owned fields of org `id`.
pub async fn update_org(
    conn: &mut Conn,
    id: i64,
    name: &str,
    kind: OrgKind,
) -> Result<(), sqlx::Error> {
    crate::db::query("UPDATE orgs SET name = $1, kind = $2 WHERE id = $3")
        .bind(name)
        .bind(kind.as_str())
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The user (id, org path) with roster id `sourced_id`, in any subtree.
pub async fn user_by_sourced_id(
    conn: &mut Conn,
    sourced_id: &str,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    crate::db::query_as("SELECT id, org_path FROM users WHERE sourced_id = $1")
        .bind(sourced_id)
        .fetch_optional(conn)
        .await
}

/// A user other than `id` holding `email`, if any.
pub async fn other_email_owner(
    conn: &mut Conn,
    email: &str,
    id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    crate::db::query_scalar("SELECT id FROM users WHERE email = $1 AND id <> $2")
        .bind(email)
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// The user (id, org path, roster id) holding `email`, if any.
pub async fn user_by_email(
    conn: &mut Conn,
    email: &str,
) -> Result<Option<(i64, String, Option<String>)>, sqlx::Error> {
    crate::db::query_as("SELECT id, org_path, sourced_id FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(conn)
        .await
}

/// The roster id of user `id` (who must exist).
pub async fn sourced_id(conn: &mut Conn, id: i64) -> Result<Option<String>, sqlx::Error> {
    crate::db::query_scalar("SELECT sourced_id FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(conn)
        .await
}

/// The fields a roster owns of the users it imports.
pub struct RosterUserRow<'a> {
    pub org_id: i64,
    pub org_path: &'a str,
    pub email: &'a str,
    pub given_name: &'a str,
    pub family_name: &'a str,
    pub kind: UserKind,
    pub roles: &'a [UserRole],
    pub status: UserStatus,
    pub sourced_id: &'a str,
}

impl<'a> RosterUserRow<'a> {
    /// The row a new imported user is inserted with (no trainings yet).
    pub fn as_new(&self) -> NewUserRow<'a> {
        NewUserRow {
            org_id: self.org_id,
            org_path: self.org_path,
            email: self.email,
            given_name: self.given_name,
            family_name: self.family_name,
            kind: self.kind,
            roles: self.roles,
            trainings: "",
            status: self.status,
            sourced_id: Some(self.sourced_id),
        }
    }
}

/// Sets the roster-owned fields of user `id` (stamping `status_changed_at`
/// when the status changes).
pub async fn update_user(
    conn: &mut Conn,
    id: i64,
    user: &RosterUserRow<'_>,
    now: Stamp,
) -> Result<(), sqlx::Error> {
    crate::db::query(
        "UPDATE users SET org_id = $1, org_path = $2, email = $3, given_name = $4, \
         family_name = $5, kind = $6, roles = $7, \
         status_changed_at = CASE WHEN status <> $8 THEN $10 ELSE status_changed_at END, \
         status = $8, sourced_id = $9, updated_at = $10 WHERE id = $11",
    )
    .bind(user.org_id)
    .bind(user.org_path)
    .bind(user.email)
    .bind(user.given_name)
    .bind(user.family_name)
    .bind(user.kind.as_str())
    .bind(join_roles(user.roles))
    .bind(user.status.as_str())
    .bind(user.sourced_id)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Imported users (id, roster id) of `scope` not archived yet, by id.
pub async fn unarchived_imported_users(
    conn: &mut Conn,
    scope: &Scope,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT id, sourced_id FROM users WHERE sourced_id IS NOT NULL \
         AND status <> 'archived' AND ",
    );
    sql.push(&scope.sql("org_path")).push(" ORDER BY id");
    sql.query_as().fetch_all(conn).await
}

pub async fn archive_user(conn: &mut Conn, id: i64, now: Stamp) -> Result<(), sqlx::Error> {
    crate::db::query(
        "UPDATE users SET status_changed_at = CASE WHEN status <> 'archived' THEN $1 \
         ELSE status_changed_at END, status = 'archived', updated_at = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The org path of the user with roster id `sourced_id`, if any.
pub async fn user_path_by_sourced_id(
    conn: &mut Conn,
    sourced_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    crate::db::query_scalar("SELECT org_path FROM users WHERE sourced_id = $1")
        .bind(sourced_id)
        .fetch_optional(conn)
        .await
}
