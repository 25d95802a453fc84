//! The client and its cache against a real seatdesk server started in this
//! process on a loopback port over a fresh SQLite database.

use seatdesk_client::api::ClaimFilter;
use seatdesk_client::sync::sync;
use seatdesk_client::{ApiClient, Cache, ClientError, new_idempotency_key};
use seatdesk_core::api::ItemOutcome;
use seatdesk_core::{Role, SeatStatus};
use serde_json::json;

use crate::helpers::start;

#[tokio::test]
async fn full_sync_then_deltas_follow_revocations_and_restores() {
    let h = start().await;
    let (license_id, seats) = h.license_with_teachers(6).await;
    // The second teacher has students: the server must refuse that seat.
    seatdesk_server::db::query("UPDATE seats SET students_assigned = 3 WHERE id = $1")
        .bind(seats[1])
        .execute(&h.db.pool)
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(&dir.path().join("p.sqlite")).await.unwrap();
    let report = sync(&h.admin, &cache).await.unwrap();
    assert!(report.full);
    let snapshot = cache.load().await.unwrap();
    counts_match_rows(&cache).await;
    assert_eq!(snapshot.licenses.len(), 1);
    assert_eq!(snapshot.claims.len(), 6);
    assert_eq!(snapshot.licenses[0].seats.consumed, 6);
    assert!(snapshot.last_sync.is_some());

    // Revoke three (one refused) with one key; a replay of the same key
    // returns the first answer and changes nothing twice.
    let key = new_idempotency_key();
    let ids = vec![seats[0], seats[1], seats[2]];
    let first = h.admin.revoke(ids.clone(), &key).await.unwrap();
    assert_eq!((first.done, first.refused), (2, 1));
    let refused = first
        .results
        .iter()
        .find(|r| r.outcome == ItemOutcome::Refused)
        .unwrap();
    assert_eq!(refused.id, seats[1]);
    assert!(
        refused.reason.as_deref().unwrap().contains("3 students"),
        "{refused:?}"
    );
    let replay = h.admin.revoke(ids, &key).await.unwrap();
    assert_eq!(replay, first);

    let report = sync(&h.admin, &cache).await.unwrap();
    assert!(!report.full);
    assert_eq!(report.changed, 2, "two seat.revoke events");
    assert_eq!(
        report.touched.claims.iter().copied().collect::<Vec<_>>(),
        vec![seats[0], seats[2]]
    );
    assert!(report.touched.licenses.contains(&license_id));
    let patch = cache.load_patch(&report.touched).await.unwrap();
    counts_match_rows(&cache).await;
    assert_eq!(patch.claims.len(), 2);
    assert!(patch.claims.iter().all(|c| c.status == SeatStatus::Revoked));
    assert_eq!(patch.licenses.len(), 1);
    assert_eq!(patch.licenses[0].seats.consumed, 4);
    let snapshot = cache.load().await.unwrap();
    let status = |id: i64| snapshot.claims.iter().find(|c| c.id == id).unwrap().status;
    assert_eq!(status(seats[0]), SeatStatus::Revoked);
    assert_eq!(status(seats[1]), SeatStatus::Pending);
    assert_eq!(status(seats[2]), SeatStatus::Revoked);
    assert_eq!(status(seats[3]), SeatStatus::Pending);
    assert!(
        snapshot
            .claims
            .iter()
            .find(|c| c.id == seats[0])
            .unwrap()
            .revoked_at
            .is_some()
    );
    assert_eq!(
        snapshot.licenses[0].seats.consumed, 4,
        "license re-fetched after seat events"
    );

    // Undo, then a new assignment: both arrive as deltas.
    let restored = h
        .admin
        .restore(vec![seats[0], seats[2]], &new_idempotency_key())
        .await
        .unwrap();
    assert_eq!(restored.done, 2);
    let user = h
        .insert_user(snapshot.claims[0].org_id, "late@school.test", "teacher")
        .await;
    let late = h
        .post(
            "/v1/seats",
            json!({"license_id": license_id, "user_id": user}),
        )
        .await;
    sync(&h.admin, &cache).await.unwrap();
    let snapshot = cache.load().await.unwrap();
    counts_match_rows(&cache).await;
    assert_eq!(snapshot.claims.len(), 7);
    assert!(
        snapshot
            .claims
            .iter()
            .any(|c| c.id == late["id"].as_i64().unwrap())
    );
    assert!(
        snapshot
            .claims
            .iter()
            .filter(|c| ids_of(&seats[..3]).contains(&c.id))
            .all(|c| c.status == SeatStatus::Pending)
    );
    assert_eq!(snapshot.licenses[0].seats.consumed, 7);

    // Another cache of the same data, loaded from scratch, agrees.
    let fresh = Cache::open(&dir.path().join("fresh.sqlite")).await.unwrap();
    sync(&h.admin, &fresh).await.unwrap();
    let mut a = fresh.load().await.unwrap().claims;
    let mut b = snapshot.claims.clone();
    a.sort_by_key(|c| c.id);
    b.sort_by_key(|c| c.id);
    let key = |c: &seatdesk_core::api::seats::Claim| (c.id, c.status, c.revoked_at.is_some());
    assert_eq!(
        a.iter().map(key).collect::<Vec<_>>(),
        b.iter().map(key).collect::<Vec<_>>()
    );
}

