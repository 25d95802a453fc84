//! Seat assignment, bulk revocation, restore and the invariants around them,
//! over real HTTP on every configured backend.

use reqwest::StatusCode;
use seatdesk_core::Role;
use seatdesk_core::api::BulkResult;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestServer, backends};

#[tokio::test]
async fn hundred_concurrent_assignments_fill_exactly_the_free_seats() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let fx = server.license_fixture(10, "teacher").await;
        let mut users = Vec::new();
        for i in 0..120 {
            users.push(
                server
                    .insert_user(fx.org_id, &format!("t{i}@d.example"), "teacher")
                    .await,
            );
        }
        let before = server.audit_count().await;
        let tasks: Vec<_> = users
            .iter()
            .map(|&user| {
                let client = server.admin.clone();
                let body = json!({"license_id": fx.license_id, "user_id": user});
                tokio::spawn(async move { client.post("/v1/seats", &body).await })
            })
            .collect();
        let mut created = 0;
        let mut full = 0;
        for task in tasks {
            let reply = task.await.unwrap();
            match reply.status {
                StatusCode::CREATED => created += 1,
                StatusCode::CONFLICT => {
                    assert_eq!(reply.problem_kind(), "no-seats-left", "{}", reply.body);
                    assert!(
                        reply.body["detail"]
                            .as_str()
                            .unwrap()
                            .contains("no seats left")
                    );
                    full += 1;
                }
                other => panic!("{backend:?}: unexpected {other}: {}", reply.body),
            }
        }
        assert_eq!((created, full), (10, 110), "{backend:?}");
        server.assert_counts_match_rows().await;
        assert_eq!(
            server.audit_count().await - before,
            10,
            "one event per seat"
        );
        let license: Value = server
            .admin
            .get_ok(&format!("/v1/licenses/{}", fx.license_id))
            .await;
        assert_eq!(license["seats_available"], 0);
        assert_eq!(license["status"], "depleted");
    }
}

#[tokio::test]
async fn bulk_revoke_refuses_student_editions_with_students_and_does_the_rest() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let fx = server.license_fixture(8, "student").await;
        let seats = server.assign_many(&fx, 6, "teacher").await;
        // Two teachers still have students on the student edition.
        for (seat, students) in [(seats[1], 3), (seats[4], 1)] {
            seatdesk_server::db::query("UPDATE seats SET students_assigned = $1 WHERE id = $2")
                .bind(students)
                .bind(seat)
                .execute(&server.db.pool)
                .await
                .unwrap();
        }
        let other = server.license_fixture(2, "teacher").await;
        let foreign = server.assign_many(&other, 1, "teacher").await[0];
        let district_token = server.client_for(Role::OrgAdmin, fx.org_id).await;

        let before = server.audit_count().await;
        let mut ids = seats.clone();
        ids.extend([foreign, 999_999]);
        let result: BulkResult = district_token
            .post_ok("/v1/seats/revoke", &json!({"seat_ids": ids}))
            .await;
        assert_eq!((result.done, result.refused), (4, 4), "{result:?}");
        let reason = |id: i64| {
            result
                .results
                .iter()
                .find(|r| r.id == id)
                .unwrap()
                .reason
                .clone()
                .unwrap_or_default()
        };
        assert!(
            reason(seats[1]).contains("3 students assigned"),
            "{}",
            reason(seats[1])
        );
        assert!(
            reason(seats[1]).contains("teacher1-"),
            "names the teacher: {}",
            reason(seats[1])
        );
        assert!(reason(seats[4]).contains("1 student assigned"));
        assert!(
            reason(foreign).contains("not found"),
            "out of scope is not revealed"
        );
        assert!(reason(999_999).contains("not found"));
        assert_eq!(result.results.len(), 8, "one result per id, in order");
        assert_eq!(result.results[0].id, seats[0]);
        assert_eq!(
            server.audit_count().await - before,
            4,
            "one event per revoked seat"
        );
        server.assert_counts_match_rows().await;
        let license: Value = server
            .admin
            .get_ok(&format!("/v1/licenses/{}", fx.license_id))
            .await;
        assert_eq!(license["seats"]["consumed"], 2);
        let foreign_claim: Value = server
            .admin
            .get_ok(&format!("/v1/claims?license_id={}", other.license_id))
            .await;
        assert_eq!(
            foreign_claim["items"][0]["status"], "pending",
            "other district untouched"
        );

        // Revoking again refuses every id as already revoked, changing nothing.
        let again: BulkResult = district_token
            .post_ok("/v1/seats/revoke", &json!({"seat_ids": [seats[0]]}))
            .await;
        assert_eq!(again.refused, 1);
        assert!(
            again.results[0]
                .reason
                .as_deref()
                .unwrap()
                .contains("already revoked")
        );

        // Undo: restore puts the seats back as they were.
        let restored: BulkResult = district_token
            .post_ok(
                "/v1/seats/restore",
                &json!({"seat_ids": [seats[0], seats[2], seats[1]]}),
            )
            .await;
        assert_eq!((restored.done, restored.refused), (2, 1));
        let claim: Value = server
            .admin
            .get_ok(&format!(
                "/v1/claims?license_id={}&status=pending",
                fx.license_id
            ))
            .await;
        assert_eq!(claim["items"].as_array().unwrap().len(), 4);
        server.assert_counts_match_rows().await;
    }
}

