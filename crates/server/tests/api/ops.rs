//! What a load balancer asks: `/readyz` is 200 when the database answers
//! and holds every migration this build expects, 503 otherwise.

use reqwest::StatusCode;

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
