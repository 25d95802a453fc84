//! Reclaim policies (issue 15) over real HTTP on every configured backend,
//! with a manual clock: what each rule selects on a fixture with known
//! answers, the dry run equal to the run, restore, the org subtree as the
//! limit, pause and resume, two replicas reclaiming each seat once, the
//! products' seen reports, and bad input refused with nothing written.

use std::time::Duration;

use chrono::TimeDelta;
use reqwest::{Method, StatusCode};
use seatdesk_core::Role;
use seatdesk_core::api::reclaim::{ReclaimReport, ReclaimSummary, SeenResult};
use seatdesk_core::api::{BulkResult, Page};
use seatdesk_server::clock::Clock;
use seatdesk_server::db::types::Stamp;
use seatdesk_server::{AppState, Db, ServerConfig};
use serde_json::{Value, json};

use crate::helpers::{TestServer, backends, scalar, several_servers};

mod world;

use world::*;

#[tokio::test]
async fn each_rule_selects_exactly_the_seats_it_names() {
    for backend in backends() {
        let t0 = t0();
        let clock = Clock::manual(t0);
        let server = start(backend, &clock).await;
        let w = build_world(&server, t0).await;
        let org_admin = server.client_for(Role::OrgAdmin, w.d).await;

        // Products report use: an older report never moves the last use back.
        let seen: SeenResult = org_admin
            .post_ok(
                "/v1/seats/seen",
                &json!({"seat_ids": [w.seen_recently], "seen_at": t0 - days(5)}),
            )
            .await;
        assert_eq!((seen.recorded, seen.ignored.len()), (1, 0), "{backend:?}");
        let seen: SeenResult = org_admin
            .post_ok(
                "/v1/seats/seen",
                &json!({"seat_ids": [w.seen_recently, w.seen_long_ago, w.sibling_idle, 987654321, w.seen_long_ago],
                        "seen_at": t0 - days(95)}),
            )
            .await;
        assert_eq!(seen.recorded, 2, "{backend:?}");
        assert_eq!(
            seen.ignored,
            vec![w.sibling_idle, 987654321],
            "{backend:?}: the sibling district's seat is outside the token's subtree"
        );
        let last: Stamp = seatdesk_server::db::query_scalar(
            "SELECT last_seen_at FROM seat_uses WHERE seat_id = $1",
        )
        .bind(w.seen_recently)
        .fetch_one(&server.db.pool)
        .await
        .unwrap();
        assert_eq!(last, Stamp::at(t0 - days(5)), "{backend:?}");
        // One seat's report, at the clock's now.
        let reply = org_admin
            .post(&format!("/v1/seats/{}/seen", w.pending_new), &json!({}))
            .await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{backend:?}");
        for unknown in [w.sibling_pending, 987654321] {
            let reply = org_admin
                .post(&format!("/v1/seats/{unknown}/seen"), &json!({}))
                .await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{backend:?}");
        }

        let pending = policy(&server, json!({"name": "Never claimed", "org_id": w.d, "rule": "pending_over_days", "days": 30})).await;
        let suspended = policy(
            &server,
            json!({"name": "Suspended", "org_id": w.d, "rule": "suspended_over_days", "days": 30}),
        )
        .await;
        let archived = policy(
            &server,
            json!({"name": "Archived", "org_id": w.d, "rule": "archived_user"}),
        )
        .await;
        let unused = policy(
            &server,
            json!({"name": "Idle", "org_id": w.d, "rule": "unused_over_days", "days": 90}),
        )
        .await;
        let narrow = policy(&server, json!({"name": "Never claimed, ORD-D", "org_id": w.d, "product_id": w.product, "license_id": w.license_d, "rule": "pending_over_days", "days": 30, "paused": true})).await;

        let at_t0 = dry_run(&server, pending).await;
        assert_eq!(freed(&at_t0), set(&[w.pending_old]), "{backend:?}");
        assert_eq!(at_t0.refused.len(), 1, "{backend:?}");
        assert_eq!(at_t0.refused[0].id, w.pending_blocked, "{backend:?}");
        assert!(
            at_t0.refused[0]
                .reason
                .as_deref()
                .unwrap()
                .contains("2 students"),
            "{backend:?}: {:?}",
            at_t0.refused
        );
        assert_eq!(
            at_t0.freed[0].reason,
            format!(
                "pending for 40 days (assigned {})",
                (t0 - days(40)).date_naive()
            )
        );
        assert_eq!(
            freed(&dry_run(&server, narrow).await),
            set(&[w.pending_old])
        );
        assert!(
            freed(&dry_run(&server, suspended).await).is_empty(),
            "{backend:?}: suspended only just now"
        );
        assert_eq!(
            freed(&dry_run(&server, archived).await),
            set(&[w.archived]),
            "{backend:?}"
        );
        assert_eq!(
            freed(&dry_run(&server, unused).await),
            set(&[w.idle, w.seen_long_ago]),
            "{backend:?}: a seat seen 5 days ago is in use"
        );

        let summary: ReclaimSummary = server.admin.get_ok("/v1/reclaim/summary").await;
        let counts: Vec<(i64, i64)> = summary
            .policies
            .iter()
            .map(|p| (p.policy_id, p.candidates))
            .collect();
        assert_eq!(
            counts,
            vec![
                (pending, 2),
                (suspended, 0),
                (archived, 1),
                (unused, 2),
                (narrow, 1)
            ],
            "{backend:?}"
        );
        // pending_old, pending_blocked, archived, idle, seen_long_ago: each once.
        assert_eq!(summary.reclaimable, 5, "{backend:?}");
        let view: ReclaimSummary = server
            .admin
            .get_ok(&format!("/v1/reclaim/summary?org_id={}", w.e))
            .await;
        assert_eq!(
            view.reclaimable, 0,
            "{backend:?}: no policy reaches the sibling district"
        );

        // 31 days on: the suspension is old enough, the fresh claim too.
        clock.set(t0 + days(31));
        assert_eq!(
            freed(&dry_run(&server, suspended).await),
            set(&[w.suspended]),
            "{backend:?}"
        );
        assert_eq!(
            freed(&dry_run(&server, pending).await),
            set(&[w.pending_old, w.pending_new]),
            "{backend:?}"
        );
        for report in [
            dry_run(&server, pending).await,
            dry_run(&server, archived).await,
            dry_run(&server, unused).await,
        ] {
            let ids = freed(&report);
            assert!(
                !ids.contains(&w.sibling_pending) && !ids.contains(&w.sibling_idle),
                "{backend:?}: a policy reached outside its subtree"
            );
        }
        assert_eq!(
            scalar(
                &server,
                "SELECT COUNT(*) FROM seats WHERE status = 'revoked'"
            )
            .await,
            0,
            "{backend:?}: dry runs change nothing"
        );
        assert_eq!(
            scalar(&server, "SELECT COUNT(*) FROM reclaim_runs").await,
            0,
            "{backend:?}"
        );
    }
}

