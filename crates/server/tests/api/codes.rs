//! Codes over real HTTP: master and teacher codes of new licenses, resource
//! codes, activation-code batches and their export, redemption of every
//! kind with its errors, and seat limits under concurrent redemption (the
//! guessing limits are `guessing`'s). Every story runs on every configured backend.

use std::collections::HashSet;
use std::io::Cursor;

use calamine::{Reader, Xlsx, open_workbook_from_rs};
use reqwest::{Method, StatusCode};
use seatdesk_core::Role;
use seatdesk_core::codes::{ALPHABET, validate};
use seatdesk_server::ServerConfig;
use seatdesk_server::domain::guessing::RedeemLimits;
use serde_json::{Value, json};

use crate::helpers::{self, Backend, Client, Fixture, TestServer, backends};

/// A server whose rate limit stays out of the way of stories that fail on purpose.
async fn start(backend: Backend) -> TestServer {
    TestServer::start_with(
        backend,
        ServerConfig {
            redeem: RedeemLimits::UNLIMITED,
            ..ServerConfig::default()
        },
    )
    .await
}

async fn count(server: &TestServer, sql: &str, id: i64) -> i64 {
    seatdesk_server::db::query_scalar(sql.to_string())
        .bind(id)
        .fetch_one(&server.db.pool)
        .await
        .unwrap()
}

async fn create_batch(client: &Client, license_id: i64, count: i64, users_per_code: i64) -> Value {
    client
        .post_ok(
            &format!("/v1/licenses/{license_id}/code-batches"),
            &json!({"count": count, "users_per_code": users_per_code, "duration_days": 30,
                    "enable_benchmark": true, "require_teacher_link": true}),
        )
        .await
}

/// Every code of a batch, read page by page.
async fn batch_codes(client: &Client, batch_id: i64) -> Vec<Value> {
    let mut codes = Vec::new();
    let mut path = format!("/v1/code-batches/{batch_id}?limit=1000");
    loop {
        let page: Value = client.get_ok(&path).await;
        codes.extend(page["codes"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                path = format!("/v1/code-batches/{batch_id}?limit=1000&cursor={cursor}")
            }
            None => return codes,
        }
    }
}

async fn redeem(client: &Client, code: &str, email: &str) -> helpers::Reply {
    client
        .post("/v1/redeem", &json!({"code": code, "email": email}))
        .await
}

async fn download(client: &Client, path: &str) -> (StatusCode, String, String, Vec<u8>) {
    let response = client
        .http
        .get(format!("{}{path}", client.base))
        .bearer_auth(&client.token)
        .send()
        .await
        .unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (content_type, disposition) = (header("content-type"), header("content-disposition"));
    let status = response.status();
    (
        status,
        content_type,
        disposition,
        response.bytes().await.unwrap().to_vec(),
    )
}

/// A product with resource codes (ALEKS) and a license of it in `fixture`'s account.
async fn aleks_license(server: &TestServer, fixture: &Fixture, seats: i64) -> i64 {
    let product: Value = server
        .admin
        .post_ok(
            "/v1/products",
            &json!({"sku": format!("ALEKS-{}", fixture.license_id), "name": "ALEKS Math",
            "family": "ALEKS", "edition": "none", "module": "none", "has_resource_codes": true}),
        )
        .await;
    let license: Value = server
        .admin
        .post_ok("/v1/licenses", &json!({"account_id": fixture.account_id, "product_id": product["id"],
            "order_number": format!("ALEKS-{}", fixture.license_id), "inventory_type": "seat_pool",
            "seats_purchased": seats, "start_date": "2020-01-01", "finish_date": "2099-12-31", "grace_days": 0}))
        .await;
    license["id"].as_i64().unwrap()
}

