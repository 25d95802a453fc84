//! The command-line grammar (clap derive). Keep these names stable: scripts
//! and the README depend on them.

mod listings;
mod operations;
mod reclaim;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use seatdesk_core::Role;
use seatdesk_server::domain::guessing::RedeemLimits;

pub use listings::*;
pub use operations::*;
pub use reclaim::*;

#[derive(Debug, Parser)]
#[command(
    name = "seatdesk",
    version,
    about = "Keyboard-driven license management: dashboard, command line and licensing server",
    after_help = crate::exit::HELP_TABLE
)]
pub struct Cli {
    /// Without a subcommand, the dashboard starts.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the terminal dashboard (the default).
    Tui(TuiArgs),
    /// Save a server URL and token as a profile.
    Login(LoginArgs),
    /// Run the licensing server.
    Serve(ServeArgs),
    /// Try seatdesk: a server on a loopback port over a fresh database full
    /// of demo data, with a ready token.
    Demo(DemoArgs),
    /// Copy a SQLite database while the server keeps serving (online,
    /// consistent); PostgreSQL uses pg_dump (see the README).
    Backup(BackupArgs),
    /// Manage API tokens: create (in the database, to bootstrap), and list,
    /// revoke or rotate them in the database (--db) or over the API.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The Dashboard pane headless: seats, dates, expirations and claims
    /// per product, and the totals.
    Dashboard(DashboardArgs),
    /// List seat assignments (the Claims pane), with its filters.
    Claims(ClaimsArgs),
    /// List the teachers holding seats of a license.
    Teachers(TeachersArgs),
    /// List licenses (the License Inventory).
    #[command(visible_alias = "inventory")]
    Licenses(LicensesArgs),
    /// List users.
    Users(UsersArgs),
    /// Revoke seats, by id or by the user's email, from files or stdin.
    Revoke(RevokeArgs),
    /// Undo revocations made within the server's restore window.
    Restore(RestoreArgs),
    /// Codes of a license; generate and export activation-code batches.
    Codes {
        #[command(subcommand)]
        command: CodesCommand,
    },
    /// List renewal and new-license requests; approve or reject them.
    Requests(RequestsArgs),
    /// Why can (or can't) USER use PRODUCT? Each condition, pass or fail.
    Check(CheckArgs),
    /// The discrepancy report: counts that disagree with rows, users who
    /// should not hold seats.
    Doctor(DoctorArgs),
    /// The audit log, newest first; --follow prints new events as they happen.
    Audit(AuditArgs),
    /// What needs attention: expiring licenses, full pools, leaked codes.
    Alerts(AlertsArgs),
    /// List webhook endpoints; add, remove and test them.
    Webhooks(WebhooksArgs),
    /// Reclaim policies: free seats nobody uses (list, add, dry-run, run,
    /// pause, resume, history).
    Reclaim {
        #[command(subcommand)]
        command: ReclaimCommand,
    },
    /// Report seats as used now (products at launch; for `unused_over_days`).
    Seen(SeenArgs),
    /// Import a roster.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write every page into a directory.
    Man(ManArgs),
    /// Print the configuration reference (Markdown): every command's flags
    /// with their environment variables and defaults.
    ConfigReference,
}

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// Database URL to back up: sqlite://PATH (the server's --db).
    #[arg(long, env = "SEATDESK_DB")]
    pub db: Option<String>,
    /// The backup file to write; it must not exist yet.
    #[arg(long)]
    pub out: std::path::PathBuf,
}

#[derive(Debug, Default, clap::Args)]
pub struct TuiArgs {
    /// Profile from config.toml (default: the config's default_profile).
    #[arg(long, env = "SEATDESK_PROFILE")]
    pub profile: Option<String>,
    /// Change nothing on the server: mutating keys are disabled.
    #[arg(long)]
    pub readonly: bool,
}

