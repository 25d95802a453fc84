//! Alerts over real HTTP on every backend: licenses crossing expiry
//! thresholds, in grace and nearly full, leaked codes, threshold overrides,
//! scope, validation, and the sweeper raising each alert once as an audit
//! event that webhooks subscribed to `alert` receive.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use reqwest::StatusCode;
use seatdesk_core::Role;
use seatdesk_core::api::alerts::{AlertKind, AlertSeverity, AlertThresholds, Alerts};
use seatdesk_server::alerts::sweep::sweep;
use seatdesk_server::{AppState, Db, ServerConfig};
use serde_json::{Value, json};

use crate::helpers::{
    Backend, Client, TestServer, account, backends, days_from_today, license, org, product,
    several_servers, start_receiver, wait_for,
};

/// The dates of a license that started 400 days ago and finishes
/// `finish_in` days from today.
fn ending_in(finish_in: i64) -> (NaiveDate, NaiveDate) {
    (days_from_today(-400), days_from_today(finish_in))
}

/// Assigns `n` seats of `license` to new teachers of `org`.
async fn fill(server: &TestServer, org: i64, license: i64, n: usize) {
    for i in 0..n {
        let user = server
            .insert_user(org, &format!("t{i}-{license}@alerts.example"), "teacher")
            .await;
        let _: Value = server
            .admin
            .post_ok(
                "/v1/seats",
                &json!({"license_id": license, "user_id": user}),
            )
            .await;
    }
}

/// (kind, severity, license id, threshold days) of each alert, in order.
fn summary(alerts: &Alerts) -> Vec<(AlertKind, AlertSeverity, i64, Option<i64>)> {
    alerts
        .items
        .iter()
        .map(|a| (a.kind, a.severity, a.license_id, a.figures.threshold_days))
        .collect()
}

/// A district with licenses finishing in 10, 40, 80 and 200 days, one in
/// grace and one 95% full, and a second district with one license.
struct Scene {
    district: i64,
    other: i64,
    account: i64,
    in_10: i64,
    in_40: i64,
    in_80: i64,
    in_grace: i64,
    full_95: i64,
    other_in_5: i64,
}

async fn scene(server: &TestServer) -> Scene {
    let district = org(server, server.root_org, "district", "North District").await;
    let other = org(server, server.root_org, "district", "South District").await;
    let account = account(server, district).await;
    let other_account = crate::helpers::account(server, other).await;
    let product = product(server, "ALERT-1", "none", None).await;
    let in_10 = license(server, account, product, 10, ending_in(10), 30).await;
    let in_40 = license(server, account, product, 10, ending_in(40), 30).await;
    let in_80 = license(server, account, product, 10, ending_in(80), 30).await;
    license(server, account, product, 10, ending_in(200), 30).await;
    let in_grace = license(server, account, product, 10, ending_in(-5), 30).await;
    let full_95 = license(server, account, product, 20, ending_in(300), 30).await;
    fill(server, district, full_95, 19).await;
    let other_in_5 = license(server, other_account, product, 10, ending_in(5), 30).await;
    Scene {
        district,
        other,
        account,
        in_10,
        in_40,
        in_80,
        in_grace,
        full_95,
        other_in_5,
    }
}

#[tokio::test]
async fn licenses_are_listed_with_their_crossed_thresholds_and_severities() {
    use AlertKind::*;
    use AlertSeverity::*;
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let s = scene(&server).await;
        let path = format!("/v1/alerts?org_id={}", s.district);
        let alerts: Alerts = server.admin.get_ok(&path).await;
        assert_eq!(
            summary(&alerts),
            vec![
                (LicenseExpiring, Critical, s.in_10, Some(15)),
                (LicenseInGrace, Critical, s.in_grace, None),
                (PoolNearlyFull, Warning, s.full_95, None),
                (LicenseExpiring, Info, s.in_40, Some(60)),
                (LicenseExpiring, Info, s.in_80, Some(90)),
            ],
            "{backend:?}: {:#?}",
            alerts.items
        );
        assert!(!alerts.truncated);
        assert_eq!(alerts.thresholds.expiry_days, vec![90, 60, 30, 15]);
        let first = &alerts.items[0];
        assert_eq!(first.figures.remaining_days, Some(10));
        assert_eq!(first.org, "North District");
        assert_eq!(first.product, "ALERT-1");
        assert_eq!(first.account_id, s.account);
        assert!(first.message.contains("finishes in 10 days"), "{first:?}");
        assert_eq!(
            first.since.unwrap().date_naive(),
            days_from_today(10 - 15),
            "crossed 15 days before the finish date"
        );
        let grace = &alerts.items[1];
        assert_eq!(grace.figures.remaining_days, Some(-5));
        assert_eq!(grace.figures.grace_until, Some(days_from_today(25)));
        let pool = &alerts.items[2];
        assert_eq!(pool.figures.usage_percent, Some(95.0));
        assert_eq!(pool.figures.seats_used, Some(19));

        // The whole tree: the other district's license too.
        let all: Alerts = server.admin.get_ok("/v1/alerts").await;
        assert_eq!(all.items.len(), 6);
        assert!(all.items.iter().any(|a| a.license_id == s.other_in_5));
        // By account and by kind.
        let by_account: Alerts = server
            .admin
            .get_ok(&format!("/v1/alerts?account_id={}", s.account))
            .await;
        assert_eq!(by_account.items.len(), 5);
        let grace_only: Alerts = server
            .admin
            .get_ok("/v1/alerts?kind=license_in_grace")
            .await;
        assert_eq!(
            summary(&grace_only),
            vec![(LicenseInGrace, Critical, s.in_grace, None)]
        );
    }
}

