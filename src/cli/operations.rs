//! Grammar of the commands that change data (revoke, restore, codes,
//! requests, webhooks, roster import) and of the generated shell
//! completions and man page.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{ArgGroup, Args, Subcommand};
use seatdesk_core::CodeKind;
use seatdesk_core::{InventoryType, RequestKind, RequestStatus};

use super::listings::{ListOutput, Remote, ReportOutput};

const BULK_HELP: &str = "\
Input: one seat id or email per line; blank lines and lines starting with #
are ignored. `-` (or no FILE with stdin not a terminal) reads stdin. With
--column NAME the input is CSV and that column is read. An email stands for
the user's live (pending or active) seats, narrowed by --product/--license.

Exit status: 0 all done, 3 some items refused, 2 confirmation needed (--yes).";

#[derive(Debug, Clone, Args)]
#[command(after_help = BULK_HELP)]
pub struct RevokeArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// Files of seat ids or emails; `-` is stdin.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Print what would happen to each item and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Emails resolve to seats of this product only (SKU or id).
    #[arg(long, value_name = "SKU")]
    pub product: Option<String>,
    /// Emails resolve to seats of this license only.
    #[arg(long, value_name = "ID")]
    pub license: Option<i64>,
    /// Read this column of CSV input (with a header row).
    #[arg(long, value_name = "NAME")]
    pub column: Option<String>,
    #[command(flatten)]
    pub out: ReportOutput,
}

#[derive(Debug, Clone, Args)]
#[command(after_help = "\
Input: seat ids, one per line (# comments and blank lines ignored), or the
JSON report of an earlier `seatdesk revoke --output json` (its done items),
from FILEs or stdin (`-`).

Exit status: 0 all done, 3 some items refused, 2 confirmation needed (--yes).")]
pub struct RestoreArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// Files of seat ids; `-` is stdin.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Print what would happen to each item and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Read this column of CSV input (with a header row).
    #[arg(long, value_name = "NAME")]
    pub column: Option<String>,
    #[command(flatten)]
    pub out: ReportOutput,
}

#[derive(Debug, Clone, Subcommand)]
pub enum CodesCommand {
    /// List a license's codes (master, resource, redemption, activation).
    List(CodesListArgs),
    /// List a license's activation-code batches.
    Batches(CodesBatchesArgs),
    /// Generate an activation-code batch on a license.
    Generate(CodesGenerateArgs),
    /// Write an activation-code batch to an .xlsx or CSV file.
    Export(CodesExportArgs),
}

#[derive(Debug, Clone, Args)]
pub struct CodesListArgs {
    #[command(flatten)]
    pub remote: Remote,
    #[arg(long, value_name = "ID")]
    pub license: i64,
    /// master, resource, redemption or activation [default: all].
    #[arg(long)]
    pub kind: Option<CodeKind>,
    #[command(flatten)]
    pub out: ListOutput,
}

#[derive(Debug, Clone, Args)]
pub struct CodesBatchesArgs {
    #[command(flatten)]
    pub remote: Remote,
    #[arg(long, value_name = "ID")]
    pub license: i64,
    #[command(flatten)]
    pub out: ListOutput,
}

#[derive(Debug, Clone, Args)]
pub struct CodesGenerateArgs {
    #[command(flatten)]
    pub remote: Remote,
    #[arg(long, value_name = "ID")]
    pub license: i64,
    /// Number of codes (1-10000).
    #[arg(long, value_name = "N")]
    pub count: i64,
    /// Users each code admits (1-1000).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub users_per_code: i64,
    /// Days the codes stay redeemable (1-3650).
    #[arg(long, value_name = "DAYS", default_value_t = 365)]
    pub duration_days: i64,
    /// Enable Benchmark.
    #[arg(long)]
    pub benchmark: bool,
    /// Enable Creative and Validation Exercises.
    #[arg(long)]
    pub exercises: bool,
    /// Enable Badges Assignment.
    #[arg(long)]
    pub badges: bool,
    /// Students must be linked to a teacher before starting.
    #[arg(long)]
    pub require_teacher_link: bool,
    /// Also write the new codes to PATH (.xlsx or .csv).
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub output: ReportOutput,
}

/// Format of a code-batch export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BatchFormat {
    Xlsx,
    Csv,
}

#[derive(Debug, Clone, Args)]
pub struct CodesExportArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// The batch id.
    pub batch: i64,
    /// Where to write; `-` is stdout (CSV only).
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// [default: from the extension of --out; xlsx otherwise]
    #[arg(long, value_enum)]
    pub format: Option<BatchFormat>,
}

#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct RequestsArgs {
    #[command(subcommand)]
    pub command: Option<RequestsCommand>,
    #[command(flatten)]
    pub list: RequestListArgs,
}

#[derive(Debug, Clone, Default, Args)]
pub struct RequestListArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// pending, approved or rejected.
    #[arg(long)]
    pub status: Option<RequestStatus>,
    /// renewal or new_license.
    #[arg(long)]
    pub kind: Option<RequestKind>,
    #[arg(long, value_name = "ID")]
    pub license: Option<i64>,
    #[command(flatten)]
    pub out: ListOutput,
}

#[derive(Debug, Clone, Subcommand)]
pub enum RequestsCommand {
    /// Ask the parent org to renew a license for a new period.
    Renew(RenewArgs),
    /// Ask the parent org for a new license.
    New(NewLicenseArgs),
    /// Approve a pending request (the parent org decides).
    Approve(ApproveArgs),
    /// Reject a pending request, with the reason.
    Reject(RejectArgs),
}

