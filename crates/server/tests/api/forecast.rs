//! Pool forecasts over real HTTP on every backend, from synthetic weekly
//! series with known answers: seats assigned (pending, never claimed),
//! revoked and expired in chosen past weeks, the dashboard's per-product,
//! total and per-license forecasts, and the `pool_full_forecast` alert,
//! listed and raised once by the sweeper.

use chrono::NaiveDate;
use seatdesk_core::api::Page;
use seatdesk_core::api::alerts::{AlertKind, AlertSeverity, AlertThresholds, Alerts};
use seatdesk_core::api::dashboard::Dashboard;
use seatdesk_core::api::inventory::License;
use seatdesk_core::seats::{week_index, week_start_ms};
use seatdesk_server::alerts::sweep::sweep;
use seatdesk_server::db::now_ms;
use seatdesk_server::db::types::Stamp;
use seatdesk_server::{AppState, ServerConfig};
use serde_json::{Value, json};

use crate::helpers::{
    TestServer, account, backends, days_from_today, license, org, product, scalar,
};

/// The current (partial) week.
fn this_week() -> i64 {
    week_index(now_ms())
}

/// Tuesday of the week `ago` weeks before this one.
fn in_week(ago: i64) -> Stamp {
    Stamp::try_from(week_start_ms(this_week() - ago) + 86_400_000).unwrap()
}

/// Assigns `per_week[i]` pending seats of `license` in the week
/// `per_week.len() - i` weeks ago (oldest first, last week last); returns
/// the seat ids of each week.
async fn take(server: &TestServer, org: i64, license: i64, per_week: &[i64]) -> Vec<Vec<i64>> {
    let mut weeks = Vec::new();
    for (i, n) in per_week.iter().enumerate() {
        let ago = (per_week.len() - i) as i64;
        let mut ids = Vec::new();
        for k in 0..*n {
            let user = server
                .insert_user(
                    org,
                    &format!("f{license}-{ago}-{k}@forecast.example"),
                    "teacher",
                )
                .await;
            let seat: Value = server
                .admin
                .post_ok(
                    "/v1/seats",
                    &json!({"license_id": license, "user_id": user}),
                )
                .await;
            ids.push(seat["id"].as_i64().unwrap());
        }
        move_to(server, "assigned_at", &ids, ago).await;
        weeks.push(ids);
    }
    weeks
}

/// Sets `column` of the seats `ids` to Tuesday `ago` weeks back.
async fn move_to(server: &TestServer, column: &str, ids: &[i64], ago: i64) {
    for id in ids {
        seatdesk_server::db::query(format!("UPDATE seats SET {column} = $1 WHERE id = $2"))
            .bind(in_week(ago))
            .bind(*id)
            .execute(&server.db.pool)
            .await
            .unwrap();
    }
}

fn after(days: i64) -> (NaiveDate, NaiveDate) {
    (days_from_today(-400), days_from_today(days))
}

#[tokio::test]
async fn the_dashboard_forecasts_each_product_and_the_total_from_net_weekly_flow() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let district = org(&server, server.root_org, "district", "Forecast District").await;
        let account = account(&server, district).await;
        let steady = product(&server, "FCAST-A", "none", None).await;
        let idle = product(&server, "FCAST-B", "none", None).await;
        // 8 seats a week for eight weeks, one of each week's revoked that
        // same week: 7 a week net, 56 held of 100, 44 free: 44 days.
        let a = license(&server, account, steady, 100, after(300), 30).await;
        let weeks = take(&server, district, a, &[8; 8]).await;
        for (i, ids) in weeks.iter().enumerate() {
            let _: Value = server
                .admin
                .post_ok("/v1/seats/revoke", &json!({"seat_ids": [ids[0]]}))
                .await;
            move_to(&server, "revoked_at", &ids[..1], 8 - i as i64).await;
        }
        // Seats only this week: no complete week of pace yet.
        let b = license(&server, account, idle, 50, after(300), 30).await;
        for k in 0..3 {
            let user = server
                .insert_user(district, &format!("now{k}@forecast.example"), "teacher")
                .await;
            let _: Value = server
                .admin
                .post_ok("/v1/seats", &json!({"license_id": b, "user_id": user}))
                .await;
        }

        let path = format!("/v1/dashboard?org_id={district}");
        let dashboard: Dashboard = server.admin.get_ok(&path).await;
        let by_sku = |sku: &str| {
            dashboard
                .products
                .iter()
                .find(|p| p.sku.as_deref() == Some(sku))
                .unwrap()
        };
        let steady_row = by_sku("FCAST-A");
        assert_eq!(steady_row.seats_available, 44, "{backend:?}");
        let f = steady_row.forecast.expect("a forecast");
        assert_eq!(f.full_in_days, Some(44), "{backend:?}: {f:?}");
        assert_eq!(f.full_on, Some(days_from_today(44)));
        assert_eq!(f.seats_per_day, 1.0);
        assert_eq!(f.weeks, 8);
        // The seats were assigned, never claimed: the activation trend is
        // empty while the pool fills.
        assert!(
            steady_row.activations_per_week.iter().all(|w| w.count == 0),
            "{backend:?}: pending seats are not activations"
        );
        let idle_row = by_sku("FCAST-B");
        let f = idle_row.forecast.expect("a forecast");
        assert_eq!(
            (f.full_in_days, f.seats_per_day),
            (None, 0.0),
            "{backend:?}"
        );
        assert_eq!(f.describe(), "not at this rate");
        // Totals: 44 + 47 free at one seat a day.
        let total = dashboard.totals.forecast.expect("a total forecast");
        assert_eq!(dashboard.totals.seats_available, 91);
        assert_eq!(total.full_in_days, Some(91), "{backend:?}");
        // Filtered to one product, the totals are that product's.
        let only_b: Dashboard = server
            .admin
            .get_ok(&format!("{path}&product_id={idle}"))
            .await;
        assert_eq!(only_b.totals.forecast.unwrap().full_in_days, None);
        // The wire form: absent when not at this rate.
        let raw: Value = server.admin.get_ok(&path).await;
        let products = raw["products"].as_array().unwrap();
        assert_eq!(products[0]["forecast"]["full_in_days"], 44);
        assert!(products[1]["forecast"].get("full_in_days").is_none());
        server.assert_counts_match_rows().await;
    }
}

