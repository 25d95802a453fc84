//! Codes, code batches and failed redemption attempts: uniqueness checks
//! and inserts for minting ([`crate::codes`]), the code and batch lists,
//! the reads and counters of a redemption ([`crate::domain::redemption`])
//! and the rate limiter's failure log.

use std::collections::{HashMap, HashSet};

use seatdesk_core::api::codes::{BatchOptions, Code};
use seatdesk_core::{CodeKind, UserKind, UserStatus};

use crate::db::sql::Sql;
use crate::db::types::{Flag, Named, Stamp};
use crate::db::{Backend, Conn, Pool};

/// Rows per multi-row INSERT (7 values each), and codes per uniqueness
/// check, well under both backends' parameter limits.
const INSERT_CHUNK: usize = 500;

/// Which of `candidates` are already taken anywhere (codes or teacher codes).
pub async fn taken_among(
    conn: &mut Conn,
    candidates: &[String],
) -> Result<HashSet<String>, sqlx::Error> {
    let mut taken = HashSet::new();
    for chunk in candidates.chunks(INSERT_CHUNK) {
        let mut sql = Sql::new("SELECT code FROM codes WHERE code IN (");
        sql.bind_list(chunk.iter().cloned())
            .push(") UNION SELECT teacher_code AS code FROM licenses WHERE teacher_code IN (");
        sql.bind_list(chunk.iter().cloned()).push(")");
        let rows: Vec<String> = sql.query_scalar().fetch_all(&mut *conn).await?;
        taken.extend(rows);
    }
    Ok(taken)
}

/// What a new row of `codes` carries besides its code.
#[derive(Debug, Clone, Default)]
pub struct CodeFields {
    pub license_id: i64,
    pub batch_id: Option<i64>,
    pub seat_id: Option<i64>,
    pub subject: Option<String>,
    /// 0 = limited only by the license's seats.
    pub max_uses: i64,
    pub expires_at: Option<Stamp>,
}

/// Inserts `code` of `kind`: its id, or `None` when the code is taken (a
/// skipped row, not a failed statement, which would abort the whole
/// transaction on PostgreSQL).
pub async fn insert_code(
    conn: &mut Conn,
    code: &str,
    kind: CodeKind,
    fields: &CodeFields,
    now: Stamp,
) -> Result<Option<i64>, sqlx::Error> {
    crate::db::query_scalar(
        "INSERT INTO codes (code, kind, license_id, batch_id, seat_id, subject, max_uses, \
         uses, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9) \
         ON CONFLICT (code) DO NOTHING RETURNING id",
    )
    .bind(code)
    .bind(kind.as_str())
    .bind(fields.license_id)
    .bind(fields.batch_id)
    .bind(fields.seat_id)
    .bind(fields.subject.clone())
    .bind(fields.max_uses)
    .bind(fields.expires_at)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// Inserts `codes` as activation codes of a batch in multi-row statements,
/// skipping any taken meanwhile: how many were inserted.
pub async fn insert_activation_codes(
    conn: &mut Conn,
    codes: &[String],
    fields: &CodeFields,
    now: Stamp,
) -> Result<usize, sqlx::Error> {
    let mut inserted = 0;
    for chunk in codes.chunks(INSERT_CHUNK) {
        let mut sql = Sql::new(
            "INSERT INTO codes (code, kind, license_id, batch_id, max_uses, expires_at, created_at) VALUES ",
        );
        for (i, code) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(code.clone())
                .push(", ")
                .bind(CodeKind::Activation.as_str())
                .push(", ")
                .bind(fields.license_id)
                .push(", ");
            sql.bind(fields.batch_id)
                .push(", ")
                .bind(fields.max_uses)
                .push(", ")
                .bind(fields.expires_at)
                .push(", ")
                .bind(now)
                .push(")");
        }
        sql.push(" ON CONFLICT (code) DO NOTHING RETURNING id");
        let ids: Vec<i64> = sql.query_scalar().fetch_all(&mut *conn).await?;
        inserted += ids.len();
    }
    Ok(inserted)
}

/// Columns of [`CodeRow`]; `c` is codes. The user is the holder of the
/// code's seat (the teacher of a redemption code, the redeemer of a
/// single-user activation code).
pub const CODE_SELECT: &str = "SELECT c.id, c.code, c.kind, c.license_id, c.batch_id, \
    c.seat_id, u.email AS user_email, c.subject, c.max_uses, c.uses, c.expires_at, c.created_at \
    FROM codes c LEFT JOIN seats s ON s.id = c.seat_id LEFT JOIN users u ON u.id = s.user_id";

