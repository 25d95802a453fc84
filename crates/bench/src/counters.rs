//! Issue 11's counter rows on PostgreSQL, beside their baselines in one
//! run: a 10,000-seat bulk revoke against a raw `UPDATE … WHERE id =
//! ANY($1)` of the same random rows; 8 clients each revoking 100 seats of
//! one license at once against one client alone; the dashboard with its
//! cache off while writes move the counters, against the seat-counting
//! queries it ran before; and the discrepancy report.

use std::sync::Arc;
use std::time::{Duration, Instant};

use seatdesk_server::db::Pool;
use seatdesk_server::{AppState, Db, ServerConfig};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::seed::{Bed, Scratch, demo_bed, license_with_seats, token_for};
use crate::util::median;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The PostgreSQL server: a scratch database with the demo at
    /// `--claims` is created there and dropped at the end.
    #[arg(long, env = "SEATDESK_BENCH_PG_URL")]
    pg: Option<String>,
    /// A PostgreSQL database kept between runs instead of a scratch one:
    /// the demo at `--claims` is loaded into it when it is empty, and used
    /// as it is otherwise (each run revokes some of its seats).
    #[arg(long)]
    database: Option<String>,
    /// Demo-data scale when loading.
    #[arg(long, default_value_t = 1_000_000)]
    claims: u64,
    /// Seats per bulk revoke.
    #[arg(long, default_value_t = 10_000)]
    seats: usize,
    /// Runs of the bulk revoke; medians are reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Concurrent revokers of one license.
    #[arg(long, default_value_t = 8)]
    revokers: usize,
    /// Requests of 100 seats each revoker sends, one after another.
    #[arg(long, default_value_t = 25)]
    batches: usize,
    /// Seconds of dashboard load.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent dashboard clients.
    #[arg(long, default_value_t = 8)]
    connections: usize,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let bed = match &args.database {
        Some(url) => existing_bed(url, args.claims).await?,
        None => {
            let pg = args
                .pg
                .as_deref()
                .ok_or_else(|| anyhow::anyhow!("give --pg or --database"))?;
            let started = Instant::now();
            let (bed, loaded) = demo_bed(Some(pg), args.claims).await?;
            eprintln!(
                "demo loaded in {:.1} s: {loaded}",
                started.elapsed().as_secs_f64()
            );
            bed
        }
    };
    let Pool::Postgres(pg) = bed.db.pool.clone() else {
        anyhow::bail!("these figures are PostgreSQL's");
    };
    let seats: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM seats")
        .fetch_one(&pg)
        .await?;
    let licenses: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM licenses")
        .fetch_one(&pg)
        .await?;
    println!(
        "{seats} seat rows on {licenses} licenses, PostgreSQL, load {}",
        load()
    );
    let http = reqwest::Client::new();

    bulk_revoke(&args, &bed, &pg, &http).await?;
    concurrent_revokers(&args, &bed, &pg, &http).await?;
    dashboard(&args, &bed, &pg).await?;
    discrepancies(&bed, &http).await?;

    let mut conn = bed.db.pool.acquire().await?;
    let drift = seatdesk_server::store::counters::check(&mut conn).await?;
    drop(conn);
    println!("counters against a full recount after all runs: {drift:?}");
    anyhow::ensure!(drift.is_clean(), "counters drifted");
    bed.finish().await
}

/// `uptime`'s load averages.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

async fn existing_bed(url: &str, claims: u64) -> anyhow::Result<Bed> {
    let db = Db::connect(url).await?;
    let licenses: i64 = seatdesk_server::db::query_scalar("SELECT COUNT(*) FROM licenses")
        .fetch_one(&db.pool)
        .await?;
    if licenses == 0 {
        let started = Instant::now();
        let loaded =
            seatdesk_server::demo::load(&db, claims, chrono::Utc::now().date_naive()).await?;
        eprintln!(
            "demo loaded in {:.1} s: {loaded}",
            started.elapsed().as_secs_f64()
        );
    }
    let org: i64 = seatdesk_server::db::query_scalar(
        "SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await?;
    let token = token_for(&db, org).await?;
    let server = uncached_server(&db).await?;
    Ok(Bed {
        db,
        server,
        token,
        org,
        scratch: Scratch::existing(url),
    })
}

/// A server over `db` with the feed caches off: every answer is computed.
async fn uncached_server(db: &Db) -> anyhow::Result<seatdesk_server::RunningServer> {
    Ok(seatdesk_server::spawn(
        AppState::new(
            db.clone(),
            ServerConfig {
                feed_cache: false,
                ..ServerConfig::default()
            },
        ),
        "127.0.0.1:0".parse()?,
    )
    .await?)
}

/// Live seats nothing holds back (no students, no teacher link), at random.
async fn random_live_seats(pg: &PgPool, n: usize) -> anyhow::Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM seats WHERE status IN ('pending', 'active') AND students_assigned = 0 \
         AND teacher_seat_id IS NULL ORDER BY random() LIMIT $1",
    )
    .bind(n as i64)
    .fetch_all(pg)
    .await?)
}

