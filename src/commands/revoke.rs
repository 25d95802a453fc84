//! `seatdesk revoke` and `seatdesk restore`: bulk seat changes from a list
//! of ids or emails, one outcome per item. `--dry-run` sends the same
//! requests with `?dry_run=true`, so it prints exactly what the real run
//! then does; without `--yes` a terminal user confirms a count first.

use std::collections::{HashMap, HashSet};
use std::process::ExitCode;

use anyhow::Context as _;
use seatdesk_client::new_idempotency_key;
use seatdesk_core::api::seats::ClaimQuery;
use seatdesk_core::api::{BulkResult, ItemOutcome, ItemResult, MAX_BULK_ITEMS};
use serde::{Deserialize, Serialize};

use super::remote::{Conn, connect};
use super::{confirm, items};
use crate::cli::{ReportOutput, RestoreArgs, RevokeArgs};
use crate::exit::{Code, UsageError};
use crate::output::{self, Cell, Column, Format, Record, col};

/// Up to this many emails are looked up one by one; more, and the live
/// claims are read once instead.
const EMAIL_LOOKUPS: usize = 50;

/// What `revoke` / `restore` print: one result per item, in input order
/// (an email holding several seats gives one per seat).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkReport {
    pub dry_run: bool,
    pub done: usize,
    pub refused: usize,
    pub results: Vec<ItemReport>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemReport {
    /// The line as given: a seat id or an email.
    pub input: String,
    /// Absent when the input matched no seat.
    pub seat_id: Option<i64>,
    pub outcome: ItemOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Record for ItemReport {
    const COLUMNS: &'static [Column] =
        &[col("input"), col("seat_id"), col("outcome"), col("reason")];
    fn cells(&self) -> Vec<Cell> {
        vec![
            self.input.as_str().into(),
            self.seat_id.into(),
            output::name(&self.outcome).into(),
            self.reason.clone().into(),
        ]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    Revoke,
    Restore,
}

impl Verb {
    fn word(self) -> &'static str {
        match self {
            Verb::Revoke => "revoke",
            Verb::Restore => "restore",
        }
    }

    fn past(self) -> &'static str {
        match self {
            Verb::Revoke => "revoked",
            Verb::Restore => "restored",
        }
    }

    fn doing(self) -> &'static str {
        match self {
            Verb::Revoke => "revoking",
            Verb::Restore => "restoring",
        }
    }
}

/// An input line resolved: the seats it names, or why it names none.
enum Resolved {
    Seat(i64),
    Nothing(String),
}

pub async fn revoke(args: RevokeArgs) -> anyhow::Result<ExitCode> {
    let input = items::read(&args.files, args.column.as_deref())?;
    let conn = connect(&args.remote)?;
    let product_id = conn.optional_product_id(args.product.as_deref()).await?;
    let resolved = resolve(&conn, &input.items, product_id, args.license, true).await?;
    let flags = Flags {
        dry_run: args.dry_run,
        yes: args.yes,
        from_stdin: input.from_stdin,
    };
    run(&conn, Verb::Revoke, resolved, flags, &args.out).await
}

pub async fn restore(args: RestoreArgs) -> anyhow::Result<ExitCode> {
    let input = items::read(&args.files, args.column.as_deref())?;
    let conn = connect(&args.remote)?;
    let resolved = resolve(&conn, &input.items, None, None, false).await?;
    let flags = Flags {
        dry_run: args.dry_run,
        yes: args.yes,
        from_stdin: input.from_stdin,
    };
    run(&conn, Verb::Restore, resolved, flags, &args.out).await
}

#[derive(Debug, Clone, Copy)]
struct Flags {
    dry_run: bool,
    yes: bool,
    from_stdin: bool,
}

