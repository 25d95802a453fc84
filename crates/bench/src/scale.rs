//! Benchmark `scale` (issue 11): every row of the issue's table, each
//! beside its raw baseline measured in the same run, against one large
//! PostgreSQL database (10M claims) and one SQLite file (1M claims). Both
//! are reused when they already hold demo data (loading 10M claims takes
//! minutes), else filled first. Every server here runs with the feed cache
//! off, so no figure comes from a cache.
//!
//! A row is a [`Piece`]; the pieces of the table's other rows are written
//! by the work that reaches them and plugged in here as they land. A row
//! without its piece is printed as not measured.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use seatdesk_core::api::Page;
use seatdesk_core::api::seats::Claim;
use seatdesk_server::db::Pool;
use seatdesk_server::{AppState, Db, RunningServer, ServerConfig};
use serde_json::json;

use crate::load::{WrkArgs, bare_json_server, bare_server, measure, wrk};
use crate::seed::license_with_seats_in;
use crate::util::{median, ms};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// PostgreSQL database to measure (e.g. postgres://postgres@127.0.0.1/bench_10m):
    /// used as it is when it holds demo data, else created and filled with
    /// --pg-claims. Without it only SQLite is measured.
    #[arg(long, env = "SEATDESK_BENCH_SCALE_PG")]
    pg: Option<String>,
    #[arg(long, default_value_t = 10_000_000)]
    pg_claims: u64,
    /// SQLite file to measure, reused likewise; "none" skips SQLite.
    #[arg(long, default_value = "target/bench-scale.db")]
    sqlite: String,
    #[arg(long, default_value_t = 1_000_000)]
    sqlite_claims: u64,
    /// Seconds per wrk run.
    #[arg(long, default_value_t = 10)]
    duration: u32,
    /// wrk runs per figure; the median is reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Distinct claims URLs of the read mix.
    #[arg(long, default_value_t = 1000)]
    mix_urls: usize,
    /// Only the rows whose keys are listed (comma-separated): claims-page,
    /// claims-filters, read-mix, dashboard, bulk-revoke, revokers,
    /// sync, discrepancies.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
}

/// wrk's shape for every run: 2 threads, 8 connections (2 cores here).
fn wrk_args(args: &Args) -> WrkArgs {
    WrkArgs {
        duration: args.duration,
        connections: 8,
        threads: 2,
        runs: args.runs,
    }
}

/// One measured row of the table.
#[derive(Debug, Clone)]
pub struct Figure {
    pub row: &'static str,
    pub database: String,
    pub figure: String,
    pub baseline: String,
    /// Figure ÷ baseline, in the sense the target states it.
    pub ratio: Option<f64>,
    pub target: &'static str,
    /// Whether the target is met, when the figure says.
    pub met: Option<bool>,
    /// The 1-minute load average when the row was measured.
    pub load: String,
}

/// A database under measurement and a server over it with caches off.
pub struct Subject {
    /// "PostgreSQL, 10M claims".
    pub name: String,
    pub db: Db,
    pub url: String,
    pub token: String,
    pub root: i64,
    server: RunningServer,
    /// The read mix's claims paths (first pages and deep cursors), built once.
    mix: tokio::sync::OnceCell<Vec<String>>,
}

impl Subject {
    pub fn auth(&self) -> String {
        format!("Authorization: Bearer {}", self.token)
    }

    fn figure(&self, row: &'static str, target: &'static str) -> Figure {
        Figure {
            row,
            database: self.name.clone(),
            figure: String::new(),
            baseline: String::new(),
            ratio: None,
            target,
            met: None,
            load: std::fs::read_to_string("/proc/loadavg")
                .ok()
                .and_then(|l| l.split_whitespace().next().map(str::to_string))
                .unwrap_or_default(),
        }
    }
}

/// A row of the table: its key, the issue's wording, its target, and the
/// code that measures it (absent until it lands).
struct Piece {
    key: &'static str,
    row: &'static str,
    target: &'static str,
    measured: bool,
}

