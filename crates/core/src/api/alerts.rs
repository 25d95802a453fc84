//! Alerts: licenses nearing their finish date or in grace, pools nearly
//! full or forecast to be full before they finish, and activation codes
//! redeemed suspiciously fast (a leaked code).
//! The thresholds and the rules deciding which one a license has crossed,
//! and how severe that is, live here so the server, the CLI and the
//! dashboard agree on them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::vocab::string_enum;

/// Most alerts one `GET /v1/alerts` returns; `truncated` says when more matched.
pub const MAX_ALERTS: usize = 500;
/// Most expiry thresholds one request may name.
pub const MAX_EXPIRY_THRESHOLDS: usize = 12;
/// Largest expiry threshold accepted, in days (ten years).
pub const MAX_EXPIRY_DAYS: i64 = 3650;
/// Longest redemption window accepted, in minutes (one week).
pub const MAX_WINDOW_MINUTES: i64 = 7 * 24 * 60;

string_enum!(
    /// What an alert is about.
    AlertKind {
        /// A live license within one of the expiry thresholds of its finish date.
        LicenseExpiring => "license_expiring",
        /// Past its finish date, still inside its grace period.
        LicenseInGrace => "license_in_grace",
        /// Seats in use or handed down at or above the usage threshold.
        PoolNearlyFull => "pool_nearly_full",
        /// At the pace seats are being taken the pool runs out within 30
        /// days and before the license finishes (see `crate::forecast`).
        PoolFullForecast => "pool_full_forecast",
        /// More seats created from one activation code within the window than allowed.
        CodeRedeemedFast => "code_redeemed_fast",
    }
);

impl AlertKind {
    /// The audit action recorded when a new alert of this kind is raised;
    /// webhooks subscribe to them as `alert` or by full name.
    pub fn action(self) -> &'static str {
        match self {
            AlertKind::LicenseExpiring => "alert.license_expiring",
            AlertKind::LicenseInGrace => "alert.license_in_grace",
            AlertKind::PoolNearlyFull => "alert.pool_nearly_full",
            AlertKind::PoolFullForecast => "alert.pool_full_forecast",
            AlertKind::CodeRedeemedFast => "alert.code_redeemed_fast",
        }
    }
}

string_enum!(
    /// How urgent an alert is; ordered, `critical` highest.
    AlertSeverity {
        Info => "info",
        Warning => "warning",
        Critical => "critical",
    }
);

/// The limits that raise alerts. Servers start with [`Default`] (or their
/// `--alert-*` flags); a request may override each one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AlertThresholds {
    /// Days before the finish date at which a license is reported, any order.
    pub expiry_days: Vec<i64>,
    /// Usage (consumed + allocated ÷ purchased, in percent) that counts as nearly full.
    pub usage_percent: f64,
    /// More seats than this created from one code within the window is suspicious.
    pub fast_redemptions: i64,
    pub fast_window_minutes: i64,
}

impl Default for AlertThresholds {
    fn default() -> Self {
        AlertThresholds {
            expiry_days: vec![90, 60, 30, 15],
            usage_percent: 90.0,
            fast_redemptions: 20,
            fast_window_minutes: 60,
        }
    }
}

