//! The one way a handler changes data: inside a write transaction that also
//! appends its audit events and stores the answer under the caller's
//! `Idempotency-Key`, all committed together. A retry with the same key gets
//! the stored answer and changes nothing; a crash before commit leaves
//! nothing behind, so the retry then does the work once.

use crate::db::Conn;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::AppState;
use crate::db::WriteTx;
use crate::db::types::Stamp;
use crate::error::ApiError;
use crate::http::IdempotencyKey;
use crate::http::auth::Auth;
use crate::store::audit::{self, EventRows, NewEvent};
use crate::store::idempotency;

/// What a mutation closure works with.
pub struct Work {
    tx: WriteTx,
    pub actor: String,
    /// When this mutation happens: one instant for all its rows and events.
    pub now: Stamp,
    pub request_id: String,
    events: EventRows,
    /// Set when the answer holds a secret: the stored replay is then a
    /// refusal with this explanation instead of the answer itself.
    secret_answer: Option<String>,
}

impl Work {
    /// Marks the answer as secret (shown once): a retry with the same key
    /// gets a 409 with `explanation` rather than the secret again, and the
    /// secret is never stored.
    pub fn answer_is_secret(&mut self, explanation: impl Into<String>) {
        self.secret_answer = Some(explanation.into());
    }

    pub fn conn(&mut self) -> &mut Conn {
        &mut self.tx.tx
    }

    /// Queues an audit event; it is written just before commit.
    pub fn record(&mut self, event: NewEvent) {
        self.events.push(&event);
    }

    /// Queues events already encoded (bulk paths), after those queued so far.
    pub fn record_rows(&mut self, rows: &EventRows) {
        self.events.extend(rows);
    }

    pub fn event_count(&self) -> usize {
        self.events.len()
    }
}

/// Header set on a response replayed from an earlier request with the same key.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// Runs `work` as one transaction for `auth`, honouring `key`.
///
/// `fingerprint` identifies the request (route and body); reusing a key for a
/// different request is refused with 422 rather than silently replayed.
pub async fn run<T, F>(
    state: &AppState,
    auth: &Auth,
    key: &IdempotencyKey,
    fingerprint: String,
    work: F,
) -> Result<Response, ApiError>
where
    T: Serialize,
    F: AsyncFnOnce(&mut Work) -> Result<(StatusCode, T), ApiError>,
{
    run_mode(state, auth, key, fingerprint, Mode::Commit, work).await
}

/// Whether a mutation commits or only reports what it would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Commit,
    /// Runs the same statements in the same transaction, then rolls back:
    /// the answer predicts exactly what a real run would do at that moment.
    DryRun,
}

/// Header set on the answer of a dry run.
pub const DRY_RUN_HEADER: &str = "seatdesk-dry-run";

/// [`run`], or a dry run that rolls back and stores nothing.
pub async fn run_mode<T, F>(
    state: &AppState,
    auth: &Auth,
    key: &IdempotencyKey,
    fingerprint: String,
    mode: Mode,
    work: F,
) -> Result<Response, ApiError>
where
    T: Serialize,
    F: AsyncFnOnce(&mut Work) -> Result<(StatusCode, T), ApiError>,
{
    let mut tx = state.db.begin_write().await?;
    let now = Stamp::now();
    let key = match mode {
        Mode::Commit => key.clone(),
        Mode::DryRun => IdempotencyKey(None),
    };
    if let Some(key) = &key.0 {
        let claimed = idempotency::claim(&mut tx.tx, auth.token_id, key, &fingerprint, now).await?;
        if !claimed {
            return replay(&mut tx, auth.token_id, key, &fingerprint).await;
        }
    }
    // The audit events carry the id the answer and the access log carry.
    let request_id = key.0.clone().unwrap_or_else(|| {
        crate::http::request_log::current_id()
            .unwrap_or_else(|| format!("req-{}", crate::tokens::new_secret()[3..19].to_lowercase()))
    });
    let mut w = Work {
        tx,
        actor: auth.actor(),
        now,
        request_id,
        events: EventRows::default(),
        secret_answer: None,
    };
    let (status, value) = work(&mut w).await?;
    let body = serde_json::to_string(&value)
        .map_err(|e| ApiError::internal(format!("cannot encode the response: {e}")))?;
    if mode == Mode::DryRun {
        // Dropping the transaction rolls it back.
        drop(w);
        let mut response = json_response(status, body, false);
        response
            .headers_mut()
            .insert(DRY_RUN_HEADER, HeaderValue::from_static("true"));
        return Ok(response);
    }
    let Work {
        mut tx,
        actor,
        now,
        request_id,
        events,
        secret_answer,
        ..
    } = w;
    if let Some(key) = &key.0 {
        let (stored_status, stored_body) = match &secret_answer {
            Some(explanation) => (
                StatusCode::CONFLICT,
                ApiError::conflict(explanation.clone()).problem_json(),
            ),
            None => (status, body.clone()),
        };
        idempotency::store_answer(
            &mut tx.tx,
            auth.token_id,
            key,
            stored_status.as_u16(),
            stored_body,
        )
        .await?;
    }
    // Last: takes the audit_head row lock, held only until the commit below.
    audit::append_rows(&mut tx.tx, &events, &actor, &request_id, now).await?;
    tx.commit().await?;
    Ok(json_response(status, body, false))
}

async fn replay(
    tx: &mut WriteTx,
    token_id: i64,
    key: &str,
    fingerprint: &str,
) -> Result<Response, ApiError> {
    let idempotency::Stored {
        fingerprint: stored_fingerprint,
        status,
        body,
    } = idempotency::stored(&mut tx.tx, token_id, key).await?;
    if stored_fingerprint != fingerprint {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            seatdesk_core::problem::kinds::IDEMPOTENCY_MISMATCH,
            "this Idempotency-Key was already used for a different request",
        ));
    }
    match (status, body) {
        (Some(status), Some(body)) => {
            // Only successes and refusals are stored (see `run_mode`).
            let status = u16::try_from(status)
                .ok()
                .and_then(|s| StatusCode::from_u16(s).ok())
                .filter(|s| s.is_success() || s.is_client_error())
                .ok_or_else(|| {
                    ApiError::corrupt(format!(
                        "the stored answer to Idempotency-Key {key:?} of token {token_id} has status {status}"
                    ))
                })?;
            if status.is_client_error() {
                // A stored refusal (a secret shown once) is replayed as a
                // problem, carrying this request's id like any other.
                let body = match serde_json::from_str::<seatdesk_core::Problem>(&body) {
                    Ok(mut problem) => {
                        problem.request_id = crate::http::request_log::current_id().map(Into::into);
                        serde_json::to_string(&problem).unwrap_or(body)
                    }
                    Err(_) => body,
                };
                let mut response = json_response(status, body, true);
                response.headers_mut().insert(
                    axum::http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/problem+json"),
                );
                return Ok(response);
            }
            Ok(json_response(status, body, true))
        }
        _ => Err(ApiError::conflict(
            "a request with this Idempotency-Key is still in progress",
        )),
    }
}

fn json_response(status: StatusCode, body: String, replayed: bool) -> Response {
    let mut response = (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response();
    if replayed {
        response
            .headers_mut()
            .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    }
    response
}

/// A fingerprint from the route name and the parsed body.
pub fn fingerprint(route: &str, body: &impl Serialize) -> String {
    format!(
        "{route}:{}",
        serde_json::to_string(body).unwrap_or_default()
    )
}
