//! Bulk revocation and restore: many seats per request, one result per id;
//! a refused item never rolls back or hides the others.

use std::collections::{BTreeMap, HashMap};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use seatdesk_core::api::seats::SeatIds;
use seatdesk_core::api::{BulkResult, ItemOutcome, ItemResult, MAX_BULK_ITEMS};
use seatdesk_core::{Edition, Permission, Problem, SeatStatus};
use sqlx::AnyConnection;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{
    license_closed, lock_licenses_of_seats, release_seats, shift_teacher_counts, shift_teachers,
    students_reason, take_seat,
};
use crate::AppState;
use crate::audit::{EventRows, NewEvent};
use crate::db::Backend;
use crate::db::sql::Sql;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json, Query};
use crate::mutation;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(revoke))
        .routes(routes!(restore))
}

/// What bulk operations need to know of one seat.
#[derive(sqlx::FromRow)]
struct BulkSeat {
    id: i64,
    license_id: i64,
    user_id: i64,
    status: String,
    status_before_revoke: Option<String>,
    students_assigned: i64,
    revoked_at: Option<i64>,
    org_path: String,
    edition: String,
    user_name: String,
    user_email: String,
}

async fn load_bulk_seats(
    conn: &mut AnyConnection,
    backend: Backend,
    ids: &[i64],
) -> ApiResult<HashMap<i64, BulkSeat>> {
    let mut found = HashMap::with_capacity(ids.len());
    // Locked in id order, so overlapping bulk requests cannot deadlock.
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(found);
    }
    let mut sql = Sql::new_for(
        backend,
        "SELECT s.id, s.license_id, s.user_id, s.status, s.status_before_revoke, \
         s.students_assigned, s.revoked_at, l.org_path, p.edition, \
         u.given_name || ' ' || u.family_name AS user_name, u.email AS user_email \
         FROM seats s JOIN licenses l ON l.id = s.license_id \
         JOIN products p ON p.id = l.product_id JOIN users u ON u.id = s.user_id \
         WHERE s.id",
    );
    sql.bind_id_set(&ids);
    if backend == Backend::Postgres {
        sql.push(" ORDER BY s.id FOR UPDATE OF s");
    }
    let rows: Vec<BulkSeat> = sql.query_as().fetch_all(&mut *conn).await?;
    found.extend(rows.into_iter().map(|r| (r.id, r)));
    Ok(found)
}

/// `?dry_run=true`: report each item's outcome without changing anything.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BulkOptions {
    /// Run in a transaction that is rolled back; the results are exactly
    /// what a real run would return now.
    #[serde(default)]
    pub dry_run: bool,
}

impl BulkOptions {
    pub fn mode(self) -> mutation::Mode {
        if self.dry_run {
            mutation::Mode::DryRun
        } else {
            mutation::Mode::Commit
        }
    }
}

fn check_bulk_size(ids: &[i64]) -> ApiResult<()> {
    if ids.is_empty() {
        return Err(ApiError::invalid("seat_ids must list at least one seat"));
    }
    if ids.len() > MAX_BULK_ITEMS {
        return Err(ApiError::batch_too_large(ids.len(), MAX_BULK_ITEMS));
    }
    Ok(())
}

fn refused(id: i64, reason: String) -> ItemResult {
    ItemResult {
        id,
        outcome: ItemOutcome::Refused,
        reason: Some(reason),
    }
}

fn done(id: i64) -> ItemResult {
    ItemResult {
        id,
        outcome: ItemOutcome::Done,
        reason: None,
    }
}

/// Revokes many seats in one request, one result per id. A student-edition
/// seat whose teacher still has students assigned is refused (the teacher
/// must remove them first); the others still go through.
#[utoipa::path(post, path = "/v1/seats/revoke", tag = "seats", security(("bearer" = [])),
    params(BulkOptions),
    request_body = SeatIds,
    responses((status = 200, body = BulkResult), (status = "4XX", body = Problem)))]
async fn revoke(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Query(options): Query<BulkOptions>,
    Json(body): Json<SeatIds>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageSeats)?;
    check_bulk_size(&body.seat_ids)?;
    let fingerprint = mutation::fingerprint("revoke", &body);
    mutation::run_mode(
        &state,
        &auth,
        &key,
        fingerprint,
        options.mode(),
        async |w| {
            let (now, actor) = (w.now, w.actor.clone());
            let (results, events) = revoke_seats(
                w.conn(),
                state.db.backend,
                &auth,
                &body.seat_ids,
                &actor,
                now,
            )
            .await?;
            w.record_rows(&events);
            Ok((StatusCode::OK, BulkResult::from_results(results)))
        },
    )
    .await
}