/// "Request License Renewal". The products stay the license's own.
#[derive(Debug, Clone, Args)]
#[command(group(ArgGroup::new("code").required(true).args(["new_code", "existing_code"])))]
pub struct RenewArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// The license to renew.
    #[arg(long, value_name = "ID")]
    pub license: i64,
    /// Create a new code: a new license for the new period (e.g. a new
    /// school year).
    #[arg(long)]
    pub new_code: bool,
    /// Use the existing code: the license's dates move.
    #[arg(long)]
    pub existing_code: bool,
    /// First day of the new period (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub start: NaiveDate,
    /// Last day of the new period (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub finish: NaiveDate,
    /// Seats asked for [default: as the license has].
    #[arg(long, value_name = "N")]
    pub students: Option<i64>,
    /// [default: the license's]
    #[arg(long, value_name = "TEXT")]
    pub purchase_order: Option<String>,
    #[arg(long, value_name = "TEXT")]
    pub comments: Option<String>,
    #[command(flatten)]
    pub out: ReportOutput,
}

/// "Request New License" with its product and course checkboxes.
#[derive(Debug, Clone, Args)]
pub struct NewLicenseArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// The purchasing account the license is for.
    #[arg(long, value_name = "ID")]
    pub account: i64,
    /// center_license, user_activation_codes or seat_pool.
    #[arg(long, value_name = "TYPE")]
    pub inventory_type: InventoryType,
    /// The product's SKU (or id).
    #[arg(long, value_name = "SKU")]
    pub product: String,
    /// A course of the product to include; repeat for several.
    #[arg(long, value_name = "NAME")]
    pub course: Vec<String>,
    /// Seats asked for.
    #[arg(long, value_name = "N")]
    pub students: i64,
    /// First day (YYYY-MM-DD) [default: the day of approval].
    #[arg(long, value_name = "DATE")]
    pub start: Option<NaiveDate>,
    /// Last day (YYYY-MM-DD) [default: a year after the start].
    #[arg(long, value_name = "DATE")]
    pub finish: Option<NaiveDate>,
    #[arg(long, value_name = "TEXT")]
    pub purchase_order: Option<String>,
    #[arg(long, value_name = "TEXT")]
    pub comments: Option<String>,
    #[command(flatten)]
    pub out: ReportOutput,
}

#[derive(Debug, Clone, Args)]
pub struct ApproveArgs {
    #[command(flatten)]
    pub remote: Remote,
    pub id: i64,
    #[arg(long, value_name = "TEXT")]
    pub comments: Option<String>,
    /// Seats to grant, when not the number of students asked for.
    #[arg(long, value_name = "N")]
    pub seats: Option<i64>,
    #[command(flatten)]
    pub out: ReportOutput,
}

#[derive(Debug, Clone, Args)]
pub struct RejectArgs {
    #[command(flatten)]
    pub remote: Remote,
    pub id: i64,
    /// Why (required).
    #[arg(long, value_name = "TEXT")]
    pub comments: String,
    #[command(flatten)]
    pub out: ReportOutput,
}

#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct WebhooksArgs {
    #[command(subcommand)]
    pub command: Option<WebhooksCommand>,
    #[command(flatten)]
    pub remote: Remote,
    #[command(flatten)]
    pub out: ListOutput,
}

#[derive(Debug, Clone, Subcommand)]
pub enum WebhooksCommand {
    /// Register an endpoint; prints its signing secret once.
    Add(WebhookAddArgs),
    /// Deactivate an endpoint.
    Remove(WebhookIdArgs),
    /// Send a signed ping now and report the answer (exit 7 if not delivered).
    Test(WebhookIdArgs),
    /// The latest deliveries of an endpoint.
    Deliveries(WebhookDeliveriesArgs),
}

#[derive(Debug, Clone, Args)]
pub struct WebhookAddArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// https:// URL (http:// only to a loopback host).
    pub url: String,
    /// Actions or prefixes to deliver, e.g. seat.revoke,alert or *.
    #[arg(long, value_delimiter = ',', required = true)]
    pub events: Vec<String>,
    /// Events of this org's subtree [default: the token's org].
    #[arg(long, value_name = "ID")]
    pub org: Option<i64>,
    #[command(flatten)]
    pub out: ReportOutput,
}

#[derive(Debug, Clone, Args)]
pub struct WebhookIdArgs {
    #[command(flatten)]
    pub remote: Remote,
    pub id: i64,
    #[command(flatten)]
    pub out: ReportOutput,
}

#[derive(Debug, Clone, Args)]
pub struct WebhookDeliveriesArgs {
    #[command(flatten)]
    pub remote: Remote,
    pub id: i64,
    #[command(flatten)]
    pub out: ListOutput,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ImportCommand {
    /// Import a OneRoster 1.1 CSV roster (a directory of manifest.csv,
    /// orgs.csv, users.csv, classes.csv, enrollments.csv).
    #[command(after_help = "\
Bad rows are skipped and listed with file, line and reason; the good rows
are imported. --dry-run reports exactly what a real run would do.

Exit status: 0 imported cleanly, 3 some rows were bad, 6 the import was
refused as a whole (e.g. no manifest, a missing column).")]
    Oneroster(OneRosterArgs),
}

#[derive(Debug, Clone, Args)]
pub struct OneRosterArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// Directory holding the CSV files.
    pub dir: PathBuf,
    /// Report what the import would do, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub out: ReportOutput,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell.
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Clone, Args)]
pub struct ManArgs {
    /// Write seatdesk.1 and one page per subcommand (seatdesk-claims.1…)
    /// into DIR instead of printing seatdesk.1 to stdout.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}
