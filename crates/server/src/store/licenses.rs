//! Licenses (and the product catalogue they sell): the one license read with
//! its derived columns ([`LicenseRow`]), the License Inventory list, the
//! insert, and the updates of status and allocated seats. Which license may
//! change, and how far, is decided in [`crate::domain::licenses`].

use std::sync::LazyLock;

use chrono::NaiveDate;
use seatdesk_core::api::inventory::{LicenseQuery, OrderStatusFilter};
use seatdesk_core::{InventoryType, LicenseStatus};

use crate::db::Conn;
use crate::db::sql::{Sql, contains_pattern};
use crate::db::types::{Day, Flag, JsonText, Named, Stamp};
use crate::domain::live::live_seat;
use crate::domain::scope::Scope;

/// Columns of [`LicenseRow`], in order; `l` is licenses, `p` products.
static LICENSE_SELECT: LazyLock<String> = LazyLock::new(|| {
    let live = live_seat("s.status");
    format!(
        "SELECT l.id, l.account_id, l.org_id, l.parent_license_id, \
    l.product_id, p.sku, p.name AS product_name, l.order_number, l.purchase_order, l.inventory_type, l.courses, \
    l.teacher_code, \
    (SELECT c.code FROM codes c WHERE c.license_id = l.id AND c.kind = 'master' ORDER BY c.id LIMIT 1) AS master_code, \
    l.seats_purchased, l.seats_consumed, l.seats_allocated, l.start_date, l.finish_date, \
    l.grace_days, l.status, l.renewal_requested, l.renewed, \
    (SELECT COUNT(*) FROM seats s JOIN users u ON u.id = s.user_id \
       WHERE s.license_id = l.id AND {live} AND u.kind = 'teacher') AS teachers, \
    (SELECT COUNT(*) FROM seats s JOIN users u ON u.id = s.user_id \
       WHERE s.license_id = l.id AND {live} AND u.kind = 'student') \
    + (SELECT CAST(COALESCE(SUM(s.students_assigned), 0) AS BIGINT) FROM seats s \
       WHERE s.license_id = l.id AND {live}) AS students, \
    (SELECT CAST(COALESCE(SUM(c.seats_consumed), 0) AS BIGINT) FROM licenses c \
       WHERE c.parent_license_id = l.id) AS allocations_consumed, \
    l.updated_at, l.org_path \
    FROM licenses l JOIN products p ON p.id = l.product_id"
    )
});

/// A license as stored, with its product and live-seat figures; its wire
/// form (derived status for a day) is [`LicenseRow::into_api`] in domain.
#[derive(sqlx::FromRow)]
pub struct LicenseRow {
    pub id: i64,
    pub account_id: i64,
    pub org_id: i64,
    pub parent_license_id: Option<i64>,
    pub product_id: i64,
    pub sku: String,
    pub product_name: String,
    pub order_number: String,
    pub purchase_order: String,
    pub inventory_type: Named<InventoryType>,
    pub courses: JsonText<Vec<String>>,
    pub teacher_code: Option<String>,
    pub master_code: Option<String>,
    pub seats_purchased: i64,
    pub seats_consumed: i64,
    pub seats_allocated: i64,
    pub start_date: Day,
    pub finish_date: Day,
    pub grace_days: i64,
    pub status: Named<LicenseStatus>,
    pub renewal_requested: Flag,
    pub renewed: Flag,
    pub teachers: i64,
    pub students: i64,
    pub allocations_consumed: i64,
    pub updated_at: Stamp,
    pub org_path: String,
}

/// License `id`, wherever it lies (callers check the scope).
pub async fn license(conn: &mut Conn, id: i64) -> Result<Option<LicenseRow>, sqlx::Error> {
    let mut sql = Sql::new(LICENSE_SELECT.as_str());
    sql.push(" WHERE l.id = ").bind(id);
    sql.query_as().fetch_optional(conn).await
}

