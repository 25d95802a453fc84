//! Refuses U+0000 in a request's path, query or JSON body with 422 before any
//! handler runs. PostgreSQL cannot store it in text (it answered 500) while
//! SQLite stored it, so the two backends disagreed; now neither sees one.

use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::ApiError;

fn refusal(where_: &str) -> Response {
    ApiError::invalid(format!(
        "the {where_} holds a NUL character (U+0000), which no field accepts"
    ))
    .into_response()
}

pub async fn refuse_nul(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let uri = request.uri();
    if percent_nul(uri.path()) {
        return refusal("path");
    }
    if uri.query().is_some_and(percent_nul) {
        return refusal("query string");
    }
    let json = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let v = v.to_ascii_lowercase();
            v.starts_with("application/json") || v.contains("+json")
        });
    let limit = state.config.body_limit;
    // Bodies over the limit are left to the extractor, which refuses them.
    let fits = request
        .body()
        .size_hint()
        .upper()
        .is_some_and(|n| n <= limit as u64);
    if !json || !fits {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        // The body broke off: let the handler's extractor answer as it would.
        Err(_) => return next.run(Request::from_parts(parts, Body::empty())).await,
    };
    if json_nul(&bytes) {
        return refusal("request body");
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// A NUL in a URL part, raw or percent-encoded.
fn percent_nul(text: &str) -> bool {
    text.contains('\0') || text.as_bytes().windows(3).any(|w| w == b"%00")
}

/// A NUL in JSON text: a raw zero byte, or a `\u0000` escape whose
/// backslash is not itself escaped (`"\\u0000"` is the six characters).
fn json_nul(bytes: &[u8]) -> bool {
    if bytes.contains(&0) {
        return true;
    }
    bytes.windows(6).enumerate().any(|(i, w)| {
        w == b"\\u0000" && bytes[..i].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_told_from_escaped_backslashes() {
        assert!(json_nul(br#"{"email":"a\u0000b@x.example"}"#));
        assert!(
            json_nul(br#"{"a":"\\\u0000"}"#),
            "an escaped backslash, then NUL"
        );
        assert!(!json_nul(br#"{"a":"\\u0000"}"#), "a backslash, then text");
        assert!(!json_nul(br#"{"a":"\u0001"}"#), "another control character");
        assert!(json_nul(b"{\"a\":\"\0\"}"));
        assert!(percent_nul("q=a%00b"));
        assert!(!percent_nul("q=a%2500b"), "an encoded percent sign");
    }
}
