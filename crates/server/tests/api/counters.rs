//! Seat counters (migration 0014, `store::counters`): after a random mix of
//! assignments, claims, expiries, bulk revocations, restores, claim-time
//! moves and concurrent assignments, every counter equals a full recount of
//! the seat rows, and the dashboard built from the counters shows exactly
//! the figures counted from the rows, whole and filtered, on every backend.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use seatdesk_core::api::dashboard::{ClaimCounts, Dashboard, ModuleUsers, TREND_WEEKS};
use seatdesk_core::seats::{week_index, week_start_ms};
use seatdesk_server::db::now_ms;
use seatdesk_server::db::types::Stamp;
use serde_json::{Value, json};

use crate::helpers::{
    Backend, TestServer, account, backends, days_from_today, license, org, product,
};

#[tokio::test]
async fn counters_equal_a_recount_after_random_operations() {
    for backend in backends() {
        story(backend).await;
    }
}

/// The seat rows of `filter` (SQL over `l`), counted as the dashboard used
/// to: per product and status, weekly claims, Learn/Observe users.
struct Counted {
    claims: BTreeMap<i64, ClaimCounts>,
    weeks: BTreeMap<i64, BTreeMap<i64, i64>>,
    modules: ModuleUsers,
}

async fn count_rows(server: &TestServer, filter: &str) -> Counted {
    let rows: Vec<(i64, String, i64)> = seatdesk_server::db::query_as(format!(
        "SELECT l.product_id, s.status, COUNT(*) FROM seats s JOIN licenses l ON l.id = s.license_id \
         WHERE {filter} GROUP BY l.product_id, s.status"
    ))
    .fetch_all(&server.db.pool)
    .await
    .unwrap();
    let mut claims: BTreeMap<i64, ClaimCounts> = BTreeMap::new();
    for (product, status, n) in rows {
        let entry = claims.entry(product).or_default();
        match status.as_str() {
            "pending" => entry.pending = n,
            "active" => entry.active = n,
            "expired" => entry.expired = n,
            "revoked" => entry.revoked = n,
            other => panic!("status {other}"),
        }
    }
    let claimed: Vec<(i64, Stamp)> = seatdesk_server::db::query_as(format!(
        "SELECT l.product_id, s.claimed_at FROM seats s JOIN licenses l ON l.id = s.license_id \
         WHERE s.claimed_at IS NOT NULL AND {filter}"
    ))
    .fetch_all(&server.db.pool)
    .await
    .unwrap();
    let mut weeks: BTreeMap<i64, BTreeMap<i64, i64>> = BTreeMap::new();
    for (product, at) in claimed {
        *weeks
            .entry(product)
            .or_default()
            .entry(week_index(at.millis()))
            .or_default() += 1;
    }
    let (learn, observe, combined): (i64, i64, i64) = seatdesk_server::db::query_as(format!(
        "SELECT CAST(COALESCE(SUM(learn), 0) AS BIGINT), CAST(COALESCE(SUM(observe), 0) AS BIGINT), \
         CAST(COALESCE(SUM(learn * observe), 0) AS BIGINT) FROM (SELECT s.user_id, \
         MAX(CASE WHEN p.module = 'learn' THEN 1 ELSE 0 END) AS learn, \
         MAX(CASE WHEN p.module = 'observe' THEN 1 ELSE 0 END) AS observe \
         FROM seats s JOIN licenses l ON l.id = s.license_id JOIN products p ON p.id = l.product_id \
         WHERE s.status IN ('pending', 'active') AND p.module IN ('learn', 'observe') AND {filter} \
         GROUP BY s.user_id) h"
    ))
    .fetch_one(&server.db.pool)
    .await
    .unwrap();
    Counted {
        claims,
        weeks,
        modules: ModuleUsers {
            learn,
            observe,
            combined,
        },
    }
}

/// The dashboard at `query` shows exactly what the rows of `filter` count.
async fn assert_dashboard(server: &TestServer, query: &str, filter: &str) {
    let dash: Dashboard = server.admin.get_ok(&format!("/v1/dashboard{query}")).await;
    let counted = count_rows(server, filter).await;
    assert_eq!(dash.module_users, counted.modules, "{query}: module users");
    let this_week = week_index(now_ms());
    for summary in &dash.products {
        let id = summary.product_id.unwrap();
        assert_eq!(
            summary.claims,
            counted.claims.get(&id).copied().unwrap_or_default(),
            "{query}: product {id} claims"
        );
        let expected: Vec<i64> = (this_week - TREND_WEEKS as i64 + 1..=this_week)
            .map(|w| {
                counted
                    .weeks
                    .get(&id)
                    .and_then(|weeks| weeks.get(&w))
                    .copied()
                    .unwrap_or(0)
            })
            .collect();
        let shown: Vec<i64> = summary
            .activations_per_week
            .iter()
            .map(|w| w.count)
            .collect();
        assert_eq!(shown, expected, "{query}: product {id} weekly claims");
    }
}

