//! RFC 9457 problem details: the one error shape the API returns and the
//! client parses. `kind` values are stable; clients branch on them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An `application/problem+json` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// Stable identifier, e.g. `urn:seatdesk:problem:no-seats-left`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What went wrong, for a person.
    pub detail: String,
    /// Per-field or per-item explanations, when there are several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// The id of the request that failed, also in the `X-Request-Id` header
    /// and the server's log line for it.
    /// (Boxed: clients carry problems inside their error types, kept small.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub request_id: Option<Box<str>>,
}

/// The media type of every error answer.
pub const CONTENT_TYPE: &str = "application/problem+json";

/// The error answers any operation may give, for `responses(...)` of
/// `#[utoipa::path]`; an operation lists the specific ones it wants to
/// explain (a 409 with its meaning) before these.
#[derive(utoipa::IntoResponses)]
pub enum ProblemResponses {
    /// Refused: malformed or invalid input, no or an unknown token, not
    /// allowed, not found in the token's organization, a conflict, or too
    /// many requests. `type` says which.
    #[response(status = "4XX", content_type = "application/problem+json")]
    Refused(Problem),
    /// Not done: the database was busy or aborted the change (503, nothing
    /// changed, retry), or an internal error (500, logged under the
    /// request's id).
    #[response(status = "5XX", content_type = "application/problem+json")]
    Failed(Problem),
}

/// The stable `type` suffixes (after `urn:seatdesk:problem:`).
pub mod kinds {
    pub const PREFIX: &str = "urn:seatdesk:problem:";
    pub const BAD_REQUEST: &str = "bad-request";
    pub const VALIDATION: &str = "validation";
    pub const UNAUTHORIZED: &str = "unauthorized";
    pub const FORBIDDEN: &str = "forbidden";
    pub const NOT_FOUND: &str = "not-found";
    pub const CONFLICT: &str = "conflict";
    pub const NO_SEATS_LEFT: &str = "no-seats-left";
    pub const LICENSE_NOT_USABLE: &str = "license-not-usable";
    pub const IDEMPOTENCY_MISMATCH: &str = "idempotency-key-reused";
    pub const PAYLOAD_TOO_LARGE: &str = "payload-too-large";
    pub const BATCH_TOO_LARGE: &str = "batch-too-large";
    pub const RATE_LIMITED: &str = "rate-limited";
    pub const CODE_UNKNOWN: &str = "code-unknown";
    pub const CODE_MISTYPED: &str = "code-mistyped";
    pub const CODE_EXHAUSTED: &str = "code-exhausted";
    pub const CODE_EXPIRED: &str = "code-expired";
    pub const INTERNAL: &str = "internal";
}

impl Problem {
    /// The suffix of `kind` after the URN prefix, e.g. `no-seats-left`.
    pub fn short_kind(&self) -> &str {
        self.kind.strip_prefix(kinds::PREFIX).unwrap_or(&self.kind)
    }
}

/// One line: `Title (status): detail`, then any per-item explanations the
/// detail does not already say, and for a server fault the request's id. A 422 with one field carries the same text
/// in `detail` and `errors`, and a non-JSON answer may span lines.
impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", one_line(&self.title), self.status)?;
        let detail = one_line(&self.detail);
        if !detail.is_empty() {
            write!(f, ": {detail}")?;
        }
        for error in &self.errors {
            let error = one_line(error);
            if !error.is_empty() && error != detail {
                write!(f, "; {error}")?;
            }
        }
        // A server fault is looked up in the server's log by this id.
        if let Some(id) = self.request_id.as_deref().filter(|_| self.status >= 500) {
            write!(f, " [request {id}]")?;
        }
        Ok(())
    }
}

/// `text` with every run of whitespace (line breaks included) as one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(status: u16, detail: &str, errors: &[&str]) -> Problem {
        Problem {
            kind: format!("{}x", kinds::PREFIX),
            title: "Unprocessable Entity".into(),
            status,
            detail: detail.into(),
            errors: errors.iter().map(|e| e.to_string()).collect(),
            request_id: None,
        }
    }

    #[test]
    fn displays_title_status_and_detail_once_on_one_line() {
        assert_eq!(
            problem(422, "count must be 1-10000", &["count must be 1-10000"]).to_string(),
            "Unprocessable Entity (422): count must be 1-10000"
        );
        assert_eq!(
            problem(422, "2 fields are invalid", &["a is bad", "b is bad"]).to_string(),
            "Unprocessable Entity (422): 2 fields are invalid; a is bad; b is bad"
        );
        assert_eq!(
            problem(502, "<html>\n  <b>bad</b>\n</html>", &[]).to_string(),
            "Unprocessable Entity (502): <html> <b>bad</b> </html>"
        );
        assert_eq!(
            problem(503, " ", &[]).to_string(),
            "Unprocessable Entity (503)"
        );
    }
}
