//! `seatdesk import oneroster DIR`: sends a directory of OneRoster 1.1 CSV
//! files to the server's importer and prints its report: counts, the role
//! rules' seat outcomes, and every bad row with file, line and reason.
//! `--dry-run` gets the same report from a transaction that is rolled back.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::Context as _;
use seatdesk_client::new_idempotency_key;
use seatdesk_core::api::imports::{EntityCounts, ImportReport, OneRosterImport};
use seatdesk_core::api::users::AssignmentOutcome;

use super::remote::connect;
use crate::cli::{ImportCommand, OneRosterArgs};
use crate::exit::{Code, UsageError};
use crate::output::{self, Cell, Format, Table};

/// CSV accepted per import. The server takes import bodies up to 64 MiB,
/// and the files travel inside one JSON body, quotes and line breaks
/// escaped, so the raw text must stay under that with a margin.
const MAX_BYTES: u64 = 60 * 1024 * 1024;

pub async fn run(command: ImportCommand) -> anyhow::Result<ExitCode> {
    match command {
        ImportCommand::Oneroster(args) => oneroster(args).await,
    }
}

async fn oneroster(args: OneRosterArgs) -> anyhow::Result<ExitCode> {
    let files = read_dir(&args.dir)?;
    let conn = connect(&args.remote)?;
    if !args.dry_run {
        conn.writable()?;
    }
    let import = OneRosterImport {
        files,
        dry_run: args.dry_run,
    };
    let progress = crate::progress::spinner(if args.dry_run {
        "checking the roster (dry run)"
    } else {
        "importing the roster"
    });
    let report = conn
        .api
        .import_oneroster(&import, &new_idempotency_key())
        .await
        .with_context(|| format!("importing {}", args.dir.display()))?;
    progress.finish_and_clear();
    match args.out.output {
        Format::Json => output::print_json(&report)?,
        Format::Csv => output::print_records(Format::Csv, &report.bad_rows)?,
        Format::Table => print_table(&report)?,
    }
    let verb = if report.dry_run {
        "dry run, nothing changed:"
    } else {
        "imported:"
    };
    eprintln!(
        "{verb} {} users created, {} updated, {} archived; {} bad rows",
        report.users.created,
        report.users.updated,
        report.users.archived,
        report.bad_rows.len()
    );
    Ok(if report.bad_rows.is_empty() {
        ExitCode::SUCCESS
    } else {
        Code::Partial.exit()
    })
}

/// Every `.csv` file of `dir`, by file name.
fn read_dir(dir: &std::path::Path) -> anyhow::Result<BTreeMap<String, String>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| UsageError(format!("cannot read the directory {}: {e}", dir.display())))?;
    let mut files = BTreeMap::new();
    let mut total = 0;
    for entry in entries {
        let path = entry?.path();
        let is_csv = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if !is_csv || !path.is_file() {
            continue;
        }
        total += path.metadata()?.len();
        if total > MAX_BYTES {
            return Err(UsageError(format!(
                "{} holds more than {} MiB of CSV; the server takes at most 64 MiB per import",
                dir.display(),
                MAX_BYTES / (1024 * 1024)
            ))
            .into());
        }
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| UsageError(format!("{} is not UTF-8 text", path.display())))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        files.insert(name, text);
    }
    if files.is_empty() {
        return Err(UsageError(format!("{} holds no .csv files", dir.display())).into());
    }
    Ok(files)
}

fn print_table(report: &ImportReport) -> anyhow::Result<()> {
    let mut counts = Table::for_columns(["", "created", "updated", "unchanged", "archived"]);
    let row = |name: &str, c: &EntityCounts| {
        [
            Cell::Text(name.into()),
            Cell::Int(c.created as i64),
            Cell::Int(c.updated as i64),
            Cell::Int(c.unchanged as i64),
            Cell::Int(c.archived as i64),
        ]
    };
    counts.push(&row("orgs", &report.orgs));
    counts.push(&row("users", &report.users));
    output::print_table(&counts)?;
    outln!(
        "classes: {} valid rows; enrollments: {} valid rows",
        report.classes,
        report.enrollments
    )?;
    let tally = |outcome: AssignmentOutcome| {
        report
            .assignments
            .iter()
            .filter(|a| a.outcome == outcome)
            .count()
    };
    outln!(
        "seats from role rules: {} assigned, {} kept, {} revoked, {} refused",
        tally(AssignmentOutcome::Assigned),
        tally(AssignmentOutcome::Kept),
        tally(AssignmentOutcome::Revoked),
        tally(AssignmentOutcome::Refused)
    )?;
    for refused in report
        .assignments
        .iter()
        .filter(|a| a.outcome == AssignmentOutcome::Refused)
    {
        outln!(
            "  refused: {} {}: {}",
            refused.user,
            refused.product_name,
            refused.reason.as_deref().unwrap_or("")
        )?;
    }
    if !report.bad_rows.is_empty() {
        outln!("\nbad rows ({}):", report.bad_rows.len())?;
        output::print_records(Format::Table, &report.bad_rows)?;
    }
    if !report.notes.is_empty() {
        outln!("\nnotes:")?;
        for note in &report.notes {
            outln!("  {note}")?;
        }
    }
    Ok(())
}
