//! The alerts' reads and the sweeper's marks. Each kind of alert is one
//! aggregate or filtered query over licenses (or seats grouped by code),
//! bounded by a LIMIT; which rows make an alert, how severe and in what
//! words is decided in [`crate::alerts::find`].

use std::collections::HashSet;

use chrono::NaiveDate;
use seatdesk_core::CodeKind;

use crate::db::sql::Sql;
use crate::db::types::{Day, Stamp};
use crate::db::{Conn, Pool};
use crate::domain::scope::Scope;

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

    /// `scope`, narrowed to an account and an org's subtree when given
    /// (both already checked to lie inside it).
    pub fn narrowed(
        scope: Scope,
        account_id: Option<i64>,
        org_pattern: Option<Scope>,
    ) -> AlertView {
        AlertView {
            scope,
            account_id,
            org_pattern,
            license_ids: None,
        }
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

/// A live license with what its alerts say.
#[derive(sqlx::FromRow)]
pub struct LicenseRow {
    pub id: i64,
    pub sku: String,
    pub org_id: i64,
    pub org_name: String,
    pub account_id: i64,
    pub org_path: String,
    pub finish_date: Day,
    pub grace_until: Day,
    pub seats_purchased: i64,
    pub seats_consumed: i64,
    pub seats_allocated: i64,
}

const LICENSE_COLUMNS: &str = "SELECT l.id AS id, p.sku AS sku, l.org_id AS org_id, \
     o.name AS org_name, l.account_id AS account_id, l.org_path AS org_path, \
     l.finish_date AS finish_date, l.grace_until AS grace_until, \
     l.seats_purchased AS seats_purchased, l.seats_consumed AS seats_consumed, \
     l.seats_allocated AS seats_allocated \
     FROM licenses l JOIN products p ON p.id = l.product_id JOIN orgs o ON o.id = l.org_id \
     WHERE l.status = 'active' AND ";

/// At most `limit` rows, and whether more matched.
pub type Limited<T> = (Vec<T>, bool);

/// Runs a license query with `LIMIT limit + 1`; the extra row only says "more".
async fn licenses(
    pool: &Pool,
    mut sql: Sql,
    view: &AlertView,
    order: &str,
    limit: usize,
) -> Result<Limited<LicenseRow>, sqlx::Error> {
    sql.push(" AND ");
    view.push(&mut sql);
    sql.push(order).push(" LIMIT ").bind(limit as i64 + 1);
    let mut rows: Vec<LicenseRow> = sql.query_as().fetch_all(pool).await?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    Ok((rows, more))
}

/// Active licenses finishing between `today` and `horizon`, soonest first.
pub async fn finishing(
    pool: &Pool,
    view: &AlertView,
    today: NaiveDate,
    horizon: NaiveDate,
    limit: usize,
) -> Result<Limited<LicenseRow>, sqlx::Error> {
    let mut sql = Sql::new(LICENSE_COLUMNS);
    sql.push("l.finish_date >= ")
        .bind(today)
        .push(" AND l.finish_date <= ")
        .bind(horizon);
    licenses(pool, sql, view, " ORDER BY l.finish_date, l.id", limit).await
}

/// Active licenses past their finish date whose grace has not ended.
pub async fn in_grace(
    pool: &Pool,
    view: &AlertView,
    today: NaiveDate,
    limit: usize,
) -> Result<Limited<LicenseRow>, sqlx::Error> {
    let mut sql = Sql::new(LICENSE_COLUMNS);
    sql.push("l.finish_date < ")
        .bind(today)
        .push(" AND l.grace_until >= ")
        .bind(today);
    licenses(pool, sql, view, " ORDER BY l.grace_until, l.id", limit).await
}

/// Usable licenses whose consumed + allocated seats reach `basis_points`
/// (hundredths of a percent) of those purchased.
pub async fn used_at_least(
    pool: &Pool,
    view: &AlertView,
    today: NaiveDate,
    basis_points: i64,
    limit: usize,
) -> Result<Limited<LicenseRow>, sqlx::Error> {
    let mut sql = Sql::new(LICENSE_COLUMNS);
    sql.push("l.grace_until >= ")
        .bind(today)
        .push(
            " AND l.seats_purchased > 0 \
             AND (l.seats_consumed + l.seats_allocated) * 10000 >= l.seats_purchased * ",
        )
        .bind(basis_points);
    licenses(pool, sql, view, " ORDER BY l.id", limit).await
}

/// A live license with free seats and its seat flow over the forecast window.
#[derive(sqlx::FromRow)]
pub struct FlowRow {
    #[sqlx(flatten)]
    pub license: LicenseRow,
    pub first_week: Option<i64>,
    pub weighted: i64,
}

/// Active licenses not yet finished, with free seats, whose flow could
/// fill them within `days` days: `free × 7 × 8 ≤ days × weighted`, the
/// forecast's rule at the smallest window weight (8, a license whose first
/// seat was taken last week), so every license the exact rule
/// (`seatdesk_core::forecast::forecast_alert`) accepts is here. By id.
pub async fn filling_within(
    pool: &Pool,
    view: &AlertView,
    (today, current): (NaiveDate, i64),
    days: i64,
    limit: usize,
) -> Result<Limited<FlowRow>, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT * FROM (SELECT l.id AS id, p.sku AS sku, l.org_id AS org_id, \
         o.name AS org_name, l.account_id AS account_id, l.org_path AS org_path, \
         l.finish_date AS finish_date, l.grace_until AS grace_until, \
         l.seats_purchased AS seats_purchased, l.seats_consumed AS seats_consumed, \
         l.seats_allocated AS seats_allocated, ",
    );
    crate::store::forecast::push_license_flow_columns(&mut sql, current);
    sql.push(
        " FROM licenses l JOIN products p ON p.id = l.product_id JOIN orgs o ON o.id = l.org_id \
         WHERE l.status = 'active' AND l.seats_consumed + l.seats_allocated < l.seats_purchased \
         AND l.finish_date > ",
    )
    .bind(today)
    .push(" AND ");
    view.push(&mut sql);
    sql.push(&format!(
        ") c WHERE c.weighted > 0 AND (c.seats_purchased - c.seats_consumed - c.seats_allocated) * 56 <= {days} * c.weighted \
         ORDER BY c.id LIMIT "
    ))
    .bind(limit as i64 + 1);
    let mut rows: Vec<FlowRow> = sql.query_as().fetch_all(pool).await?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    Ok((rows, more))
}

