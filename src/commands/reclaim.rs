//! `seatdesk reclaim`: policies that free seats nobody uses. A dry run and a
//! run answer the same report (the seats freed and why, the refused, the
//! rest left for later runs), printed alike; `run` previews with a dry run
//! and asks before it changes anything. `seatdesk seen` reports seats used.

use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use seatdesk_client::new_idempotency_key;
use seatdesk_core::api::reclaim::{
    MAX_SEEN_ITEMS, NewReclaimPolicy, PolicyQuery, ReclaimPolicy, ReclaimReport, RunQuery,
    SeenReport, SeenResult, SummaryQuery,
};
use serde::Serialize;

use super::remote::{Conn, connect, list_all};
use super::{confirm, items};
use crate::cli::{
    ReclaimAddArgs, ReclaimCommand, ReclaimHistoryArgs, ReclaimIdArgs, ReclaimListArgs,
    ReclaimRunArgs, ReclaimSummaryArgs, SeenArgs,
};
use crate::exit::{Code, UsageError};
use crate::output::{self, Cell, Column, Format, Record, col, wide};

pub async fn run(command: ReclaimCommand) -> anyhow::Result<ExitCode> {
    match command {
        ReclaimCommand::Policies(args) => policies(args).await,
        ReclaimCommand::Add(args) => add(args).await,
        ReclaimCommand::DryRun(args) => dry_run(args).await,
        ReclaimCommand::Run(args) => run_now(args).await,
        ReclaimCommand::Pause(args) => set_paused(args, true).await,
        ReclaimCommand::Resume(args) => set_paused(args, false).await,
        ReclaimCommand::History(args) => history(args).await,
        ReclaimCommand::Summary(args) => summary(args).await,
    }
}