#[tokio::test]
async fn a_run_frees_what_its_dry_run_named_and_restore_puts_it_back() {
    for backend in backends() {
        let t0 = t0();
        let clock = Clock::manual(t0);
        let server = start(backend, &clock).await;
        let w = build_world(&server, t0).await;
        let id = policy(&server, json!({"name": "Never claimed", "org_id": w.d, "rule": "pending_over_days", "days": 30})).await;
        let idle = policy(
            &server,
            json!({"name": "Idle", "org_id": w.d, "rule": "unused_over_days", "days": 90}),
        )
        .await;
        let before = server.audit_count().await;

        let dry = dry_run(&server, id).await;
        let real: ReclaimReport = server
            .admin
            .post_ok(&format!("/v1/reclaim/policies/{id}/run"), &json!({}))
            .await;
        assert!(dry.dry_run && dry.run_id.is_none(), "{backend:?}");
        assert!(!real.dry_run && real.run_id.is_some(), "{backend:?}");
        assert_eq!(
            real.freed, dry.freed,
            "{backend:?}: the same seats and reasons"
        );
        assert_eq!(real.refused, dry.refused, "{backend:?}");
        assert_eq!((real.remaining, real.as_of), (dry.remaining, dry.as_of));
        assert_eq!(freed(&real), set(&[w.pending_old]), "{backend:?}");

        // Each freed seat is one revocation event whose actor is the policy.
        let actor = format!("policy:{id}");
        let events: Vec<(String, i64)> = seatdesk_server::db::query_as(
            "SELECT actor, target_id FROM audit_events WHERE action = 'seat.revoke' ORDER BY seq",
        )
        .fetch_all(&server.db.pool)
        .await
        .unwrap();
        assert_eq!(events, vec![(actor.clone(), w.pending_old)], "{backend:?}");
        assert_eq!(server.audit_count().await - before, 1, "{backend:?}");
        let revoked_by: String =
            seatdesk_server::db::query_scalar("SELECT revoked_by FROM seats WHERE id = $1")
                .bind(w.pending_old)
                .fetch_one(&server.db.pool)
                .await
                .unwrap();
        assert_eq!(revoked_by, actor, "{backend:?}");
        server.assert_counts_match_rows().await;

        // The history and the running total.
        let again: ReclaimReport = server
            .admin
            .post_ok(&format!("/v1/reclaim/policies/{id}/run"), &json!({}))
            .await;
        assert!(
            again.freed.is_empty(),
            "{backend:?}: a seat is reclaimed once"
        );
        let runs: Value = server
            .admin
            .get_ok(&format!("/v1/reclaim/policies/{id}/runs?limit=1"))
            .await;
        assert_eq!(
            runs["items"][0]["id"],
            json!(again.run_id),
            "{backend:?}: newest first"
        );
        assert_eq!(runs["items"][0]["trigger"], "manual");
        assert_eq!(runs["items"][0]["actor"], "token:root");
        let cursor = runs["next_cursor"].as_str().expect("a second page");
        let older: Value = server
            .admin
            .get_ok(&format!(
                "/v1/reclaim/policies/{id}/runs?limit=1&cursor={cursor}"
            ))
            .await;
        assert_eq!(older["items"][0]["id"], json!(real.run_id), "{backend:?}");
        assert_eq!(
            (
                older["items"][0]["freed"].as_i64(),
                older["items"][0]["refused"].as_i64()
            ),
            (Some(1), Some(1))
        );
        assert!(older["next_cursor"].is_null(), "{backend:?}");
        let stored: Value = server
            .admin
            .get_ok(&format!("/v1/reclaim/policies/{id}"))
            .await;
        assert_eq!(stored["seats_freed"], 1, "{backend:?}");
        assert_eq!(stored["last_run_at"], json!(t0), "{backend:?}");

        // Restore within the window puts it back, pending as it was.
        let restored: BulkResult = server
            .admin
            .post_ok("/v1/seats/restore", &json!({"seat_ids": [w.pending_old]}))
            .await;
        assert_eq!(restored.done, 1, "{backend:?}: {restored:?}");
        let status: String =
            seatdesk_server::db::query_scalar("SELECT status FROM seats WHERE id = $1")
                .bind(w.pending_old)
                .fetch_one(&server.db.pool)
                .await
                .unwrap();
        assert_eq!(status, "pending", "{backend:?}");
        server.assert_counts_match_rows().await;

        // An active seat reclaimed and restored comes back active.
        let idle_run: ReclaimReport = server
            .admin
            .post_ok(&format!("/v1/reclaim/policies/{idle}/run"), &json!({}))
            .await;
        assert_eq!(
            freed(&idle_run),
            set(&[w.idle, w.seen_recently, w.seen_long_ago])
        );
        let restored: BulkResult = server
            .admin
            .post_ok("/v1/seats/restore", &json!({"seat_ids": [w.idle]}))
            .await;
        assert_eq!(restored.done, 1, "{backend:?}");
        assert_eq!(
            scalar(
                &server,
                &format!(
                    "SELECT COUNT(*) FROM seats WHERE id = {} AND status = 'active'",
                    w.idle
                )
            )
            .await,
            1
        );
        // Seats of the sibling district were never touched.
        assert_eq!(
            scalar(
                &server,
                &format!(
                    "SELECT COUNT(*) FROM seats WHERE id IN ({}, {}) AND status <> 'revoked'",
                    w.sibling_pending, w.sibling_idle
                )
            )
            .await,
            2,
            "{backend:?}"
        );
        server.assert_counts_match_rows().await;
    }
}

