//! Benchmark 6: the API under load from a second process on loopback (wrk):
//! requests per second and p99 latency of the dashboard, a claims page of
//! 100 rows and a bulk revoke of 100 seats, on SQLite and PostgreSQL, beside
//! a bare axum handler serving the same 100 rows from memory, all in one run.
//! The claims page and the dashboard are measured twice: as served (repeats
//! answered from the caches checked against the audit feed head, which
//! nothing moves during the GET runs) and by a second server over the same
//! database with those caches off, which computes every request.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use seatdesk_core::api::Page;
use seatdesk_core::api::seats::Claim;
use seatdesk_server::{AppState, ServerConfig};

use crate::seed::{Bed, demo_bed, license_with_seats};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Demo-data scale of the database under load.
    #[arg(long, default_value_t = 100_000)]
    claims: u64,
    /// Also run on this PostgreSQL server (a scratch database is created
    /// and dropped).
    #[arg(long, env = "SEATDESK_BENCH_PG_URL")]
    pg: Option<String>,
    /// Seconds per wrk run.
    #[arg(long, default_value_t = 10)]
    duration: u32,
    /// Open connections (wrk -c).
    #[arg(long, default_value_t = 8)]
    connections: u32,
    /// wrk threads (-t).
    #[arg(long, default_value_t = 2)]
    threads: u32,
    /// Runs of each endpoint; the median is reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Pending seats seeded for the revoke runs (each request takes 100).
    #[arg(long, default_value_t = 200_000)]
    revoke_seats: usize,
}