#[tokio::test]
async fn restore_never_passes_the_seat_limit_or_the_window() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let fx = server.license_fixture(2, "teacher").await;
        let seats = server.assign_many(&fx, 2, "teacher").await;
        let revoked: BulkResult = server
            .admin
            .post_ok("/v1/seats/revoke", &json!({"seat_ids": seats}))
            .await;
        assert_eq!(revoked.done, 2);
        // Someone else takes one of the freed seats.
        server.assign_many(&fx, 1, "staff").await;
        let restored: BulkResult = server
            .admin
            .post_ok("/v1/seats/restore", &json!({"seat_ids": seats}))
            .await;
        assert_eq!((restored.done, restored.refused), (1, 1));
        assert!(
            restored.results[1]
                .reason
                .as_deref()
                .unwrap()
                .contains("no seats left")
        );
        server.assert_counts_match_rows().await;

        // Past the window nothing comes back.
        seatdesk_server::db::query("UPDATE seats SET revoked_at = $2 WHERE id = $1")
            .bind(seats[1])
            .bind(seatdesk_server::db::types::Stamp::try_from(0).unwrap())
            .execute(&server.db.pool)
            .await
            .unwrap();
        let late: BulkResult = server
            .admin
            .post_ok("/v1/seats/restore", &json!({"seat_ids": [seats[1]]}))
            .await;
        assert!(
            late.results[0]
                .reason
                .as_deref()
                .unwrap()
                .contains("can no longer be restored")
        );
        let other = server.license_fixture(3, "teacher").await;
        let seat = server.assign_many(&other, 1, "staff").await[0];
        server
            .admin
            .post_ok::<BulkResult>("/v1/seats/revoke", &json!({"seat_ids": [seat]}))
            .await;
        server
            .admin
            .post_ok::<Value>(
                &format!("/v1/licenses/{}/deactivate", other.license_id),
                &json!({}),
            )
            .await;
        let closed: BulkResult = server
            .admin
            .post_ok("/v1/seats/restore", &json!({"seat_ids": [seat]}))
            .await;
        assert!(
            closed.results[0]
                .reason
                .as_deref()
                .unwrap()
                .contains("deactivated"),
            "{closed:?}"
        );
    }
}