#[tokio::test]
async fn pause_stops_scheduled_runs_and_resume_restarts_them() {
    for backend in backends() {
        let t0 = t0();
        let clock = Clock::manual(t0);
        let server = start(backend, &clock).await;
        let w = build_world(&server, t0).await;
        let id = policy(&server, json!({"name": "Archived", "org_id": w.d, "rule": "archived_user", "interval_minutes": 60})).await;
        let stored: Value = server
            .admin
            .get_ok(&format!("/v1/reclaim/policies/{id}"))
            .await;
        assert_eq!(stored["next_run_at"], json!(t0 + TimeDelta::minutes(60)));

        assert!(
            seatdesk_server::reclaim::run_due(&server.state)
                .await
                .unwrap()
                .is_empty(),
            "{backend:?}: not due yet"
        );
        let paused: Value = server
            .admin
            .post_ok(&format!("/v1/reclaim/policies/{id}/pause"), &json!({}))
            .await;
        assert_eq!(
            (paused["paused"].as_bool(), paused["next_run_at"].is_null()),
            (Some(true), true)
        );
        // Pausing again answers the same and records nothing more.
        let audit = server.audit_count().await;
        let again: Value = server
            .admin
            .post_ok(&format!("/v1/reclaim/policies/{id}/pause"), &json!({}))
            .await;
        assert_eq!(again, paused);
        assert_eq!(server.audit_count().await, audit);

        clock.advance(TimeDelta::hours(5));
        assert!(
            seatdesk_server::reclaim::run_due(&server.state)
                .await
                .unwrap()
                .is_empty(),
            "{backend:?}: paused"
        );
        let resumed: Value = server
            .admin
            .post_ok(&format!("/v1/reclaim/policies/{id}/resume"), &json!({}))
            .await;
        assert_eq!(
            resumed["next_run_at"],
            json!(t0 + TimeDelta::hours(6)),
            "{backend:?}"
        );
        assert!(
            seatdesk_server::reclaim::run_due(&server.state)
                .await
                .unwrap()
                .is_empty()
        );

        clock.advance(TimeDelta::hours(1));
        let reports = seatdesk_server::reclaim::run_due(&server.state)
            .await
            .unwrap();
        assert_eq!(reports.len(), 1, "{backend:?}");
        assert_eq!(freed(&reports[0]), set(&[w.archived]), "{backend:?}");
        let runs: Page<Value> = server
            .admin
            .get_ok(&format!("/v1/reclaim/policies/{id}/runs"))
            .await;
        assert_eq!(runs.items.len(), 1);
        assert_eq!(
            (
                runs.items[0]["trigger"].as_str(),
                runs.items[0]["actor"].as_str()
            ),
            (Some("schedule"), Some("system"))
        );
        let stored: Value = server
            .admin
            .get_ok(&format!("/v1/reclaim/policies/{id}"))
            .await;
        assert_eq!(
            stored["next_run_at"],
            json!(t0 + TimeDelta::hours(7)),
            "{backend:?}"
        );
        assert_eq!(stored["seats_freed"], 1);
        // Not due again until the next interval.
        assert!(
            seatdesk_server::reclaim::run_due(&server.state)
                .await
                .unwrap()
                .is_empty()
        );
        let actors: i64 = scalar(&server, &format!("SELECT COUNT(*) FROM audit_events WHERE action = 'seat.revoke' AND actor = 'policy:{id}' AND target_id = {}", w.archived)).await;
        assert_eq!(actors, 1, "{backend:?}");
    }
}