const PIECES: &[Piece] = &[
    Piece {
        key: "claims-page",
        row: "GET /v1/claims?limit=100, nothing cached",
        target: "≥ 0.3x the bare handler, p99 < 20 ms",
        measured: true,
    },
    Piece {
        key: "claims-filters",
        row: "the Claims pane's filters, one request each",
        target: "p99 < 20 ms",
        measured: true,
    },
    Piece {
        key: "read-mix",
        row: "read mix: ~1,000 distinct claims URLs, random order",
        target: "≥ 0.3x the bare handler",
        measured: true,
    },
    Piece {
        key: "dashboard",
        row: "GET /v1/dashboard, nothing cached",
        target: "p99 < 50 ms",
        measured: true,
    },
    Piece {
        key: "bulk-revoke",
        row: "10,000-seat bulk revoke",
        target: "≤ 2x a raw UPDATE of the same rows",
        measured: true,
    },
    Piece {
        key: "revokers",
        row: "8 clients each revoking 100 seats of one license",
        target: "p99 < 100 ms, never over-allocating",
        measured: true,
    },
    Piece {
        key: "sync",
        row: "initial client sync",
        target: "≤ 3x the raw floor",
        measured: true,
    },
    Piece {
        key: "discrepancies",
        row: "GET /v1/discrepancies",
        target: "< 2 s",
        measured: true,
    },
];

pub async fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        std::process::Command::new("wrk")
            .arg("--version")
            .output()
            .is_ok(),
        "wrk is not installed (Debian package wrk)"
    );
    let dir = tempfile::tempdir()?;
    let wanted = |key: &str| args.only.is_empty() || args.only.iter().any(|k| k == key);
    let mut subjects = Vec::new();
    if let Some(pg) = &args.pg {
        subjects.push(open(pg, args.pg_claims, "PostgreSQL").await?);
    }
    if args.sqlite != "none" {
        let url = format!("sqlite://{}", PathBuf::from(&args.sqlite).display());
        subjects.push(open(&url, args.sqlite_claims, "SQLite").await?);
    }
    let mut figures = Vec::new();
    let mut missing = Vec::new();
    for piece in PIECES.iter().filter(|p| wanted(p.key)) {
        if !piece.measured {
            missing.push(piece);
            continue;
        }
        for subject in &subjects {
            eprintln!("measuring {} on {}…", piece.key, subject.name);
            let started = Instant::now();
            let mut measured = match piece.key {
                "claims-page" => claims_page(&args, subject).await,
                "claims-filters" => claims_filters(&args, subject).await,
                "read-mix" => read_mix(&args, subject, dir.path()).await,
                "dashboard" => dashboard(&args, subject).await,
                "bulk-revoke" => bulk_revoke(subject).await,
                "revokers" => revokers(subject).await,
                "discrepancies" => discrepancies(subject).await,
                "sync" => sync(subject, dir.path()).await,
                _ => unreachable!("every measured piece has its code"),
            }
            .with_context(|| format!("{} on {}", piece.key, subject.name))?;
            for figure in &mut measured {
                figure.row = piece.row;
                figure.target = piece.target;
            }
            eprintln!("  done in {:.0?}", started.elapsed());
            // Each row as it lands, so a run cut short keeps its figures.
            for f in &measured {
                eprintln!("  {}", row_line(f));
            }
            figures.extend(measured);
        }
    }
    print_table(&figures, &missing);
    for subject in subjects {
        subject.server.handle.abort();
        subject.db.pool.close().await;
    }
    Ok(())
}

