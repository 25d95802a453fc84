//! Request extractors and response helpers shared by every route: JSON,
//! query and path extractors whose rejections are problem+json, and the
//! `Idempotency-Key` header.

pub mod auth;
pub mod client_addr;
pub mod hostile;
pub mod metrics;
pub mod request_log;
pub mod retry;

use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;
use seatdesk_core::api::MAX_PAGE_SIZE;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// `axum::Json` whose rejection is a problem+json 4xx, and which takes a
/// number with a zero fraction (`2.0`) where a whole number is expected: JSON
/// Schema, and so the OpenAPI document, counts it as an integer.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let axum::Json(mut value) =
            axum::Json::<serde_json::Value>::from_request(request, state).await?;
        whole_numbers(&mut value);
        serde_json::from_value(value).map(Json).map_err(|error| {
            ApiError::invalid(format!(
                "Failed to deserialize the JSON body into the target type: {error}"
            ))
        })
    }
}

/// Rewrites every float with no fraction in `i64` range as an integer.
fn whole_numbers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(number) => {
            if let Some(float) = number.as_f64().filter(|_| number.is_f64())
                && float.fract() == 0.0
                && (-9.0e18..=9.0e18).contains(&float)
            {
                *number = serde_json::Number::from(float as i64);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        serde_json::Value::Object(map) => map.values_mut().for_each(whole_numbers),
        _ => {}
    }
}

impl<T: Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Query` whose rejection is a problem+json 400, and which
/// refuses a `limit` outside 1 to [`MAX_PAGE_SIZE`] with 422 for every
/// listing at once (the schema states that range on each `limit`).
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        check_limit(parts.uri.query().unwrap_or_default())?;
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Query(value))
    }
}

/// Refuses a whole-number `limit` outside 1 to [`MAX_PAGE_SIZE`]; anything
/// else not a number is left to the deserializer's 400.
fn check_limit(query: &str) -> Result<(), ApiError> {
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        // `20.0` is the whole number 20 to JSON Schema too.
        let value = match value.split_once('.') {
            Some((whole, fraction))
                if !fraction.is_empty() && fraction.bytes().all(|b| b == b'0') =>
            {
                whole.to_string()
            }
            _ => value.into_owned(),
        };
        let number = value.strip_prefix('-').unwrap_or(&value);
        let whole = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit());
        if name == "limit" && whole {
            let in_range = value
                .parse::<u32>()
                .is_ok_and(|n| (1..=MAX_PAGE_SIZE).contains(&n));
            if !in_range {
                return Err(ApiError::invalid(format!(
                    "limit must be 1 to {MAX_PAGE_SIZE}"
                )));
            }
        }
    }
    Ok(())
}

/// `axum::extract::Path` whose rejection is a problem+json 400.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// The optional `Idempotency-Key` header of a mutation.
#[derive(Debug, Clone, Default)]
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get("idempotency-key") else {
            return Ok(IdempotencyKey(None));
        };
        let key = value
            .to_str()
            .map_err(|_| ApiError::bad_request("Idempotency-Key must be visible ASCII"))?
            .trim();
        if key.is_empty() || key.len() > 200 {
            return Err(ApiError::bad_request(
                "Idempotency-Key must be 1 to 200 characters",
            ));
        }
        Ok(IdempotencyKey(Some(key.to_string())))
    }
}

/// The page size asked for, or the default. [`Query`] has refused a limit
/// out of range; the clamp only guards callers that build queries in code.
pub fn page_size(limit: Option<u32>) -> i64 {
    i64::from(
        limit
            .unwrap_or(seatdesk_core::api::DEFAULT_PAGE_SIZE)
            .clamp(1, MAX_PAGE_SIZE),
    )
}

/// Keyset cursor: the sort key of the last row and its id, hex-encoded so
/// any text key survives a query string.
pub fn encode_cursor(key: &str, id: i64) -> String {
    format!("{}.{id}", hex::encode(key.as_bytes()))
}

pub fn decode_cursor(cursor: &str) -> Result<(String, i64), ApiError> {
    let bad = || ApiError::bad_request("the cursor is not one this server issued");
    let (key, id) = cursor.split_once('.').ok_or_else(bad)?;
    // Exactly the schema's pattern: lower-case hex pairs, 1 to 18 digits.
    let lower_hex = key
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let digits = (1..=18).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit());
    if !lower_hex || !digits {
        return Err(bad());
    }
    // Any bytes decode (the schema's pattern promises no more than hex).
    let key = String::from_utf8_lossy(&hex::decode(key).map_err(|_| bad())?).into_owned();
    let id = id.parse().map_err(|_| bad())?;
    Ok((key, id))
}

/// Splits a fetch of `limit + 1` rows into the page and the cursor of the
/// next one (from the last row kept), so every list pages the same way.
pub fn split_page<T>(
    mut rows: Vec<T>,
    limit: i64,
    cursor_of: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        let next = rows.last().map(cursor_of);
        (rows, next)
    } else {
        (rows, None)
    }
}
