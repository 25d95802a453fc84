//! Benchmark 5: the client's initial full sync of N claims from a server on
//! loopback (one streamed, compressed `/v1/export`), against its raw floor
//! measured in the same run: the same compressed bytes moved over loopback
//! by a bare handler serving them from memory, plus the same rows (already
//! decoded, in memory) inserted into an empty cache with one prepared
//! single-row statement in one transaction. Then one delta sync applying M
//! changes (seat revocations) from the change feed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use seatdesk_client::cache::rows::{bind_claim_owned, insert_claims_sql};
use seatdesk_client::export::{Piece, decode};
use seatdesk_client::sync::{delta_sync, full_sync, paged_full_sync};
use seatdesk_client::{ApiClient, Cache, new_idempotency_key};
use seatdesk_core::SeatStatus;
use seatdesk_core::api::inventory::License;
use seatdesk_core::api::seats::Claim;

use crate::seed::demo_bed;
use crate::util::{median, ms, peak_rss_mib};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Demo-data scale: claims on the server.
    #[arg(long, default_value_t = 1_000_000)]
    claims: u64,
    /// Changes made on the server after the full sync, then synced.
    #[arg(long, default_value_t = 10_000)]
    changes: usize,
    /// Runs of the sync and of each floor, interleaved; medians reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Serve from this PostgreSQL server (a scratch database is created
    /// and dropped) instead of a SQLite file.
    #[arg(long)]
    pg: Option<String>,
    /// Also time the old paged full sync (1,000 pages of 1,000 at 1M) once.
    #[arg(long)]
    paged: bool,
    /// Keep the synced cache file here (for `startup` and `fuzzy`).
    #[arg(long)]
    keep_cache: Option<PathBuf>,
}

/// The load average, for the figures' context.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let load = Instant::now();
    let (bed, loaded) = demo_bed(args.pg.as_deref(), args.claims).await?;
    println!(
        "demo data ({}): {} claims on {} licenses, loaded in {:.1} s; load average {}",
        if args.pg.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        loaded.summary.seats.total(),
        loaded.summary.licenses,
        load.elapsed().as_secs_f64(),
        load_average()
    );
    let api = ApiClient::new(&bed.server.url(), &bed.token)?;
    let dir = tempfile::tempdir()?;
    let figures =
        full_sync_figures(&bed.server.url(), &bed.token, args.runs, dir.path(), true).await?;
    println!();
    println!("load average after the runs: {}", load_average());
    println!(
        "| claims | full sync (export) | floor: bytes over loopback | floor: one prepared INSERT, one transaction | floor total | sync ÷ floor [≤ 3x] |"
    );
    println!("|---|---|---|---|---|---|");
    println!(
        "| {} | {} | {} | {} | {} | {:.2}x |",
        figures.rows,
        ms(figures.synced),
        ms(figures.moved),
        ms(figures.inserted),
        ms(figures.floor()),
        figures.ratio()
    );
    println!();
    println!("| where the sync's time goes | time |");
    println!("|---|---|");
    println!(
        "| export fetched and decoded, nothing written | {} |",
        ms(figures.fetch_decode)
    );
    if let Some(multi) = figures.multi {
        println!(
            "| the cache's multi-row insert of the decoded rows, one transaction | {} |",
            ms(multi)
        );
    }
    if let Some(peak) = peak_rss_mib() {
        println!(
            "| peak memory of this process (server, client and the floor's rows) | {peak:.0} MiB |"
        );
    }
    if args.paged {
        let path = dir.path().join("paged.db");
        let cache = Cache::open(&path).await?;
        let started = Instant::now();
        paged_full_sync(&api, &cache).await?;
        println!(
            "| the old paged full sync, once | {} |",
            ms(started.elapsed())
        );
        cache.close().await;
        remove_cache(&path);
    }
    // Changes: revoke M live student seats spread over the licenses, then
    // time one delta sync of the cache kept from the last full sync.
    let cache_path = figures.last_cache;
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
        println!(
            "\ncache of {} claims kept at {}",
            figures.rows,
            keep.display()
        );
    }
    bed.finish().await
}

/// One measurement of the initial full sync beside its floor, medians of
/// `runs` interleaved runs.
pub struct SyncFigures {
    pub rows: usize,
    /// The client's full sync through the export.
    pub synced: Duration,
    /// Floor (a): the same compressed bytes over loopback from a bare handler.
    pub moved: Duration,
    /// Floor (b): the same rows inserted with one prepared single-row
    /// statement in one transaction.
    pub inserted: Duration,
    /// The export fetched and decoded without writing (where the time goes).
    pub fetch_decode: Duration,
    /// The cache's own multi-row insert alone (when asked for).
    pub multi: Option<Duration>,
    pub wire_bytes: usize,
    /// The cache the last sync wrote, kept for a delta sync.
    pub last_cache: PathBuf,
}

impl SyncFigures {
    pub fn floor(&self) -> Duration {
        self.moved + self.inserted
    }

    pub fn ratio(&self) -> f64 {
        self.synced.as_secs_f64() / self.floor().as_secs_f64()
    }
}