#[derive(sqlx::FromRow)]
pub struct CodeRow {
    pub id: i64,
    code: String,
    kind: Named<CodeKind>,
    license_id: i64,
    batch_id: Option<i64>,
    seat_id: Option<i64>,
    user_email: Option<String>,
    subject: Option<String>,
    max_uses: i64,
    uses: i64,
    expires_at: Option<Stamp>,
    created_at: Stamp,
}

impl From<CodeRow> for Code {
    fn from(r: CodeRow) -> Code {
        Code {
            id: r.id,
            code: r.code,
            kind: r.kind.0,
            license_id: r.license_id,
            batch_id: r.batch_id,
            seat_id: r.seat_id,
            user_email: r.user_email,
            subject: r.subject,
            max_uses: (r.max_uses > 0).then_some(r.max_uses),
            uses: r.uses,
            expires_at: r.expires_at.map(|t| t.0),
            created_at: r.created_at.0,
        }
    }
}

pub async fn code(conn: &mut Conn, id: i64) -> Result<CodeRow, sqlx::Error> {
    let mut sql = Sql::new(CODE_SELECT);
    sql.push(" WHERE c.id = ").bind(id);
    sql.query_as().fetch_one(conn).await
}

/// Which codes a list shows.
#[derive(Debug, Clone, Copy)]
pub enum CodeSet {
    /// A license's codes, optionally of one kind.
    License(i64, Option<CodeKind>),
    /// A batch's codes.
    Batch(i64),
}

