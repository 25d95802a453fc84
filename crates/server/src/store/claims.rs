//! Claims (seat assignments as the License Claims report shows them): the
//! one row shape every operation that answers with a claim reads, and the
//! report's keyset query.

use seatdesk_core::api::seats::{Claim, ClaimQuery, ClaimSort};
use seatdesk_core::{SeatStatus, UserKind};

use crate::db::sql::Sql;
use crate::db::types::{Named, Stamp};
use crate::db::{Backend, Conn, Pool};
use crate::domain::scope::Scope;

/// The columns of [`ClaimRow`], in order.
macro_rules! claim_columns {
    () => {
        "s.id, s.license_id, l.product_id, p.name AS product_name, \
    s.user_id, u.given_name || ' ' || u.family_name AS user_name, u.email AS user_email, \
    u.kind AS user_kind, u.org_id, o.name AS org_name, s.status, s.assigned_at, s.assigned_by, \
    s.claimed_at, s.claimed_by, s.expired_at, s.expired_by, s.revoked_at, s.revoked_by, s.redemption_code, \
    s.students_assigned, s.updated_at"
    };
}

/// The joins [`claim_columns!`] reads from.
macro_rules! claim_from {
    () => {
        "FROM seats s JOIN licenses l ON l.id = s.license_id JOIN products p ON p.id = l.product_id \
         JOIN users u ON u.id = s.user_id JOIN orgs o ON o.id = u.org_id"
    };
}

pub const CLAIM_SELECT: &str = concat!("SELECT ", claim_columns!(), " ", claim_from!());

/// Field order is the column order of [`claim_columns!`] then `sort_key`:
/// the claims report reads its rows as JSON arrays.
#[derive(sqlx::FromRow, serde::Deserialize)]
pub struct ClaimRow {
    pub id: i64,
    license_id: i64,
    product_id: i64,
    product_name: String,
    user_id: i64,
    user_name: String,
    user_email: String,
    user_kind: Named<UserKind>,
    org_id: i64,
    org_name: String,
    status: Named<SeatStatus>,
    assigned_at: Stamp,
    assigned_by: String,
    claimed_at: Option<Stamp>,
    claimed_by: Option<String>,
    expired_at: Option<Stamp>,
    expired_by: Option<String>,
    revoked_at: Option<Stamp>,
    revoked_by: Option<String>,
    redemption_code: Option<String>,
    students_assigned: i64,
    updated_at: Stamp,
    /// The keyset sort key, present only in the report query.
    #[sqlx(default)]
    #[serde(default)]
    pub sort_key: Option<String>,
}

impl From<ClaimRow> for Claim {
    fn from(r: ClaimRow) -> Claim {
        Claim {
            id: r.id,
            license_id: r.license_id,
            product_id: r.product_id,
            product_name: r.product_name,
            user_id: r.user_id,
            user_name: r.user_name,
            user_email: r.user_email,
            user_kind: r.user_kind.0,
            org_id: r.org_id,
            org_name: r.org_name,
            status: r.status.0,
            assigned_at: r.assigned_at.0,
            assigned_by: r.assigned_by,
            claimed_at: r.claimed_at.map(|t| t.0),
            claimed_by: r.claimed_by,
            expired_by: r.expired_by,
            expired_at: r.expired_at.map(|t| t.0),
            revoked_at: r.revoked_at.map(|t| t.0),
            revoked_by: r.revoked_by,
            redemption_code: r.redemption_code,
            students_assigned: r.students_assigned,
            updated_at: r.updated_at.0,
        }
    }
}

/// One claim by seat id (no scope check: callers have checked the seat).
pub async fn claim(conn: &mut Conn, seat_id: i64) -> Result<ClaimRow, sqlx::Error> {
    let mut sql = Sql::new(CLAIM_SELECT);
    sql.push(" WHERE s.id = ").bind(seat_id);
    sql.query_as().fetch_one(conn).await
}

/// Where a report page starts: strictly past this `(key, id)` in the sort
/// direction. The key is text for [`ClaimSort::Name`], a number otherwise.
pub enum ClaimCursor {
    Text(String, i64),
    Number(i64, i64),
}

/// One page of the claims report, validated by the caller: `statuses`
/// already parsed (empty = no filter), `limit` rows plus one to tell
/// whether another page follows.
pub struct ClaimReport<'a> {
    pub query: &'a ClaimQuery,
    pub statuses: Vec<SeatStatus>,
    pub descending: bool,
    pub after: Option<ClaimCursor>,
    pub limit: i64,
}

/// The report's rows as the database handed them over.
pub enum ClaimPage {
    Rows(Vec<ClaimRow>),
    /// SQLite folds the page into one JSON array of arrays (see
    /// [`page_as_json`]).
    Json(String),
}

impl ClaimPage {
    pub fn into_rows(self) -> Result<Vec<ClaimRow>, serde_json::Error> {
        match self {
            ClaimPage::Rows(rows) => Ok(rows),
            ClaimPage::Json(text) => serde_json::from_str(&text),
        }
    }
}

