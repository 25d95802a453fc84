//! Lengths and ranges: every string of the users, orgs, accounts, products,
//! role-rule and token bodies has a length limit and every number a range,
//! refused with 422 and changing nothing; `limit` on listings is 1 to
//! `MAX_PAGE_SIZE`, refused with 422 outside it; the OpenAPI document states
//! the same numbers.

use reqwest::{Method, StatusCode};
use seatdesk_core::api::MAX_PAGE_SIZE;
use seatdesk_core::api::limits::{EMAIL_MAX, LABEL_MAX, NAME_MAX, SEARCH_MAX};
use serde_json::{Value, json};

use crate::helpers::{self, TestServer, org};

fn long(n: usize) -> String {
    "x".repeat(n)
}

#[tokio::test]
async fn every_string_has_a_length_and_every_number_a_range() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let fx = server.license_fixture(5, "teacher").await;
        let d = fx.org_id;
        let user: Value = server
            .admin
            .post_ok(
                "/v1/users",
                &json!({"org_id": d, "email": "kim@lim.example", "given_name": "Kim", "family_name": "W", "kind": "teacher"}),
            )
            .await;
        let user_id = user["user"]["id"].as_i64().unwrap();
        let user_body = |f: &dyn Fn(&mut Value)| {
            let mut b = json!({"org_id": d, "email": "new@lim.example", "given_name": "N", "family_name": "W", "kind": "teacher"});
            f(&mut b);
            b
        };
        let product_body = |f: &dyn Fn(&mut Value)| {
            let mut b = json!({"sku": "LIM-1", "name": "Lim", "family": "ConnectED", "edition": "teacher", "module": "none"});
            f(&mut b);
            b
        };
        let cases: Vec<(Method, String, Value, &str)> = vec![
            (
                Method::POST,
                "/v1/accounts".into(),
                json!({"org_id": d, "name": long(1 << 20), "number": "PA-1"}),
                "name",
            ),
            (
                Method::POST,
                "/v1/accounts".into(),
                json!({"org_id": d, "name": long(NAME_MAX + 1), "number": "PA-1"}),
                "name",
            ),
            (
                Method::POST,
                "/v1/accounts".into(),
                json!({"org_id": d, "name": "A", "number": long(LABEL_MAX + 1)}),
                "number",
            ),
            (
                Method::POST,
                "/v1/accounts".into(),
                json!({"org_id": 0, "name": "A", "number": "PA-1"}),
                "org_id",
            ),
            (
                Method::POST,
                "/v1/orgs".into(),
                json!({"parent_id": d, "kind": "school", "name": long(NAME_MAX + 1)}),
                "name",
            ),
            (
                Method::POST,
                "/v1/orgs".into(),
                json!({"parent_id": -1, "kind": "school", "name": "S"}),
                "parent_id",
            ),
            (
                Method::POST,
                "/v1/products".into(),
                product_body(&|b| b["sku"] = json!(long(LABEL_MAX + 1))),
                "sku",
            ),
            (
                Method::POST,
                "/v1/products".into(),
                product_body(&|b| b["name"] = json!(long(NAME_MAX + 1))),
                "name",
            ),
            (
                Method::POST,
                "/v1/products".into(),
                product_body(&|b| b["family"] = json!(" ")),
                "family",
            ),
            (
                Method::POST,
                "/v1/products".into(),
                product_body(&|b| b["training_prerequisite"] = json!(long(LABEL_MAX + 1))),
                "training_prerequisite",
            ),
            (
                Method::POST,
                "/v1/users".into(),
                user_body(&|b| b["given_name"] = json!(long(NAME_MAX + 1))),
                "given_name",
            ),
            (
                Method::POST,
                "/v1/users".into(),
                user_body(&|b| b["email"] = json!(format!("{}@x.example", long(EMAIL_MAX)))),
                "email",
            ),
            (
                Method::POST,
                "/v1/users".into(),
                user_body(&|b| b["org_id"] = json!(0)),
                "org_id",
            ),
            (
                Method::POST,
                "/v1/users".into(),
                user_body(&|b| b["roles"] = json!(vec!["observer"; 21])),
                "roles",
            ),
            (
                Method::POST,
                "/v1/users".into(),
                user_body(&|b| {
                    b["trainings"] = json!((0..101).map(|i| format!("T{i}")).collect::<Vec<_>>())
                }),
                "trainings",
            ),
            (
                Method::PATCH,
                format!("/v1/users/{user_id}"),
                json!({"family_name": long(NAME_MAX + 1)}),
                "family_name",
            ),
            (
                Method::PATCH,
                format!("/v1/users/{user_id}"),
                json!({"roles": vec!["observer"; 21]}),
                "roles",
            ),
            (
                Method::POST,
                "/v1/role-rules".into(),
                json!({"org_id": 0, "role": "observer", "product_id": fx.product_id}),
                "org_id",
            ),
            (
                Method::POST,
                "/v1/role-rules".into(),
                json!({"org_id": d, "role": "observer", "product_id": -5}),
                "product_id",
            ),
            (
                Method::POST,
                "/v1/tokens".into(),
                json!({"name": long(LABEL_MAX + 1), "role": "reporter", "org_id": d}),
                "name",
            ),
            (
                Method::POST,
                "/v1/tokens".into(),
                json!({"name": " ", "role": "reporter", "org_id": d}),
                "name",
            ),
            (
                Method::POST,
                "/v1/tokens".into(),
                json!({"name": "t", "role": "reporter", "org_id": 0}),
                "org_id",
            ),
        ];
        let before = server.audit_count().await;
        for (method, path, body, field) in &cases {
            let reply = server
                .admin
                .send(method.clone(), path, Some(body), None)
                .await;
            assert_eq!(
                reply.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{backend:?} {method} {path} {field}: {}",
                reply.body
            );
            assert!(
                reply.body["detail"].as_str().unwrap().contains(field),
                "{method} {path}: {}",
                reply.body["detail"]
            );
        }
        assert_eq!(
            server.audit_count().await,
            before,
            "refusals changed nothing"
        );
        // At the limit is accepted.
        server
            .admin
            .post_ok::<Value>(
                "/v1/accounts",
                &json!({"org_id": d, "name": long(NAME_MAX), "number": long(LABEL_MAX)}),
            )
            .await;
        let reply = server
            .admin
            .get(&format!("/v1/users?q={}", long(SEARCH_MAX + 1)))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.body
        );
        let reply = server
            .admin
            .get(&format!("/v1/users?q={}", long(SEARCH_MAX)))
            .await;
        assert_eq!(reply.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn a_listing_limit_outside_its_range_is_refused_and_the_schema_says_so() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let d = org(&server, server.root_org, "district", "Limit District").await;
        let _ = d;
        for listing in ["/v1/users", "/v1/licenses", "/v1/audit", "/v1/role-rules"] {
            for bad in ["2147483648", "99999999999999999999", "0", "-1", "1001"] {
                let reply = server.admin.get(&format!("{listing}?limit={bad}")).await;
                assert_eq!(
                    reply.status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{backend:?} {listing}?limit={bad}: {}",
                    reply.body
                );
                assert_eq!(
                    reply.body["detail"],
                    format!("limit must be 1 to {MAX_PAGE_SIZE}")
                );
            }
            let reply = server
                .admin
                .get(&format!("{listing}?limit={MAX_PAGE_SIZE}"))
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{listing}: {}", reply.body);
        }
        // Not a number at all stays the query parser's 400.
        let reply = server.admin.get("/v1/users?limit=ten").await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    }
    let server = TestServer::start(helpers::Backend::Sqlite).await;
    let spec: Value = reqwest::get(format!("{}/openapi.json", server.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut limits = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for op in item.as_object().unwrap().values() {
            for param in op["parameters"].as_array().into_iter().flatten() {
                if param["name"] == "limit" {
                    limits += 1;
                    let schema = &param["schema"];
                    assert_eq!(schema["maximum"], json!(MAX_PAGE_SIZE), "{path}: {param}");
                    assert_eq!(schema["minimum"], json!(1), "{path}: {param}");
                }
            }
        }
    }
    assert!(limits >= 10, "{limits} listings");
    let schemas = &spec["components"]["schemas"];
    for (schema, field, max) in [
        ("NewPurchasingAccount", "name", NAME_MAX),
        ("NewPurchasingAccount", "number", LABEL_MAX),
        ("NewOrg", "name", NAME_MAX),
        ("NewProduct", "sku", LABEL_MAX),
        ("NewProduct", "family", LABEL_MAX),
        ("NewUser", "email", EMAIL_MAX),
        ("NewUser", "given_name", NAME_MAX),
        ("UserPatch", "family_name", NAME_MAX),
        ("NewToken", "name", LABEL_MAX),
    ] {
        assert_eq!(
            schemas[schema]["properties"][field]["maxLength"],
            json!(max),
            "{schema}.{field}: {}",
            schemas[schema]["properties"][field]
        );
    }
    for (schema, field) in [
        ("NewUser", "org_id"),
        ("NewOrg", "parent_id"),
        ("NewRoleRule", "product_id"),
        ("NewToken", "org_id"),
    ] {
        assert_eq!(
            schemas[schema]["properties"][field]["minimum"],
            json!(1),
            "{schema}.{field}"
        );
    }
}