async fn run(
    conn: &Conn,
    verb: Verb,
    resolved: Vec<(String, Resolved)>,
    flags: Flags,
    out: &ReportOutput,
) -> anyhow::Result<ExitCode> {
    if resolved.is_empty() {
        return Err(UsageError(format!(
            "nothing to {}: the input lists no items",
            verb.word()
        ))
        .into());
    }
    // One request per seat: a repeat is refused here, in both modes alike.
    // Each line: its seat (if any) and, when refused locally, why.
    let mut seen = HashSet::new();
    let mut ids = Vec::new();
    let mut lines: Vec<(String, Option<i64>, Option<String>)> = Vec::with_capacity(resolved.len());
    for (input, item) in resolved {
        match item {
            Resolved::Seat(id) if !seen.insert(id) => {
                let reason = format!("seat {id} is listed more than once");
                lines.push((input, Some(id), Some(reason)));
            }
            Resolved::Seat(id) => {
                ids.push(id);
                lines.push((input, Some(id), None));
            }
            Resolved::Nothing(reason) => lines.push((input, None, Some(reason))),
        }
    }
    if !flags.dry_run {
        conn.writable()?;
        if !flags.yes && !ids.is_empty() {
            confirm(conn, verb, &ids, flags.from_stdin).await?;
        }
    }
    let (outcomes, failure) = send(conn, verb, &ids, flags.dry_run).await?;
    let unsent = failure.as_ref().map(|error| format!("not sent: {error:#}"));
    let results: Vec<ItemReport> = lines
        .into_iter()
        .map(|(input, seat_id, local)| match (seat_id, local) {
            (Some(id), None) => {
                let result = outcomes.get(&id);
                ItemReport {
                    input,
                    seat_id: Some(id),
                    outcome: result.map_or(ItemOutcome::Refused, |r| r.outcome),
                    reason: result.map_or_else(
                        || {
                            unsent
                                .clone()
                                .or_else(|| Some("the server gave no result for this seat".into()))
                        },
                        |r| r.reason.clone(),
                    ),
                }
            }
            (seat_id, reason) => ItemReport {
                input,
                seat_id,
                outcome: ItemOutcome::Refused,
                reason,
            },
        })
        .collect();
    let done = results
        .iter()
        .filter(|r| r.outcome == ItemOutcome::Done)
        .count();
    let report = BulkReport {
        dry_run: flags.dry_run,
        done,
        refused: results.len() - done,
        results,
    };
    print(&report, verb, out.output)?;
    if let Some(error) = failure {
        eprintln!("seatdesk: {error:#}; the items above marked 'not sent' were not");
    }
    Ok(if report.refused > 0 {
        Code::Partial.exit()
    } else {
        Code::Success.exit()
    })
}

/// Sends `ids` in chunks of the server's bulk limit; results by seat id.
/// When a later chunk fails, the earlier chunks' results still count (they
/// are done and must be reported) and the failure comes back beside them.
async fn send(
    conn: &Conn,
    verb: Verb,
    ids: &[i64],
    dry_run: bool,
) -> anyhow::Result<(HashMap<i64, ItemResult>, Option<anyhow::Error>)> {
    let mut outcomes = HashMap::with_capacity(ids.len());
    if ids.is_empty() {
        return Ok((outcomes, None));
    }
    let what = if dry_run {
        format!("checking {} (dry run)", verb.word())
    } else {
        format!("{} seats", verb.doing())
    };
    let progress = crate::progress::bar(ids.len() as u64, &what);
    for chunk in ids.chunks(MAX_BULK_ITEMS) {
        let chunk = chunk.to_vec();
        let result: anyhow::Result<BulkResult> = match (verb, dry_run) {
            (Verb::Revoke, true) => conn.api.revoke_dry_run(chunk).await,
            (Verb::Restore, true) => conn.api.restore_dry_run(chunk).await,
            (Verb::Revoke, false) => conn.api.revoke(chunk, &new_idempotency_key()).await,
            (Verb::Restore, false) => conn.api.restore(chunk, &new_idempotency_key()).await,
        }
        .with_context(|| format!("{} seats", verb.word()));
        match result {
            Ok(result) => {
                progress.inc(result.results.len() as u64);
                outcomes.extend(result.results.into_iter().map(|r| (r.id, r)));
            }
            Err(error) if outcomes.is_empty() => return Err(error),
            Err(error) => {
                progress.finish_and_clear();
                return Ok((outcomes, Some(error)));
            }
        }
    }
    progress.finish_and_clear();
    Ok((outcomes, None))
}