const RAW_UPDATE: &str = "UPDATE seats SET status_before_revoke = status, status = 'revoked', \
    revoked_at = $2, revoked_by = 'raw', updated_at = $2 WHERE id = ANY($1)";

async fn bulk_revoke(
    args: &Args,
    bed: &Bed,
    pg: &PgPool,
    http: &reqwest::Client,
) -> anyhow::Result<()> {
    let (mut api, mut raw, mut bare) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..args.runs {
        let ids = random_live_seats(pg, args.seats).await?;
        anyhow::ensure!(ids.len() == args.seats, "only {} live seats", ids.len());
        let now = chrono::Utc::now();
        // Same pages in memory for every variant.
        sqlx::query("SELECT COUNT(*) FROM seats WHERE id = ANY($1)")
            .bind(&ids)
            .execute(pg)
            .await?;
        // Raw UPDATE on the same schema (the counter triggers fire), committed, then undone.
        let started = Instant::now();
        let mut tx = pg.begin().await?;
        sqlx::query(RAW_UPDATE)
            .bind(&ids)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        raw.push(started.elapsed());
        sqlx::query(
            "UPDATE seats SET status = status_before_revoke, status_before_revoke = NULL, \
             revoked_at = NULL, revoked_by = NULL WHERE id = ANY($1)",
        )
        .bind(&ids)
        .execute(pg)
        .await?;
        // The bare table: the same UPDATE with the triggers off, rolled back.
        let mut tx = pg.begin().await?;
        for trigger in ["insert", "update", "delete"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "ALTER TABLE seats DISABLE TRIGGER seats_counters_{trigger}"
            )))
            .execute(&mut *tx)
            .await?;
        }
        let started = Instant::now();
        sqlx::query(RAW_UPDATE)
            .bind(&ids)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        bare.push(started.elapsed());
        tx.rollback().await?;
        // The API: one request, all ids.
        let started = Instant::now();
        let reply: Value = http
            .post(format!("{}/v1/seats/revoke", bed.server.url()))
            .bearer_auth(&bed.token)
            .header(
                "Idempotency-Key",
                format!("counters-bulk-{run}-{}", std::process::id()),
            )
            .json(&json!({ "seat_ids": ids }))
            .send()
            .await?
            .json()
            .await?;
        api.push(started.elapsed());
        anyhow::ensure!(
            reply["done"] == args.seats,
            "bulk revoke: {}",
            reply["done"]
        );
    }
    let (api, raw, bare) = (median(api), median(raw), median(bare));
    println!();
    println!(
        "| {} random live seats, medians of {} | POST /v1/seats/revoke | raw UPDATE + COMMIT, same schema (counter triggers) | raw UPDATE, triggers off | API ÷ raw same schema | API ÷ raw triggers off |",
        args.seats, args.runs
    );
    println!("|---|---|---|---|---|---|");
    println!(
        "| load {} | {:.0} ms | {:.0} ms | {:.0} ms | {:.2}x | {:.2}x |",
        load(),
        ms(api),
        ms(raw),
        ms(bare),
        api.as_secs_f64() / raw.as_secs_f64(),
        api.as_secs_f64() / bare.as_secs_f64()
    );
    Ok(())
}

fn ms(time: Duration) -> f64 {
    time.as_secs_f64() * 1e3
}

/// p50, p99 and max of `times`, in ms.
fn percentiles(mut times: Vec<Duration>) -> (f64, f64, f64) {
    times.sort();
    let at =
        |q: f64| ms(times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1]);
    (at(0.5), at(0.99), ms(times[times.len() - 1]))
}

