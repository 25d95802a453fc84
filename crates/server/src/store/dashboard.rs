//! The License Dashboard's aggregates: per-product license sums, seat rows
//! by status, claims per week, Learn/Observe holders and the attention list,
//! each one grouped statement over the licenses of a [`View`] and their
//! counters ([`crate::store::counters`]), so the cost follows the number of
//! licenses, not of seats. The figures built
//! from them are [`crate::domain::dashboard`]'s.

use chrono::{Days, NaiveDate};
use seatdesk_core::Module;
use seatdesk_core::api::dashboard::MAX_ATTENTION_ITEMS;

use crate::db::Pool;
use crate::db::sql::Sql;
use crate::db::types::{Day, Named};
use crate::domain::live::live_seat;
use crate::domain::scope::Scope;

/// Which licenses the dashboard covers: the token's subtree narrowed by the
/// query's filters (checked by [`crate::domain::dashboard::resolve_view`]).
pub struct View {
    pub scope: Scope,
    pub account_id: Option<i64>,
    pub org_pattern: Option<Scope>,
    pub product_id: Option<i64>,
}

impl View {
    /// Appends `alias.org_path LIKE … AND …` for every filter.
    pub fn push(&self, sql: &mut Sql, alias: &str) {
        let column = format!("{alias}.org_path");
        sql.push(&self.scope.sql(&column));
        if let Some(account_id) = self.account_id {
            sql.push(&format!(" AND {alias}.account_id = "))
                .bind(account_id);
        }
        if let Some(org) = &self.org_pattern {
            sql.push(" AND ").push(&org.sql(&column));
        }
        if let Some(product_id) = self.product_id {
            sql.push(&format!(" AND {alias}.product_id = "))
                .bind(product_id);
        }
    }
}

/// The dates the expiry figures compare against.
pub struct Horizon {
    today: NaiveDate,
    in_30: NaiveDate,
    in_60: NaiveDate,
    in_90: NaiveDate,
}

