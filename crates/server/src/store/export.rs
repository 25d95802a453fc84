//! The bulk export's reads (`GET /v1/export`): the snapshot's feed head, its
//! licenses and its claims in keyset chunks by seat id, all on the one
//! snapshot transaction the caller holds (see [`crate::db::Pool::begin_snapshot`]).

use chrono::NaiveDate;
use seatdesk_core::api::inventory::LicenseQuery;

use crate::db::sql::Sql;
use crate::db::{Backend, Conn};
use crate::domain::scope::Scope;
use crate::store::claims::{CLAIM_SELECT, ClaimRow};
use crate::store::licenses::LicenseRow;

/// Licenses of `scope` after license id `after`, at most `limit`, in id order.
pub async fn licenses(
    conn: &mut Conn,
    scope: &Scope,
    today: NaiveDate,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<LicenseRow>, sqlx::Error> {
    crate::store::licenses::list(
        conn,
        scope,
        &LicenseQuery::default(),
        None,
        today,
        after,
        limit,
    )
    .await
}

/// The claims of `scope` with seat id above `after`, at most `limit`, in id
/// order: one step of the export's keyset walk along the seats' primary key
/// (no sort, no offset, the same cost for the first chunk and the last).
pub async fn claims_after(
    conn: &mut Conn,
    scope: &Scope,
    after: i64,
    limit: i64,
) -> Result<Vec<ClaimRow>, sqlx::Error> {
    // SQLite folds the chunk into one JSON value instead of one driver
    // message per row (as the claims report does, see `store::claims`).
    let fold = conn.backend() == Backend::Sqlite;
    let mut sql = Sql::new(if fold { FOLD_HEAD } else { "" });
    sql.push(CLAIM_SELECT)
        .push(" WHERE ")
        .push(&scope.sql("l.org_path"))
        .push(" AND s.id > ")
        .bind(after)
        .push(" ORDER BY s.id LIMIT ")
        .bind(limit);
    if fold {
        sql.push(") page");
        let text: String = sql.query_scalar().fetch_one(conn).await?;
        serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
    } else {
        sql.query_as().fetch_all(conn).await
    }
}

/// Folds the inner `SELECT` of [`CLAIM_SELECT`]'s columns into one JSON
/// array of arrays in seat id order ([`ClaimRow`] reads arrays field by field).
const FOLD_HEAD: &str = "SELECT json_group_array(json_array(page.id, page.license_id, \
    page.product_id, page.product_name, page.user_id, page.user_name, page.user_email, \
    page.user_kind, page.org_id, page.org_name, page.status, page.assigned_at, page.assigned_by, \
    page.claimed_at, page.claimed_by, page.expired_at, page.expired_by, page.revoked_at, \
    page.revoked_by, page.redemption_code, page.students_assigned, page.updated_at) \
    ORDER BY page.id) FROM (";
