//! Seat arithmetic and date rules for licenses: what is available, how full a
//! pool is, how many days remain, and whether a license is in its grace period.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The counts the Manage Products page shows for a license.
///
/// `allocated` is what a parent org handed down to child orgs: it is no longer
/// available to the parent, but the child's consumption is counted on the child.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub struct SeatCounts {
    pub purchased: i64,
    pub consumed: i64,
    pub allocated: i64,
}

impl SeatCounts {
    /// Seats still free to assign; never negative even if data is corrupt.
    pub fn available(&self) -> i64 {
        (self.purchased - self.consumed - self.allocated).max(0)
    }

    /// Share of purchased seats in use or handed down, 0–100 (may exceed
    /// 100 only if stored data is inconsistent, which the doctor reports).
    pub fn usage_percent(&self) -> f64 {
        if self.purchased <= 0 {
            return 0.0;
        }
        (self.consumed + self.allocated) as f64 * 100.0 / self.purchased as f64
    }

    /// Whether `n` more seats fit.
    pub fn can_take(&self, n: i64) -> bool {
        n >= 0 && self.consumed + self.allocated + n <= self.purchased
    }
}

/// Where a license stands in time on `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DateStanding {
    NotStarted,
    InDate,
    /// Past the finish date but within the grace period: access continues.
    InGrace,
    Lapsed,
}

/// Days from `today` to `finish` (negative once past), as "Remaining Days".
pub fn remaining_days(finish: NaiveDate, today: NaiveDate) -> i64 {
    (finish - today).num_days()
}

pub fn date_standing(
    start: NaiveDate,
    finish: NaiveDate,
    grace_days: i64,
    today: NaiveDate,
) -> DateStanding {
    if today < start {
        DateStanding::NotStarted
    } else if today <= finish {
        DateStanding::InDate
    } else if (today - finish).num_days() <= grace_days {
        DateStanding::InGrace
    } else {
        DateStanding::Lapsed
    }
}

/// Whether a license finishing on `finish` lands within the next `days` days.
pub fn expires_within(finish: NaiveDate, today: NaiveDate, days: i64) -> bool {
    let left = remaining_days(finish, today);
    (0..=days).contains(&left)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn standing_moves_through_grace_to_lapsed() {
        let (start, finish) = (day("2026-01-01"), day("2026-06-30"));
        assert_eq!(
            date_standing(start, finish, 30, day("2025-12-31")),
            DateStanding::NotStarted
        );
        assert_eq!(
            date_standing(start, finish, 30, day("2026-06-30")),
            DateStanding::InDate
        );
        assert_eq!(
            date_standing(start, finish, 30, day("2026-07-30")),
            DateStanding::InGrace
        );
        assert_eq!(
            date_standing(start, finish, 30, day("2026-07-31")),
            DateStanding::Lapsed
        );
        assert_eq!(remaining_days(finish, day("2026-06-01")), 29);
        assert!(expires_within(finish, day("2026-06-01"), 30));
        assert!(!expires_within(finish, day("2026-07-01"), 30));
    }

    proptest! {
        #[test]
        fn available_plus_used_never_exceeds_purchased(
            purchased in 0i64..10_000, consumed in 0i64..10_000, allocated in 0i64..10_000
        ) {
            let counts = SeatCounts { purchased, consumed, allocated };
            prop_assert!(counts.available() >= 0);
            if counts.can_take(0) {
                prop_assert_eq!(counts.available() + consumed + allocated, purchased);
            }
            prop_assert_eq!(counts.can_take(1), counts.available() >= 1);
        }
    }
}
