//! The reclaim calls of `ApiClient` against a real server whose clock
//! stands 40 days after the seats were assigned: policies are created,
//! listed, paused and resumed; the dry run names exactly the seats the run
//! then frees; a retried run (same key) frees nothing twice; the summary,
//! history and seen reports answer; errors arrive as problems. On SQLite
//! and, with `SEATDESK_TEST_PG_URL`, on PostgreSQL.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use seatdesk_client::{ClientError, new_idempotency_key};
use seatdesk_core::api::reclaim::{
    NewReclaimPolicy, PolicyQuery, ReclaimRule, RunQuery, RunTrigger, SeenReport, SummaryQuery,
};
use seatdesk_server::ServerConfig;
use seatdesk_server::clock::Clock;

use crate::helpers::{backends, start_on};

fn pending_policy(org_id: i64) -> NewReclaimPolicy {
    NewReclaimPolicy {
        name: "stale pending".into(),
        org_id,
        product_id: None,
        license_id: None,
        rule: ReclaimRule::PendingOverDays,
        days: Some(30),
        interval_minutes: Some(60),
        paused: false,
    }
}

fn status(error: &ClientError) -> Option<u16> {
    error.problem().map(|p| p.status)
}

#[tokio::test]
async fn policies_dry_runs_runs_history_summary_and_seen_round_trip() {
    for backend in backends() {
        round_trip(backend).await;
    }
}

async fn round_trip(backend: &str) {
    let clock = Clock::manual(Utc::now() + TimeDelta::days(40));
    let config = ServerConfig {
        clock: clock.clone(),
        // The scheduler stays out of the way: runs here are manual.
        reclaim_tick: Duration::from_secs(24 * 3600),
        ..ServerConfig::default()
    };
    let h = start_on(backend, config).await;
    let (_, seats) = h.license_with_teachers(3).await;
    let api = &h.admin;

    let created = api
        .create_reclaim_policy(&pending_policy(h.root_org), &new_idempotency_key())
        .await
        .unwrap();
    assert_eq!(created.rule, ReclaimRule::PendingOverDays);
    assert_eq!(created.days, Some(30));
    assert_eq!(created.interval_minutes, 60);
    assert!(!created.paused && created.seats_freed == 0);
    assert_eq!(api.reclaim_policy(created.id).await.unwrap(), created);
    let page = api.reclaim_policies(&PolicyQuery::default()).await.unwrap();
    assert_eq!(page.items, vec![created.clone()]);
    let narrowed = PolicyQuery {
        org_id: Some(h.root_org),
        limit: Some(1),
        ..PolicyQuery::default()
    };
    assert_eq!(
        api.reclaim_policies(&narrowed).await.unwrap().items.len(),
        1
    );

    // What it could reclaim, and exactly which seats, changing nothing.
    let summary = api.reclaim_summary(&SummaryQuery::default()).await.unwrap();
    assert_eq!(summary.reclaimable, 3);
    assert_eq!(summary.policies[0].policy_id, created.id);
    assert_eq!(summary.policies[0].candidates, 3);
    let preview = api.reclaim_dry_run(created.id).await.unwrap();
    assert!(preview.dry_run && preview.run_id.is_none());
    let previewed: Vec<i64> = preview.freed.iter().map(|c| c.seat_id).collect();
    assert_eq!(previewed, seats);
    assert!(
        preview.freed[0].reason.contains("pending"),
        "{:?}",
        preview.freed[0]
    );
    assert!(preview.refused.is_empty());
    assert_eq!(preview.remaining, 0);
    let again = api.reclaim_summary(&SummaryQuery::default()).await.unwrap();
    assert_eq!(again.reclaimable, 3, "a dry run changes nothing");

    // Seen reports: one id known, one not; one seat on its own.
    let seen = api
        .seats_seen(
            &SeenReport {
                seat_ids: vec![seats[0], 987_654],
                seen_at: None,
            },
            &new_idempotency_key(),
        )
        .await
        .unwrap();
    assert_eq!(seen.recorded, 1);
    assert_eq!(seen.ignored, vec![987_654]);
    api.seat_seen(seats[1], &new_idempotency_key())
        .await
        .unwrap();
    let unknown = api
        .seat_seen(987_654, &new_idempotency_key())
        .await
        .unwrap_err();
    assert_eq!(status(&unknown), Some(404), "{unknown}");

    // Pause and resume answer the policy's new state.
    let paused = api
        .set_reclaim_paused(created.id, true, &new_idempotency_key())
        .await
        .unwrap();
    assert!(paused.paused);
    assert_eq!(paused.next_run_at, None);
    let resumed = api
        .set_reclaim_paused(created.id, false, &new_idempotency_key())
        .await
        .unwrap();
    assert!(!resumed.paused && resumed.next_run_at.is_some());

    // The run frees what the dry run named; its retry is a replay.
    let key = new_idempotency_key();
    let report = api.run_reclaim_policy(created.id, &key).await.unwrap();
    assert!(!report.dry_run);
    let run_id = report.run_id.expect("a run is recorded");
    let freed: Vec<i64> = report.freed.iter().map(|c| c.seat_id).collect();
    assert_eq!(freed, previewed);
    let replay = api.run_reclaim_policy(created.id, &key).await.unwrap();
    assert_eq!(replay, report);
    let after = api.reclaim_dry_run(created.id).await.unwrap();
    assert!(after.freed.is_empty(), "every seat was freed once");
    assert_eq!(
        api.reclaim_summary(&SummaryQuery::default())
            .await
            .unwrap()
            .reclaimable,
        0
    );
    let runs = api
        .reclaim_runs(created.id, &RunQuery::default())
        .await
        .unwrap();
    assert_eq!(runs.items.len(), 1, "the replay recorded no second run");
    assert_eq!(runs.items[0].id, run_id);
    assert_eq!(runs.items[0].trigger, RunTrigger::Manual);
    assert_eq!(runs.items[0].freed, 3);
    let policy = api.reclaim_policy(created.id).await.unwrap();
    assert_eq!(policy.seats_freed, 3);
    assert!(policy.last_run_at.is_some());
}