#[tokio::test]
async fn a_retried_mutation_with_the_same_key_changes_nothing_twice() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let fx = server.license_fixture(5, "teacher").await;
        let seats = server.assign_many(&fx, 3, "teacher").await;
        let body = json!({"seat_ids": seats});
        let before = server.audit_count().await;
        let first = server
            .admin
            .send(
                reqwest::Method::POST,
                "/v1/seats/revoke",
                Some(&body),
                Some("bulk-1"),
            )
            .await;
        let second = server
            .admin
            .send(
                reqwest::Method::POST,
                "/v1/seats/revoke",
                Some(&body),
                Some("bulk-1"),
            )
            .await;
        assert_eq!(first.status, StatusCode::OK);
        assert_eq!(first.body, second.body, "the retry gets the first answer");
        assert_eq!(first.body["done"], 3);
        assert_eq!(second.headers.get("idempotent-replayed").unwrap(), "true");
        assert_eq!(server.audit_count().await - before, 3);

        // Same key, different request: refused, nothing changed.
        let other = server
            .admin
            .send(
                reqwest::Method::POST,
                "/v1/seats/restore",
                Some(&body),
                Some("bulk-1"),
            )
            .await;
        assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(other.problem_kind(), "idempotency-key-reused");

        // Concurrent duplicates of one assignment: exactly one seat.
        let user = server
            .insert_user(fx.org_id, "dup@d.example", "teacher")
            .await;
        let body = json!({"license_id": fx.license_id, "user_id": user});
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (client, body) = (server.admin.clone(), body.clone());
                tokio::spawn(async move {
                    client
                        .send(
                            reqwest::Method::POST,
                            "/v1/seats",
                            Some(&body),
                            Some("assign-dup"),
                        )
                        .await
                })
            })
            .collect();
        let mut ids = std::collections::HashSet::new();
        for task in tasks {
            let reply = task.await.unwrap();
            if reply.status == StatusCode::CREATED {
                ids.insert(reply.body["id"].as_i64().unwrap());
            } else {
                assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);
            }
        }
        assert_eq!(ids.len(), 1);
        let live: i64 =
            seatdesk_server::db::query_scalar("SELECT COUNT(*) FROM seats WHERE user_id = $1")
                .bind(user)
                .fetch_one(&server.db.pool)
                .await
                .unwrap();
        assert_eq!(live, 1);
        server.assert_counts_match_rows().await;
    }
}

#[tokio::test]
async fn bad_input_gets_a_problem_and_changes_nothing() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let fx = server.license_fixture(3, "teacher").await;
        let seats = server.assign_many(&fx, 1, "teacher").await;
        let before = server.audit_count().await;
        let raw = |body: &'static str, path: &'static str, token: &'static str| {
            let url = format!("{}{path}", server.url);
            let http = server.admin.http.clone();
            let auth = if token == "admin" {
                format!("Bearer {}", server.admin.token)
            } else {
                token.to_string()
            };
            async move {
                let response = http
                    .post(url)
                    .header("content-type", "application/json")
                    .header("authorization", auth)
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let status = response.status();
                let content_type = response.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .to_string();
                (status, content_type, response.text().await.unwrap())
            }
        };
        let cases = [
            ("{\"seat_ids\": [1,", "/v1/seats/revoke", "admin", 400),
            ("{\"seat_ids\": \"all\"}", "/v1/seats/revoke", "admin", 422),
            (
                "{\"seat_ids\": [], \"extra\": 1}",
                "/v1/seats/revoke",
                "admin",
                422,
            ),
            ("{\"seat_ids\": []}", "/v1/seats/revoke", "admin", 422),
            (
                "{\"license_id\": \"x\", \"user_id\": 1}",
                "/v1/seats",
                "admin",
                422,
            ),
            (
                "{\"license_id\": 424242, \"user_id\": 1}",
                "/v1/seats",
                "admin",
                404,
            ),
            ("{\"seat_ids\": [1]}", "/v1/seats/revoke", "", 401),
            (
                "{\"seat_ids\": [1]}",
                "/v1/seats/revoke",
                "Bearer sd_nope",
                401,
            ),
            ("{\"seat_ids\": [1]}", "/v1/seats/revoke", "Basic abc", 401),
        ];
        for (body, path, token, expected) in cases {
            let (status, content_type, text) = raw(body, path, token).await;
            assert_eq!(
                status.as_u16(),
                expected,
                "{backend:?} {path} {body}: {text}"
            );
            assert_eq!(content_type, "application/problem+json");
            let problem: seatdesk_core::Problem = serde_json::from_str(&text).unwrap();
            assert!(!problem.detail.is_empty());
        }
        let huge: Vec<i64> = (1..=20_001).collect();
        let reply = server
            .admin
            .post("/v1/seats/revoke", &json!({"seat_ids": huge}))
            .await;
        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(reply.problem_kind(), "batch-too-large");
        let oversized = format!("{{\"seat_ids\": [{}1]}}", "1, ".repeat(1_000_000));
        let reply = server
            .admin
            .http
            .post(format!("{}/v1/seats/revoke", server.url))
            .bearer_auth(&server.admin.token)
            .header("content-type", "application/json")
            .body(oversized)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(reply.headers()["content-type"], "application/problem+json");
        let reply = server.admin.get("/v1/claims?status=pending,bogus").await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert!(reply.body["detail"].as_str().unwrap().contains("bogus"));
        let reply = server.admin.get("/v1/licenses/abc").await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        let reply = server.admin.get("/v1/claims?cursor=zz").await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        let reply = server.admin.get("/v1/nowhere").await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);

        assert_eq!(server.audit_count().await, before, "nothing changed");
        let status: String =
            seatdesk_server::db::query_scalar("SELECT status FROM seats WHERE id = $1")
                .bind(seats[0])
                .fetch_one(&server.db.pool)
                .await
                .unwrap();
        assert_eq!(status, "pending");
    }
}

