//! Users and role rules over real HTTP: CRUD, filters, validation, scope,
//! automatic Learn / Observe seats (never past the seat limit), revocation
//! when a role goes, and archiving.

use reqwest::{Method, StatusCode};
use seatdesk_core::Role;
use serde_json::{Value, json};

use crate::helpers::{self, Client, TestServer, consumed, org};

async fn product(server: &TestServer, sku: &str, name: &str, module: &str) -> i64 {
    let product: Value = server
        .admin
        .post_ok("/v1/products", &json!({"sku": sku, "name": name, "family": "Professional Learning", "edition": "none", "module": module}))
        .await;
    product["id"].as_i64().unwrap()
}

/// A license of `product` owned by `org` (through a new account).
async fn license(server: &TestServer, org: i64, product: i64, seats: i64, finish: &str) -> i64 {
    let account: Value = server
        .admin
        .post_ok("/v1/accounts", &json!({"org_id": org, "name": "Account", "number": format!("PA-{org}-{product}-{seats}-{finish}")}))
        .await;
    let license: Value = server
        .admin
        .post_ok("/v1/licenses", &json!({
            "account_id": account["id"], "product_id": product, "order_number": format!("ORD-{org}-{product}"),
            "inventory_type": "seat_pool", "seats_purchased": seats,
            "start_date": "2000-01-01", "finish_date": finish
        }))
        .await;
    license["id"].as_i64().unwrap()
}

async fn patch(client: &Client, path: &str, body: &Value) -> helpers::Reply {
    client.send(Method::PATCH, path, Some(body), None).await
}

fn user_body(org: i64, email: &str, roles: &[&str]) -> Value {
    json!({"org_id": org, "email": email, "given_name": "Kim", "family_name": "Williams", "kind": "teacher", "roles": roles, "trainings": []})
}

