//! The License Dashboard's figures: which licenses a query may cover
//! ([`resolve_view`]), and the summary built from the store's aggregates
//! ([`compute`]): per-product and total seats, expirations, claims by
//! status, activation rate, Learn/Observe users, the weekly activation
//! trend, the licenses needing attention, and when each pool will be full
//! at the current pace (`seatdesk_core::forecast`, from the seat flow
//! counters read by [`crate::store::forecast`]).
//!
//! The arithmetic on the sums uses `seatdesk_core::seats`, which the client
//! shares. The independent queries run side by side on separate pooled
//! connections, so under concurrent writes the figures are each exact but
//! may come from moments a few milliseconds apart.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use seatdesk_core::Module;
use seatdesk_core::api::dashboard::{
    AttentionItem, AttentionReason, ClaimCounts, Dashboard, DashboardQuery, EXPIRING_SOON_DAYS,
    ModuleUsers, ProductSummary, TREND_WEEKS, WeekCount,
};
use seatdesk_core::forecast::{Pace, PoolForecast, forecast};
use seatdesk_core::seats::{
    DateStanding, SeatCounts, activation_rate, date_standing, expires_within, nearly_full,
    remaining_days, weekly_series,
};

use crate::db::Pool;
use crate::domain::licenses::account_in_scope;
use crate::domain::orgs::org_path_in_scope;
use crate::domain::scope::Scope;
use crate::error::{ApiError, ApiResult};
use crate::store::dashboard::{
    self as store, AttentionRow, Horizon, LicenseSums, StatusSums, View,
};
use crate::store::forecast::{self as flows, LicenseFlow};
use crate::store::orgs::product_id_if_exists;

/// Checks the query's filters against the caller's scope: an account or org
/// outside it, or an unknown product, is a 404.
pub async fn resolve_view(pool: &Pool, scope: &Scope, query: &DashboardQuery) -> ApiResult<View> {
    let mut conn = pool.acquire().await?;
    if let Some(account_id) = query.account_id {
        account_in_scope(&mut conn, scope, account_id).await?;
    }
    let org_pattern = match query.org_id {
        Some(org_id) => {
            let path = org_path_in_scope(&mut conn, scope, org_id).await?;
            Some(Scope::new(&path)?)
        }
        None => None,
    };
    if let Some(product_id) = query.product_id
        && product_id_if_exists(&mut conn, product_id).await?.is_none()
    {
        return Err(ApiError::not_found(format!("product {product_id}")));
    }
    Ok(View {
        scope: scope.clone(),
        account_id: query.account_id,
        org_pattern,
        product_id: query.product_id,
    })
}

/// Computes the dashboard of `view` for `today`, the trend ending with week
/// `last_week`.
pub async fn compute(
    pool: &Pool,
    view: &View,
    today: NaiveDate,
    last_week: i64,
) -> ApiResult<Dashboard> {
    let horizon = Horizon::new(today);
    let first_week = last_week - TREND_WEEKS as i64 + 1;
    // Independent reads: run them side by side on separate connections.
    let (sums, statuses, week_rows, holders, (attention_rows, attention_total), product_flows) = tokio::try_join!(
        store::license_sums(pool, view, &horizon),
        store::seat_statuses(pool, view),
        store::weekly_claims(pool, view, first_week, last_week),
        view_module_users(pool, view),
        store::attention(pool, view, &horizon),
        flows::product_flows(pool, view, last_week),
    )?;
    let ids: Vec<i64> = attention_rows.iter().map(|row| row.id).collect();
    let license_flows: BTreeMap<i64, LicenseFlow> = flows::license_flows(pool, &ids, last_week)
        .await?
        .into_iter()
        .map(|flow| (flow.license_id, flow))
        .collect();
    let module_users = match holders {
        ViewModuleUsers::Totals(learn, observe, combined) => ModuleUsers {
            learn,
            observe,
            combined,
        },
        ViewModuleUsers::Shared(shared) => module_users(&statuses, shared),
    };
    let mut claims = claim_counts(&statuses);
    let mut weeks = weekly_claims(week_rows);
    let product_flows: BTreeMap<i64, i64> = product_flows.into_iter().collect();
    let attention: Vec<AttentionItem> = attention_rows
        .into_iter()
        .map(|row| {
            let flow = license_flows.get(&row.id).copied();
            attention_item(row, flow, (today, last_week))
        })
        .collect();
    let attention_more = (attention_total - attention.len() as i64).max(0);

    let products: Vec<ProductSummary> = sums
        .into_iter()
        .map(|sums| {
            let id = sums.product_id;
            summarize(
                sums,
                claims.remove(&id).unwrap_or_default(),
                weeks.remove(&id).unwrap_or_default(),
                product_flows.get(&id).copied().unwrap_or(0),
                (today, last_week),
            )
        })
        .collect();
    // Only the products listed: flows of products without a license row
    // in the view (requests) are not part of any figure.
    let weighted_total = products
        .iter()
        .filter_map(|p| p.product_id)
        .map(|id| product_flows.get(&id).copied().unwrap_or(0))
        .sum();
    Ok(Dashboard {
        today,
        totals: totals(&products, weighted_total, (today, last_week)),
        products,
        module_users,
        attention,
        attention_more,
    })
}