/// Measures the full sync from the server at `url` into caches under
/// `dir`. `diagnostics` adds the multi-row insert alone; it keeps a second
/// copy of the decoded rows in memory, so large runs leave it out.
pub async fn full_sync_figures(
    url: &str,
    token: &str,
    runs: usize,
    dir: &Path,
    diagnostics: bool,
) -> anyhow::Result<SyncFigures> {
    let api = ApiClient::new(url, token)?;
    // The export as it crosses the wire (zstd, as the client asks), kept in
    // memory for the loopback floor.
    let started = Instant::now();
    let wire = compressed_export(url, token).await?;
    eprintln!(
        "export body: {:.1} MB zstd, fetched in {}",
        wire.len() as f64 / 1e6,
        ms(started.elapsed())
    );
    let origin = bare_origin(wire.clone()).await?;

    // The rows, decoded once, for the insert floor; timed as the export
    // fetched and decoded without writing.
    let started = Instant::now();
    let (licenses, mut claims) = decode_all(&api).await?;
    let fetch_decode = started.elapsed();
    let rows = claims.len();
    eprintln!(
        "decoded {rows} claims and {} licenses in {}",
        licenses.len(),
        ms(fetch_decode)
    );

    let (mut synced, mut moved, mut inserted, mut multi) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut last_cache = PathBuf::new();
    for run in 0..runs {
        let path = dir.join(format!("sync{run}.db"));
        let cache = Cache::open(&path).await?;
        let started = Instant::now();
        let report = full_sync(&api, &cache).await?;
        synced.push(started.elapsed());
        anyhow::ensure!(
            report.changed == rows + licenses.len(),
            "full sync missed rows"
        );
        cache.close().await;
        if run + 1 < runs {
            remove_cache(&path);
        } else {
            last_cache = path;
        }

        let started = Instant::now();
        let bytes = read_all(&origin).await?;
        moved.push(started.elapsed());
        anyhow::ensure!(bytes == wire.len(), "the bare origin sent {bytes} bytes");

        // The last run may consume the rows; earlier ones insert a copy.
        let batch = if run + 1 < runs {
            claims.clone()
        } else {
            std::mem::take(&mut claims)
        };
        if diagnostics {
            let path = dir.join(format!("multi{run}.db"));
            let cache = Cache::open(&path).await?;
            let started = Instant::now();
            let mut write = cache.begin().await?;
            for license in &licenses {
                write.upsert_license(license).await?;
            }
            write.insert_claims(batch.clone()).await?;
            write.commit().await?;
            multi.push(started.elapsed());
            cache.close().await;
            remove_cache(&path);
        }

        let path = dir.join(format!("bare{run}.db"));
        let cache = Cache::open(&path).await?;
        inserted.push(insert_one_by_one(&cache, &licenses, batch).await?);
        cache.close().await;
        remove_cache(&path);
    }
    Ok(SyncFigures {
        rows,
        synced: median(synced),
        moved: median(moved),
        inserted: median(inserted),
        fetch_decode,
        multi: diagnostics.then(|| median(multi)),
        wire_bytes: wire.len(),
        last_cache,
    })
}

/// The export's body exactly as sent to a client asking for zstd.
async fn compressed_export(url: &str, token: &str) -> anyhow::Result<Bytes> {
    let raw = reqwest::Client::builder().no_zstd().no_gzip().build()?;
    let response = raw
        .get(format!("{url}/v1/export"))
        .bearer_auth(token)
        .header("accept-encoding", "zstd")
        .send()
        .await?
        .error_for_status()?;
    anyhow::ensure!(
        response
            .headers()
            .get("content-encoding")
            .is_some_and(|v| v == "zstd"),
        "the export was not compressed"
    );
    Ok(response.bytes().await?)
}

/// A bare axum handler on loopback answering `body` from memory, as the
/// export's compressed answer is labelled.
async fn bare_origin(body: Bytes) -> anyhow::Result<String> {
    let app = axum::Router::new().route(
        "/export",
        axum::routing::get(move || {
            let body = body.clone();
            async move {
                (
                    [
                        ("content-type", "application/x-ndjson"),
                        ("content-encoding", "zstd"),
                    ],
                    body,
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/export", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(url)
}

/// Reads the whole body at `url` chunk by chunk, undecoded; its length.
async fn read_all(url: &str) -> anyhow::Result<usize> {
    let raw = reqwest::Client::builder().no_zstd().no_gzip().build()?;
    let mut response = raw.get(url).send().await?.error_for_status()?;
    let mut bytes = 0;
    while let Some(chunk) = response.chunk().await? {
        bytes += chunk.len();
    }
    Ok(bytes)
}

/// The export fetched and decoded by the client's own decoder, kept in memory.
async fn decode_all(api: &ApiClient) -> anyhow::Result<(Vec<License>, Vec<Claim>)> {
    let body = api
        .export()
        .await?
        .ok_or_else(|| anyhow::anyhow!("the server has no export"))?;
    let mut pieces = decode(body, seatdesk_client::cache::INSERT_BATCH);
    let (mut licenses, mut claims) = (Vec::new(), Vec::new());
    while let Some(piece) = pieces.recv().await {
        match piece? {
            Piece::Head(_) => {}
            Piece::Licenses(more) => licenses.extend(more),
            Piece::Claims(more) => claims.extend(more),
            Piece::End(_) => return Ok((licenses, claims)),
        }
    }
    anyhow::bail!("the export ended early")
}

/// The insert floor: the rows, already in memory, written into an empty
/// cache with one prepared single-row INSERT executed per row, in one
/// transaction, through the cache's own driver (sqlx). Timed from the
/// first row to the commit.
async fn insert_one_by_one(
    cache: &Cache,
    licenses: &[License],
    claims: Vec<Claim>,
) -> anyhow::Result<Duration> {
    let mut write = cache.begin().await?;
    for license in licenses {
        write.upsert_license(license).await?;
    }
    let one: std::sync::Arc<str> = insert_claims_sql(1).into();
    let started = Instant::now();
    for claim in claims {
        bind_claim_owned(sqlx::query(sqlx::AssertSqlSafe(one.clone())), claim)
            .execute(write.connection())
            .await?;
    }
    write.commit().await?;
    Ok(started.elapsed())
}

fn remove_cache(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(file));
    }
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
