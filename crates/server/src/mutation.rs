//! The one way a handler changes data: inside a write transaction that also
//! appends its audit events and stores the answer under the caller's
//! `Idempotency-Key`, all committed together. A retry with the same key gets
//! the stored answer and changes nothing; a crash before commit leaves
//! nothing behind, so the retry then does the work once.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sqlx::AnyConnection;

use crate::AppState;
use crate::audit::{self, NewEvent};
use crate::db::{WriteTx, now_ms};
use crate::error::ApiError;
use crate::http::IdempotencyKey;
use crate::http::auth::Auth;

/// What a mutation closure works with.
pub struct Work {
    tx: WriteTx,
    pub actor: String,
    pub now: i64,
    pub request_id: String,
    events: Vec<NewEvent>,
}

impl Work {
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx.tx
    }

    /// Queues an audit event; it is written just before commit.
    pub fn record(&mut self, event: NewEvent) {
        self.events.push(event);
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
    let mut tx = state.db.begin_write().await?;
    let now = now_ms();
    if let Some(key) = &key.0 {
        let claimed = sqlx::query(
            "INSERT INTO idempotency_keys (token_id, idem_key, fingerprint, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(auth.token_id)
        .bind(key.clone())
        .bind(fingerprint.clone())
        .bind(now)
        .execute(&mut *tx.tx)
        .await?
        .rows_affected();
        if claimed == 0 {
            return replay(&mut tx, auth.token_id, key, &fingerprint).await;
        }
    }
    let request_id = key
        .0
        .clone()
        .unwrap_or_else(|| format!("req-{}", crate::tokens::new_secret()[3..19].to_lowercase()));
    let mut w = Work {
        tx,
        actor: auth.actor(),
        now,
        request_id,
        events: Vec::new(),
    };
    let (status, value) = work(&mut w).await?;
    let body = serde_json::to_string(&value)
        .map_err(|e| ApiError::internal(format!("cannot encode the response: {e}")))?;
    let Work {
        mut tx,
        actor,
        request_id,
        events,
        ..
    } = w;
    if let Some(key) = &key.0 {
        sqlx::query("UPDATE idempotency_keys SET status = $1, body = $2 WHERE token_id = $3 AND idem_key = $4")
            .bind(i64::from(status.as_u16()))
            .bind(body.clone())
            .bind(auth.token_id)
            .bind(key.clone())
            .execute(&mut *tx.tx)
            .await?;
    }
    // Last: takes the audit_head row lock, held only until the commit below.
    audit::append(&mut tx.tx, &events, &actor, &request_id, now).await?;
    tx.commit().await?;
    Ok(json_response(status, body, false))
}

async fn replay(
    tx: &mut WriteTx,
    token_id: i64,
    key: &str,
    fingerprint: &str,
) -> Result<Response, ApiError> {
    let (stored_fingerprint, status, body): (String, Option<i64>, Option<String>) = sqlx::query_as(
        "SELECT fingerprint, status, body FROM idempotency_keys WHERE token_id = $1 AND idem_key = $2",
    )
    .bind(token_id)
    .bind(key.to_string())
    .fetch_one(&mut *tx.tx)
    .await?;
    if stored_fingerprint != fingerprint {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            seatdesk_core::problem::kinds::IDEMPOTENCY_MISMATCH,
            "this Idempotency-Key was already used for a different request",
        ));
    }
    match (status, body) {
        (Some(status), Some(body)) => {
            let status = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK);
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

/// Runs `work` like [`run`] but rolls everything back: a dry run whose
/// answer is exactly what the real run would answer (same transaction,
/// same locks, same checks), with nothing written and no audit events.
pub async fn rehearse<T, F>(state: &AppState, auth: &Auth, work: F) -> Result<T, ApiError>
where
    F: AsyncFnOnce(&mut Work) -> Result<T, ApiError>,
{
    let tx = state.db.begin_write().await?;
    let mut w = Work {
        tx,
        actor: auth.actor(),
        now: now_ms(),
        request_id: format!("dry-run-{}", now_ms()),
        events: Vec::new(),
    };
    let value = work(&mut w).await?;
    // Never committed: the rollback undoes every write, seat and counter.
    w.tx.tx.rollback().await?;
    Ok(value)
}