/// The database work of a bulk revocation, inside the caller's transaction:
/// one result per id and the audit events to append (the seats', in request
/// order, then those of teachers whose student count dropped). Public so
/// benchmarks can time exactly the SQL the endpoint runs.
pub async fn revoke_seats(
    conn: &mut AnyConnection,
    backend: Backend,
    auth: &Auth,
    seat_ids: &[i64],
    actor: &str,
    now: i64,
) -> ApiResult<(Vec<ItemResult>, EventRows)> {
    lock_licenses_of_seats(conn, backend, seat_ids).await?;
    let mut ids = seat_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    // One set-based UPDATE does the revocable seats, the ids bound as one
    // value; only the seats it left alone are read again, to say why.
    let mut sql = Sql::new_for(
        backend,
        "UPDATE seats SET status_before_revoke = status, status = 'revoked', revoked_at = ",
    );
    sql.bind(now)
        .push(", revoked_by = ")
        .bind(actor.to_string());
    sql.push(", updated_at = ").bind(now).push(" WHERE id");
    sql.bind_id_set(&ids);
    // The scope is a prefix compare, not LIKE: SQLite re-prepares a
    // statement on every run when a LIKE pattern is a bound value.
    sql.push(
        " AND status <> 'revoked' \
         AND license_id IN (SELECT l.id FROM licenses l WHERE substr(l.org_path, 1, length(",
    );
    sql.bind(auth.org_path.clone())
        .push(")) = ")
        .bind(auth.org_path.clone())
        .push(
            ") AND NOT (students_assigned > 0 AND license_id IN (SELECT l.id FROM licenses l \
             JOIN products p ON p.id = l.product_id WHERE p.edition = 'student')) \
             RETURNING id, license_id, user_id, status_before_revoke, teacher_seat_id, \
             (SELECT l.org_path FROM licenses l WHERE l.id = seats.license_id) AS org_path",
        );
    let rows: Vec<RevokedSeat> = sql.query_as().fetch_all(&mut *conn).await?;
    let revoked: HashMap<i64, RevokedSeat> = rows.into_iter().map(|r| (r.id, r)).collect();
    let left: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !revoked.contains_key(id))
        .collect();
    let unrevoked = load_bulk_seats(conn, backend, &left).await?;
    let mut results = Vec::with_capacity(seat_ids.len());
    let mut events = EventRows::default();
    let mut freed: BTreeMap<i64, i64> = BTreeMap::new();
    // Teachers whose students' live seats end here.
    let mut per_teacher: BTreeMap<i64, i64> = BTreeMap::new();
    let mut seen = std::collections::HashSet::with_capacity(seat_ids.len());
    let mut json = RevokeJson::new(actor, now);
    for &id in seat_ids {
        if let Some(seat) = revoked.get(&id) {
            if !seen.insert(id) {
                results.push(refused(id, format!("seat {id} is listed more than once")));
                continue;
            }
            if SeatStatus::parse(&seat.status_before_revoke).is_some_and(SeatStatus::consumes_seat)
            {
                *freed.entry(seat.license_id).or_default() += 1;
                if let Some(teacher) = seat.teacher_seat_id {
                    *per_teacher.entry(teacher).or_default() += 1;
                }
            }
            let (before, after) = json.render(seat);
            events.push_text(
                "seat.revoke",
                "seat",
                seat.id,
                &seat.org_path,
                Some(before),
                Some(after),
            );
            results.push(done(id));
            continue;
        }
        let Some(seat) = unrevoked.get(&id).filter(|s| auth.in_scope(&s.org_path)) else {
            results.push(refused(
                id,
                format!("seat {id} was not found in your organization"),
            ));
            continue;
        };
        let reason = if !seen.insert(id) {
            format!("seat {id} is listed more than once")
        } else if seat.status == SeatStatus::Revoked.as_str() {
            format!("seat {id} is already revoked")
        } else if seat.edition == Edition::Student.as_str() && seat.students_assigned > 0 {
            students_reason(&seat.user_name, &seat.user_email, seat.students_assigned)
        } else {
            // Only when another server's change committed between the two statements.
            format!("seat {id} changed while this request ran; try again")
        };
        results.push(refused(id, reason));
    }
    // Licenses in id order, as they were locked.
    for (license_id, count) in freed {
        release_seats(conn, license_id, count, now).await?;
    }
    for event in shift_teachers(conn, &per_teacher, -1, now).await? {
        events.push(&event);
    }
    Ok((results, events))
}

/// Writes a revoked seat's audit before/after text by hand, byte for byte
/// what `serde_json::json!({...}).to_string()` gives for the same fields
/// (compact, keys in sorted order), without building a `Value` per seat;
/// `tests/bulk_audit.rs` compares the two.
struct RevokeJson {
    /// `,"revoked_at":…,"revoked_by":"…","status":"revoked","user_id":`
    after_middle: String,
    before: String,
    after: String,
}

impl RevokeJson {
    fn new(actor: &str, now: i64) -> RevokeJson {
        let mut after_middle = format!(",\"revoked_at\":{now},\"revoked_by\":");
        crate::audit::push_json_string(&mut after_middle, actor);
        after_middle.push_str(",\"status\":\"revoked\",\"user_id\":");
        RevokeJson {
            after_middle,
            before: String::new(),
            after: String::new(),
        }
    }