#[tokio::test]
async fn users_are_created_listed_changed_and_validated_within_scope() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let d1 = org(&server, server.root_org, "district", "Tolano District").await;
        let d2 = org(&server, server.root_org, "district", "Other District").await;
        let s1 = org(&server, d1, "school", "Tolano High").await;
        let admin1 = server.client_for(Role::OrgAdmin, d1).await;
        let admin2 = server.client_for(Role::OrgAdmin, d2).await;
        let reporter = server.client_for(Role::Reporter, d1).await;

        let before = server.audit_count().await;
        let created: Value = admin1
            .post_ok("/v1/users", &json!({
                "org_id": s1, "email": "  Ann.Teacher@Example.COM ", "given_name": "Ann", "family_name": "Teacher",
                "kind": "teacher", "roles": ["observer", "evaluator", "observer"], "trainings": ["Observe 101"]
            }))
            .await;
        assert_eq!(server.audit_count().await, before + 1, "{backend:?}");
        let ann = &created["user"];
        let ann_id = ann["id"].as_i64().unwrap();
        assert_eq!(ann["email"], "ann.teacher@example.com");
        assert_eq!(ann["roles"], json!(["observer", "evaluator"]));
        assert_eq!(ann["trainings"], json!(["Observe 101"]));
        assert_eq!(ann["status"], "active");
        assert_eq!(ann["org_name"], "Tolano High");
        assert!(
            created["assignments"].as_array().unwrap().is_empty(),
            "no rules, no seats"
        );
        admin1
            .post_ok::<Value>("/v1/users", &json!({"org_id": d1, "email": "bob@example.com", "given_name": "Bob", "family_name": "Staff", "kind": "staff"}))
            .await;

        // Duplicate email (any case) → 409; bad enums and fields → 422.
        let dup = admin1
            .post("/v1/users", &user_body(d1, "ANN.TEACHER@example.com", &[]))
            .await;
        assert_eq!(dup.status, StatusCode::CONFLICT, "{}", dup.body);
        let mut wizard = user_body(d1, "w@example.com", &[]);
        wizard["kind"] = json!("wizard");
        let reply = admin1.post("/v1/users", &wizard).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            reply.body["detail"].as_str().unwrap().contains("wizard"),
            "{}",
            reply.body
        );
        let reply = admin1
            .post("/v1/users", &user_body(d1, "r@example.com", &["dean"]))
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            reply.body["detail"].as_str().unwrap().contains("dean"),
            "{}",
            reply.body
        );
        let reply = admin1
            .post("/v1/users", &user_body(d1, "not-an-email", &[]))
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reply.body["detail"].as_str().unwrap().contains("email"));
        let mut nameless = user_body(d1, "n@example.com", &[]);
        nameless["given_name"] = json!(" ");
        nameless["trainings"] = json!(["a,b"]);
        let reply = admin1.post("/v1/users", &nameless).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            reply.body["errors"].as_array().unwrap().len(),
            2,
            "{}",
            reply.body
        );
        // Out of scope org → 404; reporter → 403.
        assert_eq!(
            admin2
                .post("/v1/users", &user_body(s1, "x@example.com", &[]))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            reporter
                .post("/v1/users", &user_body(s1, "y@example.com", &[]))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            server.audit_count().await,
            before + 2,
            "refusals changed nothing"
        );

        // Filters and pagination.
        let page: Value = admin1.get_ok("/v1/users?role=observer").await;
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        assert_eq!(page["items"][0]["id"], ann_id);
        let page: Value = admin1.get_ok("/v1/users?kind=staff").await;
        assert_eq!(page["items"][0]["email"], "bob@example.com");
        let page: Value = admin1.get_ok("/v1/users?q=ANN%20TEA").await;
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        let page: Value = admin1
            .get_ok(&format!("/v1/users?org_id={s1}&status=active"))
            .await;
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        let first: Value = admin1.get_ok("/v1/users?limit=1").await;
        let cursor = first["next_cursor"].as_str().expect("second page");
        let second: Value = admin1
            .get_ok(&format!("/v1/users?limit=1&cursor={cursor}"))
            .await;
        assert_ne!(first["items"][0]["id"], second["items"][0]["id"]);
        assert!(second["next_cursor"].is_null());
        assert_eq!(
            admin1.get("/v1/users?role=dean").await.status,
            StatusCode::BAD_REQUEST
        );

        // Another district neither sees nor changes them.
        let page: Value = admin2.get_ok("/v1/users").await;
        assert!(page["items"].as_array().unwrap().is_empty());
        assert_eq!(
            admin2.get(&format!("/v1/users/{ann_id}")).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            patch(
                &admin2,
                &format!("/v1/users/{ann_id}"),
                &json!({"given_name": "Eve"})
            )
            .await
            .status,
            StatusCode::NOT_FOUND
        );

        // Changes.
        let before = server.audit_count().await;
        let changed = patch(
            &admin1,
            &format!("/v1/users/{ann_id}"),
            &json!({"given_name": "Anne", "status": "suspended"}),
        )
        .await;
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
        assert_eq!(changed.body["user"]["given_name"], "Anne");
        assert_eq!(changed.body["user"]["family_name"], "Teacher");
        assert_eq!(changed.body["user"]["status"], "suspended");
        assert_eq!(server.audit_count().await, before + 1);
        assert_eq!(
            patch(
                &admin1,
                &format!("/v1/users/{ann_id}"),
                &json!({"status": "gone"})
            )
            .await
            .status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        // An empty change is no change: the user as is, nothing recorded.
        let head = server.audit_count().await;
        let unchanged = patch(&admin1, &format!("/v1/users/{ann_id}"), &json!({})).await;
        assert_eq!(unchanged.status, StatusCode::OK);
        assert_eq!(unchanged.body["user"]["id"], json!(ann_id));
        assert_eq!(server.audit_count().await, head);
        assert_eq!(
            patch(
                &admin1,
                &format!("/v1/users/{ann_id}"),
                &json!({"email": "x@y.z"})
            )
            .await
            .status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            patch(
                &reporter,
                &format!("/v1/users/{ann_id}"),
                &json!({"given_name": "R"})
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(server.audit_count().await, before + 1);
        let detail: Value = reporter.get_ok(&format!("/v1/users/{ann_id}")).await;
        assert_eq!(detail["user"]["given_name"], "Anne");
        assert!(detail["seats"].as_array().unwrap().is_empty());
    }
}

#[tokio::test]
async fn role_rules_assign_refuse_and_revoke_seats() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let district = org(&server, server.root_org, "district", "Tolano District").await;
        let school = org(&server, district, "school", "Tolano High").await;
        let admin = server.client_for(Role::OrgAdmin, district).await;
        let center = server.client_for(Role::CenterAdmin, district).await;
        let observe = product(&server, "PL-OBS", "Observe module", "observe").await;
        let learn = product(&server, "PL-LRN", "Learn module", "learn").await;
        // One Observe seat at the district; Learn seats at the district
        // (ending later) and at the school (nearer, ending sooner).
        let observe_license = license(&server, district, observe, 1, "2099-12-31").await;
        let learn_district = license(&server, district, learn, 5, "2098-12-31").await;
        let learn_school = license(&server, school, learn, 5, "2099-06-30").await;
        let _expired_learn = license(&server, school, learn, 5, "2001-01-01").await;

        let rule: Value = admin
            .post_ok(
                "/v1/role-rules",
                &json!({"org_id": district, "role": "observer", "product_id": observe}),
            )
            .await;
        for role in ["evaluator", "learner"] {
            admin
                .post_ok::<Value>(
                    "/v1/role-rules",
                    &json!({"org_id": district, "role": role, "product_id": learn}),
                )
                .await;
        }
        let dup = admin
            .post(
                "/v1/role-rules",
                &json!({"org_id": district, "role": "observer", "product_id": observe}),
            )
            .await;
        assert_eq!(dup.status, StatusCode::CONFLICT, "{backend:?}");
        assert_eq!(
            center
                .post(
                    "/v1/role-rules",
                    &json!({"org_id": district, "role": "proctor", "product_id": observe})
                )
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let bad_role = admin
            .post(
                "/v1/role-rules",
                &json!({"org_id": district, "role": "janitor", "product_id": observe}),
            )
            .await;
        assert_eq!(bad_role.status, StatusCode::UNPROCESSABLE_ENTITY);
        let rules: Value = admin.get_ok("/v1/role-rules?role=observer").await;
        assert_eq!(rules["items"].as_array().unwrap().len(), 1);
        assert_eq!(rules["items"][0]["id"], rule["id"]);

        // First observer (also an evaluator) gets both seats; the Learn seat
        // comes from the school's own license, the nearest org.
        let before = server.audit_count().await;
        let first: Value = admin
            .post_ok(
                "/v1/users",
                &user_body(school, "first@example.com", &["observer", "evaluator"]),
            )
            .await;
        assert_eq!(server.audit_count().await, before + 3, "user + two seats");
        let outcomes = first["assignments"].as_array().unwrap();
        assert_eq!(outcomes.len(), 2, "{first}");
        let for_product = |outcomes: &[Value], product: i64| -> Value {
            outcomes
                .iter()
                .find(|a| a["product_id"] == product)
                .cloned()
                .expect("outcome for product")
        };
        let obs = for_product(outcomes, observe);
        assert_eq!(obs["outcome"], "assigned");
        assert_eq!(obs["license_id"], observe_license);
        assert_eq!(for_product(outcomes, learn)["license_id"], learn_school);
        let first_id = first["user"]["id"].as_i64().unwrap();

        // The second observer finds the one Observe seat taken.
        let before = server.audit_count().await;
        let second: Value = admin
            .post_ok(
                "/v1/users",
                &user_body(school, "second@example.com", &["observer"]),
            )
            .await;
        assert_eq!(server.audit_count().await, before + 1, "only the user");
        let refused = &second["assignments"][0];
        assert_eq!(refused["outcome"], "refused");
        let reason = refused["reason"].as_str().unwrap();
        assert!(
            reason.contains("no seat left on any license of Observe module for Tolano High"),
            "{reason}"
        );
        assert_eq!(consumed(&server, observe_license).await, 1);
        let second_id = second["user"]["id"].as_i64().unwrap();

        let detail: Value = admin.get_ok(&format!("/v1/users/{first_id}")).await;
        assert_eq!(detail["seats"].as_array().unwrap().len(), 2);

        // Dropping observer revokes the rule's Observe seat and keeps Learn.
        let before = server.audit_count().await;
        let changed = patch(
            &admin,
            &format!("/v1/users/{first_id}"),
            &json!({"roles": ["evaluator", "learner"]}),
        )
        .await;
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
        let outcomes = changed.body["assignments"].as_array().unwrap().clone();
        assert_eq!(for_product(&outcomes, observe)["outcome"], "revoked");
        assert_eq!(for_product(&outcomes, learn)["outcome"], "kept");
        assert_eq!(
            server.audit_count().await,
            before + 2,
            "user + revoked seat"
        );
        assert_eq!(consumed(&server, observe_license).await, 0);

        // Re-applying the second user's roles now finds the freed seat.
        let changed = patch(
            &admin,
            &format!("/v1/users/{second_id}"),
            &json!({"roles": ["observer"]}),
        )
        .await;
        assert_eq!(
            changed.body["assignments"][0]["outcome"], "assigned",
            "{}",
            changed.body
        );
        assert_eq!(consumed(&server, observe_license).await, 1);

        // A manually assigned seat is not revoked by role changes.
        let manual: Value = admin
            .post_ok(
                "/v1/seats",
                &json!({"license_id": learn_district, "user_id": second_id}),
            )
            .await;
        let changed = patch(
            &admin,
            &format!("/v1/users/{second_id}"),
            &json!({"roles": []}),
        )
        .await;
        let outcomes = changed.body["assignments"].as_array().unwrap();
        assert_eq!(
            outcomes.len(),
            1,
            "only the Observe seat came from a rule: {}",
            changed.body
        );
        assert_eq!(outcomes[0]["product_id"], observe);
        let detail: Value = admin.get_ok(&format!("/v1/users/{second_id}")).await;
        assert_eq!(detail["seats"][0]["id"], manual["id"]);

        // Archiving frees every live seat, one event per seat.
        let before = server.audit_count().await;
        let archived = patch(
            &admin,
            &format!("/v1/users/{first_id}"),
            &json!({"status": "archived"}),
        )
        .await;
        assert_eq!(archived.body["user"]["status"], "archived");
        assert_eq!(archived.body["assignments"].as_array().unwrap().len(), 1);
        assert_eq!(archived.body["assignments"][0]["outcome"], "revoked");
        assert_eq!(server.audit_count().await, before + 2);
        assert_eq!(consumed(&server, learn_school).await, 0);
        let detail: Value = admin.get_ok(&format!("/v1/users/{first_id}")).await;
        assert!(detail["seats"].as_array().unwrap().is_empty());

        // A rule whose product has no usable license says so.
        let proctoring = product(&server, "PL-PRC", "Proctoring", "none").await;
        let deactivated = license(&server, district, proctoring, 5, "2099-12-31").await;
        admin
            .post_ok::<Value>(
                &format!("/v1/licenses/{deactivated}/deactivate"),
                &json!({}),
            )
            .await;
        admin
            .post_ok::<Value>(
                "/v1/role-rules",
                &json!({"org_id": district, "role": "proctor", "product_id": proctoring}),
            )
            .await;
        let proctor: Value = admin
            .post_ok(
                "/v1/users",
                &user_body(school, "proctor@example.com", &["proctor"]),
            )
            .await;
        let reason = proctor["assignments"][0]["reason"].as_str().unwrap();
        assert!(
            reason.contains(
                "no active, in-date license of Proctoring is held by Tolano High or a parent org"
            ),
            "{reason}"
        );
        assert_eq!(consumed(&server, deactivated).await, 0);

        // Deleting a rule: gone from the list, audited, 404 a second time.
        let rule_id = rule["id"].as_i64().unwrap();
        let before = server.audit_count().await;
        let deleted = admin
            .send(
                Method::DELETE,
                &format!("/v1/role-rules/{rule_id}"),
                None,
                None,
            )
            .await;
        assert_eq!(deleted.status, StatusCode::OK);
        assert_eq!(server.audit_count().await, before + 1);
        assert_eq!(
            admin
                .send(
                    Method::DELETE,
                    &format!("/v1/role-rules/{rule_id}"),
                    None,
                    None
                )
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        server.assert_counts_match_rows().await;
    }
}

#[tokio::test]
async fn concurrent_observers_never_take_more_seats_than_the_license_has() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let district = org(&server, server.root_org, "district", "Busy District").await;
        let admin = server.client_for(Role::OrgAdmin, district).await;
        let observe = product(&server, "PL-OBS-C", "Observe module", "observe").await;
        let observe_license = license(&server, district, observe, 5, "2099-12-31").await;
        admin
            .post_ok::<Value>(
                "/v1/role-rules",
                &json!({"org_id": district, "role": "observer", "product_id": observe}),
            )
            .await;
        let before = server.audit_count().await;
        let tasks: Vec<_> = (0..30)
            .map(|i| {
                let admin = admin.clone();
                tokio::spawn(async move {
                    let reply = admin
                        .post(
                            "/v1/users",
                            &user_body(district, &format!("obs{i}@example.com"), &["observer"]),
                        )
                        .await;
                    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
                    reply.body["assignments"][0].clone()
                })
            })
            .collect();
        let outcomes: Vec<Value> = futures::future::join_all(tasks)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let assigned = outcomes
            .iter()
            .filter(|o| o["outcome"] == "assigned")
            .count();
        let refused: Vec<&Value> = outcomes
            .iter()
            .filter(|o| o["outcome"] == "refused")
            .collect();
        assert_eq!(assigned, 5, "{backend:?}");
        assert_eq!(refused.len(), 25);
        for outcome in refused {
            assert!(
                outcome["reason"]
                    .as_str()
                    .unwrap()
                    .contains("no seat left on any license of Observe module")
            );
        }
        assert_eq!(consumed(&server, observe_license).await, 5);
        server.assert_counts_match_rows().await;
        assert_eq!(
            server.audit_count().await,
            before + 30 + 5,
            "one per user, one per seat"
        );
    }
}

