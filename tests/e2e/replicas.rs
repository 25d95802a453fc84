//! Several replicas: two `seatdesk serve` processes over one PostgreSQL
//! database under a mixed read/write load from concurrent clients, one of
//! them SIGKILLed mid-run. Requests to the survivor all succeed; afterwards
//! the change feed is gap-free, every license's counter equals its live
//! seat rows, no license is over-allocated, and the dashboard equals a
//! recount. Skipped without SEATDESK_TEST_PG_URL.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use seatdesk_server::Db;
use serde_json::{Value, json};

use crate::helpers::seats::{PG_ENV, client, fresh_db};
use crate::helpers::{ServerProcess, free_port, get_ok, post_ok};

/// Concurrent clients; each spreads its requests over the replicas not
/// known dead, as a load balancer does once its health check fails.
const CLIENTS: usize = 6;
/// Seats of the license every client races to fill.
const RACE_SEATS: i64 = 12;
/// Users racing for them (three times the seats).
const RACERS: usize = 36;
/// How long the load runs; the kill lands in the middle.
const RUN: Duration = Duration::from_millis(3000);

/// The claims filters the read mix cycles through.
const CLAIMS_URLS: &[&str] = &[
    "/v1/claims?limit=100",
    "/v1/claims?limit=100&status=pending,active",
    "/v1/claims?limit=100&status=active&sort=claimed_at&order=desc",
    "/v1/claims?limit=100&sort=name",
    "/v1/claims?limit=100&status=expired,revoked",
];

/// What the clients saw.
#[derive(Default)]
struct Tally {
    ok: AtomicUsize,
    /// Refusals the mix expects: the race license is full, or a user
    /// already holds its seat.
    conflicts: AtomicUsize,
    /// Failures on the killed replica after the kill (its connections).
    killed: AtomicUsize,
    /// Anything else, with what it was.
    errors: std::sync::Mutex<Vec<String>>,
}