    fn render(&mut self, seat: &RevokedSeat) -> (&str, &str) {
        use std::fmt::Write;
        let (before, after) = (&mut self.before, &mut self.after);
        before.clear();
        after.clear();
        // Writing to a String cannot fail.
        let _ = write!(before, "{{\"license_id\":{},\"status\":", seat.license_id);
        crate::audit::push_json_string(before, &seat.status_before_revoke);
        let _ = write!(before, ",\"user_id\":{}}}", seat.user_id);
        let _ = write!(
            after,
            "{{\"license_id\":{}{}{}}}",
            seat.license_id, self.after_middle, seat.user_id
        );
        (before, after)
    }
}

/// A seat [`revoke_seats`] revoked, as its UPDATE returned it.
#[derive(sqlx::FromRow)]
struct RevokedSeat {
    id: i64,
    license_id: i64,
    user_id: i64,
    status_before_revoke: String,
    teacher_seat_id: Option<i64>,
    org_path: String,
}

/// Undoes revocations made within the restore window, putting each seat
/// back as it was, never past the license's seat limit.
#[utoipa::path(post, path = "/v1/seats/restore", tag = "seats", security(("bearer" = [])),
    params(BulkOptions),
    request_body = SeatIds,
    responses((status = 200, body = BulkResult), (status = "4XX", body = Problem)))]
async fn restore(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Query(options): Query<BulkOptions>,
    Json(body): Json<SeatIds>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageSeats)?;
    check_bulk_size(&body.seat_ids)?;
    let window_ms = state.config.restore_window.as_millis() as i64;
    let fingerprint = mutation::fingerprint("restore", &body);
    mutation::run_mode(&state, &auth, &key, fingerprint, options.mode(), async |w| {
        lock_licenses_of_seats(w.conn(), state.db.backend, &body.seat_ids).await?;
        let seats = load_bulk_seats(w.conn(), state.db.backend, &body.seat_ids).await?;
        let mut results = Vec::with_capacity(body.seat_ids.len());
        let mut seen = std::collections::HashSet::new();
        for &id in &body.seat_ids {
            let Some(seat) = seats.get(&id).filter(|s| auth.in_scope(&s.org_path)) else {
                results.push(refused(id, format!("seat {id} was not found in your organization")));
                continue;
            };
            if !seen.insert(id) {
                results.push(refused(id, format!("seat {id} is listed more than once")));
                continue;
            }
            if seat.status != SeatStatus::Revoked.as_str() {
                results.push(refused(id, format!("seat {id} is {}, not revoked", seat.status)));
                continue;
            }
            let revoked_at = seat.revoked_at.unwrap_or(0);
            if w.now - revoked_at > window_ms {
                results.push(refused(
                    id,
                    format!("seat {id} was revoked more than {} ago; it can no longer be restored", humanize(window_ms)),
                ));
                continue;
            }
            let previous = seat
                .status_before_revoke
                .as_deref()
                .and_then(SeatStatus::parse)
                .unwrap_or(SeatStatus::Active);
            if previous.consumes_seat() {
                if let Some(reason) = license_closed(w.conn(), seat.license_id).await? {
                    results.push(refused(id, reason));
                    continue;
                }
                let holds_live: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM seats WHERE license_id = $1 AND user_id = $2 AND status IN ('pending', 'active')",
                )
                .bind(seat.license_id)
                .bind(seat.user_id)
                .fetch_optional(w.conn())
                .await?;
                if let Some(other) = holds_live {
                    results.push(refused(id, format!("the user already holds seat {other} of this license")));
                    continue;
                }
                let now = w.now;
                if !take_seat(w.conn(), seat.license_id, now).await? {
                    results.push(refused(id, format!("no seats left on license {}", seat.license_id)));
                    continue;
                }
            }
            sqlx::query(
                "UPDATE seats SET status = $1, status_before_revoke = NULL, revoked_at = NULL, \
                 revoked_by = NULL, updated_at = $2 WHERE id = $3",
            )
            .bind(previous.as_str())
            .bind(w.now)
            .bind(id)
            .execute(w.conn())
            .await?;
            if previous.consumes_seat() {
                shift_teacher_counts(w, &[id], 1).await?;
            }
            w.record(NewEvent {
                action: "seat.restore",
                target_type: "seat",
                target_id: id,
                org_path: seat.org_path.clone(),
                before: Some(serde_json::json!({ "status": "revoked", "license_id": seat.license_id, "user_id": seat.user_id })),
                after: Some(serde_json::json!({ "status": previous, "license_id": seat.license_id, "user_id": seat.user_id })),
            });
            results.push(done(id));
        }
        Ok((StatusCode::OK, BulkResult::from_results(results)))
    })
    .await
}

fn humanize(ms: i64) -> String {
    let hours = ms / 3_600_000;
    if hours >= 48 {
        format!("{} days", hours / 24)
    } else if hours >= 1 {
        format!("{hours} hours")
    } else {
        format!("{} minutes", ms / 60_000)
    }
}
