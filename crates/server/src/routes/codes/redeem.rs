//! `POST /v1/redeem`: checks the typed code, counts failed attempts so
//! codes cannot be guessed, and runs [`redemption::redeem`].

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use seatdesk_core::api::codes::{Redeem, Redemption};
use seatdesk_core::codes::validate;
use seatdesk_core::problem::kinds;
use seatdesk_core::{Permission, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::db::now_ms;
use crate::domain::redemption;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json};
use crate::mutation;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(redeem))
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
        let redemption = redemption::redeem(w, &auth.scope, &code, &email).await?;
        Ok((StatusCode::CREATED, redemption))
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
        let count: i64 = crate::db::query_scalar(
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
        let freeing: Option<i64> = crate::db::query_scalar(
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
        crate::db::query("DELETE FROM redeem_failures WHERE rate_key = $1 AND at <= $2")
            .bind(key.clone())
            .bind(now - window)
            .execute(&mut tx.tx)
            .await?;
        crate::db::query("INSERT INTO redeem_failures (rate_key, at) VALUES ($1, $2)")
            .bind(key.clone())
            .bind(now)
            .execute(&mut tx.tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