#[tokio::test]
async fn new_licenses_carry_a_valid_master_code_and_teacher_code() {
    for backend in backends() {
        let server = start(backend).await;
        let a = server.license_fixture(5, "teacher").await;
        let b = server.license_fixture(5, "teacher").await;
        let mut seen = HashSet::new();
        for fixture in [a, b] {
            let license: Value = server
                .admin
                .get_ok(&format!("/v1/licenses/{}", fixture.license_id))
                .await;
            let master = license["master_code"].as_str().expect("master code");
            assert_eq!(master.len(), 16, "{master}");
            assert!(!master.contains('-'));
            assert_eq!(validate(master).as_deref(), Ok(master));
            let teacher = license["teacher_code"].as_str().expect("teacher code");
            assert_eq!(
                teacher.split('-').map(str::len).collect::<Vec<_>>(),
                vec![5, 4, 4]
            );
            assert_eq!(validate(teacher).as_deref(), Ok(teacher));
            assert!(seen.insert(master.to_string()) && seen.insert(teacher.to_string()));
            let tab: Value = server
                .admin
                .get_ok(&format!(
                    "/v1/licenses/{}/codes?kind=master",
                    fixture.license_id
                ))
                .await;
            let items = tab["items"].as_array().unwrap();
            assert_eq!(items.len(), 1);
            assert_eq!(items[0]["code"], master);
            assert_eq!(items[0]["kind"], "master");
            // The License Code search finds it however it is typed.
            let sloppy = teacher.to_lowercase().replace('-', "");
            let found: Value = server
                .admin
                .get_ok(&format!("/v1/licenses?code={sloppy}"))
                .await;
            assert_eq!(found["items"][0]["id"], fixture.license_id);
            assert_eq!(found["items"].as_array().unwrap().len(), 1);
        }
        // A child org's share keeps the teacher code and gets its own master code.
        let child_org: Value = server
            .admin
            .post_ok(
                "/v1/orgs",
                &json!({"parent_id": a.org_id, "kind": "school", "name": "North School"}),
            )
            .await;
        let child_account: Value = server
            .admin
            .post_ok(
                "/v1/accounts",
                &json!({"org_id": child_org["id"], "name": "North", "number": "PA-NORTH"}),
            )
            .await;
        let child: Value = server
            .admin
            .post_ok(
                &format!("/v1/licenses/{}/allocations", a.license_id),
                &json!({"account_id": child_account["id"], "seats": 2}),
            )
            .await;
        let parent: Value = server
            .admin
            .get_ok(&format!("/v1/licenses/{}", a.license_id))
            .await;
        assert_eq!(child["teacher_code"], parent["teacher_code"]);
        let child_master = child["master_code"].as_str().unwrap();
        assert!(validate(child_master).is_ok() && !seen.contains(child_master));
        let api = server.admin.get("/openapi.json").await.body;
        for path in [
            "/v1/licenses/{id}/codes",
            "/v1/licenses/{id}/resource-codes",
            "/v1/licenses/{id}/code-batches",
            "/v1/code-batches/{id}",
            "/v1/code-batches/{id}/export",
            "/v1/redeem",
        ] {
            assert!(
                api["paths"][path].is_object(),
                "{path} is missing from /openapi.json"
            );
        }
    }
}

