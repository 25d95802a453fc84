//! Pool forecasts: on what day a license (or a dashboard view) runs out of
//! free seats if seats keep being taken at the pace of the last few weeks.
//!
//! # What fills a pool
//!
//! A seat leaves the pool when it is *assigned* (a pending assignment holds
//! a seat as much as a claimed one does: `seats_consumed` counts both) and
//! comes back when it expires or is revoked. Claims per week (the
//! activation trend) are not that: claiming a pending seat takes nothing
//! new, and assignments nobody claims never show up there. So the pace is
//! the *net* weekly flow, seats assigned minus seats freed, which is the
//! week-by-week change of `seats_consumed`. The server keeps it per license
//! and week in a trigger-maintained counter table (`license_flow_weeks`),
//! so a forecast reads at most eight small rows per license, never a seat.
//! Seats handed down to child licenses are a one-off step, not a pace:
//! they lower the free seats a forecast starts from but not the rate.
//!
//! # How the pace is smoothed
//!
//! A linearly weighted moving average of the last [`FORECAST_WEEKS`]
//! *complete* weeks (Monday to Sunday, UTC; the current, partial week is
//! left out so a Monday morning does not read as a quiet week): the newest
//! complete week weighs 8, the one before 7, down to 1 for the oldest.
//! Compared with the alternatives:
//! - a plain mean of eight weeks reacts late when the pace changes (the
//!   start of a school year);
//! - an exponential average with a short half-life follows one busy week
//!   (a rostering import) too closely; here no week carries more than
//!   8/36 ≈ 22% of the weight;
//! - a least-squares slope of cumulative seats weighs old weeks as much as
//!   new ones, and with eight points is as noisy as the mean.
//!
//! The weights are small integers, so the forecast is exact integer
//! arithmetic (`ceil(free × 7 × Σw ÷ Σ(w × seats))`): the dashboard, the
//! alert sweeper and the tests agree to the day on every backend.
//!
//! A license's window starts no earlier than the week of its first seat:
//! a license that started taking seats two weeks ago is judged on those two
//! weeks (weights 8 and 7), not diluted by six empty weeks before it
//! existed. Views (a product, all products) use the whole window: their
//! pace is the sum of their licenses' flows.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Complete weeks the pace is drawn from.
pub const FORECAST_WEEKS: i64 = 8;
/// Forecasts further out than this (ten years) read as "not at this rate".
pub const FORECAST_HORIZON_DAYS: i64 = 3650;
/// A license forecast to be full within this many days (and before its
/// finish date) raises a `pool_full_forecast` alert.
pub const FORECAST_ALERT_DAYS: i64 = 30;

/// When a pool will be full at the current pace, as the server computed it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PoolForecast {
    /// Seats taken per day net of seats freed, smoothed over the last
    /// complete weeks (see [`crate::forecast`]); zero or negative when the
    /// pool is not filling. Rounded to thousandths.
    pub seats_per_day: f64,
    /// Complete weeks the pace was drawn from, 1 to [`FORECAST_WEEKS`].
    pub weeks: i64,
    /// Days from today until no seat is free: 0 when full already; absent
    /// when the pool is not filling at this rate (or not within ten years).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_in_days: Option<i64>,
    /// Today plus `full_in_days`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_on: Option<NaiveDate>,
}

impl PoolForecast {
    /// The words the dashboard shows: "full now", "full in ~N days" or
    /// "not at this rate".
    pub fn describe(&self) -> String {
        match self.full_in_days {
            Some(0) => "full now".to_string(),
            Some(1) => "full in ~1 day".to_string(),
            Some(days) => format!("full in ~{days} days"),
            None => "not at this rate".to_string(),
        }
    }
}

/// The smoothed pace: `weighted ÷ weight` seats per week, where `weighted`
/// is Σ weight × net seats taken in the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pace {
    pub weighted: i64,
    pub weight: i64,
    /// Complete weeks in the window.
    pub weeks: i64,
}