/// Revokers each sending `batches` requests of 100 seats of one license,
/// one request after another; every request's latency.
async fn revoke_batches(
    bed: &Bed,
    http: &reqwest::Client,
    ids: &[i64],
    revokers: usize,
    batches: usize,
    tag: &str,
) -> anyhow::Result<(Vec<Duration>, Duration)> {
    let url = format!("{}/v1/seats/revoke", bed.server.url());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..revokers {
        let share: Vec<i64> = ids[client * batches * 100..(client + 1) * batches * 100].to_vec();
        let (http, url, token, tag) = (
            http.clone(),
            url.clone(),
            bed.token.clone(),
            tag.to_string(),
        );
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::with_capacity(batches);
            for (i, batch) in share.chunks(100).enumerate() {
                let sent = Instant::now();
                let reply: Value = http
                    .post(&url)
                    .bearer_auth(&token)
                    .header("Idempotency-Key", format!("{tag}-{client}-{i}"))
                    .json(&json!({ "seat_ids": batch }))
                    .send()
                    .await?
                    .json()
                    .await?;
                times.push(sent.elapsed());
                anyhow::ensure!(reply["done"] == 100, "revoke of 100: {reply}");
            }
            Ok::<_, anyhow::Error>(times)
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    Ok((all, started.elapsed()))
}

async fn concurrent_revokers(
    args: &Args,
    bed: &Bed,
    pg: &PgPool,
    http: &reqwest::Client,
) -> anyhow::Result<()> {
    let per_client = args.batches * 100;
    let tag = format!("rev{}", std::process::id());
    let (license, ids) = license_with_seats(bed, per_client * (args.revokers + 1), &tag).await?;
    let (alone, alone_wall) = revoke_batches(
        bed,
        http,
        &ids[..per_client],
        1,
        args.batches,
        &format!("{tag}a"),
    )
    .await?;
    let (together, together_wall) = revoke_batches(
        bed,
        http,
        &ids[per_client..],
        args.revokers,
        args.batches,
        &format!("{tag}t"),
    )
    .await?;
    let (consumed, live): (i64, i64) = sqlx::query_as(
        "SELECT seats_consumed, (SELECT COUNT(*) FROM seats WHERE license_id = $1 \
         AND status IN ('pending', 'active')) FROM licenses WHERE id = $1",
    )
    .bind(license)
    .fetch_one(pg)
    .await?;
    anyhow::ensure!(
        consumed == live && live == 0,
        "license counters: {consumed} vs {live}"
    );
    println!();
    println!("| revoking 100 seats of one license | requests | p50 | p99 | max | seats/s |");
    println!("|---|---|---|---|---|---|");
    for (who, times, wall) in [
        ("1 client alone".to_string(), alone, alone_wall),
        (
            format!("{} clients at once", args.revokers),
            together,
            together_wall,
        ),
    ] {
        let n = times.len();
        let (p50, p99, max) = percentiles(times);
        println!(
            "| {who} (load {}) | {n} | {p50:.1} ms | {p99:.1} ms | {max:.1} ms | {:.0} |",
            load(),
            (n * 100) as f64 / wall.as_secs_f64()
        );
    }
    Ok(())
}

async fn dashboard(args: &Args, bed: &Bed, pg: &PgPool) -> anyhow::Result<()> {
    let root_path: String = sqlx::query_scalar("SELECT path FROM orgs WHERE id = $1")
        .bind(bed.org)
        .fetch_one(pg)
        .await?;
    // Before: the three seat-counting statements the dashboard ran.
    let mut before = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        for text in old_dashboard_queries(&root_path) {
            sqlx::query(sqlx::AssertSqlSafe(text)).fetch_all(pg).await?;
        }
        before.push(started.elapsed());
    }
    let before = median(before);

    let server = uncached_server(&bed.db).await?;
    let url = format!("{}/v1/dashboard", server.url());
    let http = reqwest::Client::new();
    // Writes interleaved: one client revokes and restores seats the whole
    // time, so the counters move under the readers.
    let writer_seats = random_live_seats(pg, 500).await?;
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (http, base, token, stop) = (
            http.clone(),
            bed.server.url(),
            bed.token.clone(),
            stop.clone(),
        );
        tokio::spawn(async move {
            let mut writes = 0u64;
            for seat in writer_seats.iter().cycle() {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                for action in ["revoke", "restore"] {
                    let reply = http
                        .post(format!("{base}/v1/seats/{action}"))
                        .bearer_auth(&token)
                        .json(&json!({ "seat_ids": [seat] }))
                        .send()
                        .await?;
                    anyhow::ensure!(reply.status().is_success(), "{action}: {}", reply.status());
                    writes += 1;
                }
            }
            Ok::<_, anyhow::Error>(writes)
        })
    };
    let mut readers = Vec::new();
    for _ in 0..args.connections {
        let (http, url, token) = (http.clone(), url.clone(), bed.token.clone());
        readers.push(tokio::spawn(async move {
            let mut times = Vec::new();
            while Instant::now() < deadline {
                let sent = Instant::now();
                let reply = http.get(&url).bearer_auth(&token).send().await?;
                anyhow::ensure!(reply.status().is_success(), "dashboard: {}", reply.status());
                reply.bytes().await?;
                times.push(sent.elapsed());
            }
            Ok::<_, anyhow::Error>(times)
        }));
    }
    let mut times = Vec::new();
    for reader in readers {
        times.extend(reader.await??);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let writes = writer.await??;
    server.handle.abort();
    let n = times.len();
    let (p50, p99, max) = percentiles(times);
    println!();
    println!(
        "| GET /v1/dashboard, cache off, {} clients for {} s, writes interleaved | requests/s | p50 | p99 | max | writes/s | the seat-counting statements it ran before, once |",
        args.connections, args.seconds
    );
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| load {} | {:.0} | {p50:.1} ms | {p99:.1} ms | {max:.1} ms | {:.0} | {:.0} ms |",
        load(),
        n as f64 / args.seconds as f64,
        writes as f64 / args.seconds as f64,
        ms(before)
    );
    Ok(())
}