impl Horizon {
    pub fn new(today: NaiveDate) -> Horizon {
        let ahead = |days| today + Days::new(days);
        Horizon {
            today,
            in_30: ahead(30),
            in_60: ahead(60),
            in_90: ahead(90),
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct LicenseSums {
    pub product_id: i64,
    pub sku: String,
    pub name: String,
    pub module: Named<Module>,
    pub licenses: i64,
    pub purchased_top: i64,
    pub consumed: i64,
    pub allocated: i64,
    pub allocated_within: i64,
    pub earliest_start: Option<Day>,
    pub latest_finish: Option<Day>,
    pub soonest_live_finish: Option<Day>,
    pub expiring_30: i64,
    pub expiring_60: i64,
    pub expiring_90: i64,
    pub in_grace: i64,
}

/// Per-product sums over the view's licenses. A license whose parent
/// license is also in the view is nested: its purchased seats are already
/// part of the parent's, so they count as `allocated_within`, not again as
/// purchased.
pub async fn license_sums(
    pool: &Pool,
    view: &View,
    horizon: &Horizon,
) -> Result<Vec<LicenseSums>, sqlx::Error> {
    let live = "l.status = 'active' AND l.finish_date >= ";
    let mut sql = Sql::new(
        "SELECT l.product_id AS product_id, p.sku AS sku, p.name AS name, p.module AS module, \
         COUNT(*) AS licenses, \
         CAST(COALESCE(SUM(CASE WHEN pl.id IS NULL THEN l.seats_purchased ELSE 0 END), 0) AS BIGINT) AS purchased_top, \
         CAST(COALESCE(SUM(l.seats_consumed), 0) AS BIGINT) AS consumed, \
         CAST(COALESCE(SUM(l.seats_allocated), 0) AS BIGINT) AS allocated, \
         CAST(COALESCE(SUM(CASE WHEN pl.id IS NULL THEN 0 ELSE l.seats_purchased END), 0) AS BIGINT) AS allocated_within, \
         MIN(l.start_date) AS earliest_start, MAX(l.finish_date) AS latest_finish, \
         MIN(CASE WHEN ",
    );
    sql.push(live)
        .bind(horizon.today)
        .push(" THEN l.finish_date END) AS soonest_live_finish");
    for (days, limit) in [
        (30, horizon.in_30),
        (60, horizon.in_60),
        (90, horizon.in_90),
    ] {
        sql.push(", CAST(COALESCE(SUM(CASE WHEN ")
            .push(live)
            .bind(horizon.today)
            .push(" AND l.finish_date <= ")
            .bind(limit)
            .push(&format!(
                " THEN 1 ELSE 0 END), 0) AS BIGINT) AS expiring_{days}"
            ));
    }
    sql.push(", CAST(COALESCE(SUM(CASE WHEN l.status = 'active' AND l.finish_date < ")
        .bind(horizon.today)
        .push(" AND l.grace_until >= ")
        .bind(horizon.today)
        .push(" THEN 1 ELSE 0 END), 0) AS BIGINT) AS in_grace")
        .push(
            " FROM licenses l JOIN products p ON p.id = l.product_id \
             LEFT JOIN licenses pl ON pl.id = l.parent_license_id AND pl.status <> 'requested' AND ",
        );
    view.push(&mut sql, "pl");
    sql.push(" WHERE l.status <> 'requested' AND ");
    view.push(&mut sql, "l");
    sql.push(" GROUP BY l.product_id, p.sku, p.name, p.module ORDER BY p.sku");
    sql.query_as().fetch_all(pool).await
}

/// Seat rows of the view per product and status, summed from the
/// licenses' status counters (kept by triggers, see
/// [`crate::store::counters`]), so no seat row is read.
#[derive(sqlx::FromRow)]
pub struct StatusSums {
    pub product_id: i64,
    pub module: Named<Module>,
    pub pending: i64,
    pub active: i64,
    pub expired: i64,
    pub revoked: i64,
}

pub async fn seat_statuses(pool: &Pool, view: &View) -> Result<Vec<StatusSums>, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT l.product_id AS product_id, p.module AS module, \
         CAST(SUM(l.seats_pending) AS BIGINT) AS pending, CAST(SUM(l.seats_active) AS BIGINT) AS active, \
         CAST(SUM(l.seats_expired) AS BIGINT) AS expired, CAST(SUM(l.seats_revoked) AS BIGINT) AS revoked \
         FROM licenses l JOIN products p ON p.id = l.product_id WHERE ",
    );
    view.push(&mut sql, "l");
    sql.push(" GROUP BY l.product_id, p.module");
    sql.query_as().fetch_all(pool).await
}

/// Seats claimed in weeks `first..=last`, as (product, week index, count),
/// summed from the per-license weekly claim counters; weeks are
/// [`seatdesk_core::seats::week_index`]'s.
pub async fn weekly_claims(
    pool: &Pool,
    view: &View,
    first: i64,
    last: i64,
) -> Result<Vec<(i64, i64, i64)>, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT l.product_id, w.week, CAST(SUM(w.claims) AS BIGINT) AS n \
         FROM licenses l JOIN license_claim_weeks w ON w.license_id = l.id WHERE w.week >= ",
    );
    sql.bind(first)
        .push(" AND w.week <= ")
        .bind(last)
        .push(" AND ");
    view.push(&mut sql, "l");
    sql.push(" GROUP BY l.product_id, w.week HAVING SUM(w.claims) <> 0");
    sql.query_as().fetch_all(pool).await
}

impl View {
    /// Whether the view is the whole tree, unfiltered: its Learn/Observe
    /// users are then the trigger-kept totals ([`whole_tree_module_users`]).
    pub async fn is_whole_tree(&self, pool: &Pool) -> Result<bool, sqlx::Error> {
        Ok(self.account_id.is_none()
            && self.org_pattern.is_none()
            && self.product_id.is_none()
            && crate::store::orgs::covers_every_org(pool, &self.scope).await?)
    }
}