#[tokio::test]
async fn query_parameters_override_the_thresholds() {
    use AlertKind::*;
    use AlertSeverity::*;
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let s = scene(&server).await;
        let path = format!(
            "/v1/alerts?org_id={}&expiry_days=45,20&usage_percent=96",
            s.district
        );
        let alerts: Alerts = server.admin.get_ok(&path).await;
        assert_eq!(
            summary(&alerts),
            vec![
                (LicenseExpiring, Critical, s.in_10, Some(20)),
                (LicenseInGrace, Critical, s.in_grace, None),
                (LicenseExpiring, Warning, s.in_40, Some(45)),
            ],
            "{backend:?}: 80 days is beyond 45; 95% is under 96%"
        );
        assert_eq!(alerts.thresholds.expiry_days, vec![45, 20]);
        assert_eq!(alerts.thresholds.usage_percent, 96.0);

        let path = format!(
            "/v1/alerts?org_id={}&kind=pool_nearly_full&usage_percent=95",
            s.district
        );
        let alerts: Alerts = server.admin.get_ok(&path).await;
        assert_eq!(
            summary(&alerts),
            vec![(PoolNearlyFull, Warning, s.full_95, None)]
        );
    }
}

#[tokio::test]
async fn alerts_are_scoped_validated_and_readable_by_reporters() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let s = scene(&server).await;
        let south = server.client_for(Role::Reporter, s.other).await;
        let alerts: Alerts = south.get_ok("/v1/alerts").await;
        let ids: Vec<i64> = alerts.items.iter().map(|a| a.license_id).collect();
        assert_eq!(ids, vec![s.other_in_5], "{backend:?}: only its own subtree");
        assert_eq!(alerts.items[0].figures.threshold_days, Some(15));

        let north = server.client_for(Role::Reporter, s.district).await;
        let alerts: Alerts = north.get_ok("/v1/alerts").await;
        assert_eq!(alerts.items.len(), 5);
        assert!(alerts.items.iter().all(|a| a.license_id != s.other_in_5));

        // Filters outside the scope, or unknown, are 404s.
        for path in [
            format!("/v1/alerts?org_id={}", s.district),
            format!("/v1/alerts?account_id={}", s.account),
            "/v1/alerts?org_id=987654".to_string(),
            "/v1/alerts?account_id=987654".to_string(),
        ] {
            let reply = south.get(&path).await;
            assert_eq!(
                reply.status,
                StatusCode::NOT_FOUND,
                "{path}: {}",
                reply.body
            );
        }
        // Bad thresholds and filters are problems, never 500s.
        for path in [
            "/v1/alerts?usage_percent=abc",
            "/v1/alerts?usage_percent=150",
            "/v1/alerts?usage_percent=0",
            "/v1/alerts?expiry_days=90,soon",
            "/v1/alerts?expiry_days=",
            "/v1/alerts?expiry_days=0",
            "/v1/alerts?fast_redemptions=0",
            "/v1/alerts?fast_window_minutes=-5",
            "/v1/alerts?kind=weather",
            "/v1/alerts?org_id=north",
        ] {
            let reply = server.admin.get(path).await;
            assert!(
                [StatusCode::BAD_REQUEST, StatusCode::UNPROCESSABLE_ENTITY].contains(&reply.status),
                "{path}: {} {}",
                reply.status,
                reply.body
            );
        }
        let anonymous = Client::new(&server.url, "sd_not-a-token");
        assert_eq!(
            anonymous.get("/v1/alerts").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
}

