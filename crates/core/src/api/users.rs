//! Users (teachers, students, staff), their roles and trainings, and the
//! role rules that hand out Learn / Observe seats automatically.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::seats::Claim;
use crate::vocab::{UserKind, UserRole, UserStatus};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub email: String,
    pub given_name: String,
    pub family_name: String,
    pub kind: UserKind,
    pub roles: Vec<UserRole>,
    pub status: UserStatus,
    /// Completed trainings (prerequisites of some products).
    pub trainings: Vec<String>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `GET /v1/users/{id}`: the user and the live seats they hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserDetail {
    pub user: User,
    pub seats: Vec<Claim>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[schema(minimum = 1)]
    pub org_id: i64,
    /// Stored lower-cased; ASCII only (an international domain in its
    /// `xn--` form), no quoted local part, no IP-address domain.
    #[schema(min_length = 3, max_length = 254)]
    pub email: String,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub given_name: String,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub family_name: String,
    pub kind: UserKind,
    #[serde(default)]
    #[schema(max_items = 20)]
    pub roles: Vec<UserRole>,
    /// Each 1 to 100 characters, without commas.
    #[serde(default)]
    #[schema(max_items = 100, value_type = Vec<crate::api::limits::TrainingName>)]
    pub trainings: Vec<String>,
}

/// `PATCH /v1/users/{id}`: only the fields sent change (none: the user as
/// is, nothing recorded). Archiving revokes
/// the user's live seats.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub given_name: Option<String>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub family_name: Option<String>,
    #[serde(default)]
    #[schema(max_items = 20)]
    pub roles: Option<Vec<UserRole>>,
    #[serde(default)]
    pub status: Option<UserStatus>,
    /// Each 1 to 100 characters, without commas.
    #[serde(default)]
    #[schema(max_items = 100, value_type = Option<Vec<crate::api::limits::TrainingName>>)]
    pub trainings: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    pub org_id: Option<i64>,
    pub role: Option<UserRole>,
    pub kind: Option<UserKind>,
    pub status: Option<UserStatus>,
    /// Case-insensitive text matched against name and email.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^([0-9a-f]{2})*\\.[0-9]{1,18}$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// What a role rule did for one product when a user was created or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentOutcome {
    /// A seat was taken for the user.
    Assigned,
    /// The user already held a live seat of the product.
    Kept,
    /// No remaining role grants the product; the rule's seat was revoked.
    Revoked,
    /// The rule could not be honoured; `reason` says why.
    Refused,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Assignment {
    pub product_id: i64,
    pub product_name: String,
    pub outcome: AssignmentOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seat_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Answer of `POST /v1/users` and `PATCH /v1/users/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserChange {
    pub user: User,
    pub assignments: Vec<Assignment>,
}

/// Users of `org` (or of any org below it) with `role` get a seat of `product_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RoleRule {
    pub id: i64,
    pub org_id: i64,
    pub role: UserRole,
    pub product_id: i64,
    pub product_name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRoleRule {
    #[schema(minimum = 1)]
    pub org_id: i64,
    pub role: UserRole,
    #[schema(minimum = 1)]
    pub product_id: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoleRuleQuery {
    pub org_id: Option<i64>,
    pub role: Option<UserRole>,
    pub product_id: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^([0-9a-f]{2})*\\.[0-9]{1,18}$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}
