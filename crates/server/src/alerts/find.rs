//! The alert queries. Each kind is one aggregate or filtered query over
//! licenses (or seats grouped by code), bounded by a LIMIT; the per-row work
//! left in Rust is deciding the threshold, severity and sentence with the
//! rules in `seatdesk_core::api::alerts`.

use crate::db::{Conn, Pool};
use chrono::{DateTime, Days, NaiveDate, Utc};
use seatdesk_core::CodeKind;
use seatdesk_core::api::alerts::{
    Alert, AlertFigures, AlertKind, AlertSeverity, AlertThresholds, crossed_expiry_threshold,
    expiring_message, expiry_severity, fast_message, grace_message, usage_crossed, usage_message,
    usage_severity,
};
use seatdesk_core::seats::{SeatCounts, remaining_days};

use crate::db::sql::Sql;
use crate::db::types::{Day, Stamp};
use crate::domain::licenses::account_in_scope;
use crate::domain::orgs::org_path_in_scope;
use crate::domain::scope::Scope;
use crate::error::ApiResult;
use crate::http::auth::Auth;

/// Which licenses alerts are looked for in: an org-path subtree, optionally
/// narrowed to a purchasing account and an org's subtree, or (the sweeper)
/// a range of license ids.
pub struct AlertView {
    scope: Scope,
    account_id: Option<i64>,
    org_pattern: Option<Scope>,
    license_ids: Option<(i64, i64)>,
}

impl AlertView {
    /// Every license with `first <= id < end`, whatever its org: the
    /// sweeper walks the table in such slices so no alert is crowded out
    /// by a result limit.
    pub fn license_range(first: i64, end: i64) -> AlertView {
        AlertView {
            scope: Scope::root(),
            account_id: None,
            org_pattern: None,
            license_ids: Some((first, end)),
        }
    }

    /// The caller's subtree narrowed by the filters; an account or org
    /// outside it (or unknown) is a 404.
    pub async fn resolve(
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
        Ok(AlertView {
            scope: auth.scope.clone(),
            account_id,
            org_pattern,
            license_ids: None,
        })
    }

    /// Appends `l.org_path LIKE … AND …` for every filter.
    fn push(&self, sql: &mut Sql) {
        sql.push(&self.scope.sql("l.org_path"));
        if let Some(account_id) = self.account_id {
            sql.push(" AND l.account_id = ").bind(account_id);
        }
        if let Some(org) = &self.org_pattern {
            sql.push(" AND ").push(&org.sql("l.org_path"));
        }
        if let Some((first, end)) = self.license_ids {
            sql.push(" AND l.id >= ")
                .bind(first)
                .push(" AND l.id < ")
                .bind(end);
        }
    }
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
    (today, now_ms): (NaiveDate, i64),
    limit: usize,
) -> Result<(Vec<Found>, bool), sqlx::Error> {
    let wanted = |k: AlertKind| kind.is_none_or(|only| only == k);
    let none = || async { Ok::<_, sqlx::Error>((Vec::new(), false)) };
    let (expiring, grace, pools, codes) = tokio::try_join!(
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
            if wanted(AlertKind::CodeRedeemedFast) {
                redeemed_fast(pool, view, thresholds, now_ms, limit).await
            } else {
                none().await
            }
        },
    )?;
    let mut truncated = expiring.1 || grace.1 || pools.1 || codes.1;
    let mut all: Vec<Found> = [expiring.0, grace.0, pools.0, codes.0].concat();
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

#[derive(sqlx::FromRow)]
struct LicenseRow {
    id: i64,
    sku: String,
    org_id: i64,
    org_name: String,
    account_id: i64,
    org_path: String,
    finish_date: Day,
    grace_until: Day,
    seats_purchased: i64,
    seats_consumed: i64,
    seats_allocated: i64,
}

const LICENSE_COLUMNS: &str = "SELECT l.id AS id, p.sku AS sku, l.org_id AS org_id, \
     o.name AS org_name, l.account_id AS account_id, l.org_path AS org_path, \
     l.finish_date AS finish_date, l.grace_until AS grace_until, \
     l.seats_purchased AS seats_purchased, l.seats_consumed AS seats_consumed, \
     l.seats_allocated AS seats_allocated \
     FROM licenses l JOIN products p ON p.id = l.product_id JOIN orgs o ON o.id = l.org_id \
     WHERE l.status = 'active' AND ";