#[tokio::test]
async fn a_batch_of_2000_codes_is_unique_valid_and_exports_as_csv_and_xlsx() {
    for backend in backends() {
        let server = start(backend).await;
        let fixture = server.license_fixture(3000, "student").await;
        let events_before = server.audit_count().await;
        let batch = create_batch(&server.admin, fixture.license_id, 2000, 1).await;
        assert_eq!(
            server.audit_count().await,
            events_before + 1,
            "one audit event per batch"
        );
        assert_eq!(batch["code_count"], 2000);
        assert_eq!(batch["enable_benchmark"], true);
        assert_eq!(batch["enable_badges"], false);
        let batch_id = batch["id"].as_i64().unwrap();
        let codes = batch_codes(&server.admin, batch_id).await;
        assert_eq!(codes.len(), 2000);
        let unique: HashSet<&str> = codes.iter().map(|c| c["code"].as_str().unwrap()).collect();
        assert_eq!(unique.len(), 2000, "codes repeat");
        for code in &unique {
            assert_eq!(validate(code).as_deref(), Ok(*code));
            assert!(code.chars().all(|c| c == '-' || ALPHABET.contains(c)));
        }
        let listed: Value = server
            .admin
            .get_ok(&format!("/v1/licenses/{}/code-batches", fixture.license_id))
            .await;
        assert_eq!(listed["items"][0]["id"], batch_id);

        // One code redeemed, so its row names the user.
        let first = codes[0]["code"].as_str().unwrap();
        server
            .insert_user(fixture.org_id, "ada@school.example", "student")
            .await;
        let reply = redeem(&server.admin, first, "ada@school.example").await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);

        let (status, content_type, disposition, bytes) = download(
            &server.admin,
            &format!("/v1/code-batches/{batch_id}/export?format=csv"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(content_type.starts_with("text/csv"), "{content_type}");
        assert!(
            disposition.starts_with("attachment;") && disposition.contains(".csv"),
            "{disposition}"
        );
        let text = String::from_utf8(bytes).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Code,Users per code,Name,Last Name,Email");
        assert_eq!(lines.len(), 2001);
        assert_eq!(lines[1], format!("{first},1,ada,Tester,ada@school.example"));
        assert_eq!(
            lines[2],
            format!("{},1,,,", codes[1]["code"].as_str().unwrap())
        );
        let exported: HashSet<&str> = lines[1..]
            .iter()
            .map(|l| l.split(',').next().unwrap())
            .collect();
        assert_eq!(exported, unique);

        let (status, content_type, disposition, bytes) = download(
            &server.admin,
            &format!("/v1/code-batches/{batch_id}/export"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            content_type,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        assert!(disposition.contains(".xlsx"), "{disposition}");
        let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("a workbook");
        let sheet = workbook.worksheet_range("Codes").expect("sheet Codes");
        let rows: Vec<Vec<String>> = sheet
            .rows()
            .map(|row| row.iter().map(|cell| cell.to_string()).collect())
            .collect();
        assert_eq!(rows.len(), 2001);
        assert_eq!(
            rows[0],
            ["Code", "Users per code", "Name", "Last Name", "Email"]
        );
        assert_eq!(rows[1], [first, "1", "ada", "Tester", "ada@school.example"]);
        assert_eq!(rows[2000][0], codes[1999]["code"].as_str().unwrap());
        server.assert_counts_match_rows().await;
    }
}

#[tokio::test]
async fn batches_that_exceed_the_free_seats_are_refused() {
    for backend in backends() {
        let server = start(backend).await;
        let fixture = server.license_fixture(10, "teacher").await;
        let path = format!("/v1/licenses/{}/code-batches", fixture.license_id);
        let over = server
            .admin
            .post(
                &path,
                &json!({"count": 3, "users_per_code": 4, "duration_days": 10}),
            )
            .await;
        assert_eq!(over.status, StatusCode::CONFLICT);
        assert_eq!(over.problem_kind(), "no-seats-left");
        assert!(
            over.body["detail"].as_str().unwrap().contains("12 seats"),
            "{}",
            over.body
        );
        create_batch(&server.admin, fixture.license_id, 2, 4).await;
        // 8 of 10 seats are promised to the first batch's codes.
        let promised = server
            .admin
            .post(
                &path,
                &json!({"count": 1, "users_per_code": 3, "duration_days": 10}),
            )
            .await;
        assert_eq!(promised.problem_kind(), "no-seats-left");
        for bad in [
            json!({"count": 0, "users_per_code": 1, "duration_days": 10}),
            json!({"count": 10_001, "users_per_code": 1, "duration_days": 10}),
            json!({"count": 1, "users_per_code": 1001, "duration_days": 10}),
            json!({"count": 1, "users_per_code": 1, "duration_days": 0}),
            json!({"count": "ten", "users_per_code": 1, "duration_days": 10}),
            json!({"count": 1, "users_per_code": 1, "duration_days": 10, "colour": "red"}),
        ] {
            let reply = server.admin.post(&path, &bad).await;
            assert_eq!(
                reply.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{bad}: {}",
                reply.body
            );
        }
        server
            .admin
            .post_ok::<Value>(
                &format!("/v1/licenses/{}/deactivate", fixture.license_id),
                &json!({}),
            )
            .await;
        let unusable = server
            .admin
            .post(
                &path,
                &json!({"count": 1, "users_per_code": 1, "duration_days": 10}),
            )
            .await;
        assert_eq!(unusable.problem_kind(), "license-not-usable");
        let batches = count(
            &server,
            "SELECT COUNT(*) FROM code_batches WHERE license_id = $1",
            fixture.license_id,
        )
        .await;
        assert_eq!(batches, 1, "refused batches left rows behind");
        let codes = count(
            &server,
            "SELECT COUNT(*) FROM codes WHERE license_id = $1 AND kind = 'activation'",
            fixture.license_id,
        )
        .await;
        assert_eq!(codes, 2);
    }
}

#[tokio::test]
async fn batch_options_can_be_saved_after_creation_within_scope_only() {
    for backend in backends() {
        let server = start(backend).await;
        let fixture = server.license_fixture(10, "teacher").await;
        let other = server.license_fixture(10, "teacher").await;
        let batch = create_batch(&server.admin, fixture.license_id, 1, 1).await;
        let id = batch["id"].as_i64().unwrap();
        let events = server.audit_count().await;
        let patched = server
            .admin
            .send(
                Method::PATCH,
                &format!("/v1/code-batches/{id}"),
                Some(&json!({"enable_badges": true, "require_teacher_link": false})),
                None,
            )
            .await;
        assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
        assert_eq!(server.audit_count().await, events + 1);
        let detail: Value = server.admin.get_ok(&format!("/v1/code-batches/{id}")).await;
        assert_eq!(detail["batch"]["enable_badges"], true);
        assert_eq!(detail["batch"]["require_teacher_link"], false);
        assert_eq!(
            detail["batch"]["enable_benchmark"], true,
            "untouched options keep their value"
        );
        assert_eq!(detail["codes"].as_array().unwrap().len(), 1);

        let outsider = server.client_for(Role::OrgAdmin, other.org_id).await;
        for path in [
            format!("/v1/code-batches/{id}"),
            format!("/v1/code-batches/{id}/export?format=csv"),
            format!("/v1/licenses/{}/codes", fixture.license_id),
            "/v1/code-batches/987654".to_string(),
        ] {
            let reply = outsider.get(&path).await;
            assert_eq!(
                reply.status,
                StatusCode::NOT_FOUND,
                "{path}: {}",
                reply.body
            );
        }
        let reply = outsider
            .post(
                &format!("/v1/licenses/{}/code-batches", fixture.license_id),
                &json!({"count": 1, "users_per_code": 1, "duration_days": 1}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        let reporter = server.client_for(Role::Reporter, fixture.org_id).await;
        let reply = reporter
            .send(
                Method::PATCH,
                &format!("/v1/code-batches/{id}"),
                Some(&json!({"enable_badges": false})),
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        let reply = reporter.get(&format!("/v1/code-batches/{id}/export")).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        let reply = server
            .admin
            .get(&format!("/v1/code-batches/{id}/export?format=pdf"))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        let reply = server.admin.get("/v1/code-batches/not-a-number").await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        let reply = server
            .admin
            .send(
                Method::PATCH,
                &format!("/v1/code-batches/{id}"),
                Some(&json!({"enable_badges": "yes"})),
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            server.audit_count().await,
            events + 1,
            "refused requests left events"
        );
    }
}

#[tokio::test]
async fn resource_codes_are_per_subject_and_only_for_products_that_have_them() {
    for backend in backends() {
        let server = start(backend).await;
        let fixture = server.license_fixture(10, "teacher").await;
        let aleks = aleks_license(&server, &fixture, 10).await;
        let path = format!("/v1/licenses/{aleks}/resource-codes");
        let code: Value = server
            .admin
            .post_ok(&path, &json!({"subject": "Algebra 1"}))
            .await;
        assert_eq!(code["kind"], "resource");
        assert_eq!(code["subject"], "Algebra 1");
        assert!(validate(code["code"].as_str().unwrap()).is_ok());
        server
            .admin
            .post_ok::<Value>(&path, &json!({"subject": "Chemistry"}))
            .await;
        let again = server
            .admin
            .post(&path, &json!({"subject": "algebra 1"}))
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        let empty = server.admin.post(&path, &json!({"subject": "  "})).await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        let refused = server
            .admin
            .post(
                &format!("/v1/licenses/{}/resource-codes", fixture.license_id),
                &json!({"subject": "Algebra 1"}),
            )
            .await;
        assert_eq!(refused.status, StatusCode::CONFLICT);
        assert!(
            refused.body["detail"]
                .as_str()
                .unwrap()
                .contains("no resource codes"),
            "{}",
            refused.body
        );
        let tab: Value = server
            .admin
            .get_ok(&format!("/v1/licenses/{aleks}/codes?kind=resource"))
            .await;
        assert_eq!(tab["items"].as_array().unwrap().len(), 2);
    }
}

#[tokio::test]
async fn each_kind_of_code_redeems_into_an_active_seat() {
    for backend in backends() {
        let server = start(backend).await;
        // Teacher edition: a teacher redeems the master code.
        let teacher_ed = server.license_fixture(5, "teacher").await;
        let license: Value = server
            .admin
            .get_ok(&format!("/v1/licenses/{}", teacher_ed.license_id))
            .await;
        server
            .insert_user(teacher_ed.org_id, "tess@school.example", "teacher")
            .await;
        let events = server.audit_count().await;
        let master = license["master_code"].as_str().unwrap().to_lowercase();
        let reply = redeem(&server.admin, &master, "tess@school.example").await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        assert_eq!(server.audit_count().await, events + 1, "one event per seat");
        assert_eq!(reply.body["kind"], "master");
        assert_eq!(reply.body["seat"]["status"], "active");
        assert!(reply.body["seat"]["claimed_at"].is_string());
        assert!(reply.body["redemption_code"].is_null());
        let consumed = count(
            &server,
            "SELECT seats_consumed FROM licenses WHERE id = $1",
            teacher_ed.license_id,
        )
        .await;
        assert_eq!(consumed, 1);
        let again = redeem(&server.admin, &master, "tess@school.example").await;
        assert_eq!(
            again.status,
            StatusCode::CONFLICT,
            "a second live seat: {}",
            again.body
        );

        // Student edition: the teacher also gets a redemption code, which a
        // student redeems to join the class.
        let student_ed = server.license_fixture(5, "student").await;
        let license: Value = server
            .admin
            .get_ok(&format!("/v1/licenses/{}", student_ed.license_id))
            .await;
        server
            .insert_user(student_ed.org_id, "theo@school.example", "teacher")
            .await;
        let reply = redeem(
            &server.admin,
            license["master_code"].as_str().unwrap(),
            "theo@school.example",
        )
        .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        let redemption = reply.body["redemption_code"]
            .as_str()
            .expect("a redemption code")
            .to_string();
        assert!(validate(&redemption).is_ok());
        assert_eq!(reply.body["seat"]["redemption_code"], redemption.as_str());
        let teacher_seat = reply.body["seat"]["id"].as_i64().unwrap();
        let tab: Value = server
            .admin
            .get_ok(&format!(
                "/v1/licenses/{}/codes?kind=redemption",
                student_ed.license_id
            ))
            .await;
        assert_eq!(tab["items"][0]["code"], redemption.as_str());
        assert_eq!(tab["items"][0]["seat_id"], teacher_seat);
        assert_eq!(tab["items"][0]["user_email"], "theo@school.example");
        server
            .insert_user(student_ed.org_id, "sam@school.example", "student")
            .await;
        let reply = redeem(&server.admin, &redemption, "sam@school.example").await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        let assigned = count(
            &server,
            "SELECT students_assigned FROM seats WHERE id = $1",
            teacher_seat,
        )
        .await;
        assert_eq!(assigned, 1);
        let wrong = redeem(
            &server.admin,
            license["master_code"].as_str().unwrap(),
            "sam@school.example",
        )
        .await;
        assert_eq!(
            wrong.status,
            StatusCode::CONFLICT,
            "students do not redeem master codes"
        );

        // Activation code: anyone; the code counts its use.
        let batch = create_batch(&server.admin, student_ed.license_id, 1, 2).await;
        let codes = batch_codes(&server.admin, batch["id"].as_i64().unwrap()).await;
        let code = codes[0]["code"].as_str().unwrap().replace('-', " ");
        server
            .insert_user(student_ed.org_id, "ava@school.example", "student")
            .await;
        let reply = redeem(&server.admin, &code, "ava@school.example").await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        assert_eq!(reply.body["kind"], "activation");
        let uses = count(
            &server,
            "SELECT uses FROM codes WHERE id = $1",
            codes[0]["id"].as_i64().unwrap(),
        )
        .await;
        assert_eq!(uses, 1);

        // Resource code.
        let aleks = aleks_license(&server, &student_ed, 5).await;
        let resource: Value = server
            .admin
            .post_ok(
                &format!("/v1/licenses/{aleks}/resource-codes"),
                &json!({"subject": "Geometry"}),
            )
            .await;
        let reply = redeem(
            &server.admin,
            resource["code"].as_str().unwrap(),
            "ava@school.example",
        )
        .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        assert_eq!(reply.body["seat"]["license_id"], aleks);

        let by_code = count(
            &server,
            "SELECT COUNT(*) FROM seats WHERE source = 'code' AND status = 'active' AND id > $1",
            0,
        )
        .await;
        assert_eq!(by_code, 5);
        server.assert_counts_match_rows().await;
    }
}

#[tokio::test]
async fn redemption_errors_say_what_went_wrong_and_change_nothing() {
    for backend in backends() {
        let server = start(backend).await;
        let fixture = server.license_fixture(3, "teacher").await;
        let other = server.license_fixture(3, "teacher").await;
        for (email, kind) in [
            ("kim@school.example", "teacher"),
            ("lee@school.example", "student"),
            ("max@school.example", "student"),
        ] {
            server.insert_user(fixture.org_id, email, kind).await;
        }
        let batch = create_batch(&server.admin, fixture.license_id, 2, 1).await;
        let codes = batch_codes(&server.admin, batch["id"].as_i64().unwrap()).await;
        let (single, spare) = (
            codes[0]["code"].as_str().unwrap(),
            codes[1]["code"].as_str().unwrap(),
        );
        let events = server.audit_count().await;

        // A substituted character fails the check character.
        let mut typo: Vec<char> = single.chars().collect();
        typo[0] = if typo[0] == 'A' { 'B' } else { 'A' };
        let typo: String = typo.into_iter().collect();
        let reply = redeem(&server.admin, &typo, "lee@school.example").await;
        assert_eq!(
            (reply.status, reply.problem_kind().as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "code-mistyped")
        );
        assert!(
            reply.body["detail"]
                .as_str()
                .unwrap()
                .contains("check character"),
            "{}",
            reply.body
        );
        let reply = redeem(
            &server.admin,
            &single.replacen(&single[..1], "0", 1),
            "lee@school.example",
        )
        .await;
        assert_eq!(reply.problem_kind(), "code-mistyped");
        assert!(
            reply.body["detail"].as_str().unwrap().contains("'0'"),
            "{}",
            reply.body
        );
        let reply = redeem(&server.admin, "ABC", "lee@school.example").await;
        assert_eq!(reply.problem_kind(), "code-mistyped");

        // Well-formed but nobody's code; and a code of another org's license.
        let unknown = seatdesk_core::codes::generate(
            &mut rand::rng(),
            seatdesk_core::codes::CodeShape::Grouped,
        );
        let reply = redeem(&server.admin, &unknown, "lee@school.example").await;
        assert_eq!(
            (reply.status, reply.problem_kind().as_str()),
            (StatusCode::NOT_FOUND, "code-unknown")
        );
        let foreign: Value = server
            .admin
            .get_ok(&format!("/v1/licenses/{}", other.license_id))
            .await;
        let scoped = server.client_for(Role::OrgAdmin, fixture.org_id).await;
        let reply = redeem(
            &scoped,
            foreign["master_code"].as_str().unwrap(),
            "kim@school.example",
        )
        .await;
        assert_eq!(reply.problem_kind(), "code-unknown");

        // Exhausted: a single-user code used twice.
        let reply = redeem(&server.admin, single, "lee@school.example").await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        let reply = redeem(&server.admin, single, "max@school.example").await;
        assert_eq!(
            (reply.status, reply.problem_kind().as_str()),
            (StatusCode::CONFLICT, "code-exhausted")
        );

        // Expired: past the batch's duration, and on a deactivated license.
        seatdesk_server::db::query("UPDATE codes SET expires_at = $2 WHERE code = $1")
            .bind(spare.to_string())
            .bind(seatdesk_server::db::types::Stamp::try_from(1000).unwrap())
            .execute(&server.db.pool)
            .await
            .unwrap();
        let reply = redeem(&server.admin, spare, "max@school.example").await;
        assert_eq!(
            (reply.status, reply.problem_kind().as_str()),
            (StatusCode::GONE, "code-expired")
        );
        server
            .admin
            .post_ok::<Value>(
                &format!("/v1/licenses/{}/deactivate", fixture.license_id),
                &json!({}),
            )
            .await;
        let master: Value = server
            .admin
            .get_ok(&format!("/v1/licenses/{}", fixture.license_id))
            .await;
        let reply = redeem(
            &server.admin,
            master["master_code"].as_str().unwrap(),
            "kim@school.example",
        )
        .await;
        assert_eq!(reply.problem_kind(), "code-expired");
        assert!(
            reply.body["detail"]
                .as_str()
                .unwrap()
                .contains("deactivated"),
            "{}",
            reply.body
        );
        server
            .admin
            .post_ok::<Value>(
                &format!("/v1/licenses/{}/activate", fixture.license_id),
                &json!({}),
            )
            .await;

        // Bad input and callers who may not redeem.
        let reply = server
            .admin
            .post(
                "/v1/redeem",
                &json!({"code": 5, "email": "lee@school.example"}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        let reply = server
            .admin
            .post("/v1/redeem", &json!({"code": single}))
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        let reply = redeem(
            &server.admin,
            master["master_code"].as_str().unwrap(),
            "nobody@school.example",
        )
        .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        let reporter = server.client_for(Role::Reporter, fixture.org_id).await;
        let reply = redeem(
            &reporter,
            master["master_code"].as_str().unwrap(),
            "kim@school.example",
        )
        .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);

        // Only the one successful redemption changed anything.
        assert_eq!(
            server.audit_count().await,
            events + 3,
            "1 redemption + deactivate + activate"
        );
        let live = count(
            &server,
            "SELECT COUNT(*) FROM seats WHERE license_id = $1",
            fixture.license_id,
        )
        .await;
        assert_eq!(live, 1);
        server.assert_counts_match_rows().await;
    }
}

#[tokio::test]
async fn a_retried_redemption_with_the_same_key_takes_one_seat() {
    for backend in backends() {
        let server = start(backend).await;
        let fixture = server.license_fixture(5, "teacher").await;
        server
            .insert_user(fixture.org_id, "rita@school.example", "teacher")
            .await;
        let license: Value = server
            .admin
            .get_ok(&format!("/v1/licenses/{}", fixture.license_id))
            .await;
        let body = json!({"code": license["master_code"], "email": "rita@school.example"});
        let first = server
            .admin
            .send(Method::POST, "/v1/redeem", Some(&body), Some("redeem-rita"))
            .await;
        let second = server
            .admin
            .send(Method::POST, "/v1/redeem", Some(&body), Some("redeem-rita"))
            .await;
        assert_eq!(first.status, StatusCode::CREATED);
        assert_eq!(second.status, StatusCode::CREATED);
        assert_eq!(first.body, second.body);
        assert_eq!(second.headers.get("idempotent-replayed").unwrap(), "true");
        let seats = count(
            &server,
            "SELECT COUNT(*) FROM seats WHERE license_id = $1",
            fixture.license_id,
        )
        .await;
        assert_eq!(seats, 1);
    }
}

#[tokio::test]
async fn concurrent_redemptions_of_one_code_never_pass_the_seat_limit() {
    for backend in backends() {
        let server = start(backend).await;
        let fixture = server.license_fixture(100, "student").await;
        let batch = create_batch(&server.admin, fixture.license_id, 1, 100).await;
        let code = batch_codes(&server.admin, batch["id"].as_i64().unwrap()).await[0]["code"]
            .as_str()
            .unwrap()
            .to_string();
        // Fill 90 of the 100 seats, leaving 10 free.
        for i in 0..90 {
            let email = format!("held{i}@school.example");
            server.insert_user(fixture.org_id, &email, "student").await;
            server
                .admin
                .post_ok::<Value>(
                    "/v1/seats",
                    &json!({"license_id": fixture.license_id, "email": email}),
                )
                .await;
        }
        let mut emails = Vec::new();
        for i in 0..100 {
            let email = format!("rush{i}@school.example");
            server.insert_user(fixture.org_id, &email, "student").await;
            emails.push(email);
        }
        let replies = futures::future::join_all(
            emails
                .iter()
                .map(|email| redeem(&server.admin, &code, email)),
        )
        .await;
        let succeeded = replies
            .iter()
            .filter(|r| r.status == StatusCode::CREATED)
            .count();
        assert_eq!(succeeded, 10);
        for reply in replies.iter().filter(|r| r.status != StatusCode::CREATED) {
            assert_eq!(reply.problem_kind(), "no-seats-left", "{}", reply.body);
        }
        let uses = count(
            &server,
            "SELECT uses FROM codes WHERE batch_id = $1",
            batch["id"].as_i64().unwrap(),
        )
        .await;
        assert_eq!(uses, 10);
        server.assert_counts_match_rows().await;
    }
}
