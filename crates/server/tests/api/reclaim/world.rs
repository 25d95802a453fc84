//! The reclaim stories' fixture: a manual clock, an org tree with seats of
//! known ages and holders, and the calls the stories repeat.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use reqwest::{Method, StatusCode};
use seatdesk_core::api::reclaim::ReclaimReport;
use seatdesk_server::ServerConfig;
use seatdesk_server::clock::Clock;
use seatdesk_server::db::types::Stamp;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestServer, account, org};

/// A server whose policies run on `clock` and whose own scheduler stays
/// out of the way (the tests call `run_due` themselves).
pub async fn start(backend: Backend, clock: &Clock) -> TestServer {
    let config = ServerConfig {
        clock: clock.clone(),
        reclaim_tick: Duration::from_secs(24 * 3600),
        webhook_allow_private: true,
        ..ServerConfig::default()
    };
    TestServer::start_with(backend, config).await
}

/// The instant the fixture is built at (the API stamps real time; the
/// manual clock starts here).
pub fn t0() -> DateTime<Utc> {
    Stamp::now().0
}

pub fn days(n: i64) -> TimeDelta {
    TimeDelta::days(n)
}

/// Sets `column` (an instant) of seat `id`.
pub async fn set_seat_time(server: &TestServer, id: i64, column: &str, at: DateTime<Utc>) {
    seatdesk_server::db::query(format!("UPDATE seats SET {column} = $1 WHERE id = $2"))
        .bind(Stamp::at(at))
        .bind(id)
        .execute(&server.db.pool)
        .await
        .unwrap();
}

/// The org tree and seats of the rule stories. District `d` (the policies'
/// org) with school `s` below it; district `e` beside it holding a license
/// of the same product.
pub struct World {
    pub d: i64,
    pub e: i64,
    pub product: i64,
    pub license_d: i64,
    /// Pending, assigned 40 days before t0.
    pub pending_old: i64,
    /// Pending, assigned at t0.
    pub pending_new: i64,
    /// Pending 40 days on a student edition, its teacher with students.
    pub pending_blocked: i64,
    /// Active, claimed 100 days before t0, never seen.
    pub idle: i64,
    /// Active, claimed 100 days before t0, seen 5 days before t0.
    pub seen_recently: i64,
    /// Active, claimed 100 days before t0, seen 95 days before t0.
    pub seen_long_ago: i64,
    /// Active, its user suspended at t0.
    pub suspended: i64,
    /// Active, its user archived at t0.
    pub archived: i64,
    /// In the sibling district: pending 40 days, idle 100 days.
    pub sibling_pending: i64,
    pub sibling_idle: i64,
}

pub async fn license_of(server: &TestServer, account: i64, product: i64, order: &str) -> i64 {
    let license: Value = server
        .admin
        .post_ok(
            "/v1/licenses",
            &json!({"account_id": account, "product_id": product, "order_number": order,
                    "inventory_type": "seat_pool", "seats_purchased": 50,
                    "start_date": "2020-01-01", "finish_date": "2099-12-31", "grace_days": 30}),
        )
        .await;
    license["id"].as_i64().unwrap()
}

pub async fn product_of(server: &TestServer, sku: &str, edition: &str) -> i64 {
    let product: Value = server
        .admin
        .post_ok(
            "/v1/products",
            &json!({"sku": sku, "name": format!("ConnectED {sku}"), "family": "ConnectED",
                    "edition": edition, "module": "none"}),
        )
        .await;
    product["id"].as_i64().unwrap()
}

/// A pending seat of `license` for a new user of `org`.
pub async fn seat(server: &TestServer, org: i64, license: i64, name: &str) -> (i64, i64) {
    let user = server
        .insert_user(org, &format!("{name}@reclaim.example"), "teacher")
        .await;
    let claim: Value = server
        .admin
        .post_ok(
            "/v1/seats",
            &json!({"license_id": license, "user_id": user}),
        )
        .await;
    (claim["id"].as_i64().unwrap(), user)
}

