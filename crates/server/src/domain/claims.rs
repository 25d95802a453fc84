//! Claims (seat assignments as the License Claims report shows them): the
//! one row shape and its wire form, read by every operation that answers
//! with a claim.

use crate::db::Conn;
use seatdesk_core::api::seats::Claim;
use seatdesk_core::{SeatStatus, UserKind};

use crate::db::sql::Sql;
use crate::db::types::{Named, Stamp};
use crate::error::ApiResult;

/// The columns of [`ClaimRow`], in order.
macro_rules! claim_columns {
    () => {
        "s.id, s.license_id, l.product_id, p.name AS product_name, \
    s.user_id, u.given_name || ' ' || u.family_name AS user_name, u.email AS user_email, \
    u.kind AS user_kind, u.org_id, o.name AS org_name, s.status, s.assigned_at, s.assigned_by, \
    s.claimed_at, s.claimed_by, s.expired_at, s.expired_by, s.revoked_at, s.revoked_by, s.redemption_code, \
    s.students_assigned, s.updated_at"
    };
}

pub(crate) use claim_columns;

/// The joins [`claim_columns!`] reads from.
macro_rules! claim_from {
    () => {
        "FROM seats s JOIN licenses l ON l.id = s.license_id JOIN products p ON p.id = l.product_id \
         JOIN users u ON u.id = s.user_id JOIN orgs o ON o.id = u.org_id"
    };
}

pub(crate) use claim_from;

pub const CLAIM_SELECT: &str = concat!("SELECT ", claim_columns!(), " ", claim_from!());

/// Field order is the column order of [`claim_columns!`] then `sort_key`:
/// the claims report reads its rows as JSON arrays.
#[derive(sqlx::FromRow, serde::Deserialize)]
pub struct ClaimRow {
    pub id: i64,
    license_id: i64,
    product_id: i64,
    product_name: String,
    user_id: i64,
    user_name: String,
    user_email: String,
    user_kind: Named<UserKind>,
    org_id: i64,
    org_name: String,
    status: Named<SeatStatus>,
    assigned_at: Stamp,
    assigned_by: String,
    claimed_at: Option<Stamp>,
    claimed_by: Option<String>,
    expired_at: Option<Stamp>,
    expired_by: Option<String>,
    revoked_at: Option<Stamp>,
    revoked_by: Option<String>,
    redemption_code: Option<String>,
    students_assigned: i64,
    updated_at: Stamp,
    /// The keyset sort key, present only in the report query.
    #[sqlx(default)]
    #[serde(default)]
    pub sort_key: Option<String>,
}

impl From<ClaimRow> for Claim {
    fn from(r: ClaimRow) -> Claim {
        Claim {
            id: r.id,
            license_id: r.license_id,
            product_id: r.product_id,
            product_name: r.product_name,
            user_id: r.user_id,
            user_name: r.user_name,
            user_email: r.user_email,
            user_kind: r.user_kind.0,
            org_id: r.org_id,
            org_name: r.org_name,
            status: r.status.0,
            assigned_at: r.assigned_at.0,
            assigned_by: r.assigned_by,
            claimed_at: r.claimed_at.map(|t| t.0),
            claimed_by: r.claimed_by,
            expired_by: r.expired_by,
            expired_at: r.expired_at.map(|t| t.0),
            revoked_at: r.revoked_at.map(|t| t.0),
            revoked_by: r.revoked_by,
            redemption_code: r.redemption_code,
            students_assigned: r.students_assigned,
            updated_at: r.updated_at.0,
        }
    }
}

/// One claim by seat id (no scope check: callers have checked the seat).
pub async fn load_claim(conn: &mut Conn, seat_id: i64) -> ApiResult<Claim> {
    let mut sql = Sql::new(CLAIM_SELECT);
    sql.push(" WHERE s.id = ").bind(seat_id);
    let row: ClaimRow = sql.query_as().fetch_one(conn).await?;
    Ok(row.into())
}