#[tokio::test]
async fn claims_report_filters_sorts_and_pages() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let fx = server.license_fixture(30, "teacher").await;
        let seats = server.assign_many(&fx, 25, "teacher").await;
        for &seat in &seats[..10] {
            server
                .admin
                .post_ok::<Value>(&format!("/v1/seats/{seat}/claim"), &json!({}))
                .await;
        }
        server
            .admin
            .post_ok::<Value>(&format!("/v1/seats/{}/expire", seats[10]), &json!({}))
            .await;
        server
            .admin
            .post_ok::<BulkResult>(
                "/v1/seats/revoke",
                &json!({"seat_ids": [seats[11], seats[12]]}),
            )
            .await;

        let count = |query: String| {
            let client = server.admin.clone();
            async move {
                let mut total = 0;
                let mut cursor: Option<String> = None;
                loop {
                    let path = match &cursor {
                        Some(c) => format!("/v1/claims?{query}&limit=4&cursor={c}"),
                        None => format!("/v1/claims?{query}&limit=4"),
                    };
                    let page: Value = client.get_ok(&path).await;
                    total += page["items"].as_array().unwrap().len();
                    match page["next_cursor"].as_str() {
                        Some(next) => cursor = Some(next.to_string()),
                        None => break total,
                    }
                }
            }
        };
        assert_eq!(count("status=active".into()).await, 10);
        let active: Value = server
            .admin
            .get_ok("/v1/claims?status=active&limit=1")
            .await;
        assert_eq!(
            active["items"][0]["claimed_by"], "token:root",
            "who claimed it"
        );
        let expired: Value = server.admin.get_ok("/v1/claims?status=expired").await;
        assert_eq!(
            expired["items"][0]["expired_by"], "token:root",
            "who expired it"
        );
        let revoked: Value = server.admin.get_ok("/v1/claims?status=revoked").await;
        assert_eq!(
            revoked["items"][0]["revoked_by"], "token:root",
            "who revoked it"
        );
        assert_eq!(
            revoked["items"][0]["assigned_by"], "token:root",
            "who assigned it"
        );
        assert_eq!(count("status=pending".into()).await, 12);
        assert_eq!(count("status=expired,revoked".into()).await, 3);
        assert_eq!(count("status=active&status_ignored=1".into()).await, 10);
        assert_eq!(count(format!("license_id={}", fx.license_id)).await, 25);
        assert_eq!(
            count("q=TEACHER1".into()).await,
            11,
            "teacher1 and teacher10-19 minus none"
        );
        assert_eq!(count("sort=name".into()).await, 25);
        assert_eq!(
            count("q=%25".into()).await,
            0,
            "a % in the search is literal"
        );
        assert_eq!(count("q=_".into()).await, 0, "so is an underscore");
        assert_eq!(count("sort=claimed_at".into()).await, 25);
        assert_eq!(
            count("from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z".into()).await,
            0
        );

        // Name order is stable across pages and really sorted.
        let page: Value = server.admin.get_ok("/v1/claims?sort=name&limit=100").await;
        let names: Vec<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["user_name"].as_str().unwrap().to_lowercase())
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);

        let teachers: Value = server
            .admin
            .get_ok(&format!("/v1/licenses/{}/teachers", fx.license_id))
            .await;
        assert_eq!(
            teachers["items"].as_array().unwrap().len(),
            22,
            "live seats only"
        );
        let teachers: Value = server
            .admin
            .get_ok(&format!("/v1/licenses/{}/teachers?all=true", fx.license_id))
            .await;
        assert_eq!(teachers["items"].as_array().unwrap().len(), 25);
    }
}

