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

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.title, self.status, self.detail)?;
        for error in &self.errors {
            write!(f, "; {error}")?;
        }
        Ok(())
    }
}
