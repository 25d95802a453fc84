//! Finding alerts: which licenses and codes need attention, how severe and
//! in what words, with the rules in `seatdesk_core::api::alerts`. The rows
//! come from [`crate::store::alerts`], one bounded query per kind.

use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};
use seatdesk_core::api::alerts::{
    Alert, AlertFigures, AlertKind, AlertSeverity, AlertThresholds, crossed_expiry_threshold,
    expiring_message, expiry_severity, fast_message, forecast_message, forecast_severity,
    grace_message, usage_crossed, usage_message, usage_severity,
};
use seatdesk_core::forecast::{FORECAST_ALERT_DAYS, forecast_alert};
use seatdesk_core::seats::{SeatCounts, remaining_days};

use crate::db::types::Stamp;
use crate::db::{Conn, Pool};
use crate::domain::dashboard::license_forecast;
use crate::domain::licenses::account_in_scope;
use crate::domain::orgs::org_path_in_scope;
use crate::domain::scope::Scope;
use crate::error::ApiResult;
use crate::http::auth::Auth;
use crate::store::alerts::{self as store, AlertView, LicenseRow, Limited};
use crate::store::forecast::LicenseFlow;

/// The caller's subtree narrowed by the filters; an account or org outside
/// it (or unknown) is a 404.
pub async fn resolve_view(
    conn: &mut Conn,
    auth: &Auth,
    account_id: Option<i64>,
    org_id: Option<i64>,
) -> ApiResult<AlertView> {
    if let Some(account_id) = account_id {
        account_in_scope(conn, &auth.scope, account_id).await?;
    }
    let org_pattern = match org_id {
        Some(org_id) => {
            let path = org_path_in_scope(&mut *conn, &auth.scope, org_id).await?;
            Some(Scope::new(&path)?)
        }
        None => None,
    };
    Ok(AlertView::narrowed(
        auth.scope.clone(),
        account_id,
        org_pattern,
    ))
}

/// An alert with what the sweeper needs to raise it once.
#[derive(Debug, Clone)]
pub struct Found {
    pub alert: Alert,
    /// Org path of the license, so the audit event is scoped like it.
    pub org_path: String,
    /// What the alert is about: `license` or `code`, and its id.
    pub target_type: &'static str,
    pub target_id: i64,
    /// Names this crossing: a new mark is a new alert.
    pub mark: String,
}

/// The alerts of `view` (of `kind` only, when given) on `today`, most
/// severe first, at most `limit`, and whether more matched.
pub async fn find_alerts(
    pool: &Pool,
    view: &AlertView,
    thresholds: &AlertThresholds,
    kind: Option<AlertKind>,
    (today, now): (NaiveDate, Stamp),
    limit: usize,
) -> Result<Limited<Found>, sqlx::Error> {
    let wanted = |k: AlertKind| kind.is_none_or(|only| only == k);
    let none = || async { Ok::<_, sqlx::Error>((Vec::new(), false)) };
    let current = seatdesk_core::seats::week_index(start_of(today).timestamp_millis());
    let (expiring, grace, pools, filling, codes) = tokio::try_join!(
        async {
            if wanted(AlertKind::LicenseExpiring) {
                expiring(pool, view, thresholds, today, limit).await
            } else {
                none().await
            }
        },
        async {
            if wanted(AlertKind::LicenseInGrace) {
                in_grace(pool, view, today, limit).await
            } else {
                none().await
            }
        },
        async {
            if wanted(AlertKind::PoolNearlyFull) {
                nearly_full(pool, view, thresholds, today, limit).await
            } else {
                none().await
            }
        },
        async {
            if wanted(AlertKind::PoolFullForecast) {
                full_forecast(pool, view, (today, current), limit).await
            } else {
                none().await
            }
        },
        async {
            if wanted(AlertKind::CodeRedeemedFast) {
                redeemed_fast(pool, view, thresholds, now, limit).await
            } else {
                none().await
            }
        },
    )?;
    let mut truncated = expiring.1 || grace.1 || pools.1 || filling.1 || codes.1;
    let mut all: Vec<Found> = [expiring.0, grace.0, pools.0, filling.0, codes.0].concat();
    all.sort_by(|a, b| {
        (
            b.alert.severity,
            a.alert.kind,
            a.alert.license_id,
            a.target_id,
        )
            .cmp(&(
                a.alert.severity,
                b.alert.kind,
                b.alert.license_id,
                b.target_id,
            ))
    });
    if all.len() > limit {
        all.truncate(limit);
        truncated = true;
    }
    Ok((all, truncated))
}

fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

fn license_alert(row: &LicenseRow, kind: AlertKind, severity: AlertSeverity) -> Alert {
    Alert {
        kind,
        severity,
        license_id: row.id,
        product: row.sku.clone(),
        org_id: row.org_id,
        org: row.org_name.clone(),
        account_id: row.account_id,
        code_id: None,
        code: None,
        message: String::new(),
        figures: AlertFigures::default(),
        since: None,
    }
}

/// Live licenses finishing within the largest threshold; each reports the
/// smallest threshold it has crossed.
async fn expiring(
    pool: &Pool,
    view: &AlertView,
    thresholds: &AlertThresholds,
    today: NaiveDate,
    limit: usize,
) -> Result<Limited<Found>, sqlx::Error> {
    let days = thresholds.sorted_expiry_days();
    let horizon = days.last().copied().unwrap_or(0).max(0) as u64;
    let (rows, more) =
        store::finishing(pool, view, today, today + Days::new(horizon), limit).await?;
    let found = rows
        .iter()
        .filter_map(|row| {
            let finish = row.finish_date.0;
            let remaining = remaining_days(finish, today);
            let threshold = crossed_expiry_threshold(&days, remaining)?;
            let mut alert = license_alert(
                row,
                AlertKind::LicenseExpiring,
                expiry_severity(&days, threshold),
            );
            alert.message = expiring_message(row.id, &row.sku, &row.org_name, remaining, finish);
            alert.figures = AlertFigures {
                threshold_days: Some(threshold),
                remaining_days: Some(remaining),
                finish_date: Some(finish),
                ..AlertFigures::default()
            };
            alert.since = finish
                .checked_sub_days(Days::new(threshold as u64))
                .map(start_of);
            Some(Found {
                alert,
                org_path: row.org_path.clone(),
                target_type: "license",
                target_id: row.id,
                mark: format!("{threshold}d@{finish}"),
            })
        })
        .collect();
    Ok((found, more))
}

/// Active licenses past their finish date whose grace has not ended.
async fn in_grace(
    pool: &Pool,
    view: &AlertView,
    today: NaiveDate,
    limit: usize,
) -> Result<Limited<Found>, sqlx::Error> {
    let (rows, more) = store::in_grace(pool, view, today, limit).await?;
    let found = rows
        .iter()
        .map(|row| {
            let (finish, grace_until) = (row.finish_date.0, row.grace_until.0);
            let mut alert = license_alert(row, AlertKind::LicenseInGrace, AlertSeverity::Critical);
            alert.message = grace_message(row.id, &row.sku, &row.org_name, finish, grace_until);
            alert.figures = AlertFigures {
                remaining_days: Some(remaining_days(finish, today)),
                finish_date: Some(finish),
                grace_until: Some(grace_until),
                ..AlertFigures::default()
            };
            alert.since = finish.checked_add_days(Days::new(1)).map(start_of);
            Found {
                alert,
                org_path: row.org_path.clone(),
                target_type: "license",
                target_id: row.id,
                mark: format!("grace@{finish}"),
            }
        })
        .collect();
    Ok((found, more))
}

/// Usable licenses whose consumed + allocated seats reach the usage threshold.
async fn nearly_full(
    pool: &Pool,
    view: &AlertView,
    thresholds: &AlertThresholds,
    today: NaiveDate,
    limit: usize,
) -> Result<Limited<Found>, sqlx::Error> {
    let (rows, more) =
        store::used_at_least(pool, view, today, thresholds.usage_basis_points(), limit).await?;
    let found = rows
        .iter()
        .filter(|row| {
            usage_crossed(
                row.seats_consumed + row.seats_allocated,
                row.seats_purchased,
                thresholds,
            )
        })
        .map(|row| {
            let seats = SeatCounts {
                purchased: row.seats_purchased,
                consumed: row.seats_consumed,
                allocated: row.seats_allocated,
            };
            let used = seats.consumed + seats.allocated;
            let mut alert = license_alert(
                row,
                AlertKind::PoolNearlyFull,
                usage_severity(used, seats.purchased),
            );
            alert.message = usage_message(row.id, &row.sku, &row.org_name, used, seats.purchased);
            alert.figures = AlertFigures {
                usage_percent: Some(seats.usage_percent()),
                threshold_percent: Some(thresholds.usage_percent),
                seats_purchased: Some(seats.purchased),
                seats_used: Some(used),
                ..AlertFigures::default()
            };
            Found {
                alert,
                org_path: row.org_path.clone(),
                target_type: "license",
                target_id: row.id,
                // A top-up (more seats purchased) re-arms the alert.
                mark: format!("{}bp/{}", thresholds.usage_basis_points(), seats.purchased),
            }
        })
        .collect();
    Ok((found, more))
}