async fn code_of_new_batch(
    server: &TestServer,
    license: i64,
    users_per_code: i64,
) -> (i64, String) {
    let batch: Value = server
        .admin
        .post_ok(
            &format!("/v1/licenses/{license}/code-batches"),
            &json!({"count": 1, "users_per_code": users_per_code, "duration_days": 30}),
        )
        .await;
    let detail: Value = server
        .admin
        .get_ok(&format!("/v1/code-batches/{}", batch["id"]))
        .await;
    let code = &detail["codes"][0];
    (
        code["id"].as_i64().unwrap(),
        code["code"].as_str().unwrap().to_string(),
    )
}

async fn redeem_times(server: &TestServer, org: i64, code: &str, n: usize, tag: &str) {
    for i in 0..n {
        let email = format!("s{i}-{tag}@leak.example");
        server.insert_user(org, &email, "student").await;
        let reply = server
            .admin
            .post("/v1/redeem", &json!({"code": code, "email": email}))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    }
}

#[tokio::test]
async fn a_code_redeemed_fast_looks_leaked() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let fx = server.license_fixture(200, "student").await;
        let (leaked_id, leaked) = code_of_new_batch(&server, fx.license_id, 50).await;
        let (_, quiet) = code_of_new_batch(&server, fx.license_id, 50).await;
        redeem_times(&server, fx.org_id, &leaked, 25, "leaked").await;
        redeem_times(&server, fx.org_id, &quiet, 5, "quiet").await;
        let seats_with_code: i64 =
            seatdesk_server::db::query_scalar("SELECT COUNT(*) FROM seats WHERE code_id = $1")
                .bind(leaked_id)
                .fetch_one(&server.db.pool)
                .await
                .unwrap();
        assert_eq!(seats_with_code, 25, "redemption records the code");

        let alerts: Alerts = server
            .admin
            .get_ok("/v1/alerts?kind=code_redeemed_fast")
            .await;
        assert_eq!(alerts.items.len(), 1, "{backend:?}: {:#?}", alerts.items);
        let alert = &alerts.items[0];
        assert_eq!(alert.kind, AlertKind::CodeRedeemedFast);
        assert_eq!(alert.severity, AlertSeverity::Critical);
        assert_eq!(alert.code_id, Some(leaked_id));
        assert_eq!(alert.code.as_deref(), Some(leaked.as_str()));
        assert_eq!(alert.license_id, fx.license_id);
        assert_eq!(alert.figures.redemptions, Some(25));
        assert_eq!(alert.figures.threshold_redemptions, Some(20));
        assert!(alert.message.contains("may have leaked"));

        // A teacher's class code is meant to be redeemed by a whole class at once.
        let set_kind = |kind: &'static str| {
            seatdesk_server::db::query("UPDATE codes SET kind = $1 WHERE id = $2")
                .bind(kind.to_string())
                .bind(leaked_id)
                .execute(&server.db.pool)
        };
        set_kind("redemption").await.unwrap();
        let alerts: Alerts = server
            .admin
            .get_ok("/v1/alerts?kind=code_redeemed_fast")
            .await;
        assert!(
            alerts.items.is_empty(),
            "{backend:?}: only activation codes"
        );
        set_kind("activation").await.unwrap();

        // Under the threshold: no alert; a lower one catches the quiet code too.
        let alerts: Alerts = server
            .admin
            .get_ok("/v1/alerts?kind=code_redeemed_fast&fast_redemptions=25")
            .await;
        assert!(alerts.items.is_empty(), "25 is not more than 25");
        let alerts: Alerts = server
            .admin
            .get_ok("/v1/alerts?kind=code_redeemed_fast&fast_redemptions=4&fast_window_minutes=5")
            .await;
        assert_eq!(alerts.items.len(), 2);
        assert_eq!(alerts.items[0].figures.redemptions, Some(25), "most first");
        assert_eq!(alerts.items[1].figures.redemptions, Some(5));
        // Redemptions outside the window do not count.
        seatdesk_server::db::query(match backend {
            Backend::Sqlite => {
                "UPDATE seats SET assigned_at = assigned_at - 7200000 WHERE code_id = $1"
            }
            Backend::Postgres => {
                "UPDATE seats SET assigned_at = assigned_at - INTERVAL '2 hours' WHERE code_id = $1"
            }
        })
        .bind(leaked_id)
        .execute(&server.db.pool)
        .await
        .unwrap();
        let alerts: Alerts = server
            .admin
            .get_ok("/v1/alerts?kind=code_redeemed_fast")
            .await;
        assert!(alerts.items.is_empty(), "{backend:?}: window is 60 minutes");
        server.assert_counts_match_rows().await;
    }
}

fn sweeping_config() -> ServerConfig {
    ServerConfig {
        webhook_tick: Duration::from_millis(50),
        webhook_allow_private: true,
        alert_sweep: Duration::from_millis(100),
        alert_thresholds: AlertThresholds {
            fast_redemptions: 2,
            ..AlertThresholds::default()
        },
        ..ServerConfig::default()
    }
}