/// Opens `url`, fills it with `claims` of demo data unless it holds some,
/// and serves it on loopback with the feed cache off.
async fn open(url: &str, claims: u64, backend: &str) -> anyhow::Result<Subject> {
    if url.starts_with("postgres") {
        create_pg_database(url).await?;
    }
    let db = Db::connect(url)
        .await
        .with_context(|| format!("opening {url}"))?;
    let licenses: i64 = seatdesk_server::db::query_scalar("SELECT COUNT(*) FROM licenses")
        .fetch_one(&db.pool)
        .await?;
    if licenses == 0 {
        eprintln!("loading {claims} claims of demo data into {url}…");
        let loaded =
            seatdesk_server::demo::load(&db, claims, chrono::Utc::now().date_naive()).await?;
        eprintln!("  {loaded}");
    }
    let (root, claims): (i64, i64) = seatdesk_server::db::query_as(
        "SELECT (SELECT MIN(id) FROM orgs WHERE parent_id IS NULL), (SELECT COUNT(*) FROM seats)",
    )
    .fetch_one(&db.pool)
    .await?;
    let token = token(&db, root).await?;
    let server = seatdesk_server::spawn(
        AppState::new(
            db.clone(),
            ServerConfig {
                feed_cache: false,
                ..ServerConfig::default()
            },
        ),
        "127.0.0.1:0".parse()?,
    )
    .await?;
    Ok(Subject {
        name: format!("{backend}, {:.1}M claims", claims as f64 / 1e6),
        db,
        url: server.url(),
        token,
        root,
        server,
        mix: tokio::sync::OnceCell::new(),
    })
}

/// A new system_admin token of org `root`.
pub async fn token(db: &Db, root: i64) -> anyhow::Result<String> {
    let mut conn = db.pool.acquire().await?;
    let (_, token) = seatdesk_server::tokens::insert_token(
        &mut conn,
        "bench-scale",
        seatdesk_core::Role::SystemAdmin,
        root,
    )
    .await?;
    Ok(token)
}

/// Creates the PostgreSQL database `url` names unless it exists.
async fn create_pg_database(url: &str) -> anyhow::Result<()> {
    let (base, name) = url.rsplit_once('/').context("a database name in the URL")?;
    let name = name.split('?').next().unwrap_or(name);
    let mut conn =
        <sqlx::PgConnection as sqlx::Connection>::connect(&format!("{base}/postgres")).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        sqlx::Executor::execute(
            &mut conn,
            sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")),
        )
        .await?;
    }
    Ok(())
}

/// One figure as a Markdown table row.
fn row_line(f: &Figure) -> String {
    format!(
        "| {} | {} | {} | {} | {} | {} | {} | load {} |",
        f.row,
        f.database,
        f.figure,
        f.baseline,
        f.ratio.map_or("—".to_string(), |r| format!("{r:.2}x")),
        f.target,
        match f.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "—",
        },
        f.load
    )
}

fn print_table(figures: &[Figure], missing: &[&Piece]) {
    println!(
        "| row | database | figure | baseline (same run) | ratio | target | met | load average after |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for f in figures {
        println!("{}", row_line(f));
    }
    for piece in missing {
        println!(
            "| {} | — | not measured | — | — | {} | — | — |",
            piece.row, piece.target
        );
    }
}