/// One keyset page of the codes of `set` in id order, after `after`:
/// `limit` rows plus one.
pub async fn codes(
    conn: &mut Conn,
    set: CodeSet,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<CodeRow>, sqlx::Error> {
    let mut sql = Sql::new(CODE_SELECT);
    match set {
        CodeSet::License(id, kind) => {
            sql.push(" WHERE c.license_id = ").bind(id);
            if let Some(kind) = kind {
                sql.push(" AND c.kind = ").bind(kind.as_str());
            }
        }
        CodeSet::Batch(id) => {
            sql.push(" WHERE c.batch_id = ").bind(id);
        }
    }
    if let Some(after) = after {
        sql.push(" AND c.id > ").bind(after);
    }
    sql.push(" ORDER BY c.id LIMIT ").bind(limit + 1);
    sql.query_as().fetch_all(conn).await
}

/// Whether a product has per-subject resource codes.
pub async fn has_resource_codes(conn: &mut Conn, product_id: i64) -> Result<bool, sqlx::Error> {
    let flag: Flag =
        crate::db::query_scalar("SELECT has_resource_codes FROM products WHERE id = $1")
            .bind(product_id)
            .fetch_one(conn)
            .await?;
    Ok(flag.0)
}

/// The license's resource code for `subject` (case-insensitive), if any.
pub async fn resource_code_for(
    conn: &mut Conn,
    license_id: i64,
    subject: &str,
) -> Result<Option<String>, sqlx::Error> {
    crate::db::query_scalar(
        "SELECT code FROM codes WHERE license_id = $1 AND kind = 'resource' \
         AND LOWER(subject) = LOWER($2)",
    )
    .bind(license_id)
    .bind(subject)
    .fetch_optional(conn)
    .await
}

/// Columns of [`BatchRow`]; `b` is code_batches, `l` its license.
const BATCH_SELECT: &str = "SELECT b.id, b.license_id, b.code_count, b.users_per_code, \
    b.duration_days, b.enable_benchmark, b.enable_exercises, b.enable_badges, \
    b.require_teacher_link, b.created_by, b.created_at, \
    (SELECT CAST(COALESCE(SUM(c.uses), 0) AS BIGINT) FROM codes c WHERE c.batch_id = b.id) AS uses, \
    l.org_path FROM code_batches b JOIN licenses l ON l.id = b.license_id";

#[derive(sqlx::FromRow)]
pub struct BatchRow {
    pub id: i64,
    pub license_id: i64,
    pub code_count: i64,
    pub users_per_code: i64,
    pub duration_days: i64,
    pub enable_benchmark: Flag,
    pub enable_exercises: Flag,
    pub enable_badges: Flag,
    pub require_teacher_link: Flag,
    pub created_by: String,
    pub created_at: Stamp,
    pub uses: i64,
    pub org_path: String,
}

/// A batch and its license's org path.
pub async fn batch(conn: &mut Conn, id: i64) -> Result<Option<BatchRow>, sqlx::Error> {
    let mut sql = Sql::new(BATCH_SELECT);
    sql.push(" WHERE b.id = ").bind(id);
    sql.query_as().fetch_optional(conn).await
}

/// One keyset page of a license's batches in id order, after `after`:
/// `limit` rows plus one.
pub async fn batches(
    conn: &mut Conn,
    license_id: i64,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<BatchRow>, sqlx::Error> {
    let mut sql = Sql::new(BATCH_SELECT);
    sql.push(" WHERE b.license_id = ").bind(license_id);
    if let Some(after) = after {
        sql.push(" AND b.id > ").bind(after);
    }
    sql.push(" ORDER BY b.id LIMIT ").bind(limit + 1);
    sql.query_as().fetch_all(conn).await
}

/// Seats promised to unredeemed uses of the license's activation codes
/// still valid at `now`.
pub async fn promised_seats(
    conn: &mut Conn,
    license_id: i64,
    now: Stamp,
) -> Result<i64, sqlx::Error> {
    crate::db::query_scalar(
        "SELECT CAST(COALESCE(SUM(max_uses - uses), 0) AS BIGINT) AS promised FROM codes \
         WHERE license_id = $1 AND kind = 'activation' AND max_uses > uses \
         AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(license_id)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// A batch row to insert (its codes are inserted separately).
pub struct NewBatch<'a> {
    pub license_id: i64,
    pub code_count: i64,
    pub users_per_code: i64,
    pub duration_days: i64,
    pub options: &'a BatchOptions,
    pub created_by: &'a str,
}

pub async fn insert_batch(
    conn: &mut Conn,
    batch: &NewBatch<'_>,
    now: Stamp,
) -> Result<i64, sqlx::Error> {
    let options = batch.options;
    crate::db::query_scalar(
        "INSERT INTO code_batches (license_id, code_count, users_per_code, duration_days, \
         enable_benchmark, enable_exercises, enable_badges, require_teacher_link, created_by, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(batch.license_id)
    .bind(batch.code_count)
    .bind(batch.users_per_code)
    .bind(batch.duration_days)
    .bind(options.enable_benchmark)
    .bind(options.enable_exercises)
    .bind(options.enable_badges)
    .bind(options.require_teacher_link)
    .bind(batch.created_by)
    .bind(now)
    .fetch_one(conn)
    .await
}

pub async fn update_batch_options(
    conn: &mut Conn,
    id: i64,
    options: &BatchOptions,
) -> Result<(), sqlx::Error> {
    crate::db::query(
        "UPDATE code_batches SET enable_benchmark = $1, enable_exercises = $2, \
         enable_badges = $3, require_teacher_link = $4 WHERE id = $5",
    )
    .bind(options.enable_benchmark)
    .bind(options.enable_exercises)
    .bind(options.enable_badges)
    .bind(options.require_teacher_link)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A line of a batch's code sheet: code, users per code, and the given
/// name, family name and email of the holder of the code's seat.
pub type SheetLine = (String, i64, Option<String>, Option<String>, Option<String>);

/// The code sheet of a batch, in code order. A batch holds at most
/// `MAX_BATCH_CODES` codes, so this is bounded.
pub async fn sheet_lines(conn: &mut Conn, batch_id: i64) -> Result<Vec<SheetLine>, sqlx::Error> {
    crate::db::query_as(
        "SELECT c.code, c.max_uses, u.given_name, u.family_name, u.email FROM codes c \
         LEFT JOIN seats s ON s.id = c.seat_id LEFT JOIN users u ON u.id = s.user_id \
         WHERE c.batch_id = $1 ORDER BY c.id",
    )
    .bind(batch_id)
    .fetch_all(conn)
    .await
}

/// What a redemption needs to know of the code.
#[derive(sqlx::FromRow)]
pub struct CodeHit {
    pub id: i64,
    pub code: String,
    pub kind: Named<CodeKind>,
    pub license_id: i64,
    pub seat_id: Option<i64>,
    pub max_uses: i64,
    pub expires_at: Option<Stamp>,
    pub org_path: String,
    pub edition: String,
}

/// The code `code` (exact), with its license's org path and edition.
pub async fn code_hit(conn: &mut Conn, code: &str) -> Result<Option<CodeHit>, sqlx::Error> {
    crate::db::query_as(
        "SELECT c.id, c.code, c.kind, c.license_id, c.seat_id, c.max_uses, c.expires_at, \
         l.org_path, p.edition FROM codes c JOIN licenses l ON l.id = c.license_id \
         JOIN products p ON p.id = l.product_id WHERE c.code = $1",
    )
    .bind(code)
    .fetch_optional(conn)
    .await
}

/// Counts one use of code `id` unless it has used up `max_uses`: false
/// then. This conditional update is the home of the rule that concurrent
/// redemptions never exceed a code's `max_uses`.
pub async fn count_use(conn: &mut Conn, id: i64) -> Result<bool, sqlx::Error> {
    let counted = crate::db::query(
        "UPDATE codes SET uses = uses + 1 WHERE id = $1 AND (max_uses <= 0 OR uses < max_uses)",
    )
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(counted != 0)
}

/// Remembers the seat a single-user code made, for the exported sheet.
pub async fn set_code_seat(conn: &mut Conn, id: i64, seat_id: i64) -> Result<(), sqlx::Error> {
    crate::db::query("UPDATE codes SET seat_id = $1 WHERE id = $2")
        .bind(seat_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn code_uses(conn: &mut Conn, id: i64) -> Result<i64, sqlx::Error> {
    crate::db::query_scalar("SELECT uses FROM codes WHERE id = $1")
        .bind(id)
        .fetch_one(conn)
        .await
}

/// Failed redemption attempts after `since` under each of `keys` that has any.
pub async fn failure_counts(
    pool: &Pool,
    keys: &[&str],
    since: Stamp,
) -> Result<HashMap<String, i64>, sqlx::Error> {
    let mut sql = Sql::new("SELECT rate_key, COUNT(*) FROM redeem_failures WHERE rate_key IN (");
    sql.bind_list(keys.iter().map(|k| (*k).to_string()))
        .push(") AND at > ")
        .bind(since)
        .push(" GROUP BY rate_key");
    let rows: Vec<(String, i64)> = sql.query_as().fetch_all(pool).await?;
    Ok(rows.into_iter().collect())
}

/// Failed redemption attempts under `key` after `since`.
pub async fn failures_since(conn: &mut Conn, key: &str, since: Stamp) -> Result<i64, sqlx::Error> {
    crate::db::query_scalar("SELECT COUNT(*) FROM redeem_failures WHERE rate_key = $1 AND at > $2")
        .bind(key)
        .bind(since)
        .fetch_one(conn)
        .await
}

/// Makes other transactions that lock `key` wait for this one to end, on
/// every replica: a PostgreSQL advisory lock on the key's hash (a shared
/// hash only makes two keys wait for each other). SQLite's write
/// transaction already excludes every other writer.
pub async fn lock_rate_key(conn: &mut Conn, key: &str) -> Result<(), sqlx::Error> {
    if conn.backend() == Backend::Postgres {
        crate::db::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(key)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The time of the failure under `key` after `since` that comes `skip`
/// failures after the oldest, if there is one.
pub async fn failure_at(
    pool: &Pool,
    key: &str,
    since: Stamp,
    skip: i64,
) -> Result<Option<Stamp>, sqlx::Error> {
    crate::db::query_scalar(
        "SELECT at FROM redeem_failures WHERE rate_key = $1 AND at > $2 \
         ORDER BY at LIMIT 1 OFFSET $3",
    )
    .bind(key)
    .bind(since)
    .bind(skip)
    .fetch_optional(pool)
    .await
}

/// Logs a failed attempt under `key` at `now`, dropping that key's
/// failures at or before `prune_until`.
pub async fn log_failure(
    conn: &mut Conn,
    key: &str,
    prune_until: Stamp,
    now: Stamp,
) -> Result<(), sqlx::Error> {
    crate::db::query("DELETE FROM redeem_failures WHERE rate_key = $1 AND at <= $2")
        .bind(key)
        .bind(prune_until)
        .execute(&mut *conn)
        .await?;
    crate::db::query("INSERT INTO redeem_failures (rate_key, at) VALUES ($1, $2)")
        .bind(key)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Who redeems a code.
#[derive(sqlx::FromRow)]
pub struct Redeemer {
    pub id: i64,
    pub kind: Named<UserKind>,
    pub status: Named<UserStatus>,
    pub org_path: String,
}

/// The user with (normalised) `email`, as a redemption checks them.
pub async fn redeemer(conn: &mut Conn, email: &str) -> Result<Option<Redeemer>, sqlx::Error> {
    crate::db::query_as("SELECT id, kind, status, org_path FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(conn)
        .await
}
