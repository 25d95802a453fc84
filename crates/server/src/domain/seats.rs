//! Seat take and release: the one place a license's `seats_consumed`
//! counter moves. A seat is taken only by a conditional update that fails
//! when the license is full, inside the caller's write transaction, so no
//! interleaving of requests can over-allocate a license; and assign, claim
//! and expire, the single-seat operations built on it.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use seatdesk_core::api::seats::Claim;
use seatdesk_core::api::{ItemOutcome, ItemResult};
use seatdesk_core::{SeatStatus, UserStatus};

use crate::db::types::Stamp;
use crate::db::{Backend, Conn};
use crate::domain::claims::load_claim;
use crate::domain::licenses::{load_license, today, unusable_reason};
use crate::domain::live::is_live;
use crate::domain::revocation::students_block;
use crate::domain::scope::Scope;
use crate::error::{ApiError, ApiResult};
use crate::mutation::Work;
use crate::store::audit::NewEvent;
use crate::store::seats::{self as store, NewSeat, SeatStamp};

/// Takes one seat of `license_id` if one is free. Returns false when full.
/// The statement's condition is the rule ([`store::take_seat`]).
pub async fn take_seat(conn: &mut Conn, license_id: i64, now: Stamp) -> ApiResult<bool> {
    Ok(store::take_seat(conn, license_id, now).await?)
}

/// Gives `count` seats of `license_id` back.
pub async fn release_seats(
    conn: &mut Conn,
    license_id: i64,
    count: i64,
    now: Stamp,
) -> ApiResult<()> {
    Ok(store::release_seats(conn, license_id, count, now).await?)
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
    let seat = NewSeat {
        license_id,
        user_id,
        status,
        source,
        actor: &actor,
    };
    let id = store::insert_seat(w.conn(), &seat, now)
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
        UserRef::Id(id) => (store::user_by_id(conn, *id).await?, format!("user {id}")),
        UserRef::Email(email) => (
            store::user_by_email(conn, &email.trim().to_lowercase()).await?,
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
    let row = store::seat_for_update(conn, backend, id).await?;
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
    stamp_status(w, id, SeatStatus::Active, SeatStamp::Claimed).await?;
    changed(w, "seat.claim", id, org_path, &status).await
}

/// Sets seat `id` to `to`, stamping the columns of `which`.
async fn stamp_status(w: &mut Work, id: i64, to: SeatStatus, which: SeatStamp) -> ApiResult<()> {
    let (now, actor) = (w.now, w.actor.clone());
    store::set_status(w.conn(), id, to, which, &actor, now).await?;
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
    let (license_id, status, org_path) = seat_for_update(w.conn(), backend, scope, id).await?;
    if !is_live(&status) {
        return Err(ApiError::conflict(format!(
            "seat {id} is {status}; only live seats expire"
        )));
    }
    if let Some(reason) = students_block(w.conn(), id).await? {
        return Err(ApiError::conflict(reason));
    }
    stamp_status(w, id, SeatStatus::Expired, SeatStamp::Expired).await?;
    let now = w.now;
    release_seats(w.conn(), license_id, 1, now).await?;
    shift_teacher_counts(w, &[id], -1).await?;
    changed(w, "seat.expire", id, org_path, &status).await
}

/// Locks licenses in id order on PostgreSQL (SQLite's one writer needs no
/// row locks). Seat changes do not take it: the seat limit is the
/// conditional counter UPDATE of [`take_seat`], and the counters a change
/// moves lock their license from that statement to commit only. Restore
/// keeps it, taken after its seat rows as every change takes them, so its
/// "no other live seat of this license" check and the re-take of the seat
/// cannot interleave with another restore's.
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
    store::lock_licenses(conn, &ids).await?;
    Ok(())
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
    let mut per_teacher: BTreeMap<i64, i64> = BTreeMap::new();
    for teacher in store::teachers_of(w.conn(), student_seats).await? {
        *per_teacher.entry(teacher).or_default() += 1;
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
    now: Stamp,
) -> ApiResult<Vec<NewEvent>> {
    let mut events = Vec::with_capacity(per_teacher.len());
    for (&teacher_seat, &students) in per_teacher {
        let change = students * delta;
        let row = store::shift_students(&mut *conn, teacher_seat, change, now).await?;
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
