//! `seatdesk audit`: the audit log, newest first, with the server's
//! filters; `--follow` shows the latest events, then polls the change feed
//! (`/v1/changes`) and prints new ones oldest first until Ctrl-C.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use seatdesk_core::api::audit::{AuditEvent, AuditQuery};

use super::remote::{Conn, connect, list_all};
use crate::cli::AuditArgs;
use crate::output::{CsvRows, Format, Record};

/// Events shown before following when --limit is not given, as `tail -f`.
const FOLLOW_BACKLOG: usize = 10;

pub async fn run(args: AuditArgs) -> anyhow::Result<ExitCode> {
    let conn = connect(&args.remote)?;
    let query = AuditQuery {
        action: args.action.clone(),
        actor: args.actor.clone(),
        target_type: args.target_type.clone(),
        target_id: args.target_id,
        from: args.since.map(|age| chrono::Utc::now() - age),
        to: None,
        before: None,
        limit: None,
    };
    if args.follow {
        return follow(&conn, &args, query).await;
    }
    list_all(&args.out, "audit events", async |cursor, limit| {
        let mut page = query.clone();
        page.before = cursor.and_then(|c| c.parse().ok());
        page.limit = Some(limit);
        conn.api.audit_events(&page).await
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}

async fn follow(conn: &Conn, args: &AuditArgs, query: AuditQuery) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.out.export.is_none(),
        crate::exit::UsageError("--follow writes to stdout only; drop --export".into())
    );
    let interval = Duration::from_secs_f64(args.interval.clamp(0.2, 3600.0));
    // The head first, then the backlog below it: nothing falls between.
    let newest = conn
        .api
        .audit_events(&AuditQuery {
            limit: Some(1),
            ..AuditQuery::default()
        })
        .await
        .context("reading the audit log")?;
    let mut after = newest.items.first().map_or(0, |e| e.seq);
    let mut out = FollowWriter::new(args.out.output.unwrap_or(Format::Table))?;
    let backlog = args.out.limit.unwrap_or(FOLLOW_BACKLOG);
    if backlog > 0 {
        let page = conn
            .api
            .audit_events(&AuditQuery {
                before: Some(after + 1),
                limit: Some(backlog.min(1000) as u32),
                ..query.clone()
            })
            .await
            .context("reading the audit log")?;
        for event in page.items.iter().rev() {
            out.write(event)?;
        }
    }
    let mut warned = false;
    loop {
        let changes = tokio::select! {
            changes = conn.api.changes(after, 1000) => changes,
            _ = tokio::signal::ctrl_c() => return Ok(ExitCode::SUCCESS),
        };
        let more = match changes {
            Ok(changes) => {
                warned = false;
                for event in changes.events.iter().filter(|e| matches(&query, e)) {
                    out.write(event)?;
                }
                after = changes.next_after;
                changes.more
            }
            // Like `tail -F`: a server restarting is waited for, not fatal.
            Err(error) if error.is_offline() => {
                if !warned {
                    eprintln!("seatdesk: {error}; retrying");
                    warned = true;
                }
                false
            }
            Err(error) => return Err(error).context("following the audit log"),
        };
        if !more {
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                _ = tokio::signal::ctrl_c() => return Ok(ExitCode::SUCCESS),
            }
        }
    }
}

/// The server's audit filters, applied to feed events.
fn matches(query: &AuditQuery, event: &AuditEvent) -> bool {
    let action_ok = query.action.as_deref().is_none_or(|action| {
        if action.contains('.') {
            event.action == action
        } else {
            event
                .action
                .strip_prefix(action)
                .is_some_and(|rest| rest.starts_with('.'))
        }
    });
    let actor_ok = query
        .actor
        .as_deref()
        .is_none_or(|actor| event.actor.to_lowercase().contains(&actor.to_lowercase()));
    action_ok
        && actor_ok
        && query
            .target_type
            .as_deref()
            .is_none_or(|t| event.target_type == t)
        && query.target_id.is_none_or(|id| event.target_id == id)
}

/// Followed events, one line each as they come: a table row, a JSON
/// object per line (JSON lines), or a CSV row under one header.
enum FollowWriter {
    Table,
    Json,
    Csv(CsvRows<std::io::Stdout>),
}

impl FollowWriter {
    fn new(format: Format) -> anyhow::Result<FollowWriter> {
        Ok(match format {
            Format::Table => {
                outln!(
                    "{:>8}  {:<16}  {:<20}  {:<24}  TARGET",
                    "SEQ",
                    "AT",
                    "ACTOR",
                    "ACTION"
                )?;
                FollowWriter::Table
            }
            Format::Json => FollowWriter::Json,
            Format::Csv => {
                let mut writer = CsvRows::new(std::io::stdout(), AuditEvent::COLUMNS)?;
                writer.flush()?;
                FollowWriter::Csv(writer)
            }
        })
    }

    fn write(&mut self, event: &AuditEvent) -> anyhow::Result<()> {
        let mut stdout = std::io::stdout().lock();
        match self {
            FollowWriter::Table => writeln!(
                stdout,
                "{:>8}  {:<16}  {:<20}  {:<24}  {} {}",
                event.seq,
                event.at.format("%Y-%m-%d %H:%M"),
                event.actor,
                event.action,
                event.target_type,
                event.target_id
            )?,
            FollowWriter::Json => {
                serde_json::to_writer(&mut stdout, event)?;
                stdout.write_all(b"\n")?;
            }
            FollowWriter::Csv(writer) => {
                writer.push(&event.cells())?;
                writer.flush()?;
            }
        }
        stdout.flush()?;
        Ok(())
    }
}
