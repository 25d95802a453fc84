//! Issue 11's claims rows: every filter combination the Claims pane and
//! `seatdesk claims` offer (statuses, product, license, account, org
//! subtree, assigned before/after, text, each sort and order), each asked
//! one request at a time at its first page and at a deep cursor (p50/p99),
//! then about 1,000 of those URLs in random order under wrk, beside a bare
//! axum handler re-serializing one real page and the plain
//! `GET /v1/claims?limit=100`, all in one run. The server under test has
//! its page cache off: every answer is computed.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use seatdesk_core::api::Page;
use seatdesk_core::api::seats::Claim;
use seatdesk_server::{AppState, Db, ServerConfig};

use crate::load::{self, WrkArgs};
use crate::seed::Scratch;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Demo-data scale loaded into a fresh database (unless --sqlite-db /
    /// --pg-db name one already loaded).
    #[arg(long, default_value_t = 1_000_000)]
    claims: u64,
    /// An already-loaded SQLite demo database (kept; tokens are added).
    #[arg(long)]
    sqlite_db: Option<String>,
    /// Skip SQLite.
    #[arg(long)]
    no_sqlite: bool,
    /// Also run on this PostgreSQL server (a scratch database is loaded
    /// and dropped).
    #[arg(long, env = "SEATDESK_BENCH_PG_URL")]
    pg: Option<String>,
    /// An already-loaded PostgreSQL demo database (kept; tokens are added).
    #[arg(long)]
    pg_db: Option<String>,
    /// Requests per URL in the one-at-a-time runs.
    #[arg(long, default_value_t = 10)]
    requests: usize,
    /// Distinct URLs in the random mix.
    #[arg(long, default_value_t = 1000)]
    mix_urls: usize,
    /// Seconds per wrk run.
    #[arg(long, default_value_t = 10)]
    duration: u32,
    /// Open connections (wrk -c).
    #[arg(long, default_value_t = 8)]
    connections: u32,
    /// wrk threads (-t).
    #[arg(long, default_value_t = 2)]
    threads: u32,
    /// wrk runs of each; the median is reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

/// One cell of the filter matrix.
#[derive(Debug, Clone)]
struct Combo {
    statuses: &'static str,
    subset: &'static str,
    sort: &'static str,
    order: &'static str,
    extra: &'static str,
    /// Token, and the query string without a cursor.
    token: String,
    query: String,
}

const STATUSES: &[&str] = &[
    "",
    "pending",
    "active",
    "expired",
    "revoked",
    "pending,active",
    "expired,revoked",
    "active,expired,revoked",
];
const SORTS: &[&str] = &["assigned_at", "claimed_at", "name"];
const ORDERS: &[&str] = &["asc", "desc"];

/// Filter values picked from the loaded data.
struct Picks {
    root_token: String,
    reseller_token: String,
    district_token: String,
    center_token: String,
    product: i64,
    license: i64,
    account: i64,
    /// A family name (about one user in the name list's length).
    q_name: String,
    /// A fragment of many names and addresses.
    q_common: String,
    now_ms: i64,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let mut backends: Vec<(&str, Option<String>, Option<String>)> = Vec::new();
    if !args.no_sqlite {
        backends.push(("SQLite", None, args.sqlite_db.clone()));
    }
    if args.pg.is_some() || args.pg_db.is_some() {
        backends.push(("PostgreSQL", args.pg.clone(), args.pg_db.clone()));
    }
    let wrk_args = WrkArgs {
        duration: args.duration,
        connections: args.connections,
        threads: args.threads,
        runs: args.runs,
    };
    for (name, pg_base, existing) in backends {
        let (db, scratch) = match existing {
            Some(url) => {
                let url = if name == "SQLite" && !url.starts_with("sqlite:") {
                    format!("sqlite://{url}")
                } else {
                    url
                };
                (Db::connect(&url).await?, None)
            }
            None => {
                let scratch = Scratch::new(pg_base.as_deref(), "claims").await?;
                let db = Db::connect(&scratch.url).await?;
                let loaded =
                    seatdesk_server::demo::load(&db, args.claims, chrono::Utc::now().date_naive())
                        .await?;
                println!("{name}: loaded {loaded}");
                (db, Some(scratch))
            }
        };
        let seats: i64 = seatdesk_server::db::query_scalar("SELECT COUNT(*) FROM seats")
            .fetch_one(&db.pool)
            .await?;
        let picks = picks(&db).await?;
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
        let url = server.url();
        let http = reqwest::Client::new();
        println!();
        println!("### {name}, {seats} claims, page cache off");
        println!();

        // The yardstick and the plain page.
        let page: Page<Claim> = http
            .get(format!("{url}/v1/claims?limit=100"))
            .bearer_auth(&picks.root_token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        anyhow::ensure!(page.items.len() == 100, "short first page");
        let bare = load::bare_server(page).await?;
        let bare_result = load::measure(&wrk_args, &format!("{bare}/claims"), &[])?;
        let auth = format!("Authorization: Bearer {}", picks.root_token);
        let plain = load::measure(&wrk_args, &format!("{url}/v1/claims?limit=100"), &[&auth])?;

        // One request at a time, every combination, first page and deep.
        let combos = combos(&picks);
        let mut rng = StdRng::seed_from_u64(11);
        let max_id: i64 = seatdesk_server::db::query_scalar("SELECT MAX(id) FROM seats")
            .fetch_one(&db.pool)
            .await?;
        let mut urls: Vec<(String, String, usize)> = Vec::new();
        for (i, combo) in combos.iter().enumerate() {
            urls.push((combo.token.clone(), combo.query.clone(), i));
            let cursor = deep_cursor(&db, combo.sort, rng.random_range(1..=max_id)).await?;
            urls.push((
                combo.token.clone(),
                format!("{}&cursor={cursor}", combo.query),
                i,
            ));
        }
        let started = Instant::now();
        let mut all = Vec::new();
        let mut per_url: Vec<(Duration, Duration, usize, bool)> = Vec::new();
        for (n, (token, query, combo)) in urls.iter().enumerate() {
            let mut times = Vec::with_capacity(args.requests);
            for _ in 0..args.requests {
                let t = Instant::now();
                let response = http
                    .get(format!("{url}/v1/claims?{query}"))
                    .bearer_auth(token)
                    .send()
                    .await?;
                let status = response.status();
                let body = response.bytes().await?;
                anyhow::ensure!(
                    status.is_success(),
                    "{query}: {status} {}",
                    String::from_utf8_lossy(&body)
                );
                times.push(t.elapsed());
            }
            times.sort();
            if n % 200 == 199 {
                eprintln!(
                    "{}/{} URLs timed ({:.0} s)",
                    n + 1,
                    urls.len(),
                    started.elapsed().as_secs_f64()
                );
            }
            all.extend(times.iter().copied());
            per_url.push((
                percentile(&times, 0.5),
                percentile(&times, 0.99),
                *combo,
                n % 2 == 1,
            ));
        }
        all.sort();
        let elapsed = started.elapsed();
        println!(
            "{} combinations × (first page, deep cursor) × {} requests, one at a time: \
             {} requests in {:.0} s; all: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; \
             URLs with p99 ≥ 20 ms: {} of {}",
            combos.len(),
            args.requests,
            all.len(),
            elapsed.as_secs_f64(),
            ms(percentile(&all, 0.5)),
            ms(percentile(&all, 0.99)),
            ms(*all.last().unwrap_or(&Duration::ZERO)),
            per_url
                .iter()
                .filter(|u| u.1 >= Duration::from_millis(20))
                .count(),
            per_url.len()
        );
        println!();
        // The worst p99 per value of each dimension.
        println!("| dimension | value | URLs | worst p50 | worst p99 |");
        println!("|---|---|---|---|---|");
        type Dim = fn(&Combo) -> String;
        let dims: [(&str, Dim); 5] = [
            ("status", |c| display(c.statuses)),
            ("subset", |c| c.subset.to_string()),
            ("sort", |c| format!("{} {}", c.sort, c.order)),
            ("date/text", |c| display(c.extra)),
            ("(all)", |_| "every URL".to_string()),
        ];
        for (dim, value_of) in dims {
            let mut worst: BTreeMap<String, (usize, Duration, Duration)> = BTreeMap::new();
            for (p50, p99, combo, _) in &per_url {
                let entry = worst.entry(value_of(&combos[*combo])).or_insert((
                    0,
                    Duration::ZERO,
                    Duration::ZERO,
                ));
                entry.0 += 1;
                entry.1 = entry.1.max(*p50);
                entry.2 = entry.2.max(*p99);
            }
            for (value, (count, p50, p99)) in worst {
                println!(
                    "| {dim} | {value} | {count} | {:.1} ms | {:.1} ms |",
                    ms(p50),
                    ms(p99)
                );
            }
        }
        let mut worst: Vec<_> = per_url.clone();
        worst.sort_by_key(|w| std::cmp::Reverse(w.1));
        println!();
        println!("Slowest URLs (p99):");
        println!();
        for (p50, p99, combo, deep) in worst.iter().take(10) {
            let c = &combos[*combo];
            println!(
                "- {:.1} ms (p50 {:.1} ms): {} token, `{}`{}",
                ms(*p99),
                ms(*p50),
                c.subset,
                c.query,
                if *deep { " + deep cursor" } else { "" }
            );
        }

        // The random mix.
        let mut mix = urls.clone();
        mix.shuffle(&mut rng);
        mix.truncate(args.mix_urls);
        let dir = tempfile::tempdir()?;
        let list = dir.path().join("urls.txt");
        std::fs::write(
            &list,
            mix.iter()
                .map(|(token, query, _)| format!("{token} /v1/claims?{query}\n"))
                .collect::<String>(),
        )?;
        let script = dir.path().join("mix.lua");
        std::fs::write(&script, MIX_LUA)?;
        let mixed = load::measure_script(
            &wrk_args,
            &format!("{url}/v1/claims"),
            &script,
            &[list.display().to_string()],
        )?;
        println!();
        println!("| backend | what | requests/s | p50 | p99 | ÷ bare handler |");
        println!("|---|---|---|---|---|---|");
        for (what, result) in [
            ("bare axum, 100 rows from memory".to_string(), &bare_result),
            ("GET /v1/claims?limit=100 (cache off)".to_string(), &plain),
            (
                format!(
                    "{} distinct claims URLs in random order (cache off)",
                    mix.len()
                ),
                &mixed,
            ),
        ] {
            println!(
                "| {name} | {what} | {:.0} | {:.1} ms | {:.1} ms | {:.2}x |",
                result.rps,
                result.p50_ms,
                result.p99_ms,
                result.rps / bare_result.rps
            );
        }
        server.handle.abort();
        drop(server);
        db.pool.close().await;
        if let Some(scratch) = scratch {
            scratch.drop_database().await?;
        }
    }
    Ok(())
}

/// Each request picks a random line `token path`.
const MIX_LUA: &str = r#"
function init(args)
  lines = {}
  for line in io.lines(args[1]) do
    local token, path = line:match("^(%S+) (%S+)$")
    lines[#lines + 1] = { token, path }
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 1000)
end
function request()
  local pick = lines[math.random(#lines)]
  local headers = {}
  headers["Authorization"] = "Bearer " .. pick[1]
  return wrk.format("GET", pick[2], headers)
end
"#;

fn display(value: &str) -> String {
    if value.is_empty() {
        "(none)".to_string()
    } else {
        value.to_string()
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The `p`-quantile of sorted `times` (nearest rank).
fn percentile(times: &[Duration], p: f64) -> Duration {
    if times.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((times.len() as f64 * p).ceil() as usize).clamp(1, times.len());
    times[rank - 1]
}

/// Every combination: statuses × license subset × sort × order × one of
/// the date and text filters.
fn combos(picks: &Picks) -> Vec<Combo> {
    let day = 86_400_000i64;
    let stamp = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default()
    };
    let from_90 = format!("from={}", stamp(picks.now_ms - 90 * day));
    let to_180 = format!("to={}", stamp(picks.now_ms - 180 * day));
    let window = format!(
        "from={}&to={}",
        stamp(picks.now_ms - 120 * day),
        stamp(picks.now_ms - 90 * day)
    );
    let extras: Vec<(&'static str, String)> = vec![
        ("", String::new()),
        ("from (90 days)", from_90),
        ("to (older than 180 days)", to_180),
        ("from+to (30-day window)", window),
        ("q (a family name)", format!("q={}", picks.q_name)),
        ("q (common fragment)", format!("q={}", picks.q_common)),
    ];
    let subsets: Vec<(&'static str, String, String)> = vec![
        ("all", picks.root_token.clone(), String::new()),
        (
            "product",
            picks.root_token.clone(),
            format!("product_id={}", picks.product),
        ),
        (
            "license",
            picks.root_token.clone(),
            format!("license_id={}", picks.license),
        ),
        (
            "account",
            picks.root_token.clone(),
            format!("account_id={}", picks.account),
        ),
        (
            "largest subtree",
            picks.reseller_token.clone(),
            String::new(),
        ),
        ("district", picks.district_token.clone(), String::new()),
        ("center", picks.center_token.clone(), String::new()),
    ];
    let mut out = Vec::new();
    for statuses in STATUSES {
        for (subset, token, filter) in &subsets {
            for sort in SORTS {
                for order in ORDERS {
                    for (extra, extra_query) in &extras {
                        let mut parts = vec!["limit=100".to_string()];
                        if !statuses.is_empty() {
                            parts.push(format!("status={statuses}"));
                        }
                        if !filter.is_empty() {
                            parts.push(filter.clone());
                        }
                        if !extra_query.is_empty() {
                            parts.push(extra_query.replace('+', "%2B"));
                        }
                        parts.push(format!("sort={sort}&order={order}"));
                        out.push(Combo {
                            statuses,
                            subset,
                            sort,
                            order,
                            extra,
                            token: token.clone(),
                            query: parts.join("&"),
                        });
                    }
                }
            }
        }
    }
    out
}

/// A cursor positioned at seat `id`'s key for `sort` (the cursor the
/// server would hand out after that seat): deep in any walk.
async fn deep_cursor(db: &Db, sort: &str, id: i64) -> anyhow::Result<String> {
    let column = match sort {
        "name" => "name_key".to_string(),
        "claimed_at" => format!("COALESCE(claimed_at, {})", db.backend.epoch()),
        _ => "assigned_at".to_string(),
    };
    let key = match sort {
        "name" => column,
        _ => format!("CAST({} AS TEXT)", db.backend.epoch_ms(&column)),
    };
    let (key, id): (String, i64) = seatdesk_server::db::query_as(format!(
        "SELECT {key}, id FROM seats WHERE id >= {id} ORDER BY id LIMIT 1"
    ))
    .fetch_one(&db.pool)
    .await?;
    Ok(format!("{}.{id}", hex_encode(key.as_bytes())))
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Filter values and tokens from the loaded data: the busiest product,
/// license and account, and org subtrees: the one holding most licenses,
/// the busiest district and the busiest center.
async fn picks(db: &Db) -> anyhow::Result<Picks> {
    let q = |sql: &str| seatdesk_server::db::query_scalar::<i64>(sql.to_string());
    let product = q("SELECT l.product_id FROM licenses l GROUP BY l.product_id \
         ORDER BY SUM(l.seats_consumed) DESC LIMIT 1")
    .fetch_one(&db.pool)
    .await?;
    let license = q("SELECT id FROM licenses ORDER BY seats_consumed DESC, id LIMIT 1")
        .fetch_one(&db.pool)
        .await?;
    let account = q("SELECT account_id FROM licenses GROUP BY account_id \
         ORDER BY COUNT(*) DESC, account_id LIMIT 1")
    .fetch_one(&db.pool)
    .await?;
    let root = q("SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1")
        .fetch_one(&db.pool)
        .await?;
    // Orgs by kind and how many licenses hang in their subtree.
    let rows: Vec<(i64, String, i64)> = seatdesk_server::db::query_as(
        "SELECT o.id, o.kind, (SELECT COUNT(*) FROM licenses l WHERE l.org_path LIKE o.path || '%') \
         FROM orgs o WHERE o.parent_id IS NOT NULL",
    )
    .fetch_all(&db.pool)
    .await?;
    let busiest = |kind: Option<&str>| {
        rows.iter()
            .filter(|r| kind.is_none_or(|k| r.1 == k) && r.2 > 0)
            .max_by_key(|r| (r.2, -r.0))
            .map(|r| (r.0, r.2))
    };
    let reseller = busiest(None).context("no org below the root holds licenses")?;
    let district = busiest(Some("district")).unwrap_or(reseller);
    let center = busiest(Some("center")).unwrap_or(district);
    println!(
        "picks: product {product}, license {license}, account {account}, org subtrees: \
         largest {} ({} licenses), district {} ({}), center {} ({})",
        reseller.0, reseller.1, district.0, district.1, center.0, center.1
    );
    let family: String = seatdesk_server::db::query_scalar(
        "SELECT family_name FROM users ORDER BY id LIMIT 1 OFFSET 1000",
    )
    .fetch_one(&db.pool)
    .await?;
    let mut tokens = Vec::new();
    for org in [root, reseller.0, district.0, center.0] {
        let mut conn = db.pool.acquire().await?;
        let (_, token) = seatdesk_server::tokens::insert_token(
            &mut conn,
            "bench-claims",
            seatdesk_core::Role::SystemAdmin,
            org,
        )
        .await?;
        tokens.push(token);
    }
    Ok(Picks {
        center_token: tokens.pop().unwrap_or_default(),
        district_token: tokens.pop().unwrap_or_default(),
        reseller_token: tokens.pop().unwrap_or_default(),
        root_token: tokens.pop().unwrap_or_default(),
        product,
        license,
        account,
        q_name: family.to_lowercase(),
        q_common: "son".to_string(),
        now_ms: chrono::Utc::now().timestamp_millis(),
    })
}
