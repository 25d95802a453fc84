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

/// Up to this many (license, status) walks are merged; a larger license
/// set walks each status's global index and checks the license there.
/// Each walk costs a seek and at most a page of index entries, so the
/// merge stays cheap while it is small; the global walk's cost grows as the
/// set's share of all seats shrinks, which it rarely does for many licenses.
pub const MERGE_WALKS: usize = 24;

/// The licenses a report is limited to: `None` when it reads every license
/// (the whole tree and no product, account or license filter).
async fn license_set(
    pool: &Pool,
    scope: &Scope,
    query: &ClaimQuery,
) -> Result<Option<Vec<i64>>, sqlx::Error> {
    let unfiltered =
        query.product_id.is_none() && query.account_id.is_none() && query.license_id.is_none();
    if unfiltered && crate::store::orgs::covers_every_org(pool, scope).await? {
        return Ok(None);
    }
    let mut sql = Sql::new("SELECT id FROM licenses WHERE ");
    sql.push(&scope.sql("org_path"));
    if let Some(id) = query.product_id {
        sql.push(" AND product_id = ").bind(id);
    }
    if let Some(id) = query.license_id {
        sql.push(" AND id = ").bind(id);
    }
    if let Some(id) = query.account_id {
        sql.push(" AND account_id = ").bind(id);
    }
    sql.push(" ORDER BY id");
    Ok(Some(sql.query_scalar().fetch_all(pool).await?))
}

/// A text filter matching at most this many users reads those users' seats
/// and sorts them; one matching more is checked seat by seat during the
/// ordered walks. The bound is generous because a walk is only cheap when
/// matches are spread along the sort: a family name sorted by name is one
/// cluster, and walking to it read most of the index (PostgreSQL, 1M
/// claims, `q=kowalski&sort=name`: 101 s with a bound of 1,000 users).
pub const FEW_USERS: usize = 10_000;

/// One ordered read merged into a report page.
enum Walk<'a> {
    /// The sort's index for one status, of one license or all.
    Index(Option<i64>, SeatStatus),
    /// These rows (`column` in the set), read whole and sorted.
    Set(&'static str, &'a [i64]),
}

/// How the report applies its text filter.
enum Text {
    /// No text filter.
    Off,
    /// These users (at most [`FEW_USERS`]) are all that can match.
    Users(Vec<i64>),
    /// Check each walked seat's user.
    Walk,
}

/// The users `q` can match, found with the trigram index (FTS5 on SQLite,
/// pg_trgm on PostgreSQL), or [`Text::Walk`] when they are many or `q` is
/// too short for trigrams. The index only narrows: the report still checks
/// each candidate with the exact filter.
async fn text_users(pool: &Pool, q: &str) -> Result<Text, sqlx::Error> {
    let q = q.to_lowercase();
    if q.chars().count() < 3 {
        return Ok(Text::Walk);
    }
    let mut sql = match pool.backend() {
        Backend::Sqlite => {
            // One FTS5 phrase: the trigrams of q, in order, in one column.
            let mut sql = Sql::new("SELECT rowid FROM users_text WHERE users_text MATCH ");
            sql.bind(format!("\"{}\"", q.replace('"', "\"\"")));
            sql
        }
        Backend::Postgres => {
            let pattern = crate::db::sql::contains_pattern(&q);
            let mut sql = Sql::new(
                "SELECT id FROM users WHERE LOWER(given_name || ' ' || family_name) LIKE ",
            );
            sql.bind_like(pattern.clone())
                .push(" OR LOWER(email) LIKE ")
                .bind_like(pattern);
            sql
        }
    };
    sql.push(" LIMIT ").bind(FEW_USERS as i64 + 1);
    let ids: Vec<i64> = sql.query_scalar().fetch_all(pool).await?;
    Ok(if ids.len() > FEW_USERS {
        Text::Walk
    } else {
        Text::Users(ids)
    })
}

/// A date window (`from`/`to` on the assignment time) holding at most this
/// many seats of the asked statuses is read whole and sorted when the
/// report sorts by another key. Walking the other key's index would check
/// the window in every entry it meets: a window holding few seats of the
/// walked statuses read the whole index (SQLite, 1M claims, a 3-week window
/// sorted by name: 783 ms).
pub const FEW_WINDOW_SEATS: usize = 10_000;

/// How a date window under another sort is read, status by status.
struct WindowSplit {
    /// Seats of the statuses with few in the window (at most `few` in all),
    /// read whole from the `(status, assigned_at)` index and sorted.
    few_ids: Vec<i64>,
    /// Statuses with more: their sort index is walked, the window checked
    /// in each entry (the window is then a fair share of the walk).
    walked: Vec<SeatStatus>,
}