/// The first claims page, as the bare handler will serve it.
async fn first_page(subject: &Subject) -> anyhow::Result<Page<Claim>> {
    Ok(reqwest::Client::new()
        .get(format!("{}/v1/claims?limit=100", subject.url))
        .bearer_auth(&subject.token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

async fn claims_page(args: &Args, subject: &Subject) -> anyhow::Result<Vec<Figure>> {
    let bare = bare_server(first_page(subject).await?).await?;
    let bare = measure(&wrk_args(args), &format!("{bare}/claims"), &[])?;
    let api = measure(
        &wrk_args(args),
        &format!("{}/v1/claims?limit=100", subject.url),
        &[&subject.auth()],
    )?;
    let ratio = api.rps / bare.rps;
    let mut f = subject.figure("", "");
    f.figure = format!("{:.0} req/s, p99 {:.1} ms", api.rps, api.p99_ms);
    f.baseline = format!("bare handler {:.0} req/s", bare.rps);
    f.ratio = Some(ratio);
    f.met = Some(ratio >= 0.3 && api.p99_ms < 20.0);
    Ok(vec![f])
}

/// Every filter the Claims pane and the CLI offer, alone and combined with
/// each sort and order: the query strings of the filters row and the
/// starting points of the read mix.
async fn filter_queries(subject: &Subject) -> anyhow::Result<Vec<String>> {
    // Real values to filter by: the biggest license, its product and
    // account, a district org, a name fragment, a date window.
    let (license, product, account): (i64, i64, i64) = seatdesk_server::db::query_as(
        "SELECT id, product_id, account_id FROM licenses ORDER BY seats_consumed DESC, id LIMIT 1",
    )
    .fetch_one(&subject.db.pool)
    .await?;
    let org: i64 = seatdesk_server::db::query_scalar(
        "SELECT id FROM orgs WHERE parent_id = $1 ORDER BY id LIMIT 1",
    )
    .bind(subject.root)
    .fetch_one(&subject.db.pool)
    .await?;
    let today = chrono::Utc::now().date_naive();
    let from = format!("{}T00:00:00Z", today - chrono::Days::new(30));
    let to = format!("{}T00:00:00Z", today - chrono::Days::new(7));
    let filters = [
        String::new(),
        "status=pending,active".into(),
        "status=active".into(),
        "status=pending".into(),
        "status=expired,revoked".into(),
        format!("product_id={product}"),
        format!("license_id={license}"),
        format!("account_id={account}"),
        format!("org_id={org}"),
        format!("from={from}"),
        format!("to={to}"),
        format!("from={from}&to={to}&status=active"),
        "q=smith".into(),
        format!("q=an&status=pending,active&product_id={product}"),
    ];
    let sorts = [
        "",
        "sort=name",
        "sort=name&order=desc",
        "sort=claimed_at",
        "sort=claimed_at&order=asc",
        "sort=assigned_at&order=desc",
        "sort=assigned_at&order=asc",
    ];
    let mut queries = Vec::new();
    for filter in &filters {
        for sort in sorts {
            let parts: Vec<&str> = [filter.as_str(), sort, "limit=100"]
                .into_iter()
                .filter(|p| !p.is_empty())
                .collect();
            queries.push(parts.join("&"));
        }
    }
    Ok(queries)
}

/// Latencies of GETs of `urls`, one request at a time.
async fn timed_gets(subject: &Subject, urls: &[String]) -> anyhow::Result<Vec<(Duration, String)>> {
    let http = reqwest::Client::new();
    let mut times = Vec::new();
    for url in urls {
        let started = Instant::now();
        let response = http.get(url).bearer_auth(&subject.token).send().await?;
        let status = response.status();
        let body = response.bytes().await?;
        anyhow::ensure!(
            status.is_success(),
            "GET {url}: {status} {}",
            String::from_utf8_lossy(&body)
        );
        times.push((started.elapsed(), url.clone()));
    }
    Ok(times)
}

fn percentile(times: &mut [Duration], p: f64) -> Duration {
    times.sort();
    let at = ((times.len() as f64 * p).ceil() as usize).clamp(1, times.len()) - 1;
    times[at]
}

/// Every filter combination at its first page and at deep cursors (the read
/// mix's URLs), one request at a time.
async fn claims_filters(args: &Args, subject: &Subject) -> anyhow::Result<Vec<Figure>> {
    let urls: Vec<String> = mix_paths(args, subject)
        .await?
        .iter()
        .map(|path| format!("{}{path}", subject.url))
        .collect();
    // Building the mix requested each URL once (the warm-up); this pass is
    // the measured one.
    let measured = timed_gets(subject, &urls).await?;
    let worst = measured
        .iter()
        .max_by_key(|(t, _)| *t)
        .map(|(t, u)| format!("{} ({})", ms(*t), u.trim_start_matches(&subject.url)))
        .unwrap_or_default();
    let mut times: Vec<Duration> = measured.iter().map(|(t, _)| *t).collect();
    let p99 = percentile(&mut times, 0.99);
    let p50 = percentile(&mut times, 0.5);
    let bare = bare_server(first_page(subject).await?).await?;
    let bare_urls = vec![format!("{bare}/claims"); urls.len()];
    let mut bare_times: Vec<Duration> = timed_gets(subject, &bare_urls)
        .await?
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    let bare_p99 = percentile(&mut bare_times, 0.99);
    let mut f = subject.figure("", "");
    f.figure = format!(
        "{} URLs (first pages and deep cursors): p50 {}, p99 {}; slowest {worst}",
        urls.len(),
        ms(p50),
        ms(p99)
    );
    f.baseline = format!("bare handler p99 {}", ms(bare_p99));
    f.ratio = Some(p99.as_secs_f64() / bare_p99.as_secs_f64());
    f.met = Some(p99 < Duration::from_millis(20));
    Ok(vec![f])
}

/// Picks one request path per line of the given file at random.
const MIX_LUA: &str = r#"
function init(args)
  paths = {}
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 1000)
end
function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
"#;

/// The read mix: every filter query's first page, then deeper pages of
/// each, a few at a time so that every query gets deep cursors, until there
/// are `mix_urls` paths. Each page is requested once here.
async fn mix_paths<'a>(args: &Args, subject: &'a Subject) -> anyhow::Result<&'a Vec<String>> {
    subject
        .mix
        .get_or_try_init(|| async {
            let queries = filter_queries(subject).await?;
            let http = reqwest::Client::new();
            let mut paths: Vec<String> =
                queries.iter().map(|q| format!("/v1/claims?{q}")).collect();
            let mut frontier: Vec<(String, String)> = queries
                .iter()
                .map(|q| (q.clone(), format!("/v1/claims?{q}")))
                .collect();
            let budget = Instant::now() + Duration::from_secs(600);
            while paths.len() < args.mix_urls && !frontier.is_empty() && Instant::now() < budget {
                let mut next = Vec::new();
                for (query, path) in frontier {
                    if paths.len() >= args.mix_urls {
                        break;
                    }
                    let page: Page<Claim> = http
                        .get(format!("{}{path}", subject.url))
                        .bearer_auth(&subject.token)
                        .send()
                        .await?
                        .error_for_status()?
                        .json()
                        .await?;
                    if let Some(cursor) = page.next_cursor {
                        let deeper = format!("/v1/claims?{query}&cursor={cursor}");
                        paths.push(deeper.clone());
                        next.push((query, deeper));
                    }
                }
                frontier = next;
            }
            anyhow::Ok(paths)
        })
        .await
}