pub async fn claimed(server: &TestServer, org: i64, license: i64, name: &str) -> (i64, i64) {
    let (id, user) = seat(server, org, license, name).await;
    let reply = server
        .admin
        .post(&format!("/v1/seats/{id}/claim"), &json!({}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    (id, user)
}

pub async fn set_user_status(server: &TestServer, user: i64, status: &str) {
    let reply = server
        .admin
        .send(
            Method::PATCH,
            &format!("/v1/users/{user}"),
            Some(&json!({"status": status})),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

/// Archives a user in the database only: archiving through the API (or a
/// roster import) revokes the user's seats itself, so an archived user's
/// live seat is one that revocation refused or that was archived by other
/// means (hand-written SQL, data from before), which the rule is for.
pub async fn archive_behind_the_api(server: &TestServer, user: i64, at: DateTime<Utc>) {
    seatdesk_server::db::query(
        "UPDATE users SET status = 'archived', status_changed_at = $1 WHERE id = $2",
    )
    .bind(Stamp::at(at))
    .bind(user)
    .execute(&server.db.pool)
    .await
    .unwrap();
}

pub async fn build_world(server: &TestServer, t0: DateTime<Utc>) -> World {
    let root = server.root_org;
    let d = org(server, root, "district", "North District").await;
    let s = org(server, d, "school", "North High").await;
    let e = org(server, root, "district", "South District").await;
    let product = product_of(server, "RC-TEACH", "teacher").await;
    let student = product_of(server, "RC-STUDENT", "student").await;
    let (acct_d, acct_s, acct_e) = (
        account(server, d).await,
        account(server, s).await,
        account(server, e).await,
    );
    let license_d = license_of(server, acct_d, product, "ORD-D").await;
    let license_s = license_of(server, acct_s, product, "ORD-S").await;
    let license_q = license_of(server, acct_d, student, "ORD-Q").await;
    let license_e = license_of(server, acct_e, product, "ORD-E").await;

    let (pending_old, _) = seat(server, s, license_d, "pending-old").await;
    set_seat_time(server, pending_old, "assigned_at", t0 - days(40)).await;
    let (pending_new, _) = seat(server, s, license_d, "pending-new").await;
    let (pending_blocked, _) = seat(server, s, license_q, "blocked-teacher").await;
    set_seat_time(server, pending_blocked, "assigned_at", t0 - days(40)).await;
    seatdesk_server::db::query("UPDATE seats SET students_assigned = 2 WHERE id = $1")
        .bind(pending_blocked)
        .execute(&server.db.pool)
        .await
        .unwrap();

    let mut idle_seats = Vec::new();
    for name in ["idle", "seen-recently", "seen-long-ago"] {
        let (id, _) = claimed(server, s, license_s, name).await;
        set_seat_time(server, id, "assigned_at", t0 - days(101)).await;
        set_seat_time(server, id, "claimed_at", t0 - days(100)).await;
        idle_seats.push(id);
    }
    let (suspended, suspended_user) = claimed(server, s, license_d, "suspended").await;
    // Created long ago, suspended now: the rule measures from the change.
    seatdesk_server::db::query("UPDATE users SET created_at = $1 WHERE id = $2")
        .bind(Stamp::at(t0 - days(200)))
        .bind(suspended_user)
        .execute(&server.db.pool)
        .await
        .unwrap();
    set_user_status(server, suspended_user, "suspended").await;
    let (archived, archived_user) = claimed(server, s, license_d, "archived").await;
    archive_behind_the_api(server, archived_user, t0).await;

    let (sibling_pending, _) = seat(server, e, license_e, "sibling-pending").await;
    set_seat_time(server, sibling_pending, "assigned_at", t0 - days(40)).await;
    let (sibling_idle, sibling_user) = claimed(server, e, license_e, "sibling-idle").await;
    set_seat_time(server, sibling_idle, "assigned_at", t0 - days(101)).await;
    set_seat_time(server, sibling_idle, "claimed_at", t0 - days(100)).await;
    archive_behind_the_api(server, sibling_user, t0).await;

    World {
        d,
        e,
        product,
        license_d,
        pending_old,
        pending_new,
        pending_blocked,
        idle: idle_seats[0],
        seen_recently: idle_seats[1],
        seen_long_ago: idle_seats[2],
        suspended,
        archived,
        sibling_pending,
        sibling_idle,
    }
}

/// Creates a policy; returns its id.
pub async fn policy(server: &TestServer, body: Value) -> i64 {
    let created: Value = server.admin.post_ok("/v1/reclaim/policies", &body).await;
    created["id"].as_i64().unwrap()
}

pub async fn dry_run(server: &TestServer, id: i64) -> ReclaimReport {
    server
        .admin
        .post_ok(
            &format!("/v1/reclaim/policies/{id}/run?dry_run=true"),
            &json!({}),
        )
        .await
}

pub fn freed(report: &ReclaimReport) -> BTreeSet<i64> {
    report.freed.iter().map(|c| c.seat_id).collect()
}

pub fn set(ids: &[i64]) -> BTreeSet<i64> {
    ids.iter().copied().collect()
}
