//! Reclaim policies, their runs, the seats a policy selects and the seats'
//! last use. Which seats a rule selects is written in
//! [`crate::domain::reclaim::push_selection`]; these statements run it.

use crate::db::sql::Sql;
use crate::db::types::{Flag, Named, Stamp};
use crate::db::{Backend, Conn, Pool};
use crate::domain::live::live_seat;
use crate::domain::reclaim::Selection;
use crate::domain::scope::Scope;
use seatdesk_core::SeatStatus;
use seatdesk_core::api::reclaim::{ReclaimRule, RunTrigger};

/// A stored policy.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PolicyRow {
    pub id: i64,
    pub name: String,
    pub org_id: i64,
    pub org_path: String,
    pub product_id: Option<i64>,
    pub license_id: Option<i64>,
    pub rule: Named<ReclaimRule>,
    pub days: Option<i64>,
    pub interval_minutes: i64,
    pub paused: Flag,
    pub created_at: Stamp,
    pub created_by: String,
    pub last_run_at: Option<Stamp>,
    pub next_run_at: Option<Stamp>,
    pub seats_freed: i64,
}

const POLICY_COLUMNS: &str = "id, name, org_id, org_path, product_id, license_id, rule, days, \
     interval_minutes, paused, created_at, created_by, last_run_at, next_run_at, seats_freed";

/// A policy to insert.
pub struct NewPolicyRow<'a> {
    pub name: &'a str,
    pub org_id: i64,
    pub org_path: &'a str,
    pub product_id: Option<i64>,
    pub license_id: Option<i64>,
    pub rule: ReclaimRule,
    pub days: Option<i64>,
    pub interval_minutes: i64,
    pub paused: bool,
    pub created_at: Stamp,
    pub created_by: &'a str,
    pub next_run_at: Option<Stamp>,
}

