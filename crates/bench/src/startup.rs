//! Benchmark 4: start-up to the first painted dashboard from a warm cache of
//! N claims, and peak memory. Each run is a fresh process (this binary's
//! hidden `startup-child`) that does what `seatdesk_tui::run` does before
//! its first draw: open the cache, read its head (licenses and claim
//! counts), build the state through the same actions, and paint the
//! dashboard at 200x50 (into a test terminal: there is no tty here). Then
//! it streams the claims in as `run` does after the first frame, and runs
//! the integrity check `run` defers. The parent times spawn to "painted"
//! and spawn to "loaded"; the child reports the peak RSS at both.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use seatdesk_client::Cache;
use seatdesk_tui::action::{Action, SyncAction};
use seatdesk_tui::app::{App, Effect};
use seatdesk_tui::keymap::KeyMap;
use seatdesk_tui::theme::Theme;
use seatdesk_tui::update::update;

use crate::util::{median, ms, peak_rss_mib};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A synced cache file (e.g. kept by `sync --keep-cache`).
    #[arg(long)]
    cache: PathBuf,
    /// Measured runs after one warm-up run; the median is reported.
    #[arg(long, default_value_t = 5)]
    runs: usize,
}

#[derive(Debug, clap::Args)]
pub struct ChildArgs {
    #[arg(long)]
    cache: PathBuf,
}

const PHASES: [&str; 5] = ["open", "head", "state", "resize", "draw"];

pub fn run(args: Args) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    let mut walls = Vec::new();
    let mut loaded_walls = Vec::new();
    let mut verifies = Vec::new();
    let mut streams = Vec::new();
    let mut swaps = Vec::new();
    let mut phases: Vec<Vec<Duration>> = vec![Vec::new(); PHASES.len()];
    let mut paint_peaks = Vec::new();
    let mut load_peaks = Vec::new();
    let mut claims = 0;
    for run in 0..=args.runs {
        let started = Instant::now();
        let mut child = Command::new(&exe)
            .arg("startup-child")
            .arg("--cache")
            .arg(&args.cache)
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
        let mut lines = BufReader::new(stdout).lines();
        let mut next = || -> anyhow::Result<(Duration, Vec<String>)> {
            let line = lines
                .next()
                .ok_or_else(|| anyhow::anyhow!("the child stopped early"))??;
            Ok((
                started.elapsed(),
                line.split_whitespace().map(str::to_string).collect(),
            ))
        };
        // painted <claims> <phase µs>... <peak MiB>
        let (wall, painted) = next()?;
        anyhow::ensure!(
            painted.first().map(String::as_str) == Some("painted"),
            "unexpected: {painted:?}"
        );
        // loaded <claims> <peak MiB> <stream µs> <swap-in µs>
        let (loaded_wall, loaded) = next()?;
        anyhow::ensure!(
            loaded.first().map(String::as_str) == Some("loaded"),
            "unexpected: {loaded:?}"
        );
        // verified <µs>
        let (_, verified) = next()?;
        anyhow::ensure!(child.wait()?.success(), "the start-up child failed");
        if run == 0 {
            continue; // warms the page cache
        }
        claims = loaded[1].parse()?;
        for (i, field) in painted[2..2 + PHASES.len()].iter().enumerate() {
            phases[i].push(Duration::from_micros(field.parse()?));
        }
        paint_peaks.push(painted[2 + PHASES.len()].parse::<f64>()?);
        load_peaks.push(loaded[2].parse::<f64>()?);
        streams.push(Duration::from_micros(loaded[3].parse()?));
        swaps.push(Duration::from_micros(loaded[4].parse()?));
        verifies.push(Duration::from_micros(verified[1].parse()?));
        walls.push(wall);
        loaded_walls.push(loaded_wall);
    }
    let max = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    println!(
        "| claims | spawn to painted | {} | peak RSS at paint | spawn to all claims loaded | stream | swap in | peak RSS loaded | quick_check (background) |",
        PHASES.join(" | ")
    );
    println!(
        "|---|---|{}---|---|---|---|---|---|",
        "---|".repeat(PHASES.len())
    );
    let phase_cells: Vec<String> = phases.into_iter().map(|p| ms(median(p))).collect();
    println!(
        "| {claims} | {} | {} | {:.0} MiB | {} | {} | {} | {:.0} MiB | {} |",
        ms(median(walls)),
        phase_cells.join(" | "),
        max(&paint_peaks),
        ms(median(loaded_walls)),
        ms(median(streams)),
        ms(median(swaps)),
        max(&load_peaks),
        ms(median(verifies)),
    );
    Ok(())
}

