//! Seat counters: per license and status (`licenses.seats_<status>`), claims
//! per license and week (`license_claim_weeks`), seats taken and freed per
//! license and week (`license_flow_weeks`, migration 0017, for pool
//! forecasts), live seats per user and module (`module_holders`, with the
//! whole tree's distinct users in `module_user_totals`, migration 0018) and
//! per user and product (`product_holders`).
//! Triggers on `seats` (migrations 0014 and 0017, both backends) keep them in the
//! transaction of every change, so the dashboard and the discrepancy report
//! read counters instead of counting seat rows. This module rebuilds them
//! from the rows after a bulk load made with the triggers paused, and checks
//! them against a full recount.

use crate::db::{Backend, Conn};

/// The status counters of each license, recounted from its seat rows.
const LICENSE_RECOUNT: &str = "SELECT license_id, \
    SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END) AS pending, \
    SUM(CASE WHEN status = 'active' THEN 1 ELSE 0 END) AS active, \
    SUM(CASE WHEN status = 'expired' THEN 1 ELSE 0 END) AS expired, \
    SUM(CASE WHEN status = 'revoked' THEN 1 ELSE 0 END) AS revoked \
    FROM seats GROUP BY license_id";

/// (license, week, claims) recounted; the week as `seatdesk_core::seats::week_index`.
fn week_recount(backend: Backend) -> String {
    let ms = backend.epoch_ms("claimed_at");
    format!(
        "SELECT license_id, ({ms} + {shift}) / {week} AS week, COUNT(*) AS claims FROM seats \
         WHERE claimed_at IS NOT NULL GROUP BY license_id, ({ms} + {shift}) / {week}",
        shift = seatdesk_core::seats::WEEK_SHIFT_MS,
        week = seatdesk_core::seats::WEEK_MS,
    )
}

/// When a seat that is no longer live was freed (migration 0017).
const FREED_AT: &str = "(CASE WHEN status = 'revoked' THEN COALESCE(revoked_at, expired_at, assigned_at) \
    ELSE COALESCE(expired_at, revoked_at, assigned_at) END)";

/// (license, week, seats taken, seats freed) recounted: taken by the week
/// of `assigned_at`, freed by the week of [`FREED_AT`].
fn flow_recount(backend: Backend) -> String {
    let week = |column: &str| {
        format!(
            "({} + {shift}) / {week}",
            backend.epoch_ms(column),
            shift = seatdesk_core::seats::WEEK_SHIFT_MS,
            week = seatdesk_core::seats::WEEK_MS,
        )
    };
    format!(
        "SELECT license_id, week, SUM(taken) AS taken, SUM(freed) AS freed FROM (\
         SELECT license_id, {assigned} AS week, 1 AS taken, 0 AS freed FROM seats \
         UNION ALL SELECT license_id, {freed}, 0, 1 FROM seats \
         WHERE status IN ('expired', 'revoked')) f GROUP BY license_id, week",
        assigned = week("assigned_at"),
        freed = week(FREED_AT),
    )
}

/// (user, product, live seats) recounted.
const PRODUCT_RECOUNT: &str = "SELECT s.user_id, l.product_id, COUNT(*) AS seats \
    FROM seats s JOIN licenses l ON l.id = s.license_id \
    WHERE s.status IN ('pending', 'active') GROUP BY s.user_id, l.product_id";

/// (user, live Learn seats, live Observe seats) recounted.
const MODULE_RECOUNT: &str = "SELECT s.user_id, \
    SUM(CASE WHEN p.module = 'learn' THEN 1 ELSE 0 END) AS learn, \
    SUM(CASE WHEN p.module = 'observe' THEN 1 ELSE 0 END) AS observe \
    FROM seats s JOIN licenses l ON l.id = s.license_id JOIN products p ON p.id = l.product_id \
    WHERE s.status IN ('pending', 'active') AND p.module IN ('learn', 'observe') \
    GROUP BY s.user_id";

/// (learn users, observe users, users with both) recounted from the
/// module holders: the whole tree's totals (`module_user_totals`).
const MODULE_TOTALS_RECOUNT: &str = "SELECT \
    COALESCE(SUM(CASE WHEN learn > 0 THEN 1 ELSE 0 END), 0) AS learn, \
    COALESCE(SUM(CASE WHEN observe > 0 THEN 1 ELSE 0 END), 0) AS observe, \
    COALESCE(SUM(CASE WHEN learn > 0 AND observe > 0 THEN 1 ELSE 0 END), 0) AS combined \
    FROM module_holders";

const TRIGGERS: [&str; 6] = [
    "seats_counters_insert",
    "seats_counters_update",
    "seats_counters_delete",
    "seats_flow_insert",
    "seats_flow_update",
    "seats_flow_delete",
];