#[tokio::test]
async fn two_replicas_running_the_due_policies_reclaim_each_seat_once() {
    let _one_at_a_time = several_servers().await;
    for backend in backends() {
        let t0 = t0();
        let clock = Clock::manual(t0);
        let server = start(backend, &clock).await;
        let w = build_world(&server, t0).await;
        // Many old pending seats, and two policies whose seats overlap.
        let mut seats = vec![w.pending_old];
        for i in 0..40 {
            let (id, _) = seat(&server, w.d, w.license_d, &format!("crowd{i}")).await;
            set_seat_time(&server, id, "assigned_at", t0 - days(50)).await;
            seats.push(id);
        }
        let wide = policy(&server, json!({"name": "Never claimed", "org_id": w.d, "rule": "pending_over_days", "days": 30, "interval_minutes": 5})).await;
        let narrow = policy(&server, json!({"name": "Never claimed, ORD-D", "org_id": w.d, "license_id": w.license_d, "rule": "pending_over_days", "days": 45, "interval_minutes": 5})).await;

        let other = AppState::new(
            Db::connect(&server.db_url).await.expect("second replica"),
            ServerConfig {
                clock: clock.clone(),
                reclaim_tick: Duration::from_secs(24 * 3600),
                ..ServerConfig::default()
            },
        );
        clock.advance(TimeDelta::minutes(6));
        let (a, b) = tokio::join!(
            seatdesk_server::reclaim::run_due(&server.state),
            seatdesk_server::reclaim::run_due(&other)
        );
        let reports: Vec<ReclaimReport> = a.unwrap().into_iter().chain(b.unwrap()).collect();
        let mut policies: Vec<i64> = reports.iter().map(|r| r.policy_id).collect();
        policies.sort_unstable();
        assert_eq!(
            policies,
            vec![wide, narrow],
            "{backend:?}: each due run once"
        );
        let mut all: Vec<i64> = reports
            .iter()
            .flat_map(|r| r.freed.iter().map(|c| c.seat_id))
            .collect();
        all.sort_unstable();
        let mut expected = seats.clone();
        expected.sort_unstable();
        assert_eq!(
            all, expected,
            "{backend:?}: every candidate freed, each once"
        );
        let events: i64 = scalar(
            &server,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'seat.revoke'",
        )
        .await;
        let distinct: i64 = scalar(
            &server,
            "SELECT COUNT(DISTINCT target_id) FROM audit_events WHERE action = 'seat.revoke'",
        )
        .await;
        assert_eq!(
            (events, distinct),
            (seats.len() as i64, seats.len() as i64),
            "{backend:?}"
        );
        let freed_total: i64 = scalar(
            &server,
            "SELECT CAST(SUM(seats_freed) AS BIGINT) FROM reclaim_policies",
        )
        .await;
        assert_eq!(freed_total, seats.len() as i64, "{backend:?}");
        assert_eq!(
            scalar(&server, "SELECT COUNT(*) FROM reclaim_runs").await,
            2,
            "{backend:?}"
        );
        server.assert_counts_match_rows().await;

        // Two manual runs of one policy at once: each seat freed by one.
        let mut more = Vec::new();
        for i in 0..30 {
            let (id, _) = seat(&server, w.d, w.license_d, &format!("late{i}")).await;
            set_seat_time(&server, id, "assigned_at", t0 - days(50)).await;
            more.push(id);
        }
        let path = format!("/v1/reclaim/policies/{wide}/run");
        let empty = json!({});
        let (first, second) = tokio::join!(
            server.admin.post(&path, &empty),
            server.admin.post(&path, &empty)
        );
        let mut freed_now: Vec<i64> = Vec::new();
        for reply in [first, second] {
            assert_eq!(reply.status, StatusCode::OK, "{backend:?}: {}", reply.body);
            let report: ReclaimReport = serde_json::from_value(reply.body).unwrap();
            freed_now.extend(report.freed.iter().map(|c| c.seat_id));
        }
        freed_now.sort_unstable();
        assert_eq!(
            freed_now, more,
            "{backend:?}: each seat freed by one of the runs"
        );
        let events: i64 = scalar(
            &server,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'seat.revoke'",
        )
        .await;
        assert_eq!(events, (seats.len() + more.len()) as i64, "{backend:?}");
        server.assert_counts_match_rows().await;
        other.db.pool.close().await;
    }
}

