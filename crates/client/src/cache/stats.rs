//! Per-license claim counts the sync keeps next to the rows, so the
//! dashboard can paint before a single claim is read into memory.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use seatdesk_core::SeatStatus;
use seatdesk_core::api::seats::Claim;

use crate::claim_row::ClaimRow;

/// Microseconds in a UTC day: activations are counted per day.
pub const DAY_MICROS: i64 = 86_400_000_000;

/// What one license's claims add up to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LicenseStats {
    /// Claims per status, in `SeatStatus::ALL` order.
    pub by_status: [u64; 4],
    /// Claims activated per UTC day (days since 1970-01-01).
    pub activations: BTreeMap<i64, u64>,
}

/// Claim counts of every license in the cache.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimStats {
    pub licenses: HashMap<i64, LicenseStats>,
}

impl ClaimStats {
    /// The same counts, from claims held in memory.
    pub fn from_claims<'a>(claims: impl IntoIterator<Item = &'a Claim>) -> ClaimStats {
        let mut stats = ClaimStats::default();
        for claim in claims {
            stats.add(claim.license_id, claim.status, claim.claimed_at, 1);
        }
        stats
    }

    /// The same counts, from the compact rows the dashboard holds.
    pub fn from_rows<'a>(rows: impl IntoIterator<Item = &'a ClaimRow>) -> ClaimStats {
        let mut stats = ClaimStats::default();
        for row in rows {
            stats.add(row.license_id, row.status, row.claimed_at, 1);
        }
        stats
    }

    /// Counts `n` claims of `license_id` (negative `n` uncounts them).
    pub fn add(
        &mut self,
        license_id: i64,
        status: SeatStatus,
        claimed_at: Option<DateTime<Utc>>,
        n: i64,
    ) {
        let entry = self.licenses.entry(license_id).or_default();
        let slot = &mut entry.by_status[status.index()];
        *slot = slot.saturating_add_signed(n);
        if let Some(at) = claimed_at {
            let day = day_of(at);
            let count = entry.activations.entry(day).or_default();
            *count = count.saturating_add_signed(n);
            if *count == 0 {
                entry.activations.remove(&day);
            }
        }
    }

    /// Every claim counted.
    pub fn total(&self) -> u64 {
        self.licenses
            .values()
            .map(|l| l.by_status.iter().sum::<u64>())
            .sum()
    }
}

/// The UTC day `at` falls on, as days since 1970-01-01.
pub fn day_of(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros().div_euclid(DAY_MICROS)
}