/// The statements `store::dashboard` ran before the counters (seat rows by
/// status, weekly claims, Learn/Observe users) over the whole demo.
fn old_dashboard_queries(root_path: &str) -> Vec<String> {
    let view = format!("l.org_path LIKE '{root_path}%'");
    let week_ms = seatdesk_core::seats::WEEK_MS;
    let shift = seatdesk_core::seats::WEEK_SHIFT_MS;
    let week = seatdesk_core::seats::week_index(seatdesk_server::db::now_ms());
    let from = seatdesk_core::seats::week_start_ms(week - 11);
    let bucket =
        format!("((EXTRACT(EPOCH FROM s.claimed_at) * 1000)::bigint + {shift}) / {week_ms}");
    vec![
        format!(
            "SELECT l.product_id, s.status, COUNT(*) AS n FROM licenses l CROSS JOIN seats s \
             WHERE s.license_id = l.id AND {view} GROUP BY l.id, l.product_id, s.status"
        ),
        format!(
            "SELECT l.product_id, {bucket} AS week, COUNT(*) AS n FROM seats s \
             JOIN licenses l ON l.id = s.license_id WHERE s.claimed_at >= to_timestamp({from} / 1000.0) \
             AND {view} GROUP BY l.product_id, {bucket}"
        ),
        format!(
            "SELECT CAST(COALESCE(SUM(learn), 0) AS BIGINT), CAST(COALESCE(SUM(observe), 0) AS BIGINT), \
             CAST(COALESCE(SUM(learn * observe), 0) AS BIGINT) FROM (\
             SELECT s.user_id, MAX(CASE WHEN p.module = 'learn' THEN 1 ELSE 0 END) AS learn, \
             MAX(CASE WHEN p.module = 'observe' THEN 1 ELSE 0 END) AS observe \
             FROM products p JOIN licenses l ON l.product_id = p.id CROSS JOIN seats s \
             WHERE s.license_id = l.id AND s.status IN ('pending', 'active') \
             AND p.module IN ('learn', 'observe') AND {view} GROUP BY s.user_id) holders"
        ),
    ]
}

async fn discrepancies(bed: &Bed, http: &reqwest::Client) -> anyhow::Result<()> {
    let server = uncached_server(&bed.db).await?;
    let mut times = Vec::new();
    let mut total = Value::Null;
    for _ in 0..5 {
        let started = Instant::now();
        let reply: Value = http
            .get(format!("{}/v1/discrepancies", server.url()))
            .bearer_auth(&bed.token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        times.push(started.elapsed());
        total = reply["total"].clone();
    }
    server.handle.abort();
    let max = times.iter().max().copied().unwrap_or_default();
    println!();
    println!("| GET /v1/discrepancies, 5 requests | median | max | discrepancies found |");
    println!("|---|---|---|---|");
    println!(
        "| load {} | {:.0} ms | {:.0} ms | {total} |",
        load(),
        ms(median(times)),
        ms(max)
    );
    Ok(())
}
