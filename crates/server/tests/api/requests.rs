//! Renewal and new-license requests over real HTTP: a child org submits,
//! an admin of the parent org approves or rejects.

use reqwest::StatusCode;
use seatdesk_core::Role;
use serde_json::{Value, json};

use crate::helpers::{self, Client, TestServer};

/// A district (the deciding parent org) with a school that holds a license.
struct Tree {
    district: i64,
    school: i64,
    account: i64,
    product: i64,
    license: i64,
    /// Center admin of the school: submits requests.
    school_admin: Client,
    /// Org admin of the school itself: may not decide its own requests.
    school_org_admin: Client,
    /// Org admin of the district: decides.
    district_admin: Client,
    reporter: Client,
}

async fn tree(server: &TestServer, tag: &str) -> Tree {
    let admin = &server.admin;
    let district: Value = admin
        .post_ok("/v1/orgs", &json!({"parent_id": server.root_org, "kind": "district", "name": format!("District {tag}")}))
        .await;
    let district = district["id"].as_i64().unwrap();
    let school: Value = admin
        .post_ok(
            "/v1/orgs",
            &json!({"parent_id": district, "kind": "school", "name": format!("School {tag}")}),
        )
        .await;
    let school = school["id"].as_i64().unwrap();
    let account: Value = admin
        .post_ok(
            "/v1/accounts",
            &json!({"org_id": school, "name": "School account", "number": format!("PA-{tag}")}),
        )
        .await;
    let product: Value = admin
        .post_ok("/v1/products", &json!({"sku": format!("JA-OFF16-{tag}"), "name": "Jasperactive Office 2016", "family": "Jasperactive Office 2016", "edition": "none", "module": "learn"}))
        .await;
    let license: Value = admin
        .post_ok("/v1/licenses", &json!({
            "account_id": account["id"], "product_id": product["id"], "order_number": format!("ORD-{tag}"),
            "purchase_order": "PO-Center2", "inventory_type": "center_license", "courses": ["Access", "Excel Core", "Word Core"],
            "seats_purchased": 10, "start_date": "2020-01-01", "finish_date": "2099-12-31", "grace_days": 30
        }))
        .await;
    Tree {
        district,
        school,
        account: account["id"].as_i64().unwrap(),
        product: product["id"].as_i64().unwrap(),
        license: license["id"].as_i64().unwrap(),
        school_admin: server.client_for(Role::CenterAdmin, school).await,
        school_org_admin: server.client_for(Role::OrgAdmin, school).await,
        district_admin: server.client_for(Role::OrgAdmin, district).await,
        reporter: server.client_for(Role::Reporter, district).await,
    }
}