#[tokio::test]
async fn a_retried_user_creation_with_the_same_key_changes_nothing_twice() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let district = org(&server, server.root_org, "district", "Retry District").await;
        let admin = server.client_for(Role::OrgAdmin, district).await;
        let observe = product(&server, "PL-OBS-R", "Observe module", "observe").await;
        let observe_license = license(&server, district, observe, 3, "2099-12-31").await;
        admin
            .post_ok::<Value>(
                "/v1/role-rules",
                &json!({"org_id": district, "role": "observer", "product_id": observe}),
            )
            .await;
        let body = user_body(district, "retry@example.com", &["observer"]);
        let before = server.audit_count().await;
        let first = admin
            .send(
                Method::POST,
                "/v1/users",
                Some(&body),
                Some("create-retry-1"),
            )
            .await;
        assert_eq!(
            first.status,
            StatusCode::CREATED,
            "{backend:?} {}",
            first.body
        );
        let again = admin
            .send(
                Method::POST,
                "/v1/users",
                Some(&body),
                Some("create-retry-1"),
            )
            .await;
        assert_eq!(again.status, StatusCode::CREATED);
        assert_eq!(again.body, first.body, "the first answer is replayed");
        assert_eq!(
            again
                .headers
                .get("idempotent-replayed")
                .map(|v| v.to_str().unwrap()),
            Some("true")
        );
        assert_eq!(server.audit_count().await, before + 2, "one user, one seat");
        assert_eq!(consumed(&server, observe_license).await, 1);

        let spec: Value = reqwest::get(format!("{}/openapi.json", server.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for path in [
            "/v1/users",
            "/v1/users/{id}",
            "/v1/role-rules",
            "/v1/role-rules/{id}",
            "/v1/requests",
            "/v1/requests/{id}",
            "/v1/requests/{id}/approve",
            "/v1/requests/{id}/reject",
        ] {
            assert!(spec["paths"][path].is_object(), "openapi.json lacks {path}");
        }
    }
}