async fn story(backend: Backend) {
    let server = TestServer::start(backend).await;
    let north = org(&server, server.root_org, "district", "North").await;
    let south = org(&server, server.root_org, "district", "South").await;
    let (north_acct, south_acct) = (account(&server, north).await, account(&server, south).await);
    let learn = product(&server, "C-LEARN", "learn", None).await;
    let learn2 = product(&server, "C-LEARN-2", "learn", None).await;
    let observe = product(&server, "C-OBSERVE", "observe", None).await;
    let plain = product(&server, "C-PLAIN", "none", None).await;
    let dates = (
        NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
        days_from_today(300),
    );
    let licenses = [
        license(&server, north_acct, learn, 12, dates, 0).await,
        license(&server, north_acct, learn2, 6, dates, 0).await,
        license(&server, north_acct, observe, 10, dates, 0).await,
        license(&server, south_acct, learn, 8, dates, 0).await,
        license(&server, south_acct, plain, 9, dates, 0).await,
    ];
    let mut users = Vec::new();
    for n in 0..14 {
        let home = if n % 3 == 0 { south } else { north };
        let email = format!("c{n}@counters.example");
        users.push(server.insert_user(home, &email, "teacher").await);
    }

    let mut rng = StdRng::seed_from_u64(11);
    let mut seats: Vec<i64> = Vec::new();
    let this_week = week_index(now_ms());
    for step in 0..220 {
        match rng.random_range(0..10) {
            0..=3 => {
                let license = licenses[rng.random_range(0..licenses.len())];
                let user = users[rng.random_range(0..users.len())];
                let reply = server
                    .admin
                    .post(
                        "/v1/seats",
                        &json!({"license_id": license, "user_id": user}),
                    )
                    .await;
                // Full licenses and users already holding a seat are refused.
                if reply.status.is_success() {
                    seats.push(reply.body["id"].as_i64().unwrap());
                }
            }
            4 | 5 if !seats.is_empty() => {
                let seat = seats[rng.random_range(0..seats.len())];
                server
                    .admin
                    .post(&format!("/v1/seats/{seat}/claim"), &json!({}))
                    .await;
            }
            6 if !seats.is_empty() => {
                let seat = seats[rng.random_range(0..seats.len())];
                server
                    .admin
                    .post(&format!("/v1/seats/{seat}/expire"), &json!({}))
                    .await;
            }
            7 if !seats.is_empty() => {
                let picked: Vec<i64> = (0..rng.random_range(1..6))
                    .map(|_| seats[rng.random_range(0..seats.len())])
                    .collect();
                let _: Value = server
                    .admin
                    .post_ok("/v1/seats/revoke", &json!({"seat_ids": picked}))
                    .await;
            }
            8 if !seats.is_empty() => {
                let picked: Vec<i64> = (0..rng.random_range(1..4))
                    .map(|_| seats[rng.random_range(0..seats.len())])
                    .collect();
                let _: Value = server
                    .admin
                    .post_ok("/v1/seats/restore", &json!({"seat_ids": picked}))
                    .await;
            }
            _ if !seats.is_empty() => {
                // Claim times spread over the trend and beyond it, as
                // imports and older data have them.
                let seat = seats[rng.random_range(0..seats.len())];
                let week = this_week - rng.random_range(0..16);
                let at = week_start_ms(week) + rng.random_range(0..7 * 86_400_000);
                seatdesk_server::db::query(
                    "UPDATE seats SET claimed_at = $1 WHERE id = $2 AND claimed_at IS NOT NULL",
                )
                .bind(Stamp::try_from(at).unwrap())
                .bind(seat)
                .execute(&server.db.pool)
                .await
                .unwrap();
            }
            _ => {}
        }
        if step % 55 == 54 {
            server.assert_counts_match_rows().await;
        }
    }
    // Concurrent assignments of one license: counters stay exact.
    let spare = license(&server, north_acct, observe, 5, dates, 0).await;
    let racers: Vec<_> = users
        .iter()
        .map(|&user| {
            let admin = server.admin.clone();
            tokio::spawn(async move {
                admin
                    .post("/v1/seats", &json!({"license_id": spare, "user_id": user}))
                    .await
                    .status
                    .is_success()
            })
        })
        .collect();
    let mut winners = 0;
    for racer in racers {
        winners += i64::from(racer.await.unwrap());
    }
    assert_eq!(winners, 5, "5 free seats, 5 winners");
    server.assert_counts_match_rows().await;

    assert_dashboard(&server, "", "1 = 1").await;
    assert_dashboard(
        &server,
        &format!("?product_id={learn}"),
        &format!("l.product_id = {learn}"),
    )
    .await;
    assert_dashboard(
        &server,
        &format!("?account_id={north_acct}"),
        &format!("l.account_id = {north_acct}"),
    )
    .await;
    assert_dashboard(
        &server,
        &format!("?org_id={south}"),
        &format!("l.account_id = {south_acct}"),
    )
    .await;

    // A rebuild from the rows leaves the counters as they were.
    let mut conn = server.db.pool.acquire().await.unwrap();
    seatdesk_server::store::counters::rebuild(&mut conn)
        .await
        .unwrap();
    drop(conn);
    server.assert_counts_match_rows().await;
    assert_dashboard(&server, "", "1 = 1").await;
}
