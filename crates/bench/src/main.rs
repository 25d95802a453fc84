//! `seatdesk-bench`: whole-system benchmarks that compare ratios side by side
//! in one run (the machines are noisy; absolute times drift). Run with
//! `cargo run --release -p seatdesk-bench -- <bench>`; BENCHMARKS.md records
//! the figures and the command for each.

mod claims;
mod counters;
mod frames;
mod fuzzy;
mod load;
mod replicas;
mod revoke;
mod scale;
mod seed;
mod startup;
mod sync;
mod util;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(about = "seatdesk whole-system benchmarks")]
struct Cli {
    #[command(subcommand)]
    bench: Bench,
}

#[derive(Debug, Subcommand)]
enum Bench {
    /// Issue 11's counter rows on PostgreSQL: bulk revoke against a raw
    /// UPDATE of the same rows, concurrent revokers of one license, the
    /// uncached dashboard under writes, the discrepancy report.
    Counters(counters::Args),
    /// Bulk revocation of N seats through the API, against one request per
    /// seat and against the bare SQL the server runs.
    Revoke(revoke::Args),
    /// Initial full sync of N claims over loopback against a bare insert of
    /// the same rows, then a delta sync of M changes.
    Sync(sync::Args),
    /// Frame cost of the Claims and Teachers panes at 200x50 with 1k, 100k
    /// and 1M claims cached, sizes interleaved.
    Frame(frames::Args),
    /// Fuzzy filtering of N claim rows against `fzf --filter`, and the first
    /// screen of results while typing.
    Fuzzy(fuzzy::Args),
    /// Start-up to the first painted dashboard from a warm cache, and peak
    /// memory, over fresh processes.
    Startup(startup::Args),
    /// The API under wrk on loopback beside a bare axum handler, on SQLite
    /// and PostgreSQL.
    Load(load::Args),
    /// Issue 11's claims rows: every Claims-pane filter combination one
    /// request at a time (first page and deep cursor, p50/p99), and ~1,000
    /// of those URLs in random order under wrk beside a bare axum handler.
    Claims(claims::Args),
    /// Issue 11's table at scale: every row beside its raw baseline, on a
    /// 10M-claim PostgreSQL database and a 1M-claim SQLite file.
    Scale(scale::Args),
    /// Two `seatdesk serve` replicas on one PostgreSQL database under a
    /// mixed wrk load, one SIGKILLed halfway; then the invariants.
    Replicas(replicas::Args),
    #[command(hide = true)]
    StartupChild(startup::ChildArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    match Cli::parse().bench {
        Bench::Counters(args) => counters::run(args).await,
        Bench::Revoke(args) => revoke::run(args).await,
        Bench::Sync(args) => sync::run(args).await,
        Bench::Frame(args) => frames::run(args),
        Bench::Fuzzy(args) => fuzzy::run(args).await,
        Bench::Startup(args) => startup::run(args),
        Bench::Load(args) => load::run(args).await,
        Bench::Claims(args) => claims::run(args).await,
        Bench::Scale(args) => scale::run(args).await,
        Bench::Replicas(args) => replicas::run(args).await,
        Bench::StartupChild(args) => startup::child(args).await,
    }
}
