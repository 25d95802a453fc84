//! Fault tests with real server processes: SIGKILL in the middle of a
//! 10,000-seat bulk revocation, and a connection dropped mid-response. In
//! both, the retry with the same Idempotency-Key finishes the job once.

use std::time::{Duration, Instant};

use seatdesk_server::Db;
use serde_json::{Value, json};

use crate::helpers::{ServerProcess, cli_token, free_port};

const PG_ENV: &str = "SEATDESK_TEST_PG_URL";

async fn fresh_db(backend: &str) -> (String, Option<tempfile::TempDir>) {
    if backend == "sqlite" {
        let dir = tempfile::tempdir().unwrap();
        (
            format!("sqlite://{}", dir.path().join("fault.db").display()),
            Some(dir),
        )
    } else {
        let base = std::env::var(PG_ENV).unwrap();
        let name = format!("seatdesk_fault_{}_{}", std::process::id(), free_port());
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&base)
            .await
            .unwrap();
        sqlx::Executor::execute(
            &mut conn,
            sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")),
        )
        .await
        .unwrap();
        let (prefix, _) = base.rsplit_once('/').unwrap();
        (format!("{prefix}/{name}"), None)
    }
}

fn backends() -> Vec<&'static str> {
    let mut all = vec!["sqlite"];
    if std::env::var(PG_ENV).is_ok_and(|v| !v.is_empty()) {
        all.push("postgres");
    }
    all
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    body: &Value,
    key: Option<&str>,
) -> reqwest::Result<(u16, Value)> {
    let mut request = http.post(url).bearer_auth(token).json(body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await?))
}

/// A license with `n` pending seats held by fresh users, inserted in bulk.
async fn seed_seats(
    db: &Db,
    http: &reqwest::Client,
    url: &str,
    token: &str,
    n: usize,
    tag: &str,
) -> (i64, Vec<i64>) {
    let me: Value = http
        .get(format!("{url}/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let org = me["org_id"].as_i64().unwrap();
    let (_, account) = post(
        http,
        &format!("{url}/v1/accounts"),
        token,
        &json!({"org_id": org, "name": tag, "number": format!("PA-{tag}")}),
        None,
    )
    .await
    .unwrap();
    let (_, product) = post(http, &format!("{url}/v1/products"), token, &json!({"sku": format!("SKU-{tag}"), "name": "ConnectED", "family": "ConnectED", "edition": "teacher", "module": "none"}), None).await.unwrap();
    let (_, license) = post(http, &format!("{url}/v1/licenses"), token, &json!({
        "account_id": account["id"], "product_id": product["id"], "order_number": tag, "inventory_type": "seat_pool",
        "seats_purchased": n, "start_date": "2020-01-01", "finish_date": "2099-01-01"})
    , None).await.unwrap();
    let license_id = license["id"].as_i64().unwrap();
    let path = format!("/{org}/");
    let mut tx = db.begin_write().await.unwrap();
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|i| format!("({org}, '{path}', 'u{i}-{tag}@fault.example', 'User{i}', 'Fault', 'teacher', '', 'active', 1, 1)"))
            .collect();
        seatdesk_server::db::query(format!(
            "INSERT INTO users (org_id, org_path, email, given_name, family_name, kind, roles, status, created_at, updated_at) VALUES {}",
            values.join(", ")
        ))
        .execute(&mut tx.tx)
        .await
        .unwrap();
    }
    seatdesk_server::db::query(format!(
        "INSERT INTO seats (license_id, user_id, status, source, assigned_at, assigned_by, updated_at) \
         SELECT {license_id}, id, 'pending', 'seed', 1, 'seed', 1 FROM users WHERE email LIKE '%-{tag}@fault.example'"
    ))
    .execute(&mut tx.tx)
    .await
    .unwrap();
    seatdesk_server::db::query(format!(
        "UPDATE licenses SET seats_consumed = {n} WHERE id = {license_id}"
    ))
    .execute(&mut tx.tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let ids: Vec<i64> = seatdesk_server::db::query_scalar(format!(
        "SELECT id FROM seats WHERE license_id = {license_id} ORDER BY id"
    ))
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(ids.len(), n);
    (license_id, ids)
}

/// Every seat of the license is either revoked with exactly one revoke event,
/// or untouched with none; the counter equals the live rows.
async fn assert_consistent(db: &Db, license_id: i64) -> (i64, i64) {
    let (revoked, pending): (i64, i64) = seatdesk_server::db::query_as(format!(
        "SELECT COALESCE(SUM(CASE WHEN status = 'revoked' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0) FROM seats WHERE license_id = {license_id}"
    ))
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let events: i64 = seatdesk_server::db::query_scalar(format!(
        "SELECT COUNT(*) FROM audit_events e JOIN seats s ON s.id = e.target_id \
         WHERE e.target_type = 'seat' AND e.action = 'seat.revoke' AND s.license_id = {license_id}"
    ))
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let unevented: i64 = seatdesk_server::db::query_scalar(format!(
        "SELECT COUNT(*) FROM seats s WHERE s.license_id = {license_id} AND s.status = 'revoked' AND \
         (SELECT COUNT(*) FROM audit_events e WHERE e.target_type = 'seat' AND e.target_id = s.id AND e.action = 'seat.revoke') <> 1"
    ))
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let consumed: i64 = seatdesk_server::db::query_scalar(format!(
        "SELECT seats_consumed FROM licenses WHERE id = {license_id}"
    ))
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        events, revoked,
        "every revoked seat has its event and no untouched seat has one"
    );
    assert_eq!(unevented, 0, "exactly one event per revoked seat");
    assert_eq!(consumed, pending, "counter equals live rows");
    (revoked, pending)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_bulk_revocation_leaves_all_or_nothing_and_the_retry_finishes_once() {
    const SEATS: usize = 10_000;
    for backend in backends() {
        let (db_url, _dir) = fresh_db(backend).await;
        let token = cli_token(&db_url, "Fault District");
        let db = Db::connect(&db_url).await.unwrap();
        let http = client();
        let server = ServerProcess::start(free_port(), &db_url).await;
        // Time a full revocation of one license to aim the kill at the middle of the next.
        let (warm, warm_ids) = seed_seats(
            &db,
            &http,
            &server.url,
            &token,
            SEATS,
            &format!("warm{backend}"),
        )
        .await;
        let started = Instant::now();
        let (status, body) = post(
            &http,
            &format!("{}/v1/seats/revoke", server.url),
            &token,
            &json!({"seat_ids": warm_ids}),
            Some("warm"),
        )
        .await
        .unwrap();
        let full = started.elapsed();
        assert_eq!((status, body["done"].as_u64()), (200, Some(SEATS as u64)));
        assert_consistent(&db, warm).await;

        let (license, ids) = seed_seats(
            &db,
            &http,
            &server.url,
            &token,
            SEATS,
            &format!("kill{backend}"),
        )
        .await;
        let url = format!("{}/v1/seats/revoke", server.url);
        let request = {
            let (http, token, ids) = (http.clone(), token.clone(), ids.clone());
            tokio::spawn(async move {
                post(
                    &http,
                    &url,
                    &token,
                    &json!({"seat_ids": ids}),
                    Some("bulk-kill"),
                )
                .await
            })
        };
        tokio::time::sleep(full / 2).await;
        server.kill();
        let first = request.await.unwrap();
        let (revoked, _) = assert_consistent(&db, license).await;
        assert!(
            revoked == 0 || revoked == SEATS as i64,
            "{backend}: all or nothing, got {revoked}"
        );
        eprintln!(
            "{backend}: bulk revocation took {full:?}; kill at {:?} left {revoked} revoked (first reply: {})",
            full / 2,
            first.is_ok()
        );

        let server = ServerProcess::start(free_port(), &db_url).await;
        let (status, body) = post(
            &http,
            &format!("{}/v1/seats/revoke", server.url),
            &token,
            &json!({"seat_ids": ids}),
            Some("bulk-kill"),
        )
        .await
        .unwrap();
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["done"].as_u64(),
            Some(SEATS as u64),
            "the retry reports the whole job"
        );
        let (revoked, pending) = assert_consistent(&db, license).await;
        assert_eq!((revoked, pending), (SEATS as i64, 0));
        // A further retry replays; nothing is done twice.
        let (_, again) = post(
            &http,
            &format!("{}/v1/seats/revoke", server.url),
            &token,
            &json!({"seat_ids": ids}),
            Some("bulk-kill"),
        )
        .await
        .unwrap();
        assert_eq!(again, body);
        assert_consistent(&db, license).await;
        drop(server);
        db.pool.close().await;
        drop_pg(backend, &db_url).await;
    }
}

