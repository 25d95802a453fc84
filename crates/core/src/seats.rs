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

impl SeatCounts {
    /// The counts of a whole view (an org subtree, an account, a product)
    /// built from per-license sums without counting a seat twice.
    ///
    /// `purchased_top` sums only licenses whose parent license lies outside
    /// the view; `consumed` and `allocated` sum every license in the view;
    /// `allocated_within` is the part of `allocated` handed to child licenses
    /// that are themselves in the view. Those seats are not gone from the
    /// view, they are counted again as the children's consumed or available
    /// seats, so only seats handed out of the view stay "allocated".
    pub fn for_view(
        purchased_top: i64,
        consumed: i64,
        allocated: i64,
        allocated_within: i64,
    ) -> SeatCounts {
        SeatCounts {
            purchased: purchased_top,
            consumed,
            allocated: (allocated - allocated_within).max(0),
        }
    }
}

impl std::ops::Add for SeatCounts {
    type Output = SeatCounts;
    fn add(self, other: SeatCounts) -> SeatCounts {
        SeatCounts {
            purchased: self.purchased + other.purchased,
            consumed: self.consumed + other.consumed,
            allocated: self.allocated + other.allocated,
        }
    }
}

/// Activation rate as the License Dashboard defines it: the share of
/// assigned seats that have been claimed, `active ÷ (active + pending)`,
/// from 0.0 to 1.0. Expired and revoked seats are no longer assigned, so
/// they count on neither side. `None` when nothing is assigned.
pub fn activation_rate(active: i64, pending: i64) -> Option<f64> {
    let assigned = active + pending;
    (assigned > 0).then(|| active as f64 / assigned as f64)
}

/// Whether a license is full enough to need attention (usage ≥ 90%).
pub fn nearly_full(counts: &SeatCounts) -> bool {
    counts.purchased > 0 && (counts.consumed + counts.allocated) * 10 >= counts.purchased * 9
}

/// One week in milliseconds.
pub const WEEK_MS: i64 = 7 * 86_400_000;
/// Shift that makes weeks start on Monday 00:00 UTC: the unix epoch was a
/// Thursday, three days after a Monday. The server's SQL buckets timestamps
/// with the same numbers, `(ms + WEEK_SHIFT_MS) / WEEK_MS`.
pub const WEEK_SHIFT_MS: i64 = 3 * 86_400_000;

/// The number of the Monday-started UTC week holding `ms`.
pub fn week_index(ms: i64) -> i64 {
    (ms + WEEK_SHIFT_MS).div_euclid(WEEK_MS)
}

/// The first instant (unix ms) of week `index`.
pub fn week_start_ms(index: i64) -> i64 {
    index * WEEK_MS - WEEK_SHIFT_MS
}

/// The Monday that starts week `index`.
pub fn week_start(index: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(week_start_ms(index))
        .unwrap_or_default()
        .date_naive()
}

/// A trend series of `weeks` weeks ending with week `last`, oldest first,
/// every week present (zero when `counts` has nothing for it). Counts for
/// weeks outside the window are ignored; repeated weeks add up.
pub fn weekly_series(
    last: i64,
    weeks: usize,
    counts: impl IntoIterator<Item = (i64, i64)>,
) -> Vec<(NaiveDate, i64)> {
    let first = last - weeks as i64 + 1;
    let mut series: Vec<(NaiveDate, i64)> =
        (first..=last).map(|week| (week_start(week), 0)).collect();
    for (week, count) in counts {
        if (first..=last).contains(&week) {
            series[(week - first) as usize].1 += count;
        }
    }
    series
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

    #[test]
    fn view_counts_do_not_count_seats_handed_down_inside_the_view_twice() {
        // Parent: 100 purchased, 20 held, 30 handed to a child in the view;
        // child: 30 purchased, 10 held. The view has 70 seats free.
        let view = SeatCounts::for_view(100, 30, 30, 30);
        assert_eq!(
            view,
            SeatCounts {
                purchased: 100,
                consumed: 30,
                allocated: 0
            }
        );
        assert_eq!(view.available(), 70);
        assert_eq!(view.usage_percent(), 30.0);
        // Seen from a view holding only the parent, the 30 are allocated away.
        let parent_only = SeatCounts::for_view(100, 20, 30, 0);
        assert_eq!(parent_only.available(), 50);
    }

    #[test]
    fn activation_rate_is_claimed_over_assigned() {
        assert_eq!(activation_rate(0, 0), None);
        assert_eq!(activation_rate(3, 1), Some(0.75));
        assert_eq!(activation_rate(0, 5), Some(0.0));
        assert!(nearly_full(&SeatCounts {
            purchased: 10,
            consumed: 9,
            allocated: 0
        }));
        assert!(!nearly_full(&SeatCounts {
            purchased: 10,
            consumed: 8,
            allocated: 0
        }));
        assert!(!nearly_full(&SeatCounts::default()));
    }

    #[test]
    fn weeks_start_on_monday_and_series_is_zero_filled_oldest_first() {
        let monday = day("2026-11-23"); // a Monday
        let ms = monday
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis();
        let week = week_index(ms);
        assert_eq!(week_start(week), monday);
        assert_eq!(
            week_index(ms - 1),
            week - 1,
            "Sunday 23:59:59.999 is the week before"
        );
        assert_eq!(week_index(ms + WEEK_MS - 1), week);
        assert_eq!(week_start_ms(week), ms);
        let series = weekly_series(
            week,
            3,
            [(week, 2), (week - 2, 1), (week, 1), (week - 9, 7)],
        );
        assert_eq!(
            series,
            vec![
                (day("2026-11-09"), 1),
                (day("2026-11-16"), 0),
                (day("2026-11-23"), 3)
            ]
        );
    }

    proptest! {
        /// A parent license with one child in the same view: the view's
        /// available seats are the sum of both licenses' available seats.
        #[test]
        fn view_counts_match_per_license_sums(
            handed in 0i64..500, parent_used in 0i64..500, child_used in 0i64..500, spare in 0i64..500
        ) {
            let child_used = child_used.min(handed);
            let purchased = handed + parent_used + spare;
            let parent = SeatCounts { purchased, consumed: parent_used, allocated: handed };
            let child = SeatCounts { purchased: handed, consumed: child_used, allocated: 0 };
            let view = SeatCounts::for_view(purchased, parent_used + child_used, handed, handed);
            prop_assert_eq!(view.available(), parent.available() + child.available());
            prop_assert_eq!(view.purchased, purchased);
        }

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