async fn read_mix(args: &Args, subject: &Subject, dir: &Path) -> anyhow::Result<Vec<Figure>> {
    let paths = mix_paths(args, subject).await?;
    let file = dir.join("mix.paths");
    std::fs::write(&file, paths.join("\n") + "\n")?;
    let script = dir.join("mix.lua");
    std::fs::write(&script, MIX_LUA)?;
    let mut runs = Vec::new();
    for _ in 0..args.runs {
        runs.push(wrk(
            &wrk_args(args),
            args.duration,
            &subject.url,
            &[&subject.auth()],
            Some((&script, &[file.display().to_string()])),
        )?);
    }
    let api = crate::load::Outcome::median(runs);
    let bare = bare_server(first_page(subject).await?).await?;
    let bare = measure(&wrk_args(args), &format!("{bare}/claims"), &[])?;
    let ratio = api.rps / bare.rps;
    let mut f = subject.figure("", "");
    f.figure = format!(
        "{} URLs: {:.0} req/s, p99 {:.1} ms",
        paths.len(),
        api.rps,
        api.p99_ms
    );
    f.baseline = format!("bare handler {:.0} req/s", bare.rps);
    f.ratio = Some(ratio);
    f.met = Some(ratio >= 0.3);
    Ok(vec![f])
}

async fn dashboard(args: &Args, subject: &Subject) -> anyhow::Result<Vec<Figure>> {
    let api = measure(
        &wrk_args(args),
        &format!("{}/v1/dashboard", subject.url),
        &[&subject.auth()],
    )?;
    // Baseline: a bare handler serializing the same dashboard from memory.
    let body = get_json(subject, "/v1/dashboard").await?;
    let bare = bare_json_server("/dashboard", body).await?;
    let bare = measure(&wrk_args(args), &format!("{bare}/dashboard"), &[])?;
    let mut f = subject.figure("", "");
    f.figure = format!("{:.0} req/s, p99 {:.1} ms", api.rps, api.p99_ms);
    f.baseline = format!(
        "bare handler serving the same dashboard {:.0} req/s, p99 {:.1} ms",
        bare.rps, bare.p99_ms
    );
    f.ratio = Some(api.rps / bare.rps);
    f.met = Some(api.p99_ms < 50.0);
    Ok(vec![f])
}