/// Stops the counter triggers for the rest of the transaction `conn` holds
/// (PostgreSQL; SQLite's per-row triggers stay on), before a bulk load of
/// millions of seat rows (COPY or multi-row INSERTs) that ends with
/// [`rebuild`]. `ALTER TABLE` locks `seats` until commit.
pub async fn pause(conn: &mut Conn) -> Result<(), sqlx::Error> {
    if conn.backend() != Backend::Postgres {
        return Ok(());
    }
    for trigger in TRIGGERS {
        crate::db::query(format!("ALTER TABLE seats DISABLE TRIGGER {trigger}"))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Recomputes every counter from the seat rows (one pass per counter
/// table) and turns the triggers back on. Run it in the bulk load's
/// transaction, after [`pause`], or alone to repair counters.
pub async fn rebuild(conn: &mut Conn) -> Result<(), sqlx::Error> {
    let backend = conn.backend();
    let statements = [
        "UPDATE licenses SET seats_pending = 0, seats_active = 0, seats_expired = 0, seats_revoked = 0 \
         WHERE seats_pending <> 0 OR seats_active <> 0 OR seats_expired <> 0 OR seats_revoked <> 0"
            .to_string(),
        format!(
            "UPDATE licenses SET seats_pending = c.pending, seats_active = c.active, \
             seats_expired = c.expired, seats_revoked = c.revoked \
             FROM ({LICENSE_RECOUNT}) c WHERE licenses.id = c.license_id"
        ),
        "DELETE FROM license_claim_weeks".to_string(),
        format!(
            "INSERT INTO license_claim_weeks (license_id, week, claims) {}",
            week_recount(backend)
        ),
        "DELETE FROM license_flow_weeks".to_string(),
        format!(
            "INSERT INTO license_flow_weeks (license_id, week, taken, freed) {}",
            flow_recount(backend)
        ),
        "DELETE FROM product_holders".to_string(),
        format!("INSERT INTO product_holders (user_id, product_id, seats) {PRODUCT_RECOUNT}"),
        "DELETE FROM module_holders".to_string(),
        format!("INSERT INTO module_holders (user_id, learn, observe) {MODULE_RECOUNT}"),
        // After the holders: SQLite's triggers on them moved the totals
        // already; this sets them whatever the triggers did.
        "DELETE FROM module_user_totals".to_string(),
        format!(
            "INSERT INTO module_user_totals (shard, learn, observe, combined) \
             SELECT 0, learn, observe, combined FROM ({MODULE_TOTALS_RECOUNT}) t"
        ),
    ];
    for text in statements {
        crate::db::query(text).execute(&mut *conn).await?;
    }
    if backend == Backend::Postgres {
        for trigger in TRIGGERS {
            crate::db::query(format!("ALTER TABLE seats ENABLE TRIGGER {trigger}"))
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// Rows where a counter differs from a full recount of the seat rows, per
/// counter table; all zero when the counters are right.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Drift {
    pub licenses: i64,
    pub claim_weeks: i64,
    pub flow_weeks: i64,
    pub product_holders: i64,
    pub module_holders: i64,
    /// Whole-tree Learn, Observe and combined users that differ (0 to 3).
    pub module_totals: i64,
}

impl Drift {
    pub fn is_clean(&self) -> bool {
        *self == Drift::default()
    }
}

/// Compares every counter with a full recount (reads every seat row: for
/// tests, `seatdesk counters --check` and after repairs, never for a page).
pub async fn check(conn: &mut Conn) -> Result<Drift, sqlx::Error> {
    let backend = conn.backend();
    let licenses: i64 = crate::db::query_scalar(format!(
        "SELECT COUNT(*) FROM licenses l LEFT JOIN ({LICENSE_RECOUNT}) c ON c.license_id = l.id \
         WHERE l.seats_pending <> COALESCE(c.pending, 0) OR l.seats_active <> COALESCE(c.active, 0) \
         OR l.seats_expired <> COALESCE(c.expired, 0) OR l.seats_revoked <> COALESCE(c.revoked, 0)"
    ))
    .fetch_one(&mut *conn)
    .await?;
    // Rows counting zero are the same as no row.
    let symmetric = |stored: &str, recount: &str| {
        format!(
            "SELECT (SELECT COUNT(*) FROM ({stored} EXCEPT {recount}) a) \
             + (SELECT COUNT(*) FROM ({recount} EXCEPT {stored}) b)"
        )
    };
    let claim_weeks: i64 = crate::db::query_scalar(symmetric(
        "SELECT license_id, week, claims FROM license_claim_weeks WHERE claims <> 0",
        &week_recount(backend),
    ))
    .fetch_one(&mut *conn)
    .await?;
    let flow_weeks: i64 = crate::db::query_scalar(symmetric(
        "SELECT license_id, week, taken, freed FROM license_flow_weeks WHERE taken <> 0 OR freed <> 0",
        &flow_recount(backend),
    ))
    .fetch_one(&mut *conn)
    .await?;
    let product_holders: i64 = crate::db::query_scalar(symmetric(
        "SELECT user_id, product_id, seats FROM product_holders WHERE seats <> 0",
        PRODUCT_RECOUNT,
    ))
    .fetch_one(&mut *conn)
    .await?;
    let module_holders: i64 = crate::db::query_scalar(symmetric(
        "SELECT user_id, learn, observe FROM module_holders WHERE learn <> 0 OR observe <> 0",
        MODULE_RECOUNT,
    ))
    .fetch_one(&mut *conn)
    .await?;
    let module_totals: i64 = crate::db::query_scalar(format!(
        "SELECT CAST((CASE WHEN s.learn <> r.learn THEN 1 ELSE 0 END) \
         + (CASE WHEN s.observe <> r.observe THEN 1 ELSE 0 END) \
         + (CASE WHEN s.combined <> r.combined THEN 1 ELSE 0 END) AS BIGINT) \
         FROM (SELECT CAST(COALESCE(SUM(learn), 0) AS BIGINT) AS learn, \
         CAST(COALESCE(SUM(observe), 0) AS BIGINT) AS observe, \
         CAST(COALESCE(SUM(combined), 0) AS BIGINT) AS combined FROM module_user_totals) s \
         CROSS JOIN ({MODULE_TOTALS_RECOUNT}) r"
    ))
    .fetch_one(&mut *conn)
    .await?;
    Ok(Drift {
        licenses,
        claim_weeks,
        flow_weeks,
        product_holders,
        module_holders,
        module_totals,
    })
}
