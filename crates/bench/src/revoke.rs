//! Benchmark 1: bulk revocation of N seats through the API, against the same
//! seats revoked one request at a time (as a web console makes people do) and
//! against the bare SQL the server runs, on SQLite and PostgreSQL.

use std::time::{Duration, Instant};

use seatdesk_server::db::types::Stamp;
use seatdesk_server::domain::revocation::revoke_seats;
use seatdesk_server::domain::scope::Scope;
use seatdesk_server::store::audit;
use serde_json::json;

use crate::seed::{Bed, bed, license_with_seats};
use crate::util::median;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Seats per run.
    #[arg(long, default_value_t = 10_000)]
    seats: usize,
    /// Runs of each variant; the median is reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Also run on this PostgreSQL server (a scratch database is created).
    #[arg(long, env = "SEATDESK_BENCH_PG_URL")]
    pg: Option<String>,
    /// Seats revoked one request at a time per run (the full N takes minutes;
    /// the per-seat time is scaled up to N).
    #[arg(long, default_value_t = 2_000)]
    one_by_one: usize,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let mut backends = vec![None];
    if let Some(pg) = &args.pg {
        backends.push(Some(pg.clone()));
    }
    println!(
        "| backend | bulk API | one request per seat (scaled to {n}) | bare SQL | API ÷ SQL | one-by-one ÷ bulk |",
        n = args.seats
    );
    println!("|---|---|---|---|---|---|");
    for pg in backends {
        let bed = bed(pg.as_deref()).await?;
        let http = reqwest::Client::new();
        let (mut bulk, mut single, mut bare) = (Vec::new(), Vec::new(), Vec::new());
        for run in 0..args.runs {
            bulk.push(time_bulk(&bed, &http, args.seats, &format!("bulk{run}")).await?);
            bare.push(time_bare_sql(&bed, args.seats, &format!("sql{run}")).await?);
            let per_seat =
                time_one_by_one(&bed, &http, args.one_by_one, &format!("one{run}")).await?;
            single.push(per_seat * args.seats as u32);
        }
        let (bulk, single, bare) = (median(bulk), median(single), median(bare));
        println!(
            "| {} | {:.0} ms | {:.0} ms | {:.0} ms | {:.2}x | {:.0}x |",
            if pg.is_some() { "PostgreSQL" } else { "SQLite" },
            bulk.as_secs_f64() * 1e3,
            single.as_secs_f64() * 1e3,
            bare.as_secs_f64() * 1e3,
            bulk.as_secs_f64() / bare.as_secs_f64(),
            single.as_secs_f64() / bulk.as_secs_f64(),
        );
        bed.finish().await?;
    }
    Ok(())
}

async fn time_bulk(
    bed: &Bed,
    http: &reqwest::Client,
    n: usize,
    tag: &str,
) -> anyhow::Result<Duration> {
    let (_, ids) = license_with_seats(bed, n, tag).await?;
    let started = Instant::now();
    let response = http
        .post(format!("{}/v1/seats/revoke", bed.server.url()))
        .bearer_auth(&bed.token)
        .header("Idempotency-Key", tag)
        .json(&json!({ "seat_ids": ids }))
        .send()
        .await?;
    let elapsed = started.elapsed();
    let body: serde_json::Value = response.json().await?;
    anyhow::ensure!(body["done"] == n, "bulk revoke did not finish: {body}");
    Ok(elapsed)
}

/// Time per seat when each seat is its own request.
async fn time_one_by_one(
    bed: &Bed,
    http: &reqwest::Client,
    n: usize,
    tag: &str,
) -> anyhow::Result<Duration> {
    let (_, ids) = license_with_seats(bed, n, tag).await?;
    let url = format!("{}/v1/seats/revoke", bed.server.url());
    let started = Instant::now();
    for (i, id) in ids.iter().enumerate() {
        let response = http
            .post(&url)
            .bearer_auth(&bed.token)
            .header("Idempotency-Key", format!("{tag}-{i}"))
            .json(&json!({ "seat_ids": [id] }))
            .send()
            .await?;
        anyhow::ensure!(response.status().is_success(), "revoke of seat {id} failed");
    }
    Ok(started.elapsed() / n as u32)
}

/// The endpoint's own SQL (lock/load, update, counters, audit) in one
/// transaction, without HTTP, JSON, auth or idempotency.
async fn time_bare_sql(bed: &Bed, n: usize, tag: &str) -> anyhow::Result<Duration> {
    let (_, ids) = license_with_seats(bed, n, tag).await?;
    let scope = Scope::new(&format!("/{}/", bed.org)).map_err(|e| anyhow::anyhow!("{e}"))?;
    let started = Instant::now();
    let now = Stamp::now();
    let mut tx = bed.db.begin_write().await?;
    let (results, events) = revoke_seats(&mut tx.tx, &scope, &ids, "bench", now)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let revoked = started.elapsed();
    audit::append_rows(&mut tx.tx, &events, "bench", tag, now).await?;
    let appended = started.elapsed();
    tx.commit().await?;
    let elapsed = started.elapsed();
    // Where the time goes, on stderr so the table stays clean.
    eprintln!(
        "bare SQL {tag} ({backend}): revoke_seats {:.1} ms, audit append {:.1} ms, commit {:.1} ms",
        revoked.as_secs_f64() * 1e3,
        (appended - revoked).as_secs_f64() * 1e3,
        (elapsed - appended).as_secs_f64() * 1e3,
        backend = bed.db.backend.name(),
    );
    anyhow::ensure!(
        results.len() == n && events.len() == n,
        "bare SQL did not revoke every seat"
    );
    Ok(elapsed)
}