/// Live licenses that, at the pace seats are being taken, run out within
/// [`FORECAST_ALERT_DAYS`] and before their finish date.
async fn full_forecast(
    pool: &Pool,
    view: &AlertView,
    (today, current): (NaiveDate, i64),
    limit: usize,
) -> Result<Limited<Found>, sqlx::Error> {
    let (rows, more) =
        store::filling_within(pool, view, (today, current), FORECAST_ALERT_DAYS, limit).await?;
    let found = rows
        .iter()
        .filter_map(|flow| {
            let row = &flow.license;
            let seats = SeatCounts {
                purchased: row.seats_purchased,
                consumed: row.seats_consumed,
                allocated: row.seats_allocated,
            };
            let license_flow = LicenseFlow {
                license_id: row.id,
                first_week: flow.first_week,
                weighted: flow.weighted,
            };
            let forecast = license_forecast(&seats, Some(license_flow), (today, current))?;
            let finish = row.finish_date.0;
            if !forecast_alert(&forecast, finish) {
                return None;
            }
            let days = forecast.full_in_days?;
            let mut alert =
                license_alert(row, AlertKind::PoolFullForecast, forecast_severity(days));
            alert.message = forecast_message(row.id, &row.sku, &row.org_name, &forecast, finish);
            alert.figures = AlertFigures {
                finish_date: Some(finish),
                remaining_days: Some(remaining_days(finish, today)),
                seats_purchased: Some(seats.purchased),
                seats_used: Some(seats.consumed + seats.allocated),
                seats_available: Some(seats.available()),
                seats_per_day: Some(forecast.seats_per_day),
                full_in_days: Some(days),
                full_on: forecast.full_on,
                ..AlertFigures::default()
            };
            Some(Found {
                alert,
                org_path: row.org_path.clone(),
                target_type: "license",
                target_id: row.id,
                // A top-up or a renewal re-arms the alert; a forecast
                // moving by a day does not.
                mark: format!("{}/{finish}", seats.purchased),
            })
        })
        .collect();
    Ok((found, more))
}

/// Activation codes from which more than `fast_redemptions` seats were
/// created within the window: one GROUP BY over the seats assigned in the
/// window. Only activation codes: a teacher's redemption code is meant to
/// be redeemed by a whole class in one lesson.
async fn redeemed_fast(
    pool: &Pool,
    view: &AlertView,
    thresholds: &AlertThresholds,
    now: Stamp,
    limit: usize,
) -> Result<Limited<Found>, sqlx::Error> {
    let window_ms = thresholds.fast_window_minutes * 60_000;
    let since = Stamp(now.0 - TimeDelta::milliseconds(window_ms));
    let (rows, more) = store::activation_codes_redeemed_since(
        pool,
        view,
        since,
        thresholds.fast_redemptions,
        limit,
    )
    .await?;
    let found = rows
        .into_iter()
        .map(|row| {
            let alert = Alert {
                kind: AlertKind::CodeRedeemedFast,
                severity: AlertSeverity::Critical,
                license_id: row.license_id,
                product: row.sku,
                org_id: row.org_id,
                org: row.org_name,
                account_id: row.account_id,
                code_id: Some(row.code_id),
                message: fast_message(
                    &row.code,
                    row.license_id,
                    row.redemptions,
                    thresholds.fast_window_minutes,
                ),
                code: Some(row.code),
                figures: AlertFigures {
                    redemptions: Some(row.redemptions),
                    threshold_redemptions: Some(thresholds.fast_redemptions),
                    window_minutes: Some(thresholds.fast_window_minutes),
                    ..AlertFigures::default()
                },
                since: Some(row.first_at.0),
            };
            Found {
                alert,
                org_path: row.org_path,
                target_type: "code",
                target_id: row.code_id,
                mark: format!(
                    "{}/{}m",
                    thresholds.fast_redemptions, thresholds.fast_window_minutes
                ),
            }
        })
        .collect();
    Ok((found, more))
}