/// The head promises as many claims as the load then delivers.
async fn counts_match_rows(cache: &Cache) {
    let snapshot = cache.load().await.unwrap();
    assert!(!snapshot.claims.is_empty());
    assert_eq!(
        cache.head().await.unwrap().claims,
        snapshot.claims.len() as u64
    );
}

fn ids_of(ids: &[i64]) -> Vec<i64> {
    ids.to_vec()
}

#[tokio::test]
async fn errors_are_problems_and_unreachable_servers_say_so() {
    let h = start().await;
    let bad = ApiClient::new(&h.server.url(), "not-a-token").unwrap();
    match bad.me().await {
        Err(error @ ClientError::Unauthorized(_)) => {
            assert_eq!(error.problem().map(|p| p.status), Some(401));
            let line = error.to_string();
            assert!(line.starts_with("Unauthorized (401): "), "{line}");
            assert_eq!(line.matches("401").count(), 1, "{line}");
        }
        other => panic!("expected a refused token, got {other:?}"),
    }
    match h.admin.license(999_999).await {
        Err(ClientError::Problem(problem)) => {
            assert_eq!(problem.status, 404);
            assert_eq!(problem.short_kind(), "not-found");
            assert_eq!(
                problem.to_string(),
                "Not Found (404): license 999999 was not found in your organization"
            );
        }
        other => panic!("expected not found, got {other:?}"),
    }
    assert!(
        h.admin
            .orgs()
            .await
            .unwrap()
            .iter()
            .any(|o| o.id == h.root_org)
    );
    assert!(h.admin.accounts().await.unwrap().is_empty());
    let me = h.admin.me().await.unwrap();
    assert_eq!(me.role, Role::SystemAdmin);
    assert!(!h.secret.is_empty());

    // A port nobody listens on: a connection error, flagged offline.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let gone = ApiClient::new(&format!("http://127.0.0.1:{port}"), "x").unwrap();
    let error = gone.claims_page(&ClaimFilter::default()).await.unwrap_err();
    assert!(error.is_offline(), "{error}");
    let line = error.to_string();
    assert!(
        line.starts_with(&format!(
            "cannot reach the server at http://127.0.0.1:{port}: "
        )),
        "{line}"
    );
    assert_eq!(
        line.matches("127.0.0.1").count(),
        1,
        "the origin once: {line}"
    );

    assert!(matches!(
        ApiClient::new("ftp://example", "x"),
        Err(ClientError::BadUrl(_))
    ));
    assert!(matches!(
        ApiClient::new("not a url", "x"),
        Err(ClientError::BadUrl(_))
    ));
}