/// Splits `statuses` by how many of their seats were assigned inside the
/// query's date window: `None` without a window. Deciding per status
/// matters: a month's window holds thousands of active seats but a handful
/// of expired ones, and walking the expired seats' claimed-at index for
/// that handful read all of it (PostgreSQL, 10M claims: 12 s a page).
/// The license filters are left to the report, so the ids are a superset.
async fn window_split(
    pool: &Pool,
    statuses: &[SeatStatus],
    query: &ClaimQuery,
    few: usize,
) -> Result<Option<WindowSplit>, sqlx::Error> {
    if few == 0 || (query.from.is_none() && query.to.is_none()) {
        return Ok(None);
    }
    let mut split = WindowSplit {
        few_ids: Vec::new(),
        walked: Vec::new(),
    };
    // One ranged read per status, stopping one past what still fits.
    for &status in statuses {
        let room = few - split.few_ids.len();
        let mut sql = Sql::new_for(pool.backend(), "SELECT s.id FROM seats s WHERE s.status = ");
        sql.bind(status.as_str());
        if let Some(from) = query.from {
            sql.push(" AND s.assigned_at >= ").bind(from);
        }
        if let Some(to) = query.to {
            sql.push(" AND s.assigned_at < ").bind(to);
        }
        sql.push(" LIMIT ").bind(room as i64 + 1);
        let ids: Vec<i64> = sql.query_scalar().fetch_all(pool).await?;
        if ids.len() > room {
            split.walked.push(status);
        } else {
            split.few_ids.extend(ids);
        }
    }
    split.few_ids.sort_unstable();
    Ok(Some(split))
}

/// The SQL of the report's sort key over `seats s`: each is the leading
/// column (or expression, word for word) of an index of migration 0013.
fn key_sql(backend: Backend, sort: ClaimSort) -> String {
    match sort {
        ClaimSort::AssignedAt => "s.assigned_at".to_string(),
        // Unclaimed seats sort as the epoch (oldest).
        ClaimSort::ClaimedAt => format!("COALESCE(s.claimed_at, {})", backend.epoch()),
        ClaimSort::Name => "s.name_key".to_string(),
    }
}

/// One page of the claims report in `scope`, keyset-paginated on the sort.
///
/// The page's seat ids come first, from ordered index walks that stop after
/// a page each: one per (license, status) when the filters leave a few
/// licenses, else one per status over all licenses, checking the license
/// in the index entry; the walks are merged in sort order (`UNION ALL …
/// ORDER BY … LIMIT`: a merge of lazily read walks on both databases, where
/// `status IN (…)` would read every matching seat and sort). Only then are
/// the page's rows joined to their license, product, user and org.
pub async fn claim_report(
    pool: &Pool,
    scope: &Scope,
    report: &ClaimReport<'_>,
) -> Result<ClaimPage, sqlx::Error> {
    claim_report_with(pool, scope, report, FEW_WINDOW_SEATS).await
}

