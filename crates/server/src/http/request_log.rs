//! One id per request: taken from a sane incoming `X-Request-Id` or made
//! here, sent back in the `X-Request-Id` header and, through
//! [`current_id`], in every problem body (`ApiError`'s answer) and on the
//! audit events the request writes; and
//! logged with the request's one access line (method, route, status,
//! latency, actor, client address), so an operator can go from a user's
//! error to the log.

use std::cell::RefCell;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

use super::client_addr::ClientAddr;

pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static CURRENT: RequestContext;
}

struct RequestContext {
    id: String,
    actor: RefCell<Option<String>>,
}

/// The id of the request this task serves, if any.
pub fn current_id() -> Option<String> {
    CURRENT.try_with(|c| c.id.clone()).ok()
}

/// Notes who made the request, for its access line.
pub fn set_actor(actor: &str) {
    let _ = CURRENT.try_with(|c| *c.actor.borrow_mut() = Some(actor.to_string()));
}

/// An incoming id is kept when it is short and plain; anything else is
/// replaced, so logs never carry what a client wrote there.
fn incoming_id(request: &Request) -> Option<String> {
    let value = request.headers().get(HEADER)?.to_str().ok()?;
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    (!value.is_empty() && value.len() <= 64 && value.chars().all(plain)).then(|| value.to_string())
}

fn new_id() -> String {
    format!("req-{:016x}", rand::random::<u64>())
}

pub async fn request_log(request: Request, next: Next) -> Response {
    let id = incoming_id(&request).unwrap_or_else(new_id);
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(no route)".to_string(), |p| p.as_str().to_string());
    let client = request
        .extensions()
        .get::<ClientAddr>()
        .map_or_else(|| "-".to_string(), |c| c.0.to_string());
    let started = Instant::now();
    let context = RequestContext {
        id: id.clone(),
        actor: RefCell::new(None),
    };
    let (mut response, actor) = CURRENT
        .scope(context, async {
            let response = next.run(request).await;
            let actor = CURRENT.with(|c| c.actor.borrow().clone());
            (response, actor)
        })
        .await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    tracing::info!(
        target: "seatdesk::access",
        request_id = %id,
        method = %method,
        route = %route,
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        actor = actor.as_deref().unwrap_or("-"),
        client = %client,
        "request"
    );
    response
}
