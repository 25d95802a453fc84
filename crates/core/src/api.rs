//! JSON request and response bodies of the `/v1` API, one module per area.
//! The server derives its OpenAPI document from these types.

pub mod alerts;
pub mod audit;
pub mod changes;
pub mod codes;
pub mod dashboard;
pub mod inventory;
// Kept apart from its alphabetical place so parallel branches merge cleanly.
pub mod imports;
pub mod requests;
pub mod seats;
pub mod triage;
pub mod users;
pub mod webhooks;
// Kept apart from its alphabetical place so parallel branches merge cleanly.
pub mod limits;
// Kept apart from its alphabetical place so parallel branches merge cleanly.
pub mod export;
// Kept apart from its alphabetical place so parallel branches merge cleanly.
pub mod reclaim;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Largest page any list endpoint returns.
pub const MAX_PAGE_SIZE: u32 = 1000;
/// Page size when the client does not ask for one.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// Most ids one bulk request may carry.
pub const MAX_BULK_ITEMS: usize = 20_000;

/// One page of a keyset-paginated list. Pass `next_cursor` back as `cursor`
/// to continue; it is absent on the last page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The outcome for one id of a bulk request: done, or refused and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ItemResult {
    pub id: i64,
    pub outcome: ItemOutcome,
    /// Why it was refused; absent when done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemOutcome {
    Done,
    Refused,
}

/// Results of a bulk request, one per requested id in request order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BulkResult {
    pub done: usize,
    pub refused: usize,
    pub results: Vec<ItemResult>,
}

impl BulkResult {
    pub fn from_results(results: Vec<ItemResult>) -> Self {
        let done = results
            .iter()
            .filter(|r| r.outcome == ItemOutcome::Done)
            .count();
        BulkResult {
            done,
            refused: results.len() - done,
            results,
        }
    }
}

/// `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub database: String,
    pub version: String,
}

/// `GET /readyz`: whether this server can take traffic now (its database
/// answers and holds every migration this build expects).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Readiness {
    pub status: String,
    pub database: String,
    /// Newest migration applied to the database, and newest this build has.
    pub migration_applied: i64,
    pub migration_expected: i64,
}

/// `GET /v1/me`: who the token is and what it may do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Me {
    pub token_id: i64,
    pub token_name: String,
    pub role: crate::Role,
    pub org_id: i64,
    pub org_name: String,
    pub permissions: Vec<crate::Permission>,
}

/// `POST /v1/tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub name: String,
    pub role: crate::Role,
    #[schema(minimum = 1)]
    pub org_id: i64,
    /// Days until the token stops working; the role's default when absent
    /// (system_admin 90, org_admin 180, others 365).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<i64>,
}

/// `GET /v1/tokens`: a token as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub role: crate::Role,
    pub org_id: i64,
    pub org_name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Absent: the token does not expire.
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A freshly created token; `secret` is shown this once and stored hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreatedToken {
    pub id: i64,
    pub name: String,
    pub role: crate::Role,
    pub org_id: i64,
    pub secret: String,
}