async fn license_count(server: &TestServer) -> i64 {
    seatdesk_server::db::query_scalar("SELECT COUNT(*) FROM licenses")
        .fetch_one(&server.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn new_license_request_is_approved_by_the_parent_org_only() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let t = tree(&server, "nl").await;
        let other = tree(&server, "other").await;

        let before = server.audit_count().await;
        let request: Value = t
            .school_admin
            .post_ok("/v1/requests", &json!({
                "kind": "new_license", "account_id": t.account, "inventory_type": "user_activation_codes",
                "students": 25, "product_id": t.product, "courses": ["Excel Core", "Word Core"],
                "purchase_order": "PO-77", "comments": "new school year"
            }))
            .await;
        assert_eq!(server.audit_count().await, before + 1, "{backend:?}");
        assert_eq!(request["status"], "pending");
        assert_eq!(request["kind"], "new_license");
        assert_eq!(request["org_id"], t.school);
        assert_eq!(request["requested_to_org_id"], t.district);
        let id = request["id"].as_i64().unwrap();
        let licenses = license_count(&server).await;

        // The requesting org cannot decide its own request, even as org admin.
        let own = t
            .school_org_admin
            .post(&format!("/v1/requests/{id}/approve"), &json!({}))
            .await;
        assert_eq!(own.status, StatusCode::FORBIDDEN, "{}", own.body);
        assert!(
            own.body["detail"].as_str().unwrap().contains("parent org"),
            "{}",
            own.body
        );
        // A reporter of the parent org may not decide.
        let reporter = t
            .reporter
            .post(&format!("/v1/requests/{id}/approve"), &json!({}))
            .await;
        assert_eq!(reporter.status, StatusCode::FORBIDDEN);
        // A center admin may submit but not decide.
        let center = t
            .school_admin
            .post(&format!("/v1/requests/{id}/approve"), &json!({}))
            .await;
        assert_eq!(center.status, StatusCode::FORBIDDEN);
        // Another district does not see it at all.
        let foreign = other
            .district_admin
            .post(&format!("/v1/requests/{id}/approve"), &json!({}))
            .await;
        assert_eq!(foreign.status, StatusCode::NOT_FOUND);
        assert_eq!(
            other
                .district_admin
                .get(&format!("/v1/requests/{id}"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        let bad = t
            .district_admin
            .post(&format!("/v1/requests/{id}/approve"), &json!({"seats": -3}))
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            license_count(&server).await,
            licenses,
            "refusals changed nothing"
        );
        assert_eq!(server.audit_count().await, before + 1);

        let approved: Value = t
            .district_admin
            .post_ok(
                &format!("/v1/requests/{id}/approve"),
                &json!({"approval_comments": "ok for 2026"}),
            )
            .await;
        assert_eq!(approved["status"], "approved");
        assert_eq!(approved["approval_comments"], "ok for 2026");
        assert_eq!(
            server.audit_count().await,
            before + 3,
            "request + license events"
        );
        let new_license = approved["result_license_id"]
            .as_i64()
            .expect("result license");
        let license: Value = t
            .school_admin
            .get_ok(&format!("/v1/licenses/{new_license}"))
            .await;
        assert_eq!(license["seats"]["purchased"], 25);
        assert_eq!(license["status"], "active");
        assert_eq!(license["org_id"], t.school);
        assert_eq!(license["product_id"], t.product);
        assert_eq!(license["inventory_type"], "user_activation_codes");
        assert_eq!(license["courses"], json!(["Excel Core", "Word Core"]));
        assert_eq!(license["purchase_order"], "PO-77");

        let again = t
            .district_admin
            .post(&format!("/v1/requests/{id}/approve"), &json!({}))
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert_eq!(license_count(&server).await, licenses + 1);

        // Both the parent and the child see it; the other district does not.
        let page: Value = t
            .district_admin
            .get_ok("/v1/requests?status=approved&kind=new_license")
            .await;
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        let page: Value = t.school_admin.get_ok("/v1/requests").await;
        assert_eq!(page["items"][0]["id"], id);
        let page: Value = other.district_admin.get_ok("/v1/requests").await;
        assert!(page["items"].as_array().unwrap().is_empty());
        let bad_filter = t.district_admin.get("/v1/requests?status=maybe").await;
        assert_eq!(bad_filter.status, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn rejection_needs_a_reason_and_creates_nothing() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let t = tree(&server, "rj").await;
        let request: Value = t
            .school_admin
            .post_ok("/v1/requests", &json!({
                "kind": "new_license", "account_id": t.account, "inventory_type": "center_license",
                "students": 5, "product_id": t.product
            }))
            .await;
        let id = request["id"].as_i64().unwrap();
        let licenses = license_count(&server).await;
        let before = server.audit_count().await;
        let empty = t
            .district_admin
            .post(
                &format!("/v1/requests/{id}/reject"),
                &json!({"approval_comments": "  "}),
            )
            .await;
        assert_eq!(
            empty.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend:?}"
        );
        let rejected: Value = t
            .district_admin
            .post_ok(
                &format!("/v1/requests/{id}/reject"),
                &json!({"approval_comments": "budget is spent"}),
            )
            .await;
        assert_eq!(rejected["status"], "rejected");
        assert_eq!(rejected["approval_comments"], "budget is spent");
        assert!(rejected["result_license_id"].is_null());
        assert_eq!(server.audit_count().await, before + 1);
        assert_eq!(license_count(&server).await, licenses);
        let approve = t
            .district_admin
            .post(&format!("/v1/requests/{id}/approve"), &json!({}))
            .await;
        assert_eq!(approve.status, StatusCode::CONFLICT);

        // Bad submissions: unknown account, no students, wrong type.
        for body in [
            json!({"kind": "new_license", "account_id": 999999, "inventory_type": "center_license", "students": 5, "product_id": t.product}),
            json!({"kind": "new_license", "account_id": t.account, "inventory_type": "center_license", "students": 0, "product_id": t.product}),
            json!({"kind": "new_license", "account_id": t.account, "inventory_type": "floppy", "students": 5, "product_id": t.product}),
            json!({"kind": "upgrade", "license_id": t.license}),
        ] {
            let reply = t.school_admin.post("/v1/requests", &body).await;
            assert!(reply.status.is_client_error(), "{body}: {}", reply.status);
        }
        let reporter = t.reporter.post("/v1/requests", &json!({
            "kind": "new_license", "account_id": t.account, "inventory_type": "center_license", "students": 5, "product_id": t.product
        })).await;
        assert_eq!(reporter.status, StatusCode::FORBIDDEN);
        assert_eq!(
            server.audit_count().await,
            before + 1,
            "bad input changed nothing"
        );
    }
}

#[tokio::test]
async fn renewal_with_a_new_code_creates_a_license_for_the_new_period() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let t = tree(&server, "rn").await;
        let before = server.audit_count().await;
        let changed_mix = t
            .school_admin
            .post(
                "/v1/requests",
                &json!({
                    "kind": "renewal", "license_id": t.license, "new_code": true,
                    "start_date": "2100-01-01", "finish_date": "2100-12-31", "courses": ["Outlook"]
                }),
            )
            .await;
        assert_eq!(
            changed_mix.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend:?}"
        );
        assert!(
            changed_mix.body["detail"]
                .as_str()
                .unwrap()
                .contains("product mix"),
            "{}",
            changed_mix.body
        );
        let backwards = t
            .school_admin
            .post("/v1/requests", &json!({"kind": "renewal", "license_id": t.license, "new_code": true, "start_date": "2100-01-01", "finish_date": "2099-01-01"}))
            .await;
        assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(server.audit_count().await, before);

        let request: Value = t
            .school_admin
            .post_ok("/v1/requests", &json!({
                "kind": "renewal", "license_id": t.license, "new_code": true,
                "start_date": "2100-01-01", "finish_date": "2100-12-31", "students": 40, "comments": "next year"
            }))
            .await;
        assert_eq!(
            server.audit_count().await,
            before + 2,
            "request + license flag"
        );
        assert_eq!(request["requested_to_org_id"], t.district);
        assert_eq!(
            request["courses"],
            json!(["Access", "Excel Core", "Word Core"])
        );
        let license: Value = t
            .school_admin
            .get_ok(&format!("/v1/licenses/{}", t.license))
            .await;
        assert_eq!(license["renewal_requested"], true);
        let listed: Value = t
            .school_admin
            .get_ok("/v1/licenses?order_status=with_renewal_request")
            .await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);

        let twice = t
            .school_admin
            .post("/v1/requests", &json!({"kind": "renewal", "license_id": t.license, "new_code": false, "start_date": "2100-01-01", "finish_date": "2100-12-31"}))
            .await;
        assert_eq!(twice.status, StatusCode::CONFLICT);
        assert!(
            twice.body["detail"]
                .as_str()
                .unwrap()
                .contains("already has a pending renewal")
        );

        let id = request["id"].as_i64().unwrap();
        let approved: Value = t
            .district_admin
            .post_ok(&format!("/v1/requests/{id}/approve"), &json!({}))
            .await;
        assert_eq!(
            server.audit_count().await,
            before + 5,
            "request, new license, old license"
        );
        let new_id = approved["result_license_id"].as_i64().unwrap();
        assert_ne!(new_id, t.license);
        let renewed: Value = t
            .school_admin
            .get_ok(&format!("/v1/licenses/{new_id}"))
            .await;
        assert_eq!(renewed["product_id"], t.product);
        assert_eq!(renewed["account_id"], t.account);
        assert_eq!(
            renewed["courses"],
            json!(["Access", "Excel Core", "Word Core"])
        );
        assert_eq!(renewed["seats"]["purchased"], 40);
        assert_eq!(renewed["start_date"], "2100-01-01");
        assert_eq!(renewed["finish_date"], "2100-12-31");
        assert_eq!(renewed["grace_days"], 30);
        let old: Value = t
            .school_admin
            .get_ok(&format!("/v1/licenses/{}", t.license))
            .await;
        assert_eq!(old["renewed"], true);
        assert_eq!(old["renewal_requested"], false);
        assert_eq!(
            old["finish_date"], "2099-12-31",
            "the old license keeps its period"
        );
    }
}