/// The measured process. Prints "painted N t_open t_head ... peak" (µs,
/// MiB) the moment the first frame is drawn; then streams the claims in
/// as `run` does after its first frame and prints "loaded N peak"; then
/// times the integrity check `run` starts in the background.
pub async fn child(args: ChildArgs) -> anyhow::Result<()> {
    let mut marks = Vec::new();
    let mut last = Instant::now();
    let mut lap = |marks: &mut Vec<u128>| {
        marks.push(last.elapsed().as_micros());
        last = Instant::now();
    };
    let cache = Cache::open(&args.cache).await?;
    lap(&mut marks);
    let mut app = App::new(
        "bench",
        false,
        KeyMap::default(),
        Theme::from_env(),
        chrono::Utc::now(),
    );
    let head = cache.head().await?;
    lap(&mut marks);
    let expected = head.claims;
    let effects = update(&mut app, Action::Sync(SyncAction::Opened(Box::new(head))));
    // The figures painted first are the server's, as the cache kept them.
    let query = app.dashboard_query();
    let cached = cache.dashboard(&query).await?;
    let has_figures = cached.is_some();
    update(
        &mut app,
        Action::Dashboard(seatdesk_tui::action::DashboardAction::Cached { query, cached }),
    );
    lap(&mut marks);
    update(
        &mut app,
        Action::Resize {
            width: seatdesk_bench::frame::WIDTH,
            height: seatdesk_bench::frame::HEIGHT,
        },
    );
    lap(&mut marks);
    let mut terminal = seatdesk_bench::frame::terminal();
    terminal.draw(|f| seatdesk_tui::view::render(&app, f))?;
    lap(&mut marks);
    let times: Vec<String> = marks.iter().map(u128::to_string).collect();
    println!(
        "painted {expected} {} {:.1}",
        times.join(" "),
        peak_rss_mib().unwrap_or(0.0)
    );
    anyhow::ensure!(app.sync.loaded, "nothing to paint");
    if !has_figures {
        eprintln!("note: this cache holds no dashboard yet (open it once with the TUI)");
    }
    let generation = effects
        .iter()
        .find_map(|e| match e {
            Effect::LoadClaims { generation } => Some(*generation),
            _ => None,
        })
        .ok_or_else(|| anyhow::anyhow!("no claims load asked for"))?;
    // The chunks go through `update` as the loop's channel would deliver them.
    let mut total = 0;
    let streaming = Instant::now();
    cache
        .claims_in_chunks(
            16_384,
            |chunk| {
                update(
                    &mut app,
                    Action::Sync(SyncAction::Claims { generation, chunk }),
                );
            },
            |n| total = n,
        )
        .await?;
    let streamed = streaming.elapsed();
    let swapping = Instant::now();
    update(
        &mut app,
        Action::Sync(SyncAction::ClaimsDone {
            generation,
            result: Ok(total),
        }),
    );
    terminal.draw(|f| seatdesk_tui::view::render(&app, f))?;
    let swapped = swapping.elapsed();
    println!(
        "loaded {} {:.1} {} {}",
        app.claims.len(),
        peak_rss_mib().unwrap_or(0.0),
        streamed.as_micros(),
        swapped.as_micros()
    );
    anyhow::ensure!(app.claims_load.is_none(), "the load did not finish");
    let started = Instant::now();
    let verdict = cache.verify().await?;
    println!("verified {}", started.elapsed().as_micros());
    anyhow::ensure!(verdict.is_none(), "the cache failed its check: {verdict:?}");
    Ok(())
}
