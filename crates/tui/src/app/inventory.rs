//! State of the Inventory pane: the License Inventory table with its
//! server-side search and filters, and the parent org's pending requests.

use seatdesk_core::InventoryType;
use seatdesk_core::api::inventory::{License, LicenseQuery, OrderStatusFilter};
use seatdesk_core::api::requests::LicenseRequest;

use super::ListState;

/// Licenses one search loads at most; the title says when more matched.
pub const INVENTORY_MAX: usize = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InventoryTab {
    #[default]
    Licenses,
    Requests,
}

/// Which column the search box searches, as the seed's three boxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchField {
    #[default]
    OrderNumber,
    PurchaseOrder,
    Code,
}

impl SearchField {
    pub fn label(self) -> &'static str {
        match self {
            SearchField::OrderNumber => "order number",
            SearchField::PurchaseOrder => "purchase order",
            SearchField::Code => "license code",
        }
    }

    pub fn next(self) -> SearchField {
        match self {
            SearchField::OrderNumber => SearchField::PurchaseOrder,
            SearchField::PurchaseOrder => SearchField::Code,
            SearchField::Code => SearchField::OrderNumber,
        }
    }
}

pub const ORDER_STATUSES: [OrderStatusFilter; 5] = [
    OrderStatusFilter::All,
    OrderStatusFilter::Available,
    OrderStatusFilter::Expired,
    OrderStatusFilter::Requested,
    OrderStatusFilter::WithRenewalRequest,
];

pub fn order_status_label(status: OrderStatusFilter) -> &'static str {
    match status {
        OrderStatusFilter::All => "all",
        OrderStatusFilter::Available => "available",
        OrderStatusFilter::Expired => "expired",
        OrderStatusFilter::Requested => "requested",
        OrderStatusFilter::WithRenewalRequest => "with renewal request",
    }
}

/// The seed's wording, short enough for a table cell.
pub fn inventory_type_label(kind: InventoryType, wide: bool) -> &'static str {
    match (kind, wide) {
        (InventoryType::UserActivationCodes, true) => "User Activation Codes",
        (InventoryType::UserActivationCodes, false) => "UAC",
        (InventoryType::CenterLicense, true) => "Center License",
        (InventoryType::CenterLicense, false) => "Center",
        (InventoryType::SeatPool, true) => "Seat pool",
        (InventoryType::SeatPool, false) => "Pool",
    }
}

#[derive(Debug, Clone, Default)]
pub struct InventoryView {
    pub tab: InventoryTab,
    pub order_status: Option<OrderStatusFilter>,
    pub inventory_type: Option<InventoryType>,
    /// Only this product's licenses (id, name): the Dashboard's drill-down.
    pub product: Option<(i64, String)>,
    pub field: SearchField,
    /// The search text (edited with `/`, sent on Enter).
    pub search: String,
    /// The search the rows answer, for the title.
    pub searched: String,
    pub rows: Vec<License>,
    /// Rows came from the server (otherwise from the local cache).
    pub from_server: bool,
    pub truncated: bool,
    pub loading: bool,
    /// The next page to arrive replaces the rows rather than adding to them.
    pub first_page: bool,
    pub error: Option<String>,
    /// Bumped per search so pages of an older one are dropped.
    pub generation: u64,
    pub list: ListState,
    pub requests: Vec<LicenseRequest>,
    pub requests_loading: bool,
    pub requests_loaded: bool,
    pub requests_error: Option<String>,
    pub requests_list: ListState,
    /// Licenses being activated or deactivated right now.
    pub toggling: Vec<i64>,
}

impl InventoryView {
    /// The query the filters and the last search sent (not what is being
    /// typed) ask the server.
    pub fn query(&self, account: Option<i64>) -> LicenseQuery {
        let search = self.searched.trim();
        let text = |field: SearchField| {
            (self.field == field && !search.is_empty()).then(|| search.to_string())
        };
        LicenseQuery {
            account_id: account,
            product_id: self.product.as_ref().map(|(id, _)| *id),
            order_number: text(SearchField::OrderNumber),
            purchase_order: text(SearchField::PurchaseOrder),
            code: text(SearchField::Code),
            inventory_type: self.inventory_type,
            order_status: self.order_status,
            ..LicenseQuery::default()
        }
    }

    pub fn selected(&self) -> Option<&License> {
        self.rows.get(self.list.cursor)
    }

    pub fn selected_request(&self) -> Option<&LicenseRequest> {
        self.requests.get(self.requests_list.cursor)
    }
}
