//! `seatdesk-bench`: whole-system benchmarks that compare ratios side by side
//! in one run (the machines are noisy; absolute times drift). Run with
//! `cargo run --release -p seatdesk-bench -- <bench>`; BENCHMARKS.md records
//! the figures and the command for each.

mod revoke;
mod seed;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(about = "seatdesk whole-system benchmarks")]
struct Cli {
    #[command(subcommand)]
    bench: Bench,
}

#[derive(Debug, Subcommand)]
enum Bench {
    /// Bulk revocation of N seats through the API, against one request per
    /// seat and against the bare SQL the server runs.
    Revoke(revoke::Args),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    match Cli::parse().bench {
        Bench::Revoke(args) => revoke::run(args).await,
    }
}
