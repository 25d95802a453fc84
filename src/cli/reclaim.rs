//! Grammar of `seatdesk reclaim` (policies that free seats nobody uses,
//! their dry runs, runs and history) and of `seatdesk seen` (a product
//! reporting the seats it saw in use).

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use seatdesk_core::api::reclaim::ReclaimRule;

use super::listings::{ListOutput, Remote, ReportOutput, parse_age};

#[derive(Debug, Clone, Subcommand)]
pub enum ReclaimCommand {
    /// List the policies: rule, schedule, last run and seats freed so far.
    Policies(ReclaimListArgs),
    /// Create a policy.
    Add(ReclaimAddArgs),
    /// The seats a run of the policy would free now, and why; changes nothing.
    DryRun(ReclaimIdArgs),
    /// Run a policy now and print what it freed (asks first; --yes skips).
    #[command(after_help = "\
Exit status: 0 done, 3 some matching seats were refused, 2 confirmation
needed (--yes) or declined.")]
    Run(ReclaimRunArgs),
    /// Stop a policy's scheduled runs.
    Pause(ReclaimIdArgs),
    /// Start a paused policy's scheduled runs again.
    Resume(ReclaimIdArgs),
    /// A policy's runs, newest first: when, by whom, seats freed.
    History(ReclaimHistoryArgs),
    /// How many seats each policy could reclaim now, and in all.
    Summary(ReclaimSummaryArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ReclaimListArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// Only the policies of this org's subtree.
    #[arg(long, value_name = "ID")]
    pub org: Option<i64>,
    #[command(flatten)]
    pub out: ListOutput,
}

#[derive(Debug, Clone, Args)]
#[command(after_help = "\
Rules: pending_over_days (assigned, never claimed), suspended_over_days
(held by a user suspended that long), archived_user (held by an archived
user; no --days), unused_over_days (active, no use reported by a product
or claim for that long; see `seatdesk seen`).")]
pub struct ReclaimAddArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// A name people recognise, e.g. "stale pending claims".
    #[arg(long)]
    pub name: String,
    /// The org whose subtree the policy applies to [default: the token's].
    #[arg(long, value_name = "ID")]
    pub org: Option<i64>,
    /// Only seats of this product (SKU or id).
    #[arg(long, value_name = "SKU")]
    pub product: Option<String>,
    /// Only seats of this license.
    #[arg(long, value_name = "ID")]
    pub license: Option<i64>,
    /// Which seats it frees (see below).
    #[arg(long)]
    pub rule: ReclaimRule,
    /// The rule's age in days (every rule but archived_user).
    #[arg(long, value_name = "N")]
    pub days: Option<i64>,
    /// Time between scheduled runs, e.g. 24h, 30m, 1w [default: 24h].
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    pub interval: Option<chrono::TimeDelta>,
    /// Create it paused: no scheduled runs until `reclaim resume`.
    #[arg(long)]
    pub paused: bool,
    #[command(flatten)]
    pub out: ReportOutput,
}

#[derive(Debug, Clone, Args)]
pub struct ReclaimIdArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// The policy id (see `seatdesk reclaim policies`).
    pub id: i64,
    #[command(flatten)]
    pub out: ReportOutput,
}

#[derive(Debug, Clone, Args)]
pub struct ReclaimRunArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// The policy id (see `seatdesk reclaim policies`).
    pub id: i64,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub out: ReportOutput,
}

#[derive(Debug, Clone, Args)]
pub struct ReclaimHistoryArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// The policy id.
    pub id: i64,
    #[command(flatten)]
    pub out: ListOutput,
}

#[derive(Debug, Clone, Args)]
pub struct ReclaimSummaryArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// This org's subtree.
    #[arg(long, value_name = "ID")]
    pub org: Option<i64>,
    /// Purchasing account id.
    #[arg(long, value_name = "ID")]
    pub account: Option<i64>,
    /// Product SKU (or id).
    #[arg(long, value_name = "SKU")]
    pub product: Option<String>,
    #[command(flatten)]
    pub out: ReportOutput,
}

#[derive(Debug, Clone, Args)]
#[command(after_help = "\
Seat ids as arguments, or one per line on stdin (`-`, or no argument with
stdin not a terminal). Seats that are unknown, outside your organization
or not live are listed as ignored.

Exit status: 0 all recorded, 3 some ids were ignored.")]
pub struct SeenArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// Seat ids used (`-` reads them from stdin).
    #[arg(value_name = "SEAT")]
    pub seats: Vec<String>,
    /// When they were used (RFC 3339) [default: now].
    #[arg(long, value_name = "TIME")]
    pub at: Option<DateTime<Utc>>,
    #[command(flatten)]
    pub out: ReportOutput,
}
