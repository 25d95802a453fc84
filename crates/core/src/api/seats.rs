//! Seat assignments (claims), the claims report, teacher lists and bulk
//! revocation.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::vocab::{SeatStatus, UserKind};

/// One seat assignment as the License Claims report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Claim {
    pub id: i64,
    pub license_id: i64,
    pub product_id: i64,
    pub product_name: String,
    pub user_id: i64,
    pub user_name: String,
    pub user_email: String,
    pub user_kind: UserKind,
    pub org_id: i64,
    pub org_name: String,
    pub status: SeatStatus,
    pub assigned_at: DateTime<Utc>,
    pub assigned_by: String,
    pub claimed_at: Option<DateTime<Utc>>,
    /// Who claimed it: the token that recorded the claim, or the redeemer.
    #[serde(default)]
    pub claimed_by: Option<String>,
    pub expired_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub expired_by: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
    pub redemption_code: Option<String>,
    /// Students assigned to this teacher's student-edition seat.
    pub students_assigned: i64,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClaimSort {
    #[default]
    AssignedAt,
    ClaimedAt,
    Name,
}

/// Filters of the claims report. `status` may repeat or be comma-separated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClaimQuery {
    /// Comma-separated statuses, e.g. `pending,active`.
    #[param(
        pattern = "^,*((pending|active|expired|revoked),+)*(pending|active|expired|revoked)?$"
    )]
    pub status: Option<String>,
    pub product_id: Option<i64>,
    pub license_id: Option<i64>,
    pub account_id: Option<i64>,
    /// Case-insensitive text matched against user name and email.
    pub q: Option<String>,
    /// Assigned on or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Assigned before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    #[param(inline)]
    pub sort: Option<ClaimSort>,
    /// `asc` (default for name) or `desc` (default for dates).
    #[param(pattern = "^(asc|desc)$")]
    pub order: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^([0-9a-f]{2})*\\.[0-9]{1,18}$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// `POST /v1/seats`: assign a seat (status pending) to a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAssignment {
    pub license_id: i64,
    /// The user by id…
    #[serde(default)]
    pub user_id: Option<i64>,
    /// …or by email.
    #[serde(default)]
    pub email: Option<String>,
}

/// `POST /v1/seats/revoke` and `/v1/seats/restore`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeatIds {
    #[schema(min_items = 1, max_items = 20000)]
    pub seat_ids: Vec<i64>,
}

/// A teacher holding a seat of a license (Teacher List tab).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Teacher {
    pub seat_id: i64,
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub org_name: String,
    pub status: SeatStatus,
    pub redemption_code: Option<String>,
    pub students_assigned: i64,
    pub assigned_at: DateTime<Utc>,
    pub claimed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TeacherQuery {
    /// Include expired and revoked seats too (default: live seats only).
    pub all: Option<bool>,
    pub q: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^([0-9a-f]{2})*\\.[0-9]{1,18}$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}
