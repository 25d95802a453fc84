//! The License Dashboard: seat figures, expirations, claims by status,
//! activation rate, Learn/Observe users and the weekly activation trend,
//! per product and in total, for one view of the org tree.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::forecast::PoolForecast;
use crate::seats::SeatCounts;
use crate::vocab::Module;

/// Weeks in the activation trend, the current week included.
pub const TREND_WEEKS: usize = 12;
/// Most licenses listed under "needs attention"; `attention_more` counts the rest.
pub const MAX_ATTENTION_ITEMS: usize = 25;
/// Days ahead that count as "expiring soon" for the attention list.
pub const EXPIRING_SOON_DAYS: i64 = 30;

/// `GET /v1/dashboard` filters. Without any, the view is the token's whole
/// subtree. `org_id` selects that org's subtree (a district with its schools).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DashboardQuery {
    pub account_id: Option<i64>,
    pub org_id: Option<i64>,
    pub product_id: Option<i64>,
}

/// Claims (seat assignments) by status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub struct ClaimCounts {
    pub pending: i64,
    pub active: i64,
    pub expired: i64,
    pub revoked: i64,
}

impl std::ops::Add for ClaimCounts {
    type Output = ClaimCounts;
    fn add(self, other: ClaimCounts) -> ClaimCounts {
        ClaimCounts {
            pending: self.pending + other.pending,
            active: self.active + other.active,
            expired: self.expired + other.expired,
            revoked: self.revoked + other.revoked,
        }
    }
}

/// Seats claimed in one week (weeks start Monday 00:00 UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WeekCount {
    pub week_start: NaiveDate,
    pub count: i64,
}

/// The dashboard figures of one product, or of all products (`product_id`
/// absent) in [`Dashboard::totals`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProductSummary {
    pub product_id: Option<i64>,
    pub sku: Option<String>,
    pub name: String,
    pub module: Option<Module>,
    /// Seats of the view: `purchased` counts each seat once even when a
    /// parent org handed part of a license down to a child org in the same
    /// view; `allocated` is what was handed to orgs outside the view.
    pub seats: SeatCounts,
    pub seats_available: i64,
    pub usage_percent: f64,
    /// Seats handed down to child licenses that are inside the view (they
    /// show up again in `consumed` or `seats_available`).
    pub allocated_within: i64,
    /// Licenses in the view, requests not yet approved excluded.
    pub licenses: i64,
    pub earliest_start: Option<NaiveDate>,
    pub latest_finish: Option<NaiveDate>,
    /// Fewest remaining days among live licenses (stored status active, not
    /// past their finish date); absent when none is live.
    pub min_remaining_days: Option<i64>,
    /// Live licenses finishing within 30 / 60 / 90 days (cumulative: a
    /// license in `expiring_30` is also in `expiring_60`).
    pub expiring_30: i64,
    pub expiring_60: i64,
    pub expiring_90: i64,
    /// Active licenses past their finish date but within their grace period.
    pub in_grace: i64,
    pub claims: ClaimCounts,
    /// Claimed ÷ assigned: `active ÷ (active + pending)`, 0.0–1.0; absent
    /// when no seat is assigned (see `seats::activation_rate`).
    pub activation_rate: Option<f64>,
    /// Seats claimed per week (by `claimed_at`, whatever their status now),
    /// the last [`TREND_WEEKS`] weeks, zero-filled, oldest first.
    pub activations_per_week: Vec<WeekCount>,
    /// When the view's free seats (`seats_available`) run out at the pace
    /// seats were taken, net of seats freed, over the last eight complete
    /// weeks (see `seatdesk_core::forecast`). Absent when no seat was
    /// purchased (and from servers before the forecast).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forecast: Option<PoolForecast>,
}

/// Users holding a live seat of a Learn-module product, of an
/// Observe-module product, and of both (the "Combined Licenses" figure).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub struct ModuleUsers {
    pub learn: i64,
    pub observe: i64,
    pub combined: i64,
}

/// Why a license is on the attention list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttentionReason {
    /// Finishes within [`EXPIRING_SOON_DAYS`] days.
    ExpiringSoon,
    /// Past its finish date, still inside its grace period.
    InGrace,
    /// 90% or more of its seats are used or handed down.
    NearlyFull,
}

/// A license that needs an administrator's attention soon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AttentionItem {
    pub license_id: i64,
    pub order_number: String,
    pub product_id: i64,
    pub product_sku: String,
    pub org_id: i64,
    pub account_id: i64,
    pub finish_date: NaiveDate,
    pub grace_until: NaiveDate,
    pub remaining_days: i64,
    pub seats: SeatCounts,
    pub usage_percent: f64,
    pub reasons: Vec<AttentionReason>,
    /// When this license's free seats run out at its own pace, counted
    /// from the week of its first seat; absent when it has no complete
    /// week of seats yet or no seat was purchased.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forecast: Option<PoolForecast>,
}

/// `GET /v1/dashboard`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Dashboard {
    /// The server's date (UTC) the figures were computed for.
    pub today: NaiveDate,
    pub totals: ProductSummary,
    /// One entry per product with licenses in the view, by SKU.
    pub products: Vec<ProductSummary>,
    pub module_users: ModuleUsers,
    /// Soonest-finishing first, at most [`MAX_ATTENTION_ITEMS`].
    pub attention: Vec<AttentionItem>,
    /// Licenses needing attention beyond those listed.
    pub attention_more: i64,
}