async fn policies(args: ReclaimListArgs) -> anyhow::Result<ExitCode> {
    let conn = connect(&args.remote)?;
    list_all(&args.out, "reclaim policies", async |cursor, limit| {
        let query = PolicyQuery {
            org_id: args.org,
            cursor,
            limit: Some(limit),
        };
        conn.api.reclaim_policies(&query).await
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}

async fn add(args: ReclaimAddArgs) -> anyhow::Result<ExitCode> {
    // What the command line alone can tell; the server checks the rest.
    match (args.rule.takes_days(), args.days) {
        (true, None) => {
            return Err(UsageError(format!("--rule {} needs --days N", args.rule)).into());
        }
        (false, Some(_)) => {
            return Err(UsageError(format!("--rule {} takes no --days", args.rule)).into());
        }
        _ => {}
    }
    let conn = connect(&args.remote)?;
    conn.writable()?;
    let org_id = match args.org {
        Some(id) => id,
        None => {
            conn.api
                .me()
                .await
                .context("reading the token's org")?
                .org_id
        }
    };
    let policy = NewReclaimPolicy {
        name: args.name.clone(),
        org_id,
        product_id: conn.optional_product_id(args.product.as_deref()).await?,
        license_id: args.license,
        rule: args.rule,
        days: args.days,
        interval_minutes: args.interval.map(|d| d.num_minutes()),
        paused: args.paused,
    };
    let created = conn
        .api
        .create_reclaim_policy(&policy, &new_idempotency_key())
        .await
        .context("creating the reclaim policy")?;
    show_policy(&created, args.out.output)?;
    eprintln!(
        "policy {} created{}; `seatdesk reclaim dry-run {}` shows what it would free",
        created.id,
        if created.paused { " (paused)" } else { "" },
        created.id
    );
    Ok(ExitCode::SUCCESS)
}

async fn set_paused(args: ReclaimIdArgs, paused: bool) -> anyhow::Result<ExitCode> {
    let conn = connect(&args.remote)?;
    conn.writable()?;
    let verb = if paused { "pausing" } else { "resuming" };
    let policy = conn
        .api
        .set_reclaim_paused(args.id, paused, &new_idempotency_key())
        .await
        .with_context(|| format!("{verb} reclaim policy {}", args.id))?;
    show_policy(&policy, args.out.output)?;
    Ok(ExitCode::SUCCESS)
}

async fn dry_run(args: ReclaimIdArgs) -> anyhow::Result<ExitCode> {
    let conn = connect(&args.remote)?;
    let report = conn
        .api
        .reclaim_dry_run(args.id)
        .await
        .with_context(|| format!("dry run of reclaim policy {}", args.id))?;
    print_report(&report, args.out.output)?;
    Ok(exit_for(&report))
}

async fn run_now(args: ReclaimRunArgs) -> anyhow::Result<ExitCode> {
    let conn = connect(&args.remote)?;
    conn.writable()?;
    if !args.yes {
        ask(&conn, args.id).await?;
    }
    let report = conn
        .api
        .run_reclaim_policy(args.id, &new_idempotency_key())
        .await
        .with_context(|| format!("running reclaim policy {}", args.id))?;
    print_report(&report, args.out.output)?;
    Ok(exit_for(&report))
}

/// "Run policy 3 'stale pending' now: free 12 seats?" after a dry run said
/// how many; with nothing to free there is nothing to ask.
async fn ask(conn: &Conn, id: i64) -> anyhow::Result<()> {
    confirm::require_terminal(&format!("run reclaim policy {id}"), false)?;
    let policy = conn
        .api
        .reclaim_policy(id)
        .await
        .with_context(|| format!("reading reclaim policy {id}"))?;
    let preview = conn
        .api
        .reclaim_dry_run(id)
        .await
        .with_context(|| format!("dry run of reclaim policy {id}"))?;
    let n = preview.freed.len();
    if n == 0 {
        return Ok(());
    }
    let mut prompt = format!(
        "Run policy {id} '{}' now: free {n} {}?",
        policy.name,
        if n == 1 { "seat" } else { "seats" }
    );
    let mut notes = Vec::new();
    if !preview.refused.is_empty() {
        notes.push(format!("{} refused", preview.refused.len()));
    }
    if preview.remaining > 0 {
        notes.push(format!("{} left for later runs", preview.remaining));
    }
    if !notes.is_empty() {
        prompt.push_str(&format!(
            " ({}; `reclaim dry-run {id}` lists them)",
            notes.join(", ")
        ));
    }
    if confirm::ask(&prompt)? {
        Ok(())
    } else {
        Err(UsageError("cancelled: no seat was freed".into()).into())
    }
}

async fn history(args: ReclaimHistoryArgs) -> anyhow::Result<ExitCode> {
    let conn = connect(&args.remote)?;
    list_all(&args.out, "reclaim runs", async |cursor, limit| {
        let query = RunQuery {
            cursor,
            limit: Some(limit),
        };
        conn.api.reclaim_runs(args.id, &query).await
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}

async fn summary(args: ReclaimSummaryArgs) -> anyhow::Result<ExitCode> {
    let conn = connect(&args.remote)?;
    let query = SummaryQuery {
        org_id: args.org,
        account_id: args.account,
        product_id: conn.optional_product_id(args.product.as_deref()).await?,
    };
    let summary = conn
        .api
        .reclaim_summary(&query)
        .await
        .context("reading the reclaim summary")?;
    match args.out.output {
        Format::Json => output::print_json(&summary)?,
        other => {
            output::print_records(other, &summary.policies)?;
            eprintln!("{}", summary.sentence());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn show_policy(policy: &ReclaimPolicy, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => output::print_json(policy),
        other => output::print_records(other, std::slice::from_ref(policy)),
    }
}

/// Refused seats make the run partial (exit 3), as with `revoke`.
fn exit_for(report: &ReclaimReport) -> ExitCode {
    if report.refused.is_empty() {
        ExitCode::SUCCESS
    } else {
        Code::Partial.exit()
    }
}

/// One seat of a report in a table or CSV: freed (or would be), or refused.
#[derive(Debug, Serialize)]
struct ReportRow {
    seat_id: i64,
    outcome: &'static str,
    user_email: Option<String>,
    user_name: Option<String>,
    product_sku: Option<String>,
    license_id: Option<i64>,
    status: Option<String>,
    since: Option<DateTime<Utc>>,
    reason: Option<String>,
}

impl Record for ReportRow {
    const COLUMNS: &'static [Column] = &[
        col("seat_id").titled("SEAT"),
        col("outcome"),
        col("user_email").titled("EMAIL"),
        wide("user_name"),
        col("product_sku").titled("PRODUCT"),
        wide("license_id"),
        col("status"),
        wide("since"),
        col("reason"),
    ];
    fn cells(&self) -> Vec<Cell> {
        vec![
            self.seat_id.into(),
            self.outcome.into(),
            self.user_email.clone().into(),
            self.user_name.clone().into(),
            self.product_sku.clone().into(),
            self.license_id.into(),
            self.status.clone().into(),
            self.since.into(),
            self.reason.clone().into(),
        ]
    }
}

fn rows(report: &ReclaimReport) -> Vec<ReportRow> {
    let outcome = if report.dry_run {
        "would_free"
    } else {
        "freed"
    };
    let freed = report.freed.iter().map(|c| ReportRow {
        seat_id: c.seat_id,
        outcome,
        user_email: Some(c.user_email.clone()),
        user_name: Some(c.user_name.clone()),
        product_sku: Some(c.product_sku.clone()),
        license_id: Some(c.license_id),
        status: Some(c.status.to_string()),
        since: Some(c.since),
        reason: Some(c.reason.clone()),
    });
    let refused = report.refused.iter().map(|r| ReportRow {
        seat_id: r.id,
        outcome: "refused",
        user_email: None,
        user_name: None,
        product_sku: None,
        license_id: None,
        status: None,
        since: None,
        reason: r.reason.clone(),
    });
    freed.chain(refused).collect()
}

/// JSON is the server's report; a table or CSV lists each seat, and the
/// counts go to stderr.
fn print_report(report: &ReclaimReport, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => output::print_json(report)?,
        other => output::print_records(other, &rows(report))?,
    }
    eprintln!("{}", report_line(report));
    Ok(())
}

/// "dry run of policy 3: 12 seats would be freed, 1 refused, 40 left for
/// later runs; nothing changed".
pub fn report_line(report: &ReclaimReport) -> String {
    let n = report.freed.len();
    let noun = if n == 1 { "seat" } else { "seats" };
    let mut line = if report.dry_run {
        format!(
            "dry run of policy {}: {n} {noun} would be freed",
            report.policy_id
        )
    } else {
        let run = report
            .run_id
            .map_or_else(String::new, |id| format!(" (run {id})"));
        format!("policy {}{run}: {n} {noun} freed", report.policy_id)
    };
    line.push_str(&format!(", {} refused", report.refused.len()));
    if report.remaining > 0 {
        line.push_str(&format!(", {} left for later runs", report.remaining));
    }
    if report.dry_run {
        line.push_str("; nothing changed");
    }
    line
}

pub async fn seen(args: SeenArgs) -> anyhow::Result<ExitCode> {
    let ids = seen_ids(&args.seats)?;
    if ids.is_empty() {
        return Err(UsageError("no seat ids: name them, or pipe them on stdin".into()).into());
    }
    let conn = connect(&args.remote)?;
    conn.writable()?;
    let mut total = SeenResult {
        recorded: 0,
        ignored: Vec::new(),
    };
    for chunk in ids.chunks(MAX_SEEN_ITEMS) {
        let report = SeenReport {
            seat_ids: chunk.to_vec(),
            seen_at: args.at,
        };
        let result = conn
            .api
            .seats_seen(&report, &new_idempotency_key())
            .await
            .context("reporting seats seen")?;
        total.recorded += result.recorded;
        total.ignored.extend(result.ignored);
    }
    match args.out.output {
        Format::Json => output::print_json(&total)?,
        Format::Csv => {
            outln!("seat_id,outcome")?;
            let ignored: std::collections::HashSet<i64> = total.ignored.iter().copied().collect();
            for id in &ids {
                let outcome = if ignored.contains(id) {
                    "ignored"
                } else {
                    "recorded"
                };
                outln!("{id},{outcome}")?;
            }
        }
        Format::Table => {
            outln!("recorded: {}", total.recorded)?;
            if !total.ignored.is_empty() {
                let list: Vec<String> = total.ignored.iter().map(i64::to_string).collect();
                outln!("ignored: {}", list.join(" "))?;
            }
        }
    }
    if !total.ignored.is_empty() {
        eprintln!(
            "{} seat ids were ignored: unknown, outside your organization or not live",
            total.ignored.len()
        );
        return Ok(Code::Partial.exit());
    }
    Ok(ExitCode::SUCCESS)
}

/// Seat ids from the arguments, `-` (or none, when piped) meaning stdin.
fn seen_ids(args: &[String]) -> anyhow::Result<Vec<i64>> {
    let mut texts = Vec::new();
    if args.is_empty() {
        texts = items::read(&[], None)?.items;
    }
    for arg in args {
        if arg == "-" {
            texts.extend(items::read(&[std::path::PathBuf::from("-")], None)?.items);
        } else {
            texts.push(arg.clone());
        }
    }
    let mut ids = Vec::with_capacity(texts.len());
    for text in texts {
        let id = text
            .trim()
            .parse::<i64>()
            .map_err(|_| UsageError(format!("'{text}' is not a seat id")))?;
        ids.push(id);
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}