impl AlertThresholds {
    /// Problems with the values, one line each; empty when usable.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.expiry_days.is_empty() || self.expiry_days.len() > MAX_EXPIRY_THRESHOLDS {
            problems.push(format!(
                "expiry_days must name 1 to {MAX_EXPIRY_THRESHOLDS} thresholds"
            ));
        }
        if let Some(bad) = self
            .expiry_days
            .iter()
            .find(|d| !(1..=MAX_EXPIRY_DAYS).contains(*d))
        {
            problems.push(format!(
                "expiry_days: {bad} is not between 1 and {MAX_EXPIRY_DAYS}"
            ));
        }
        if !(self.usage_percent > 0.0 && self.usage_percent <= 100.0) {
            problems.push(format!(
                "usage_percent must be above 0 and at most 100, not {}",
                self.usage_percent
            ));
        }
        if self.fast_redemptions < 1 {
            problems.push("fast_redemptions must be at least 1".to_string());
        }
        if !(1..=MAX_WINDOW_MINUTES).contains(&self.fast_window_minutes) {
            problems.push(format!(
                "fast_window_minutes must be between 1 and {MAX_WINDOW_MINUTES}"
            ));
        }
        problems
    }

    /// The expiry thresholds smallest first, without repeats.
    pub fn sorted_expiry_days(&self) -> Vec<i64> {
        let mut days = self.expiry_days.clone();
        days.sort_unstable();
        days.dedup();
        days
    }

    /// The usage threshold in hundredths of a percent, so SQL can compare
    /// integers: `(consumed + allocated) * 10000 >= purchased * basis_points`.
    pub fn usage_basis_points(&self) -> i64 {
        (self.usage_percent * 100.0).round() as i64
    }
}

/// Parses `90,60,30,15` (spaces allowed).
pub fn parse_expiry_days(text: &str) -> Result<Vec<i64>, String> {
    text.split(',')
        .map(str::trim)
        .map(|part| {
            part.parse::<i64>()
                .map_err(|_| format!("expiry_days: '{part}' is not a whole number of days"))
        })
        .collect()
}

/// The smallest threshold a license with `remaining_days` left has crossed,
/// if any. Licenses already past their finish date (negative days) are not
/// "expiring": they are in grace or lapsed.
pub fn crossed_expiry_threshold(thresholds: &[i64], remaining_days: i64) -> Option<i64> {
    if remaining_days < 0 {
        return None;
    }
    thresholds
        .iter()
        .copied()
        .filter(|t| remaining_days <= *t)
        .min()
}

/// Severity of an expiry alert at `threshold`: the smallest configured
/// threshold is critical, the next one a warning, earlier ones information.
pub fn expiry_severity(thresholds: &[i64], threshold: i64) -> AlertSeverity {
    let mut sorted = thresholds.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    match sorted.iter().position(|t| *t == threshold) {
        Some(0) => AlertSeverity::Critical,
        Some(1) => AlertSeverity::Warning,
        _ => AlertSeverity::Info,
    }
}

/// Whether a pool of `purchased` seats with `used` taken or handed down is
/// at or above `usage_percent`. Same integer rule as the SQL filter.
pub fn usage_crossed(used: i64, purchased: i64, thresholds: &AlertThresholds) -> bool {
    purchased > 0 && used * 10_000 >= purchased * thresholds.usage_basis_points()
}

/// A full pool cannot take another seat: critical; otherwise a warning.
pub fn usage_severity(used: i64, purchased: i64) -> AlertSeverity {
    if used >= purchased {
        AlertSeverity::Critical
    } else {
        AlertSeverity::Warning
    }
}

/// The figures behind an alert; which are present depends on its kind.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
pub struct AlertFigures {
    /// Expiring: the threshold crossed, in days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_days: Option<i64>,
    /// Expiring / in grace: days to the finish date (negative once past).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_date: Option<NaiveDate>,
    /// In grace: the last day of access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_until: Option<NaiveDate>,
    /// Nearly full: usage now and the threshold, in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_percent: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_percent: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seats_purchased: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seats_used: Option<i64>,
    /// Full forecast: free seats now, the smoothed net pace, and when the
    /// pool runs out (`finish_date` is the license's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seats_available: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seats_per_day: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_in_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_on: Option<NaiveDate>,
    /// Redeemed fast: seats created from the code within the window, and the limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redemptions: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_redemptions: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_minutes: Option<i64>,
}