#[tokio::test]
async fn bad_input_is_refused_and_writes_nothing() {
    for backend in backends() {
        let t0 = t0();
        let clock = Clock::manual(t0);
        let server = start(backend, &clock).await;
        let w = build_world(&server, t0).await;
        let org_admin = server.client_for(Role::OrgAdmin, w.d).await;
        let reporter = server.client_for(Role::Reporter, w.d).await;
        let before = server.audit_count().await;
        let base = json!({"name": "Idle", "org_id": w.d, "rule": "unused_over_days", "days": 90});
        let with = |change: Value| {
            let mut body = base.clone();
            for (k, v) in change.as_object().unwrap() {
                if v.is_null() {
                    body.as_object_mut().unwrap().remove(k);
                } else {
                    body[k] = v.clone();
                }
            }
            body
        };
        for (why, client, body, status) in [
            (
                "unknown org",
                &server.admin,
                with(json!({"org_id": 987654321})),
                StatusCode::NOT_FOUND,
            ),
            (
                "org outside the token's subtree",
                &org_admin,
                with(json!({"org_id": w.e})),
                StatusCode::NOT_FOUND,
            ),
            (
                "unknown product",
                &server.admin,
                with(json!({"product_id": 987654321})),
                StatusCode::NOT_FOUND,
            ),
            (
                "license outside the org",
                &server.admin,
                with(json!({"license_id": w.license_d, "org_id": w.e})),
                StatusCode::NOT_FOUND,
            ),
            (
                "days missing",
                &server.admin,
                with(json!({"days": null})),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                "days for archived",
                &server.admin,
                with(json!({"rule": "archived_user"})),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                "days zero",
                &server.admin,
                with(json!({"days": 0})),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                "interval too short",
                &server.admin,
                with(json!({"interval_minutes": 4})),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                "interval too long",
                &server.admin,
                with(json!({"interval_minutes": 10081})),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                "blank name",
                &server.admin,
                with(json!({"name": "   "})),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                "unknown field",
                &server.admin,
                with(json!({"owner": "me"})),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                "unknown rule",
                &server.admin,
                with(json!({"rule": "old_seats"})),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            ("a reporter", &reporter, base.clone(), StatusCode::FORBIDDEN),
        ] {
            let reply = client.post("/v1/reclaim/policies", &body).await;
            assert_eq!(reply.status, status, "{backend:?} {why}: {}", reply.body);
        }
        // Malformed JSON.
        let reply = server
            .admin
            .http
            .post(format!("{}/v1/reclaim/policies", server.url))
            .bearer_auth(&server.admin.token)
            .header("content-type", "application/json")
            .body("{\"name\": \"Idle\", ")
            .send()
            .await
            .unwrap();
        assert!(
            reply.status().is_client_error(),
            "{backend:?}: {}",
            reply.status()
        );
        // Seen: empty, oversized, and by nobody.
        let reply = org_admin
            .post("/v1/seats/seen", &json!({"seat_ids": []}))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend:?}"
        );
        let many: Vec<i64> = (1..=20_001).collect();
        let reply = org_admin
            .post("/v1/seats/seen", &json!({"seat_ids": many}))
            .await;
        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{backend:?}");
        let anonymous = crate::helpers::Client::new(&server.url, "sd_not_a_token");
        let reply = anonymous
            .post("/v1/seats/seen", &json!({"seat_ids": [w.idle]}))
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        // Unknown policies, and a policy outside the token's subtree.
        let sibling = policy(
            &server,
            json!({"name": "South", "org_id": w.e, "rule": "archived_user"}),
        )
        .await;
        for path in [
            "/v1/reclaim/policies/987654321/run".to_string(),
            format!("/v1/reclaim/policies/{sibling}/run"),
            format!("/v1/reclaim/policies/{sibling}/pause"),
        ] {
            let reply = org_admin.post(&path, &json!({})).await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{backend:?} {path}");
        }
        let reply = org_admin
            .get(&format!("/v1/reclaim/policies/{sibling}/runs"))
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        let reply = reporter
            .post(&format!("/v1/reclaim/policies/{sibling}/run"), &json!({}))
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        // Whole numbers may come as `2.0` (JSON Schema's integers do).
        let listed: Page<Value> = server
            .admin
            .get_ok(&format!("/v1/reclaim/policies?org_id={}.0&limit=5.0", w.e))
            .await;
        assert_eq!(listed.items.len(), 1, "{backend:?}");
        let reply = server.admin.get("/v1/reclaim/policies?limit=0.0").await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend:?}"
        );
        let reply = server.admin.get("/v1/reclaim/summary?org_id=1.5").await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{backend:?}");
        let reply = server.admin.get("/v1/reclaim/policies?cursor=zz").await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        let listed: Page<Value> = org_admin.get_ok("/v1/reclaim/policies").await;
        assert!(
            listed.items.is_empty(),
            "{backend:?}: the sibling's policy is not visible"
        );

        assert_eq!(
            scalar(&server, "SELECT COUNT(*) FROM reclaim_policies").await,
            1,
            "{backend:?}: only the sibling's policy"
        );
        assert_eq!(server.audit_count().await - before, 1, "{backend:?}");
        assert_eq!(scalar(&server, "SELECT COUNT(*) FROM seat_uses").await, 0);
        assert_eq!(
            scalar(&server, "SELECT COUNT(*) FROM reclaim_runs").await,
            0
        );
    }
}