#[tokio::test]
async fn bad_policies_and_unknown_ids_are_problems() {
    for backend in backends() {
        refusals(backend).await;
    }
}

async fn refusals(backend: &str) {
    let h = start_on(backend, ServerConfig::default()).await;
    let api = &h.admin;
    let mut archived = pending_policy(h.root_org);
    archived.rule = ReclaimRule::ArchivedUser;
    let error = api
        .create_reclaim_policy(&archived, &new_idempotency_key())
        .await
        .unwrap_err();
    assert!(
        matches!(status(&error), Some(400 | 422)),
        "archived_user refuses days: {error}"
    );
    let mut fast = pending_policy(h.root_org);
    fast.interval_minutes = Some(1);
    let error = api
        .create_reclaim_policy(&fast, &new_idempotency_key())
        .await
        .unwrap_err();
    assert!(matches!(status(&error), Some(400 | 422)), "{error}");
    assert!(
        api.reclaim_policies(&PolicyQuery::default())
            .await
            .unwrap()
            .items
            .is_empty(),
        "nothing was written"
    );
    for error in [
        api.reclaim_policy(424_242).await.unwrap_err(),
        api.reclaim_dry_run(424_242).await.unwrap_err(),
        api.run_reclaim_policy(424_242, &new_idempotency_key())
            .await
            .unwrap_err(),
        api.set_reclaim_paused(424_242, true, &new_idempotency_key())
            .await
            .unwrap_err(),
    ] {
        assert_eq!(status(&error), Some(404), "{error}");
    }
    let summary = api.reclaim_summary(&SummaryQuery::default()).await.unwrap();
    assert_eq!(summary.reclaimable, 0);
    assert!(summary.policies.is_empty());
}
