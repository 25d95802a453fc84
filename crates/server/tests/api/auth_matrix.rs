//! Every endpoint against every token role: each role can do only its part,
//! and nothing outside the token's org subtree can be read or changed.

use reqwest::{Method, StatusCode};
use seatdesk_core::{Permission, Role};
use serde_json::{Value, json};

use crate::helpers::{self, Client, TestServer, backends};

/// One endpoint call and the permission it needs.
struct Case {
    method: Method,
    /// The route as `/openapi.json` spells it, e.g. `/v1/licenses/{id}`.
    template: &'static str,
    path: String,
    body: Option<Value>,
    needs: Permission,
}

fn case(
    method: Method,
    template: &'static str,
    id: Option<i64>,
    body: Option<Value>,
    needs: Permission,
) -> Case {
    let path = match id {
        Some(id) => template.replace("{id}", &id.to_string()),
        None => template.to_string(),
    };
    Case {
        method,
        template,
        path,
        body,
        needs,
    }
}

/// Ids the cases refer to, all inside district A.
struct Ids {
    org: i64,
    account: i64,
    product: i64,
    license: i64,
    seat: i64,
    user: i64,
    user_email: String,
    request: i64,
    role_rule: i64,
    webhook: i64,
    batch: i64,
    activation_code: String,
    token: i64,
    policy: i64,
}

