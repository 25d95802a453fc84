//! The License Dashboard summary: per-product and total seat figures,
//! expirations, claims by status, activation rate, Learn/Observe users, the
//! weekly activation trend and the licenses needing attention.
//!
//! Every figure is aggregated in SQL (GROUP BY over the view's licenses and
//! their seat rows), so the cost is a handful of queries whatever the number
//! of seats; the arithmetic on the sums uses `seatdesk_core::seats`, which
//! the client shares. The independent queries run side by side on separate
//! pooled connections, so under concurrent writes the figures are each
//! exact but may come from moments a few milliseconds apart.
//!
//! A computed dashboard is kept per view and day, and served again while
//! the audit feed head has not moved (see [`crate::feed_cache`]): any
//! audited write, from any server process, makes the next request compute
//! afresh.

use std::collections::BTreeMap;

use crate::db::Pool;
use axum::extract::State;
use chrono::{Days, NaiveDate};
use seatdesk_core::api::dashboard::{
    AttentionItem, AttentionReason, ClaimCounts, Dashboard, DashboardQuery, EXPIRING_SOON_DAYS,
    MAX_ATTENTION_ITEMS, ModuleUsers, ProductSummary, TREND_WEEKS, WeekCount,
};
use seatdesk_core::seats::{
    DateStanding, SeatCounts, WEEK_MS, WEEK_SHIFT_MS, activation_rate, date_standing,
    expires_within, nearly_full, remaining_days, week_index, week_start_ms, weekly_series,
};
use seatdesk_core::{Module, Permission, Problem, SeatStatus};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::db::now_ms;
use crate::db::sql::Sql;
use crate::db::types::{Day, Named};
use crate::domain::licenses::{account_in_scope, today};
use crate::domain::live::live_seat;
use crate::domain::orgs::org_path_in_scope;
use crate::domain::scope::Scope;
use crate::error::{ApiError, ApiResult};
use crate::feed_cache::FeedCache;
use crate::http::auth::Auth;
use crate::http::{Json, Query};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(dashboard))
}

/// What a dashboard answer depends on besides the data: the caller's
/// subtree, the filters, and the day and week it was computed for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DashboardKey {
    scope: String,
    account_id: Option<i64>,
    org_id: Option<i64>,
    product_id: Option<i64>,
    today: NaiveDate,
    last_week: i64,
}

/// Dashboards are a few kilobytes; cloning one is cheaper than a query.
pub type DashboardCache = FeedCache<DashboardKey, Dashboard>;

/// Which licenses the dashboard covers: the token's subtree narrowed by the
/// query's filters. Pushed as SQL conditions on any licenses alias.
pub struct View {
    scope: Scope,
    account_id: Option<i64>,
    org_pattern: Option<Scope>,
    product_id: Option<i64>,
}

impl View {
    /// Checks the filters against the caller's scope: an account or org
    /// outside it, or an unknown product, is a 404.
    pub async fn resolve(pool: &Pool, auth: &Auth, query: &DashboardQuery) -> ApiResult<View> {
        let mut conn = pool.acquire().await?;
        if let Some(account_id) = query.account_id {
            account_in_scope(&mut conn, &auth.scope, account_id).await?;
        }
        let org_pattern = match query.org_id {
            Some(org_id) => {
                let path = org_path_in_scope(&mut conn, &auth.scope, org_id).await?;
                Some(Scope::new(&path)?)
            }
            None => None,
        };
        if let Some(product_id) = query.product_id {
            let found: Option<i64> =
                crate::db::query_scalar("SELECT id FROM products WHERE id = $1")
                    .bind(product_id)
                    .fetch_optional(&mut conn)
                    .await?;
            found.ok_or_else(|| ApiError::not_found(format!("product {product_id}")))?;
        }
        Ok(View {
            scope: auth.scope.clone(),
            account_id: query.account_id,
            org_pattern,
            product_id: query.product_id,
        })
    }