async fn alert_events(server: &TestServer) -> Vec<(String, String, i64, String)> {
    seatdesk_server::db::query_as(
        "SELECT action, target_type, target_id, actor FROM audit_events \
         WHERE action LIKE 'alert.%' ORDER BY seq",
    )
    .fetch_all(&server.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_sweeper_raises_each_alert_once_across_replicas_and_webhooks_get_it() {
    let _serial = several_servers().await;
    for backend in backends() {
        let server = TestServer::start_with(backend, sweeping_config()).await;
        // A second server process on the same database, sweeping too.
        let replica = seatdesk_server::spawn(
            AppState::new(
                Db::connect(&server.db_url).await.unwrap(),
                sweeping_config(),
            ),
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
        let (url, receiver) = start_receiver(0).await;
        let _: Value = server
            .admin
            .post_ok("/v1/webhooks", &json!({"url": url, "events": ["alert"]}))
            .await;
        let district = org(&server, server.root_org, "district", "Swept District").await;
        let account = account(&server, district).await;
        let product = product(&server, "SWEPT-1", "none", None).await;
        let soon = license(&server, account, product, 10, ending_in(10), 30).await;
        let lapsing = license(&server, account, product, 10, ending_in(-3), 30).await;
        // Three redemptions of one code; this server's limit is two.
        let fx = server.license_fixture(50, "student").await;
        let (code_id, code) = code_of_new_batch(&server, fx.license_id, 10).await;
        redeem_times(&server, fx.org_id, &code, 3, "swept").await;

        wait_for(&format!("{backend:?}: no alert delivered"), || {
            receiver.received.lock().unwrap().len() >= 3
        })
        .await;
        // Several more sweeps of both processes.
        tokio::time::sleep(Duration::from_millis(800)).await;
        let mut events = alert_events(&server).await;
        events.sort();
        let system = |action: &str, id: i64| {
            (
                action.to_string(),
                "license".to_string(),
                id,
                "system".to_string(),
            )
        };
        assert_eq!(
            events,
            vec![
                (
                    "alert.code_redeemed_fast".to_string(),
                    "code".to_string(),
                    code_id,
                    "system".to_string()
                ),
                system("alert.license_expiring", soon),
                system("alert.license_in_grace", lapsing),
            ],
            "{backend:?}: each alert raised once by one of the two processes"
        );
        let received = receiver.received.lock().unwrap().clone();
        assert_eq!(received.len(), 3, "{backend:?}: delivered once each");
        let mut actions: Vec<String> = received
            .iter()
            .map(|(h, _)| h["seatdesk-event"].to_str().unwrap().to_string())
            .collect();
        actions.sort();
        assert_eq!(
            actions,
            [
                "alert.code_redeemed_fast",
                "alert.license_expiring",
                "alert.license_in_grace"
            ]
        );
        let expiring = received
            .iter()
            .map(|(_, body)| serde_json::from_str::<Value>(body).unwrap())
            .find(|e| e["action"] == "alert.license_expiring")
            .unwrap();
        assert_eq!(expiring["target_id"], soon);
        assert_eq!(expiring["after"]["figures"]["threshold_days"], 15);
        assert_eq!(expiring["after"]["figures"]["remaining_days"], 10);

        // Another sweep finds nothing new to raise.
        let state = AppState::new(server.db.clone(), sweeping_config());
        assert_eq!(sweep(&state).await.unwrap(), 0, "{backend:?}");

        // A renewal moves the finish date: the new crossing is a new alert, once.
        seatdesk_server::db::query(
            "UPDATE licenses SET finish_date = $1, grace_until = $2 WHERE id = $3",
        )
        .bind(days_from_today(25))
        .bind(days_from_today(55))
        .bind(soon)
        .execute(&server.db.pool)
        .await
        .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while alert_events(&server).await.len() < 4 {
            assert!(Instant::now() < deadline, "{backend:?}: no new crossing");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let expiring_targets: Vec<i64> = seatdesk_server::db::query_scalar(
            "SELECT target_id FROM audit_events WHERE action = 'alert.license_expiring' ORDER BY seq",
        )
        .fetch_all(&server.db.pool)
        .await
        .unwrap();
        assert_eq!(expiring_targets, vec![soon, soon], "{backend:?}");
        let latest: seatdesk_server::db::types::JsonText<Value> =
            seatdesk_server::db::query_scalar(
                "SELECT after_json FROM audit_events WHERE action = 'alert.license_expiring' \
             ORDER BY seq DESC LIMIT 1",
            )
            .fetch_one(&server.db.pool)
            .await
            .unwrap();
        assert_eq!(latest.0["figures"]["threshold_days"], 30);
        assert_eq!(alert_events(&server).await.len(), 4);
        drop(replica);
    }
}
