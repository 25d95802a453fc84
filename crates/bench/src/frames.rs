//! Benchmark 2 as one interleaved run: frames of the Claims and Teachers
//! panes at 200x50 with 1,000, 100,000 and 1,000,000 claims, timed in
//! rounds that alternate the sizes, so load from other processes falls on
//! all of them alike. Reports wall time and this thread's CPU time per
//! frame (the criterion bench `frame` gives the same cases one by one).

use std::time::{Duration, Instant};

use seatdesk_bench::frame;
use seatdesk_tui::app::Pane;

use crate::util::median;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Rounds; each draws `batch` frames of every case.
    #[arg(long, default_value_t = 15)]
    rounds: usize,
    #[arg(long, default_value_t = 300)]
    batch: u32,
}

const SIZES: [usize; 3] = [1_000, 100_000, 1_000_000];
const PANES: [Pane; 2] = [Pane::Claims, Pane::Teachers];

pub fn run(args: Args) -> anyhow::Result<()> {
    let mut apps: Vec<_> = SIZES.iter().map(|&n| frame::app(n)).collect();
    let mut terminal = frame::terminal();
    let cases = SIZES.len() * PANES.len();
    let mut wall: Vec<Vec<Duration>> = vec![Vec::new(); cases];
    let mut cpu: Vec<Vec<Duration>> = vec![Vec::new(); cases];
    for _ in 0..args.rounds {
        for (s, app) in apps.iter_mut().enumerate() {
            for (p, pane) in PANES.iter().enumerate() {
                let cpu_start = thread_cpu();
                let started = Instant::now();
                for i in 0..args.batch {
                    let step = if i % 2 == 0 { 1 } else { -1 };
                    frame::frame(&mut terminal, app, *pane, step);
                }
                wall[s * PANES.len() + p].push(started.elapsed() / args.batch);
                cpu[s * PANES.len() + p].push((thread_cpu() - cpu_start) / args.batch);
            }
        }
    }
    println!("| pane | claims | wall per frame | CPU per frame | CPU ÷ 1,000-claim case |");
    println!("|---|---|---|---|---|");
    for (p, pane) in PANES.iter().enumerate() {
        let base = median(cpu[p].clone());
        for (s, n) in SIZES.iter().enumerate() {
            let i = s * PANES.len() + p;
            let c = median(cpu[i].clone());
            println!(
                "| {} | {n} | {:.0} µs | {:.0} µs | {:.2}x |",
                pane.title(),
                median(wall[i].clone()).as_secs_f64() * 1e6,
                c.as_secs_f64() * 1e6,
                c.as_secs_f64() / base.as_secs_f64()
            );
        }
    }
    Ok(())
}

/// This thread's user + system CPU time, from /proc (clock ticks of 10 ms:
/// batches are long enough for that).
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    // Fields after the ")" that ends the command name; utime and stime are
    // the 14th and 15th of the whole line.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse().ok())
        .collect();
    let ticks: u64 = fields.iter().sum();
    Duration::from_millis(ticks * 10)
}