/// Licenses of one product, each with a known forecast.
struct Scene {
    district: i64,
    /// Full in 26 days, finishing in 200: alert (warning).
    soon: i64,
    /// Full in 26 days but finishing in 20 first: no alert.
    finishes_first: i64,
    /// Full in 5 days, finishing in 10: alert (critical).
    very_soon: i64,
    /// Full in 44 days: beyond 30, no alert.
    later: i64,
    /// Full already: `pool_nearly_full`'s, not a forecast.
    full: i64,
    /// More seats freed than taken: not filling.
    draining: i64,
}

async fn scene(server: &TestServer) -> Scene {
    let district = org(server, server.root_org, "district", "Filling District").await;
    let account = account(server, district).await;
    let p = product(server, "FILL-1", "none", None).await;
    // First seats two weeks ago, 7 a week: one a day; 26 of 40 free.
    let soon = license(server, account, p, 40, after(200), 30).await;
    take(server, district, soon, &[7, 7]).await;
    let finishes_first = license(server, account, p, 40, after(20), 30).await;
    take(server, district, finishes_first, &[7, 7]).await;
    // First seats last week only: 7, one a day; 5 of 12 free.
    let very_soon = license(server, account, p, 12, after(10), 30).await;
    take(server, district, very_soon, &[7]).await;
    let later = license(server, account, p, 100, after(300), 30).await;
    take(server, district, later, &[7; 8]).await;
    let full = license(server, account, p, 10, after(301), 30).await;
    take(server, district, full, &[10]).await;
    // 14 taken three weeks ago (weight 6), 12 expired or revoked last week
    // (weight 8): 84 − 96 < 0.
    let draining = license(server, account, p, 30, after(302), 30).await;
    let weeks = take(server, district, draining, &[14, 0, 0]).await;
    for id in &weeks[0][..6] {
        let _: Value = server
            .admin
            .post_ok(&format!("/v1/seats/{id}/expire"), &json!({}))
            .await;
    }
    move_to(server, "expired_at", &weeks[0][..6], 1).await;
    let _: Value = server
        .admin
        .post_ok("/v1/seats/revoke", &json!({"seat_ids": &weeks[0][6..12]}))
        .await;
    move_to(server, "revoked_at", &weeks[0][6..12], 1).await;
    Scene {
        district,
        soon,
        finishes_first,
        very_soon,
        later,
        full,
        draining,
    }
}

