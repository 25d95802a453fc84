//! Webhooks: signed deliveries of matching events, retries with backoff,
//! the test ping, and validation.

use std::time::{Duration, Instant};

use seatdesk_core::api::webhooks::{CreatedWebhook, Webhook};
use seatdesk_server::ServerConfig;
use seatdesk_server::webhooks::sign;
use serde_json::{Value, json};

use crate::helpers::{TestServer, backends, start_receiver, wait_for};

fn fast_config() -> ServerConfig {
    ServerConfig {
        webhook_tick: Duration::from_millis(50),
        webhook_backoff: Duration::from_millis(100),
        webhook_max_attempts: 3,
        webhook_allow_private: true,
        ..ServerConfig::default()
    }
}

#[tokio::test]
async fn matching_events_are_delivered_signed_and_retried() {
    for backend in backends() {
        let server = TestServer::start_with(backend, fast_config()).await;
        let fx = server.license_fixture(5, "teacher").await;
        let (url, receiver) = start_receiver(2).await;
        let created: CreatedWebhook = server
            .admin
            .post_ok(
                "/v1/webhooks",
                &json!({"url": url, "events": ["seat.revoke"]}),
            )
            .await;
        let user = server
            .insert_user(fx.org_id, "hooked@w.example", "teacher")
            .await;
        let seat: Value = server
            .admin
            .post_ok(
                "/v1/seats",
                &json!({"license_id": fx.license_id, "user_id": user}),
            )
            .await;
        server
            .admin
            .post_ok::<Value>("/v1/seats/revoke", &json!({"seat_ids": [seat["id"]]}))
            .await;

        // Two 500s, then success: three attempts of the one matching event.
        wait_for("timed out waiting for deliveries", || {
            receiver.received.lock().unwrap().len() >= 3
        })
        .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let received = receiver.received.lock().unwrap().clone();
        assert_eq!(
            received.len(),
            3,
            "{backend:?}: seat.assign is not subscribed; seat.revoke retried twice"
        );
        let (headers, body) = &received[2];
        assert_eq!(headers["seatdesk-event"], "seat.revoke");
        let signature = headers[sign::HEADER].to_str().unwrap();
        let now = chrono::Utc::now().timestamp();
        assert!(
            sign::verify(&created.secret, signature, body.as_bytes(), now, 300),
            "valid signature"
        );
        assert!(!sign::verify("wrong", signature, body.as_bytes(), now, 300));
        let event: Value = serde_json::from_str(body).unwrap();
        assert_eq!(event["target_id"], seat["id"]);
        assert_eq!(event["after"]["status"], "revoked");

        let hooks: Vec<Webhook> = server.admin.get_ok("/v1/webhooks").await;
        assert_eq!(hooks[0].last_status.as_deref(), Some("delivered 204"));
        let deliveries: Value = server
            .admin
            .get_ok(&format!("/v1/webhooks/{}/deliveries", created.webhook.id))
            .await;
        assert_eq!(deliveries["items"][0]["attempts"], 3);
        assert_eq!(deliveries["items"][0]["status"], "delivered");
    }
}