#[tokio::test]
async fn a_role_change_refuses_to_revoke_a_student_edition_seat_naming_the_teacher() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let district = org(&server, server.root_org, "district", "Tolano District").await;
        let admin = server.client_for(Role::OrgAdmin, district).await;
        let product: Value = server
            .admin
            .post_ok(
                "/v1/products",
                &json!({"sku": "CE-STU", "name": "Student edition",
                "family": "ConnectED", "edition": "student", "module": "learn"}),
            )
            .await;
        let product = product["id"].as_i64().unwrap();
        license(&server, district, product, 3, "2099-12-31").await;
        admin
            .post_ok::<Value>(
                "/v1/role-rules",
                &json!({"org_id": district, "role": "observer", "product_id": product}),
            )
            .await;
        let created: Value = admin
            .post_ok(
                "/v1/users",
                &user_body(district, "kim@example.com", &["observer"]),
            )
            .await;
        let seat = created["assignments"][0]["seat_id"].as_i64().unwrap();
        seatdesk_server::db::query("UPDATE seats SET students_assigned = 2 WHERE id = $1")
            .bind(seat)
            .execute(&server.db.pool)
            .await
            .unwrap();
        let user = created["user"]["id"].as_i64().unwrap();
        let changed = patch(&admin, &format!("/v1/users/{user}"), &json!({"roles": []})).await;
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
        let outcome = &changed.body["assignments"][0];
        assert_eq!(outcome["outcome"], "refused", "{}", changed.body);
        let reason = outcome["reason"].as_str().unwrap();
        assert!(
            reason.contains("<kim@example.com> has 2 students assigned")
                && reason.contains("the teacher must remove them first"),
            "{reason}"
        );
        let detail: Value = admin.get_ok(&format!("/v1/users/{user}")).await;
        assert_eq!(
            detail["seats"].as_array().unwrap().len(),
            1,
            "the seat stays live"
        );
    }
}