/// Runs a license query with `LIMIT limit + 1`; the extra row only says "more".
async fn licenses(
    pool: &Pool,
    mut sql: Sql,
    view: &AlertView,
    order: &str,
    limit: usize,
) -> Result<(Vec<LicenseRow>, bool), sqlx::Error> {
    sql.push(" AND ");
    view.push(&mut sql);
    sql.push(order).push(" LIMIT ").bind(limit as i64 + 1);
    let mut rows: Vec<LicenseRow> = sql.query_as().fetch_all(pool).await?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    Ok((rows, more))
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
) -> Result<(Vec<Found>, bool), sqlx::Error> {
    let days = thresholds.sorted_expiry_days();
    let horizon = days.last().copied().unwrap_or(0).max(0) as u64;
    let mut sql = Sql::new(LICENSE_COLUMNS);
    sql.push("l.finish_date >= ")
        .bind(today.to_string())
        .push(" AND l.finish_date <= ")
        .bind((today + Days::new(horizon)).to_string());
    let (rows, more) = licenses(pool, sql, view, " ORDER BY l.finish_date, l.id", limit).await?;
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
) -> Result<(Vec<Found>, bool), sqlx::Error> {
    let mut sql = Sql::new(LICENSE_COLUMNS);
    sql.push("l.finish_date < ")
        .bind(today.to_string())
        .push(" AND l.grace_until >= ")
        .bind(today.to_string());
    let (rows, more) = licenses(pool, sql, view, " ORDER BY l.grace_until, l.id", limit).await?;
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
) -> Result<(Vec<Found>, bool), sqlx::Error> {
    let mut sql = Sql::new(LICENSE_COLUMNS);
    sql.push("l.grace_until >= ")
        .bind(today.to_string())
        .push(
            " AND l.seats_purchased > 0 \
             AND (l.seats_consumed + l.seats_allocated) * 10000 >= l.seats_purchased * ",
        )
        .bind(thresholds.usage_basis_points());
    let (rows, more) = licenses(pool, sql, view, " ORDER BY l.id", limit).await?;
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

#[derive(sqlx::FromRow)]
struct FastCodeRow {
    code_id: i64,
    code: String,
    license_id: i64,
    sku: String,
    org_id: i64,
    org_name: String,
    account_id: i64,
    org_path: String,
    redemptions: i64,
    first_at: Stamp,
}

/// Activation codes from which more than `fast_redemptions` seats were
/// created within the window: one GROUP BY over the seats assigned in the
/// window. Only activation codes: a teacher's redemption code is meant to
/// be redeemed by a whole class in one lesson.
async fn redeemed_fast(
    pool: &Pool,
    view: &AlertView,
    thresholds: &AlertThresholds,
    now_ms: i64,
    limit: usize,
) -> Result<(Vec<Found>, bool), sqlx::Error> {
    let window_ms = thresholds.fast_window_minutes * 60_000;
    let mut sql = Sql::new(
        "SELECT c.id AS code_id, c.code AS code, l.id AS license_id, p.sku AS sku, \
         l.org_id AS org_id, o.name AS org_name, l.account_id AS account_id, \
         l.org_path AS org_path, COUNT(*) AS redemptions, MIN(s.assigned_at) AS first_at \
         FROM seats s JOIN codes c ON c.id = s.code_id JOIN licenses l ON l.id = c.license_id \
         JOIN products p ON p.id = l.product_id JOIN orgs o ON o.id = l.org_id \
         WHERE s.code_id IS NOT NULL AND s.assigned_at >= ",
    );
    sql.bind(now_ms - window_ms)
        .push(" AND c.kind = ")
        .bind(CodeKind::Activation.as_str().to_string())
        .push(" AND ");
    view.push(&mut sql);
    sql.push(
        " GROUP BY c.id, c.code, l.id, p.sku, l.org_id, o.name, l.account_id, l.org_path \
         HAVING COUNT(*) > ",
    )
    .bind(thresholds.fast_redemptions)
    .push(" ORDER BY COUNT(*) DESC, c.id LIMIT ")
    .bind(limit as i64 + 1);
    let mut rows: Vec<FastCodeRow> = sql.query_as().fetch_all(pool).await?;
    let more = rows.len() > limit;
    rows.truncate(limit);
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