#[tokio::test]
async fn failing_endpoints_give_up_after_max_attempts_and_ping_reports() {
    for backend in backends() {
        let server = TestServer::start_with(backend, fast_config()).await;
        let fx = server.license_fixture(5, "teacher").await;
        let (url, receiver) = start_receiver(100).await;
        let created: CreatedWebhook = server
            .admin
            .post_ok("/v1/webhooks", &json!({"url": url, "events": ["seat"]}))
            .await;
        let user = server
            .insert_user(fx.org_id, "fail@w.example", "teacher")
            .await;
        server
            .admin
            .post_ok::<Value>(
                "/v1/seats",
                &json!({"license_id": fx.license_id, "user_id": user}),
            )
            .await;
        let id = created.webhook.id;
        let admin = server.admin.clone();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let page: Value = admin.get_ok(&format!("/v1/webhooks/{id}/deliveries")).await;
            if page["items"][0]["status"] == "failed" {
                assert_eq!(page["items"][0]["attempts"], 3);
                assert_eq!(page["items"][0]["last_status_code"], 500);
                break;
            }
            assert!(Instant::now() < deadline, "delivery never gave up: {page}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(receiver.received.lock().unwrap().len(), 3);

        let ping: Value = server
            .admin
            .post_ok(&format!("/v1/webhooks/{id}/test"), &json!({}))
            .await;
        assert_eq!(ping["delivered"], false);
        assert_eq!(ping["status_code"], 500);
        let (ok_url, _) = start_receiver(0).await;
        let good: CreatedWebhook = server
            .admin
            .post_ok("/v1/webhooks", &json!({"url": ok_url, "events": ["*"]}))
            .await;
        let ping: Value = server
            .admin
            .post_ok(
                &format!("/v1/webhooks/{}/test", good.webhook.id),
                &json!({}),
            )
            .await;
        assert_eq!(ping["delivered"], true);
        // A dead endpoint reports the connection error, not a 500.
        let dead: CreatedWebhook = server
            .admin
            .post_ok(
                "/v1/webhooks",
                &json!({"url": "http://127.0.0.1:9/hook", "events": ["*"]}),
            )
            .await;
        let ping: Value = server
            .admin
            .post_ok(
                &format!("/v1/webhooks/{}/test", dead.webhook.id),
                &json!({}),
            )
            .await;
        assert_eq!(ping["delivered"], false);
        assert!(ping["error"].as_str().unwrap().len() > 5);
    }
}

#[tokio::test]
async fn registration_is_validated_and_scoped() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let fx = server.license_fixture(1, "teacher").await;
        for (body, why) in [
            (
                json!({"url": "http://example.com/hook", "events": ["*"]}),
                "plain http off loopback",
            ),
            (json!({"url": "ftp://x", "events": ["*"]}), "not http"),
            (
                json!({"url": "http://localhost:80@evil.example/h", "events": ["*"]}),
                "credentials smuggling a host",
            ),
            (
                json!({"url": "http://127.0.0.1.evil.example/h", "events": ["*"]}),
                "a look-alike host",
            ),
            (
                json!({"url": "https://x.example/h", "events": []}),
                "no events",
            ),
            (
                json!({"url": "https://x.example/h", "events": ["Seat Revoke"]}),
                "bad event",
            ),
        ] {
            let reply = server.admin.post("/v1/webhooks", &body).await;
            assert_eq!(
                reply.status,
                reqwest::StatusCode::UNPROCESSABLE_ENTITY,
                "{why}"
            );
        }
        let district = server
            .client_for(seatdesk_core::Role::OrgAdmin, fx.org_id)
            .await;
        let reply = district
            .post(
                "/v1/webhooks",
                &json!({"url": "https://x.example/h", "events": ["*"], "org_id": server.root_org}),
            )
            .await;
        assert_eq!(
            reply.status,
            reqwest::StatusCode::NOT_FOUND,
            "a district cannot hook its parent"
        );
        let reporter = server
            .client_for(seatdesk_core::Role::Reporter, fx.org_id)
            .await;
        assert_eq!(
            reporter.get("/v1/webhooks").await.status,
            reqwest::StatusCode::FORBIDDEN
        );
        let created: CreatedWebhook = district
            .post_ok(
                "/v1/webhooks",
                &json!({"url": "https://x.example/h", "events": ["seat"]}),
            )
            .await;
        assert!(created.secret.starts_with("whsec_"));
        let gone: Webhook = serde_json::from_value(
            district
                .send(
                    reqwest::Method::DELETE,
                    &format!("/v1/webhooks/{}", created.webhook.id),
                    None,
                    None,
                )
                .await
                .body,
        )
        .unwrap();
        assert!(!gone.active);
        // Deleted means gone: its deliveries are no longer served.
        let deliveries = district
            .get(&format!("/v1/webhooks/{}/deliveries", created.webhook.id))
            .await;
        assert_eq!(deliveries.status, reqwest::StatusCode::NOT_FOUND);
    }
}

/// Server-side request forgery: by default a webhook may not point at this
/// host, a private network or the link-local metadata address, by address
/// or by a name that resolves there; `webhook_allow_private` lets it.
#[tokio::test]
async fn private_targets_are_refused_unless_the_server_allows_them() {
    let backend = backends()[0];
    let server = TestServer::start_with(backend, ServerConfig::default()).await;
    let (receiver_url, _receiver) = start_receiver(0).await;
    let head_before = server.admin.get("/v1/webhooks").await.body;
    for url in [
        receiver_url.as_str(),
        "https://127.0.0.1/hook",
        "https://[::1]/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.7/hook",
        "https://localhost/hook",
    ] {
        let reply = server
            .admin
            .post("/v1/webhooks", &json!({"url": url, "events": ["*"]}))
            .await;
        assert_eq!(
            reply.status,
            reqwest::StatusCode::UNPROCESSABLE_ENTITY,
            "{url}: {}",
            reply.body
        );
        assert!(
            reply.body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("--webhook-allow-private"),
            "{url}: {}",
            reply.body
        );
    }
    assert_eq!(
        server.admin.get("/v1/webhooks").await.body,
        head_before,
        "nothing registered"
    );

    // The same receiver is fine on a server that allows private targets.
    let open = TestServer::start(backend).await;
    let created: CreatedWebhook = open
        .admin
        .post_ok(
            "/v1/webhooks",
            &json!({"url": receiver_url, "events": ["*"]}),
        )
        .await;
    let tested: Value = open
        .admin
        .post_ok(
            &format!("/v1/webhooks/{}/test", created.webhook.id),
            &json!({}),
        )
        .await;
    assert_eq!(tested["delivered"], true, "{tested}");
}
