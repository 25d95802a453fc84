//! Redeeming a code for a user: a teacher redeems a master code (and gets a
//! redemption code for a student edition), a student joins a teacher's
//! class with that redemption code, anyone redeems an activation or
//! resource code. Each redemption takes an active seat under the license's
//! limit; failed attempts are counted so codes cannot be guessed.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use seatdesk_core::api::codes::{Redeem, Redemption};
use seatdesk_core::codes::validate;
use seatdesk_core::problem::kinds;
use seatdesk_core::{
    CodeKind, Edition, LicenseStatus, Permission, Problem, SeatStatus, UserKind, UserStatus,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::audit::NewEvent;
use crate::codes::{CodeFields, insert_code};
use crate::db::{ms_to_time, now_ms};
use crate::domain::claims::load_claim;
use crate::domain::licenses::{load_license, today, unusable_reason};
use crate::domain::live::live_seat;
use crate::domain::seats::{insert_seat, take_seat};
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json};
use crate::mutation;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(redeem))
}

/// What a redemption needs to know of the code.
#[derive(sqlx::FromRow)]
struct CodeHit {
    id: i64,
    code: String,
    kind: String,
    license_id: i64,
    seat_id: Option<i64>,
    max_uses: i64,
    expires_at: Option<i64>,
    org_path: String,
    edition: String,
}

#[derive(sqlx::FromRow)]
struct Redeemer {
    id: i64,
    kind: String,
    status: String,
    org_path: String,
}

/// Redeems a code for the user with `email`, who gets an active seat.
/// Errors: `code-mistyped` (422, a character outside the alphabet or a
/// failed check character), `code-unknown` (404), `code-expired` (410),
/// `code-exhausted` (409), `no-seats-left` (409), `rate-limited` (429 with
/// Retry-After) after too many failed attempts by this token or for this
/// email.
#[utoipa::path(post, path = "/v1/redeem", tag = "codes", security(("bearer" = [])),
    request_body = Redeem,
    responses((status = 201, body = Redemption),
              (status = 404, description = "code-unknown", body = Problem),
              (status = 409, description = "code-exhausted or no-seats-left", body = Problem),
              (status = 410, description = "code-expired", body = Problem),
              (status = 422, description = "code-mistyped", body = Problem),
              (status = 429, description = "rate-limited", body = Problem),
              (status = "4XX", body = Problem)))]
async fn redeem(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Json(body): Json<Redeem>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageSeats)?;
    let email = body.email.trim().to_lowercase();
    if email.is_empty() {
        return Err(ApiError::invalid("email must not be empty"));
    }
    let rate_keys = [format!("token:{}", auth.token_id), format!("email:{email}")];
    if let Some(retry_after) = rate_limited(&state, &rate_keys).await? {
        return Ok(too_many_attempts(retry_after));
    }
    let outcome = match validate(&body.code) {
        Err(error) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            kinds::CODE_MISTYPED,
            // Echo a bounded prefix only: the input may be anything.
            format!(
                "{}: {error}",
                body.code.trim().chars().take(40).collect::<String>()
            ),
        )),
        Ok(code) => redeem_code(&state, &auth, &key, &body, code, email).await,
    };
    if let Err(error) = &outcome
        && counts_as_guess(error)
    {
        record_failure(&state, &rate_keys).await?;
    }
    outcome
}

/// Failures that say something about the code itself, so repeating them
/// is how someone would guess codes.
fn counts_as_guess(error: &ApiError) -> bool {
    [
        kinds::CODE_UNKNOWN,
        kinds::CODE_MISTYPED,
        kinds::CODE_EXPIRED,
        kinds::CODE_EXHAUSTED,
    ]
    .contains(&error.kind)
}

fn code_expired(detail: String) -> ApiError {
    ApiError::new(StatusCode::GONE, kinds::CODE_EXPIRED, detail)
}

