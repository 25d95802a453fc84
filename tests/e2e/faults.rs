//! Fault tests with real server processes: SIGKILL in the middle of a
//! 10,000-seat bulk revocation, and a connection dropped mid-response. In
//! both, the retry with the same Idempotency-Key finishes the job once.

use std::time::Instant;

use seatdesk_server::Db;
use serde_json::json;

use crate::helpers::seats::{
    PG_ENV, assert_consistent, backends, client, fresh_db, post, seed_seats,
};
use crate::helpers::{ServerProcess, cli_token, free_port};

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