/// Each wrk thread walks its own share of the seeded seat ids, 100 per
/// request, with a fresh Idempotency-Key each time; a thread that runs out
/// of seats stops rather than revoke seats twice.
const REVOKE_LUA: &str = r#"
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
function init(args)
  local file, threads, tag = args[1], tonumber(args[2]), args[3]
  ids = {}
  for line in io.lines(file) do ids[#ids + 1] = line end
  local share = math.floor(#ids / threads)
  first = tid * share + 1
  last = first + share - 1
  nextid = first
  sent = 0
  prefix = tag .. "-" .. tid .. "-"
end
function request()
  if nextid + 99 > last then
    wrk.thread:stop()
    nextid = first
  end
  local batch = {}
  for i = nextid, nextid + 99 do batch[#batch + 1] = ids[i] end
  nextid = nextid + 100
  sent = sent + 1
  local body = '{"seat_ids":[' .. table.concat(batch, ",") .. ']}'
  -- wrk.format uses either these headers or -H's, so copy -H's in.
  local headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  headers["Content-Type"] = "application/json"
  headers["Idempotency-Key"] = prefix .. sent
  return wrk.format("POST", "/v1/seats/revoke", headers, body)
end
"#;

pub async fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        Command::new("wrk").arg("--version").output().is_ok(),
        "wrk is not installed (Debian package wrk)"
    );
    let mut backends = vec![None];
    if let Some(pg) = &args.pg {
        backends.push(Some(pg.clone()));
    }
    let dir = tempfile::tempdir()?;
    println!(
        "wrk -t{} -c{} -d{}s --latency, {} claims of demo data, medians of {} runs",
        args.threads, args.connections, args.duration, args.claims, args.runs
    );
    println!();
    println!("| backend | endpoint | requests/s | p50 | p99 | ÷ bare handler |");
    println!("|---|---|---|---|---|---|");
    for pg in backends {
        let name = if pg.is_some() { "PostgreSQL" } else { "SQLite" };
        let (bed, _) = demo_bed(pg.as_deref(), args.claims).await?;
        let auth = format!("Authorization: Bearer {}", bed.token);
        let url = bed.server.url();

        // The bare handler serves the very page the API just served.
        let page: Page<Claim> = reqwest::Client::new()
            .get(format!("{url}/v1/claims?limit=100"))
            .bearer_auth(&bed.token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        anyhow::ensure!(
            page.items.len() == 100,
            "the claims page has {} rows",
            page.items.len()
        );
        let wrk_args = WrkArgs::from(&args);
        let bare = bare_server(page).await?;
        let bare_result = measure(&wrk_args, &format!("{bare}/claims"), &[])?;

        let claims = measure(&wrk_args, &format!("{url}/v1/claims?limit=100"), &[&auth])?;
        let dashboard = measure(&wrk_args, &format!("{url}/v1/dashboard"), &[&auth])?;
        // The same database behind a server that computes every answer.
        let uncached_server = seatdesk_server::spawn(
            AppState::new(
                bed.db.clone(),
                ServerConfig {
                    feed_cache: false,
                    ..ServerConfig::default()
                },
            ),
            "127.0.0.1:0".parse()?,
        )
        .await?;
        let uncached_url = uncached_server.url();
        let claims_uncached = measure(
            &wrk_args,
            &format!("{uncached_url}/v1/claims?limit=100"),
            &[&auth],
        )?;
        let dashboard_uncached =
            measure(&wrk_args, &format!("{uncached_url}/v1/dashboard"), &[&auth])?;
        uncached_server.handle.abort();
        drop(uncached_server);
        let revoke = revoke_runs(&args, &wrk_args, &bed, &auth, dir.path()).await?;
        for (endpoint, result) in [
            ("bare axum, 100 rows from memory", &bare_result),
            ("GET /v1/claims?limit=100 (cache off)", &claims_uncached),
            (
                "GET /v1/claims?limit=100 (cached at the feed head)",
                &claims,
            ),
            ("GET /v1/dashboard (cache off)", &dashboard_uncached),
            ("GET /v1/dashboard (cached at the feed head)", &dashboard),
            ("POST /v1/seats/revoke (100 seats)", &revoke),
        ] {
            println!(
                "| {name} | {endpoint} | {:.0} | {:.1} ms | {:.1} ms | {:.2}x |",
                result.rps,
                result.p50_ms,
                result.p99_ms,
                result.rps / bare_result.rps
            );
        }
        bed.finish().await?;
    }
    Ok(())
}

/// Seeds pending seats and revokes them 100 a request under wrk.
async fn revoke_runs(
    args: &Args,
    wrk_args: &WrkArgs,
    bed: &Bed,
    auth: &str,
    dir: &Path,
) -> anyhow::Result<Outcome> {
    let mut outcomes = Vec::new();
    for run in 0..args.runs {
        let tag = format!("load{run}x{}", std::process::id());
        let (_, ids) = license_with_seats(bed, args.revoke_seats, &tag).await?;
        let file = dir.join(format!("{tag}.ids"));
        std::fs::write(
            &file,
            ids.iter().map(|id| format!("{id}\n")).collect::<String>(),
        )?;
        let script = dir.join("revoke.lua");
        std::fs::write(&script, REVOKE_LUA)?;
        let outcome = wrk(
            wrk_args,
            args.duration,
            &format!("{}/v1/seats/revoke", bed.server.url()),
            &[auth],
            Some((
                &script,
                &[file.display().to_string(), args.threads.to_string(), tag],
            )),
        )?;
        let revoked: i64 = seatdesk_server::db::query_scalar(format!(
            "SELECT COUNT(*) FROM seats WHERE status = 'revoked' AND license_id = \
             (SELECT license_id FROM seats WHERE id = {})",
            ids[0]
        ))
        .fetch_one(&bed.db.pool)
        .await?;
        anyhow::ensure!(
            revoked as f64 >= outcome.requests as f64 * 100.0 * 0.99,
            "{} requests revoked only {revoked} seats",
            outcome.requests
        );
        outcomes.push(outcome);
    }
    Ok(Outcome::median(outcomes))
}

/// What the wrk runs of a benchmark share.
#[derive(Debug, Clone, Copy)]
pub struct WrkArgs {
    pub duration: u32,
    pub connections: u32,
    pub threads: u32,
    pub runs: usize,
}

impl From<&Args> for WrkArgs {
    fn from(args: &Args) -> WrkArgs {
        WrkArgs {
            duration: args.duration,
            connections: args.connections,
            threads: args.threads,
            runs: args.runs,
        }
    }
}

pub fn measure(args: &WrkArgs, url: &str, headers: &[&str]) -> anyhow::Result<Outcome> {
    // A short warm-up fills the database's and the allocator's caches.
    wrk(args, 2, url, headers, None)?;
    let runs: Vec<Outcome> = (0..args.runs)
        .map(|_| wrk(args, args.duration, url, headers, None))
        .collect::<Result<_, _>>()?;
    Ok(Outcome::median(runs))
}

/// [`measure`] with a wrk Lua script making the requests.
pub fn measure_script(
    args: &WrkArgs,
    url: &str,
    script: &Path,
    script_args: &[String],
) -> anyhow::Result<Outcome> {
    wrk(args, 2, url, &[], Some((script, script_args)))?;
    let runs: Vec<Outcome> = (0..args.runs)
        .map(|_| wrk(args, args.duration, url, &[], Some((script, script_args))))
        .collect::<Result<_, _>>()?;
    Ok(Outcome::median(runs))
}

#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub requests: u64,
}

impl Outcome {
    /// The run with the median throughput.
    pub fn median(mut runs: Vec<Outcome>) -> Outcome {
        runs.sort_by(|a, b| a.rps.total_cmp(&b.rps));
        runs[runs.len() / 2]
    }
}

pub fn wrk(
    args: &WrkArgs,
    duration: u32,
    url: &str,
    headers: &[&str],
    script: Option<(&Path, &[String])>,
) -> anyhow::Result<Outcome> {
    let mut command = Command::new("wrk");
    command
        .arg(format!("-t{}", args.threads))
        .arg(format!("-c{}", args.connections))
        .arg(format!("-d{duration}s"))
        // A slow answer is a figure, not a socket error (wrk's default is 2 s).
        .arg("--timeout")
        .arg("60s")
        .arg("--latency");
    for header in headers {
        command.arg("-H").arg(header);
    }
    if let Some((path, _)) = script {
        command.arg("-s").arg(path);
    }
    command.arg(url);
    if let Some((_, script_args)) = script {
        command.arg("--").args(script_args);
    }
    let output = command.output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(output.status.success(), "wrk failed: {text}");
    anyhow::ensure!(
        !text.contains("Non-2xx"),
        "some answers were not 2xx:\n{text}"
    );
    let field = |label: &str| -> Option<&str> {
        text.lines()
            .find(|l| l.trim_start().starts_with(label))
            .and_then(|l| l.split_whitespace().nth(label.split_whitespace().count()))
    };
    let rps: f64 = field("Requests/sec:")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no Requests/sec in:\n{text}"))?;
    let p50 = field("50%").and_then(latency_ms);
    let p99 = field("99%").and_then(latency_ms);
    let requests = text
        .lines()
        .find(|l| l.contains("requests in"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    anyhow::ensure!(requests > 0, "no request finished in {duration} s:\n{text}");
    Ok(Outcome {
        rps,
        p50_ms: p50.ok_or_else(|| anyhow::anyhow!("no p50 in:\n{text}"))?,
        p99_ms: p99.ok_or_else(|| anyhow::anyhow!("no p99 in:\n{text}"))?,
        requests,
    })
}

/// wrk's "1.23ms", "456.00us", "1.20s" in milliseconds.
fn latency_ms(text: &str) -> Option<f64> {
    let (number, factor) = if let Some(v) = text.strip_suffix("us") {
        (v, 1e-3)
    } else if let Some(v) = text.strip_suffix("ms") {
        (v, 1.0)
    } else if let Some(v) = text.strip_suffix('s') {
        (v, 1e3)
    } else if let Some(v) = text.strip_suffix('m') {
        (v, 60e3)
    } else {
        return None;
    };
    number.parse::<f64>().ok().map(|v| v * factor)
}

/// The yardstick: an axum handler that serializes the same 100 claims from
/// memory on every request, with no auth, no database, no middleware.
pub async fn bare_server(page: Page<Claim>) -> anyhow::Result<String> {
    bare_json_server("/claims", page).await
}

/// A bare axum handler at `path` serializing `value` from memory on every
/// request: the floor of any JSON answer of that size here.
pub async fn bare_json_server<T: serde::Serialize + Send + Sync + 'static>(
    path: &str,
    value: T,
) -> anyhow::Result<String> {
    let page = Arc::new(value);
    let app = axum::Router::new().route(
        path,
        get(move || {
            let page = page.clone();
            async move {
                match serde_json::to_vec(&*page) {
                    Ok(body) => {
                        ([(header::CONTENT_TYPE, "application/json")], body).into_response()
                    }
                    Err(_) => axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(format!("http://{addr}"))
}