/// One alert. License alerts name the license; code alerts also name the code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Alert {
    pub kind: AlertKind,
    pub severity: AlertSeverity,
    pub license_id: i64,
    /// The product's SKU.
    pub product: String,
    pub org_id: i64,
    /// The org's name.
    pub org: String,
    pub account_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// One human sentence.
    pub message: String,
    pub figures: AlertFigures,
    /// When the condition began, where that is known: the start of the day
    /// the threshold was crossed, the first day of grace, the first
    /// redemption within the window. Absent for nearly-full pools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
}

/// `GET /v1/alerts` filters and threshold overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    pub account_id: Option<i64>,
    /// Alerts of this org's subtree only.
    pub org_id: Option<i64>,
    pub kind: Option<AlertKind>,
    /// Comma-separated days, 1 to 12 of them, each 1 to 3650, e.g. `90,60,30,15`.
    #[param(
        pattern = "^(0*(3650|36[0-4][0-9]|3[0-5][0-9]{2}|[12][0-9]{3}|[1-9][0-9]{0,2}))(,0*(3650|36[0-4][0-9]|3[0-5][0-9]{2}|[12][0-9]{3}|[1-9][0-9]{0,2})){0,11}$"
    )]
    pub expiry_days: Option<String>,
    #[param(exclusive_minimum = 0, maximum = 100)]
    pub usage_percent: Option<f64>,
    #[param(minimum = 1)]
    pub fast_redemptions: Option<i64>,
    #[param(minimum = 1, maximum = 10080)]
    pub fast_window_minutes: Option<i64>,
}

impl AlertQuery {
    /// `defaults` with this query's overrides applied, or the problems with them.
    pub fn thresholds(&self, defaults: &AlertThresholds) -> Result<AlertThresholds, Vec<String>> {
        let mut thresholds = defaults.clone();
        if let Some(text) = &self.expiry_days {
            thresholds.expiry_days = parse_expiry_days(text).map_err(|e| vec![e])?;
        }
        if let Some(percent) = self.usage_percent {
            thresholds.usage_percent = percent;
        }
        if let Some(n) = self.fast_redemptions {
            thresholds.fast_redemptions = n;
        }
        if let Some(minutes) = self.fast_window_minutes {
            thresholds.fast_window_minutes = minutes;
        }
        let problems = thresholds.problems();
        if problems.is_empty() {
            Ok(thresholds)
        } else {
            Err(problems)
        }
    }
}

/// `GET /v1/alerts`: most severe first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Alerts {
    /// The server's date (UTC) the alerts were computed for.
    pub today: NaiveDate,
    /// The thresholds applied (defaults with the request's overrides).
    pub thresholds: AlertThresholds,
    /// At most [`MAX_ALERTS`].
    pub items: Vec<Alert>,
    /// More alerts matched than were returned; narrow the filters.
    pub truncated: bool,
}

/// "License 12 (SKU) for Springfield finishes in 10 days (2027-01-10)."
pub fn expiring_message(
    license_id: i64,
    product: &str,
    org: &str,
    remaining: i64,
    finish: NaiveDate,
) -> String {
    let when = match remaining {
        0 => "today".to_string(),
        1 => "in 1 day".to_string(),
        n => format!("in {n} days"),
    };
    format!("License {license_id} ({product}) for {org} finishes {when} ({finish}).")
}

pub fn grace_message(
    license_id: i64,
    product: &str,
    org: &str,
    finish: NaiveDate,
    grace_until: NaiveDate,
) -> String {
    format!(
        "License {license_id} ({product}) for {org} finished on {finish} and is in grace until {grace_until}."
    )
}

pub fn usage_message(
    license_id: i64,
    product: &str,
    org: &str,
    used: i64,
    purchased: i64,
) -> String {
    let percent = if purchased > 0 {
        used as f64 * 100.0 / purchased as f64
    } else {
        0.0
    };
    format!(
        "License {license_id} ({product}) for {org} has {used} of {purchased} seats in use or handed down ({percent:.0}%)."
    )
}

