//! `seatdesk backup` while a 10,000-seat bulk revocation runs: the copy,
//! served by a new process, is whole (each seat revoked with its event or
//! untouched, counters equal rows), the doctor reports what it reported
//! when the backup was taken, and the change feed goes on from the copy's
//! head without a gap.

use std::process::Command;
use std::time::Duration;

use serde_json::json;

use crate::helpers::seats::{assert_consistent, client, post, seed_seats};
use crate::helpers::{BIN, ServerProcess, cli_token, free_port, get_ok};
use seatdesk_client::sync::sync;
use seatdesk_client::{ApiClient, Cache};
use seatdesk_core::SeatStatus;
use seatdesk_server::Db;

const SEATS: usize = 10_000;

/// Every seq of the change feed, oldest first.
async fn feed(http: &reqwest::Client, url: &str, token: &str) -> Vec<i64> {
    let mut seqs = Vec::new();
    let mut after = 0;
    loop {
        let page = get_ok(
            http,
            &format!("{url}/v1/changes?after={after}&limit=1000"),
            token,
        )
        .await;
        seqs.extend(
            page["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["seq"].as_i64().unwrap()),
        );
        after = page["next_after"].as_i64().unwrap();
        if !page["more"].as_bool().unwrap() {
            return seqs;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_a_bulk_revocation_restores_whole_and_the_feed_continues() {
    let dir = tempfile::tempdir().unwrap();
    let live_url = format!("sqlite://{}", dir.path().join("live.db").display());
    let token = cli_token(&live_url, "Backup District");
    let live_db = Db::connect(&live_url).await.unwrap();
    let http = client();
    let live = ServerProcess::start(free_port(), &live_url).await;
    let (license, ids) = seed_seats(&live_db, &http, &live.url, &token, SEATS, "bk").await;
    let seat = ids[0];
    let doctor_before = get_ok(&http, &format!("{}/v1/discrepancies", live.url), &token).await;

    let revocation = {
        let (http, url, token) = (http.clone(), live.url.clone(), token.clone());
        tokio::spawn(async move {
            post(
                &http,
                &format!("{url}/v1/seats/revoke"),
                &token,
                &json!({"seat_ids": ids}),
                None,
            )
            .await
            .unwrap()
        })
    };
    // Copies, one after another, until one is taken after the revocation
    // answered; each must be whole whichever moment it caught.
    let mut copies = Vec::new();
    while copies.last().is_none_or(|(_, _, during)| *during) {
        let path = dir.path().join(format!("backup-{}.db", copies.len()));
        let during = !revocation.is_finished();
        let out = {
            let (live_url, path) = (live_url.clone(), path.clone());
            tokio::task::spawn_blocking(move || {
                Command::new(BIN)
                    .args(["backup", "--db", &live_url, "--out"])
                    .arg(&path)
                    .output()
                    .unwrap()
            })
            .await
            .unwrap()
        };
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let head: i64 = stdout
            .split("change feed at ")
            .nth(1)
            .and_then(|rest| rest.split(',').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no feed head in {stdout:?}"));
        copies.push((path, head, during));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, body) = revocation.await.unwrap();
    assert_eq!((status, body["done"].as_u64()), (200, Some(SEATS as u64)));
    let (_, _, last_during) = copies.last().unwrap();
    assert!(!last_during);
    for (path, _, during) in &copies {
        let copy = Db::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        let (revoked, pending) = assert_consistent(&copy, license).await;
        assert_eq!(revoked + pending, SEATS as i64);
        if !during {
            assert_eq!(
                revoked, SEATS as i64,
                "a copy after the answer holds the revocation"
            );
        }
        eprintln!(
            "{}: {revoked} revoked, {pending} pending (taken during the revocation: {during})",
            path.display()
        );
        copy.pool.close().await;
    }
    let (backup_path, backup_head, _) = copies[0].clone();

    // Taking it again to the same file is refused; the first copy stays.
    let again = Command::new(BIN)
        .args(["backup", "--db", &live_url, "--out"])
        .arg(&backup_path)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    // A client that synced with the live server after the revocation.
    let cache = Cache::open(&dir.path().join("client-cache.db"))
        .await
        .unwrap();
    let live_api = ApiClient::new(&live.url, &token).unwrap();
    sync(&live_api, &cache).await.unwrap();
    assert_eq!(
        cache.claim(seat).await.unwrap().unwrap().status,
        SeatStatus::Revoked
    );

    // Restore: the copy becomes a server's database file.
    let restored_path = dir.path().join("restored.db");
    std::fs::copy(&backup_path, &restored_path).unwrap();
    let restored_url = format!("sqlite://{}", restored_path.display());
    let restored_db = Db::connect(&restored_url).await.unwrap();
    assert_consistent(&restored_db, license).await;
    let restored = ServerProcess::start(free_port(), &restored_url).await;
    let doctor_after = get_ok(&http, &format!("{}/v1/discrepancies", restored.url), &token).await;
    assert_eq!(doctor_after, doctor_before);

    let seqs = feed(&http, &restored.url, &token).await;
    assert_eq!(
        seqs,
        (1..=backup_head).collect::<Vec<_>>(),
        "gap-free up to the copy's head"
    );
    let me = get_ok(&http, &format!("{}/v1/me", restored.url), &token).await;
    let (status, _) = post(
        &http,
        &format!("{}/v1/accounts", restored.url),
        &token,
        &json!({"org_id": me["org_id"], "name": "After restore", "number": "PA-after"}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(status, 201);
    // The client is ahead of the restored feed: it reloads rather than
    // skipping the changes made after the restore.
    let restored_api = ApiClient::new(&restored.url, &token).unwrap();
    let report = sync(&restored_api, &cache).await.unwrap();
    assert!(report.full, "{report:?}");
    assert_eq!(report.last_seq, backup_head + 1);
    let restored_status: String =
        seatdesk_server::db::query_scalar("SELECT status FROM seats WHERE id = $1")
            .bind(seat)
            .fetch_one(&restored_db.pool)
            .await
            .unwrap();
    assert_eq!(
        cache.claim(seat).await.unwrap().unwrap().status.as_str(),
        restored_status
    );

    let next = get_ok(
        &http,
        &format!("{}/v1/changes?after={backup_head}", restored.url),
        &token,
    )
    .await;
    assert_eq!(
        next["events"][0]["seq"].as_i64(),
        Some(backup_head + 1),
        "{next}"
    );
}
