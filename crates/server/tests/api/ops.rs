//! What a load balancer asks: `/readyz` is 200 when the database answers
//! and holds every migration this build expects, 503 otherwise.

use reqwest::StatusCode;

use seatdesk_server::http::metrics::MetricsToken;

use crate::helpers::{self, TestServer};

#[tokio::test]
async fn readyz_follows_the_database_schema() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let ready = server.admin.get("/readyz").await;
        assert_eq!(ready.status, StatusCode::OK, "{backend:?} {}", ready.body);
        assert_eq!(ready.body["status"], "ready");
        let expected = ready.body["migration_expected"].as_i64().unwrap();
        assert_eq!(ready.body["migration_applied"].as_i64(), Some(expected));

        // A database behind this build (its newest migration not applied).
        seatdesk_server::db::query("DELETE FROM _sqlx_migrations WHERE version = $1")
            .bind(expected)
            .execute(&server.db.pool)
            .await
            .unwrap();
        // (Straight through reqwest: the test client refuses any 5xx.)
        let behind = server
            .admin
            .http
            .get(format!("{}/readyz", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(
            behind.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "{backend:?}"
        );
        let problem: serde_json::Value = behind.json().await.unwrap();
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("this server expects {expected}")),
            "{problem}"
        );
        // Liveness is another question: the process still answers.
        assert_eq!(server.admin.get("/healthz").await.status, StatusCode::OK);
    }
}

/// `GET /metrics` on each backend: its database figures are read with the
/// same statements on SQLite and PostgreSQL, and agree with the database.
#[tokio::test]
async fn metrics_read_the_database_figures_on_each_backend() {
    for backend in helpers::backends() {
        let config = seatdesk_server::ServerConfig {
            metrics_token: Some(MetricsToken::new("ops-metrics")),
            ..Default::default()
        };
        let server = TestServer::start_with(backend, config).await;
        let scrape = server
            .admin
            .http
            .get(format!("{}/metrics", server.url))
            .bearer_auth("ops-metrics")
            .send()
            .await
            .unwrap();
        assert_eq!(scrape.status(), StatusCode::OK, "{backend:?}");
        let text = scrape.text().await.unwrap();
        let value = |name: &str| -> i64 {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
                .unwrap_or_else(|| panic!("{backend:?}: no {name} in\n{text}"))
                .parse()
                .unwrap()
        };
        let head = seatdesk_server::store::audit::feed_head(&server.db.pool)
            .await
            .unwrap();
        assert_eq!(value("seatdesk_feed_head"), head, "{backend:?}");
        assert_eq!(value(r#"seatdesk_webhook_deliveries{state="pending"}"#), 0);
        assert_eq!(value(r#"seatdesk_webhook_deliveries{state="failed"}"#), 0);
        assert_eq!(value("seatdesk_alerts_raised"), 0);
        assert!(value(r#"seatdesk_db_pool_connections{state="idle"}"#) >= 0);
        assert!(value("seatdesk_db_pool_max_connections") >= 1);
    }
}
