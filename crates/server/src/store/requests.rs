//! License requests: the request row with its org and product names, the
//! list, the two inserts, marking one decided, and the license updates a
//! request makes (renewal flag, renewal, activation of a placeholder). The
//! rules of submitting and deciding are in [`crate::domain::requests`].

use chrono::NaiveDate;
use seatdesk_core::api::requests::{LicenseRequest, RequestQuery};
use seatdesk_core::{InventoryType, RequestKind, RequestStatus};

use crate::db::sql::Sql;
use crate::db::types::{Day, Flag, JsonText, Named, Stamp};
use crate::db::{Conn, Pool};
use crate::domain::scope::Scope;

const REQUEST_SELECT: &str = "SELECT r.id, r.kind, r.status, r.license_id, r.account_id, r.org_id, \
    o.name AS org_name, r.org_path, r.requested_to_org_id, t.name AS requested_to_org_name, \
    r.product_id, p.name AS product_name, r.new_code, r.inventory_type, r.students, r.courses, \
    r.start_date, r.finish_date, r.purchase_order, r.comments, r.approval_comments, r.created_by, \
    r.created_at, r.decided_by, r.decided_at, r.result_license_id \
    FROM requests r JOIN orgs o ON o.id = r.org_id \
    LEFT JOIN orgs t ON t.id = r.requested_to_org_id \
    LEFT JOIN products p ON p.id = r.product_id";

#[derive(sqlx::FromRow)]
pub struct RequestRow {
    pub id: i64,
    pub kind: Named<RequestKind>,
    pub status: Named<RequestStatus>,
    pub license_id: Option<i64>,
    pub account_id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub org_path: String,
    pub requested_to_org_id: Option<i64>,
    pub requested_to_org_name: Option<String>,
    pub product_id: Option<i64>,
    pub product_name: Option<String>,
    pub new_code: Flag,
    pub inventory_type: Option<Named<InventoryType>>,
    pub students: Option<i64>,
    pub courses: JsonText<Vec<String>>,
    pub start_date: Option<Day>,
    pub finish_date: Option<Day>,
    pub purchase_order: String,
    pub comments: String,
    pub approval_comments: String,
    pub created_by: String,
    pub created_at: Stamp,
    pub decided_by: Option<String>,
    pub decided_at: Option<Stamp>,
    pub result_license_id: Option<i64>,
}

impl RequestRow {
    pub fn into_api(self) -> LicenseRequest {
        LicenseRequest {
            id: self.id,
            kind: self.kind.0,
            status: self.status.0,
            license_id: self.license_id,
            account_id: self.account_id,
            org_id: self.org_id,
            org_name: self.org_name,
            requested_to_org_id: self.requested_to_org_id,
            requested_to_org_name: self.requested_to_org_name,
            product_id: self.product_id,
            product_name: self.product_name,
            new_code: self.new_code.0,
            inventory_type: self.inventory_type.map(|t| t.0),
            students: self.students,
            courses: self.courses.0,
            start_date: self.start_date.map(|d| d.0),
            finish_date: self.finish_date.map(|d| d.0),
            purchase_order: self.purchase_order,
            comments: self.comments,
            approval_comments: self.approval_comments,
            created_by: self.created_by,
            created_at: self.created_at.0,
            decided_by: self.decided_by,
            decided_at: self.decided_at.map(|t| t.0),
            result_license_id: self.result_license_id,
        }
    }
}

/// Request `id`, wherever it lies (callers check the scope).
pub async fn request(conn: &mut Conn, id: i64) -> Result<Option<RequestRow>, sqlx::Error> {
    let mut sql = Sql::new(REQUEST_SELECT);
    sql.push(" WHERE r.id = ").bind(id);
    sql.query_as().fetch_optional(conn).await
}

/// One page of the requests under `scope`, after request id `after`, at
/// most `limit` rows.
pub async fn list(
    pool: &Pool,
    scope: &Scope,
    query: &RequestQuery,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<RequestRow>, sqlx::Error> {
    let mut sql = Sql::new(REQUEST_SELECT);
    sql.push(" WHERE ").push(&scope.sql("r.org_path"));
    if let Some(status) = query.status {
        sql.push(" AND r.status = ")
            .bind(status.as_str().to_string());
    }
    if let Some(kind) = query.kind {
        sql.push(" AND r.kind = ").bind(kind.as_str().to_string());
    }
    if let Some(license_id) = query.license_id {
        sql.push(" AND r.license_id = ").bind(license_id);
    }
    if let Some(after) = after {
        sql.push(" AND r.id > ").bind(after);
    }
    sql.push(" ORDER BY r.id LIMIT ").bind(limit);
    sql.query_as().fetch_all(pool).await
}

/// The parent of org `org_id`, if it has one (the org a request goes to).
pub async fn parent_org(conn: &mut Conn, org_id: i64) -> Result<Option<i64>, sqlx::Error> {
    let parent: Option<Option<i64>> =
        crate::db::query_scalar("SELECT parent_id FROM orgs WHERE id = $1")
            .bind(org_id)
            .fetch_optional(conn)
            .await?;
    Ok(parent.flatten())
}

/// What both kinds of request store besides their kind.
pub struct RequestInsert<'a> {
    pub account_id: i64,
    pub org_id: i64,
    pub org_path: &'a str,
    pub requested_to: i64,
    pub product_id: i64,
    pub inventory_type: InventoryType,
    pub students: Option<i64>,
    pub courses: &'a [String],
    pub start_date: Option<NaiveDate>,
    pub finish_date: Option<NaiveDate>,
    pub purchase_order: &'a str,
    pub comments: &'a str,
    pub created_by: &'a str,
}