#[tokio::test]
async fn hostile_emails_are_refused_with_a_reason_and_change_nothing() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let d1 = org(&server, server.root_org, "district", "Tolano District").await;
        let admin = server.client_for(Role::OrgAdmin, d1).await;
        let before = server.audit_count().await;
        for (email, says) in [
            ("kim\u{202E}moc.elpmaxe@evil.example", "ASCII"),
            ("\u{FF4B}im@tolano.example", "ASCII"),
            ("kim@\u{FF54}olano.example", "ASCII"),
            ("\u{043A}im@tolano.example", "ASCII"),
            ("<script>alert(1)</script>@x.example", "before @"),
            ("\"<script>\"@x.example", "before @"),
            ("kim@[127.0.0.1]", "not a valid address"),
            ("kim@192.168.0.1", "not an IP address"),
            ("kim@localhost", "not a valid address"),
        ] {
            let reply = admin.post("/v1/users", &user_body(d1, email, &[])).await;
            assert_eq!(
                reply.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{backend:?} {email:?}: {}",
                reply.body
            );
            assert_eq!(reply.problem_kind(), "validation", "{}", reply.body);
            let detail = reply.body["detail"].as_str().unwrap();
            assert!(
                detail.contains("email") && detail.contains(says),
                "{email:?}: {detail}"
            );
        }
        let long = format!("{}@x.example", "k".repeat(300));
        let reply = admin.post("/v1/users", &user_body(d1, &long, &[])).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            reply.body["detail"]
                .as_str()
                .unwrap()
                .contains("at most 254")
        );
        assert_eq!(
            server.audit_count().await,
            before,
            "refusals changed nothing"
        );
        assert_eq!(
            helpers::scalar(&server, "SELECT COUNT(*) FROM users").await,
            0
        );
        // The whole address is stored lower-cased, so a case variant of it
        // is the same address.
        let created: Value = admin
            .post_ok(
                "/v1/users",
                &user_body(d1, " Kim.Williams@Tolano.Example ", &[]),
            )
            .await;
        assert_eq!(created["user"]["email"], "kim.williams@tolano.example");
        let again = admin
            .post(
                "/v1/users",
                &user_body(d1, "KIM.WILLIAMS@tolano.example", &[]),
            )
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    }
}

