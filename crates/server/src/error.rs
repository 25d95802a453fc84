//! The server's one error type. Every failure leaves as RFC 9457
//! `application/problem+json`; database faults are logged and hidden.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use seatdesk_core::Problem;
use seatdesk_core::problem::kinds;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub detail: String,
    pub errors: Vec<String>,
}

pub type ApiResult<T> = Result<T, ApiError>;

/// `Ok` when no check found a problem, else one 422 naming each problem.
pub fn validate(problems: impl IntoIterator<Item = Option<String>>) -> ApiResult<()> {
    let errors: Vec<String> = problems.into_iter().flatten().collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Problem type of a write the database aborted on its own account (a
/// PostgreSQL deadlock victim or serialization failure, SQLite locked by
/// another process): nothing changed and the request may simply run again.
pub const TRANSIENT: &str = "transient";

/// Internal header marking a [`TRANSIENT`] answer for the retry layer
/// (`http::retry`), which strips it before the answer leaves.
pub const RETRY_HEADER: &str = "x-seatdesk-retry";

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            kind,
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, kinds::BAD_REQUEST, detail)
    }

    /// 422 with one line per problem field.
    pub fn validation(errors: Vec<String>) -> ApiError {
        let detail = match errors.as_slice() {
            [only] => only.clone(),
            _ => format!("{} fields are invalid", errors.len()),
        };
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            kind: kinds::VALIDATION,
            detail,
            errors,
        }
    }

    pub fn invalid(detail: impl Into<String>) -> ApiError {
        ApiError::validation(vec![detail.into()])
    }

    pub fn unauthorized(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, kinds::UNAUTHORIZED, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, kinds::FORBIDDEN, detail)
    }

    /// Also used for things outside the token's org subtree, so their
    /// existence is not revealed.
    pub fn not_found(what: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            kinds::NOT_FOUND,
            format!("{what} was not found in your organization"),
        )
    }

    pub fn conflict(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, kinds::CONFLICT, detail)
    }

    pub fn no_seats_left(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, kinds::NO_SEATS_LEFT, detail)
    }

    pub fn batch_too_large(count: usize, max: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            kinds::BATCH_TOO_LARGE,
            format!("{count} items in one request; the most allowed is {max}"),
        )
    }

    pub fn internal(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, kinds::INTERNAL, detail)
    }

    /// Stored data that no code of ours writes (a status outside its
    /// vocabulary): like a column that fails to decode, it is logged with
    /// `detail` and answered as a bare 500, never read as some default.
    pub fn corrupt(detail: impl Into<String>) -> ApiError {
        let detail = detail.into();
        tracing::error!(%detail, "corrupt stored data");
        ApiError::internal("stored data could not be read; it has been logged")
    }

    /// The problem document as JSON text.
    pub fn problem_json(&self) -> String {
        serde_json::to_string(&self.problem()).unwrap_or_default()
    }

    pub fn problem(&self) -> Problem {
        Problem {
            kind: format!("{}{}", kinds::PREFIX, self.kind),
            title: self
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_string(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            errors: self.errors.clone(),
            // Set when answered (`into_response`), not in stored copies.
            request_id: None,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.kind, self.detail)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut problem = self.problem();
        problem.request_id = crate::http::request_log::current_id().map(Into::into);
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.kind == TRANSIENT {
            response
                .headers_mut()
                .insert(RETRY_HEADER, HeaderValue::from_static("1"));
        }
        response
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> ApiError {
        if let sqlx::Error::Database(db) = &error {
            // 40P01 deadlock, 40001 serialization failure; SQLite 5/517/6 busy or locked.
            if db
                .code()
                .is_some_and(|c| matches!(c.as_ref(), "40P01" | "40001" | "5" | "517" | "6"))
            {
                tracing::warn!(%error, "transient database failure");
                return ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    TRANSIENT,
                    "the database could not complete this change right now and nothing was changed; retry it",
                );
            }
            // Constraint violations are the caller's conflict, not our fault.
            if db.is_unique_violation() {
                return ApiError::conflict(format!("already exists: {}", db.message()));
            }
            if db.is_check_violation() {
                return ApiError::no_seats_left(
                    "the change would take more seats than the license has",
                );
            }
            if db.is_foreign_key_violation() {
                return ApiError::invalid(format!(
                    "refers to something that does not exist: {}",
                    db.message()
                ));
            }
        }
        if matches!(error, sqlx::Error::PoolTimedOut) {
            return ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database is busy; retry shortly",
            );
        }
        tracing::error!(%error, "database error");
        ApiError::internal("a database error occurred; it has been logged")
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        let status = rejection.status();
        let detail = rejection.body_text();
        match status {
            StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::new(status, kinds::PAYLOAD_TOO_LARGE, detail)
            }
            StatusCode::UNPROCESSABLE_ENTITY => ApiError::invalid(detail),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
                status,
                kinds::BAD_REQUEST,
                "send the body as JSON with Content-Type: application/json",
            ),
            _ => ApiError::new(status, kinds::BAD_REQUEST, detail),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        ApiError::bad_request(rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> ApiError {
        ApiError::bad_request(rejection.body_text())
    }
}