/// [`claim_report`] reading a date window whole up to `few_window_seats`
/// seats (tests compare the two ways of answering a window).
pub async fn claim_report_with(
    pool: &Pool,
    scope: &Scope,
    report: &ClaimReport<'_>,
    few_window_seats: usize,
) -> Result<ClaimPage, sqlx::Error> {
    let query = report.query;
    let backend = pool.backend();
    let sort = query.sort.unwrap_or_default();
    let key = key_sql(backend, sort);
    let mut statuses: Vec<SeatStatus> = if report.statuses.is_empty() {
        SeatStatus::ALL.to_vec()
    } else {
        report.statuses.clone()
    };
    statuses.sort_by_key(|s| s.as_str());
    statuses.dedup();
    let licenses = license_set(pool, scope, query).await?;
    if matches!(&licenses, Some(ids) if ids.is_empty()) {
        return Ok(ClaimPage::Rows(Vec::new()));
    }
    let dir = if report.descending { "DESC" } else { "ASC" };
    let cmp = if report.descending { "<" } else { ">" };
    let q = query.q.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let text = q.map(crate::db::sql::contains_pattern);
    let strategy = match q {
        None => Text::Off,
        Some(q) => text_users(pool, q).await?,
    };
    // A date window under another sort: the statuses with few seats in it
    // are read whole and sorted, the others walked.
    let window = match (&strategy, sort) {
        (Text::Users(_), _) | (_, ClaimSort::AssignedAt) => None,
        _ => window_split(pool, &statuses, query, few_window_seats).await?,
    };
    let walked_statuses = match &window {
        Some(split) => split.walked.clone(),
        None => statuses.clone(),
    };
    let index_walks: Vec<(Option<i64>, SeatStatus)> = match &licenses {
        Some(ids) if ids.len() * walked_statuses.len() <= MERGE_WALKS => ids
            .iter()
            .flat_map(|id| walked_statuses.iter().map(move |s| (Some(*id), *s)))
            .collect(),
        _ => walked_statuses.iter().map(|s| (None, *s)).collect(),
    };
    let big_set = match &licenses {
        Some(ids) if index_walks.iter().all(|(l, _)| l.is_none()) => Some(ids.as_slice()),
        _ => None,
    };
    let walks: Vec<Walk> = match &strategy {
        // A few matching users: their seats, filtered and sorted.
        Text::Users(users) => vec![Walk::Set("s.user_id", users)],
        _ => index_walks
            .iter()
            .map(|&(license, status)| Walk::Index(license, status))
            .chain(
                window
                    .as_ref()
                    .filter(|split| !split.few_ids.is_empty())
                    .map(|split| Walk::Set("s.id", &split.few_ids)),
            )
            .collect(),
    };
    if walks.is_empty() {
        return Ok(ClaimPage::Rows(Vec::new()));
    }

    // PostgreSQL sends rows in one buffer and is slower building JSON than
    // the driver is decoding rows (measured), so only SQLite folds them.
    let fold = backend == Backend::Sqlite;
    let mut sql = Sql::new_for(
        backend,
        if fold {
            page_as_json(dir)
        } else {
            String::new()
        }
        .as_str(),
    );
    let key_text = match sort {
        ClaimSort::Name => "w.k".to_string(),
        ClaimSort::AssignedAt | ClaimSort::ClaimedAt => {
            format!("CAST({} AS TEXT)", backend.epoch_ms("w.k"))
        }
    };
    sql.push(&format!(
        "SELECT {}, {key_text} AS sort_key, w.k AS sort_raw FROM (",
        claim_columns!()
    ));
    for (i, walk) in walks.iter().enumerate() {
        if i > 0 {
            sql.push(" UNION ALL ");
        }
        sql.push(&format!(
            "SELECT * FROM (SELECT s.id, {key} AS k FROM seats s WHERE "
        ));
        match walk {
            Walk::Set(column, ids) => {
                sql.push(column).bind_id_set(ids);
                if statuses.len() < SeatStatus::ALL.len() {
                    let names: Vec<String> = statuses
                        .iter()
                        .map(|s| format!("'{}'", s.as_str()))
                        .collect();
                    sql.push(&format!(" AND s.status IN ({})", names.join(", ")));
                }
                if let Some(ids) = &licenses {
                    sql.push(" AND s.license_id").bind_id_set(ids);
                }
            }
            Walk::Index(license, status) => {
                if let Some(id) = license {
                    sql.push("s.license_id = ").bind(*id).push(" AND ");
                }
                // A trusted enum name, written out: each status is its own walk.
                sql.push(&format!("s.status = '{}'", status.as_str()));
                if let Some(ids) = big_set {
                    // SQLite: the unary + keeps the planner from reading the
                    // set's seats by license and sorting them all.
                    sql.push(match backend {
                        Backend::Sqlite => " AND +s.license_id",
                        Backend::Postgres => " AND s.license_id",
                    })
                    .bind_id_set(ids);
                }
            }
        }
        if let Some(from) = query.from {
            sql.push(" AND s.assigned_at >= ").bind(from);
        }
        if let Some(to) = query.to {
            sql.push(" AND s.assigned_at < ").bind(to);
        }
        if let Some(pattern) = &text {
            sql.push(
                " AND EXISTS (SELECT 1 FROM users qu WHERE qu.id = s.user_id \
                 AND (LOWER(qu.given_name || ' ' || qu.family_name) LIKE ",
            )
            .bind_like(pattern.clone())
            .push(" OR LOWER(qu.email) LIKE ")
            .bind_like(pattern.clone())
            .push("))");
        }
        if let Some(cursor) = &report.after {
            // `key <= k AND (key < k OR id < i)` rather than the row value
            // `(key, id) < (k, i)`: SQLite bounds an index range on an
            // expression (the claimed_at key) only by a plain comparison.
            let (after, id): (crate::db::sql::Value, i64) = match cursor {
                ClaimCursor::Text(after, id) => (after.clone().into(), *id),
                // Unix milliseconds (0 for an unclaimed seat), compared as
                // the instant they name.
                ClaimCursor::Number(ms, id) => {
                    let at = Stamp::try_from(*ms).map_err(|e| sqlx::Error::Encode(e.into()))?;
                    (at.into(), *id)
                }
            };
            sql.push(&format!(" AND {key} {cmp}= "))
                .bind(after.clone())
                .push(&format!(" AND ({key} {cmp} "))
                .bind(after)
                .push(&format!(" OR s.id {cmp} "))
                .bind(id)
                .push(")");
        }
        sql.push(&format!(" ORDER BY {key} {dir}, s.id {dir} LIMIT "))
            .bind(report.limit + 1)
            .push(&format!(") w{i}"));
    }
    if walks.len() > 1 {
        sql.push(&format!(" ORDER BY k {dir}, id {dir} LIMIT "))
            .bind(report.limit + 1);
    }
    sql.push(
        ") w JOIN seats s ON s.id = w.id JOIN licenses l ON l.id = s.license_id \
         JOIN products p ON p.id = l.product_id JOIN users u ON u.id = s.user_id \
         JOIN orgs o ON o.id = u.org_id",
    );
    if fold {
        sql.push(") page");
        Ok(ClaimPage::Json(sql.query_scalar().fetch_one(pool).await?))
    } else {
        sql.push(&format!(" ORDER BY w.k {dir}, w.id {dir}"));
        Ok(ClaimPage::Rows(sql.query_as().fetch_all(pool).await?))
    }
}