/// An activation code with the seats created from it in a window.
#[derive(sqlx::FromRow)]
pub struct FastCodeRow {
    pub code_id: i64,
    pub code: String,
    pub license_id: i64,
    pub sku: String,
    pub org_id: i64,
    pub org_name: String,
    pub account_id: i64,
    pub org_path: String,
    pub redemptions: i64,
    pub first_at: Stamp,
}

/// Activation codes from which more than `redemptions` seats were created
/// since `since`, most redeemed first: one GROUP BY over the seats assigned
/// in the window.
pub async fn activation_codes_redeemed_since(
    pool: &Pool,
    view: &AlertView,
    since: Stamp,
    redemptions: i64,
    limit: usize,
) -> Result<Limited<FastCodeRow>, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT c.id AS code_id, c.code AS code, l.id AS license_id, p.sku AS sku, \
         l.org_id AS org_id, o.name AS org_name, l.account_id AS account_id, \
         l.org_path AS org_path, COUNT(*) AS redemptions, MIN(s.assigned_at) AS first_at \
         FROM seats s JOIN codes c ON c.id = s.code_id JOIN licenses l ON l.id = c.license_id \
         JOIN products p ON p.id = l.product_id JOIN orgs o ON o.id = l.org_id \
         WHERE s.code_id IS NOT NULL AND s.assigned_at >= ",
    );
    sql.bind(since)
        .push(" AND c.kind = ")
        .bind(CodeKind::Activation.as_str().to_string())
        .push(" AND ");
    view.push(&mut sql);
    sql.push(
        " GROUP BY c.id, c.code, l.id, p.sku, l.org_id, o.name, l.account_id, l.org_path \
         HAVING COUNT(*) > ",
    )
    .bind(redemptions)
    .push(" ORDER BY COUNT(*) DESC, c.id LIMIT ")
    .bind(limit as i64 + 1);
    let mut rows: Vec<FastCodeRow> = sql.query_as().fetch_all(pool).await?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    Ok((rows, more))
}

/// The largest license id, if any license exists.
pub async fn last_license_id(pool: &Pool) -> Result<Option<i64>, sqlx::Error> {
    crate::db::query_scalar("SELECT MAX(id) FROM licenses")
        .fetch_one(pool)
        .await
}

/// One raised alert: kind, target type, target id and mark.
pub type Mark = (String, String, i64, String);

/// Target ids per "already raised?" query.
const CHUNK: usize = 400;

/// Marks stored for any of `target_ids` (sorted, without repeats).
pub async fn marks_of(pool: &Pool, target_ids: &[i64]) -> Result<HashSet<Mark>, sqlx::Error> {
    let mut marks = HashSet::new();
    for chunk in target_ids.chunks(CHUNK) {
        let mut sql = Sql::new(
            "SELECT kind, target_type, target_id, mark FROM alert_marks WHERE target_id IN (",
        );
        sql.bind_list(chunk.iter().copied()).push(")");
        let rows: Vec<Mark> = sql.query_as().fetch_all(pool).await?;
        marks.extend(rows);
    }
    Ok(marks)
}

/// Stores `mark`; false when it was stored already (by another process).
pub async fn insert_mark(conn: &mut Conn, mark: Mark, at: Stamp) -> Result<bool, sqlx::Error> {
    let (kind, target_type, target_id, mark) = mark;
    let inserted = crate::db::query(
        "INSERT INTO alert_marks (kind, target_type, target_id, mark, raised_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(kind)
    .bind(target_type)
    .bind(target_id)
    .bind(mark)
    .bind(at)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted > 0)
}
