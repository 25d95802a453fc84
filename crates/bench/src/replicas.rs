//! Benchmark `replicas`: two `seatdesk serve` processes over one PostgreSQL
//! database (the 10M-claim one), each under its own wrk running a mixed
//! read/write Lua script (claims pages, the dashboard, the change feed,
//! bulk revokes and restores), one SIGKILLed halfway. The survivor's wrk
//! must see no socket error and no non-2xx answer; afterwards the feed is
//! contiguous, every license's counter equals its live seat rows and none
//! is over-allocated. The end-to-end test `replicas` checks the same in
//! seconds on a small database; this is the figure at scale.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use seatdesk_server::Db;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The PostgreSQL database, already holding demo data (see `scale`).
    #[arg(long, env = "SEATDESK_BENCH_SCALE_PG")]
    pg: String,
    /// The `seatdesk` binary to run as the replicas.
    #[arg(long, default_value = "target/release/seatdesk")]
    bin: PathBuf,
    /// Seconds of load; the kill lands halfway.
    #[arg(long, default_value_t = 30)]
    duration: u64,
    /// Open connections per replica (wrk -c).
    #[arg(long, default_value_t = 8)]
    connections: u32,
}

/// Each wrk thread cycles through a mix: four claims pages with different
/// filters and sorts, the dashboard, the change feed near its head, and a
/// revoke then a restore of ten seats of its own share of the seat ids.
const MIX_LUA: &str = r#"
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
function init(args)
  local file, threads, head = args[1], tonumber(args[2]), tonumber(args[3])
  ids = {}
  for line in io.lines(file) do ids[#ids + 1] = line end
  local share = math.floor(#ids / threads)
  first = tid * share + 1
  last = first + share - 1
  nextid = first
  after = head
  step = 0
  pending = nil
end
local reads = {
  "/v1/claims?limit=100",
  "/v1/claims?limit=100&status=pending,active",
  "/v1/claims?limit=100&status=active&sort=claimed_at&order=desc",
  "/v1/claims?limit=100&sort=name",
  "/v1/dashboard",
}
function request()
  step = step + 1
  local slot = step % 8
  local headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  if slot == 6 then
    if nextid + 9 > last then nextid = first end
    local batch = {}
    for i = nextid, nextid + 9 do batch[#batch + 1] = ids[i] end
    nextid = nextid + 10
    pending = '{"seat_ids":[' .. table.concat(batch, ",") .. ']}'
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", "/v1/seats/revoke", headers, pending)
  elseif slot == 7 and pending then
    headers["Content-Type"] = "application/json"
    local body = pending
    pending = nil
    return wrk.format("POST", "/v1/seats/restore", headers, body)
  elseif slot == 5 then
    return wrk.format("GET", "/v1/changes?limit=100&after=" .. after, headers)
  end
  return wrk.format("GET", reads[(step % #reads) + 1], headers)
end
"#;

pub async fn run(args: Args) -> anyhow::Result<()> {
    let db = Db::connect(&args.pg).await?;
    let root: i64 =
        seatdesk_server::db::query_scalar("SELECT MIN(id) FROM orgs WHERE parent_id IS NULL")
            .fetch_one(&db.pool)
            .await?;
    let token = crate::scale::token(&db, root).await?;
    let (head_before, claims): (i64, i64) = seatdesk_server::db::query_as(
        "SELECT (SELECT seq FROM audit_head WHERE id = 1), (SELECT COUNT(*) FROM seats)",
    )
    .fetch_one(&db.pool)
    .await?;
    // Seats to churn: live, on active licenses, touching no teacher link.
    let ids: Vec<i64> = seatdesk_server::db::query_scalar(
        "SELECT s.id FROM seats s JOIN licenses l ON l.id = s.license_id \
         WHERE s.status IN ('pending', 'active') AND s.students_assigned = 0 \
         AND s.teacher_seat_id IS NULL AND s.redemption_code IS NULL AND l.status = 'active' \
         ORDER BY s.id DESC LIMIT 40000",
    )
    .fetch_all(&db.pool)
    .await?;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("seats.ids");
    std::fs::write(
        &file,
        ids.iter().map(|id| format!("{id}\n")).collect::<String>(),
    )?;
    let script = dir.path().join("mix.lua");
    std::fs::write(&script, MIX_LUA)?;

    let (mut doomed, doomed_url) = serve(&args.bin, &args.pg).await?;
    let (mut survivor, survivor_url) = serve(&args.bin, &args.pg).await?;
    let wrk_of = |url: &str| -> anyhow::Result<Child> {
        Ok(Command::new("wrk")
            .args(["-t2", &format!("-c{}", args.connections)])
            .arg(format!("-d{}s", args.duration))
            .arg("--latency")
            // wrk's default of 2 s counts a slow answer as an error; a load
            // balancer waits longer (nginx: 60 s).
            .args(["--timeout", "30s"])
            .args(["-H", &format!("Authorization: Bearer {token}")])
            .arg("-s")
            .arg(&script)
            .arg(url)
            .arg("--")
            .arg(&file)
            .arg("2")
            .arg(head_before.to_string())
            .stdout(Stdio::piped())
            .spawn()?)
    };
    let load_before = load_average();
    let started = Instant::now();
    let doomed_wrk = wrk_of(&doomed_url)?;
    let survivor_wrk = wrk_of(&survivor_url)?;
    tokio::time::sleep(Duration::from_secs(args.duration / 2)).await;
    doomed.kill()?;
    doomed.wait()?;
    let killed_at = started.elapsed();
    let doomed_out = String::from_utf8_lossy(&doomed_wrk.wait_with_output()?.stdout).into_owned();
    let survivor_out =
        String::from_utf8_lossy(&survivor_wrk.wait_with_output()?.stdout).into_owned();
    let load_after = load_average();
    survivor.kill()?;
    survivor.wait()?;

    println!("## killed replica (SIGKILL at {killed_at:.1?})\n\n```\n{doomed_out}```\n");
    println!("## surviving replica\n\n```\n{survivor_out}```\n");
    let clean = !survivor_out.contains("Socket errors") && !survivor_out.contains("Non-2xx");

    let started = Instant::now();
    let (count, head, min, max): (i64, i64, i64, i64) = seatdesk_server::db::query_as(
        "SELECT COUNT(*), (SELECT seq FROM audit_head WHERE id = 1), MIN(seq), MAX(seq) \
         FROM audit_events",
    )
    .fetch_one(&db.pool)
    .await?;
    let gap_free = count == head && min == 1 && max == head;
    let wrong: i64 = seatdesk_server::db::query_scalar(
        "SELECT COUNT(*) FROM licenses l LEFT JOIN (SELECT license_id, COUNT(*) AS live FROM seats \
         WHERE status IN ('pending', 'active') GROUP BY license_id) s ON s.license_id = l.id \
         WHERE l.seats_consumed <> COALESCE(s.live, 0)",
    )
    .fetch_one(&db.pool)
    .await?;
    let over: i64 = seatdesk_server::db::query_scalar(
        "SELECT COUNT(*) FROM licenses WHERE seats_consumed + seats_allocated > seats_purchased",
    )
    .fetch_one(&db.pool)
    .await?;
    println!(
        "{claims} claims; feed {head_before} → {head}: {count} events, seq {min}..{max} ({}); \
         licenses whose counter differs from their live rows: {wrong}; over-allocated: {over} \
         (checked in {:.1?}); survivor clean: {clean}; load average {load_before} → {load_after}",
        if gap_free { "gap-free" } else { "GAPS" },
        started.elapsed()
    );
    db.pool.close().await;
    anyhow::ensure!(
        clean && gap_free && wrong == 0 && over == 0,
        "the replica run broke an invariant"
    );
    Ok(())
}

/// `seatdesk serve` on a free loopback port; returns once `/healthz` answers.
async fn serve(bin: &Path, db_url: &str) -> anyhow::Result<(Child, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(bin)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--db",
            db_url,
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while reqwest::get(format!("{url}/healthz")).await.is_err() {
        anyhow::ensure!(Instant::now() < deadline, "{url} did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok((child, url))
}

/// The 1-minute load average, as `uptime` shows it.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_default()
}
