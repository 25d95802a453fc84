//! Benchmark 3: fuzzy filtering of N claim rows (name, email, school,
//! product) by the dashboard's matcher against `fzf --filter` on the same
//! rows and queries in the same run, and the time from a key press to the
//! first screen of results while a query is typed.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent};
use seatdesk_client::ClaimRow as Claim;
use seatdesk_client::{Cache, Snapshot};
use seatdesk_tui::action::{Action, SearchAction};
use seatdesk_tui::app::{Effect, Pane};
use seatdesk_tui::keymap::Command as Cmd;
use seatdesk_tui::model;
use seatdesk_tui::update::update;

use crate::util::{median, ms};
use seatdesk_bench::{fixture, frame};

const QUERIES: &[&str] = &[
    "smith",
    "jas",
    "emma lakeside",
    "okafor.lincoln",
    "aleks chem",
    "xqz",
];

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Synthetic rows (ignored with --cache).
    #[arg(long, default_value_t = 1_000_000)]
    claims: usize,
    /// Take the rows from this cache file (e.g. one kept by `sync`).
    #[arg(long)]
    cache: Option<PathBuf>,
    /// Runs per query; the median is reported.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Queries to compare (default: a fixed mix).
    #[arg(long = "query")]
    queries: Vec<String>,
    /// Typed one key at a time for the first-screen timing.
    #[arg(long, default_value = "emma smith")]
    typing: String,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let snapshot = match &args.cache {
        Some(path) => Cache::open(path).await?.load().await?,
        None => fixture::snapshot(args.claims),
    };
    let claims = seatdesk_client::ClaimRow::from_claims(&snapshot.claims);
    println!(
        "{} claim rows from {}",
        claims.len(),
        args.cache
            .as_ref()
            .map_or("the synthetic fixture".to_string(), |p| p
                .display()
                .to_string())
    );
    let dir = tempfile::tempdir()?;
    let rows = dir.path().join("rows.txt");
    write_rows(&rows, &claims)?;
    let queries: Vec<String> = if args.queries.is_empty() {
        QUERIES.iter().map(|q| q.to_string()).collect()
    } else {
        args.queries.clone()
    };

    println!();
    println!(
        "| query | seatdesk | matches | fzf --filter | matches | fzf --filter --no-sort | seatdesk ÷ fzf |"
    );
    println!("|---|---|---|---|---|---|---|");
    for query in &queries {
        let (mut ours, mut fzf, mut fzf_unsorted) = (Vec::new(), Vec::new(), Vec::new());
        let (mut our_count, mut fzf_count) = (0, 0);
        for _ in 0..args.runs {
            let started = Instant::now();
            our_count = model::fuzzy_match(&claims, query).len();
            ours.push(started.elapsed());
            let (time, count) = run_fzf(&rows, query, false)?;
            fzf.push(time);
            fzf_count = count;
            fzf_unsorted.push(run_fzf(&rows, query, true)?.0);
        }
        let (ours, fzf, fzf_unsorted) = (median(ours), median(fzf), median(fzf_unsorted));
        println!(
            "| `{query}` | {} | {our_count} | {} | {fzf_count} | {} | {:.2}x |",
            ms(ours),
            ms(fzf),
            ms(fzf_unsorted),
            ours.as_secs_f64() / fzf.as_secs_f64()
        );
    }

    println!();
    println!(
        "Typing `{}` into the Claims filter: key press to the first screen of results (median of {} runs)",
        args.typing, args.runs
    );
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); args.typing.chars().count()];
    for _ in 0..args.runs {
        for (i, time) in typing(snapshot.clone(), &args.typing)?
            .into_iter()
            .enumerate()
        {
            times[i].push(time);
        }
    }
    let mut typed = String::new();
    let mut line = String::from("|");
    let mut rule = String::from("|");
    let mut values = String::from("|");
    for (c, time) in args.typing.chars().zip(times) {
        typed.push(c);
        line.push_str(&format!(" `{typed}` |"));
        rule.push_str("---|");
        values.push_str(&format!(" {} |", ms(median(time))));
    }
    println!("{line}\n{rule}\n{values}");
    Ok(())
}

/// One row per claim, the four fields the filter matches, tab-separated.
fn write_rows(path: &Path, claims: &[Claim]) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for c in claims {
        writeln!(
            out,
            "{}\t{}\t{}\t{}",
            c.user_name, c.user_email, c.org_name, c.product_name
        )?;
    }
    out.flush()?;
    Ok(())
}

/// Wall time of `fzf --filter` over the rows file, and its match count.
fn run_fzf(rows: &Path, query: &str, no_sort: bool) -> anyhow::Result<(Duration, usize)> {
    let mut command = Command::new("fzf");
    command.arg("--filter").arg(query);
    if no_sort {
        command.arg("--no-sort");
    }
    let started = Instant::now();
    let output = command
        .stdin(Stdio::from(std::fs::File::open(rows)?))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .output()?;
    let elapsed = started.elapsed();
    let count = output.stdout.iter().filter(|&&b| b == b'\n').count();
    Ok((elapsed, count))
}

/// Types `text` into the Claims filter key by key, as the event loop runs
/// it: the key's update, the background search, the result's update and one
/// frame. Returns the time of each key press to its painted results.
fn typing(snapshot: Snapshot, text: &str) -> anyhow::Result<Vec<Duration>> {
    let mut app = frame::app_from(snapshot);
    let mut terminal = frame::terminal();
    update(&mut app, Action::Run(Cmd::GoPane(Pane::Claims.index())));
    update(&mut app, Action::Run(Cmd::Filter));
    let mut times = Vec::new();
    for c in text.chars() {
        let started = Instant::now();
        let effects = update(&mut app, Action::Text(KeyEvent::from(KeyCode::Char(c))));
        for effect in effects {
            if let Effect::Search {
                generation,
                query,
                claims,
                within,
            } = effect
            {
                let indices = model::fuzzy_match_within(
                    &claims,
                    within.as_deref().map(Vec::as_slice),
                    &query,
                    || false,
                )
                .unwrap_or_default();
                update(
                    &mut app,
                    Action::Search(SearchAction::Matched {
                        generation,
                        indices,
                    }),
                );
            }
        }
        terminal.draw(|f| seatdesk_tui::view::render(&app, f))?;
        times.push(started.elapsed());
        anyhow::ensure!(!app.claims_view.searching, "the search did not land");
    }
    Ok(times)
}