#[tokio::test]
async fn renewal_with_the_existing_code_moves_the_dates_and_rejection_clears_the_flag() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let t = tree(&server, "rx").await;
        let request: Value = t
            .school_admin
            .post_ok(
                "/v1/requests",
                &json!({
                    "kind": "renewal", "license_id": t.license, "new_code": false,
                    "start_date": "2100-01-01", "finish_date": "2101-06-30"
                }),
            )
            .await;
        let id = request["id"].as_i64().unwrap();
        let own = t
            .school_org_admin
            .post(&format!("/v1/requests/{id}/approve"), &json!({}))
            .await;
        assert_eq!(own.status, StatusCode::FORBIDDEN, "{backend:?}");
        let licenses = license_count(&server).await;
        let before = server.audit_count().await;
        let approved: Value = t
            .district_admin
            .post_ok(&format!("/v1/requests/{id}/approve"), &json!({"seats": 12}))
            .await;
        assert_eq!(approved["result_license_id"], t.license);
        assert_eq!(server.audit_count().await, before + 2, "request + license");
        assert_eq!(license_count(&server).await, licenses, "no new license");
        let license: Value = t
            .school_admin
            .get_ok(&format!("/v1/licenses/{}", t.license))
            .await;
        // The renewal continues the current term, so users keep access now.
        assert_eq!(license["start_date"], "2020-01-01");
        assert_eq!(license["finish_date"], "2101-06-30");
        assert_eq!(license["seats"]["purchased"], 12);
        assert_eq!(license["renewed"], true);
        assert_eq!(license["renewal_requested"], false);
        let grace_until: seatdesk_server::db::types::Day =
            seatdesk_server::db::query_scalar("SELECT grace_until FROM licenses WHERE id = $1")
                .bind(t.license)
                .fetch_one(&server.db.pool)
                .await
                .unwrap();
        assert_eq!(
            grace_until.to_string(),
            "2101-07-30",
            "finish + 30 grace days"
        );

        // A second renewal, rejected: the flag clears and nothing else moves.
        let second: Value = t
            .school_admin
            .post_ok(
                "/v1/requests",
                &json!({
                    "kind": "renewal", "license_id": t.license, "new_code": false,
                    "start_date": "2102-01-01", "finish_date": "2102-12-31"
                }),
            )
            .await;
        let second_id = second["id"].as_i64().unwrap();
        let before = server.audit_count().await;
        t.district_admin
            .post_ok::<Value>(
                &format!("/v1/requests/{second_id}/reject"),
                &json!({"approval_comments": "not this year"}),
            )
            .await;
        assert_eq!(
            server.audit_count().await,
            before + 2,
            "request + license flag"
        );
        let license: Value = t
            .school_admin
            .get_ok(&format!("/v1/licenses/{}", t.license))
            .await;
        assert_eq!(license["renewal_requested"], false);
        assert_eq!(license["finish_date"], "2101-06-30");

        // Keyset pagination over the two requests.
        let first: Value = t
            .district_admin
            .get_ok(&format!("/v1/requests?license_id={}&limit=1", t.license))
            .await;
        assert_eq!(first["items"][0]["id"], id);
        let cursor = first["next_cursor"].as_str().expect("a second page");
        let next: Value = t
            .district_admin
            .get_ok(&format!(
                "/v1/requests?license_id={}&limit=1&cursor={cursor}",
                t.license
            ))
            .await;
        assert_eq!(next["items"][0]["id"], second_id);
        assert!(next["next_cursor"].is_null());
    }
}

