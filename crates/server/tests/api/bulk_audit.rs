//! The audit rows a revocation writes: one per seat, in request order, with
//! gap-free seq numbers, and exactly the same text whether the seat came in
//! a bulk request or alone (the change feed and webhooks read this text;
//! compared as JSON, which PostgreSQL's `jsonb` keeps and SQLite's text is).

use seatdesk_core::Role;
use seatdesk_core::api::BulkResult;
use seatdesk_server::db::types::{JsonText, Stamp};
use serde_json::{Value, json};

use crate::helpers::{Client, TestServer, audit_head, backends};

/// One stored audit row, as the database holds it.
type Row = (
    i64,
    Stamp,
    String,
    String,
    String,
    i64,
    String,
    Option<JsonText<Value>>,
    Option<JsonText<Value>>,
    String,
);

async fn rows_after(server: &TestServer, seq: i64) -> Vec<Row> {
    seatdesk_server::db::query_as(
        "SELECT seq, at, actor, action, target_type, target_id, org_path, before_json, \
         after_json, request_id FROM audit_events WHERE seq > $1 ORDER BY seq",
    )
    .bind(seq)
    .fetch_all(&server.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn bulk_and_single_revocations_write_the_same_audit_text() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let fx = server.license_fixture(10, "teacher").await;
        // A token name that needs escaping inside JSON: quotes, a backslash,
        // a tab, a slash and non-ASCII text all end up in `revoked_by`.
        let name = "Zoë \"ops\" \\ desk\t/ 東京";
        let mut conn = server.db.pool.acquire().await.unwrap();
        let (_, secret) = seatdesk_server::tokens::insert_token(
            &mut conn,
            name,
            Role::SystemAdmin,
            server.root_org,
        )
        .await
        .unwrap();
        drop(conn);
        let client = Client::new(&server.url, &secret);
        let mut seats = Vec::new();
        let mut users = Vec::new();
        for i in 0..4 {
            let user = server
                .insert_user(fx.org_id, &format!("a{i}@audit.example"), "teacher")
                .await;
            let claim: Value = server
                .admin
                .post_ok(
                    "/v1/seats",
                    &json!({"license_id": fx.license_id, "user_id": user}),
                )
                .await;
            seats.push(claim["id"].as_i64().unwrap());
            users.push(user);
        }
        // One seat active, the others pending: before.status differs.
        server
            .admin
            .post_ok::<Value>(&format!("/v1/seats/{}/claim", seats[2]), &json!({}))
            .await;
        let org_path: String =
            seatdesk_server::db::query_scalar("SELECT org_path FROM licenses WHERE id = $1")
                .bind(fx.license_id)
                .fetch_one(&server.db.pool)
                .await
                .unwrap();

        // Bulk, in an order that is not id order, with a duplicate and an
        // unknown id that must write nothing.
        let start = audit_head(&server).await;
        let bulk_ids = [seats[2], seats[0], 999_999, seats[1], seats[0]];
        let result: BulkResult = client
            .post_ok("/v1/seats/revoke", &json!({"seat_ids": bulk_ids}))
            .await;
        assert_eq!((result.done, result.refused), (3, 2), "{result:?}");
        let bulk = rows_after(&server, start).await;
        assert_eq!(bulk.len(), 3, "one row per revoked seat");
        assert_eq!(
            audit_head(&server).await,
            start + 3,
            "the head moved by the rows"
        );

        // Alone: the same endpoint with one id, as one request per seat.
        let single_start = audit_head(&server).await;
        let one: BulkResult = client
            .post_ok("/v1/seats/revoke", &json!({"seat_ids": [seats[3]]}))
            .await;
        assert_eq!(one.done, 1);
        let single = rows_after(&server, single_start).await;
        assert_eq!(single.len(), 1);

        let actor = format!("token:{name}");
        let expected = |seat: i64, user: i64, before: &str, row: &Row| {
            let at = row.1;
            (
                row.0,
                at,
                actor.clone(),
                "seat.revoke".to_string(),
                "seat".to_string(),
                seat,
                org_path.clone(),
                Some(JsonText(
                    json!({"status": before, "license_id": fx.license_id, "user_id": user}),
                )),
                Some(JsonText(
                    json!({"status": "revoked", "license_id": fx.license_id, "user_id": user,
                           "revoked_at": at.millis(), "revoked_by": actor}),
                )),
                row.9.clone(),
            )
        };
        // Request order, consecutive seq numbers, one request id.
        let order = [(2, "active"), (0, "pending"), (1, "pending")];
        for (row, (k, before)) in bulk.iter().zip(order) {
            assert_eq!(
                *row,
                expected(seats[k], users[k], before, row),
                "{backend:?}"
            );
        }
        let seqs: Vec<i64> = bulk.iter().map(|r| r.0).collect();
        assert_eq!(seqs, vec![start + 1, start + 2, start + 3], "gap-free");
        assert!(bulk.iter().all(|r| r.9 == bulk[0].9 && r.1 == bulk[0].1));
        assert_eq!(
            single[0],
            expected(seats[3], users[3], "pending", &single[0])
        );
        assert_ne!(single[0].9, bulk[0].9, "each request has its own id");
        assert_eq!(single[0].0, start + 4);
        // The stored text parses back to what the feed serves.
        let after: &Value = &single[0].8.as_ref().unwrap().0;
        assert_eq!(after["revoked_by"], actor.as_str());
        server.assert_counts_match_rows().await;
    }
}