/// The API's bulk revoke of 10,000 pending seats beside a raw UPDATE of
/// 10,000 other such seats on the same schema, three runs each, medians.
async fn bulk_revoke(subject: &Subject) -> anyhow::Result<Vec<Figure>> {
    const SEATS: usize = 10_000;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()?;
    let (mut api_times, mut raw_times) = (Vec::new(), Vec::new());
    let tag = format!("scale{}", std::process::id());
    for run in 0..3 {
        let (_, api_ids) =
            license_with_seats_in(&subject.db, subject.root, SEATS, &format!("{tag}a{run}"))
                .await?;
        let (_, raw_ids) =
            license_with_seats_in(&subject.db, subject.root, SEATS, &format!("{tag}r{run}"))
                .await?;
        let started = Instant::now();
        let response = http
            .post(format!("{}/v1/seats/revoke", subject.url))
            .bearer_auth(&subject.token)
            .json(&json!({ "seat_ids": api_ids }))
            .send()
            .await?
            .error_for_status()?;
        let body: serde_json::Value = response.json().await?;
        api_times.push(started.elapsed());
        anyhow::ensure!(
            body["done"].as_u64() == Some(SEATS as u64),
            "the bulk revoke did {}",
            body["done"]
        );
        let started = Instant::now();
        raw_revoke(&subject.db, &raw_ids).await?;
        raw_times.push(started.elapsed());
    }
    let (api, raw) = (median(api_times), median(raw_times));
    let ratio = api.as_secs_f64() / raw.as_secs_f64();
    let mut f = subject.figure("", "");
    f.figure = format!("API {}", ms(api));
    f.baseline = format!("raw UPDATE … WHERE id = ANY($1) {}", ms(raw));
    f.ratio = Some(ratio);
    f.met = Some(ratio <= 2.0);
    Ok(vec![f])
}

/// The baseline of a bulk revoke: one UPDATE of the rows, nothing else.
async fn raw_revoke(db: &Db, ids: &[i64]) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    match &db.pool {
        Pool::Postgres(pool) => {
            sqlx::query(
                "UPDATE seats SET status = 'revoked', status_before_revoke = status, \
                 revoked_at = $1, revoked_by = 'bench', updated_at = $1 WHERE id = ANY($2)",
            )
            .bind(now)
            .bind(ids)
            .execute(pool)
            .await?;
        }
        // SQLite has no arrays: the ids go in as a list of literals.
        Pool::Sqlite(pool) => {
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE seats SET status = 'revoked', status_before_revoke = status, \
                 revoked_at = $1, revoked_by = 'bench', updated_at = $1 WHERE id IN ({})",
                list.join(",")
            )))
            .bind(now.timestamp_millis())
            .execute(pool)
            .await?;
        }
    }
    Ok(())
}

/// Eight clients at once, each revoking 100 seats of the same license per
/// request, five rounds; p99 of the requests, then the license's counter
/// checked against its rows.
async fn revokers(subject: &Subject) -> anyhow::Result<Vec<Figure>> {
    const CLIENTS: usize = 8;
    const PER: usize = 100;
    const ROUNDS: usize = 5;
    let tag = format!("scale8x{}", std::process::id());
    let (license, ids) =
        license_with_seats_in(&subject.db, subject.root, CLIENTS * PER * ROUNDS, &tag).await?;
    let http = reqwest::Client::new();
    // Baseline: one client alone revoking 100 seats of another license.
    let (_, alone_ids) = license_with_seats_in(
        &subject.db,
        subject.root,
        PER * ROUNDS,
        &format!("{tag}solo"),
    )
    .await?;
    let mut alone = Vec::new();
    for chunk in alone_ids.chunks(PER) {
        let started = Instant::now();
        revoke(&http, subject, chunk).await?;
        alone.push(started.elapsed());
    }
    let mut times = Vec::new();
    for round in ids.chunks(CLIENTS * PER) {
        let requests = round.chunks(PER).map(|chunk| {
            let (http, chunk) = (http.clone(), chunk.to_vec());
            async move {
                let started = Instant::now();
                revoke(&http, subject, &chunk).await?;
                anyhow::Ok(started.elapsed())
            }
        });
        for time in futures::future::join_all(requests).await {
            times.push(time?);
        }
    }
    let (consumed, live): (i64, i64) = seatdesk_server::db::query_as(
        "SELECT seats_consumed, (SELECT COUNT(*) FROM seats WHERE license_id = $1 \
         AND status IN ('pending', 'active')) FROM licenses WHERE id = $1",
    )
    .bind(license)
    .fetch_one(&subject.db.pool)
    .await?;
    anyhow::ensure!(
        consumed == live,
        "license {license}: counter {consumed}, rows {live}"
    );
    let p99 = percentile(&mut times, 0.99);
    let alone = median(alone);
    let mut f = subject.figure("", "");
    f.figure = format!("p99 {} over {} requests", ms(p99), times.len());
    f.baseline = format!("one client alone: median {}", ms(alone));
    f.ratio = Some(p99.as_secs_f64() / alone.as_secs_f64());
    f.met = Some(p99 < Duration::from_millis(100));
    Ok(vec![f])
}