async fn redeem_code(
    state: &AppState,
    auth: &Auth,
    key: &IdempotencyKey,
    body: &Redeem,
    code: String,
    email: String,
) -> ApiResult<Response> {
    let fingerprint = mutation::fingerprint("redeem", body);
    mutation::run(state, auth, key, fingerprint, async |w| {
        let hit: Option<CodeHit> = sqlx::query_as(
            "SELECT c.id, c.code, c.kind, c.license_id, c.seat_id, c.max_uses, c.expires_at, \
             l.org_path, p.edition FROM codes c JOIN licenses l ON l.id = c.license_id \
             JOIN products p ON p.id = l.product_id WHERE c.code = $1",
        )
        .bind(code.clone())
        .fetch_optional(w.conn())
        .await?;
        // A code of another org's license is unknown here, not revealed.
        let hit = hit.filter(|h| auth.in_scope(&h.org_path)).ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                kinds::CODE_UNKNOWN,
                format!("{code} is not a code of any license in your organization"),
            )
        })?;
        let kind = CodeKind::parse(&hit.kind).unwrap_or(CodeKind::Activation);
        let user: Option<Redeemer> =
            sqlx::query_as("SELECT id, kind, status, org_path FROM users WHERE email = $1")
                .bind(email.clone())
                .fetch_optional(w.conn())
                .await?;
        let user = user
            .filter(|u| auth.in_scope(&u.org_path))
            .ok_or_else(|| ApiError::not_found(format!("user {email}")))?;
        if user.status != UserStatus::Active.as_str() {
            return Err(ApiError::conflict(format!(
                "{email} is {}; only active users can redeem codes",
                user.status
            )));
        }
        let license = load_license(w.conn(), &auth.scope, hit.license_id)
            .await?
            .into_api(today());
        if let Some(reason) = unusable_reason(&license) {
            return Err(match license.status {
                LicenseStatus::Expired | LicenseStatus::Deactivated => {
                    code_expired(format!("{code} can no longer be redeemed: {reason}"))
                }
                _ => ApiError::new(StatusCode::CONFLICT, kinds::LICENSE_NOT_USABLE, reason),
            });
        }
        if let Some(expires_at) = hit.expires_at.filter(|at| *at <= w.now) {
            return Err(code_expired(format!(
                "{code} expired at {}",
                ms_to_time(expires_at).to_rfc3339()
            )));
        }
        let user_kind = UserKind::parse(&user.kind);
        match kind {
            CodeKind::Master if user_kind != Some(UserKind::Teacher) => {
                return Err(ApiError::conflict(format!(
                    "{code} is a master code, redeemed by teachers; {email} is a {}",
                    user.kind
                )));
            }
            CodeKind::Redemption if user_kind != Some(UserKind::Student) => {
                return Err(ApiError::conflict(format!(
                    "{code} is a teacher's redemption code, redeemed by students; {email} is a {}",
                    user.kind
                )));
            }
            _ => {}
        }
        // The teacher's seat gains the student first, conditionally, so a
        // concurrent revocation of it either waits for us or makes us fail.
        let teacher_seat = if kind == CodeKind::Redemption {
            let seat = hit.seat_id.unwrap_or_default();
            let assigned: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "UPDATE seats SET students_assigned = students_assigned + 1, updated_at = $1 \
                 WHERE id = $2 AND {} RETURNING students_assigned",
                live_seat("status")
            )))
            .bind(w.now)
            .bind(seat)
            .fetch_optional(w.conn())
            .await?;
            let Some(assigned) = assigned else {
                return Err(code_expired(format!(
                    "{code} belongs to a teacher seat that is no longer live"
                )));
            };
            Some((seat, assigned))
        } else {
            None
        };
        // Conditional, so concurrent redemptions never exceed max_uses.
        let counted = sqlx::query(
            "UPDATE codes SET uses = uses + 1 WHERE id = $1 AND (max_uses <= 0 OR uses < max_uses)",
        )
        .bind(hit.id)
        .execute(w.conn())
        .await?
        .rows_affected();
        if counted == 0 {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                kinds::CODE_EXHAUSTED,
                format!(
                    "{code} has been redeemed by all {} user(s) it admits",
                    hit.max_uses
                ),
            ));
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
        let seat_id = insert_seat(w, license.id, user.id, SeatStatus::Active, "code").await?;
        // Which code made the seat: redemptions per code feed the leaked-code alert.
        sqlx::query("UPDATE seats SET code_id = $1 WHERE id = $2")
            .bind(hit.id)
            .bind(seat_id)
            .execute(w.conn())
            .await?;
        if kind == CodeKind::Activation && hit.max_uses == 1 {
            // Single-user codes remember their user, for the exported sheet.
            sqlx::query("UPDATE codes SET seat_id = $1 WHERE id = $2")
                .bind(seat_id)
                .bind(hit.id)
                .execute(w.conn())
                .await?;
        }
        let redemption_code = if kind == CodeKind::Master && hit.edition == Edition::Student.as_str()
        {
            let fields = CodeFields {
                license_id: license.id,
                seat_id: Some(seat_id),
                ..CodeFields::default()
            };
            let (_, redemption) = insert_code(w.conn(), CodeKind::Redemption, &fields, now).await?;
            sqlx::query("UPDATE seats SET redemption_code = $1 WHERE id = $2")
                .bind(redemption.clone())
                .bind(seat_id)
                .execute(w.conn())
                .await?;
            Some(redemption)
        } else {
            None
        };
        if let Some((teacher_seat, assigned)) = teacher_seat {
            sqlx::query("UPDATE seats SET teacher_seat_id = $1 WHERE id = $2")
                .bind(teacher_seat)
                .bind(seat_id)
                .execute(w.conn())
                .await?;
            w.record(NewEvent {
                action: "seat.student_assign",
                target_type: "seat",
                target_id: teacher_seat,
                org_path: hit.org_path.clone(),
                before: Some(serde_json::json!({ "students_assigned": assigned - 1 })),
                after: Some(serde_json::json!({ "students_assigned": assigned, "student_seat_id": seat_id })),
            });
        }
        let uses: i64 = sqlx::query_scalar("SELECT uses FROM codes WHERE id = $1")
            .bind(hit.id)
            .fetch_one(w.conn())
            .await?;
        let seat = load_claim(w.conn(), seat_id).await?;
        w.record(NewEvent {
            action: "seat.redeem",
            target_type: "seat",
            target_id: seat_id,
            org_path: hit.org_path.clone(),
            before: None,
            after: Some(serde_json::json!({
                "seat": seat,
                "code": { "id": hit.id, "code": hit.code, "kind": kind, "uses": uses },
                "redemption_code": redemption_code,
            })),
        });
        Ok((
            StatusCode::CREATED,
            Redemption {
                code: hit.code.clone(),
                kind,
                seat,
                redemption_code,
            },
        ))
    })
    .await
}

