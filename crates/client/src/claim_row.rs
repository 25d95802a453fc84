//! The compact form of a claim the dashboard holds a million of: only the
//! fields the panes show or filter on, with product and school names
//! shared (interned) between rows. About a third of a full `Claim`.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use seatdesk_core::api::seats::Claim;
use seatdesk_core::{SeatStatus, UserKind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRow {
    pub id: i64,
    pub license_id: i64,
    pub product_id: i64,
    /// Interned: one allocation per product, not per row.
    pub product_name: Arc<str>,
    /// Unshared, so `Box<str>`: an `Arc<str>` would add a 16-byte count
    /// to each of two million allocations.
    pub user_name: Box<str>,
    pub user_email: Box<str>,
    /// Interned: one allocation per school.
    pub org_name: Arc<str>,
    pub redemption_code: Option<Box<str>>,
    pub assigned_at: DateTime<Utc>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub students_assigned: i64,
    pub user_kind: UserKind,
    pub status: SeatStatus,
}

/// Hands out one shared copy of each distinct string.
#[derive(Debug, Default)]
pub struct Interner {
    seen: HashSet<Arc<str>>,
}

impl Interner {
    pub fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.seen.get(text) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(text);
        self.seen.insert(shared.clone());
        shared
    }
}

impl ClaimRow {
    pub fn from_claim(claim: &Claim, names: &mut Interner) -> ClaimRow {
        ClaimRow {
            id: claim.id,
            license_id: claim.license_id,
            product_id: claim.product_id,
            product_name: names.get(&claim.product_name),
            user_name: Box::from(claim.user_name.as_str()),
            user_email: Box::from(claim.user_email.as_str()),
            org_name: names.get(&claim.org_name),
            redemption_code: claim.redemption_code.as_deref().map(Box::from),
            assigned_at: claim.assigned_at,
            claimed_at: claim.claimed_at,
            students_assigned: claim.students_assigned,
            user_kind: claim.user_kind,
            status: claim.status,
        }
    }

    /// Rows of `claims`, sharing names among them.
    pub fn from_claims(claims: &[Claim]) -> Vec<ClaimRow> {
        let mut names = Interner::default();
        claims
            .iter()
            .map(|c| ClaimRow::from_claim(c, &mut names))
            .collect()
    }
}