#[tokio::test]
async fn concurrent_renewals_and_decisions_happen_once() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let t = tree(&server, "cc").await;
        let body = json!({"kind": "renewal", "license_id": t.license, "new_code": true, "start_date": "2100-01-01", "finish_date": "2100-12-31"});
        let submits: Vec<_> = (0..10)
            .map(|_| {
                let (client, body) = (t.school_admin.clone(), body.clone());
                tokio::spawn(async move { client.post("/v1/requests", &body).await })
            })
            .collect();
        let replies: Vec<_> = futures::future::join_all(submits)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let created: Vec<_> = replies
            .iter()
            .filter(|r| r.status == StatusCode::CREATED)
            .collect();
        assert_eq!(created.len(), 1, "{backend:?}");
        assert!(
            replies
                .iter()
                .filter(|r| r.status != StatusCode::CREATED)
                .all(|r| r.status == StatusCode::CONFLICT)
        );
        let id = created[0].body["id"].as_i64().unwrap();

        let licenses = license_count(&server).await;
        let decisions: Vec<_> = (0..6)
            .map(|i| {
                let client = t.district_admin.clone();
                tokio::spawn(async move {
                    if i % 2 == 0 {
                        client
                            .post(&format!("/v1/requests/{id}/approve"), &json!({}))
                            .await
                    } else {
                        client
                            .post(
                                &format!("/v1/requests/{id}/reject"),
                                &json!({"approval_comments": "no"}),
                            )
                            .await
                    }
                })
            })
            .collect();
        let replies: Vec<_> = futures::future::join_all(decisions)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let decided: Vec<_> = replies
            .iter()
            .filter(|r| r.status == StatusCode::OK)
            .collect();
        assert_eq!(decided.len(), 1);
        assert_eq!(
            replies
                .iter()
                .filter(|r| r.status == StatusCode::CONFLICT)
                .count(),
            5
        );
        let approved = decided[0].body["status"] == "approved";
        assert_eq!(license_count(&server).await, licenses + i64::from(approved));
        let license: Value = t
            .school_admin
            .get_ok(&format!("/v1/licenses/{}", t.license))
            .await;
        assert_eq!(license["renewal_requested"], false);
        assert_eq!(license["renewed"], approved);
    }
}