/// The weight of complete week `week` when the current week is `current`:
/// 8 for the week before the current one down to 1 for the oldest in the
/// window; 0 outside the window (the current week included).
pub fn week_weight(week: i64, current: i64) -> i64 {
    let age = current - week; // 1 for the newest complete week
    if (1..=FORECAST_WEEKS).contains(&age) {
        FORECAST_WEEKS + 1 - age
    } else {
        0
    }
}

/// The oldest week of the window when the current week is `current`.
pub fn window_start(current: i64) -> i64 {
    current - FORECAST_WEEKS
}

impl Pace {
    /// The pace from net weekly flows `(week, seats taken − seats freed)`
    /// when the current week is `current`. `first_week` is the week of a
    /// license's first seat: weeks before it leave the window (their
    /// weight no longer divides the sum); `None` for views and for licenses
    /// that never held a seat. `None` when the window holds no complete
    /// week yet (the first seat was taken this week). Flows outside the
    /// window are ignored; repeated weeks add up.
    pub fn from_weeks(
        current: i64,
        first_week: Option<i64>,
        flows: impl IntoIterator<Item = (i64, i64)>,
    ) -> Option<Pace> {
        let weighted = flows
            .into_iter()
            .map(|(week, net)| week_weight(week, current) * net)
            .sum();
        Pace::new(current, first_week, weighted)
    }

    /// The pace from `weighted`, Σ [`week_weight`] × net flow over the
    /// window, as the server's SQL sums it
    /// (`SUM((week − (current − 9)) × (taken − freed))` over the window).
    pub fn new(current: i64, first_week: Option<i64>, weighted: i64) -> Option<Pace> {
        let start = first_week.map_or(window_start(current), |first| {
            first.max(window_start(current))
        });
        if start > current - 1 {
            return None;
        }
        let weight = (start..current).map(|w| week_weight(w, current)).sum();
        Some(Pace {
            weighted,
            weight,
            weeks: current - start,
        })
    }

    /// Seats per day (net), for display.
    pub fn seats_per_day(&self) -> f64 {
        if self.weight <= 0 {
            return 0.0;
        }
        let per_day = self.weighted as f64 / (7 * self.weight) as f64;
        (per_day * 1000.0).round() / 1000.0
    }
}

/// When a pool with `available` free seats is full at `pace`, from `today`.
/// Full already (no free seat) is day 0 whatever the pace; a pace of zero
/// or less, or a date past [`FORECAST_HORIZON_DAYS`], is "not at this rate".
pub fn forecast(available: i64, pace: Pace, today: NaiveDate) -> PoolForecast {
    let full_in_days = if available <= 0 {
        Some(0)
    } else if pace.weighted <= 0 || pace.weight <= 0 {
        None
    } else {
        // ceil(available ÷ (weighted ÷ (7 × weight))), in integers.
        let numerator = i128::from(available) * 7 * i128::from(pace.weight);
        let rate = i128::from(pace.weighted);
        let days = (numerator + rate - 1) / rate;
        (days <= i128::from(FORECAST_HORIZON_DAYS)).then_some(days as i64)
    };
    PoolForecast {
        seats_per_day: pace.seats_per_day(),
        weeks: pace.weeks,
        full_in_days,
        full_on: full_in_days.and_then(|days| today.checked_add_days(Days::new(days as u64))),
    }
}