/// Asks "Revoke N seats?" on a terminal, after a dry run has said how many
/// would be refused. Without a terminal to ask on, `--yes` is required.
async fn confirm(conn: &Conn, verb: Verb, ids: &[i64], from_stdin: bool) -> anyhow::Result<()> {
    let n = ids.len();
    let noun = if n == 1 { "seat" } else { "seats" };
    confirm::require_terminal(&format!("{} {n} {noun}", verb.word()), from_stdin)?;
    let (preview, _) = send(conn, verb, ids, true).await?;
    let refused = preview
        .values()
        .filter(|r| r.outcome == ItemOutcome::Refused)
        .count();
    let mut prompt = format!(
        "{}{} {n} {noun}?",
        verb.word()[..1].to_uppercase(),
        &verb.word()[1..]
    );
    if refused > 0 {
        prompt.push_str(&format!(
            " ({refused} would be refused; --dry-run lists why)"
        ));
    }
    if confirm::ask(&prompt)? {
        Ok(())
    } else {
        Err(UsageError(format!("cancelled: no seat was {}", verb.past())).into())
    }
}

fn print(report: &BulkReport, verb: Verb, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => output::print_json(report)?,
        other => output::print_records(other, &report.results)?,
    }
    let past = verb.past();
    if report.dry_run {
        eprintln!(
            "dry run: {} would be {past}, {} refused; nothing changed",
            report.done, report.refused
        );
    } else {
        eprintln!("{} {past}, {} refused", report.done, report.refused);
    }
    Ok(())
}

/// Turns input lines into seats: ids as they are, emails (when allowed)
/// into the user's live seats within the product / license given.
async fn resolve(
    conn: &Conn,
    inputs: &[String],
    product_id: Option<i64>,
    license_id: Option<i64>,
    emails_allowed: bool,
) -> anyhow::Result<Vec<(String, Resolved)>> {
    let emails: Vec<String> = inputs
        .iter()
        .filter(|i| emails_allowed && i.parse::<i64>().is_err() && i.contains('@'))
        .map(|i| i.to_lowercase())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let seats = seats_of(conn, &emails, product_id, license_id).await?;
    let mut resolved = Vec::new();
    for input in inputs {
        if let Ok(id) = input.parse::<i64>() {
            resolved.push((input.clone(), Resolved::Seat(id)));
        } else if emails_allowed && input.contains('@') {
            match seats.get(&input.to_lowercase()) {
                Some(ids) if !ids.is_empty() => {
                    for id in ids {
                        resolved.push((input.clone(), Resolved::Seat(*id)));
                    }
                }
                _ => {
                    let mut reason = format!("{input} holds no live seat");
                    if let Some(id) = license_id {
                        reason.push_str(&format!(" on license {id}"));
                    } else if product_id.is_some() {
                        reason.push_str(" of that product");
                    }
                    reason.push_str(" in your organization");
                    resolved.push((input.clone(), Resolved::Nothing(reason)));
                }
            }
        } else {
            let expected = if emails_allowed {
                "a seat id or an email"
            } else {
                "a seat id"
            };
            resolved.push((
                input.clone(),
                Resolved::Nothing(format!("'{input}' is not {expected}")),
            ));
        }
    }
    Ok(resolved)
}

/// Live seat ids per (lower-case) email.
async fn seats_of(
    conn: &Conn,
    emails: &[String],
    product_id: Option<i64>,
    license_id: Option<i64>,
) -> anyhow::Result<HashMap<String, Vec<i64>>> {
    let mut seats: HashMap<String, Vec<i64>> = HashMap::new();
    if emails.is_empty() {
        return Ok(seats);
    }
    let base = ClaimQuery {
        status: Some("pending,active".into()),
        product_id,
        license_id,
        limit: Some(seatdesk_core::api::MAX_PAGE_SIZE),
        ..ClaimQuery::default()
    };
    let wanted: HashSet<&str> = emails.iter().map(String::as_str).collect();
    // A few emails: one text search each. Many: one pass over live claims.
    let searches: Vec<Option<String>> = if emails.len() <= EMAIL_LOOKUPS {
        emails.iter().cloned().map(Some).collect()
    } else {
        vec![None]
    };
    let progress = crate::progress::spinner("looking up seats");
    for q in searches {
        let mut query = ClaimQuery { q, ..base.clone() };
        loop {
            let page = conn
                .api
                .claims(&query)
                .await
                .context("looking up seats by email")?;
            progress.inc(page.items.len() as u64);
            for claim in &page.items {
                let email = claim.user_email.to_lowercase();
                if wanted.contains(email.as_str()) {
                    seats.entry(email).or_default().push(claim.id);
                }
            }
            match page.next_cursor {
                Some(next) if !page.items.is_empty() => query.cursor = Some(next),
                _ => break,
            }
        }
    }
    progress.finish_and_clear();
    for ids in seats.values_mut() {
        ids.sort_unstable();
    }
    Ok(seats)
}