#[tokio::test]
async fn a_dry_run_predicts_exactly_what_the_real_run_does_and_changes_nothing() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let fx = server.license_fixture(6, "student").await;
        let seats = server.assign_many(&fx, 5, "teacher").await;
        seatdesk_server::db::query("UPDATE seats SET students_assigned = 2 WHERE id = $1")
            .bind(seats[2])
            .execute(&server.db.pool)
            .await
            .unwrap();
        let mut ids = seats.clone();
        ids.push(424_242);
        let body = json!({"seat_ids": ids});
        let before = server.audit_count().await;
        let dry = server
            .admin
            .send(
                reqwest::Method::POST,
                "/v1/seats/revoke?dry_run=true",
                Some(&body),
                Some("dry-1"),
            )
            .await;
        assert_eq!(dry.status, StatusCode::OK);
        assert_eq!(dry.headers.get("seatdesk-dry-run").unwrap(), "true");
        assert_eq!(dry.body["done"], 4);
        assert_eq!(
            server.audit_count().await,
            before,
            "a dry run writes no events"
        );
        let license: Value = server
            .admin
            .get_ok(&format!("/v1/licenses/{}", fx.license_id))
            .await;
        assert_eq!(license["seats"]["consumed"], 5, "nothing revoked");
        // The same key still works for the real run: the dry run stored nothing.
        let real = server
            .admin
            .send(
                reqwest::Method::POST,
                "/v1/seats/revoke",
                Some(&body),
                Some("dry-1"),
            )
            .await;
        assert_eq!(
            real.body, dry.body,
            "the dry run predicted the real outcome item by item"
        );
        assert!(real.headers.get("seatdesk-dry-run").is_none());
        assert_eq!(server.audit_count().await - before, 4);
        let restore_dry: BulkResult = server
            .admin
            .post_ok(
                "/v1/seats/restore?dry_run=true",
                &json!({"seat_ids": seats}),
            )
            .await;
        assert_eq!((restore_dry.done, restore_dry.refused), (4, 1));
        let license: Value = server
            .admin
            .get_ok(&format!("/v1/licenses/{}", fx.license_id))
            .await;
        assert_eq!(license["seats"]["consumed"], 1);
        server.assert_counts_match_rows().await;
    }
}