/// Seconds until the caller may try again, when any of `keys` has used up
/// its failures within the window.
async fn rate_limited(state: &AppState, keys: &[String]) -> ApiResult<Option<i64>> {
    let max = state.config.redeem_max_failures.max(1);
    let window = state.config.redeem_window.as_millis() as i64;
    let now = now_ms();
    let mut wait_ms = 0;
    for key in keys {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM redeem_failures WHERE rate_key = $1 AND at > $2",
        )
        .bind(key.clone())
        .bind(now - window)
        .fetch_one(&state.db.pool)
        .await?;
        if count < max {
            continue;
        }
        // Allowed again once enough failures age out to fall below max.
        let freeing: Option<i64> = sqlx::query_scalar(
            "SELECT at FROM redeem_failures WHERE rate_key = $1 AND at > $2 \
             ORDER BY at LIMIT 1 OFFSET $3",
        )
        .bind(key.clone())
        .bind(now - window)
        .bind(count - max)
        .fetch_optional(&state.db.pool)
        .await?;
        let until = freeing.unwrap_or(now) + window - now;
        wait_ms = wait_ms.max(until.max(1000));
    }
    Ok((wait_ms > 0).then_some((wait_ms + 999) / 1000))
}

fn too_many_attempts(retry_after_secs: i64) -> Response {
    let mut response = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        kinds::RATE_LIMITED,
        format!("too many failed code redemptions; try again in {retry_after_secs} seconds"),
    )
    .into_response();
    if let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// Counts a failed attempt against each key, in its own transaction: the
/// redemption's transaction has rolled back. Not an audit event: nothing in
/// the domain changed. Old failures of these keys are pruned on the way.
async fn record_failure(state: &AppState, keys: &[String]) -> ApiResult<()> {
    let window = state.config.redeem_window.as_millis() as i64;
    let now = now_ms();
    let mut tx = state.db.begin_write().await?;
    for key in keys {
        sqlx::query("DELETE FROM redeem_failures WHERE rate_key = $1 AND at <= $2")
            .bind(key.clone())
            .bind(now - window)
            .execute(&mut *tx.tx)
            .await?;
        sqlx::query("INSERT INTO redeem_failures (rate_key, at) VALUES ($1, $2)")
            .bind(key.clone())
            .bind(now)
            .execute(&mut *tx.tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
