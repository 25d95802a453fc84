//! Benchmark 5: the client's initial full sync of N claims from a server on
//! loopback, against bulk-inserting the same rows (already in memory)
//! straight into an empty cache database, and then one delta sync applying
//! M changes (seat revocations) from the change feed.

use std::path::{Path, PathBuf};
use std::time::Instant;

use seatdesk_client::sync::{delta_sync, full_sync};
use seatdesk_client::{ApiClient, Cache, new_idempotency_key};
use seatdesk_core::SeatStatus;
use seatdesk_core::api::MAX_PAGE_SIZE;
use seatdesk_core::api::inventory::License;
use seatdesk_core::api::seats::Claim;

use crate::seed::demo_bed;
use crate::util::{median, ms};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Demo-data scale: claims on the server.
    #[arg(long, default_value_t = 1_000_000)]
    claims: u64,
    /// Changes made on the server after the full sync, then synced.
    #[arg(long, default_value_t = 10_000)]
    changes: usize,
    /// Runs of the full sync and of the bare insert; the median is reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Keep the synced cache file here (for `startup` and `fuzzy`).
    #[arg(long)]
    keep_cache: Option<PathBuf>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let load = Instant::now();
    let (bed, loaded) = demo_bed(None, args.claims).await?;
    println!(
        "demo data: {} claims on {} licenses, loaded in {:.1} s",
        loaded.summary.seats.total(),
        loaded.summary.licenses,
        load.elapsed().as_secs_f64()
    );
    let api = ApiClient::new(&bed.server.url(), &bed.token)?;
    let dir = tempfile::tempdir()?;

    // The rows themselves, fetched once: the fetch phase on its own, and the
    // input of the bare insert.
    let mut fetch = Vec::new();
    let (mut licenses, mut claims) = (Vec::new(), Vec::new());
    for _ in 0..args.runs {
        let started = Instant::now();
        (licenses, claims) = fetch_all(&api).await?;
        fetch.push(started.elapsed());
    }
    let rows = claims.len();

    let (mut full, mut bare) = (Vec::new(), Vec::new());
    for run in 0..args.runs {
        let cache = Cache::open(&dir.path().join(format!("sync{run}.db"))).await?;
        let started = Instant::now();
        let report = full_sync(&api, &cache).await?;
        full.push(started.elapsed());
        anyhow::ensure!(
            report.changed == rows + licenses.len(),
            "full sync missed rows"
        );
        cache.close().await;

        let cache = Cache::open(&dir.path().join(format!("bare{run}.db"))).await?;
        let started = Instant::now();
        bare_insert(&cache, &licenses, &claims).await?;
        bare.push(started.elapsed());
        cache.close().await;
        let _ = std::fs::remove_file(dir.path().join(format!("bare{run}.db")));
    }
    let (full, bare, fetch) = (median(full), median(bare), median(fetch));
    println!();
    println!(
        "| claims | full sync | fetch only (HTTP + JSON) | bare insert into the cache | sync ÷ insert |"
    );
    println!("|---|---|---|---|---|");
    println!(
        "| {rows} | {} | {} | {} | {:.2}x |",
        ms(full),
        ms(fetch),
        ms(bare),
        full.as_secs_f64() / bare.as_secs_f64()
    );

    // Changes: revoke M live student seats spread over the licenses, then
    // time one delta sync of the cache kept from the last full sync.
    let cache_path = dir.path().join(format!("sync{}.db", args.runs - 1));
    let ids = revocable(&bed, args.changes).await?;
    let started = Instant::now();
    let mut done = 0;
    for chunk in ids.chunks(500) {
        done += api
            .revoke(chunk.to_vec(), &new_idempotency_key())
            .await?
            .done;
    }
    let revoking = started.elapsed();
    anyhow::ensure!(done == args.changes, "only {done} seats were revoked");
    let cache = Cache::open(&cache_path).await?;
    let started = Instant::now();
    let report = delta_sync(&api, &cache).await?;
    let delta = started.elapsed();
    let started = Instant::now();
    let patch = cache.load_patch(&report.touched).await?;
    let reload = started.elapsed();
    let revoked = patch
        .claims
        .iter()
        .filter(|c| c.status == SeatStatus::Revoked)
        .count();
    println!();
    println!(
        "| changes | made by (bulk revoke API) | delta sync | rows re-read for the dashboard | licenses re-fetched |"
    );
    println!("|---|---|---|---|---|");
    println!(
        "| {} events | {} | {} | {} ({} claims) | {} |",
        report.changed,
        ms(revoking),
        ms(delta),
        ms(reload),
        patch.claims.len(),
        report.touched.licenses.len()
    );
    anyhow::ensure!(
        report.changed >= args.changes && revoked >= args.changes,
        "the delta sync did not bring every revocation"
    );
    cache.close().await;
    if let Some(keep) = &args.keep_cache {
        copy_cache(&cache_path, keep)?;
        println!("\ncache of {rows} claims kept at {}", keep.display());
    }
    bed.finish().await
}

/// Every license and claim, page by page, as the full sync fetches them.
async fn fetch_all(api: &ApiClient) -> anyhow::Result<(Vec<License>, Vec<Claim>)> {
    let mut licenses = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = api.licenses_page(cursor.as_deref(), MAX_PAGE_SIZE).await?;
        licenses.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let mut claims = Vec::new();
    let mut filter = seatdesk_client::api::ClaimFilter {
        statuses: SeatStatus::ALL.to_vec(),
        limit: Some(MAX_PAGE_SIZE),
        ..Default::default()
    };
    loop {
        let page = api.claims_page(&filter).await?;
        claims.extend(page.items);
        match page.next_cursor {
            Some(next) => filter.cursor = Some(next),
            None => return Ok((licenses, claims)),
        }
    }
}

/// The floor for a full sync: the same rows, already in memory, written
/// through the cache's own statements in one transaction.
async fn bare_insert(cache: &Cache, licenses: &[License], claims: &[Claim]) -> anyhow::Result<()> {
    let mut write = cache.begin().await?;
    write.clear().await?;
    for license in licenses {
        write.upsert_license(license).await?;
    }
    for claim in claims {
        write.upsert_claim(claim).await?;
    }
    write.set_synced(1, chrono::Utc::now()).await?;
    write.commit().await?;
    Ok(())
}

/// `n` live seats of students (never refused: no students hang off them),
/// spread evenly over the seat ids and so over the licenses.
async fn revocable(bed: &crate::seed::Bed, n: usize) -> anyhow::Result<Vec<i64>> {
    let seats: i64 = seatdesk_server::db::query_scalar("SELECT COUNT(*) FROM seats")
        .fetch_one(&bed.db.pool)
        .await?;
    let stride = (seats / (n as i64 * 4)).max(1);
    let ids: Vec<i64> = seatdesk_server::db::query_scalar(format!(
        "SELECT s.id FROM seats s JOIN users u ON u.id = s.user_id \
         WHERE s.status IN ('pending', 'active') AND u.kind = 'student' AND s.id % {stride} = 0 \
         ORDER BY s.id LIMIT {n}"
    ))
    .fetch_all(&bed.db.pool)
    .await?;
    anyhow::ensure!(ids.len() == n, "only {} revocable seats", ids.len());
    Ok(ids)
}

fn copy_cache(from: &Path, to: &Path) -> anyhow::Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::copy(from, to)?;
    Ok(())
}