/// Whether a license finishing on `finish` should raise a
/// `pool_full_forecast` alert: it still has free seats, and at this pace it
/// runs out within [`FORECAST_ALERT_DAYS`] and before its finish date. A
/// pool full already is `pool_nearly_full`'s to report.
pub fn forecast_alert(forecast: &PoolForecast, finish: NaiveDate) -> bool {
    match (forecast.full_in_days, forecast.full_on) {
        (Some(days), Some(on)) => (1..=FORECAST_ALERT_DAYS).contains(&days) && on < finish,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: i64 = 2900; // any week index

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()
    }

    /// Eight complete weeks, oldest first, ending with last week.
    fn weeks(counts: [i64; 8]) -> Vec<(i64, i64)> {
        counts
            .iter()
            .enumerate()
            .map(|(i, n)| (NOW - 8 + i as i64, *n))
            .collect()
    }

    fn pace(counts: [i64; 8]) -> Pace {
        Pace::from_weeks(NOW, None, weeks(counts)).unwrap()
    }

    #[test]
    fn weights_run_from_eight_for_last_week_to_one_and_skip_the_current_week() {
        assert_eq!(week_weight(NOW - 1, NOW), 8);
        assert_eq!(week_weight(NOW - 8, NOW), 1);
        assert_eq!(week_weight(NOW, NOW), 0, "the current week is partial");
        assert_eq!(week_weight(NOW - 9, NOW), 0);
        let p = pace([0; 8]);
        assert_eq!((p.weight, p.weeks), (36, 8));
        // This week's seats do not move the pace.
        let with_now = Pace::from_weeks(NOW, None, [(NOW, 500)]).unwrap();
        assert_eq!(with_now.weighted, 0);
    }

    #[test]
    fn a_constant_rate_gives_the_exact_day() {
        // 10 seats a week, 100 free: 70 days.
        let f = forecast(100, pace([10; 8]), today());
        assert_eq!(f.full_in_days, Some(70));
        assert_eq!(
            f.full_on,
            Some(NaiveDate::from_ymd_opt(2027, 2, 11).unwrap())
        );
        assert_eq!(f.seats_per_day, 1.429);
        assert_eq!(f.weeks, 8);
        assert_eq!(f.describe(), "full in ~70 days");
        // 7 a week is one a day: 30 free seats last exactly 30 days.
        assert_eq!(forecast(30, pace([7; 8]), today()).full_in_days, Some(30));
        // Part of a day left is a day: 31 seats at one a day.
        assert_eq!(forecast(31, pace([7; 8]), today()).full_in_days, Some(31));
        assert_eq!(
            forecast(1, pace([7; 8]), today()).describe(),
            "full in ~1 day"
        );
    }

    #[test]
    fn no_or_negative_pace_is_not_at_this_rate() {
        let zero = forecast(100, pace([0; 8]), today());
        assert_eq!((zero.full_in_days, zero.full_on), (None, None));
        assert_eq!(zero.describe(), "not at this rate");
        assert_eq!(zero.seats_per_day, 0.0);
        // More seats freed than taken.
        let draining = forecast(100, pace([5, 5, 5, 5, -20, -20, -20, -20]), today());
        assert_eq!(draining.full_in_days, None);
        assert!(draining.seats_per_day < 0.0);
        // One seat in eight weeks, a million free: beyond the horizon.
        let slow = forecast(1_000_000, pace([1, 0, 0, 0, 0, 0, 0, 0]), today());
        assert_eq!(slow.full_in_days, None);
    }

    #[test]
    fn a_full_pool_is_full_today_whatever_the_pace() {
        for p in [pace([0; 8]), pace([10; 8]), pace([-3; 8])] {
            let f = forecast(0, p, today());
            assert_eq!(f.full_in_days, Some(0));
            assert_eq!(f.full_on, Some(today()));
            assert_eq!(f.describe(), "full now");
        }
    }

    #[test]
    fn a_rising_series_weighs_recent_weeks_more() {
        // 1, 2, … 8 seats a week: Σ k·k = 204 over Σ k = 36, 5.67 a week,
        // above the plain mean of 4.5. 100 free: ceil(100·7·36 / 204) = 124.
        let rising = pace([1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!((rising.weighted, rising.weight), (204, 36));
        assert_eq!(forecast(100, rising, today()).full_in_days, Some(124));
        let flat_mean = forecast(100, pace([4; 8]), today()).full_in_days.unwrap();
        assert!(124 < flat_mean, "sooner than at the mean pace");
        // The mirror image, falling: Σ k·(9−k) = 120: ceil(25200 / 120) = 210.
        let falling = pace([8, 7, 6, 5, 4, 3, 2, 1]);
        assert_eq!(forecast(100, falling, today()).full_in_days, Some(210));
    }

    #[test]
    fn a_license_is_judged_from_the_week_of_its_first_seat() {
        // First seat two weeks ago, 14 a week since: two a day, 20 free.
        let flows = [(NOW - 2, 14), (NOW - 1, 14)];
        let young = Pace::from_weeks(NOW, Some(NOW - 2), flows).unwrap();
        assert_eq!((young.weight, young.weeks), (15, 2));
        assert_eq!(forecast(20, young, today()).full_in_days, Some(10));
        // The same flows diluted over the whole window would read slower.
        let diluted = Pace::from_weeks(NOW, None, flows).unwrap();
        assert_eq!(forecast(20, diluted, today()).full_in_days, Some(24));
        // A first seat years ago: the ordinary window.
        assert_eq!(
            Pace::from_weeks(NOW, Some(NOW - 100), flows)
                .unwrap()
                .weight,
            36
        );
        // Only seats from this week: no complete week yet.
        assert_eq!(Pace::from_weeks(NOW, Some(NOW), [(NOW, 9)]), None);
    }

    #[test]
    fn the_alert_wants_free_seats_running_out_within_30_days_and_before_the_finish() {
        let p = pace([7; 8]); // one a day
        let finish = today() + Days::new(60);
        assert!(forecast_alert(&forecast(30, p, today()), finish));
        assert!(
            !forecast_alert(&forecast(31, p, today()), finish),
            "31 days"
        );
        assert!(forecast_alert(&forecast(1, p, today()), finish));
        assert!(
            !forecast_alert(&forecast(0, p, today()), finish),
            "full already"
        );
        assert!(!forecast_alert(
            &forecast(10, pace([0; 8]), today()),
            finish
        ));
        // Finishing before it fills: no alert; on the finish day itself: no alert.
        assert!(!forecast_alert(
            &forecast(20, p, today()),
            today() + Days::new(15)
        ));
        assert!(!forecast_alert(
            &forecast(20, p, today()),
            today() + Days::new(20)
        ));
        assert!(forecast_alert(
            &forecast(20, p, today()),
            today() + Days::new(21)
        ));
    }

    #[test]
    fn the_wire_form_leaves_out_what_is_not_known() {
        let f = forecast(10, pace([0; 8]), today());
        let json = serde_json::to_value(f).unwrap();
        assert_eq!(json, serde_json::json!({"seats_per_day": 0.0, "weeks": 8}));
        let back: PoolForecast = serde_json::from_value(json).unwrap();
        assert_eq!(back, f);
    }

    proptest! {
        /// A constant pace of `per_week` seats gives exactly ceil(free·7 / per_week) days.
        #[test]
        fn constant_pace_is_exact(per_week in 1i64..5000, free in 1i64..100_000) {
            let f = forecast(free, pace([per_week; 8]), today());
            let exact = (free * 7 + per_week - 1) / per_week;
            if exact <= FORECAST_HORIZON_DAYS {
                prop_assert_eq!(f.full_in_days, Some(exact));
                prop_assert_eq!(f.full_on, Some(today() + Days::new(exact as u64)));
            } else {
                prop_assert_eq!(f.full_in_days, None);
            }
        }

        /// At the forecast day the pace has used up the free seats; a day
        /// earlier it had not.
        #[test]
        fn the_day_is_the_first_the_pool_is_full(
            counts in proptest::array::uniform8(-50i64..500), free in 1i64..50_000
        ) {
            let p = pace(counts);
            if let Some(days) = forecast(free, p, today()).full_in_days {
                let taken = |d: i64| i128::from(d) * i128::from(p.weighted);
                let needed = i128::from(free) * 7 * i128::from(p.weight);
                prop_assert!(taken(days) >= needed);
                prop_assert!(taken(days - 1) < needed);
            } else {
                let far = i128::from(FORECAST_HORIZON_DAYS) * i128::from(p.weighted);
                prop_assert!(p.weighted <= 0 || far < i128::from(free) * 7 * i128::from(p.weight));
            }
        }

        /// More free seats never fill sooner; a faster pace never later.
        #[test]
        fn forecasts_are_monotonic(
            counts in proptest::array::uniform8(0i64..300), free in 1i64..10_000, extra in 0i64..100
        ) {
            let days = |free, counts| forecast(free, pace(counts), today()).full_in_days.unwrap_or(i64::MAX);
            prop_assert!(days(free + extra, counts) >= days(free, counts));
            let mut faster = counts;
            faster[7] += extra;
            prop_assert!(days(free, faster) <= days(free, counts));
        }
    }
}