#[tokio::test]
async fn an_email_held_in_another_tenant_is_refused_without_saying_where() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let d1 = org(&server, server.root_org, "district", "Tolano District").await;
        let d2 = org(&server, server.root_org, "district", "Other District").await;
        let admin1 = server.client_for(Role::OrgAdmin, d1).await;
        let admin2 = server.client_for(Role::OrgAdmin, d2).await;
        let held: Value = admin1
            .post_ok("/v1/users", &user_body(d1, "held@tolano.example", &[]))
            .await;
        let held_id = held["user"]["id"].as_i64().unwrap();
        // Another tenant: a conflict that names no user and no tenant.
        let theirs = admin2
            .post("/v1/users", &user_body(d2, "Held@Tolano.example", &[]))
            .await;
        assert_eq!(theirs.status, StatusCode::CONFLICT, "{}", theirs.body);
        assert_eq!(
            theirs.body["detail"], "email held@tolano.example is already in use",
            "{backend:?}"
        );
        // The holder's own tenant is told which user has it.
        let own = admin1
            .post("/v1/users", &user_body(d1, "held@tolano.example", &[]))
            .await;
        assert_eq!(own.status, StatusCode::CONFLICT);
        assert_eq!(
            own.body["detail"],
            format!(
                "email held@tolano.example is already in use by user {held_id} of your organization"
            )
        );
    }
}