#[tokio::test]
async fn licenses_forecast_full_within_30_days_and_before_their_finish_raise_an_alert() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let s = scene(&server).await;
        let alerts: Alerts = server
            .admin
            .get_ok(&format!(
                "/v1/alerts?org_id={}&kind=pool_full_forecast",
                s.district
            ))
            .await;
        let summary: Vec<(AlertKind, AlertSeverity, i64, Option<i64>)> = alerts
            .items
            .iter()
            .map(|a| (a.kind, a.severity, a.license_id, a.figures.full_in_days))
            .collect();
        use AlertKind::PoolFullForecast;
        assert_eq!(
            summary,
            vec![
                (
                    PoolFullForecast,
                    AlertSeverity::Critical,
                    s.very_soon,
                    Some(5)
                ),
                (PoolFullForecast, AlertSeverity::Warning, s.soon, Some(26)),
            ],
            "{backend:?}: {:#?}",
            alerts.items
        );
        let soon = &alerts.items[1];
        assert_eq!(soon.figures.full_on, Some(days_from_today(26)));
        assert_eq!(soon.figures.finish_date, Some(days_from_today(200)));
        assert_eq!(soon.figures.seats_available, Some(26));
        assert_eq!(soon.figures.seats_per_day, Some(1.0));
        assert!(
            soon.message.contains("will be full in ~26 days"),
            "{}",
            soon.message
        );
        // Listed with the others when no kind is asked for.
        let all: Alerts = server
            .admin
            .get_ok(&format!("/v1/alerts?org_id={}", s.district))
            .await;
        let forecast_ids: Vec<i64> = all
            .items
            .iter()
            .filter(|a| a.kind == PoolFullForecast)
            .map(|a| a.license_id)
            .collect();
        assert_eq!(forecast_ids, vec![s.very_soon, s.soon], "{backend:?}");
        assert!(
            all.items
                .iter()
                .any(|a| a.kind == AlertKind::PoolNearlyFull && a.license_id == s.full),
            "a full pool is nearly full, not forecast"
        );

        // The dashboard's attention list carries each license's forecast.
        let dashboard: Dashboard = server
            .admin
            .get_ok(&format!("/v1/dashboard?org_id={}", s.district))
            .await;
        let days_of = |id: i64| {
            dashboard
                .attention
                .iter()
                .find(|a| a.license_id == id)
                .and_then(|a| a.forecast)
                .and_then(|f| f.full_in_days)
        };
        assert_eq!(days_of(s.finishes_first), Some(26), "{backend:?}");
        assert_eq!(days_of(s.very_soon), Some(5));
        assert_eq!(days_of(s.full), Some(0));
        let product = &dashboard.products[0];
        // 26 + 26 + 5 + 44 + 0 + 28 free; Σ weights × net flows:
        // 7·(7+8)·2 + 7·8 + 7·36 + 10·8 + (14·6 − 12·8) = 586 over 36:
        // ceil(129 · 7 · 36 / 586) = 56 days.
        assert_eq!(product.seats_available, 129);
        let f = product.forecast.unwrap();
        assert_eq!(f.full_in_days, Some(56), "{backend:?}: {f:?}");
        // The licenses list and a single license carry their own forecast.
        let one: License = server
            .admin
            .get_ok(&format!("/v1/licenses/{}", s.soon))
            .await;
        let f = one.forecast.expect("a license forecast");
        assert_eq!((f.full_in_days, f.weeks), (Some(26), 2), "{backend:?}");
        let page: Page<License> = server.admin.get_ok("/v1/licenses?limit=100").await;
        let days = |id: i64| {
            page.items
                .iter()
                .find(|l| l.id == id)
                .and_then(|l| l.forecast)
                .map(|f| f.full_in_days)
        };
        assert_eq!(days(s.later), Some(Some(44)), "{backend:?}");
        assert_eq!(days(s.full), Some(Some(0)));
        assert_eq!(days(s.draining), Some(None), "not at this rate");
        assert_eq!(days(s.very_soon), Some(Some(5)));
        server.assert_counts_match_rows().await;
    }
}

#[tokio::test]
async fn the_sweeper_raises_a_forecast_once_and_again_after_a_top_up() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let s = scene(&server).await;
        let state = AppState::new(
            server.db.clone(),
            ServerConfig {
                alert_thresholds: AlertThresholds::default(),
                ..ServerConfig::default()
            },
        );
        let raised = |server: &TestServer| {
            let pool = server.db.pool.clone();
            async move {
                seatdesk_server::db::query_as::<(i64, String)>(
                    "SELECT target_id, actor FROM audit_events \
                     WHERE action = 'alert.pool_full_forecast' ORDER BY target_id, seq",
                )
                .fetch_all(&pool)
                .await
                .unwrap()
            }
        };
        sweep(&state).await.unwrap();
        let mut expected = vec![
            (s.soon, "system".to_string()),
            (s.very_soon, "system".to_string()),
        ];
        expected.sort();
        assert_eq!(raised(&server).await, expected, "{backend:?}");
        // Nothing new: nothing raised.
        sweep(&state).await.unwrap();
        assert_eq!(raised(&server).await.len(), 2, "{backend:?}: once");
        // A top-up of one seat: still full within 30 days, a new alert.
        seatdesk_server::db::query(
            "UPDATE licenses SET seats_purchased = seats_purchased + 1 WHERE id = $1",
        )
        .bind(s.soon)
        .execute(&server.db.pool)
        .await
        .unwrap();
        sweep(&state).await.unwrap();
        let events = raised(&server).await;
        assert_eq!(
            events.iter().filter(|(id, _)| *id == s.soon).count(),
            2,
            "{backend:?}: {events:?}"
        );
        let after: Value = serde_json::from_str(
            &seatdesk_server::db::query_scalar::<String>(
                "SELECT CAST(after_json AS TEXT) FROM audit_events \
                 WHERE action = 'alert.pool_full_forecast' ORDER BY seq DESC LIMIT 1",
            )
            .fetch_one(&server.db.pool)
            .await
            .unwrap(),
        )
        .unwrap();
        assert_eq!(after["figures"]["full_in_days"], 27, "{backend:?}: 27 free");
        assert_eq!(
            scalar(
                &server,
                "SELECT COUNT(*) FROM alert_marks WHERE kind = 'pool_full_forecast'"
            )
            .await,
            3
        );
    }
}
