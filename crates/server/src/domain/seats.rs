//! Seat take and release: the one place a license's `seats_consumed`
//! counter moves. A seat is taken only by a conditional UPDATE that fails
//! when the license is full, inside the caller's write transaction, so no
//! interleaving of requests can over-allocate a license; and assign, claim
//! and expire, the single-seat operations built on it.

use std::collections::{BTreeMap, HashMap};

use crate::db::Conn;
use axum::http::StatusCode;
use seatdesk_core::api::seats::Claim;
use seatdesk_core::api::{ItemOutcome, ItemResult};
use seatdesk_core::{SeatStatus, UserStatus};

use crate::audit::NewEvent;
use crate::db::Backend;
use crate::db::sql::Sql;
use crate::domain::claims::load_claim;
use crate::domain::licenses::{load_license, today, unusable_reason};
use crate::domain::live::is_live;
use crate::domain::revocation::{students_block, students_block_sql};
use crate::domain::scope::Scope;
use crate::error::{ApiError, ApiResult};
use crate::mutation::Work;

/// Ids per `IN (…)` list: few statements for a bulk request, far under
/// both backends' limits on bound values.
pub const ID_CHUNK: usize = 5_000;

/// Takes one seat of `license_id` if one is free. Returns false when full.
pub async fn take_seat(conn: &mut Conn, license_id: i64, now: i64) -> ApiResult<bool> {
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
    now: i64,
) -> ApiResult<()> {
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

/// Inserts a seat row for a seat already taken with [`take_seat`].
pub async fn insert_seat(
    w: &mut Work,
    license_id: i64,
    user_id: i64,
    status: SeatStatus,
    source: &str,
) -> ApiResult<i64> {
    let now = w.now;
    let actor = w.actor.clone();
    let claimed_at = (status == SeatStatus::Active).then_some(now);
    let id: i64 = crate::db::query_scalar(
        "INSERT INTO seats (license_id, user_id, status, source, assigned_at, assigned_by, \
         claimed_at, claimed_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $5) RETURNING id",
    )
    .bind(license_id)
    .bind(user_id)
    .bind(status.as_str())
    .bind(source.to_string())
    .bind(now)
    .bind(actor.clone())
    .bind(claimed_at)
    .bind(claimed_at.map(|_| actor))
    .fetch_one(w.conn())
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => ApiError::conflict(format!(
            "user {user_id} already holds a live seat of license {license_id}"
        )),
        _ => ApiError::from(e),
    })?;
    Ok(id)
}

/// Takes a seat of `license_id` and gives it to `user_id` with `status`,
/// recording `seat.assign`; `None` when the license is full. Callers have
/// checked that the license is usable and the user may hold a seat.
pub async fn take_and_insert(
    w: &mut Work,
    license_id: i64,
    org_path: &str,
    user_id: i64,
    status: SeatStatus,
    source: &str,
) -> ApiResult<Option<(i64, Claim)>> {
    let now = w.now;
    if !take_seat(w.conn(), license_id, now).await? {
        return Ok(None);
    }
    let seat_id = insert_seat(w, license_id, user_id, status, source).await?;
    let claim = load_claim(w.conn(), seat_id).await?;
    w.record(NewEvent {
        action: "seat.assign",
        target_type: "seat",
        target_id: seat_id,
        org_path: org_path.to_string(),
        before: None,
        after: serde_json::to_value(&claim).ok(),
    });
    Ok(Some((seat_id, claim)))
}

/// Who gets a seat: a user by id or by email.
pub enum UserRef<'a> {
    Id(i64),
    Email(&'a str),
}

/// Assigns a pending seat of a license in `scope` to an active user in
/// `scope`: refused when the license is not usable or full, or the user
/// not active.
pub async fn assign(
    w: &mut Work,
    scope: &Scope,
    license_id: i64,
    user: UserRef<'_>,
) -> ApiResult<Claim> {
    let license = load_license(w.conn(), scope, license_id).await?;
    let org_path = license.org_path.clone();
    let license = license.into_api(today());
    if let Some(reason) = unusable_reason(&license) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            seatdesk_core::problem::kinds::LICENSE_NOT_USABLE,
            reason,
        ));
    }
    let (user_id, status) = find_user(w.conn(), scope, &user).await?;
    if status != UserStatus::Active.as_str() {
        return Err(ApiError::conflict(format!(
            "user {user_id} is {status}; only active users can hold seats"
        )));
    }
    let taken = take_and_insert(
        w,
        license.id,
        &org_path,
        user_id,
        SeatStatus::Pending,
        "assign",
    )
    .await?;
    let Some((_, claim)) = taken else {
        return Err(ApiError::no_seats_left(format!(
            "no seats left on license {} ({} of {} in use)",
            license.id,
            license.seats.consumed + license.seats.allocated,
            license.seats.purchased
        )));
    };
    Ok(claim)
}

