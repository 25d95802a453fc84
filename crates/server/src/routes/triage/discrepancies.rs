//! The discrepancy report ("License Count Discrepancies" in the seeds):
//! archived or suspended users still holding seats, duplicate assignments,
//! stored counters that disagree with seat rows or child licenses, and
//! licenses whose live rows exceed their seats. Each kind is one grouped
//! SQL query, counted in full and listed up to a cap.
//!
//! Activation-code uses are not compared with seats: seat rows do not
//! record which code created them, so that figure cannot be derived.

use axum::extract::State;
use seatdesk_core::api::triage::{
    Discrepancy, DiscrepancyGroup, DiscrepancyKind, DiscrepancyQuery, DiscrepancyReport,
};
use seatdesk_core::{Permission, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::db::sql::Sql;
use crate::domain::live::live_seat;
use crate::domain::scope::Scope;
use crate::error::ApiResult;
use crate::http::auth::Auth;
use crate::http::{Json, Query};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(discrepancies))
}

/// Items listed per kind unless the caller asks for another cap.
const DEFAULT_ITEMS_PER_KIND: u32 = 50;
const MAX_ITEMS_PER_KIND: u32 = 1000;

/// Every kind's query yields these columns, NULL where they do not apply.
#[derive(sqlx::FromRow)]
struct FoundRow {
    user_id: Option<i64>,
    user_email: Option<String>,
    license_id: Option<i64>,
    product_id: Option<i64>,
    seat_id: Option<i64>,
    expected: Option<i64>,
    actual: Option<i64>,
    seat_status: Option<String>,
    /// How many rows the finder found in all, before the cap.
    total: i64,
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
            // Grouped on the (license, status, user) index first; emails are
            // joined only to the groups found.
            sql.push(&format!(
                "SELECT d.user_id AS user_id, u.email AS user_email, d.license_id AS license_id, \
                 d.product_id AS product_id, CAST(NULL AS BIGINT) AS seat_id, CAST(1 AS BIGINT) AS expected, \
                 d.n AS actual, CAST(NULL AS TEXT) AS seat_status FROM (\
                 SELECT s.user_id AS user_id, MIN(s.license_id) AS license_id, l.product_id AS product_id, \
                 COUNT(*) AS n FROM licenses l CROSS JOIN seats s \
                 WHERE s.license_id = l.id AND {live} AND {in_scope}"
            ))
            .push(
                " GROUP BY s.user_id, l.product_id HAVING COUNT(*) > 1) d \
                 JOIN users u ON u.id = d.user_id",
            );
        }
        DiscrepancyKind::ConsumedMismatch | DiscrepancyKind::OverAllocated => {
            sql.push(&format!(
                "SELECT CAST(NULL AS BIGINT) AS user_id, CAST(NULL AS TEXT) AS user_email, \
                 l.id AS license_id, l.product_id AS product_id, CAST(NULL AS BIGINT) AS seat_id, \
                 {expected} AS expected, {actual} AS actual, CAST(NULL AS TEXT) AS seat_status \
                 FROM licenses l LEFT JOIN seats s ON s.license_id = l.id AND {live} \
                 WHERE {in_scope}",
                expected = if kind == DiscrepancyKind::ConsumedMismatch {
                    "COUNT(s.id)"
                } else {
                    "l.seats_purchased"
                },
                actual = if kind == DiscrepancyKind::ConsumedMismatch {
                    "l.seats_consumed"
                } else {
                    "COUNT(s.id) + l.seats_allocated"
                },
            ))
            .push(
                " GROUP BY l.id, l.product_id, l.seats_consumed, l.seats_allocated, l.seats_purchased",
            )
            .push(if kind == DiscrepancyKind::ConsumedMismatch {
                " HAVING COUNT(s.id) <> l.seats_consumed"
            } else {
                " HAVING COUNT(s.id) + l.seats_allocated > l.seats_purchased"
            });
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

fn describe(kind: DiscrepancyKind, row: &FoundRow) -> String {
    let user = row.user_email.as_deref().unwrap_or("?");
    let license = row.license_id.unwrap_or_default();
    let (expected, actual) = (row.expected.unwrap_or(0), row.actual.unwrap_or(0));
    match kind {
        DiscrepancyKind::ArchivedUserHoldingSeat | DiscrepancyKind::SuspendedUserHoldingSeat => {
            let status = if kind == DiscrepancyKind::ArchivedUserHoldingSeat {
                "archived"
            } else {
                "suspended"
            };
            format!(
                "{status} user {user} holds {} seat {} of license {license}",
                row.seat_status.as_deref().unwrap_or("a live"),
                row.seat_id.unwrap_or_default()
            )
        }
        DiscrepancyKind::DuplicateAssignment => format!(
            "user {user} holds {actual} live seats of product {} (first on license {license})",
            row.product_id.unwrap_or_default()
        ),
        DiscrepancyKind::ConsumedMismatch => format!(
            "license {license} stores {actual} seats consumed but has {expected} live seat rows"
        ),
        DiscrepancyKind::AllocatedMismatch => format!(
            "license {license} stores {actual} seats allocated but its child licenses purchased {expected}"
        ),
        DiscrepancyKind::OverAllocated => format!(
            "license {license} has {actual} seats in use or allocated but only {expected} purchased"
        ),
    }
}

/// Finds every kind of discrepancy in the caller's subtree: per kind the
/// total and the first `limit` items (by license, user, seat).
#[utoipa::path(get, path = "/v1/discrepancies", tag = "triage", security(("bearer" = [])),
    params(DiscrepancyQuery),
    responses((status = 200, body = DiscrepancyReport), (status = "4XX", body = Problem)))]
async fn discrepancies(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<DiscrepancyQuery>,
) -> ApiResult<Json<DiscrepancyReport>> {
    auth.require(Permission::Triage)?;
    let limit = i64::from(
        query
            .limit
            .unwrap_or(DEFAULT_ITEMS_PER_KIND)
            .clamp(1, MAX_ITEMS_PER_KIND),
    );
    let mut conn = state.db.pool.acquire().await?;
    let mut groups = Vec::with_capacity(DiscrepancyKind::ALL.len());
    for &kind in DiscrepancyKind::ALL {
        // The window count gives the total in the same pass as the capped list.
        let mut list = Sql::new("SELECT f.*, COUNT(*) OVER () AS total FROM (");
        push_finder(&mut list, kind, &auth.scope);
        list.push(") f ORDER BY f.license_id, f.user_id, f.seat_id LIMIT ")
            .bind(limit);
        let rows: Vec<FoundRow> = list.query_as().fetch_all(&mut conn).await?;
        let total = rows.first().map_or(0, |row| row.total);
        let items: Vec<Discrepancy> = rows
            .into_iter()
            .map(|row| Discrepancy {
                kind,
                detail: describe(kind, &row),
                user_id: row.user_id,
                user_email: row.user_email,
                license_id: row.license_id,
                product_id: row.product_id,
                seat_id: row.seat_id,
                expected: row.expected,
                actual: row.actual,
            })
            .collect();
        groups.push(DiscrepancyGroup {
            kind,
            total,
            more: (total - items.len() as i64).max(0),
            items,
        });
    }
    Ok(Json(DiscrepancyReport {
        total: groups.iter().map(|g| g.total).sum(),
        groups,
    }))
}
