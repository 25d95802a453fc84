//! Saved Claims views (named filter sets, kept in a JSON file beside the
//! cache) and the purchasing-account picker's state.

use seatdesk_core::SeatStatus;
use seatdesk_core::api::seats::ClaimSort;
use serde::{Deserialize, Serialize};

use super::ClaimsView;

/// The Claims filters under a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedView {
    pub name: String,
    /// Shown statuses, in `SeatStatus::ALL` order.
    pub statuses: [bool; 4],
    #[serde(default)]
    pub product: Option<i64>,
    #[serde(default)]
    pub assigned_within: Option<i64>,
    #[serde(default)]
    pub older_than: Option<i64>,
    pub sort: ClaimSort,
    #[serde(default)]
    pub query: String,
}

impl SavedView {
    pub fn of(name: &str, view: &ClaimsView) -> SavedView {
        SavedView {
            name: name.to_string(),
            statuses: view.statuses,
            product: view.product,
            assigned_within: view.assigned_within,
            older_than: view.older_than,
            sort: view.sort,
            query: view.query.clone(),
        }
    }

    /// One line for the palette: what the view filters.
    pub fn describe(&self) -> String {
        let statuses: Vec<&str> = SeatStatus::ALL
            .iter()
            .filter(|s| self.statuses[s.index()])
            .map(|s| s.as_str())
            .collect();
        let mut parts = vec![statuses.join("+")];
        if let Some(days) = self.older_than {
            parts.push(format!("over {days}d old"));
        }
        if let Some(days) = self.assigned_within {
            parts.push(format!("last {days}d"));
        }
        if self.product.is_some() {
            parts.push("one product".into());
        }
        if !self.query.is_empty() {
            parts.push(format!("/{}", self.query));
        }
        parts.join(", ")
    }
}

/// The purchasing-account picker: typed text narrows the accounts, the
/// arrows move, Enter picks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Picker {
    pub query: String,
    pub pick: usize,
}
