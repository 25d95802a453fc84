//! Grammar of the read-only commands: the dashboard, listings (claims,
//! teachers, licenses, users, audit, alerts) and triage (check, doctor),
//! with their shared connection and output options.

use std::path::PathBuf;

use clap::Args;
use seatdesk_core::api::alerts::{AlertKind, AlertSeverity};
use seatdesk_core::{InventoryType, SeatStatus, UserKind, UserRole, UserStatus};

use crate::output::Format;

/// Which server and token: a profile, overridden by the environment.
#[derive(Debug, Clone, Default, Args)]
pub struct Remote {
    /// Profile from config.toml (default: its default_profile).
    /// SEATDESK_URL and SEATDESK_TOKEN override the profile's server and token.
    #[arg(long, env = "SEATDESK_PROFILE")]
    pub profile: Option<String>,
}

/// Output options of a listing.
#[derive(Debug, Clone, Default, Args)]
pub struct ListOutput {
    /// How stdout shows the rows [default: table, or nothing with --export].
    #[arg(long, short = 'o', value_enum)]
    pub output: Option<Format>,
    /// Also write the rows to PATH; the format follows the extension
    /// (.csv, .xlsx or .json).
    #[arg(long, value_name = "PATH")]
    pub export: Option<PathBuf>,
    /// At most N rows [default: all].
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

/// Output option of a report (one answer, not a listing).
#[derive(Debug, Clone, Default, Args)]
pub struct ReportOutput {
    /// table (default), json or csv.
    #[arg(long, short = 'o', value_enum, default_value = "table")]
    pub output: Format,
}

/// `--sort` of the claims report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClaimSortKey {
    Assigned,
    Claimed,
    Name,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SortOrder {
    Asc,
    Desc,
}

#[derive(Debug, Clone, Args)]
pub struct DashboardArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// Purchasing account id.
    #[arg(long, value_name = "ID")]
    pub account: Option<i64>,
    /// This org's subtree (a district with its schools).
    #[arg(long, value_name = "ID")]
    pub org: Option<i64>,
    /// Product SKU (or id).
    #[arg(long, value_name = "SKU")]
    pub product: Option<String>,
    #[command(flatten)]
    pub out: ReportOutput,
}

#[derive(Debug, Clone, Args)]
pub struct ClaimsArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// Only these statuses (pending, active, expired, revoked); repeat or
    /// comma-separate.
    #[arg(long, value_delimiter = ',')]
    pub status: Vec<SeatStatus>,
    /// Assigned more than AGE ago, e.g. 30d, 12h, 2w.
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    pub older_than: Option<chrono::TimeDelta>,
    /// Assigned within the last AGE.
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    pub newer_than: Option<chrono::TimeDelta>,
    /// Product SKU (or id).
    #[arg(long, value_name = "SKU")]
    pub product: Option<String>,
    /// License id.
    #[arg(long, value_name = "ID")]
    pub license: Option<i64>,
    /// Purchasing account id.
    #[arg(long, value_name = "ID")]
    pub account: Option<i64>,
    /// Text in the user's name or email (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub q: Option<String>,
    /// Sort by assignment date (default), claim date or name.
    #[arg(long, value_enum)]
    pub sort: Option<ClaimSortKey>,
    /// Default: newest first for dates, A-Z for names.
    #[arg(long, value_enum)]
    pub order: Option<SortOrder>,
    #[command(flatten)]
    pub out: ListOutput,
}

#[derive(Debug, Clone, Args)]
pub struct TeachersArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// The license whose teachers to list.
    #[arg(long, value_name = "ID")]
    pub license: i64,
    /// Include expired and revoked seats (default: live seats only).
    #[arg(long)]
    pub all: bool,
    /// Text in the teacher's name or email.
    #[arg(long, value_name = "TEXT")]
    pub q: Option<String>,
    #[command(flatten)]
    pub out: ListOutput,
}

/// License Inventory "Order Status".
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OrderStatus {
    All,
    Available,
    Expired,
    Requested,
    WithRenewalRequest,
}

#[derive(Debug, Clone, Args)]
pub struct LicensesArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// Purchasing account id.
    #[arg(long, value_name = "ID")]
    pub account: Option<i64>,
    /// Licenses of this org's subtree.
    #[arg(long, value_name = "ID")]
    pub org: Option<i64>,
    /// Product SKU (or id).
    #[arg(long, value_name = "SKU")]
    pub product: Option<String>,
    #[arg(long, value_name = "TEXT")]
    pub order_number: Option<String>,
    #[arg(long, value_name = "TEXT")]
    pub purchase_order: Option<String>,
    /// A master, teacher or other code of the license.
    #[arg(long, value_name = "CODE")]
    pub code: Option<String>,
    /// center_license, user_activation_codes or seat_pool.
    #[arg(long = "type", value_name = "TYPE")]
    pub inventory_type: Option<InventoryType>,
    #[arg(long, value_enum)]
    pub status: Option<OrderStatus>,
    #[command(flatten)]
    pub out: ListOutput,
}