async fn revoke(http: &reqwest::Client, subject: &Subject, ids: &[i64]) -> anyhow::Result<()> {
    let response = http
        .post(format!("{}/v1/seats/revoke", subject.url))
        .bearer_auth(&subject.token)
        .json(&json!({ "seat_ids": ids }))
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "revoke: {}",
        response.status()
    );
    Ok(())
}

/// The discrepancy report through the API, five times, beside the same
/// report's query run in-process.
async fn discrepancies(subject: &Subject) -> anyhow::Result<Vec<Figure>> {
    let url = format!("{}/v1/discrepancies", subject.url);
    let urls = vec![url; 5];
    let mut times: Vec<Duration> = timed_gets(subject, &urls)
        .await?
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    let worst = percentile(&mut times, 1.0);
    let median_time = median(times);
    // Baseline: a bare handler serializing the same report from memory.
    let body = get_json(subject, "/v1/discrepancies").await?;
    let bare = bare_json_server("/discrepancies", body).await?;
    let bare_urls = vec![format!("{bare}/discrepancies"); 5];
    let bare_time = median(
        timed_gets(subject, &bare_urls)
            .await?
            .into_iter()
            .map(|(t, _)| t)
            .collect(),
    );
    let mut f = subject.figure("", "");
    f.figure = format!("median {}, slowest {}", ms(median_time), ms(worst));
    f.baseline = format!("bare handler serving the same report {}", ms(bare_time));
    f.ratio = Some(median_time.as_secs_f64() / bare_time.as_secs_f64());
    f.met = Some(worst < Duration::from_secs(2));
    Ok(vec![f])
}

/// A GET of `path` as JSON, for the bare handlers' bodies.
async fn get_json(subject: &Subject, path: &str) -> anyhow::Result<serde_json::Value> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()?
        .get(format!("{}{path}", subject.url))
        .bearer_auth(&subject.token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

/// The client's initial full sync of the whole database beside its floor
/// (benchmark 5's measurement, one run: at 10M one run takes minutes and
/// holds every decoded row in memory once).
async fn sync(subject: &Subject, dir: &Path) -> anyhow::Result<Vec<Figure>> {
    let figures =
        crate::sync::full_sync_figures(&subject.url, &subject.token, 1, dir, false).await?;
    let _ = std::fs::remove_file(&figures.last_cache);
    let mut f = subject.figure("", "");
    f.figure = format!(
        "{} claims in {} ({:.0} MB zstd; fetched and decoded alone {})",
        figures.rows,
        ms(figures.synced),
        figures.wire_bytes as f64 / 1e6,
        ms(figures.fetch_decode)
    );
    f.baseline = format!(
        "bytes over loopback {} + one prepared INSERT, one transaction {} = {}",
        ms(figures.moved),
        ms(figures.inserted),
        ms(figures.floor())
    );
    f.ratio = Some(figures.ratio());
    f.met = Some(figures.ratio() <= 3.0);
    Ok(vec![f])
}