/// Where a view's Learn/Observe users come from.
enum ViewModuleUsers {
    /// The whole tree's kept totals.
    Totals(i64, i64, i64),
    /// The shared holders' seats in the view (see [`module_users`]).
    Shared((i64, i64, i64, i64, i64)),
}

async fn view_module_users(pool: &Pool, view: &View) -> Result<ViewModuleUsers, sqlx::Error> {
    if view.is_whole_tree(pool).await? {
        let (learn, observe, combined) = store::whole_tree_module_users(pool).await?;
        return Ok(ViewModuleUsers::Totals(learn, observe, combined));
    }
    Ok(ViewModuleUsers::Shared(
        store::shared_module_users(pool, view).await?,
    ))
}

/// Seat rows by product and status.
fn claim_counts(rows: &[StatusSums]) -> BTreeMap<i64, ClaimCounts> {
    rows.iter()
        .map(|row| {
            let counts = ClaimCounts {
                pending: row.pending,
                active: row.active,
                expired: row.expired,
                revoked: row.revoked,
            };
            (row.product_id, counts)
        })
        .collect()
}

/// Users with a live Learn seat, a live Observe seat and both, in the view.
/// A user holding one live Learn/Observe seat in all is one live seat of
/// one license, so the per-license sums count them exactly; `shared` brings
/// the exact figures of the users holding more (see
/// [`store::shared_module_users`]): their seats leave the sums, and each
/// of them comes back once.
fn module_users(statuses: &[StatusSums], shared: (i64, i64, i64, i64, i64)) -> ModuleUsers {
    let (learn_users, learn_seats, observe_users, observe_seats, both) = shared;
    let live = |module: Module| -> i64 {
        statuses
            .iter()
            .filter(|row| row.module.0 == module)
            .map(|row| row.pending + row.active)
            .sum()
    };
    ModuleUsers {
        learn: live(Module::Learn) - learn_seats + learn_users,
        observe: live(Module::Observe) - observe_seats + observe_users,
        combined: both,
    }
}

/// Seats claimed per product as (week, count).
fn weekly_claims(rows: Vec<(i64, i64, i64)>) -> BTreeMap<i64, Vec<(i64, i64)>> {
    let mut weeks: BTreeMap<i64, Vec<(i64, i64)>> = BTreeMap::new();
    for (product_id, week, n) in rows {
        weeks.entry(product_id).or_default().push((week, n));
    }
    weeks
}

/// When a view with `seats` is full at the pace `weighted` (the
/// window-weighted net flow of all its licenses); none without seats.
fn view_forecast(
    seats: &SeatCounts,
    weighted: i64,
    (today, current): (NaiveDate, i64),
) -> Option<PoolForecast> {
    if seats.purchased <= 0 {
        return None;
    }
    let pace = Pace::new(current, None, weighted)?;
    Some(forecast(seats.available(), pace, today))
}

/// When one license is full at its own pace, its window starting with the
/// week of its first seat; none before a complete week of seats (or
/// without seats purchased).
pub fn license_forecast(
    seats: &SeatCounts,
    flow: Option<LicenseFlow>,
    (today, current): (NaiveDate, i64),
) -> Option<PoolForecast> {
    if seats.purchased <= 0 {
        return None;
    }
    let pace = Pace::new(
        current,
        flow.and_then(|f| f.first_week),
        flow.map_or(0, |f| f.weighted),
    )?;
    Some(forecast(seats.available(), pace, today))
}

/// Why a license needs attention on `today`.
fn attention_item(
    row: AttentionRow,
    flow: Option<LicenseFlow>,
    (today, current): (NaiveDate, i64),
) -> AttentionItem {
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
        forecast: license_forecast(&seats, flow, (today, current)),
        seats,
        reasons,
    }
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
    weighted: i64,
    (today, last_week): (NaiveDate, i64),
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
        forecast: view_forecast(&seats, weighted, (today, last_week)),
    }
}

/// Adds the products' figures up; dates and remaining days take the extremes.
fn totals(
    products: &[ProductSummary],
    weighted: i64,
    (today, last_week): (NaiveDate, i64),
) -> ProductSummary {
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
        forecast: None,
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
    total.forecast = view_forecast(&total.seats, weighted, (today, last_week));
    total
}

fn min_some<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
