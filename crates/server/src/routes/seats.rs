//! Seat assignments: assign, claim, expire, bulk revoke and restore. Every
//! change of a live seat moves the license's `seats_consumed` counter in the
//! same transaction, and the counter only grows through a conditional UPDATE,
//! so no interleaving of requests can over-allocate a license.

pub mod bulk;
pub mod claims;
pub mod teachers;

pub use bulk::{BulkOptions, revoke_seats};

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use seatdesk_core::api::seats::NewAssignment;
use seatdesk_core::seats::DateStanding;
use seatdesk_core::{Edition, LicenseStatus, Permission, Problem, SeatStatus, UserStatus};
use sqlx::AnyConnection;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::audit::NewEvent;
use crate::db::Backend;
use crate::db::sql::Sql;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json, Path};
use crate::mutation::{self, Work};
use crate::routes::licenses::{load_license, today};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(assign))
        .routes(routes!(claim))
        .routes(routes!(expire))
        .merge(bulk::routes())
        .merge(claims::routes())
        .merge(teachers::routes())
}

/// Why a license cannot take new seats right now, if it cannot.
pub fn unusable_reason(license: &seatdesk_core::api::inventory::License) -> Option<String> {
    let id = license.id;
    match license.status {
        LicenseStatus::Requested => Some(format!("license {id} is a request not yet approved")),
        LicenseStatus::Deactivated => Some(format!("license {id} is deactivated")),
        LicenseStatus::Expired => Some(format!("license {id} expired on {}", license.finish_date)),
        _ if license.standing == DateStanding::NotStarted => {
            Some(format!("license {id} starts on {}", license.start_date))
        }
        _ => None,
    }
}

/// Takes one seat of `license_id` if one is free. Returns false when full.
pub async fn take_seat(conn: &mut AnyConnection, license_id: i64, now: i64) -> ApiResult<bool> {
    let taken = sqlx::query(
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
    let id: i64 = sqlx::query_scalar(
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

/// Assigns a seat of a license to a user (status pending until claimed).
#[utoipa::path(post, path = "/v1/seats", tag = "seats", security(("bearer" = [])),
    request_body = NewAssignment,
    responses((status = 201, body = seatdesk_core::api::seats::Claim),
              (status = 409, description = "No seats left, or already assigned", body = Problem),
              (status = "4XX", body = Problem)))]
async fn assign(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Json(body): Json<NewAssignment>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageSeats)?;
    if body.user_id.is_none() == body.email.is_none() {
        return Err(ApiError::invalid("give exactly one of user_id or email"));
    }
    let fingerprint = mutation::fingerprint("assign", &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let license = load_license(w.conn(), &auth, body.license_id).await?;
        let org_path = license.org_path.clone();
        let license = license.into_api(today());
        if let Some(reason) = unusable_reason(&license) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                seatdesk_core::problem::kinds::LICENSE_NOT_USABLE,
                reason,
            ));
        }
        let user = find_user(w.conn(), &auth, body.user_id, body.email.as_deref()).await?;
        if user.1 != UserStatus::Active.as_str() {
            return Err(ApiError::conflict(format!(
                "user {} is {}; only active users can hold seats",
                user.0, user.1
            )));
        }
        let now = w.now;
        if !take_seat(w.conn(), license.id, now).await? {
            return Err(ApiError::no_seats_left(format!(
                "no seats left on license {} ({} of {} in use)",
                license.id,
                license.seats.consumed + license.seats.allocated,
                license.seats.purchased
            )));
        }
        let seat_id = insert_seat(w, license.id, user.0, SeatStatus::Pending, "assign").await?;
        let claim = claims::load_claim(w.conn(), seat_id).await?;
        w.record(NewEvent {
            action: "seat.assign",
            target_type: "seat",
            target_id: seat_id,
            org_path,
            before: None,
            after: serde_json::to_value(&claim).ok(),
        });
        Ok((StatusCode::CREATED, claim))
    })
    .await
}

/// Finds a user in scope by id or email: `(id, status)`.
async fn find_user(
    conn: &mut AnyConnection,
    auth: &Auth,
    id: Option<i64>,
    email: Option<&str>,
) -> ApiResult<(i64, String)> {
    let row: Option<(i64, String, String)> = match (id, email) {
        (Some(id), _) => {
            sqlx::query_as("SELECT id, status, org_path FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(conn)
                .await?
        }
        (None, Some(email)) => {
            sqlx::query_as("SELECT id, status, org_path FROM users WHERE email = $1")
                .bind(email.trim().to_lowercase())
                .fetch_optional(conn)
                .await?
        }
        (None, None) => None,
    };
    let label = id
        .map(|i| format!("user {i}"))
        .or(email.map(|e| format!("user {e}")))
        .unwrap_or_else(|| "user".into());
    row.filter(|(_, _, path)| auth.in_scope(path))
        .map(|(id, status, _)| (id, status))
        .ok_or_else(|| ApiError::not_found(label))
}

/// The seat's license org path and status, if in scope; locks it on PostgreSQL.
async fn seat_for_update(
    conn: &mut AnyConnection,
    backend: Backend,
    auth: &Auth,
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
    row.filter(|(_, _, path)| auth.in_scope(path))
        .ok_or_else(|| ApiError::not_found(format!("seat {id}")))
}

/// Marks a pending seat as claimed by its user.
#[utoipa::path(post, path = "/v1/seats/{id}/claim", tag = "seats", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Seat id")),
    responses((status = 200, body = seatdesk_core::api::seats::Claim), (status = "4XX", body = Problem)))]
