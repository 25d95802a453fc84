//! Stored data that no code of ours writes (a status outside its
//! vocabulary, as a bad manual edit or a bug would leave it) is an error,
//! answered with a bare 500 and logged, never read as some default: a
//! restore does not guess `active`, a delivery listing does not guess
//! `pending`, an idempotent replay does not guess 200.

use reqwest::{Method, StatusCode};
use seatdesk_server::db::types::Stamp;
use serde_json::{Value, json};

use crate::helpers::{TestServer, backends, start_receiver};

/// A request the test client would refuse to see (it panics on 5xx):
/// status, content type and problem `type`.
async fn raw(
    server: &TestServer,
    method: Method,
    path: &str,
    body: &Value,
    idem: Option<&str>,
) -> (StatusCode, String, String) {
    let mut request = server
        .admin
        .http
        .request(method, format!("{}{path}", server.url))
        .bearer_auth(&server.admin.token);
    if !body.is_null() {
        request = request.json(body);
    }
    if let Some(key) = idem {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let kind = body["type"].as_str().unwrap_or_default().to_string();
    (status, content_type, kind)
}

fn assert_internal(answer: &(StatusCode, String, String)) {
    assert_eq!(
        (answer.0, answer.1.as_str(), answer.2.as_str()),
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "application/problem+json",
            "urn:seatdesk:problem:internal"
        )
    );
}

async fn exec(server: &TestServer, sql: &str, value: &str, id: i64) {
    seatdesk_server::db::query(sql.to_string())
        .bind(value)
        .bind(id)
        .execute(&server.db.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_revoked_seat_with_no_known_earlier_status_is_not_restored_as_active() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let fx = server.license_fixture(5, "teacher").await;
        let seats = server.assign_many(&fx, 1, "teacher").await;
        let _: Value = server
            .admin
            .post_ok("/v1/seats/revoke", &json!({"seat_ids": seats}))
            .await;
        exec(
            &server,
            "UPDATE seats SET status_before_revoke = $1 WHERE id = $2",
            "activ",
            seats[0],
        )
        .await;
        let answer = raw(
            &server,
            Method::POST,
            "/v1/seats/restore",
            &json!({"seat_ids": seats}),
            None,
        )
        .await;
        assert_internal(&answer);
        let status: String =
            seatdesk_server::db::query_scalar("SELECT status FROM seats WHERE id = $1")
                .bind(seats[0])
                .fetch_one(&server.db.pool)
                .await
                .unwrap();
        assert_eq!(status, "revoked", "nothing was restored");
    }
}

#[tokio::test]
async fn a_delivery_with_an_unknown_status_is_not_listed_as_pending() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let (url, _receiver) = start_receiver(0).await;
        let created: Value = server
            .admin
            .post_ok("/v1/webhooks", &json!({"url": url, "events": ["seat"]}))
            .await;
        let webhook = created["webhook"]["id"].as_i64().unwrap();
        seatdesk_server::db::query(
            "INSERT INTO webhook_deliveries (webhook_id, seq, action, status, attempts, \
             next_attempt_at, created_at) VALUES ($1, 1, 'seat.assign', 'exploded', 0, $2, $2)",
        )
        .bind(webhook)
        .bind(Stamp::now())
        .execute(&server.db.pool)
        .await
        .unwrap();
        let path = format!("/v1/webhooks/{webhook}/deliveries");
        assert_internal(&raw(&server, Method::GET, &path, &Value::Null, None).await);
    }
}

#[tokio::test]
async fn an_idempotent_replay_of_an_answer_with_a_bad_stored_status_is_an_error_not_a_200() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let body = json!({"parent_id": server.root_org, "kind": "district", "name": "Replayed"});
        let first = raw(&server, Method::POST, "/v1/orgs", &body, Some("k-1")).await;
        assert_eq!(first.0, StatusCode::CREATED);
        let again = raw(&server, Method::POST, "/v1/orgs", &body, Some("k-1")).await;
        assert_eq!(again.0, StatusCode::CREATED, "a sound replay");
        for bad in [0_i64, 302, 500, 70_000] {
            seatdesk_server::db::query(
                "UPDATE idempotency_keys SET status = $1 WHERE idem_key = $2",
            )
            .bind(bad)
            .bind("k-1")
            .execute(&server.db.pool)
            .await
            .unwrap();
            assert_internal(&raw(&server, Method::POST, "/v1/orgs", &body, Some("k-1")).await);
        }
    }
}