    /// Appends `alias.org_path LIKE … AND …` for every filter.
    fn push(&self, sql: &mut Sql, alias: &str) {
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

/// The dates the expiry figures compare against, as stored text.
struct Horizon {
    today: String,
    in_30: String,
    in_60: String,
    in_90: String,
}

impl Horizon {
    fn new(today: NaiveDate) -> Horizon {
        let ahead = |days| (today + Days::new(days)).to_string();
        Horizon {
            today: today.to_string(),
            in_30: ahead(30),
            in_60: ahead(60),
            in_90: ahead(90),
        }
    }
}

#[derive(sqlx::FromRow)]
struct LicenseSums {
    product_id: i64,
    sku: String,
    name: String,
    module: Named<Module>,
    licenses: i64,
    purchased_top: i64,
    consumed: i64,
    allocated: i64,
    allocated_within: i64,
    earliest_start: Option<Day>,
    latest_finish: Option<Day>,
    soonest_live_finish: Option<Day>,
    expiring_30: i64,
    expiring_60: i64,
    expiring_90: i64,
    in_grace: i64,
}

/// Per-product sums over the view's licenses. A license whose parent
/// license is also in the view is nested: its purchased seats are already
/// part of the parent's, so they count as `allocated_within`, not again as
/// purchased.
async fn license_sums(pool: &Pool, view: &View, horizon: &Horizon) -> ApiResult<Vec<LicenseSums>> {
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
        .bind(horizon.today.clone())
        .push(" THEN l.finish_date END) AS soonest_live_finish");
    for (days, limit) in [
        (30, &horizon.in_30),
        (60, &horizon.in_60),
        (90, &horizon.in_90),
    ] {
        sql.push(", CAST(COALESCE(SUM(CASE WHEN ")
            .push(live)
            .bind(horizon.today.clone())
            .push(" AND l.finish_date <= ")
            .bind(limit.clone())
            .push(&format!(
                " THEN 1 ELSE 0 END), 0) AS BIGINT) AS expiring_{days}"
            ));
    }
    sql.push(", CAST(COALESCE(SUM(CASE WHEN l.status = 'active' AND l.finish_date < ")
        .bind(horizon.today.clone())
        .push(" AND l.grace_until >= ")
        .bind(horizon.today.clone())
        .push(" THEN 1 ELSE 0 END), 0) AS BIGINT) AS in_grace")
        .push(
            " FROM licenses l JOIN products p ON p.id = l.product_id \
             LEFT JOIN licenses pl ON pl.id = l.parent_license_id AND pl.status <> 'requested' AND ",
        );
    view.push(&mut sql, "pl");
    sql.push(" WHERE l.status <> 'requested' AND ");
    view.push(&mut sql, "l");
    sql.push(" GROUP BY l.product_id, p.sku, p.name, p.module ORDER BY p.sku");
    Ok(sql.query_as().fetch_all(pool).await?)
}

/// Seat rows of the view by product and status.
async fn claim_counts(pool: &Pool, view: &View) -> ApiResult<BTreeMap<i64, ClaimCounts>> {
    // Licenses drive the join (CROSS JOIN keeps SQLite from starting at the
    // seats) and the grouping follows the (license, status) index, so no
    // sort of a million rows is needed; products are summed below.
    let mut sql = Sql::new(
        "SELECT l.product_id, s.status, COUNT(*) AS n FROM licenses l CROSS JOIN seats s \
         WHERE s.license_id = l.id AND ",
    );
    view.push(&mut sql, "l");
    sql.push(" GROUP BY l.id, l.product_id, s.status");
    let rows: Vec<(i64, Named<SeatStatus>, i64)> = sql.query_as().fetch_all(pool).await?;
    let mut counts: BTreeMap<i64, ClaimCounts> = BTreeMap::new();
    for (product_id, status, n) in rows {
        let entry = counts.entry(product_id).or_default();
        match status.0 {
            SeatStatus::Pending => entry.pending += n,
            SeatStatus::Active => entry.active += n,
            SeatStatus::Expired => entry.expired += n,
            SeatStatus::Revoked => entry.revoked += n,
        }
    }
    Ok(counts)
}

/// Seats claimed per product and week within `weeks` (first..=last).
async fn weekly_claims(
    pool: &Pool,
    view: &View,
    first: i64,
    last: i64,
) -> ApiResult<BTreeMap<i64, Vec<(i64, i64)>>> {
    // Constants, not input: the same bucketing as `seats::week_index`.
    let bucket = format!("(s.claimed_at + {WEEK_SHIFT_MS}) / {WEEK_MS}");
    let mut sql = Sql::new(format!(
        "SELECT l.product_id, {bucket} AS week, COUNT(*) AS n FROM seats s \
         JOIN licenses l ON l.id = s.license_id WHERE s.claimed_at >= "
    ));
    sql.bind(week_start_ms(first))
        .push(" AND s.claimed_at < ")
        .bind(week_start_ms(last + 1))
        .push(" AND ");
    view.push(&mut sql, "l");
    sql.push(&format!(" GROUP BY l.product_id, {bucket}"));
    let rows: Vec<(i64, i64, i64)> = sql.query_as().fetch_all(pool).await?;
    let mut weeks: BTreeMap<i64, Vec<(i64, i64)>> = BTreeMap::new();
    for (product_id, week, n) in rows {
        weeks.entry(product_id).or_default().push((week, n));
    }
    Ok(weeks)
}

/// Users with a live seat of a Learn product, an Observe product, and both.
/// Driven from the Learn/Observe licenses into the (license, status, user)
/// index, so only those seats are read.
async fn module_users(pool: &Pool, view: &View) -> ApiResult<ModuleUsers> {
    let mut sql = Sql::new(format!(
        "SELECT CAST(COALESCE(SUM(learn), 0) AS BIGINT), CAST(COALESCE(SUM(observe), 0) AS BIGINT), \
         CAST(COALESCE(SUM(learn * observe), 0) AS BIGINT) FROM (\
         SELECT s.user_id, MAX(CASE WHEN p.module = 'learn' THEN 1 ELSE 0 END) AS learn, \
         MAX(CASE WHEN p.module = 'observe' THEN 1 ELSE 0 END) AS observe \
         FROM products p JOIN licenses l ON l.product_id = p.id CROSS JOIN seats s \
         WHERE s.license_id = l.id AND {} \
         AND p.module IN ('learn', 'observe') AND ",
        live_seat("s.status")
    ));
    view.push(&mut sql, "l");
    sql.push(" GROUP BY s.user_id) holders");
    let (learn, observe, combined): (i64, i64, i64) = sql.query_as().fetch_one(pool).await?;
    Ok(ModuleUsers {
        learn,
        observe,
        combined,
    })
}

#[derive(sqlx::FromRow)]
struct AttentionRow {
    id: i64,
    order_number: String,
    product_id: i64,
    sku: String,
    org_id: i64,
    account_id: i64,
    start_date: Day,
    finish_date: Day,
    grace_days: i64,
    grace_until: Day,
    seats_purchased: i64,
    seats_consumed: i64,
    seats_allocated: i64,
}

/// Conditions of the attention list: stored active, not lapsed, and either
/// finishing within [`EXPIRING_SOON_DAYS`] (or already in grace) or ≥ 90% used.
fn push_attention_filter(sql: &mut Sql, view: &View, horizon: &Horizon) {
    sql.push(" WHERE l.status = 'active' AND l.grace_until >= ")
        .bind(horizon.today.clone())
        .push(" AND (l.finish_date <= ")
        .bind(horizon.in_30.clone())
        .push(
            " OR (l.seats_purchased > 0 \
             AND (l.seats_consumed + l.seats_allocated) * 10 >= l.seats_purchased * 9)) AND ",
        );
    view.push(sql, "l");
}

async fn attention(
    pool: &Pool,
    view: &View,
    horizon: &Horizon,
    today: NaiveDate,
) -> ApiResult<(Vec<AttentionItem>, i64)> {
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
    let rows: Vec<AttentionRow> = sql.query_as().fetch_all(pool).await?;
    let items: Vec<AttentionItem> = rows
        .into_iter()
        .map(|row| {
            let seats = SeatCounts {
                purchased: row.seats_purchased,
                consumed: row.seats_consumed,
                allocated: row.seats_allocated,
            };
            let finish = row.finish_date.0;
            let standing = date_standing(row.start_date.0, finish, row.grace_days, today);
            let mut reasons = Vec::new();
            if expires_within(finish, today, EXPIRING_SOON_DAYS) {
                reasons.push(AttentionReason::ExpiringSoon);
            }
            if standing == DateStanding::InGrace {
                reasons.push(AttentionReason::InGrace);
            }
            if nearly_full(&seats) {
                reasons.push(AttentionReason::NearlyFull);
            }
            AttentionItem {
                license_id: row.id,
                order_number: row.order_number,
                product_id: row.product_id,
                product_sku: row.sku,
                org_id: row.org_id,
                account_id: row.account_id,
                finish_date: finish,
                grace_until: row.grace_until.0,
                remaining_days: remaining_days(finish, today),
                usage_percent: seats.usage_percent(),
                seats,
                reasons,
            }
        })
        .collect();
    let more = (total - items.len() as i64).max(0);
    Ok((items, more))
}

fn trend(last_week: i64, counts: Vec<(i64, i64)>) -> Vec<WeekCount> {
    weekly_series(last_week, TREND_WEEKS, counts)
        .into_iter()
        .map(|(week_start, count)| WeekCount { week_start, count })
        .collect()
}

fn summarize(
    sums: LicenseSums,
    claims: ClaimCounts,
    weeks: Vec<(i64, i64)>,
    last_week: i64,
    today: NaiveDate,
) -> ProductSummary {
    let seats = SeatCounts::for_view(
        sums.purchased_top,
        sums.consumed,
        sums.allocated,
        sums.allocated_within,
    );
    ProductSummary {
        product_id: Some(sums.product_id),
        sku: Some(sums.sku),
        name: sums.name,
        module: Some(sums.module.0),
        seats_available: seats.available(),
        usage_percent: seats.usage_percent(),
        seats,
        allocated_within: sums.allocated_within,
        licenses: sums.licenses,
        earliest_start: sums.earliest_start.map(|d| d.0),
        latest_finish: sums.latest_finish.map(|d| d.0),
        min_remaining_days: sums
            .soonest_live_finish
            .map(|finish| remaining_days(finish.0, today)),
        expiring_30: sums.expiring_30,
        expiring_60: sums.expiring_60,
        expiring_90: sums.expiring_90,
        in_grace: sums.in_grace,
        activation_rate: activation_rate(claims.active, claims.pending),
        claims,
        activations_per_week: trend(last_week, weeks),
    }
}

/// Adds the products' figures up; dates and remaining days take the extremes.
fn totals(products: &[ProductSummary], last_week: i64) -> ProductSummary {
    let mut total = ProductSummary {
        product_id: None,
        sku: None,
        name: "All products".to_string(),
        module: None,
        seats: SeatCounts::default(),
        seats_available: 0,
        usage_percent: 0.0,
        allocated_within: 0,
        licenses: 0,
        earliest_start: None,
        latest_finish: None,
        min_remaining_days: None,
        expiring_30: 0,
        expiring_60: 0,
        expiring_90: 0,
        in_grace: 0,
        claims: ClaimCounts::default(),
        activation_rate: None,
        activations_per_week: trend(last_week, Vec::new()),
    };
    for product in products {
        total.seats = total.seats + product.seats;
        total.allocated_within += product.allocated_within;
        total.licenses += product.licenses;
        total.earliest_start = min_some(total.earliest_start, product.earliest_start);
        total.latest_finish = total.latest_finish.max(product.latest_finish);
        total.min_remaining_days = min_some(total.min_remaining_days, product.min_remaining_days);
        total.expiring_30 += product.expiring_30;
        total.expiring_60 += product.expiring_60;
        total.expiring_90 += product.expiring_90;
        total.in_grace += product.in_grace;
        total.claims = total.claims + product.claims;
        for (sum, week) in total
            .activations_per_week
            .iter_mut()
            .zip(&product.activations_per_week)
        {
            sum.count += week.count;
        }
    }
    total.seats_available = total.seats.available();
    total.usage_percent = total.seats.usage_percent();
    total.activation_rate = activation_rate(total.claims.active, total.claims.pending);
    total
}

fn min_some<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The License Dashboard for the token's subtree, optionally narrowed to a
/// purchasing account, an org's subtree or a product. "Today" is the
/// server's UTC date, returned as `today`.
#[utoipa::path(get, path = "/v1/dashboard", tag = "dashboard", security(("bearer" = [])),
    params(DashboardQuery),
    responses((status = 200, body = Dashboard), (status = "4XX", body = Problem)))]
