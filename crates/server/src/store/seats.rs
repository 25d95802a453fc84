//! Seats and the license counters they move: take and release, seat rows
//! and their status stamps, license and seat locks, bulk reads, teacher
//! counts, revocation and restore statements, the Teacher List. Which of
//! these run, in which order and with which refusals is decided in
//! [`crate::domain::seats`], [`crate::domain::revocation`] and
//! [`crate::domain::restore`].

use std::collections::HashMap;

use seatdesk_core::api::seats::{Teacher, TeacherQuery};
use seatdesk_core::{LicenseStatus, SeatStatus};

use crate::db::sql::Sql;
use crate::db::types::{Day, Named, Stamp};
use crate::db::{Backend, Conn};
use crate::domain::live::live_seat;
use crate::domain::revocation::students_block_sql;
use crate::domain::scope::Scope;

/// Ids per `IN (…)` list: few statements for a bulk request, far under
/// both backends' limits on bound values.
pub const ID_CHUNK: usize = 5_000;

/// Takes one seat of `license_id` if one is free; false when full. This
/// conditional UPDATE is the home of the no-over-allocation rule (see
/// [`crate::domain::seats::take_seat`]): it fails when the license is
/// full, so no interleaving of requests can take more seats than it has.
pub async fn take_seat(conn: &mut Conn, license_id: i64, now: Stamp) -> Result<bool, sqlx::Error> {
    let taken = crate::db::query(
        "UPDATE licenses SET seats_consumed = seats_consumed + 1, updated_at = $1 \
         WHERE id = $2 AND seats_consumed + seats_allocated < seats_purchased",
    )
    .bind(now)
    .bind(license_id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(taken == 1)
}

/// Gives `count` seats of `license_id` back.
pub async fn release_seats(
    conn: &mut Conn,
    license_id: i64,
    count: i64,
    now: Stamp,
) -> Result<(), sqlx::Error> {
    crate::db::query(
        "UPDATE licenses SET seats_consumed = seats_consumed - $1, updated_at = $2 WHERE id = $3",
    )
    .bind(count)
    .bind(now)
    .bind(license_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A seat row to insert: claimed already when `status` is active.
pub struct NewSeat<'a> {
    pub license_id: i64,
    pub user_id: i64,
    pub status: SeatStatus,
    pub source: &'a str,
    pub actor: &'a str,
}

/// Inserts a seat row (for a seat already taken); returns its id. A second
/// live seat of the same user and license is a unique violation.
pub async fn insert_seat(
    conn: &mut Conn,
    seat: &NewSeat<'_>,
    now: Stamp,
) -> Result<i64, sqlx::Error> {
    let claimed_at = (seat.status == SeatStatus::Active).then_some(now);
    crate::db::query_scalar(
        "INSERT INTO seats (license_id, user_id, status, source, assigned_at, assigned_by, \
         claimed_at, claimed_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $5) RETURNING id",
    )
    .bind(seat.license_id)
    .bind(seat.user_id)
    .bind(seat.status.as_str())
    .bind(seat.source)
    .bind(now)
    .bind(seat.actor)
    .bind(claimed_at)
    .bind(claimed_at.map(|_| seat.actor))
    .fetch_one(conn)
    .await
}

/// A user by id: `(id, status, org_path)`.
pub async fn user_by_id(
    conn: &mut Conn,
    id: i64,
) -> Result<Option<(i64, String, String)>, sqlx::Error> {
    crate::db::query_as("SELECT id, status, org_path FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// A user by (normalised) email: `(id, status, org_path)`.
pub async fn user_by_email(
    conn: &mut Conn,
    email: &str,
) -> Result<Option<(i64, String, String)>, sqlx::Error> {
    crate::db::query_as("SELECT id, status, org_path FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(conn)
        .await
}

/// The seat's license id, status and license org path; locks the seat row
/// on PostgreSQL.
pub async fn seat_for_update(
    conn: &mut Conn,
    backend: Backend,
    id: i64,
) -> Result<Option<(i64, String, String)>, sqlx::Error> {
    let lock = if backend == Backend::Postgres {
        " FOR UPDATE OF s"
    } else {
        ""
    };
    let mut sql = Sql::new(
        "SELECT s.license_id, s.status, l.org_path FROM seats s JOIN licenses l ON l.id = s.license_id WHERE s.id = ",
    );
    sql.bind(id).push(lock);
    sql.query_as().fetch_optional(conn).await
}

/// The pair of columns a status change stamps.
#[derive(Debug, Clone, Copy)]
pub enum SeatStamp {
    Claimed,
    Expired,
}

/// Sets seat `id` to `to`, stamping `claimed_at/_by` or `expired_at/_by`.
pub async fn set_status(
    conn: &mut Conn,
    id: i64,
    to: SeatStatus,
    stamp: SeatStamp,
    actor: &str,
    now: Stamp,
) -> Result<(), sqlx::Error> {
    let stamp = match stamp {
        SeatStamp::Claimed => "claimed",
        SeatStamp::Expired => "expired",
    };
    crate::db::query(format!(
        "UPDATE seats SET status = $4, {stamp}_at = $1, {stamp}_by = $3, updated_at = $1 WHERE id = $2"
    ))
    .bind(now)
    .bind(id)
    .bind(actor)
    .bind(to.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// Locks `ids` (sorted, distinct) with `SELECT … FOR UPDATE`, in id order.
/// PostgreSQL only: SQLite has no row locks.
pub async fn lock_licenses(conn: &mut Conn, ids: &[i64]) -> Result<(), sqlx::Error> {
    let backend = conn.backend();
    for chunk in ids.chunks(ID_CHUNK) {
        let mut sql = Sql::new_for(backend, "SELECT id FROM licenses WHERE id IN (");
        sql.bind_list(chunk.iter().copied())
            .push(") ORDER BY id FOR UPDATE");
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// What bulk operations need to know of one seat.
#[derive(sqlx::FromRow)]
pub struct BulkSeat {
    pub id: i64,
    pub license_id: i64,
    pub user_id: i64,
    pub status: String,
    pub status_before_revoke: Option<String>,
    /// Set when [`students_block_sql`] holds for the seat.
    pub students_block: i64,
    pub students_assigned: i64,
    pub revoked_at: Option<Stamp>,
    pub org_path: String,
    pub user_name: String,
    pub user_email: String,
}

/// Whether [`load_bulk_seats`] locks the rows it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatLock {
    /// Locked in id order on PostgreSQL, so overlapping bulk requests
    /// cannot deadlock (a restore, which changes the rows next).
    Lock,
    /// Read only (a revocation explaining the seats it left alone: its
    /// license rows are locked by then, and waiting for seat rows while
    /// holding them would invert the seats-then-license order).
    Read,
}

/// The seats of `ids`, locked or not as `lock` says.
pub async fn load_bulk_seats(
    conn: &mut Conn,
    ids: &[i64],
    lock: SeatLock,
) -> Result<HashMap<i64, BulkSeat>, sqlx::Error> {
    let backend = conn.backend();
    let mut found = HashMap::with_capacity(ids.len());
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(found);
    }
    let mut sql = Sql::new_for(
        backend,
        &format!(
            "SELECT s.id, s.license_id, s.user_id, s.status, s.status_before_revoke, \
             CAST(CASE WHEN {} THEN 1 ELSE 0 END AS BIGINT) AS students_block, \
             s.students_assigned, s.revoked_at, l.org_path, \
             u.given_name || ' ' || u.family_name AS user_name, u.email AS user_email \
             FROM seats s JOIN licenses l ON l.id = s.license_id \
             JOIN users u ON u.id = s.user_id WHERE s.id",
            students_block_sql("s")
        ),
    );
    sql.bind_id_set(&ids);
    if backend == Backend::Postgres && lock == SeatLock::Lock {
        sql.push(" ORDER BY s.id FOR UPDATE OF s");
    }
    let rows: Vec<BulkSeat> = sql.query_as().fetch_all(&mut *conn).await?;
    found.extend(rows.into_iter().map(|r| (r.id, r)));
    Ok(found)
}

/// The teacher seat of each of `student_seats` that has one (a teacher
/// seat appears once per student), read in [`ID_CHUNK`]s.
pub async fn teachers_of(conn: &mut Conn, student_seats: &[i64]) -> Result<Vec<i64>, sqlx::Error> {
    let backend = conn.backend();
    let mut teachers = Vec::new();
    for chunk in student_seats.chunks(ID_CHUNK) {
        let mut sql = Sql::new_for(
            backend,
            "SELECT teacher_seat_id FROM seats WHERE teacher_seat_id IS NOT NULL AND id IN (",
        );
        sql.bind_list(chunk.iter().copied()).push(")");
        let rows: Vec<i64> = sql.query_scalar().fetch_all(&mut *conn).await?;
        teachers.extend(rows);
    }
    Ok(teachers)
}

/// Moves teacher seat `id`'s `students_assigned` by `change`, never below
/// zero: the new count and the license's org path, if the seat exists.
pub async fn shift_students(
    conn: &mut Conn,
    id: i64,
    change: i64,
    now: Stamp,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    crate::db::query_as(
        "UPDATE seats SET students_assigned = CASE WHEN students_assigned + $1 < 0 THEN 0 \
         ELSE students_assigned + $1 END, updated_at = $2 \
         WHERE id = $3 RETURNING students_assigned, \
         (SELECT l.org_path FROM licenses l WHERE l.id = seats.license_id)",
    )
    .bind(change)
    .bind(now)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Adds a student to teacher seat `id` if it is live: the new count, or
/// `None` when the seat is no longer live. Conditional, so a concurrent
/// revocation of the seat either waits for this or makes it fail.
pub async fn add_student(conn: &mut Conn, id: i64, now: Stamp) -> Result<Option<i64>, sqlx::Error> {
    crate::db::query_scalar(format!(
        "UPDATE seats SET students_assigned = students_assigned + 1, updated_at = $1 \
         WHERE id = $2 AND {} RETURNING students_assigned",
        live_seat("status")
    ))
    .bind(now)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The students-assigned count, name and email of the holder of seat
/// `seat_id`, if [`students_block_sql`] holds for it.
pub async fn students_block(
    conn: &mut Conn,
    seat_id: i64,
) -> Result<Option<(i64, String, String)>, sqlx::Error> {
    crate::db::query_as(format!(
        "SELECT s.students_assigned, u.given_name || ' ' || u.family_name, u.email \
         FROM seats s JOIN users u ON u.id = s.user_id WHERE s.id = $1 AND {}",
        students_block_sql("s")
    ))
    .bind(seat_id)
    .fetch_optional(conn)
    .await
}

/// Revokes one seat, remembering its status for a restore.
pub async fn revoke_seat(
    conn: &mut Conn,
    seat_id: i64,
    actor: &str,
    now: Stamp,
) -> Result<(), sqlx::Error> {
    crate::db::query(
        "UPDATE seats SET status_before_revoke = status, status = 'revoked', revoked_at = $1, \
         revoked_by = $2, updated_at = $1 WHERE id = $3",
    )
    .bind(now)
    .bind(actor)
    .bind(seat_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A seat [`revoke_in_scope`] revoked, as its UPDATE returned it.
#[derive(sqlx::FromRow)]
pub struct RevokedSeat {
    pub id: i64,
    pub license_id: i64,
    pub user_id: i64,
    pub status_before_revoke: String,
    pub teacher_seat_id: Option<i64>,
    pub org_path: String,
}

/// Revokes, in one set-based UPDATE with the ids bound as one value, those
/// of `ids` (sorted, distinct) that are not revoked yet, lie in `scope`
/// and are not held back by [`students_block_sql`].
pub async fn revoke_in_scope(
    conn: &mut Conn,
    scope: &Scope,
    ids: &[i64],
    actor: &str,
    now: Stamp,
) -> Result<Vec<RevokedSeat>, sqlx::Error> {
    let mut sql = Sql::new_for(
        conn.backend(),
        "UPDATE seats SET status_before_revoke = status, status = 'revoked', revoked_at = ",
    );
    sql.bind(now).push(", revoked_by = ").bind(actor);
    sql.push(", updated_at = ").bind(now).push(" WHERE id");
    sql.bind_id_set(ids);
    sql.push(&format!(
        " AND status <> 'revoked' \
         AND license_id IN (SELECT l.id FROM licenses l WHERE {}) AND NOT {} \
         RETURNING id, license_id, user_id, status_before_revoke, teacher_seat_id, \
         (SELECT l.org_path FROM licenses l WHERE l.id = seats.license_id) AS org_path",
        scope.sql("l.org_path"),
        students_block_sql("seats"),
    ));
    sql.query_as().fetch_all(&mut *conn).await
}

/// Another live seat of `license_id` held by `user_id`, if any.
pub async fn live_seat_of(
    conn: &mut Conn,
    license_id: i64,
    user_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    crate::db::query_scalar(format!(
        "SELECT id FROM seats WHERE license_id = $1 AND user_id = $2 AND {}",
        live_seat("status")
    ))
    .bind(license_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await
}

/// A license's status and the last day of its grace period.
pub async fn license_standing(
    conn: &mut Conn,
    license_id: i64,
) -> Result<(Named<LicenseStatus>, Day), sqlx::Error> {
    crate::db::query_as("SELECT status, grace_until FROM licenses WHERE id = $1")
        .bind(license_id)
        .fetch_one(conn)
        .await
}

/// Puts a revoked seat back to `status`, forgetting the revocation.
pub async fn unrevoke(
    conn: &mut Conn,
    id: i64,
    status: SeatStatus,
    now: Stamp,
) -> Result<(), sqlx::Error> {
    crate::db::query(
        "UPDATE seats SET status = $1, status_before_revoke = NULL, revoked_at = NULL, \
         revoked_by = NULL, updated_at = $2 WHERE id = $3",
    )
    .bind(status.as_str())
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Which of a seat's link columns [`set_link`] writes.
#[derive(Debug, Clone, Copy)]
pub enum SeatLink {
    /// The code redeemed for the seat (feeds the leaked-code alert).
    CodeId,
    /// The seat of the teacher whose class the student joined.
    TeacherSeat,
}

/// Links seat `id` to a code or a teacher seat.
pub async fn set_link(
    conn: &mut Conn,
    id: i64,
    link: SeatLink,
    to: i64,
) -> Result<(), sqlx::Error> {
    let text = match link {
        SeatLink::CodeId => "UPDATE seats SET code_id = $1 WHERE id = $2",
        SeatLink::TeacherSeat => "UPDATE seats SET teacher_seat_id = $1 WHERE id = $2",
    };
    crate::db::query(text)
        .bind(to)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Gives seat `id` the redemption code its students will use.
pub async fn set_redemption_code(conn: &mut Conn, id: i64, code: &str) -> Result<(), sqlx::Error> {
    crate::db::query("UPDATE seats SET redemption_code = $1 WHERE id = $2")
        .bind(code)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A teacher holding a seat of a license (Teacher List tab).
#[derive(sqlx::FromRow)]
pub struct TeacherRow {
    pub seat_id: i64,
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub org_name: String,
    pub status: Named<SeatStatus>,
    pub redemption_code: Option<String>,
    pub students_assigned: i64,
    pub assigned_at: Stamp,
    pub claimed_at: Option<Stamp>,
}

impl From<TeacherRow> for Teacher {
    fn from(r: TeacherRow) -> Teacher {
        Teacher {
            seat_id: r.seat_id,
            user_id: r.user_id,
            name: r.name,
            email: r.email,
            org_name: r.org_name,
            status: r.status.0,
            redemption_code: r.redemption_code,
            students_assigned: r.students_assigned,
            assigned_at: r.assigned_at.0,
            claimed_at: r.claimed_at.map(|t| t.0),
        }
    }
}

/// Teachers holding seats of `license_id` (live ones unless `query.all`),
/// matching `query.q`, by seat id after `after`: `limit` rows plus one.
pub async fn teachers(
    conn: &mut Conn,
    license_id: i64,
    query: &TeacherQuery,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<TeacherRow>, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT s.id AS seat_id, u.id AS user_id, u.given_name || ' ' || u.family_name AS name, \
         u.email, o.name AS org_name, s.status, s.redemption_code, s.students_assigned, \
         s.assigned_at, s.claimed_at \
         FROM seats s JOIN users u ON u.id = s.user_id JOIN orgs o ON o.id = u.org_id \
         WHERE u.kind = 'teacher' AND s.license_id = ",
    );
    sql.bind(license_id);
    if !query.all.unwrap_or(false) {
        sql.push(" AND ").push(&live_seat("s.status"));
    }
    if let Some(text) = query.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = crate::db::sql::contains_pattern(text);
        sql.push(" AND (LOWER(u.given_name || ' ' || u.family_name) LIKE ")
            .bind_like(pattern.clone())
            .push(" OR LOWER(u.email) LIKE ")
            .bind_like(pattern)
            .push(")");
    }
    if let Some(after) = after {
        sql.push(" AND s.id > ").bind(after);
    }
    sql.push(" ORDER BY s.id LIMIT ").bind(limit + 1);
    sql.query_as().fetch_all(conn).await
}