async fn drop_pg(backend: &str, db_url: &str) {
    if backend != "postgres" {
        return;
    }
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

/// A proxy that forwards one request upstream but hangs up on the client
/// before any of the response reaches it.
async fn dropping_proxy(upstream: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let upstream = upstream.clone();
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut server =
                    tokio::net::TcpStream::connect(upstream.trim_start_matches("http://"))
                        .await
                        .unwrap();
                let mut buf = vec![0u8; 1 << 16];
                let mut reply = [0u8; 1];
                // Relay the request until the server starts answering, then drop both.
                loop {
                    tokio::select! {
                        n = client.read(&mut buf) => match n {
                            Ok(0) | Err(_) => break,
                            Ok(n) => server.write_all(&buf[..n]).await.unwrap(),
                        },
                        _ = server.read(&mut reply) => break,
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_mid_response_is_retried_without_applying_twice() {
    for backend in backends() {
        let (db_url, _dir) = fresh_db(backend).await;
        let token = cli_token(&db_url, "Fault District");
        let db = Db::connect(&db_url).await.unwrap();
        let http = client();
        let server = ServerProcess::start(free_port(), &db_url).await;
        let (license, ids) = seed_seats(
            &db,
            &http,
            &server.url,
            &token,
            50,
            &format!("drop{backend}"),
        )
        .await;
        let proxy = dropping_proxy(server.url.clone()).await;
        let body = json!({"seat_ids": ids});
        let lost = post(
            &http,
            &format!("{proxy}/v1/seats/revoke"),
            &token,
            &body,
            Some("drop-1"),
        )
        .await;
        assert!(lost.is_err(), "the proxy hangs up before the answer");
        // The server did the work; the client does not know. It retries.
        let (revoked, _) = assert_consistent(&db, license).await;
        assert_eq!(revoked, 50);
        let (status, reply) = post(
            &http,
            &format!("{}/v1/seats/revoke", server.url),
            &token,
            &body,
            Some("drop-1"),
        )
        .await
        .unwrap();
        assert_eq!(status, 200);
        assert_eq!(
            reply["done"], 50,
            "the retry gets the first answer, not 'already revoked'"
        );
        let events: i64 = seatdesk_server::db::query_scalar(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'seat.revoke'",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert_eq!(events, 50, "applied once");
        drop(server);
        db.pool.close().await;
        drop_pg(backend, &db_url).await;
    }
}