/// "License 12 (SKU) for Springfield will be full in ~9 days (2027-01-10) at
/// 2.3 seats a day, before it finishes on 2027-06-30."
pub fn forecast_message(
    license_id: i64,
    product: &str,
    org: &str,
    forecast: &crate::forecast::PoolForecast,
    finish: NaiveDate,
) -> String {
    let when = match (forecast.full_in_days, forecast.full_on) {
        (Some(days), Some(on)) => {
            format!("in ~{days} day{} ({on})", if days == 1 { "" } else { "s" })
        }
        _ => "soon".to_string(),
    };
    format!(
        "License {license_id} ({product}) for {org} will be full {when} at {:.1} seats a day, before it finishes on {finish}.",
        forecast.seats_per_day
    )
}

/// A pool forecast to run out within a week is critical; later, a warning.
pub fn forecast_severity(full_in_days: i64) -> AlertSeverity {
    if full_in_days <= 7 {
        AlertSeverity::Critical
    } else {
        AlertSeverity::Warning
    }
}

pub fn fast_message(code: &str, license_id: i64, redemptions: i64, minutes: i64) -> String {
    format!(
        "Code {code} of license {license_id} was redeemed {redemptions} times within {minutes} minutes; it may have leaked."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: [i64; 4] = [90, 60, 30, 15];

    #[test]
    fn the_smallest_crossed_threshold_is_reported() {
        assert_eq!(crossed_expiry_threshold(&DEFAULT, 10), Some(15));
        assert_eq!(crossed_expiry_threshold(&DEFAULT, 15), Some(15));
        assert_eq!(crossed_expiry_threshold(&DEFAULT, 16), Some(30));
        assert_eq!(crossed_expiry_threshold(&DEFAULT, 40), Some(60));
        assert_eq!(crossed_expiry_threshold(&DEFAULT, 80), Some(90));
        assert_eq!(crossed_expiry_threshold(&DEFAULT, 90), Some(90));
        assert_eq!(crossed_expiry_threshold(&DEFAULT, 91), None);
        assert_eq!(crossed_expiry_threshold(&DEFAULT, 0), Some(15));
        assert_eq!(crossed_expiry_threshold(&DEFAULT, -1), None, "past: grace");
        assert_eq!(crossed_expiry_threshold(&[], 5), None);
    }

    #[test]
    fn severity_follows_the_thresholds_position() {
        assert_eq!(expiry_severity(&DEFAULT, 15), AlertSeverity::Critical);
        assert_eq!(expiry_severity(&DEFAULT, 30), AlertSeverity::Warning);
        assert_eq!(expiry_severity(&DEFAULT, 60), AlertSeverity::Info);
        assert_eq!(expiry_severity(&DEFAULT, 90), AlertSeverity::Info);
        assert_eq!(expiry_severity(&[45], 45), AlertSeverity::Critical);
        assert!(AlertSeverity::Critical > AlertSeverity::Warning);
        assert!(AlertSeverity::Warning > AlertSeverity::Info);
    }

    #[test]
    fn usage_uses_integer_basis_points() {
        let t = AlertThresholds::default();
        assert!(usage_crossed(90, 100, &t));
        assert!(!usage_crossed(89, 100, &t));
        assert!(usage_crossed(19, 20, &t));
        assert!(!usage_crossed(0, 0, &t), "no seats bought is not full");
        let t85 = AlertThresholds {
            usage_percent: 85.5,
            ..t.clone()
        };
        assert!(usage_crossed(855, 1000, &t85));
        assert!(!usage_crossed(854, 1000, &t85));
        assert_eq!(usage_severity(20, 20), AlertSeverity::Critical);
        assert_eq!(usage_severity(19, 20), AlertSeverity::Warning);
    }

    #[test]
    fn query_overrides_are_parsed_and_checked() {
        let defaults = AlertThresholds::default();
        assert_eq!(
            AlertQuery::default().thresholds(&defaults),
            Ok(defaults.clone())
        );
        let query = AlertQuery {
            expiry_days: Some("120, 7".to_string()),
            usage_percent: Some(85.0),
            fast_redemptions: Some(10),
            fast_window_minutes: Some(30),
            ..AlertQuery::default()
        };
        let t = query.thresholds(&defaults).unwrap();
        assert_eq!(t.expiry_days, vec![120, 7]);
        assert_eq!(t.sorted_expiry_days(), vec![7, 120]);
        assert_eq!(t.usage_basis_points(), 8500);
        for bad in [
            AlertQuery {
                expiry_days: Some("90,x".into()),
                ..AlertQuery::default()
            },
            AlertQuery {
                expiry_days: Some("0".into()),
                ..AlertQuery::default()
            },
            AlertQuery {
                usage_percent: Some(0.0),
                ..AlertQuery::default()
            },
            AlertQuery {
                usage_percent: Some(101.0),
                ..AlertQuery::default()
            },
            AlertQuery {
                usage_percent: Some(f64::NAN),
                ..AlertQuery::default()
            },
            AlertQuery {
                fast_redemptions: Some(0),
                ..AlertQuery::default()
            },
            AlertQuery {
                fast_window_minutes: Some(MAX_WINDOW_MINUTES + 1),
                ..AlertQuery::default()
            },
        ] {
            assert!(bad.thresholds(&defaults).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn messages_read_as_sentences() {
        let finish = NaiveDate::from_ymd_opt(2027, 1, 10).unwrap();
        assert_eq!(
            expiring_message(12, "SKU-1", "Springfield", 10, finish),
            "License 12 (SKU-1) for Springfield finishes in 10 days (2027-01-10)."
        );
        assert!(expiring_message(1, "S", "O", 0, finish).contains("finishes today"));
        assert!(usage_message(1, "S", "O", 19, 20).contains("(95%)"));
        assert!(fast_message("ABCD", 3, 25, 60).contains("25 times within 60 minutes"));
        let forecast = crate::forecast::PoolForecast {
            seats_per_day: 2.3,
            weeks: 8,
            full_in_days: Some(9),
            full_on: NaiveDate::from_ymd_opt(2026, 12, 12),
        };
        assert_eq!(
            forecast_message(12, "SKU-1", "Springfield", &forecast, finish),
            "License 12 (SKU-1) for Springfield will be full in ~9 days (2026-12-12) at 2.3 seats a day, before it finishes on 2027-01-10."
        );
        assert_eq!(forecast_severity(7), AlertSeverity::Critical);
        assert_eq!(forecast_severity(8), AlertSeverity::Warning);
    }

    proptest::proptest! {
        /// The reported threshold is crossed, and no smaller one is.
        #[test]
        fn the_reported_threshold_is_the_smallest_crossed(
            thresholds in proptest::collection::vec(1i64..400, 1..6),
            remaining in -30i64..500,
        ) {
            match crossed_expiry_threshold(&thresholds, remaining) {
                Some(t) => {
                    proptest::prop_assert!(thresholds.contains(&t) && remaining <= t);
                    proptest::prop_assert!(thresholds.iter().all(|o| *o >= t || remaining > *o));
                }
                None => proptest::prop_assert!(
                    remaining < 0 || thresholds.iter().all(|t| remaining > *t)
                ),
            }
        }

        /// The SQL rule (integer basis points) agrees with the percentage.
        #[test]
        fn usage_rule_matches_the_percentage(used in 0i64..2000, purchased in 1i64..2000, percent in 1u32..=100) {
            let t = AlertThresholds { usage_percent: percent as f64, ..AlertThresholds::default() };
            let share = used as f64 * 100.0 / purchased as f64;
            proptest::prop_assert_eq!(usage_crossed(used, purchased, &t), share >= percent as f64 - 1e-9);
        }
    }

    #[test]
    fn kinds_have_audit_actions_under_alert() {
        for kind in AlertKind::ALL {
            assert_eq!(kind.action(), format!("alert.{}", kind.as_str()));
        }
    }
}
