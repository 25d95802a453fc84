//! `POST /v1/redeem`: checks the typed code, counts failed attempts so
//! codes cannot be guessed, and runs [`redemption::redeem`].

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use seatdesk_core::api::codes::{Redeem, Redemption};
use seatdesk_core::codes::validate;
use seatdesk_core::problem::ProblemResponses;
use seatdesk_core::problem::kinds;
use seatdesk_core::{Permission, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
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
    responses((status = 201, description = "The seat the code gave", body = Redemption),
              (status = 404, description = "code-unknown", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "code-exhausted or no-seats-left", body = Problem, content_type = "application/problem+json"),
              (status = 410, description = "code-expired", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "code-mistyped", body = Problem, content_type = "application/problem+json"),
              (status = 429, description = "rate-limited", body = Problem, content_type = "application/problem+json"),
              ProblemResponses))]
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
    let (max, window) = (state.config.redeem_max_failures, state.config.redeem_window);
    if let Some(retry_after) =
        redemption::rate_limited(&state.db.pool, &rate_keys, max, window).await?
    {
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
        && redemption::counts_as_guess(error)
    {
        redemption::record_failure(&state.db, &rate_keys, window).await?;
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