#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    /// Server URL, e.g. http://127.0.0.1:8700.
    #[arg(long)]
    pub url: String,
    /// File holding the API token (copied into a 0600 file in the config dir).
    #[arg(long)]
    pub token_file: std::path::PathBuf,
    #[arg(long, default_value = "default")]
    pub profile: String,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8700", env = "SEATDESK_LISTEN")]
    pub listen: SocketAddr,
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB. Defaults to a
    /// SQLite file in the data directory.
    #[arg(long, env = "SEATDESK_DB")]
    pub db: Option<String>,
    /// Hours after a revocation during which it can be undone.
    #[arg(long, default_value_t = 168, env = "SEATDESK_RESTORE_WINDOW_HOURS")]
    pub restore_window_hours: u64,
    /// Fill the database with demo data (about CLAIMS seat rows) before
    /// serving; refused unless the database is fresh.
    #[arg(long, value_name = "CLAIMS")]
    pub demo_data: Option<u64>,
    /// Days before a license's finish date at which it is reported as
    /// expiring (comma-separated; the smallest crossed one is reported).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "90,60,30,15",
        env = "SEATDESK_ALERT_EXPIRY_DAYS"
    )]
    pub alert_expiry_days: Vec<i64>,
    /// Seat usage (percent of purchased) at which a pool is reported nearly full.
    #[arg(long, default_value_t = 90.0, env = "SEATDESK_ALERT_USAGE_PERCENT")]
    pub alert_usage_percent: f64,
    /// Seconds to let requests in flight finish after SIGTERM or Ctrl-C.
    #[arg(long, default_value_t = 30, env = "SEATDESK_SHUTDOWN_GRACE")]
    pub shutdown_grace: u64,
    /// Log lines on stderr: `text` (coloured only on a terminal) or `json`
    /// (one object per line, for log shippers). `RUST_LOG` sets the level.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, env = "SEATDESK_LOG_FORMAT")]
    pub log_format: LogFormat,
    /// Serve HTTPS with this certificate chain (PEM, leaf first); needs
    /// --tls-key. Replaced files are reloaded within a second, no restart.
    #[arg(
        long,
        value_name = "PATH",
        requires = "tls_key",
        env = "SEATDESK_TLS_CERT"
    )]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(
        long,
        value_name = "PATH",
        requires = "tls_cert",
        env = "SEATDESK_TLS_KEY"
    )]
    pub tls_key: Option<PathBuf>,
    /// Take each client's address (access log, redemption limits) from the
    /// right-most X-Forwarded-For entry. Only behind one reverse proxy that appends
    /// it and that every request must pass: otherwise clients can name any
    /// address.
    #[arg(long, env = "SEATDESK_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,
    /// Bearer token that GET /metrics (Prometheus) asks for. Without it
    /// /metrics is off (404).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "SEATDESK_METRICS_TOKEN",
        hide_env_values = true
    )]
    pub metrics_token: Option<String>,
    /// Let webhooks reach private, loopback and link-local addresses (an
    /// internal receiver). Off: such URLs are refused when registered, and
    /// names that resolve to such addresses are refused at delivery.
    #[arg(long, env = "SEATDESK_WEBHOOK_ALLOW_PRIVATE")]
    pub webhook_allow_private: bool,
    /// Minutes over which failed code redemptions (unknown, expired or
    /// used-up codes) are counted against the limits below.
    #[arg(
        long,
        value_name = "MINUTES",
        default_value_t = RedeemLimits::DEFAULT.window.as_secs() / 60,
        value_parser = clap::value_parser!(u64).range(1..=1440),
        env = "SEATDESK_REDEEM_WINDOW_MINUTES"
    )]
    pub redeem_window_minutes: u64,
    /// Failed redemptions allowed from one client address (an IPv6 address
    /// counts by its /64) within the window, whatever the token; then 429
    /// with Retry-After. One address charges the limits below at most this
    /// many times per window, so it cannot lock out the others while they
    /// are higher; and at most this many of its redemptions run at once
    /// (per server process; the rest wait).
    #[arg(
        long,
        value_name = "N",
        default_value_t = RedeemLimits::DEFAULT.per_address,
        value_parser = clap::value_parser!(i64).range(1..=1_000_000),
        env = "SEATDESK_REDEEM_FAILURES_PER_ADDRESS"
    )]
    pub redeem_failures_per_address: i64,
    /// Failed redemptions allowed by one token from all its addresses
    /// together within the window.
    #[arg(
        long,
        value_name = "N",
        default_value_t = RedeemLimits::DEFAULT.per_token,
        value_parser = clap::value_parser!(i64).range(1..=1_000_000),
        env = "SEATDESK_REDEEM_FAILURES_PER_TOKEN"
    )]
    pub redeem_failures_per_token: i64,
    /// Failed redemptions allowed for one email, by any caller, within the
    /// window.
    #[arg(
        long,
        value_name = "N",
        default_value_t = RedeemLimits::DEFAULT.per_email,
        value_parser = clap::value_parser!(i64).range(1..=1_000_000),
        env = "SEATDESK_REDEEM_FAILURES_PER_EMAIL"
    )]
    pub redeem_failures_per_email: i64,
    /// Failed redemptions allowed at one code, by any caller, within the
    /// window; codes that differ only in their last four characters count
    /// as one, so guessing one code's ending is limited.
    #[arg(
        long,
        value_name = "N",
        default_value_t = RedeemLimits::DEFAULT.per_code,
        value_parser = clap::value_parser!(i64).range(1..=1_000_000),
        env = "SEATDESK_REDEEM_FAILURES_PER_CODE"
    )]
    pub redeem_failures_per_code: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// About how many claims (seat rows) to load.
    #[arg(long, default_value_t = seatdesk_server::demo::DEFAULT_CLAIMS)]
    pub claims: u64,
    /// Serve without opening the dashboard (the default when stdout is not a terminal).
    #[arg(long)]
    pub headless: bool,
    /// Print `SEATDESK_URL=… SEATDESK_TOKEN=…` on stdout (for scripts), then serve.
    #[arg(long)]
    pub print_env: bool,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print its secret (shown once).
    Create {
        #[arg(long, env = "SEATDESK_DB")]
        db: Option<String>,
        /// Org id or exact name. On an empty database, a root org of this
        /// name is created.
        #[arg(long)]
        org: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// A label for the token, recorded as the actor in the audit log.
        #[arg(long, default_value = "cli")]
        name: String,
        /// Days until the token stops working [default: never, for the
        /// bootstrap token; tokens made over the API default per role].
        #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(i64).range(1..=3650))]
        expires_in: Option<i64>,
    },
    /// List tokens: id, name, role, org, created, last used, expires, revoked.
    List {
        #[command(flatten)]
        target: TokenTarget,
        /// table (default) or json.
        #[arg(long, short = 'o', default_value = "table", value_parser = ["table", "json"])]
        output: String,
    },
    /// Revoke a token at once.
    Revoke {
        /// Token id (see `seatdesk token list`).
        id: i64,
        #[command(flatten)]
        target: TokenTarget,
    },
    /// Revoke a token and print its replacement's secret (shown once).
    Rotate {
        /// Token id (see `seatdesk token list`).
        id: i64,
        #[command(flatten)]
        target: TokenTarget,
    },
}

/// Where `token list|revoke|rotate` act: the database with --db, else the
/// API (profile or SEATDESK_URL / SEATDESK_TOKEN).
#[derive(Debug, Clone, clap::Args)]
pub struct TokenTarget {
    /// Act on this database directly (bootstrap, or when locked out).
    #[arg(long, env = "SEATDESK_DB")]
    pub db: Option<String>,
    #[command(flatten)]
    pub remote: Remote,
}

fn parse_role(text: &str) -> Result<Role, String> {
    text.parse()
}
