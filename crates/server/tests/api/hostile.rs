//! Hostile input the databases would disagree on: a NUL character (U+0000)
//! in a query, a path or a JSON string is refused with 422 on both backends
//! and changes nothing.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{self, TestServer, org};

#[tokio::test]
async fn a_nul_character_anywhere_is_refused_and_changes_nothing() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let district = org(&server, server.root_org, "district", "Nul District").await;
        let before = server.audit_count().await;
        let admin = &server.admin;

        let reply = admin.get("/v1/users?q=a%00b").await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend:?} {}",
            reply.body
        );
        assert!(reply.body["detail"].as_str().unwrap().contains("U+0000"));
        let reply = admin.get("/v1/orgs/%00").await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend:?}"
        );

        for body in [
            json!({"org_id": district, "email": "a\u{0}b@x.example", "given_name": "A", "family_name": "B", "kind": "teacher"}),
            json!({"org_id": district, "email": "ok@x.example", "given_name": "A\u{0}", "family_name": "B", "kind": "teacher"}),
        ] {
            let reply = admin.post("/v1/users", &body).await;
            assert_eq!(
                reply.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{backend:?} {}",
                reply.body
            );
        }
        let reply = admin
            .post(
                "/v1/orgs",
                &json!({"parent_id": server.root_org, "kind": "district", "name": "Bad\u{0}Name"}),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend:?}"
        );

        // The six characters \u0000 as text are not a NUL: accepted.
        let reply = admin
            .post(
                "/v1/orgs",
                &json!({"parent_id": server.root_org, "kind": "district", "name": "Literal \\u0000 District"}),
            )
            .await;
        assert!(reply.status.is_success(), "{backend:?} {}", reply.body);
        assert_eq!(
            server.audit_count().await,
            before + 1,
            "{backend:?}: only the literal name was written"
        );
        // A refusal that echoes a large input still arrives as a whole
        // problem document.
        for size in [1_000, 100_000, 400_000] {
            let reply = admin
                .post("/v1/licenses/1/allocations", &json!(["x".repeat(size)]))
                .await;
            assert!(reply.status.is_client_error(), "{backend:?} {size}");
            assert!(
                reply.body["type"].is_string(),
                "{backend:?} {size}: {}",
                reply.body
            );
        }
        let users = admin.get("/v1/users?limit=100").await;
        assert!(
            users.body["items"].as_array().unwrap().is_empty(),
            "{backend:?}: no user was created"
        );
    }
}
