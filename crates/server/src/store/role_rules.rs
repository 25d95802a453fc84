//! Role rules as stored, and what the role-rule engine reads: the seats a
//! user holds, the products their roles are granted, and the licenses a
//! granted seat may come from.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use seatdesk_core::UserRole;
use seatdesk_core::api::users::{RoleRule, RoleRuleQuery};

use crate::db::sql::Sql;
use crate::db::types::{Named, Stamp};
use crate::db::{Backend, Conn, Pool};
use crate::domain::licenses::push_usable;
use crate::domain::live::live_seat;
use crate::domain::scope::{Scope, ancestor_paths};

const RULE_SELECT: &str = "SELECT r.id, r.org_id, r.org_path, r.role, r.product_id, \
    p.name AS product_name, r.created_at FROM role_rules r JOIN products p ON p.id = r.product_id";

#[derive(sqlx::FromRow)]
pub struct RuleRow {
    pub id: i64,
    org_id: i64,
    pub org_path: String,
    role: Named<UserRole>,
    product_id: i64,
    product_name: String,
    created_at: Stamp,
}

impl RuleRow {
    pub fn into_api(self) -> RoleRule {
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

/// Rule `id`, whatever its org.
pub async fn rule(conn: &mut Conn, id: i64) -> Result<Option<RuleRow>, sqlx::Error> {
    let mut sql = Sql::new(RULE_SELECT);
    sql.push(" WHERE r.id = ").bind(id);
    sql.query_as().fetch_optional(conn).await
}

/// One page of the rules of `scope` matching `query`, by id after `after`;
/// `limit + 1` rows so the caller can tell whether a next page exists.
pub async fn list(
    pool: &Pool,
    scope: &Scope,
    query: &RoleRuleQuery,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<RuleRow>, sqlx::Error> {
    let mut sql = Sql::new(RULE_SELECT);
    sql.push(" WHERE ").push(&scope.sql("r.org_path"));
    if let Some(org_id) = query.org_id {
        sql.push(" AND r.org_id = ").bind(org_id);
    }
    if let Some(role) = query.role {
        sql.push(" AND r.role = ").bind(role.as_str());
    }
    if let Some(product_id) = query.product_id {
        sql.push(" AND r.product_id = ").bind(product_id);
    }
    if let Some(after) = after {
        sql.push(" AND r.id > ").bind(after);
    }
    sql.push(" ORDER BY r.id LIMIT ").bind(limit + 1);
    sql.query_as().fetch_all(pool).await
}

/// The id of the org's rule giving `role` a seat of `product_id`, if any.
pub async fn existing(
    conn: &mut Conn,
    org_id: i64,
    role: UserRole,
    product_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    crate::db::query_scalar(
        "SELECT id FROM role_rules WHERE org_id = $1 AND role = $2 AND product_id = $3",
    )
    .bind(org_id)
    .bind(role.as_str())
    .bind(product_id)
    .fetch_optional(conn)
    .await
}

/// Inserts a rule and returns its id.
pub async fn insert(
    conn: &mut Conn,
    org_id: i64,
    org_path: &str,
    role: UserRole,
    product_id: i64,
    now: Stamp,
) -> Result<i64, sqlx::Error> {
    crate::db::query_scalar(
        "INSERT INTO role_rules (org_id, org_path, role, product_id, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(org_id)
    .bind(org_path)
    .bind(role.as_str())
    .bind(product_id)
    .bind(now)
    .fetch_one(conn)
    .await
}

pub async fn delete(conn: &mut Conn, id: i64) -> Result<(), sqlx::Error> {
    crate::db::query("DELETE FROM role_rules WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A live seat a user holds.
#[derive(sqlx::FromRow)]
pub struct HeldSeat {
    pub id: i64,
    pub license_id: i64,
    pub status: String,
    pub product_id: i64,
    pub product_name: String,
    pub source: String,
    pub org_path: String,
}

/// The live seats of user `user_id`, by id; locked on PostgreSQL, since
/// the engine may revoke them.
pub async fn held_seats(conn: &mut Conn, user_id: i64) -> Result<Vec<HeldSeat>, sqlx::Error> {
    let mut sql = Sql::new(format!(
        "SELECT s.id, s.license_id, s.status, l.product_id, p.name AS product_name, \
         s.source, l.org_path \
         FROM seats s JOIN licenses l ON l.id = s.license_id JOIN products p ON p.id = l.product_id \
         WHERE {} AND s.user_id = ",
        live_seat("s.status")
    ));
    sql.bind(user_id).push(" ORDER BY s.id");
    if conn.backend() == Backend::Postgres {
        sql.push(" FOR UPDATE OF s");
    }
    sql.query_as().fetch_all(conn).await
}

/// Products (id → name) that rules of the org at `org_path` or its
/// ancestors grant to any of `roles` (not empty).
pub async fn granted_products(
    conn: &mut Conn,
    org_path: &str,
    roles: &[UserRole],
) -> Result<BTreeMap<i64, String>, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT DISTINCT r.product_id, p.name AS product_name FROM role_rules r \
         JOIN products p ON p.id = r.product_id WHERE r.org_path IN (",
    );
    sql.bind_list(ancestor_paths(org_path))
        .push(") AND r.role IN (")
        .bind_list(roles.iter().map(|r| r.as_str()))
        .push(")");
    let rows: Vec<(i64, String)> = sql.query_as().fetch_all(conn).await?;
    Ok(rows.into_iter().collect())
}

/// Licenses (id, org path) of `product_id` held by one of the orgs at
/// `holders` (not empty) and usable on `today`, nearest (longest path) and
/// soonest-ending first, at most `limit`.
///
/// "Usable" is [`push_usable`], the SQL form of the license rule, so that
/// no per-license seat counts are computed here (this runs for every user
/// of a roster import).
pub async fn candidate_licenses(
    conn: &mut Conn,
    product_id: i64,
    holders: &[String],
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let mut sql = Sql::new("SELECT l.id, l.org_path FROM licenses l WHERE l.product_id = ");
    sql.bind(product_id)
        .push(" AND l.org_path IN (")
        .bind_list(holders.iter().map(String::as_str))
        .push(") AND ");
    push_usable(&mut sql, "l", today);
    sql.push(" ORDER BY LENGTH(l.org_path) DESC, l.finish_date, l.id LIMIT ")
        .bind(limit);
    sql.query_as().fetch_all(conn).await
}