/// Every endpoint that needs a token, with the permission it needs.
fn cases(ids: &Ids) -> Vec<Case> {
    use Method as M;
    use Permission as P;
    let l = Some(ids.license);
    vec![
        case(M::GET, "/v1/orgs", None, None, P::Read),
        case(M::GET, "/v1/accounts", None, None, P::Read),
        case(M::GET, "/v1/products", None, None, P::Read),
        case(M::GET, "/v1/licenses", None, None, P::Read),
        case(M::GET, "/v1/licenses/{id}", l, None, P::Read),
        case(M::GET, "/v1/licenses/{id}/teachers", l, None, P::Read),
        case(M::GET, "/v1/claims", None, None, P::Read),
        case(M::GET, "/v1/audit", None, None, P::Read),
        case(M::GET, "/v1/changes", None, None, P::Read),
        case(M::GET, "/v1/export", None, None, P::Read),
        case(M::GET, "/v1/requests", None, None, P::Read),
        case(
            M::GET,
            "/v1/requests/{id}",
            Some(ids.request),
            None,
            P::Read,
        ),
        case(M::GET, "/v1/users", None, None, P::Read),
        case(M::GET, "/v1/users/{id}", Some(ids.user), None, P::Read),
        case(M::GET, "/v1/role-rules", None, None, P::Read),
        case(
            M::POST,
            "/v1/imports/oneroster",
            None,
            Some(json!({"files": {}, "dry_run": true})),
            P::ManageUsers,
        ),
        case(M::GET, "/v1/dashboard", None, None, P::Read),
        case(M::GET, "/v1/alerts", None, None, P::Read),
        case(M::GET, "/v1/licenses/{id}/codes", l, None, P::Read),
        case(M::GET, "/v1/licenses/{id}/code-batches", l, None, P::Read),
        case(
            M::GET,
            "/v1/code-batches/{id}",
            Some(ids.batch),
            None,
            P::Read,
        ),
        case(
            M::POST,
            "/v1/licenses/{id}/code-batches",
            l,
            Some(
                json!({"count": 1, "users_per_code": 1, "duration_days": 10, "enable_benchmark": true, "enable_exercises": false, "enable_badges": false, "require_teacher_link": false}),
            ),
            P::ManageCodes,
        ),
        case(
            M::PATCH,
            "/v1/code-batches/{id}",
            Some(ids.batch),
            Some(
                json!({"enable_benchmark": false, "enable_exercises": true, "enable_badges": true, "require_teacher_link": true}),
            ),
            P::ManageCodes,
        ),
        case(
            M::GET,
            "/v1/code-batches/{id}/export?format=csv",
            Some(ids.batch),
            None,
            P::ManageCodes,
        ),
        case(
            M::POST,
            "/v1/licenses/{id}/resource-codes",
            l,
            Some(json!({"subject": "Algebra"})),
            P::ManageCodes,
        ),
        case(
            M::POST,
            "/v1/redeem",
            None,
            Some(json!({"code": ids.activation_code, "email": ids.user_email})),
            P::ManageSeats,
        ),
        case(
            M::GET,
            "/v1/access-check?user={id}&product=1",
            Some(ids.user),
            None,
            P::Triage,
        ),
        case(M::GET, "/v1/discrepancies", None, None, P::Triage),
        case(
            M::POST,
            "/v1/orgs",
            None,
            Some(json!({"parent_id": ids.org, "kind": "school", "name": "New School"})),
            P::ManageInventory,
        ),
        case(
            M::POST,
            "/v1/accounts",
            None,
            Some(json!({"org_id": ids.org, "name": "Acct", "number": format!("N-{}", ids.org)})),
            P::ManageInventory,
        ),
        case(
            M::POST,
            "/v1/products",
            None,
            Some(
                json!({"sku": "X-1", "name": "X", "family": "X", "edition": "none", "module": "none"}),
            ),
            P::ManageCatalog,
        ),
        case(
            M::POST,
            "/v1/licenses",
            None,
            Some(
                json!({"account_id": ids.account, "product_id": ids.product, "order_number": "9", "inventory_type": "seat_pool", "seats_purchased": 1, "start_date": "2020-01-01", "finish_date": "2099-01-01"}),
            ),
            P::ManageInventory,
        ),
        case(
            M::POST,
            "/v1/licenses/{id}/allocations",
            l,
            Some(json!({"account_id": ids.account, "seats": 1})),
            P::ManageInventory,
        ),
        case(
            M::POST,
            "/v1/licenses/{id}/deactivate",
            l,
            None,
            P::ToggleLicense,
        ),
        case(
            M::POST,
            "/v1/licenses/{id}/activate",
            l,
            None,
            P::ToggleLicense,
        ),
        case(
            M::POST,
            "/v1/seats",
            None,
            Some(json!({"license_id": ids.license, "email": ids.user_email})),
            P::ManageSeats,
        ),
        case(
            M::POST,
            "/v1/seats/{id}/claim",
            Some(ids.seat),
            None,
            P::ManageSeats,
        ),
        case(
            M::POST,
            "/v1/seats/revoke",
            None,
            Some(json!({"seat_ids": [ids.seat]})),
            P::ManageSeats,
        ),
        case(
            M::POST,
            "/v1/seats/restore",
            None,
            Some(json!({"seat_ids": [ids.seat]})),
            P::ManageSeats,
        ),
        case(
            M::POST,
            "/v1/seats/{id}/expire",
            Some(ids.seat),
            None,
            P::ManageSeats,
        ),
        case(
            M::POST,
            "/v1/requests",
            None,
            Some(
                json!({"kind": "renewal", "license_id": ids.license, "new_code": false, "start_date": "2099-01-02", "finish_date": "2100-01-01"}),
            ),
            P::SubmitRequest,
        ),
        case(
            M::POST,
            "/v1/requests/{id}/approve",
            Some(ids.request),
            Some(json!({})),
            P::DecideRequest,
        ),
        case(
            M::POST,
            "/v1/requests/{id}/reject",
            Some(ids.request),
            Some(json!({"approval_comments": "no"})),
            P::DecideRequest,
        ),
        case(
            M::POST,
            "/v1/users",
            None,
            Some(
                json!({"org_id": ids.org, "email": "made@a.example", "given_name": "Made", "family_name": "Here", "kind": "teacher"}),
            ),
            P::ManageUsers,
        ),
        case(
            M::PATCH,
            "/v1/users/{id}",
            Some(ids.user),
            Some(json!({"given_name": "Renamed"})),
            P::ManageUsers,
        ),
        case(
            M::POST,
            "/v1/role-rules",
            None,
            Some(json!({"org_id": ids.org, "role": "proctor", "product_id": ids.product})),
            P::ManageUsers,
        ),
        case(
            M::DELETE,
            "/v1/role-rules/{id}",
            Some(ids.role_rule),
            None,
            P::ManageUsers,
        ),
        case(M::GET, "/v1/reclaim/policies", None, None, P::Read),
        case(
            M::GET,
            "/v1/reclaim/policies/{id}",
            Some(ids.policy),
            None,
            P::Read,
        ),
        case(
            M::GET,
            "/v1/reclaim/policies/{id}/runs",
            Some(ids.policy),
            None,
            P::Read,
        ),
        case(M::GET, "/v1/reclaim/summary", None, None, P::Read),
        case(
            M::POST,
            "/v1/reclaim/policies",
            None,
            Some(json!({"name": "m", "org_id": ids.org, "rule": "archived_user"})),
            P::ManageSeats,
        ),
        case(
            M::POST,
            "/v1/reclaim/policies/{id}/run",
            Some(ids.policy),
            None,
            P::ManageSeats,
        ),
        case(
            M::POST,
            "/v1/reclaim/policies/{id}/pause",
            Some(ids.policy),
            None,
            P::ManageSeats,
        ),
        case(
            M::POST,
            "/v1/reclaim/policies/{id}/resume",
            Some(ids.policy),
            None,
            P::ManageSeats,
        ),
        case(
            M::POST,
            "/v1/seats/seen",
            None,
            Some(json!({"seat_ids": [ids.seat]})),
            P::Read,
        ),
        case(
            M::POST,
            "/v1/seats/{id}/seen",
            Some(ids.seat),
            None,
            P::Read,
        ),
        case(M::GET, "/v1/webhooks", None, None, P::ManageWebhooks),
        case(
            M::POST,
            "/v1/webhooks",
            None,
            Some(json!({"url": "https://hooks.example/a", "events": ["seat"]})),
            P::ManageWebhooks,
        ),
        case(
            M::GET,
            "/v1/webhooks/{id}/deliveries",
            Some(ids.webhook),
            None,
            P::ManageWebhooks,
        ),
        case(
            M::POST,
            "/v1/webhooks/{id}/test",
            Some(ids.webhook),
            None,
            P::ManageWebhooks,
        ),
        case(
            M::DELETE,
            "/v1/webhooks/{id}",
            Some(ids.webhook),
            None,
            P::ManageWebhooks,
        ),
        case(
            M::POST,
            "/v1/tokens",
            None,
            Some(json!({"name": "n", "role": "reporter", "org_id": ids.org})),
            P::ManageTokens,
        ),
        case(M::GET, "/v1/tokens", None, None, P::ManageTokens),
        case(
            M::POST,
            "/v1/tokens/{id}/rotate",
            Some(ids.token),
            None,
            P::ManageTokens,
        ),
        case(
            M::DELETE,
            "/v1/tokens/{id}",
            Some(ids.token),
            None,
            P::ManageTokens,
        ),
    ]
}

