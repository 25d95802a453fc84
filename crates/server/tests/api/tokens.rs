//! The token lifecycle over real HTTP: listing (never a secret), expiry by
//! default per role, revocation and rotation refused at once, each change
//! an audit event, and only within the caller's subtree and rank.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use seatdesk_core::Role;
use seatdesk_server::db::types::Stamp;
use serde_json::{Value, json};

use crate::helpers::{self, Client, TestServer, org};

#[tokio::test]
async fn tokens_are_listed_expire_and_are_revoked_and_rotated_at_once() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let d = org(&server, server.root_org, "district", "Token District").await;
        let made: Value = server
            .admin
            .post_ok(
                "/v1/tokens",
                &json!({"name": "ci", "role": "reporter", "org_id": d}),
            )
            .await;
        let id = made["id"].as_i64().unwrap();
        let secret = made["secret"].as_str().unwrap().to_string();
        let ci = Client::new(&server.url, &secret);
        assert_eq!(ci.get("/v1/me").await.status, StatusCode::OK);

        // Listed with its org, expiry (reporter: 365 days) and last use.
        let mut listed = Value::Null;
        for _ in 0..50 {
            let all: Value = server.admin.get_ok("/v1/tokens").await;
            listed = all
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["id"] == id)
                .cloned()
                .unwrap();
            if !listed["last_used_at"].is_null() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(listed["org_name"], "Token District", "{listed}");
        assert!(!listed["last_used_at"].is_null(), "{backend:?} {listed}");
        assert!(listed.get("secret").is_none() && !listed.to_string().contains(&secret));
        let expires: chrono::DateTime<chrono::Utc> =
            serde_json::from_value(listed["expires_at"].clone()).unwrap();
        let days = (expires - chrono::Utc::now()).num_days();
        assert!((364..=365).contains(&days), "{days}");
        let short: Value = server
            .admin
            .post_ok(
                "/v1/tokens",
                &json!({"name": "short", "role": "system_admin", "org_id": d, "expires_in_days": 1}),
            )
            .await;
        assert_eq!(short["role"], "system_admin");
        let reply = server
            .admin
            .post(
                "/v1/tokens",
                &json!({"name": "never", "role": "reporter", "org_id": d, "expires_in_days": 0}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);

        // A district admin sees its subtree only, and cannot touch a token
        // above its rank nor one outside its subtree.
        let district_admin = server.client_for(Role::OrgAdmin, d).await;
        let seen: Value = district_admin.get_ok("/v1/tokens").await;
        assert!(
            seen.as_array().unwrap().iter().all(|t| t["org_id"] == d),
            "{seen}"
        );
        let short_id = short["id"].as_i64().unwrap();
        let reply = district_admin
            .send(
                Method::DELETE,
                &format!("/v1/tokens/{short_id}"),
                None,
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
        let root_token: i64 =
            seatdesk_server::db::query_scalar("SELECT id FROM tokens WHERE name = 'root'")
                .fetch_one(&server.db.pool)
                .await
                .unwrap();
        let reply = district_admin
            .send(
                Method::DELETE,
                &format!("/v1/tokens/{root_token}"),
                None,
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);

        // Rotation: a new secret works, the old one is refused at once.
        let before = server.audit_count().await;
        let rotated = district_admin
            .send(Method::POST, &format!("/v1/tokens/{id}/rotate"), None, None)
            .await;
        assert_eq!(rotated.status, StatusCode::CREATED, "{}", rotated.body);
        assert_eq!(ci.get("/v1/me").await.status, StatusCode::UNAUTHORIZED);
        let new_id = rotated.body["id"].as_i64().unwrap();
        let fresh = Client::new(&server.url, rotated.body["secret"].as_str().unwrap());
        let me: Value = fresh.get_ok("/v1/me").await;
        assert_eq!(me["token_name"], "ci");
        assert_eq!(me["role"], "reporter");

        // Revocation: refused at the next request.
        let revoked = district_admin
            .send(Method::DELETE, &format!("/v1/tokens/{new_id}"), None, None)
            .await;
        assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
        assert!(!revoked.body["revoked_at"].is_null());
        assert_eq!(fresh.get("/v1/me").await.status, StatusCode::UNAUTHORIZED);
        let again = district_admin
            .send(Method::DELETE, &format!("/v1/tokens/{new_id}"), None, None)
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert_eq!(server.audit_count().await, before + 2, "rotate and revoke");
        let actions: Vec<String> = seatdesk_server::db::query_scalar(
            "SELECT action FROM audit_events WHERE target_type = 'token' ORDER BY seq",
        )
        .fetch_all(&server.db.pool)
        .await
        .unwrap();
        assert!(actions.ends_with(&["token.rotate".to_string(), "token.revoke".to_string()]));

        // Expiry: a token past its time is refused.
        let mut conn = server.db.pool.acquire().await.unwrap();
        let (_, old) = seatdesk_server::tokens::insert_token_until(
            &mut conn,
            "old",
            Role::Reporter,
            d,
            Some(Stamp(chrono::Utc::now() - chrono::Duration::seconds(1))),
        )
        .await
        .unwrap();
        drop(conn);
        let reply = Client::new(&server.url, &old).get("/v1/me").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert!(reply.body["detail"].as_str().unwrap().contains("expired"));
    }
}