/// Finds a user in scope by id or email: `(id, status)`.
async fn find_user(conn: &mut Conn, scope: &Scope, user: &UserRef<'_>) -> ApiResult<(i64, String)> {
    let (row, label): (Option<(i64, String, String)>, String) = match user {
        UserRef::Id(id) => (
            crate::db::query_as("SELECT id, status, org_path FROM users WHERE id = $1")
                .bind(*id)
                .fetch_optional(conn)
                .await?,
            format!("user {id}"),
        ),
        UserRef::Email(email) => (
            crate::db::query_as("SELECT id, status, org_path FROM users WHERE email = $1")
                .bind(email.trim().to_lowercase())
                .fetch_optional(conn)
                .await?,
            format!("user {email}"),
        ),
    };
    row.filter(|(_, _, path)| scope.contains(path))
        .map(|(id, status, _)| (id, status))
        .ok_or_else(|| ApiError::not_found(label))
}

/// The seat's license id, status and license org path, if in scope; locks
/// it on PostgreSQL.
async fn seat_for_update(
    conn: &mut Conn,
    backend: Backend,
    scope: &Scope,
    id: i64,
) -> ApiResult<(i64, String, String)> {
    let lock = if backend == Backend::Postgres {
        " FOR UPDATE OF s"
    } else {
        ""
    };
    let mut sql = Sql::new(
        "SELECT s.license_id, s.status, l.org_path FROM seats s JOIN licenses l ON l.id = s.license_id WHERE s.id = ",
    );
    sql.bind(id).push(lock);
    let row: Option<(i64, String, String)> = sql.query_as().fetch_optional(conn).await?;
    row.filter(|(_, _, path)| scope.contains(path))
        .ok_or_else(|| ApiError::not_found(format!("seat {id}")))
}

/// Marks a pending seat as claimed by its user.
pub async fn claim(w: &mut Work, backend: Backend, scope: &Scope, id: i64) -> ApiResult<Claim> {
    let (_, status, org_path) = seat_for_update(w.conn(), backend, scope, id).await?;
    if status != SeatStatus::Pending.as_str() {
        return Err(ApiError::conflict(format!(
            "seat {id} is {status}, not pending"
        )));
    }
    stamp_status(w, id, SeatStatus::Active, "claimed").await?;
    changed(w, "seat.claim", id, org_path, &status).await
}

/// Sets seat `id` to `to`, stamping `<stamp>_at` and `<stamp>_by`.
async fn stamp_status(w: &mut Work, id: i64, to: SeatStatus, stamp: &str) -> ApiResult<()> {
    crate::db::query(format!(
        "UPDATE seats SET status = $4, {stamp}_at = $1, {stamp}_by = $3, updated_at = $1 WHERE id = $2"
    ))
    .bind(w.now)
    .bind(id)
    .bind(w.actor.clone())
    .bind(to.as_str())
    .execute(w.conn())
    .await?;
    Ok(())
}

/// Records `action` on seat `id`, which was `before`; answers the claim now.
async fn changed(
    w: &mut Work,
    action: &'static str,
    id: i64,
    org_path: String,
    before: &str,
) -> ApiResult<Claim> {
    let claim = load_claim(w.conn(), id).await?;
    w.record(NewEvent {
        action,
        target_type: "seat",
        target_id: id,
        org_path,
        before: Some(serde_json::json!({ "status": before })),
        after: serde_json::to_value(&claim).ok(),
    });
    Ok(claim)
}

/// Ends a live seat's validity and frees it, unless the student-edition
/// rule ([`students_block`]) refuses.
pub async fn expire(w: &mut Work, backend: Backend, scope: &Scope, id: i64) -> ApiResult<Claim> {
    lock_licenses_of_seats(w.conn(), backend, &[id]).await?;
    let (license_id, status, org_path) = seat_for_update(w.conn(), backend, scope, id).await?;
    if !is_live(&status) {
        return Err(ApiError::conflict(format!(
            "seat {id} is {status}; only live seats expire"
        )));
    }
    if let Some(reason) = students_block(w.conn(), id).await? {
        return Err(ApiError::conflict(reason));
    }
    stamp_status(w, id, SeatStatus::Expired, "expired").await?;
    let now = w.now;
    release_seats(w.conn(), license_id, 1, now).await?;
    shift_teacher_counts(w, &[id], -1).await?;
    changed(w, "seat.expire", id, org_path, &status).await
}