/// Endpoints every valid token may call.
const OPEN_TO_ALL: &[&str] = &["get /healthz", "get /readyz", "get /v1/me"];

async fn call(client: &Client, case: &Case) -> (StatusCode, Value) {
    let empty = json!({});
    let body = match case.method {
        Method::POST | Method::PATCH => Some(case.body.as_ref().unwrap_or(&empty)),
        _ => None,
    };
    let reply = client
        .send(case.method.clone(), &case.path, body, None)
        .await;
    (reply.status, reply.body)
}

/// District A with one of everything the cases refer to, and district B.
async fn district_a(server: &TestServer) -> (helpers::Fixture, helpers::Fixture, Ids) {
    let a = server.license_fixture(50, "teacher").await;
    let b = server.license_fixture(50, "teacher").await;
    let email = "matrix@a.example";
    let user = server.insert_user(a.org_id, email, "teacher").await;
    let other_user = server
        .insert_user(a.org_id, "second@a.example", "teacher")
        .await;
    let seat: Value = server
        .admin
        .post_ok(
            "/v1/seats",
            &json!({"license_id": a.license_id, "user_id": other_user}),
        )
        .await;
    // A school under district A asks A for a license: A's tokens decide it.
    let school: Value = server
        .admin
        .post_ok(
            "/v1/orgs",
            &json!({"parent_id": a.org_id, "kind": "school", "name": "Matrix School"}),
        )
        .await;
    let school_account: Value = server
        .admin
        .post_ok(
            "/v1/accounts",
            &json!({"org_id": school["id"], "name": "School", "number": "PA-MATRIX-SCHOOL"}),
        )
        .await;
    let request: Value = server
        .admin
        .post_ok("/v1/requests", &json!({"kind": "new_license", "account_id": school_account["id"], "inventory_type": "seat_pool", "students": 5, "product_id": a.product_id, "courses": []}))
        .await;
    let rule: Value = server
        .admin
        .post_ok(
            "/v1/role-rules",
            &json!({"org_id": a.org_id, "role": "observer", "product_id": a.product_id}),
        )
        .await;
    let hook: Value = server
        .admin
        .post_ok(
            "/v1/webhooks",
            &json!({"url": "https://hooks.example/m", "events": ["*"], "org_id": a.org_id}),
        )
        .await;
    let batch: Value = server
        .admin
        .post_ok(&format!("/v1/licenses/{}/code-batches", a.license_id), &json!({"count": 2, "users_per_code": 1, "duration_days": 30, "enable_benchmark": true, "enable_exercises": true, "enable_badges": false, "require_teacher_link": false}))
        .await;
    let activation_code: String = seatdesk_server::db::query_scalar(
        "SELECT code FROM codes WHERE batch_id = $1 ORDER BY id LIMIT 1",
    )
    .bind(batch["id"].as_i64().unwrap())
    .fetch_one(&server.db.pool)
    .await
    .unwrap();
    let token: Value = server
        .admin
        .post_ok(
            "/v1/tokens",
            &json!({"name": "matrix", "role": "reporter", "org_id": a.org_id}),
        )
        .await;
    let policy: Value = server
        .admin
        .post_ok(
            "/v1/reclaim/policies",
            &json!({"name": "Archived", "org_id": a.org_id, "rule": "archived_user"}),
        )
        .await;
    let ids = Ids {
        policy: policy["id"].as_i64().unwrap(),
        token: token["id"].as_i64().unwrap(),
        activation_code,
        batch: batch["id"].as_i64().unwrap(),
        org: a.org_id,
        account: a.account_id,
        product: a.product_id,
        license: a.license_id,
        seat: seat["id"].as_i64().unwrap(),
        user,
        user_email: email.into(),
        request: request["id"].as_i64().unwrap(),
        role_rule: rule["id"].as_i64().unwrap(),
        webhook: hook["webhook"]["id"].as_i64().unwrap(),
    };
    (a, b, ids)
}

