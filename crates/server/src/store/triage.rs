//! Help-desk triage reads: the user, product, role rules, licenses and seats
//! an access check weighs, and the grouped finders of the discrepancy
//! report. What they mean is [`crate::domain::triage`]'s.

use seatdesk_core::api::triage::DiscrepancyKind;
use seatdesk_core::{LicenseStatus, SeatStatus, UserStatus};

use crate::db::Conn;
use crate::db::sql::Sql;
use crate::db::types::{Day, Named, Stamp};
use crate::domain::live::live_seat;
use crate::domain::scope::Scope;

#[derive(sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub org_path: String,
    pub org_name: String,
    pub status: Named<UserStatus>,
    pub roles: String,
    pub trainings: String,
}

const USER_SELECT: &str = "SELECT u.id, u.email, u.org_path, o.name AS org_name, u.status, \
                           u.roles, u.trainings FROM users u JOIN orgs o ON o.id = u.org_id WHERE ";

/// User `id`, wherever it lies (callers check the scope).
pub async fn user_by_id(conn: &mut Conn, id: i64) -> Result<Option<UserRow>, sqlx::Error> {
    crate::db::query_as(format!("{USER_SELECT}u.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// The user with stored (lower-case) `email`, wherever it lies.
pub async fn user_by_email(conn: &mut Conn, email: &str) -> Result<Option<UserRow>, sqlx::Error> {
    crate::db::query_as(format!("{USER_SELECT}u.email = $1"))
        .bind(email)
        .fetch_optional(conn)
        .await
}

#[derive(sqlx::FromRow)]
pub struct ProductRow {
    pub id: i64,
    pub sku: String,
    pub training_prerequisite: Option<String>,
}

const PRODUCT_SELECT: &str = "SELECT id, sku, training_prerequisite FROM products WHERE ";

pub async fn product_by_id(conn: &mut Conn, id: i64) -> Result<Option<ProductRow>, sqlx::Error> {
    crate::db::query_as(format!("{PRODUCT_SELECT}id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn product_by_sku(conn: &mut Conn, sku: &str) -> Result<Option<ProductRow>, sqlx::Error> {
    crate::db::query_as(format!("{PRODUCT_SELECT}sku = $1"))
        .bind(sku)
        .fetch_optional(conn)
        .await
}

/// (role, org name) of the role rules for `product_id` set on the org at
/// `org_path` or an ancestor, top org first.
pub async fn role_rules_reaching(
    conn: &mut Conn,
    product_id: i64,
    org_path: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    crate::db::query_as(
        "SELECT r.role, o.name FROM role_rules r JOIN orgs o ON o.id = r.org_id \
         WHERE r.product_id = $1 AND $2 LIKE (r.org_path || '%') ORDER BY r.org_path, r.role",
    )
    .bind(product_id)
    .bind(org_path)
    .fetch_all(conn)
    .await
}

/// A license of the product whose org is the user's org or an ancestor.
#[derive(sqlx::FromRow)]
pub struct ReachableLicense {
    pub id: i64,
    pub status: Named<LicenseStatus>,
    pub start_date: Day,
    pub finish_date: Day,
    pub grace_days: i64,
    pub grace_until: Day,
    pub org_path: String,
    pub org_name: String,
}

/// Licenses of `product_id` (requests aside) held by the org at `org_path`
/// or an ancestor, nearest org first; at most 500.
pub async fn reachable_licenses(
    conn: &mut Conn,
    product_id: i64,
    org_path: &str,
) -> Result<Vec<ReachableLicense>, sqlx::Error> {
    crate::db::query_as(
        "SELECT l.id, l.status, l.start_date, l.finish_date, l.grace_days, l.grace_until, \
         l.org_path, o.name AS org_name FROM licenses l JOIN orgs o ON o.id = l.org_id \
         WHERE l.product_id = $1 AND l.status <> 'requested' AND $2 LIKE (l.org_path || '%') \
         ORDER BY LENGTH(l.org_path) DESC, l.id LIMIT 500",
    )
    .bind(product_id)
    .bind(org_path)
    .fetch_all(conn)
    .await
}

#[derive(sqlx::FromRow)]
pub struct SeatRow {
    pub id: i64,
    pub license_id: i64,
    pub status: Named<SeatStatus>,
    pub assigned_at: Stamp,
    pub claimed_at: Option<Stamp>,
    pub expired_at: Option<Stamp>,
    pub revoked_at: Option<Stamp>,
    pub revoked_by: Option<String>,
}

/// The user's seats of the product, last changed first; at most 100.
pub async fn user_seats(
    conn: &mut Conn,
    user_id: i64,
    product_id: i64,
) -> Result<Vec<SeatRow>, sqlx::Error> {
    crate::db::query_as(
        "SELECT s.id, s.license_id, s.status, s.assigned_at, s.claimed_at, s.expired_at, \
         s.revoked_at, s.revoked_by FROM seats s JOIN licenses l ON l.id = s.license_id \
         WHERE s.user_id = $1 AND l.product_id = $2 ORDER BY s.updated_at DESC, s.id DESC LIMIT 100",
    )
    .bind(user_id)
    .bind(product_id)
    .fetch_all(conn)
    .await
}

/// Every kind's query yields these columns, NULL where they do not apply.
#[derive(sqlx::FromRow)]
pub struct FoundRow {
    pub user_id: Option<i64>,
    pub user_email: Option<String>,
    pub license_id: Option<i64>,
    pub product_id: Option<i64>,
    pub seat_id: Option<i64>,
    pub expected: Option<i64>,
    pub actual: Option<i64>,
    pub seat_status: Option<String>,
    /// How many rows the finder found in all, before the cap.
    pub total: i64,
}

/// The first `limit` discrepancies of `kind` under `scope` (by license,
/// user and seat; duplicate assignments by user and product) and how many
/// there are in all. `whole_tree` (the scope is every org) lets the user
/// kinds count from the trigger-kept holders instead of reading every
/// matching seat.
pub async fn discrepancies(
    conn: &mut Conn,
    kind: DiscrepancyKind,
    scope: &Scope,
    limit: i64,
    whole_tree: bool,
    cap: i64,
) -> Result<(Vec<FoundRow>, i64), sqlx::Error> {
    if whole_tree
        && let Some(found) = whole_tree_discrepancies(conn, kind, scope, limit, cap).await?
    {
        return Ok(found);
    }
    // The window count gives the total in the same pass as the capped list.
    let mut list = Sql::new("SELECT f.*, COUNT(*) OVER () AS total FROM (");
    push_finder(&mut list, kind, scope);
    list.push(&format!(") f ORDER BY {} LIMIT ", order_of(kind)))
        .bind(limit);
    let rows: Vec<FoundRow> = list.query_as().fetch_all(conn).await?;
    let total = rows.first().map_or(0, |row| row.total);
    Ok((rows, total))
}

/// The order a kind's items are listed in.
fn order_of(kind: DiscrepancyKind) -> &'static str {
    match kind {
        DiscrepancyKind::DuplicateAssignment => "f.user_id, f.product_id",
        _ => "f.license_id, f.user_id, f.seat_id",
    }
}

/// The user kinds over the whole tree: the list walks only as far as it
/// needs; duplicate assignments are counted from `product_holders` (every
/// holder of two or more live seats of a product is one), and seats of
/// archived or suspended users up to `cap` (one past
/// it means more). Counting them all reads each such user and their seats:
/// at 10M claims the demo has about 200,000, and it took 1.3–3 s.
/// `None` for the license kinds, which read license counters anyway.
async fn whole_tree_discrepancies(
    conn: &mut Conn,
    kind: DiscrepancyKind,
    scope: &Scope,
    limit: i64,
    cap: i64,
) -> Result<Option<(Vec<FoundRow>, i64)>, sqlx::Error> {
    let (list, count) = match kind {
        DiscrepancyKind::ArchivedUserHoldingSeat | DiscrepancyKind::SuspendedUserHoldingSeat => {
            let status = if kind == DiscrepancyKind::ArchivedUserHoldingSeat {
                "archived"
            } else {
                "suspended"
            };
            let mut list = Sql::new("SELECT f.*, CAST(0 AS BIGINT) AS total FROM (");
            push_finder(&mut list, kind, scope);
            list.push(&format!(") f ORDER BY {} LIMIT ", order_of(kind)))
                .bind(limit);
            // Counted up to the cap (one past it says there are more).
            let live = live_seat("s.status");
            let mut count = Sql::new(format!(
                "SELECT COUNT(*) FROM (SELECT 1 AS one FROM users u CROSS JOIN seats s \
                 WHERE u.status = '{status}' AND s.user_id = u.id AND {live} LIMIT "
            ));
            count.bind(cap + 1).push(") capped");
            (list, count)
        }
        DiscrepancyKind::DuplicateAssignment => {
            let live = live_seat("s.status");
            // The email by a subquery per listed holder: joined, users let
            // PostgreSQL merge-join every user to list 50 (1.5 s at 10M).
            let mut list = Sql::new(format!(
                "SELECT h.user_id AS user_id, \
                 (SELECT u.email FROM users u WHERE u.id = h.user_id) AS user_email, \
                 (SELECT MIN(s.license_id) FROM seats s JOIN licenses l ON l.id = s.license_id \
                 WHERE s.user_id = h.user_id AND l.product_id = h.product_id AND {live}) AS license_id, \
                 h.product_id AS product_id, CAST(NULL AS BIGINT) AS seat_id, CAST(1 AS BIGINT) AS expected, \
                 h.seats AS actual, CAST(NULL AS TEXT) AS seat_status, CAST(0 AS BIGINT) AS total \
                 FROM product_holders h \
                 WHERE h.seats > 1 ORDER BY h.user_id, h.product_id LIMIT "
            ));
            list.bind(limit);
            let count = Sql::new("SELECT COUNT(*) FROM product_holders WHERE seats > 1");
            (list, count)
        }
        _ => return Ok(None),
    };
    let rows: Vec<FoundRow> = list.query_as().fetch_all(&mut *conn).await?;
    let total: i64 = count.query_scalar().fetch_one(&mut *conn).await?;
    Ok(Some((rows, total)))
}

/// Appends the query finding one kind, scoped to licenses under `scope`.
fn push_finder(sql: &mut Sql, kind: DiscrepancyKind, scope: &Scope) {
    let live = live_seat("s.status");
    let in_scope = scope.sql("l.org_path");
    match kind {
        DiscrepancyKind::ArchivedUserHoldingSeat | DiscrepancyKind::SuspendedUserHoldingSeat => {
            let status = if kind == DiscrepancyKind::ArchivedUserHoldingSeat {
                "archived"
            } else {
                "suspended"
            };
            sql.push(&format!(
                "SELECT u.id AS user_id, u.email AS user_email, s.license_id AS license_id, \
                 l.product_id AS product_id, s.id AS seat_id, CAST(NULL AS BIGINT) AS expected, \
                 CAST(NULL AS BIGINT) AS actual, s.status AS seat_status \
                 FROM users u CROSS JOIN seats s CROSS JOIN licenses l \
                 WHERE s.user_id = u.id AND l.id = s.license_id \
                 AND u.status = '{status}' AND {live} AND {in_scope}"
            ));
        }
        DiscrepancyKind::DuplicateAssignment => {
            // Only users holding two or more live seats of a product in
            // all can hold two in the scope: `product_holders` (kept by
            // trigger) names them, and only their seats are read.
            sql.push(&format!(
                "SELECT d.user_id AS user_id, u.email AS user_email, d.license_id AS license_id, \
                 d.product_id AS product_id, CAST(NULL AS BIGINT) AS seat_id, CAST(1 AS BIGINT) AS expected, \
                 d.n AS actual, CAST(NULL AS TEXT) AS seat_status FROM (\
                 SELECT s.user_id AS user_id, MIN(s.license_id) AS license_id, l.product_id AS product_id, \
                 COUNT(*) AS n FROM product_holders h CROSS JOIN seats s CROSS JOIN licenses l \
                 WHERE h.seats > 1 AND s.user_id = h.user_id AND l.id = s.license_id \
                 AND l.product_id = h.product_id AND {live} AND {in_scope}"
            ))
            .push(
                " GROUP BY s.user_id, l.product_id HAVING COUNT(*) > 1) d \
                 JOIN users u ON u.id = d.user_id",
            );
        }
        DiscrepancyKind::ConsumedMismatch | DiscrepancyKind::OverAllocated => {
            // Live seat rows per license are the trigger-kept status
            // counters (`seats_pending + seats_active`, see
            // `store::counters`), set beside the application's own
            // `seats_consumed` in every transaction.
            let live_rows = "(l.seats_pending + l.seats_active)";
            let (expected, actual, condition) = if kind == DiscrepancyKind::ConsumedMismatch {
                (
                    live_rows.to_string(),
                    "l.seats_consumed".to_string(),
                    format!("{live_rows} <> l.seats_consumed"),
                )
            } else {
                (
                    "l.seats_purchased".to_string(),
                    format!("{live_rows} + l.seats_allocated"),
                    format!("{live_rows} + l.seats_allocated > l.seats_purchased"),
                )
            };
            sql.push(&format!(
                "SELECT CAST(NULL AS BIGINT) AS user_id, CAST(NULL AS TEXT) AS user_email, \
                 l.id AS license_id, l.product_id AS product_id, CAST(NULL AS BIGINT) AS seat_id, \
                 {expected} AS expected, {actual} AS actual, CAST(NULL AS TEXT) AS seat_status \
                 FROM licenses l WHERE {condition} AND {in_scope}",
            ));
        }
        DiscrepancyKind::AllocatedMismatch => {
            sql.push(&format!(
                "SELECT CAST(NULL AS BIGINT) AS user_id, CAST(NULL AS TEXT) AS user_email, \
                 l.id AS license_id, l.product_id AS product_id, CAST(NULL AS BIGINT) AS seat_id, \
                 CAST(COALESCE(SUM(c.seats_purchased), 0) AS BIGINT) AS expected, \
                 l.seats_allocated AS actual, CAST(NULL AS TEXT) AS seat_status \
                 FROM licenses l LEFT JOIN licenses c ON c.parent_license_id = l.id \
                 WHERE {in_scope}",
            ))
            .push(
                " GROUP BY l.id, l.product_id, l.seats_allocated \
                 HAVING COALESCE(SUM(c.seats_purchased), 0) <> l.seats_allocated",
            );
        }
    }
}