#[derive(Debug, Clone, Args)]
pub struct UsersArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// Users of this org's subtree.
    #[arg(long, value_name = "ID")]
    pub org: Option<i64>,
    #[arg(long)]
    pub role: Option<UserRole>,
    /// teacher, student or staff.
    #[arg(long)]
    pub kind: Option<UserKind>,
    /// active, suspended or archived.
    #[arg(long)]
    pub status: Option<UserStatus>,
    /// Text in the name or email.
    #[arg(long, value_name = "TEXT")]
    pub q: Option<String>,
    #[command(flatten)]
    pub out: ListOutput,
}

#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// An action (`seat.revoke`) or a prefix of actions (`seat`).
    #[arg(long)]
    pub action: Option<String>,
    /// Text in the actor's name.
    #[arg(long)]
    pub actor: Option<String>,
    /// e.g. seat, license, user.
    #[arg(long)]
    pub target_type: Option<String>,
    #[arg(long, value_name = "ID")]
    pub target_id: Option<i64>,
    /// Events of the last AGE, e.g. 24h, 7d.
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    pub since: Option<chrono::TimeDelta>,
    /// After the latest events, keep printing new ones as they happen
    /// (oldest first) until Ctrl-C. --limit then counts the backlog shown
    /// first (default 10).
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Seconds between polls with --follow.
    #[arg(long, value_name = "SECS", default_value_t = 2.0)]
    pub interval: f64,
    #[command(flatten)]
    pub out: ListOutput,
}

#[derive(Debug, Clone, Args)]
pub struct AlertsArgs {
    #[command(flatten)]
    pub remote: Remote,
    #[arg(long, value_name = "ID")]
    pub account: Option<i64>,
    #[arg(long, value_name = "ID")]
    pub org: Option<i64>,
    /// license_expiring, license_in_grace, pool_nearly_full, pool_full_forecast or code_redeemed_fast.
    #[arg(long)]
    pub kind: Option<AlertKind>,
    /// Days before the finish date that count as expiring, e.g. 60,30
    /// [default: the server's].
    #[arg(long, value_name = "DAYS,…")]
    pub expiry_days: Option<String>,
    /// Usage percent at which a pool is nearly full [default: the server's].
    #[arg(long, value_name = "PERCENT")]
    pub usage_percent: Option<f64>,
    /// More redemptions of one code than this within the window is a leak.
    #[arg(long, value_name = "N")]
    pub fast_redemptions: Option<i64>,
    #[arg(long, value_name = "MINUTES")]
    pub fast_window_minutes: Option<i64>,
    /// Exit 7 when an alert of this severity or worse is listed
    /// (info, warning, critical): for cron and monitoring.
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<AlertSeverity>,
    #[command(flatten)]
    pub out: ListOutput,
}

#[derive(Debug, Clone, Args)]
#[command(after_help = "Exit status 7 when access would be denied.")]
pub struct CheckArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// The user's email or id.
    pub user: String,
    /// The product's SKU or id.
    pub product: String,
    #[command(flatten)]
    pub out: ReportOutput,
}

#[derive(Debug, Clone, Args)]
#[command(after_help = "Exit status 7 when any discrepancy is found (for cron).")]
pub struct DoctorArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// Most items listed per kind (the totals count them all).
    #[arg(long, value_name = "N")]
    pub limit: Option<u32>,
    #[command(flatten)]
    pub out: ReportOutput,
}

/// Parses an age such as `30d`, `12h`, `90m`, `2w` (a bare number is days).
pub fn parse_age(text: &str) -> Result<chrono::TimeDelta, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: i64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not an age like 30d, 12h, 90m or 2w"))?;
    let delta = match unit {
        "" | "d" => chrono::TimeDelta::try_days(n),
        "w" => chrono::TimeDelta::try_weeks(n),
        "h" => chrono::TimeDelta::try_hours(n),
        "m" => chrono::TimeDelta::try_minutes(n),
        _ => None,
    };
    delta.ok_or_else(|| format!("'{text}' is not an age like 30d, 12h, 90m or 2w"))
}

#[cfg(test)]
mod tests {
    use super::parse_age;

    #[test]
    fn ages_read_days_weeks_hours_and_minutes() {
        assert_eq!(parse_age("30d").unwrap(), chrono::TimeDelta::days(30));
        assert_eq!(parse_age("2w").unwrap(), chrono::TimeDelta::days(14));
        assert_eq!(parse_age("12h").unwrap(), chrono::TimeDelta::hours(12));
        assert_eq!(parse_age("90m").unwrap(), chrono::TimeDelta::minutes(90));
        assert_eq!(parse_age("7").unwrap(), chrono::TimeDelta::days(7));
        assert!(parse_age("soon").is_err());
        assert!(parse_age("3y").is_err());
        assert!(parse_age("-3d").is_err());
    }
}