/// Every file of the shipped OneRoster sample, by name.
fn sample_roster() -> std::collections::BTreeMap<String, String> {
    let dir = format!(
        "{}/../../assets/oneroster/sample",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let text = std::fs::read_to_string(entry.path()).unwrap();
            (entry.file_name().to_string_lossy().to_string(), text)
        })
        .collect()
}

async fn status_changed(server: &TestServer, sourced_id: &str) -> (String, Option<Stamp>) {
    seatdesk_server::db::query_as(
        "SELECT status, status_changed_at FROM users WHERE sourced_id = $1",
    )
    .bind(sourced_id)
    .fetch_one(&server.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn every_status_change_path_stamps_when_it_happened() {
    for backend in backends() {
        let clock = Clock::manual(t0());
        let server = start(backend, &clock).await;
        let mut files = sample_roster();
        let imported = server
            .admin
            .post(
                "/v1/imports/oneroster",
                &json!({"files": files, "dry_run": false}),
            )
            .await;
        assert_eq!(imported.status, StatusCode::OK, "{}", imported.body);
        assert_eq!(
            status_changed(&server, "usr-tch-0002").await,
            ("active".to_string(), None)
        );

        // A full import that disables one teacher and drops another.
        let before = Stamp::now();
        let users: Vec<String> = files["users.csv"]
            .lines()
            .filter(|line| !line.starts_with("usr-tch-0001,"))
            .map(|line| {
                if line.starts_with("usr-tch-0002,") {
                    line.replacen(",,,true,", ",,,false,", 1)
                } else {
                    line.to_string()
                }
            })
            .collect();
        files.insert("users.csv".into(), users.join("\n") + "\n");
        let imported = server
            .admin
            .post(
                "/v1/imports/oneroster",
                &json!({"files": files, "dry_run": false}),
            )
            .await;
        assert_eq!(imported.status, StatusCode::OK, "{}", imported.body);
        let (status, at) = status_changed(&server, "usr-tch-0002").await;
        assert_eq!(status, "suspended", "{backend:?}");
        assert!(at.is_some_and(|at| at >= before), "{backend:?}: {at:?}");
        let (status, at) = status_changed(&server, "usr-tch-0001").await;
        assert_eq!(status, "archived", "{backend:?}");
        assert!(at.is_some_and(|at| at >= before), "{backend:?}: {at:?}");
        assert_eq!(
            status_changed(&server, "usr-tch-0003").await.1,
            None,
            "{backend:?}: unchanged"
        );

        // Re-importing the same roster changes no status, and no stamp.
        let stamped = status_changed(&server, "usr-tch-0002").await.1;
        let imported = server
            .admin
            .post(
                "/v1/imports/oneroster",
                &json!({"files": files, "dry_run": false}),
            )
            .await;
        assert_eq!(imported.status, StatusCode::OK);
        assert_eq!(
            status_changed(&server, "usr-tch-0002").await.1,
            stamped,
            "{backend:?}"
        );

        // The API: a change of something else keeps the stamp.
        let id: i64 = seatdesk_server::db::query_scalar(
            "SELECT id FROM users WHERE sourced_id = 'usr-tch-0002'",
        )
        .fetch_one(&server.db.pool)
        .await
        .unwrap();
        let reply = server
            .admin
            .send(
                Method::PATCH,
                &format!("/v1/users/{id}"),
                Some(&json!({"given_name": "Renamed"})),
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(
            status_changed(&server, "usr-tch-0002").await.1,
            stamped,
            "{backend:?}"
        );
        // A status change through the API moves it (from a day ago here).
        seatdesk_server::db::query("UPDATE users SET status_changed_at = $1 WHERE id = $2")
            .bind(Stamp::at(before.0 - days(1)))
            .bind(id)
            .execute(&server.db.pool)
            .await
            .unwrap();
        set_user_status(&server, id, "active").await;
        let (status, at) = status_changed(&server, "usr-tch-0002").await;
        assert_eq!(status, "active");
        assert!(at.is_some_and(|at| at >= before), "{backend:?}: {at:?}");
    }
}

#[tokio::test]
async fn the_demo_has_policies_with_seats_to_reclaim_and_the_dry_run_agrees() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        seatdesk_server::demo::load(&server.db, 3000, chrono::Utc::now().date_naive())
            .await
            .expect("demo load");
        let summary: ReclaimSummary = server.admin.get_ok("/v1/reclaim/summary").await;
        assert_eq!(summary.policies.len(), 3, "{backend:?}");
        assert!(summary.reclaimable > 0, "{backend:?}: {summary:?}");
        let running: i64 = summary
            .policies
            .iter()
            .filter(|p| !p.paused)
            .map(|p| p.candidates)
            .sum();
        assert!(
            summary.reclaimable <= running,
            "{backend:?}: each seat once"
        );
        for p in &summary.policies {
            let report: ReclaimReport = server
                .admin
                .post_ok(
                    &format!("/v1/reclaim/policies/{}/run?dry_run=true", p.policy_id),
                    &json!({}),
                )
                .await;
            assert_eq!(
                (report.freed.len() + report.refused.len()) as i64 + report.remaining,
                p.candidates,
                "{backend:?} {}: the dry run and the summary count the same seats",
                p.name
            );
        }
    }
}
