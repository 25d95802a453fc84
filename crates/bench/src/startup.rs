//! Benchmark 4: start-up to the first painted dashboard from a warm cache of
//! N claims, and peak memory. Each run is a fresh process (this binary's
//! hidden `startup-child`) that does what `seatdesk_tui::run` does before
//! its first draw: open the cache, load it, build the state through the
//! same actions, and paint the dashboard at 200x50 (into a test terminal:
//! there is no tty here). The parent times spawn to "painted".

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use seatdesk_client::Cache;
use seatdesk_tui::action::{Action, SyncAction};
use seatdesk_tui::app::App;
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

const PHASES: [&str; 5] = ["open", "load", "state", "resize", "draw"];

pub fn run(args: Args) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    let mut walls = Vec::new();
    let mut phases: Vec<Vec<Duration>> = vec![Vec::new(); PHASES.len()];
    let mut peaks = Vec::new();
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
        let painted = lines
            .next()
            .ok_or_else(|| anyhow::anyhow!("the child said nothing"))??;
        let wall = started.elapsed();
        let rest: Vec<String> = lines.collect::<Result<_, _>>()?;
        anyhow::ensure!(child.wait()?.success(), "the start-up child failed");
        // painted <claims> <phase µs>... then a line with the peak RSS.
        let fields: Vec<&str> = painted.split_whitespace().collect();
        anyhow::ensure!(fields.first() == Some(&"painted"), "unexpected: {painted}");
        if run == 0 {
            continue; // warms the page cache
        }
        claims = fields[1].parse()?;
        for (i, field) in fields[2..].iter().enumerate() {
            phases[i].push(Duration::from_micros(field.parse()?));
        }
        walls.push(wall);
        peaks.push(
            rest.first()
                .and_then(|l| l.parse::<f64>().ok())
                .unwrap_or(0.0),
        );
    }
    let peak = peaks.iter().copied().fold(0.0, f64::max);
    println!(
        "| claims | spawn to painted | {} | peak RSS |",
        PHASES.join(" | ")
    );
    println!("|---|---|{}---|", "---|".repeat(PHASES.len()));
    let phase_cells: Vec<String> = phases.into_iter().map(|p| ms(median(p))).collect();
    println!(
        "| {claims} | {} | {} | {peak:.0} MiB |",
        ms(median(walls)),
        phase_cells.join(" | ")
    );
    Ok(())
}

/// The measured process: prints "painted N t_open t_load ..." (µs) the
/// moment the first frame is drawn, then its peak RSS in MiB.
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
    let snapshot = cache.load().await?;
    lap(&mut marks);
    let claims = snapshot.claims.len();
    update(
        &mut app,
        Action::Sync(SyncAction::Loaded(Box::new(snapshot))),
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
    println!("painted {claims} {}", times.join(" "));
    println!("{:.1}", peak_rss_mib().unwrap_or(0.0));
    anyhow::ensure!(
        app.sync.loaded && !app.dashboard.is_empty(),
        "nothing to paint"
    );
    Ok(())
}