#[tokio::test]
async fn a_teacher_is_released_once_their_students_leave() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let fx = server.license_fixture(10, "student").await;
        server
            .insert_user(fx.org_id, "teach@class.example", "teacher")
            .await;
        server
            .insert_user(fx.org_id, "kid@class.example", "student")
            .await;
        let license: Value = server
            .admin
            .get_ok(&format!("/v1/licenses/{}", fx.license_id))
            .await;
        let teacher: Value = server
            .admin
            .post_ok(
                "/v1/redeem",
                &json!({"code": license["master_code"], "email": "teach@class.example"}),
            )
            .await;
        let teacher_seat = teacher["seat"]["id"].as_i64().unwrap();
        let student: Value = server
            .admin
            .post_ok(
                "/v1/redeem",
                &json!({"code": teacher["redemption_code"], "email": "kid@class.example"}),
            )
            .await;
        let student_seat = student["seat"]["id"].as_i64().unwrap();
        let students = |server: &TestServer| {
            let pool = server.db.pool.clone();
            async move {
                seatdesk_server::db::query_scalar::<i64>(
                    "SELECT students_assigned FROM seats WHERE id = $1",
                )
                .bind(teacher_seat)
                .fetch_one(&pool)
                .await
                .unwrap()
            }
        };
        assert_eq!(students(&server).await, 1);
        let refused = server
            .admin
            .post(&format!("/v1/seats/{teacher_seat}/expire"), &json!({}))
            .await;
        assert_eq!(
            refused.status,
            StatusCode::CONFLICT,
            "expiring is refused like revoking"
        );
        assert!(
            refused.body["detail"]
                .as_str()
                .unwrap()
                .contains("1 student assigned")
        );
        let result: BulkResult = server
            .admin
            .post_ok("/v1/seats/revoke", &json!({"seat_ids": [student_seat]}))
            .await;
        assert_eq!(result.done, 1);
        assert_eq!(students(&server).await, 0, "the student's seat ended");
        let undo: BulkResult = server
            .admin
            .post_ok("/v1/seats/restore", &json!({"seat_ids": [student_seat]}))
            .await;
        assert_eq!(undo.done, 1);
        assert_eq!(
            students(&server).await,
            1,
            "restoring the student links them again"
        );
        server
            .admin
            .post_ok::<BulkResult>("/v1/seats/revoke", &json!({"seat_ids": [student_seat]}))
            .await;
        let result: BulkResult = server
            .admin
            .post_ok("/v1/seats/revoke", &json!({"seat_ids": [teacher_seat]}))
            .await;
        assert_eq!(result.done, 1, "{result:?}");
        server.assert_counts_match_rows().await;
    }
}

#[tokio::test]
async fn a_stored_value_that_does_not_parse_is_an_error_not_a_default() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let fx = server.license_fixture(2, "teacher").await;
        let seat = server.assign_many(&fx, 1, "teacher").await[0];
        // The test client fails on any 5xx; these requests expect one.
        let status = async |path: &str| {
            let admin = &server.admin;
            let url = format!("{}{path}", admin.base);
            let reply = admin.http.get(url).bearer_auth(&admin.token).send();
            reply.await.unwrap().status()
        };
        let path = format!("/v1/licenses/{}", fx.license_id);
        assert_eq!(status(&path).await, StatusCode::OK);
        // Once read as "deactivated" and 1970-01-01; now a refusal. (A
        // PostgreSQL `date` column refuses to store "not a date" at all.)
        let mut bad = vec![("status", "bogus")];
        if backend == Backend::Sqlite {
            bad.push(("finish_date", "not a date"));
        } else {
            let stored =
                seatdesk_server::db::query("UPDATE licenses SET finish_date = $1 WHERE id = $2")
                    .bind("not a date")
                    .bind(fx.license_id)
                    .execute(&server.db.pool)
                    .await;
            assert!(stored.is_err(), "PostgreSQL stored a date that is not one");
        }
        for (column, value) in bad {
            let original: String = seatdesk_server::db::query_scalar(format!(
                "SELECT CAST({column} AS TEXT) FROM licenses WHERE id = $1"
            ))
            .bind(fx.license_id)
            .fetch_one(&server.db.pool)
            .await
            .unwrap();
            let set = format!("UPDATE licenses SET {column} = $1 WHERE id = $2");
            seatdesk_server::db::query(set.clone())
                .bind(value)
                .bind(fx.license_id)
                .execute(&server.db.pool)
                .await
                .unwrap();
            assert_eq!(
                status(&path).await,
                StatusCode::INTERNAL_SERVER_ERROR,
                "{column}"
            );
            seatdesk_server::db::query(set)
                .bind(original)
                .bind(fx.license_id)
                .execute(&server.db.pool)
                .await
                .unwrap();
        }
        // A seat whose stored status is unknown is not shown as revoked.
        seatdesk_server::db::query("UPDATE seats SET status = 'lost' WHERE id = $1")
            .bind(seat)
            .execute(&server.db.pool)
            .await
            .unwrap();
        // The claims report walks one index range per known status (issue
        // 11), so it never reads that seat: it is left out, never listed
        // under another status.
        let claims = format!("/v1/claims?license_id={}", fx.license_id);
        let page: serde_json::Value = server.admin.get_ok(&claims).await;
        assert!(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["id"].as_i64() != Some(seat)),
            "{page}"
        );
    }
}
