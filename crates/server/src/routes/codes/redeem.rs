//! `POST /v1/redeem`: checks the typed code, counts failed attempts so
//! codes cannot be guessed, and runs [`redemption::redeem`].

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use seatdesk_core::api::codes::{Redeem, Redemption};
use seatdesk_core::api::limits::{EMAIL_MAX, text_error};
use seatdesk_core::codes::validate;
use seatdesk_core::problem::kinds;
use seatdesk_core::{Permission, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::domain::guessing::{self, Refusal};
use crate::domain::redemption;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::client_addr::ClientAddr;
use crate::http::{IdempotencyKey, Json};
use crate::mutation;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(redeem))
}

/// Redeems a code for the user with `email`, who gets an active seat.
/// Errors: `code-mistyped` (422, a character outside the alphabet or a
/// failed check character), `code-unknown` (404), `code-expired` (410),
/// `code-exhausted` (409), `no-seats-left` (409), `rate-limited` (429 with
/// Retry-After) after too many failed attempts from this address, by this
/// token, for this email or at this code (see `domain::guessing`).
#[utoipa::path(post, path = "/v1/redeem", tag = "codes", security(("bearer" = [])),
    request_body = Redeem,
    responses((status = 201, body = Redemption),
              (status = 404, description = "code-unknown", body = Problem),
              (status = 409, description = "code-exhausted or no-seats-left", body = Problem),
              (status = 410, description = "code-expired", body = Problem),
              (status = 422, description = "code-mistyped", body = Problem),
              (status = 429, description = "rate-limited: too many failed redemptions from this address, by this token, for this email or at this code", body = Problem,
               headers(("Retry-After" = i64, description = "Seconds until the limit that refused the request frees"))),
              (status = "4XX", body = Problem)))]
async fn redeem(
    State(state): State<AppState>,
    addr: Option<Extension<ClientAddr>>,
    auth: Auth,
    key: IdempotencyKey,
    Json(body): Json<Redeem>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageSeats)?;
    let email = body.email.trim().to_lowercase();
    // Bounded before it becomes a rate key stored with each failure.
    if let Some(problem) = text_error("email", &email, EMAIL_MAX) {
        return Err(ApiError::invalid(problem));
    }
    let addr = addr.map(|Extension(ClientAddr(ip))| ip);
    let attempt = state
        .config
        .redeem
        .attempt(auth.token_id, addr, &email, &body.code);
    let _slot = attempt.enter(&state.redeeming).await;
    if let Some(refusal) = attempt.refused(&state.db.pool).await? {
        return Ok(too_many_attempts(&refusal));
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
        && guessing::counts_as_guess(error)
    {
        attempt.record_failure(&state.db).await?;
    }
    outcome
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

fn too_many_attempts(refusal: &Refusal) -> Response {
    let mut response = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        kinds::RATE_LIMITED,
        refusal.detail(),
    )
    .into_response();
    if let Ok(value) = HeaderValue::from_str(&refusal.retry_after_secs.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}
