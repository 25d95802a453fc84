//! Orgs, purchasing accounts, products and licenses (inventory order lines).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::seats::{DateStanding, SeatCounts};
use crate::vocab::{Edition, InventoryType, LicenseStatus, Module, OrgKind};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Org {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub kind: OrgKind,
    pub name: String,
    /// Materialised path of ids, e.g. `/1/4/9/`; a subtree is a path prefix.
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrg {
    #[schema(minimum = 1)]
    pub parent_id: i64,
    pub kind: OrgKind,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PurchasingAccount {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub number: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPurchasingAccount {
    #[schema(minimum = 1)]
    pub org_id: i64,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub number: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Product {
    pub id: i64,
    pub sku: String,
    pub name: String,
    /// ConnectED, ALEKS, Jasperactive Office 2016…
    pub family: String,
    pub edition: Edition,
    pub module: Module,
    /// Whether licenses of this product carry per-subject resource codes.
    pub has_resource_codes: bool,
    /// Training a user must complete before access is granted, if any.
    pub training_prerequisite: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProduct {
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub sku: String,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub family: String,
    pub edition: Edition,
    pub module: Module,
    #[serde(default)]
    pub has_resource_codes: bool,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub training_prerequisite: Option<String>,
}

/// A license as the License Inventory and Manage Products pages show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct License {
    pub id: i64,
    pub account_id: i64,
    pub org_id: i64,
    /// The license this one was allocated from, when a parent org handed
    /// part of its seats down.
    pub parent_license_id: Option<i64>,
    pub product_id: i64,
    pub product_sku: String,
    pub product_name: String,
    pub order_number: String,
    pub purchase_order: String,
    pub inventory_type: InventoryType,
    /// Courses of the product mix (the "Products Information" tab).
    pub courses: Vec<String>,
    pub teacher_code: Option<String>,
    pub master_code: Option<String>,
    pub seats: SeatCounts,
    /// Seats consumed inside the child licenses this one allocated to, so a
    /// parent sees the whole: `seats.consumed + allocations_consumed` in use.
    pub allocations_consumed: i64,
    pub seats_available: i64,
    pub usage_percent: f64,
    pub start_date: NaiveDate,
    pub finish_date: NaiveDate,
    pub remaining_days: i64,
    pub grace_days: i64,
    pub standing: DateStanding,
    pub status: LicenseStatus,
    pub renewal_requested: bool,
    pub renewed: bool,
    /// Teachers holding a live seat (pending or active).
    pub teachers: i64,
    /// Students holding a live seat, or assigned to this license's teachers
    /// for student editions.
    pub students: i64,
    pub updated_at: DateTime<Utc>,
    /// When this license's free seats run out at its own pace (see
    /// `seatdesk_core::forecast`). Sent by `GET /v1/licenses` and
    /// `GET /v1/licenses/{id}` for usable licenses (stored active, not
    /// lapsed) with a complete week of seats; absent otherwise, and in
    /// audit events and webhooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forecast: Option<crate::forecast::PoolForecast>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLicense {
    pub account_id: i64,
    pub product_id: i64,
    #[schema(min_length = 1, pattern = "\\S")]
    pub order_number: String,
    #[serde(default)]
    pub purchase_order: String,
    pub inventory_type: InventoryType,
    #[serde(default)]
    pub courses: Vec<String>,
    /// A license sells at least one seat.
    #[schema(minimum = 1, maximum = 10_000_000)]
    pub seats_purchased: i64,
    pub start_date: NaiveDate,
    pub finish_date: NaiveDate,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 3650)]
    pub grace_days: i64,
}

/// `POST /v1/licenses/{id}/allocations`: hand `seats` down to a child org's
/// purchasing account as a license of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAllocation {
    pub account_id: i64,
    #[schema(minimum = 1, maximum = 10_000_000)]
    pub seats: i64,
    #[serde(default)]
    pub order_number: Option<String>,
}

/// License Inventory "Order Status" radio buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatusFilter {
    All,
    Available,
    Expired,
    Requested,
    WithRenewalRequest,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LicenseQuery {
    pub account_id: Option<i64>,
    pub org_id: Option<i64>,
    pub product_id: Option<i64>,
    pub order_number: Option<String>,
    pub purchase_order: Option<String>,
    /// Master, teacher or any other code of the license.
    pub code: Option<String>,
    pub inventory_type: Option<InventoryType>,
    #[param(inline)]
    pub order_status: Option<OrderStatusFilter>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^([0-9a-f]{2})*\\.[0-9]{1,18}$")]
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}