async fn dashboard(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<DashboardQuery>,
) -> ApiResult<Json<Dashboard>> {
    auth.require(Permission::Read)?;
    let view = View::resolve(&state.db.pool, &auth, &query).await?;
    let today = today();
    let last_week = week_index(now_ms());
    if !state.config.feed_cache {
        return Ok(Json(compute(&state, &view, today, last_week).await?));
    }
    let key = DashboardKey {
        scope: view.scope.path().to_string(),
        account_id: query.account_id,
        org_id: query.org_id,
        product_id: query.product_id,
        today,
        last_week,
    };
    // Read with the token, before the figures: a write committed meanwhile
    // moves the head past this one, so the answer stored under it is never
    // served stale.
    let head = auth.feed_head;
    if let Some(hit) = state.dashboards.get(&key, head) {
        return Ok(Json(hit));
    }
    let answer = compute(&state, &view, today, last_week).await?;
    state.dashboards.put(key, head, answer.clone());
    Ok(Json(answer))
}

/// Computes the dashboard of `view` from the database.
async fn compute(
    state: &AppState,
    view: &View,
    today: NaiveDate,
    last_week: i64,
) -> ApiResult<Dashboard> {
    let horizon = Horizon::new(today);
    let first_week = last_week - TREND_WEEKS as i64 + 1;
    // Independent reads: run them side by side on separate connections.
    let pool = &state.db.pool;
    let (sums, mut claims, mut weeks, module_users, (attention, attention_more)) = tokio::try_join!(
        license_sums(pool, view, &horizon),
        claim_counts(pool, view),
        weekly_claims(pool, view, first_week, last_week),
        module_users(pool, view),
        attention(pool, view, &horizon, today),
    )?;

    let products: Vec<ProductSummary> = sums
        .into_iter()
        .map(|sums| {
            let id = sums.product_id;
            summarize(
                sums,
                claims.remove(&id).unwrap_or_default(),
                weeks.remove(&id).unwrap_or_default(),
                last_week,
                today,
            )
        })
        .collect();
    Ok(Dashboard {
        today,
        totals: totals(&products, last_week),
        products,
        module_users,
        attention,
        attention_more,
    })
}
