//! Help-desk triage: the access check ("why can't this teacher get in?")
//! and the discrepancy report (counts that disagree with rows).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `GET /v1/access-check`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccessCheckQuery {
    /// The user's email or numeric id.
    #[param(min_length = 1, pattern = "\\S")]
    pub user: String,
    /// The product's SKU or numeric id.
    #[param(min_length = 1, pattern = "\\S")]
    pub product: String,
}

/// The conditions of an access check, in the order they are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccessCondition {
    AccountActive,
    Role,
    Org,
    LicenseActive,
    SeatHeld,
    Training,
}

impl AccessCondition {
    pub const ALL: &'static [AccessCondition] = &[
        AccessCondition::AccountActive,
        AccessCondition::Role,
        AccessCondition::Org,
        AccessCondition::LicenseActive,
        AccessCondition::SeatHeld,
        AccessCondition::Training,
    ];

    /// How the condition reads in a one-line summary.
    pub fn label(self) -> &'static str {
        match self {
            AccessCondition::AccountActive => "account active",
            AccessCondition::Role => "role",
            AccessCondition::Org => "org",
            AccessCondition::LicenseActive => "license active and in date",
            AccessCondition::SeatHeld => "seat held",
            AccessCondition::Training => "training prerequisites",
        }
    }
}

/// One condition of the access check and why it passed or failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConditionResult {
    pub name: AccessCondition,
    pub pass: bool,
    /// Passed, but something will need doing soon (a license in grace, a
    /// seat not yet claimed).
    pub warning: bool,
    pub reason: String,
}

/// The answer of an access check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AccessCheck {
    pub user_id: i64,
    pub user_email: String,
    pub product_id: i64,
    pub product_sku: String,
    pub today: NaiveDate,
    /// Whether every condition passes.
    pub access: bool,
    /// The first failing condition as one line, or "access granted".
    pub summary: String,
    /// Every condition, in [`AccessCondition::ALL`] order.
    pub conditions: Vec<ConditionResult>,
}

/// The kinds of the discrepancy report, in the order they are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DiscrepancyKind {
    /// An archived user still holds a live (pending or active) seat.
    ArchivedUserHoldingSeat,
    /// A suspended user still holds a live seat.
    SuspendedUserHoldingSeat,
    /// One user holds more than one live seat of the same product.
    DuplicateAssignment,
    /// A license's stored `seats_consumed` differs from its live seat rows.
    ConsumedMismatch,
    /// A license's stored `seats_allocated` differs from the seats purchased
    /// by its child licenses.
    AllocatedMismatch,
    /// Live seat rows plus allocated seats exceed the seats purchased.
    OverAllocated,
}

impl DiscrepancyKind {
    pub const ALL: &'static [DiscrepancyKind] = &[
        DiscrepancyKind::ArchivedUserHoldingSeat,
        DiscrepancyKind::SuspendedUserHoldingSeat,
        DiscrepancyKind::DuplicateAssignment,
        DiscrepancyKind::ConsumedMismatch,
        DiscrepancyKind::AllocatedMismatch,
        DiscrepancyKind::OverAllocated,
    ];
}

/// `GET /v1/discrepancies`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiscrepancyQuery {
    /// Most items listed per kind (default 50, at most 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// One discrepancy, naming the user and/or license and the figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Discrepancy {
    pub kind: DiscrepancyKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seat_id: Option<i64>,
    /// What the figure should be (counted from rows), when one is compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<i64>,
    /// What is stored or found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<i64>,
    pub detail: String,
}

/// Most archived or suspended users' seats the whole tree's report counts
/// one by one; past it the total says "at least" ([`DiscrepancyGroup::at_least`]).
pub const DISCREPANCY_COUNT_CAP: i64 = 10_000;

/// The discrepancies of one kind: how many in all, and the first few.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DiscrepancyGroup {
    pub kind: DiscrepancyKind,
    pub total: i64,
    /// `total` is a lower bound: the whole tree's report stops counting
    /// seats held by archived or suspended users at
    /// [`DISCREPANCY_COUNT_CAP`] (counting them all reads every such
    /// user's row: seconds at 10M claims). Absent when exact.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub at_least: bool,
    /// How many exist beyond `items`.
    pub more: i64,
    pub items: Vec<Discrepancy>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DiscrepancyReport {
    /// Sum of every group's `total`.
    pub total: i64,
    /// Some group's total is a lower bound, so this one is too.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub at_least: bool,
    /// One group per kind, in [`DiscrepancyKind::ALL`] order, empty ones too.
    pub groups: Vec<DiscrepancyGroup>,
}
