//! Re-runs a write the database aborted for reasons of its own: a
//! PostgreSQL deadlock victim or serialization failure, or a SQLite file
//! another process kept locked past the busy timeout. Such a transaction
//! changed nothing, so running the request again is safe; the caller only
//! sees the final answer. Lock ordering keeps these rare (see
//! `domain::seats::lock_licenses`); this covers the orderings it cannot.

use std::time::Duration;

use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use rand::Rng;

use crate::AppState;
use crate::error::RETRY_HEADER;

/// Runs in all, the first included.
const ATTEMPTS: u32 = 5;

pub async fn retry_transient(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let limit = state.config.body_limit;
    // Exact when Content-Length is given or there is no body.
    let declared = request.body().size_hint().upper();
    // Reads never write; bodies of unknown or large size (imports) are not
    // buffered, so they run once and a transient failure reaches the caller.
    let replayable = declared.is_some_and(|n| n <= limit as u64);
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) || !replayable
    {
        return strip(next.run(request).await);
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        // The body broke off: let the handler's extractor answer as it would.
        Err(_) => return strip(next.run(Request::from_parts(parts, Body::empty())).await),
    };
    let mut attempt = 1;
    loop {
        let request = Request::from_parts(parts.clone(), Body::from(bytes.clone()));
        let response = next.clone().run(request).await;
        if attempt >= ATTEMPTS || !response.headers().contains_key(RETRY_HEADER) {
            return strip(response);
        }
        tracing::warn!(attempt, path = %parts.uri.path(), "transient database failure; running the request again");
        // Jittered, growing pause so the requests that collided do not collide again.
        let pause = rand::rng().random_range(5..20) * u64::from(attempt);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        attempt += 1;
    }
}

fn strip(mut response: Response) -> Response {
    response.headers_mut().remove(RETRY_HEADER);
    response
}