/// Audit events a successful call of each mutation writes: one per changed
/// entity. A refused call writes none.
fn events_written(case: &Case) -> i64 {
    match case.template {
        _ if case.method == Method::GET => 0,
        // The child license and the parent whose availability dropped.
        "/v1/licenses/{id}/allocations" => 2,
        // The request and the license it creates or activates.
        "/v1/requests/{id}/approve" => 2,
        // A renewal request also flags its license.
        "/v1/requests" if case.body.as_ref().is_some_and(|b| b["kind"] == "renewal") => 2,
        // A ping and a dry run change nothing.
        "/v1/webhooks/{id}/test" | "/v1/imports/oneroster" => 0,
        // A reclaim run frees no seat here (no archived users); seen
        // reports are not audited.
        "/v1/reclaim/policies/{id}/run" | "/v1/seats/seen" | "/v1/seats/{id}/seen" => 0,
        _ => 1,
    }
}

#[tokio::test]
async fn every_mutation_leaves_one_event_per_change_and_refusals_none() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let (_, _, ids) = district_a(&server).await;
        let mut changed = Vec::new();
        for case in cases(&ids) {
            let before = server.audit_count().await;
            let (status, body) = call(&server.admin, &case).await;
            let written = server.audit_count().await - before;
            if written > 0 {
                changed.push(case.template);
            }
            let expected = if status.is_success() {
                events_written(&case)
            } else {
                0
            };
            assert_eq!(
                written, expected,
                "{backend:?} {} {} answered {status}: {body}",
                case.method, case.path
            );
        }
        assert!(
            changed.len() >= 20,
            "most mutations went through: {changed:?}"
        );
    }
}