/// The head of a SQLite query that folds the page's rows (an inner `SELECT`
/// of [`claim_columns!`], `sort_key` and `sort_raw`, closed by `) page`)
/// into one JSON array of arrays, in page order. One value crosses the
/// driver instead of a hundred rows: each row would be a message from the
/// connection's thread (measured before the typed drivers; kept, as
/// SQLite still hands rows over one message each).
fn page_as_json(dir: &str) -> String {
    let fields = "page.id, page.license_id, page.product_id, page.product_name, page.user_id, \
        page.user_name, page.user_email, page.user_kind, page.org_id, page.org_name, page.status, \
        page.assigned_at, page.assigned_by, page.claimed_at, page.claimed_by, page.expired_at, \
        page.expired_by, page.revoked_at, page.revoked_by, page.redemption_code, \
        page.students_assigned, page.updated_at, page.sort_key";
    // SQLite 3.44+ orders an aggregate's input by its own ORDER BY.
    format!(
        "SELECT json_group_array(json_array({fields}) ORDER BY page.sort_raw {dir}, page.id {dir}) FROM ("
    )
}

/// One page of the claims report in `scope`, keyset-paginated on the sort.
pub async fn claim_report(
    pool: &Pool,
    scope: &Scope,
    report: &ClaimReport<'_>,
) -> Result<ClaimPage, sqlx::Error> {
    let query = report.query;
    let backend = pool.backend();
    let key_sql = match query.sort.unwrap_or_default() {
        ClaimSort::AssignedAt => "s.assigned_at".to_string(),
        // Unclaimed seats sort as the epoch (oldest).
        ClaimSort::ClaimedAt => format!("COALESCE(s.claimed_at, {})", backend.epoch()),
        ClaimSort::Name => "LOWER(u.family_name || ' ' || u.given_name)".to_string(),
    };
    // The cursor carries the key as text: instants as unix milliseconds.
    let key_text = match query.sort.unwrap_or_default() {
        ClaimSort::Name => key_sql.clone(),
        ClaimSort::AssignedAt | ClaimSort::ClaimedAt => {
            format!("CAST({} AS TEXT)", backend.epoch_ms(&key_sql))
        }
    };
    let dir = if report.descending { "DESC" } else { "ASC" };
    // PostgreSQL sends rows in one buffer and is slower building JSON than
    // the driver is decoding rows (measured), so only SQLite folds them.
    let fold = backend == Backend::Sqlite;
    let mut sql = Sql::new(
        if fold {
            page_as_json(dir)
        } else {
            String::new()
        }
        .as_str(),
    );
    sql.push(&format!(
        "SELECT {}, {key_text} AS sort_key, {key_sql} AS sort_raw {}",
        claim_columns!(),
        claim_from!()
    ));
    sql.push(" WHERE ").push(&scope.sql("l.org_path"));
    // Every status is no filter; saying so in SQL would cost the keyset
    // walk its index (each page would sort every claim).
    let all = SeatStatus::ALL.iter().all(|s| report.statuses.contains(s));
    if !report.statuses.is_empty() && !all {
        sql.push(" AND s.status IN (")
            .bind_list(report.statuses.iter().map(|s| s.as_str().to_string()))
            .push(")");
    }
    if let Some(id) = query.product_id {
        sql.push(" AND l.product_id = ").bind(id);
    }
    if let Some(id) = query.license_id {
        sql.push(" AND s.license_id = ").bind(id);
    }
    if let Some(id) = query.account_id {
        sql.push(" AND l.account_id = ").bind(id);
    }
    if let Some(text) = query.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = crate::db::sql::contains_pattern(text);
        sql.push(" AND (LOWER(u.given_name || ' ' || u.family_name) LIKE ")
            .bind_like(pattern.clone())
            .push(" OR LOWER(u.email) LIKE ")
            .bind_like(pattern)
            .push(")");
    }
    if let Some(from) = query.from {
        sql.push(" AND s.assigned_at >= ").bind(from);
    }
    if let Some(to) = query.to {
        sql.push(" AND s.assigned_at < ").bind(to);
    }
    let cmp = if report.descending { "<" } else { ">" };
    if let Some(cursor) = &report.after {
        sql.push(" AND (").push(&key_sql).push(&format!(" {cmp} "));
        let id = match cursor {
            ClaimCursor::Text(key, id) => {
                sql.bind(key.clone())
                    .push(" OR (")
                    .push(&key_sql)
                    .push(" = ")
                    .bind(key.clone());
                *id
            }
            // Unix milliseconds (0 for an unclaimed seat), compared as the
            // instant they name.
            ClaimCursor::Number(key, id) => {
                let at = Stamp::try_from(*key).map_err(|e| sqlx::Error::Encode(e.into()))?;
                sql.bind(at)
                    .push(" OR (")
                    .push(&key_sql)
                    .push(" = ")
                    .bind(at);
                *id
            }
        };
        sql.push(&format!(" AND s.id {cmp} ")).bind(id).push("))");
    }
    sql.push(&format!(" ORDER BY {key_sql} {dir}, s.id {dir} LIMIT "))
        .bind(report.limit + 1);
    if fold {
        sql.push(") page");
        Ok(ClaimPage::Json(sql.query_scalar().fetch_one(pool).await?))
    } else {
        Ok(ClaimPage::Rows(sql.query_as().fetch_all(pool).await?))
    }
}