/// Inserts a pending renewal of license `license_id`; returns its id.
pub async fn insert_renewal(
    conn: &mut Conn,
    license_id: i64,
    new_code: bool,
    new: &RequestInsert<'_>,
    now: Stamp,
) -> Result<i64, sqlx::Error> {
    crate::db::query_scalar(
        "INSERT INTO requests (kind, status, license_id, account_id, org_id, org_path, \
         requested_to_org_id, product_id, new_code, inventory_type, students, courses, start_date, \
         finish_date, purchase_order, comments, created_by, created_at) \
         VALUES ('renewal', 'pending', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
         RETURNING id",
    )
    .bind(license_id)
    .bind(new.account_id)
    .bind(new.org_id)
    .bind(new.org_path)
    .bind(new.requested_to)
    .bind(new.product_id)
    .bind(new_code)
    .bind(new.inventory_type.as_str())
    .bind(new.students)
    .bind(serde_json::json!(new.courses))
    .bind(new.start_date)
    .bind(new.finish_date)
    .bind(new.purchase_order)
    .bind(new.comments)
    .bind(new.created_by)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// Inserts a pending new-license request; returns its id.
pub async fn insert_new_license(
    conn: &mut Conn,
    new: &RequestInsert<'_>,
    now: Stamp,
) -> Result<i64, sqlx::Error> {
    crate::db::query_scalar(
        "INSERT INTO requests (kind, status, account_id, org_id, org_path, requested_to_org_id, \
         product_id, inventory_type, students, courses, start_date, finish_date, purchase_order, \
         comments, created_by, created_at) \
         VALUES ('new_license', 'pending', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         RETURNING id",
    )
    .bind(new.account_id)
    .bind(new.org_id)
    .bind(new.org_path)
    .bind(new.requested_to)
    .bind(new.product_id)
    .bind(new.inventory_type.as_str())
    .bind(new.students)
    .bind(serde_json::json!(new.courses))
    .bind(new.start_date)
    .bind(new.finish_date)
    .bind(new.purchase_order)
    .bind(new.comments)
    .bind(new.created_by)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// Marks request `id` decided with `outcome` if it is still pending;
/// whether it was (the conditional update is what serialises deciders).
pub async fn decide(
    conn: &mut Conn,
    id: i64,
    outcome: RequestStatus,
    comments: &str,
    decided_by: &str,
    now: Stamp,
) -> Result<bool, sqlx::Error> {
    let changed = crate::db::query(
        "UPDATE requests SET status = $1, approval_comments = $2, decided_by = $3, decided_at = $4 \
         WHERE id = $5 AND status = 'pending'",
    )
    .bind(outcome.as_str())
    .bind(comments)
    .bind(decided_by)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(changed > 0)
}

/// Records the license an approval created or renewed.
pub async fn set_result_license(
    conn: &mut Conn,
    id: i64,
    license_id: i64,
) -> Result<(), sqlx::Error> {
    crate::db::query("UPDATE requests SET result_license_id = $1 WHERE id = $2")
        .bind(license_id)
        .bind(id)
        .execute(conn)
        .await
        .map(drop)
}

/// Sets license `id`'s renewal flag if it is not set yet; whether it was
/// not (of two concurrent renewals, the second finds it set).
pub async fn flag_renewal(conn: &mut Conn, id: i64, now: Stamp) -> Result<bool, sqlx::Error> {
    let flagged = crate::db::query(
        "UPDATE licenses SET renewal_requested = TRUE, updated_at = $1 \
         WHERE id = $2 AND NOT renewal_requested",
    )
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(flagged > 0)
}

/// Clears license `id`'s renewal flag (a renewal was rejected).
pub async fn clear_renewal_flag(conn: &mut Conn, id: i64, now: Stamp) -> Result<(), sqlx::Error> {
    crate::db::query("UPDATE licenses SET renewal_requested = FALSE, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await
        .map(drop)
}

/// Activates placeholder license `id` (stored `requested`) with `seats`,
/// unless more are already in use; whether it did.
pub async fn activate_placeholder(
    conn: &mut Conn,
    id: i64,
    seats: i64,
    now: Stamp,
) -> Result<bool, sqlx::Error> {
    let changed = crate::db::query(
        "UPDATE licenses SET status = 'active', seats_purchased = $1, updated_at = $2 \
         WHERE id = $3 AND status = 'requested' AND seats_consumed + seats_allocated <= $1",
    )
    .bind(seats)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(changed == 1)
}

/// Marks license `id` renewed by a new license; its renewal flag clears.
pub async fn mark_renewed(conn: &mut Conn, id: i64, now: Stamp) -> Result<(), sqlx::Error> {
    crate::db::query(
        "UPDATE licenses SET renewed = TRUE, renewal_requested = FALSE, updated_at = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(conn)
    .await
    .map(drop)
}

/// The new term of a license renewed in place.
pub struct RenewedTerm {
    pub start_date: NaiveDate,
    pub finish_date: NaiveDate,
    pub grace_until: NaiveDate,
    pub seats_purchased: i64,
}

/// Moves license `id` to `term` and marks it renewed; a license stored
/// `expired` becomes `active` again.
pub async fn renew_in_place(
    conn: &mut Conn,
    id: i64,
    term: &RenewedTerm,
    now: Stamp,
) -> Result<(), sqlx::Error> {
    crate::db::query(
        "UPDATE licenses SET start_date = $1, finish_date = $2, grace_until = $3, \
         seats_purchased = $4, renewed = TRUE, renewal_requested = FALSE, \
         status = CASE WHEN status = 'expired' THEN 'active' ELSE status END, updated_at = $5 \
         WHERE id = $6",
    )
    .bind(term.start_date)
    .bind(term.finish_date)
    .bind(term.grace_until)
    .bind(term.seats_purchased)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await
    .map(drop)
}