struct Replica {
    url: String,
    dead: AtomicBool,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_one_killed_mid_load_lose_nothing() {
    if std::env::var(PG_ENV).map_or(true, |v| v.is_empty()) {
        eprintln!("skipped: {PG_ENV} is not set");
        return;
    }
    // Installs the TLS crypto provider every reqwest client here needs.
    let http = client();
    let (db_url, _) = fresh_db("postgres").await;
    let db = Db::connect(&db_url).await.unwrap();
    let loaded = seatdesk_server::demo::load(&db, 3000, chrono::Utc::now().date_naive())
        .await
        .unwrap();
    let root = loaded.summary.root_org_id;
    let token = {
        let mut conn = db.pool.acquire().await.unwrap();
        let (_, token) = seatdesk_server::tokens::insert_token(
            &mut conn,
            "replicas",
            seatdesk_core::Role::SystemAdmin,
            root,
        )
        .await
        .unwrap();
        token
    };
    let doomed = ServerProcess::start(free_port(), &db_url).await;
    let survivor = ServerProcess::start(free_port(), &db_url).await;
    let replicas: Arc<Vec<Replica>> = Arc::new(
        [&doomed.url, &survivor.url]
            .into_iter()
            .map(|url| Replica {
                url: url.clone(),
                dead: AtomicBool::new(false),
            })
            .collect(),
    );
    let race_license = race_license(&http, &survivor.url, &token, root).await;
    let racers: Vec<i64> = seatdesk_server::db::query_scalar(format!(
        "SELECT id FROM users WHERE status = 'active' ORDER BY id LIMIT {RACERS}"
    ))
    .fetch_all(&db.pool)
    .await
    .unwrap();
    // Live demo seats nothing else depends on, split among the clients,
    // which revoke and restore them over and over.
    let churn: Vec<i64> = seatdesk_server::db::query_scalar(
        "SELECT s.id FROM seats s JOIN licenses l ON l.id = s.license_id \
         WHERE s.status IN ('pending', 'active') AND s.students_assigned = 0 \
         AND s.teacher_seat_id IS NULL AND s.redemption_code IS NULL AND l.status = 'active' \
         ORDER BY s.id LIMIT 240",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(churn.len() >= CLIENTS * 10, "demo has live seats to churn");

    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for n in 0..CLIENTS {
        let mine: Vec<i64> = churn.iter().skip(n).step_by(CLIENTS).copied().collect();
        let racers: Vec<i64> = racers.iter().skip(n).step_by(CLIENTS).copied().collect();
        let work = Client {
            n,
            http: http.clone(),
            token: token.clone(),
            replicas: replicas.clone(),
            tally: tally.clone(),
            race_license,
        };
        let stop = stop.clone();
        clients.push(tokio::spawn(work.run(mine, racers, stop)));
    }
    let started = Instant::now();
    tokio::time::sleep(RUN / 2).await;
    // The flag goes up before the signal: a failure seen after it on the
    // doomed replica is one of its killed connections.
    replicas[0].dead.store(true, Ordering::SeqCst);
    doomed.kill();
    tokio::time::sleep(RUN.saturating_sub(started.elapsed())).await;
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.await.unwrap();
    }
    let errors = tally.errors.lock().unwrap().clone();
    let (ok, conflicts, killed) = (
        tally.ok.load(Ordering::SeqCst),
        tally.conflicts.load(Ordering::SeqCst),
        tally.killed.load(Ordering::SeqCst),
    );
    eprintln!(
        "replicas: {ok} requests succeeded, {conflicts} expected conflicts, \
         {killed} lost with the killed replica, {} errors in {:?}",
        errors.len(),
        started.elapsed()
    );
    assert!(
        errors.is_empty(),
        "errors beyond the killed connections: {errors:#?}"
    );
    assert!(ok >= CLIENTS * 2, "the load ran: {ok} requests");

    feed_is_gap_free(&db, &http, &survivor.url, &token).await;
    counters_equal_rows(&db).await;
    dashboard_equals_recount(&db, &http, &survivor.url, &token).await;
    let taken: i64 = seatdesk_server::db::query_scalar(format!(
        "SELECT COUNT(*) FROM seats WHERE license_id = {race_license} AND status IN ('pending', 'active')"
    ))
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(
        taken <= RACE_SEATS,
        "the race license holds {taken} of {RACE_SEATS}"
    );

    drop(survivor);
    db.pool.close().await;
    drop_database(&db_url).await;
}

/// A fresh license of [`RACE_SEATS`] seats under the root org.
async fn race_license(http: &reqwest::Client, url: &str, token: &str, org: i64) -> i64 {
    let account = post_ok(
        http,
        &format!("{url}/v1/accounts"),
        token,
        json!({"org_id": org, "name": "Race", "number": "PA-RACE"}),
    )
    .await;
    let product = post_ok(
        http,
        &format!("{url}/v1/products"),
        token,
        json!({"sku": "SKU-RACE", "name": "ConnectED", "family": "ConnectED",
               "edition": "teacher", "module": "none"}),
    )
    .await;
    let license = post_ok(
        http,
        &format!("{url}/v1/licenses"),
        token,
        json!({"account_id": account["id"], "product_id": product["id"], "order_number": "RACE",
               "inventory_type": "seat_pool", "seats_purchased": RACE_SEATS,
               "start_date": "2020-01-01", "finish_date": "2099-01-01"}),
    )
    .await;
    license["id"].as_i64().unwrap()
}

/// One client of the mix.
struct Client {
    n: usize,
    http: reqwest::Client,
    token: String,
    replicas: Arc<Vec<Replica>>,
    tally: Arc<Tally>,
    race_license: i64,
}

impl Client {
    async fn run(self, seats: Vec<i64>, racers: Vec<i64>, stop: Arc<AtomicBool>) {
        let mut step = self.n;
        let mut after = 0;
        let mut racers = racers.into_iter();
        let mut revoked: Vec<i64> = Vec::new();
        while !stop.load(Ordering::SeqCst) {
            step += 1;
            let (method, path, body) = match step % 6 {
                0 => (
                    "GET",
                    CLAIMS_URLS[step / 6 % CLAIMS_URLS.len()].to_string(),
                    None,
                ),
                1 => ("GET", "/v1/dashboard".to_string(), None),
                2 => ("GET", format!("/v1/changes?after={after}&limit=200"), None),
                3 => match racers.next() {
                    Some(user) => (
                        "POST",
                        "/v1/seats".to_string(),
                        Some(json!({"license_id": self.race_license, "user_id": user})),
                    ),
                    None => ("GET", "/v1/licenses?limit=50".to_string(), None),
                },
                _ if revoked.is_empty() => {
                    let at = (step / 6 * 5) % seats.len().saturating_sub(5).max(1);
                    revoked = seats[at..(at + 5).min(seats.len())].to_vec();
                    (
                        "POST",
                        "/v1/seats/revoke".to_string(),
                        Some(json!({"seat_ids": revoked})),
                    )
                }
                _ => (
                    "POST",
                    "/v1/seats/restore".to_string(),
                    Some(json!({"seat_ids": std::mem::take(&mut revoked)})),
                ),
            };
            if let Some(answer) = self.send(step, method, &path, body).await
                && path.starts_with("/v1/changes")
            {
                after = answer["next_after"].as_i64().unwrap_or(after);
            }
        }
    }

