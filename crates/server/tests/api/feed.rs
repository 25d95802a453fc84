//! The change feed under concurrent writers on several server instances:
//! a reader of `after=<seq>` must see every event exactly once.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use seatdesk_core::api::audit::Changes;
use seatdesk_server::{AppState, Db, ServerConfig};
use serde_json::{Value, json};

use crate::helpers::{Client, TestServer, backends, several_servers};

#[tokio::test]
async fn feed_readers_never_skip_events_committed_by_several_servers() {
    let _serial = several_servers().await;
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let fx = server.license_fixture(10_000, "teacher").await;
        // Two more servers over the same database, each with its own pool,
        // as separate processes would be.
        let mut urls = vec![server.url.clone()];
        let mut extra = Vec::new();
        for _ in 0..2 {
            let db = Db::connect(&server.db_url).await.unwrap();
            let running = seatdesk_server::spawn(
                AppState::new(db, ServerConfig::default()),
                "127.0.0.1:0".parse().unwrap(),
            )
            .await
            .unwrap();
            urls.push(running.url());
            extra.push(running);
        }
        let mut users = Vec::new();
        for i in 0..60 {
            users.push(
                server
                    .insert_user(fx.org_id, &format!("f{i}@feed.example"), "teacher")
                    .await,
            );
        }
        let start: i64 = seatdesk_server::db::query_scalar("SELECT seq FROM audit_head")
            .fetch_one(&server.db.pool)
            .await
            .unwrap();

        let writing = Arc::new(AtomicBool::new(true));
        let reader = {
            let client = Client::new(&urls[2], &server.admin.token);
            let writing = writing.clone();
            tokio::spawn(async move {
                let mut after = start;
                let mut seen = Vec::new();
                loop {
                    let done = !writing.load(Ordering::SeqCst);
                    let changes: Changes = client
                        .get_ok(&format!("/v1/changes?after={after}&limit=7"))
                        .await;
                    for event in &changes.events {
                        assert!(event.seq > after, "feed went backwards");
                        seen.push(event.seq);
                    }
                    assert!(changes.next_after >= after);
                    after = changes.next_after;
                    if done && !changes.more {
                        break seen;
                    }
                }
            })
        };
        let writers: Vec<_> = users
            .iter()
            .enumerate()
            .map(|(i, &user)| {
                let client = Client::new(&urls[i % urls.len()], &server.admin.token);
                let license = fx.license_id;
                tokio::spawn(async move {
                    let claim: Value = client
                        .post_ok(
                            "/v1/seats",
                            &json!({"license_id": license, "user_id": user}),
                        )
                        .await;
                    let seat = claim["id"].as_i64().unwrap();
                    if i % 2 == 0 {
                        client
                            .post_ok::<Value>("/v1/seats/revoke", &json!({"seat_ids": [seat]}))
                            .await;
                    } else {
                        client
                            .post_ok::<Value>(&format!("/v1/seats/{seat}/claim"), &json!({}))
                            .await;
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.await.unwrap();
        }
        writing.store(false, Ordering::SeqCst);
        let seen = reader.await.unwrap();

        let stored: Vec<i64> = seatdesk_server::db::query_scalar(
            "SELECT seq FROM audit_events WHERE seq > $1 ORDER BY seq",
        )
        .bind(start)
        .fetch_all(&server.db.pool)
        .await
        .unwrap();
        assert_eq!(stored.len(), 120, "{backend:?}: one event per mutation");
        assert_eq!(
            seen, stored,
            "{backend:?}: the reader saw every event once, in order"
        );
        let contiguous: BTreeSet<i64> = ((start + 1)..=(start + 120)).collect();
        assert_eq!(
            stored.into_iter().collect::<BTreeSet<_>>(),
            contiguous,
            "no gaps in seq"
        );
        server.assert_counts_match_rows().await;
        for running in extra {
            running.handle.abort();
        }
    }
}

#[tokio::test]
async fn feed_and_log_are_scoped_to_the_token_subtree() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let a = server.license_fixture(5, "teacher").await;
        let b = server.license_fixture(5, "teacher").await;
        let ua = server
            .insert_user(a.org_id, "a@scope.example", "teacher")
            .await;
        let ub = server
            .insert_user(b.org_id, "b@scope.example", "teacher")
            .await;
        server
            .admin
            .post_ok::<Value>(
                "/v1/seats",
                &json!({"license_id": a.license_id, "user_id": ua}),
            )
            .await;
        server
            .admin
            .post_ok::<Value>(
                "/v1/seats",
                &json!({"license_id": b.license_id, "user_id": ub}),
            )
            .await;
        let district_a = server
            .client_for(seatdesk_core::Role::Reporter, a.org_id)
            .await;
        let changes: Changes = district_a.get_ok("/v1/changes?after=0").await;
        let seat_events: Vec<_> = changes
            .events
            .iter()
            .filter(|e| e.action == "seat.assign")
            .collect();
        assert_eq!(seat_events.len(), 1);
        assert_eq!(
            seat_events[0].after.as_ref().unwrap()["user_email"],
            "a@scope.example"
        );
        let all: Changes = server.admin.get_ok("/v1/changes?after=0").await;
        assert_eq!(
            all.next_after, changes.next_after,
            "everyone advances to the same head"
        );
        // A client ahead of the head (its server's database was restored
        // from an older backup) is told the head, lower than it asked with.
        let ahead: Changes = server
            .admin
            .get_ok(&format!("/v1/changes?after={}", all.next_after + 1000))
            .await;
        assert!(ahead.events.is_empty());
        assert_eq!(ahead.next_after, all.next_after);
        let log: Value = district_a.get_ok("/v1/audit?action=seat").await;
        assert_eq!(log["items"].as_array().unwrap().len(), 1);
        let licenses: Value = district_a.get_ok("/v1/licenses").await;
        assert_eq!(licenses["items"].as_array().unwrap().len(), 1);
        let hidden = district_a
            .get(&format!("/v1/licenses/{}", b.license_id))
            .await;
        assert_eq!(hidden.status, reqwest::StatusCode::NOT_FOUND);
    }
}