#[tokio::test]
async fn an_allocated_license_keeps_its_seat_count_on_an_existing_code_renewal() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let t = tree(&server, "al").await;
        let district_account: Value = server
            .admin
            .post_ok(
                "/v1/accounts",
                &json!({"org_id": t.district, "name": "District", "number": "PA-al-d"}),
            )
            .await;
        let pool: Value = server
            .admin
            .post_ok("/v1/licenses", &json!({
                "account_id": district_account["id"], "product_id": t.product, "order_number": "ORD-pool",
                "inventory_type": "seat_pool", "seats_purchased": 50, "start_date": "2020-01-01", "finish_date": "2099-12-31"
            }))
            .await;
        let share: Value = t
            .district_admin
            .post_ok(
                &format!("/v1/licenses/{}/allocations", pool["id"]),
                &json!({"account_id": t.account, "seats": 8}),
            )
            .await;
        let share_id = share["id"].as_i64().unwrap();
        let request: Value = t
            .school_admin
            .post_ok(
                "/v1/requests",
                &json!({
                    "kind": "renewal", "license_id": share_id, "new_code": false,
                    "start_date": "2100-01-01", "finish_date": "2100-12-31", "students": 30
                }),
            )
            .await;
        let id = request["id"].as_i64().unwrap();
        let before = server.audit_count().await;
        let refused = t
            .district_admin
            .post(&format!("/v1/requests/{id}/approve"), &json!({}))
            .await;
        assert_eq!(
            refused.status,
            StatusCode::CONFLICT,
            "{backend:?} {}",
            refused.body
        );
        assert!(
            refused.body["detail"]
                .as_str()
                .unwrap()
                .contains("allocated from license")
        );
        assert_eq!(server.audit_count().await, before, "nothing changed");
        let still: Value = t.school_admin.get_ok(&format!("/v1/requests/{id}")).await;
        assert_eq!(still["status"], "pending");

        let approved: Value = t
            .district_admin
            .post_ok(&format!("/v1/requests/{id}/approve"), &json!({"seats": 8}))
            .await;
        assert_eq!(approved["result_license_id"], share_id);
        let renewed: Value = t
            .school_admin
            .get_ok(&format!("/v1/licenses/{share_id}"))
            .await;
        assert_eq!(renewed["finish_date"], "2100-12-31");
        assert_eq!(renewed["seats"]["purchased"], 8);
        server.assert_counts_match_rows().await;
    }
}

#[tokio::test]
async fn an_existing_code_renewal_after_a_gap_starts_afresh() {
    let server = TestServer::start(helpers::Backend::Sqlite).await;
    let t = tree(&server, "gap").await;
    let request: Value = t
        .school_admin
        .post_ok(
            "/v1/requests",
            &json!({
                "kind": "renewal", "license_id": t.license, "new_code": false,
                "start_date": "2100-03-01", "finish_date": "2100-12-31"
            }),
        )
        .await;
    let id = request["id"].as_i64().unwrap();
    t.district_admin
        .post_ok::<Value>(&format!("/v1/requests/{id}/approve"), &json!({}))
        .await;
    let license: Value = t
        .school_admin
        .get_ok(&format!("/v1/licenses/{}", t.license))
        .await;
    // Two months lie between the old finish and the new start: no access then.
    assert_eq!(license["start_date"], "2100-03-01");
    assert_eq!(license["finish_date"], "2100-12-31");
}