    /// Sends one request to the next live replica; tallies the outcome and
    /// returns the JSON of a success.
    async fn send(
        &self,
        step: usize,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Option<Value> {
        let live: Vec<&Replica> = self
            .replicas
            .iter()
            .filter(|r| !r.dead.load(Ordering::SeqCst))
            .collect();
        let replica = live[step % live.len()];
        let url = format!("{}{path}", replica.url);
        let request = match body {
            Some(body) => self.http.post(&url).json(&body),
            None => self.http.get(&url),
        }
        .bearer_auth(&self.token)
        .timeout(Duration::from_secs(20));
        let outcome = match request.send().await {
            Ok(response) => {
                let status = response.status();
                match response.json::<Value>().await {
                    Ok(json) => Ok((status, json)),
                    Err(error) => Err(error.to_string()),
                }
            }
            Err(error) => Err(error.to_string()),
        };
        let doomed = std::ptr::eq(replica, &self.replicas[0]);
        match outcome {
            Ok((status, json)) if status.is_success() => {
                self.tally.ok.fetch_add(1, Ordering::SeqCst);
                Some(json)
            }
            Ok((status, _)) if status.as_u16() == 409 && path == "/v1/seats" => {
                self.tally.conflicts.fetch_add(1, Ordering::SeqCst);
                None
            }
            Err(_) if doomed && replica.dead.load(Ordering::SeqCst) => {
                self.tally.killed.fetch_add(1, Ordering::SeqCst);
                None
            }
            Ok((status, json)) => {
                let line = format!("{method} {url}: {status} {json}");
                self.tally.errors.lock().unwrap().push(line);
                None
            }
            Err(error) => {
                let line = format!("{method} {url}: {error}");
                self.tally.errors.lock().unwrap().push(line);
                None
            }
        }
    }
}

/// The feed from the start, through the survivor: every seq from the first
/// to the head, once each, in order; and the table agrees.
async fn feed_is_gap_free(db: &Db, http: &reqwest::Client, url: &str, token: &str) {
    let mut after = 0;
    let mut seqs = Vec::new();
    loop {
        let page = get_ok(
            http,
            &format!("{url}/v1/changes?after={after}&limit=1000"),
            token,
        )
        .await;
        for event in page["events"].as_array().unwrap() {
            seqs.push(event["seq"].as_i64().unwrap());
        }
        after = page["next_after"].as_i64().unwrap();
        if !page["more"].as_bool().unwrap() {
            break;
        }
    }
    let head: i64 = seatdesk_server::db::query_scalar("SELECT seq FROM audit_head WHERE id = 1")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(after, head, "the feed ends at the head");
    let expected: Vec<i64> = (1..=head).collect();
    assert_eq!(seqs, expected, "the feed is contiguous from 1 to the head");
    let (count, distinct): (i64, i64) =
        seatdesk_server::db::query_as("SELECT COUNT(*), COUNT(DISTINCT seq) FROM audit_events")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!((count, distinct), (head, head), "one stored event per seq");
}

/// Every license's `seats_consumed` equals its live seat rows, and no
/// license has more seats consumed and handed down than it bought.
async fn counters_equal_rows(db: &Db) {
    let wrong: Vec<(i64, i64, i64)> = seatdesk_server::db::query_as(
        "SELECT l.id, l.seats_consumed, \
         (SELECT COUNT(*) FROM seats s WHERE s.license_id = l.id AND s.status IN ('pending', 'active')) AS live \
         FROM licenses l",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap()
    .into_iter()
    .filter(|(_, consumed, live)| consumed != live)
    .collect();
    assert!(
        wrong.is_empty(),
        "licenses whose counter is not their live rows (id, counter, rows): {wrong:?}"
    );
    let over: Vec<i64> = seatdesk_server::db::query_scalar(
        "SELECT id FROM licenses WHERE seats_consumed + seats_allocated > seats_purchased",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(over.is_empty(), "over-allocated licenses: {over:?}");
}

/// The dashboard's claim figures equal a count of the seat rows.
async fn dashboard_equals_recount(db: &Db, http: &reqwest::Client, url: &str, token: &str) {
    let dashboard = get_ok(http, &format!("{url}/v1/dashboard"), token).await;
    let claims = &dashboard["totals"]["claims"];
    for status in ["pending", "active", "expired", "revoked"] {
        let rows: i64 = seatdesk_server::db::query_scalar(format!(
            "SELECT COUNT(*) FROM seats WHERE status = '{status}'"
        ))
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert_eq!(
            claims[status].as_i64(),
            Some(rows),
            "dashboard {status} vs rows: {dashboard}"
        );
    }
}

async fn drop_database(db_url: &str) {
    let base = std::env::var(PG_ENV).unwrap();
    let (_, name) = db_url.rsplit_once('/').unwrap();
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&base)
        .await
        .unwrap();
    let _ = sqlx::Executor::execute(
        &mut conn,
        sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")),
    )
    .await;
}
