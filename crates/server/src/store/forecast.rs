//! The reads behind pool forecasts: weighted sums of the seat flow counters
//! (`license_flow_weeks`, migration 0017) over the forecast window, per
//! product of a dashboard view and per license, so a forecast reads at
//! most a few counter rows per license and never a seat row. The weights
//! and the arithmetic are `seatdesk_core::forecast`'s: the weight of week
//! `w` when the current week is `c` is `w − (c − 9)` for the eight complete
//! weeks `c − 8 ..= c − 1`.

use seatdesk_core::forecast::{FORECAST_WEEKS, window_start};

use crate::db::Pool;
use crate::db::sql::Sql;
use crate::store::dashboard::View;

/// License ids per query.
const CHUNK: usize = 400;

/// `SUM(weight × (taken − freed))` over the window, for rows aliased `w`,
/// as a BIGINT (PostgreSQL sums BIGINTs as NUMERIC).
fn weighted_sum(sql: &mut Sql, current: i64) {
    sql.push("CAST(COALESCE(SUM(CASE WHEN w.week >= ")
        .bind(window_start(current))
        .push(" AND w.week < ")
        .bind(current)
        .push(" THEN (w.week - ")
        .bind(current - FORECAST_WEEKS - 1)
        .push(") * (w.taken - w.freed) ELSE 0 END), 0) AS BIGINT)");
}

/// (product, weighted net flow) for the products of `view` with any flow
/// in the window.
pub async fn product_flows(
    pool: &Pool,
    view: &View,
    current: i64,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let mut sql = Sql::new("SELECT l.product_id, ");
    weighted_sum(&mut sql, current);
    sql.push(" FROM licenses l JOIN license_flow_weeks w ON w.license_id = l.id WHERE w.week >= ")
        .bind(window_start(current))
        .push(" AND w.week < ")
        .bind(current)
        .push(" AND ");
    view.push(&mut sql, "l");
    sql.push(" GROUP BY l.product_id");
    sql.query_as().fetch_all(pool).await
}

/// A license's seat flow for its forecast: the week of its first seat and
/// the weighted net flow over the window.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct LicenseFlow {
    pub license_id: i64,
    pub first_week: Option<i64>,
    pub weighted: i64,
}

/// The flows of `license_ids`; licenses that never held a seat have no row.
pub async fn license_flows(
    pool: &Pool,
    license_ids: &[i64],
    current: i64,
) -> Result<Vec<LicenseFlow>, sqlx::Error> {
    let mut flows = Vec::new();
    for chunk in license_ids.chunks(CHUNK) {
        let mut sql = Sql::new(
            "SELECT w.license_id AS license_id, \
             MIN(CASE WHEN w.taken > 0 THEN w.week END) AS first_week, ",
        );
        weighted_sum(&mut sql, current);
        sql.push(" AS weighted FROM license_flow_weeks w WHERE w.license_id IN (")
            .bind_list(chunk.iter().copied())
            .push(") GROUP BY w.license_id");
        flows.extend(sql.query_as::<LicenseFlow>().fetch_all(pool).await?);
    }
    Ok(flows)
}

/// The two correlated subqueries giving `first_week` and `weighted` for
/// the license aliased `l`, as select-list columns.
pub fn push_license_flow_columns(sql: &mut Sql, current: i64) {
    sql.push(
        "(SELECT MIN(w.week) FROM license_flow_weeks w WHERE w.license_id = l.id AND w.taken > 0) \
         AS first_week, (SELECT ",
    );
    weighted_sum(sql, current);
    sql.push(" FROM license_flow_weeks w WHERE w.license_id = l.id AND w.week >= ")
        .bind(window_start(current))
        .push(" AND w.week < ")
        .bind(current)
        .push(") AS weighted");
}