#[tokio::test]
async fn each_role_can_do_only_its_part_and_only_in_its_subtree() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let (a, b, ids) = district_a(&server).await;
        let email = ids.user_email.clone();
        let email = email.as_str();
        for role in Role::ALL {
            let client = server.client_for(*role, a.org_id).await;
            for case in cases(&ids) {
                let (status, body) = call(&client, &case).await;
                if role.allows(case.needs) {
                    assert_ne!(
                        status,
                        StatusCode::FORBIDDEN,
                        "{backend:?} {role} {} {}: {body}",
                        case.method,
                        case.path
                    );
                    assert_ne!(status, StatusCode::UNAUTHORIZED);
                } else {
                    assert_eq!(
                        status,
                        StatusCode::FORBIDDEN,
                        "{backend:?} {role} {} {} should be refused: {body}",
                        case.method,
                        case.path
                    );
                }
            }
        }
        // A token of district B reaches nothing of district A.
        let outsider = server.client_for(Role::OrgAdmin, b.org_id).await;
        for case in cases(&ids) {
            let (status, body) = call(&outsider, &case).await;
            let listing = case.method == Method::GET && !case.template.contains("{id}");
            let catalogue = case.needs == Permission::ManageCatalog;
            // Bodies without an org id act on the caller's own org.
            let own_org_default = case.method == Method::POST
                && (case.path == "/v1/webhooks" || case.path == "/v1/imports/oneroster");
            if listing {
                let text = body.to_string();
                assert!(status.is_success());
                assert!(
                    !text.contains(email) && !text.contains("second@a.example"),
                    "{} leaks: {text}",
                    case.path
                );
            } else if catalogue {
                // The catalogue is global and admin-only.
                assert_eq!(status, StatusCode::FORBIDDEN);
            } else if own_org_default {
                assert!(
                    status != StatusCode::NOT_FOUND && status != StatusCode::FORBIDDEN,
                    "{}: {status}",
                    case.path
                );
            } else if case.path == "/v1/seats/seen" {
                // A report names seats; those out of reach are ignored.
                assert!(status.is_success(), "{}: {status}", case.path);
                assert_eq!(body["recorded"], 0, "{}: {body}", case.path);
            } else if case.path.ends_with("/revoke") || case.path.ends_with("/restore") {
                assert_eq!(body["refused"], 1, "{}: {body}", case.path);
                assert!(
                    body["results"][0]["reason"]
                        .as_str()
                        .unwrap()
                        .contains("not found")
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::NOT_FOUND,
                    "{} {}: {body}",
                    case.method,
                    case.path
                );
            }
        }
        // The matrix covers every documented endpoint.
        let spec: Value = reqwest::get(format!("{}/openapi.json", server.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut documented: Vec<String> = Vec::new();
        for (path, item) in spec["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                documented.push(format!("{method} {path}"));
            }
        }
        let covered: Vec<String> = cases(&ids)
            .iter()
            .map(|c| {
                format!(
                    "{} {}",
                    c.method.as_str().to_lowercase(),
                    c.template.split('?').next().unwrap_or_default()
                )
            })
            .chain(OPEN_TO_ALL.iter().map(|s| s.to_string()))
            .collect();
        let missing: Vec<&String> = documented.iter().filter(|d| !covered.contains(d)).collect();
        assert!(
            missing.is_empty(),
            "endpoints missing from the role matrix: {missing:?}"
        );
        // A token cannot mint a token above its own role.
        let org_admin = server.client_for(Role::OrgAdmin, a.org_id).await;
        let reply = org_admin
            .post(
                "/v1/tokens",
                &json!({"name": "up", "role": "system_admin", "org_id": a.org_id}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn parents_allocate_seats_down_and_see_the_whole() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let parent = server.license_fixture(100, "teacher").await;
        let center: Value = server
            .admin
            .post_ok(
                "/v1/orgs",
                &json!({"parent_id": parent.org_id, "kind": "center", "name": "Tolano Adventures"}),
            )
            .await;
        let center_id = center["id"].as_i64().unwrap();
        let account: Value = server
            .admin
            .post_ok(
                "/v1/accounts",
                &json!({"org_id": center_id, "name": "Tolano", "number": "PA-TOLANO"}),
            )
            .await;
        let district_admin = server.client_for(Role::OrgAdmin, parent.org_id).await;
        let child: Value = district_admin
            .post_ok(
                &format!("/v1/licenses/{}/allocations", parent.license_id),
                &json!({"account_id": account["id"], "seats": 30}),
            )
            .await;
        assert_eq!(child["seats"]["purchased"], 30);
        assert_eq!(child["parent_license_id"], parent.license_id);
        let whole: Value = district_admin
            .get_ok(&format!("/v1/licenses/{}", parent.license_id))
            .await;
        assert_eq!(whole["seats"]["allocated"], 30);
        assert_eq!(whole["seats_available"], 70);
        let too_many = district_admin
            .post(
                &format!("/v1/licenses/{}/allocations", parent.license_id),
                &json!({"account_id": account["id"], "seats": 71}),
            )
            .await;
        assert_eq!(too_many.status, StatusCode::CONFLICT);
        assert_eq!(too_many.problem_kind(), "no-seats-left");
        // The center sees its share only; the parent sees both.
        let center_admin = server.client_for(Role::CenterAdmin, center_id).await;
        let seen: Value = center_admin.get_ok("/v1/licenses").await;
        assert_eq!(seen["items"].as_array().unwrap().len(), 1);
        assert_eq!(seen["items"][0]["id"], child["id"]);
        let seen: Value = district_admin.get_ok("/v1/licenses").await;
        assert_eq!(seen["items"].as_array().unwrap().len(), 2);
        // The center admin's one change: deactivate and activate.
        let child_id = child["id"].as_i64().unwrap();
        let off: Value = center_admin
            .post_ok(&format!("/v1/licenses/{child_id}/deactivate"), &json!({}))
            .await;
        assert_eq!(off["status"], "deactivated");
        let user = server
            .insert_user(center_id, "s@tolano.example", "student")
            .await;
        let refused = server
            .admin
            .post(
                "/v1/seats",
                &json!({"license_id": child_id, "user_id": user}),
            )
            .await;
        assert_eq!(refused.problem_kind(), "license-not-usable");
        let whole: Value = district_admin
            .get_ok(&format!("/v1/licenses/{}", parent.license_id))
            .await;
        assert_eq!(whole["allocations_consumed"], 0, "the seat was refused");
        let on: Value = center_admin
            .post_ok(&format!("/v1/licenses/{child_id}/activate"), &json!({}))
            .await;
        assert_eq!(on["status"], "active");
        server
            .admin
            .post_ok::<Value>(
                "/v1/seats",
                &json!({"license_id": child_id, "user_id": user}),
            )
            .await;
        let whole: Value = district_admin
            .get_ok(&format!("/v1/licenses/{}", parent.license_id))
            .await;
        assert_eq!(
            whole["allocations_consumed"], 1,
            "the parent sees its center's use"
        );
        assert_eq!(whole["seats"]["consumed"], 0);
        // Allocating to an org outside the parent's subtree is refused.
        let elsewhere = server.license_fixture(5, "teacher").await;
        let reply = server
            .admin
            .post(
                &format!("/v1/licenses/{}/allocations", parent.license_id),
                &json!({"account_id": elsewhere.account_id, "seats": 1}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        server.assert_counts_match_rows().await;
    }
}

#[tokio::test]
async fn a_token_secret_is_shown_once_even_to_a_retry() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let body = json!({"name": "ci", "role": "reporter", "org_id": server.root_org});
        let first = server
            .admin
            .send(Method::POST, "/v1/tokens", Some(&body), Some("tok-1"))
            .await;
        assert_eq!(first.status, StatusCode::CREATED);
        let secret = first.body["secret"].as_str().unwrap().to_string();
        let again = server
            .admin
            .send(Method::POST, "/v1/tokens", Some(&body), Some("tok-1"))
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert!(
            again.body["detail"]
                .as_str()
                .unwrap()
                .contains("shown once")
        );
        let stored: Vec<String> =
            seatdesk_server::db::query_scalar("SELECT body FROM idempotency_keys")
                .fetch_all(&server.db.pool)
                .await
                .unwrap();
        assert!(
            stored.iter().all(|b| !b.contains(&secret)),
            "the secret is never stored"
        );
        let tokens: i64 =
            seatdesk_server::db::query_scalar("SELECT COUNT(*) FROM tokens WHERE name = 'ci'")
                .fetch_one(&server.db.pool)
                .await
                .unwrap();
        assert_eq!(tokens, 1, "the retry minted nothing");
        let works = Client::new(&server.url, &secret).get("/v1/me").await;
        assert_eq!(works.status, StatusCode::OK);
    }
}

/// The role × endpoint matrix's seat-spending edge: `POST /v1/role-rules`
/// and `POST`/`PATCH /v1/users` take seats through the role-rule engine, and
/// a token may only spend seats of licenses inside its subtree (including
/// ones allocated down to it), never of a license above it.
#[tokio::test]
async fn role_rules_spend_seats_only_of_licenses_in_the_tokens_subtree() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let parent = server.license_fixture(10, "teacher").await;
        let district = helpers::org(&server, parent.org_id, "district", "Sub District").await;
        let sub_admin = server.client_for(Role::OrgAdmin, district).await;
        let parent_license = format!("/v1/licenses/{}", parent.license_id);
        assert_eq!(
            sub_admin.get(&parent_license).await.status,
            StatusCode::NOT_FOUND,
            "the parent's license is not the district's to see"
        );
        let rule = sub_admin
            .post(
                "/v1/role-rules",
                &json!({"org_id": district, "role": "observer", "product_id": parent.product_id}),
            )
            .await;
        assert_eq!(rule.status, StatusCode::CREATED, "{}", rule.body);
        let made: Value = sub_admin
            .post_ok(
                "/v1/users",
                &json!({"org_id": district, "email": "obs@sub.example", "given_name": "O", "family_name": "B",
                        "kind": "teacher", "roles": ["observer"]}),
            )
            .await;
        let outcome = &made["assignments"][0];
        assert_eq!(outcome["outcome"], "refused", "{backend:?} {made}");
        assert!(
            outcome["reason"]
                .as_str()
                .unwrap()
                .contains("must be allocated down"),
            "{outcome}"
        );
        assert_eq!(helpers::consumed(&server, parent.license_id).await, 0);
        // A role change (PATCH) goes through the same engine.
        let plain: Value = sub_admin
            .post_ok(
                "/v1/users",
                &json!({"org_id": district, "email": "plain@sub.example", "given_name": "P", "family_name": "L", "kind": "teacher"}),
            )
            .await;
        let plain_id = plain["user"]["id"].as_i64().unwrap();
        let changed = sub_admin
            .send(
                Method::PATCH,
                &format!("/v1/users/{plain_id}"),
                Some(&json!({"roles": ["observer"]})),
                None,
            )
            .await;
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
        assert_eq!(changed.body["assignments"][0]["outcome"], "refused");
        assert_eq!(helpers::consumed(&server, parent.license_id).await, 0);

        // Seats the parent allocates down are the district's to spend.
        let account = helpers::account(&server, district).await;
        let child: Value = server
            .admin
            .post_ok(
                &format!("{parent_license}/allocations"),
                &json!({"account_id": account, "seats": 2}),
            )
            .await;
        let again = sub_admin
            .send(
                Method::PATCH,
                &format!("/v1/users/{plain_id}"),
                Some(&json!({"status": "active"})),
                None,
            )
            .await;
        assert_eq!(
            again.body["assignments"][0]["outcome"], "assigned",
            "{}",
            again.body
        );
        assert_eq!(again.body["assignments"][0]["license_id"], child["id"]);
        assert_eq!(helpers::consumed(&server, parent.license_id).await, 0);

        // A token whose subtree holds the parent license may spend it, once
        // the nearer allocated license is used up.
        for (i, from) in [(1, child["id"].as_i64().unwrap()), (2, parent.license_id)] {
            let made: Value = server
                .admin
                .post_ok(
                    "/v1/users",
                    &json!({"org_id": district, "email": format!("root{i}@sub.example"), "given_name": "R",
                            "family_name": "T", "kind": "teacher", "roles": ["observer"]}),
                )
                .await;
            assert_eq!(made["assignments"][0]["license_id"], from, "{made}");
        }
        assert_eq!(helpers::consumed(&server, parent.license_id).await, 1);
        server.assert_counts_match_rows().await;
    }
}