pub async fn insert_policy(conn: &mut Conn, p: &NewPolicyRow<'_>) -> Result<i64, sqlx::Error> {
    crate::db::query_scalar(
        "INSERT INTO reclaim_policies (name, org_id, org_path, product_id, license_id, rule, days, \
         interval_minutes, paused, created_at, created_by, next_run_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(p.name)
    .bind(p.org_id)
    .bind(p.org_path)
    .bind(p.product_id)
    .bind(p.license_id)
    .bind(p.rule.as_str())
    .bind(p.days)
    .bind(p.interval_minutes)
    .bind(p.paused)
    .bind(p.created_at)
    .bind(p.created_by)
    .bind(p.next_run_at)
    .fetch_one(conn)
    .await
}

pub async fn policy(conn: &mut Conn, id: i64) -> Result<Option<PolicyRow>, sqlx::Error> {
    crate::db::query_as(format!(
        "SELECT {POLICY_COLUMNS} FROM reclaim_policies WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Policies of `scope` by id after `after`: `limit` rows plus one.
pub async fn policies_in(
    conn: &mut Conn,
    scope: &Scope,
    after: i64,
    limit: i64,
) -> Result<Vec<PolicyRow>, sqlx::Error> {
    let mut sql = Sql::new(format!(
        "SELECT {POLICY_COLUMNS} FROM reclaim_policies WHERE {} AND id > ",
        scope.sql("org_path")
    ));
    sql.bind(after).push(" ORDER BY id LIMIT ").bind(limit + 1);
    sql.query_as().fetch_all(conn).await
}

/// Pauses (no next run) or resumes (next run at `next_run_at`) a policy.
pub async fn set_paused(
    conn: &mut Conn,
    id: i64,
    paused: bool,
    next_run_at: Option<Stamp>,
) -> Result<(), sqlx::Error> {
    crate::db::query("UPDATE reclaim_policies SET paused = $1, next_run_at = $2 WHERE id = $3")
        .bind(paused)
        .bind(next_run_at)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Policies due at `now` (not paused, next run not later): `(id, next_run_at)`,
/// longest overdue first, at most `limit`.
pub async fn due(pool: &Pool, now: Stamp, limit: i64) -> Result<Vec<(i64, Stamp)>, sqlx::Error> {
    crate::db::query_as(
        "SELECT id, next_run_at FROM reclaim_policies \
         WHERE next_run_at IS NOT NULL AND next_run_at <= $1 AND paused = $2 \
         ORDER BY next_run_at, id LIMIT $3",
    )
    .bind(now)
    .bind(false)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Claims the due run of policy `id` that was planned for `planned`, moving
/// its next run to `next`: true for the one caller whose conditional UPDATE
/// changed the row. Another replica that read the same due run finds
/// `next_run_at` moved (on PostgreSQL it waits for the winner's commit and
/// re-reads the row), changes nothing and skips the run.
pub async fn claim(
    conn: &mut Conn,
    id: i64,
    planned: Stamp,
    next: Stamp,
) -> Result<bool, sqlx::Error> {
    let done = crate::db::query(
        "UPDATE reclaim_policies SET next_run_at = $1 \
         WHERE id = $2 AND next_run_at = $3 AND paused = $4",
    )
    .bind(next)
    .bind(id)
    .bind(planned)
    .bind(false)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A run to record.
pub struct NewRunRow<'a> {
    pub policy_id: i64,
    pub trigger: RunTrigger,
    pub actor: &'a str,
    pub started_at: Stamp,
    pub freed: i64,
    pub refused: i64,
    pub remaining: i64,
}

/// Records a run and adds its freed seats to the policy's total.
pub async fn record_run(conn: &mut Conn, run: &NewRunRow<'_>) -> Result<i64, sqlx::Error> {
    let id = crate::db::query_scalar(
        "INSERT INTO reclaim_runs (policy_id, run_trigger, actor, started_at, freed, refused, remaining) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(run.policy_id)
    .bind(run.trigger.as_str())
    .bind(run.actor)
    .bind(run.started_at)
    .bind(run.freed)
    .bind(run.refused)
    .bind(run.remaining)
    .fetch_one(&mut *conn)
    .await?;
    crate::db::query(
        "UPDATE reclaim_policies SET seats_freed = seats_freed + $1, last_run_at = $2 WHERE id = $3",
    )
    .bind(run.freed)
    .bind(run.started_at)
    .bind(run.policy_id)
    .execute(conn)
    .await?;
    Ok(id)
}

/// A stored run.
#[derive(Debug, sqlx::FromRow)]
pub struct RunRow {
    pub id: i64,
    pub policy_id: i64,
    pub run_trigger: Named<RunTrigger>,
    pub actor: String,
    pub started_at: Stamp,
    pub freed: i64,
    pub refused: i64,
    pub remaining: i64,
}

/// Runs of `policy_id` with id below `before`, newest first: `limit` plus one.
pub async fn runs(
    conn: &mut Conn,
    policy_id: i64,
    before: i64,
    limit: i64,
) -> Result<Vec<RunRow>, sqlx::Error> {
    crate::db::query_as(
        "SELECT id, policy_id, run_trigger, actor, started_at, freed, refused, remaining \
         FROM reclaim_runs WHERE policy_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(policy_id)
    .bind(before)
    .bind(limit + 1)
    .fetch_all(conn)
    .await
}

/// A seat a policy selects, with what its reason names.
#[derive(Debug, sqlx::FromRow)]
pub struct CandidateRow {
    pub seat_id: i64,
    pub license_id: i64,
    pub order_number: String,
    pub product_sku: String,
    pub user_id: i64,
    pub user_name: String,
    pub user_email: String,
    pub status: Named<SeatStatus>,
    pub since: Stamp,
}

/// The seats `selection` selects in seat id order, at most `limit`. On
/// PostgreSQL the rows are locked, skipping seats another transaction
/// holds: an overlapping run (or revocation) takes those, this one leaves
/// them for its next run.
pub async fn candidates(
    conn: &mut Conn,
    selection: &Selection,
    limit: i64,
) -> Result<Vec<CandidateRow>, sqlx::Error> {
    let backend = conn.backend();
    let mut sql = Sql::new_for(
        backend,
        "SELECT s.id AS seat_id, s.license_id, l.order_number, p.sku AS product_sku, \
         s.user_id, u.given_name || ' ' || u.family_name AS user_name, u.email AS user_email, \
         s.status, ",
    );
    sql.push(selection.since_sql()).push(" AS since");
    selection.push_from(&mut sql);
    sql.push(" ORDER BY s.id LIMIT ").bind(limit);
    if backend == Backend::Postgres {
        // NO KEY UPDATE: what the revocation's UPDATE takes anyway, and
        // no conflict with a seen report's foreign-key check on the seat.
        sql.push(" FOR NO KEY UPDATE OF s SKIP LOCKED");
    }
    sql.query_as().fetch_all(conn).await
}

/// How many seats `selection` selects.
pub async fn count(conn: &mut Conn, selection: &Selection) -> Result<i64, sqlx::Error> {
    let mut sql = Sql::new_for(conn.backend(), "SELECT COUNT(*)");
    selection.push_from(&mut sql);
    sql.query_scalar().fetch_one(conn).await
}

/// How many distinct seats any of `selections` selects (each seat once).
pub async fn count_union(conn: &mut Conn, selections: &[Selection]) -> Result<i64, sqlx::Error> {
    if selections.is_empty() {
        return Ok(0);
    }
    let mut sql = Sql::new_for(conn.backend(), "SELECT COUNT(*) FROM (");
    for (i, selection) in selections.iter().enumerate() {
        if i > 0 {
            sql.push(" UNION ");
        }
        sql.push("SELECT s.id");
        selection.push_from(&mut sql);
    }
    sql.push(") reclaimable");
    sql.query_scalar().fetch_one(conn).await
}

/// Records `at` as the last use of the live seats of `ids` (sorted,
/// distinct) inside `scope`, in one statement; an earlier `at` than the
/// stored one leaves it. Returns the seats recorded.
pub async fn record_seen(
    conn: &mut Conn,
    scope: &Scope,
    ids: &[i64],
    at: Stamp,
) -> Result<Vec<i64>, sqlx::Error> {
    let backend = conn.backend();
    let seats = |sql: &mut Sql| {
        sql.push(&format!(
            "SELECT s.id FROM seats s JOIN licenses l ON l.id = s.license_id \
             WHERE {} AND {} AND s.id",
            live_seat("s.status"),
            scope.sql("l.org_path")
        ));
        sql.bind_id_set(ids);
    };
    let mut sql = Sql::new_for(backend, "");
    match backend {
        // A data-modifying CTE: the live seats are the answer whether or
        // not their stored use was older, and rows already newer are not
        // rewritten.
        Backend::Postgres => {
            sql.push("WITH live AS (");
            seats(&mut sql);
            sql.push("), recorded AS (INSERT INTO seat_uses (seat_id, last_seen_at) SELECT id, ")
                .bind(at)
                .push(
                    " FROM live ORDER BY id ON CONFLICT (seat_id) DO UPDATE \
                     SET last_seen_at = EXCLUDED.last_seen_at \
                     WHERE seat_uses.last_seen_at < EXCLUDED.last_seen_at) \
                     SELECT id FROM live",
                );
        }
        // SQLite has no data-modifying CTE; the upsert keeps the later time.
        Backend::Sqlite => {
            sql.push("INSERT INTO seat_uses (seat_id, last_seen_at) SELECT id, ")
                .bind(at)
                .push(" FROM (");
            seats(&mut sql);
            sql.push(
                ") AS live WHERE true ON CONFLICT (seat_id) DO UPDATE \
                 SET last_seen_at = MAX(seat_uses.last_seen_at, excluded.last_seen_at) \
                 RETURNING seat_id",
            );
        }
    }
    sql.query_scalar().fetch_all(conn).await
}

/// A license's org path and product, if it exists.
pub async fn license_path_and_product(
    conn: &mut Conn,
    id: i64,
) -> Result<Option<(String, i64)>, sqlx::Error> {
    crate::db::query_as("SELECT org_path, product_id FROM licenses WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn product_exists(conn: &mut Conn, id: i64) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = crate::db::query_scalar("SELECT id FROM products WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// An account's org path, if it exists.
pub async fn account_path(conn: &mut Conn, id: i64) -> Result<Option<String>, sqlx::Error> {
    crate::db::query_scalar(
        "SELECT o.path FROM accounts a JOIN orgs o ON o.id = a.org_id WHERE a.id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}