/// A license sells at least one seat: 0 (and negatives, and more than ten
/// million) are refused with nothing created, and the schema says so.
#[tokio::test]
async fn a_license_of_no_seats_is_refused_and_the_schema_says_so() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let fx = server.license_fixture(1, "teacher").await;
        let before = server.admin.get("/v1/licenses").await.body;
        for seats in [0, -1, 10_000_001] {
            let reply = server
                .admin
                .post(
                    "/v1/licenses",
                    &json!({"account_id": fx.account_id, "product_id": fx.product_id,
                        "order_number": "ZERO", "inventory_type": "seat_pool",
                        "seats_purchased": seats, "start_date": "2020-01-01",
                        "finish_date": "2099-01-01"}),
                )
                .await;
            assert_eq!(
                reply.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{seats}: {}",
                reply.body
            );
            assert!(
                reply
                    .body
                    .to_string()
                    .contains("seats_purchased must be between 1 and 10,000,000")
            );
        }
        assert_eq!(
            server.admin.get("/v1/licenses").await.body,
            before,
            "{backend:?}"
        );
    }
    let server = TestServer::start(helpers::Backend::Sqlite).await;
    let spec: Value = reqwest::get(format!("{}/openapi.json", server.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let seats = &spec["components"]["schemas"]["NewLicense"]["properties"]["seats_purchased"];
    assert_eq!(
        (&seats["minimum"], &seats["maximum"]),
        (&json!(1), &json!(10_000_000)),
        "{seats}"
    );
}