/// One page of the License Inventory list under `scope`, after license id
/// `after`, at most `limit` rows. `code` is the search form of `query.code`
/// (which is not read); order statuses are judged on `today`.
pub async fn list<'c>(
    target: impl Into<crate::db::sql::Target<'c>>,
    scope: &Scope,
    query: &LicenseQuery,
    code: Option<&str>,
    today: NaiveDate,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<LicenseRow>, sqlx::Error> {
    let mut sql = Sql::new(LICENSE_SELECT.as_str());
    sql.push(" WHERE ").push(&scope.sql("l.org_path"));
    if let Some(account_id) = query.account_id {
        sql.push(" AND l.account_id = ").bind(account_id);
    }
    if let Some(org_id) = query.org_id {
        sql.push(" AND l.org_id = ").bind(org_id);
    }
    if let Some(product_id) = query.product_id {
        sql.push(" AND l.product_id = ").bind(product_id);
    }
    if let Some(order) = query.order_number.as_deref().filter(|s| !s.is_empty()) {
        sql.push(" AND l.order_number = ").bind(order.to_string());
    }
    if let Some(po) = query.purchase_order.as_deref().filter(|s| !s.is_empty()) {
        sql.push(" AND LOWER(l.purchase_order) LIKE ")
            .bind_like(contains_pattern(po));
    }
    if let Some(code) = code {
        sql.push(" AND (l.teacher_code = ")
            .bind(code)
            .push(" OR EXISTS (SELECT 1 FROM codes c WHERE c.license_id = l.id AND c.code = ")
            .bind(code)
            .push("))");
    }
    if let Some(kind) = query.inventory_type {
        sql.push(" AND l.inventory_type = ")
            .bind(kind.as_str().to_string());
    }
    match query.order_status.unwrap_or(OrderStatusFilter::All) {
        OrderStatusFilter::All => {}
        OrderStatusFilter::Available => {
            sql.push(" AND l.status = 'active' AND l.grace_until >= ")
                .bind(today)
                .push(" AND l.seats_consumed + l.seats_allocated < l.seats_purchased");
        }
        OrderStatusFilter::Expired => {
            sql.push(" AND (l.status = 'expired' OR l.grace_until < ")
                .bind(today)
                .push(")");
        }
        OrderStatusFilter::Requested => {
            sql.push(
                " AND (l.status = 'requested' OR EXISTS (SELECT 1 FROM requests r \
                 WHERE r.license_id = l.id AND r.status = 'pending'))",
            );
        }
        OrderStatusFilter::WithRenewalRequest => {
            sql.push(" AND l.renewal_requested");
        }
    }
    if let Some(after) = after {
        sql.push(" AND l.id > ").bind(after);
    }
    sql.push(" ORDER BY l.id LIMIT ").bind(limit);
    sql.query_as().fetch_all(target).await
}

/// The org id and path of purchasing account `account_id`, if it exists.
pub async fn account_org(
    conn: &mut Conn,
    account_id: i64,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    crate::db::query_as(
        "SELECT o.id, o.path FROM accounts a JOIN orgs o ON o.id = a.org_id WHERE a.id = $1",
    )
    .bind(account_id)
    .fetch_optional(conn)
    .await
}

/// Fields of a license insert; shared with allocations and request approval.
pub struct LicenseInsert<'a> {
    pub account_id: i64,
    pub org_id: i64,
    pub org_path: &'a str,
    pub parent_license_id: Option<i64>,
    pub product_id: i64,
    pub order_number: &'a str,
    pub purchase_order: &'a str,
    pub inventory_type: InventoryType,
    pub courses: &'a [String],
    /// `None` asks [`crate::domain::licenses::insert_license`] for a fresh one.
    pub teacher_code: Option<String>,
    pub seats_purchased: i64,
    pub start_date: NaiveDate,
    pub finish_date: NaiveDate,
    pub grace_days: i64,
    pub status: LicenseStatus,
}

/// Inserts the license row (its codes are the caller's); returns its id.
pub async fn insert(
    conn: &mut Conn,
    new: &LicenseInsert<'_>,
    teacher_code: String,
    grace_until: NaiveDate,
    now: Stamp,
) -> Result<i64, sqlx::Error> {
    crate::db::query_scalar(
        "INSERT INTO licenses (account_id, org_id, org_path, parent_license_id, product_id, \
         order_number, purchase_order, inventory_type, courses, teacher_code, seats_purchased, \
         start_date, finish_date, grace_days, grace_until, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17) RETURNING id",
    )
    .bind(new.account_id)
    .bind(new.org_id)
    .bind(new.org_path.to_string())
    .bind(new.parent_license_id)
    .bind(new.product_id)
    .bind(new.order_number.trim().to_string())
    .bind(new.purchase_order.trim().to_string())
    .bind(new.inventory_type.as_str())
    .bind(serde_json::json!(new.courses))
    .bind(teacher_code)
    .bind(new.seats_purchased)
    .bind(new.start_date)
    .bind(new.finish_date)
    .bind(new.grace_days)
    .bind(grace_until)
    .bind(new.status.as_str())
    .bind(now)
    .fetch_one(conn)
    .await
}

/// Moves `seats` of license `id` to its allocated count if they are still
/// available (the conditional UPDATE is the seat-limit check); returns the
/// allocated count it leaves, or `None` when too few seats were left.
pub async fn allocate_seats(
    conn: &mut Conn,
    id: i64,
    seats: i64,
    now: Stamp,
) -> Result<Option<i64>, sqlx::Error> {
    crate::db::query_scalar(
        "UPDATE licenses SET seats_allocated = seats_allocated + $1, updated_at = $2 \
         WHERE id = $3 AND seats_consumed + seats_allocated + $1 <= seats_purchased \
         RETURNING seats_allocated",
    )
    .bind(seats)
    .bind(now)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Stores `status` on license `id`.
pub async fn set_status(
    conn: &mut Conn,
    id: i64,
    status: LicenseStatus,
    now: Stamp,
) -> Result<(), sqlx::Error> {
    crate::db::query("UPDATE licenses SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(now)
        .bind(id)
        .execute(conn)
        .await
        .map(drop)
}