/// Locks licenses in id order on PostgreSQL (SQLite's one writer needs no
/// row locks). Every seat change locks its licenses before any seat row, as
/// assignment does (its counter UPDATE comes before the seat INSERT), so two
/// requests never wait for each other's rows in opposite orders.
pub async fn lock_licenses(
    conn: &mut Conn,
    backend: Backend,
    ids: impl IntoIterator<Item = i64>,
) -> ApiResult<()> {
    if backend != Backend::Postgres {
        return Ok(());
    }
    let mut ids: Vec<i64> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(ID_CHUNK) {
        let mut sql = Sql::new_for(backend, "SELECT id FROM licenses WHERE id IN (");
        sql.bind_list(chunk.iter().copied())
            .push(") ORDER BY id FOR UPDATE");
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Locks the licenses `seat_ids` belong to, in id order (PostgreSQL only).
/// Read without locks: a seat never moves to another license.
pub async fn lock_licenses_of_seats(
    conn: &mut Conn,
    backend: Backend,
    seat_ids: &[i64],
) -> ApiResult<()> {
    if backend != Backend::Postgres {
        return Ok(());
    }
    // One statement, whatever the number of seats.
    let mut sql = Sql::new_for(
        backend,
        "SELECT id FROM licenses WHERE id IN (SELECT license_id FROM seats WHERE id",
    );
    sql.bind_id_set(seat_ids).push(") ORDER BY id FOR UPDATE");
    sql.query().execute(&mut *conn).await?;
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
    pub revoked_at: Option<i64>,
    pub org_path: String,
    pub user_name: String,
    pub user_email: String,
}

/// The seats of `ids`, locked in id order on PostgreSQL so that
/// overlapping bulk requests cannot deadlock.
pub async fn load_bulk_seats(
    conn: &mut Conn,
    backend: Backend,
    ids: &[i64],
) -> ApiResult<HashMap<i64, BulkSeat>> {
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
    if backend == Backend::Postgres {
        sql.push(" ORDER BY s.id FOR UPDATE OF s");
    }
    let rows: Vec<BulkSeat> = sql.query_as().fetch_all(&mut *conn).await?;
    found.extend(rows.into_iter().map(|r| (r.id, r)));
    Ok(found)
}

/// Moves the `students_assigned` count of the teachers whose students hold
/// `student_seats` by `delta` per student (−1 when those seats end, +1 when
/// they are restored), recording one event per teacher seat changed.
/// Seats not linked to a teacher are ignored.
pub async fn shift_teacher_counts(
    w: &mut Work,
    student_seats: &[i64],
    delta: i64,
) -> ApiResult<()> {
    if student_seats.is_empty() {
        return Ok(());
    }
    let backend = w.conn().backend();
    let mut per_teacher: BTreeMap<i64, i64> = BTreeMap::new();
    for chunk in student_seats.chunks(ID_CHUNK) {
        let mut sql = Sql::new_for(
            backend,
            "SELECT teacher_seat_id FROM seats WHERE teacher_seat_id IS NOT NULL AND id IN (",
        );
        sql.bind_list(chunk.iter().copied()).push(")");
        let teachers: Vec<i64> = sql.query_scalar().fetch_all(w.conn()).await?;
        for teacher in teachers {
            *per_teacher.entry(teacher).or_default() += 1;
        }
    }
    let now = w.now;
    for event in shift_teachers(w.conn(), &per_teacher, delta, now).await? {
        w.record(event);
    }
    Ok(())
}

/// Moves each teacher seat's `students_assigned` by `delta` times its
/// count in `per_teacher` (never below zero); one event per seat changed.
pub async fn shift_teachers(
    conn: &mut Conn,
    per_teacher: &BTreeMap<i64, i64>,
    delta: i64,
    now: i64,
) -> ApiResult<Vec<NewEvent>> {
    let mut events = Vec::with_capacity(per_teacher.len());
    for (&teacher_seat, &students) in per_teacher {
        let change = students * delta;
        let row: Option<(i64, String)> = crate::db::query_as(
            "UPDATE seats SET students_assigned = CASE WHEN students_assigned + $1 < 0 THEN 0 \
             ELSE students_assigned + $1 END, updated_at = $2 \
             WHERE id = $3 RETURNING students_assigned, \
             (SELECT l.org_path FROM licenses l WHERE l.id = seats.license_id)",
        )
        .bind(change)
        .bind(now)
        .bind(teacher_seat)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some((assigned, org_path)) = row {
            events.push(NewEvent {
                action: if delta < 0 {
                    "seat.student_unassign"
                } else {
                    "seat.student_assign"
                },
                target_type: "seat",
                target_id: teacher_seat,
                org_path,
                before: Some(serde_json::json!({ "students_assigned": assigned - change })),
                after: Some(serde_json::json!({ "students_assigned": assigned })),
            });
        }
    }
    Ok(events)
}

/// A bulk item refused for `reason`.
pub fn refused(id: i64, reason: String) -> ItemResult {
    ItemResult {
        id,
        outcome: ItemOutcome::Refused,
        reason: Some(reason),
    }
}

/// A bulk item done.
pub fn done(id: i64) -> ItemResult {
    ItemResult {
        id,
        outcome: ItemOutcome::Done,
        reason: None,
    }
}