/// Past 64 ids the ids travel as one value (`json_each` / `unnest`): the
/// same refusals, results in request order, one row per revoked seat.
#[tokio::test]
async fn a_large_bulk_request_keeps_every_per_seat_answer() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let fx = server.license_fixture(150, "teacher").await;
        let other = server.license_fixture(2, "teacher").await;
        let seats = server.assign_many(&fx, 120, "teacher").await;
        let stranger = server
            .insert_user(other.org_id, "x@other.example", "teacher")
            .await;
        let foreign: Value = server
            .admin
            .post_ok(
                "/v1/seats",
                &json!({"license_id": other.license_id, "user_id": stranger}),
            )
            .await;
        let foreign = foreign["id"].as_i64().unwrap();
        // Revoke one first: it is then "already revoked".
        server
            .admin
            .post_ok::<BulkResult>("/v1/seats/revoke", &json!({"seat_ids": [seats[5]]}))
            .await;
        let district = server.client_for(Role::OrgAdmin, fx.org_id).await;
        let mut ids: Vec<i64> = seats.iter().rev().copied().collect();
        ids.extend([foreign, 999_999, seats[0]]);
        let start = audit_head(&server).await;
        let result: BulkResult = district
            .post_ok("/v1/seats/revoke", &json!({"seat_ids": ids}))
            .await;
        assert_eq!(result.results.len(), ids.len(), "one result per id");
        assert_eq!((result.done, result.refused), (119, 4), "{backend:?}");
        let reason = |i: usize| result.results[i].reason.clone().unwrap_or_default();
        let at = |id: i64| ids.iter().position(|&x| x == id).unwrap();
        assert!(reason(at(seats[5])).contains("already revoked"));
        assert!(reason(at(foreign)).contains("not found"), "out of scope");
        assert!(reason(at(999_999)).contains("not found"));
        assert!(reason(ids.len() - 1).contains("more than once"));
        assert!(result.results.iter().zip(&ids).all(|(r, id)| r.id == *id));
        let rows = rows_after(&server, start).await;
        let targets: Vec<i64> = rows.iter().map(|r| r.5).collect();
        let expected: Vec<i64> = seats
            .iter()
            .rev()
            .copied()
            .filter(|&s| s != seats[5])
            .collect();
        assert_eq!(targets, expected, "request order");
        let seqs: Vec<i64> = rows.iter().map(|r| r.0).collect();
        assert_eq!(seqs, ((start + 1)..=(start + 119)).collect::<Vec<_>>());
        let license: Value = server
            .admin
            .get_ok(&format!("/v1/licenses/{}", fx.license_id))
            .await;
        assert_eq!(license["seats"]["consumed"], 0);
        let foreign_claim: Value = server
            .admin
            .get_ok(&format!("/v1/claims?license_id={}", other.license_id))
            .await;
        assert_eq!(foreign_claim["items"][0]["status"], "pending");
        server.assert_counts_match_rows().await;
    }
}