/// Users with a live Learn seat, a live Observe seat and both, in the whole
/// tree: the sum of `module_user_totals`' shards (migration 0018).
pub async fn whole_tree_module_users(pool: &Pool) -> Result<(i64, i64, i64), sqlx::Error> {
    Sql::new(
        "SELECT CAST(COALESCE(SUM(learn), 0) AS BIGINT), CAST(COALESCE(SUM(observe), 0) AS BIGINT), \
         CAST(COALESCE(SUM(combined), 0) AS BIGINT) FROM module_user_totals",
    )
    .query_as()
    .fetch_one(pool)
    .await
}

/// The users a per-license sum of live Learn/Observe seats can count more
/// than once: those holding two or more such seats in all
/// (`module_holders`), with their live seats in the view. Returns
/// (users with a Learn seat in the view, their Learn seats there, the
/// same two for Observe, users with both).
pub async fn shared_module_users(
    pool: &Pool,
    view: &View,
) -> Result<(i64, i64, i64, i64, i64), sqlx::Error> {
    let mut sql = Sql::new(format!(
        "SELECT CAST(COALESCE(SUM(CASE WHEN learn > 0 THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(learn), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN observe > 0 THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(observe), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN learn > 0 AND observe > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM (SELECT s.user_id, SUM(CASE WHEN p.module = 'learn' THEN 1 ELSE 0 END) AS learn, \
         SUM(CASE WHEN p.module = 'observe' THEN 1 ELSE 0 END) AS observe \
         FROM module_holders h CROSS JOIN seats s CROSS JOIN licenses l CROSS JOIN products p \
         WHERE h.learn + h.observe > 1 AND s.user_id = h.user_id AND {} \
         AND l.id = s.license_id AND p.id = l.product_id AND p.module IN ('learn', 'observe') AND ",
        live_seat("s.status")
    ));
    view.push(&mut sql, "l");
    sql.push(" GROUP BY s.user_id) shared");
    sql.query_as().fetch_one(pool).await
}

#[derive(sqlx::FromRow)]
pub struct AttentionRow {
    pub id: i64,
    pub order_number: String,
    pub product_id: i64,
    pub sku: String,
    pub org_id: i64,
    pub account_id: i64,
    pub start_date: Day,
    pub finish_date: Day,
    pub grace_days: i64,
    pub grace_until: Day,
    pub seats_purchased: i64,
    pub seats_consumed: i64,
    pub seats_allocated: i64,
}

/// Conditions of the attention list: stored active, not lapsed, and either
/// finishing within
/// [`EXPIRING_SOON_DAYS`](seatdesk_core::api::dashboard::EXPIRING_SOON_DAYS)
/// (or already in grace) or ≥ 90% used.
fn push_attention_filter(sql: &mut Sql, view: &View, horizon: &Horizon) {
    sql.push(" WHERE l.status = 'active' AND l.grace_until >= ")
        .bind(horizon.today)
        .push(" AND (l.finish_date <= ")
        .bind(horizon.in_30)
        .push(
            " OR (l.seats_purchased > 0 \
             AND (l.seats_consumed + l.seats_allocated) * 10 >= l.seats_purchased * 9)) AND ",
        );
    view.push(sql, "l");
}

/// The first [`MAX_ATTENTION_ITEMS`] licenses needing attention, soonest
/// finish first, and how many need it in all.
pub async fn attention(
    pool: &Pool,
    view: &View,
    horizon: &Horizon,
) -> Result<(Vec<AttentionRow>, i64), sqlx::Error> {
    let mut count = Sql::new("SELECT COUNT(*) FROM licenses l");
    push_attention_filter(&mut count, view, horizon);
    let total: i64 = count.query_scalar().fetch_one(pool).await?;
    let mut sql = Sql::new(
        "SELECT l.id, l.order_number, l.product_id, p.sku, l.org_id, l.account_id, l.start_date, \
         l.finish_date, l.grace_days, l.grace_until, l.seats_purchased, l.seats_consumed, \
         l.seats_allocated FROM licenses l JOIN products p ON p.id = l.product_id",
    );
    push_attention_filter(&mut sql, view, horizon);
    sql.push(" ORDER BY l.finish_date, l.id LIMIT ")
        .bind(MAX_ATTENTION_ITEMS as i64);
    let rows = sql.query_as().fetch_all(pool).await?;
    Ok((rows, total))
}
