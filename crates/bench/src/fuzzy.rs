//! Benchmark 3: fuzzy filtering of N claim rows (name, email, school,
//! product) by the dashboard's matcher against `fzf --filter` on the same
//! rows and queries in the same run, and the time from a key press to the
//! first screen of results (the search's streamed first screen and one
//! frame) and to the complete result while a query is typed.

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
    /// Only the typing timings, not the comparison with fzf.
    #[arg(long)]
    skip_fzf: bool,
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
        "| query | seatdesk, first search | seatdesk, masks filled | matches | fzf --filter | matches | fzf --filter --no-sort | seatdesk ÷ fzf (first, filled) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let claims = std::sync::Arc::new(claims);
    // Row masks as the dashboard holds them after its first search.
    let filled = std::sync::Arc::new(model::Masks::new(claims.len()));
    let every: std::sync::Arc<Vec<u32>> = std::sync::Arc::new((0..claims.len() as u32).collect());
    let warm_job = |query: &str| model::SearchJob {
        query: query.to_string(),
        claims: claims.clone(),
        candidates: every.clone(),
        filter: model::ClaimFilter {
            statuses: [true; 4],
            ..Default::default()
        },
        screen: usize::MAX,
        masks: filled.clone(),
    };
    warm_job("fill").run(|| false, |_| {});
    for query in queries.iter().filter(|_| !args.skip_fzf) {
        let (mut cold, mut warm, mut fzf, mut fzf_unsorted) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut our_count, mut fzf_count) = (0, 0);
        for _ in 0..args.runs {
            let started = Instant::now();
            our_count = model::fuzzy_match(&claims, query).len();
            cold.push(started.elapsed());
            let job = warm_job(query);
            let started = Instant::now();
            let warm_count = job.run(|| false, |_| {}).map_or(0, |m| m.len());
            warm.push(started.elapsed());
            anyhow::ensure!(warm_count == our_count, "filled masks changed the result");
            let (time, count) = run_fzf(&rows, query, false)?;
            fzf.push(time);
            fzf_count = count;
            fzf_unsorted.push(run_fzf(&rows, query, true)?.0);
        }
        let (cold, warm) = (median(cold), median(warm));
        let (fzf, fzf_unsorted) = (median(fzf), median(fzf_unsorted));
        println!(
            "| `{query}` | {} | {} | {our_count} | {} | {fzf_count} | {} | {:.2}x, {:.2}x |",
            ms(cold),
            ms(warm),
            ms(fzf),
            ms(fzf_unsorted),
            cold.as_secs_f64() / fzf.as_secs_f64(),
            warm.as_secs_f64() / fzf.as_secs_f64()
        );
    }

    println!();
    println!(
        "Typing `{}` into the Claims filter: key press to the first screen painted / to the complete result painted (median of {} runs)",
        args.typing, args.runs
    );
    let keys = args.typing.chars().count();
    let (mut first, mut complete) = (vec![Vec::new(); keys], vec![Vec::new(); keys]);
    for _ in 0..args.runs {
        for (i, (a, b)) in typing(snapshot.clone(), &args.typing)?
            .into_iter()
            .enumerate()
        {
            first[i].push(a);
            complete[i].push(b);
        }
    }
    let mut typed = String::new();
    let mut line = String::from("|");
    let mut rule = String::from("|");
    let mut values = String::from("|");
    for ((c, a), b) in args.typing.chars().zip(first).zip(complete) {
        typed.push(c);
        line.push_str(&format!(" `{typed}` |"));
        rule.push_str("---|");
        values.push_str(&format!(" {} / {} |", ms(median(a)), ms(median(b))));
    }
    println!("{line}\n{rule}\n{values}");

    // The Teachers pane filters the chosen license's teacher seats (the
    // fixture's first license holds 5% of all claims) on the key itself.
    println!();
    println!(
        "Typing `{}` into the Teachers filter: key press to the frame painted (median of {} runs)",
        args.typing, args.runs
    );
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); keys];
    for _ in 0..args.runs {
        let mut app = frame::app_from(snapshot.clone());
        let mut terminal = frame::terminal();
        update(&mut app, Action::Run(Cmd::GoPane(Pane::Teachers.index())));
        update(&mut app, Action::Run(Cmd::Filter));
        let seats = app.teachers.rows.len();
        for (i, c) in args.typing.chars().enumerate() {
            let started = Instant::now();
            update(&mut app, Action::Text(KeyEvent::from(KeyCode::Char(c))));
            terminal.draw(|f| seatdesk_tui::view::render(&app, f))?;
            times[i].push(started.elapsed());
        }
        anyhow::ensure!(seats > 0, "the Teachers pane shows a license");
    }
    let mut values = String::from("|");
    for time in times {
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
/// it: the key's update, the search on other threads streaming its first
/// screen back, that result's update and one frame; then the complete
/// result's update and frame. Returns, per key, the time from the key press
/// to the first screen painted and to the complete result painted.
fn typing(snapshot: Snapshot, text: &str) -> anyhow::Result<Vec<(Duration, Duration)>> {
    let mut app = frame::app_from(snapshot);
    let mut terminal = frame::terminal();
    update(&mut app, Action::Run(Cmd::GoPane(Pane::Claims.index())));
    update(&mut app, Action::Run(Cmd::Filter));
    let mut times = Vec::new();
    for c in text.chars() {
        let started = Instant::now();
        let effects = update(&mut app, Action::Text(KeyEvent::from(KeyCode::Char(c))));
        let mut first = None;
        for effect in effects {
            let Effect::Search { generation, job } = effect else {
                continue;
            };
            let (tx, rx) = std::sync::mpsc::channel();
            let worker = std::thread::spawn(move || {
                let report = |progress| {
                    let _ = tx.send(match progress {
                        model::Progress::FirstScreen { indices, shown } => {
                            SearchAction::FirstScreen {
                                generation,
                                indices,
                                found: shown,
                            }
                        }
                        model::Progress::Count { shown } => SearchAction::Progress {
                            generation,
                            found: shown,
                        },
                    });
                };
                if let Some(indices) = job.run(|| false, report) {
                    let _ = tx.send(SearchAction::Matched {
                        generation,
                        indices,
                    });
                }
            });
            for action in rx {
                let done = matches!(action, SearchAction::Matched { .. });
                let screen = !matches!(action, SearchAction::Progress { .. });
                update(&mut app, Action::Search(action));
                if screen {
                    terminal.draw(|f| seatdesk_tui::view::render(&app, f))?;
                    first.get_or_insert(started.elapsed());
                }
                if done {
                    break;
                }
            }
            let _ = worker.join();
        }
        let complete = started.elapsed();
        times.push((first.unwrap_or(complete), complete));
        anyhow::ensure!(!app.claims_view.searching, "the search did not land");
    }
    Ok(times)
}