async fn claim(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageSeats)?;
    let fingerprint = mutation::fingerprint(&format!("claim:{id}"), &());
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let (_, status, org_path) = seat_for_update(w.conn(), state.db.backend, &auth, id).await?;
        if status != SeatStatus::Pending.as_str() {
            return Err(ApiError::conflict(format!(
                "seat {id} is {status}, not pending"
            )));
        }
        sqlx::query(
            "UPDATE seats SET status = 'active', claimed_at = $1, claimed_by = $3, updated_at = $1 WHERE id = $2",
        )
        .bind(w.now)
        .bind(id)
        .bind(w.actor.clone())
        .execute(w.conn())
        .await?;
        let claim = claims::load_claim(w.conn(), id).await?;
        w.record(NewEvent {
            action: "seat.claim",
            target_type: "seat",
            target_id: id,
            org_path,
            before: Some(serde_json::json!({ "status": status })),
            after: serde_json::to_value(&claim).ok(),
        });
        Ok((StatusCode::OK, claim))
    })
    .await
}

/// Ends a live seat's validity; the seat is freed for someone else.
#[utoipa::path(post, path = "/v1/seats/{id}/expire", tag = "seats", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Seat id")),
    responses((status = 200, body = seatdesk_core::api::seats::Claim), (status = "4XX", body = Problem)))]
async fn expire(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageSeats)?;
    let fingerprint = mutation::fingerprint(&format!("expire:{id}"), &());
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        lock_licenses_of_seats(w.conn(), state.db.backend, &[id]).await?;
        let (license_id, status, org_path) =
            seat_for_update(w.conn(), state.db.backend, &auth, id).await?;
        let live = SeatStatus::parse(&status).is_some_and(SeatStatus::consumes_seat);
        if !live {
            return Err(ApiError::conflict(format!(
                "seat {id} is {status}; only live seats expire"
            )));
        }
        if let Some(reason) = students_block(w.conn(), id).await? {
            return Err(ApiError::conflict(reason));
        }
        sqlx::query(
            "UPDATE seats SET status = 'expired', expired_at = $1, expired_by = $3, updated_at = $1 WHERE id = $2",
        )
        .bind(w.now)
        .bind(id)
        .bind(w.actor.clone())
        .execute(w.conn())
        .await?;
        let now = w.now;
        release_seats(w.conn(), license_id, 1, now).await?;
        shift_teacher_counts(w, &[id], -1).await?;
        let claim = claims::load_claim(w.conn(), id).await?;
        w.record(NewEvent {
            action: "seat.expire",
            target_type: "seat",
            target_id: id,
            org_path,
            before: Some(serde_json::json!({ "status": status })),
            after: serde_json::to_value(&claim).ok(),
        });
        Ok((StatusCode::OK, claim))
    })
    .await
}

pub async fn release_seats(
    conn: &mut AnyConnection,
    license_id: i64,
    count: i64,
    now: i64,
) -> ApiResult<()> {
    sqlx::query(
        "UPDATE licenses SET seats_consumed = seats_consumed - $1, updated_at = $2 WHERE id = $3",
    )
    .bind(count)
    .bind(now)
    .bind(license_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Locks licenses in id order on PostgreSQL (SQLite's one writer needs no
/// row locks). Every seat change locks its licenses before any seat row, as
/// assignment does (its counter UPDATE comes before the seat INSERT), so two
/// requests never wait for each other's rows in opposite orders.
pub async fn lock_licenses(
    conn: &mut AnyConnection,
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
async fn lock_licenses_of_seats(
    conn: &mut AnyConnection,
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
    let backend = Backend::of(w.conn());
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
async fn shift_teachers(
    conn: &mut AnyConnection,
    per_teacher: &BTreeMap<i64, i64>,
    delta: i64,
    now: i64,
) -> ApiResult<Vec<NewEvent>> {
    let mut events = Vec::with_capacity(per_teacher.len());
    for (&teacher_seat, &students) in per_teacher {
        let change = students * delta;
        let row: Option<(i64, String)> = sqlx::query_as(
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

/// Why a license cannot take a restored seat back: not active, or past grace.
async fn license_closed(conn: &mut AnyConnection, license_id: i64) -> ApiResult<Option<String>> {
    let (status, grace_until): (String, String) =
        sqlx::query_as("SELECT status, grace_until FROM licenses WHERE id = $1")
            .bind(license_id)
            .fetch_one(conn)
            .await?;
    let today = today().to_string();
    Ok(
        if status != LicenseStatus::Active.as_str() && status != LicenseStatus::Depleted.as_str() {
            Some(format!("license {license_id} is {status}"))
        } else if grace_until < today {
            Some(format!("license {license_id} has expired"))
        } else {
            None
        },
    )
}

/// Why a student-edition seat may not be given up: its teacher still has
/// students assigned (the teacher must remove them first).
async fn students_block(conn: &mut AnyConnection, seat_id: i64) -> ApiResult<Option<String>> {
    let row: Option<(String, i64, String, String)> = sqlx::query_as(
        "SELECT p.edition, s.students_assigned, u.given_name || ' ' || u.family_name, u.email \
         FROM seats s JOIN licenses l ON l.id = s.license_id JOIN products p ON p.id = l.product_id \
         JOIN users u ON u.id = s.user_id WHERE s.id = $1",
    )
    .bind(seat_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(|(edition, students, name, email)| {
        (edition == Edition::Student.as_str() && students > 0)
            .then(|| students_reason(&name, &email, students))
    }))
}

/// The refusal for a student-edition seat with students, naming the teacher and count.
fn students_reason(name: &str, email: &str, students: i64) -> String {
    format!(
        "{name} <{email}> has {students} student{} assigned to this student edition; \
         the teacher must remove them first",
        if students == 1 { "" } else { "s" }
    )
}

/// Ids per `IN (…)` list: few statements for a bulk request, far under
/// both backends' limits on bound values.
const ID_CHUNK: usize = 5_000;
