//! OneRoster 1.1 roster import over real HTTP: the shipped sample with
//! exact counts, idempotent re-import, a changed roster changing only what
//! changed, the broken sample's bad rows, role rules during import, dry-run
//! equivalence, subtree scope, delta deletions and malformed input.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use seatdesk_core::Role;
use seatdesk_core::api::imports::{EntityCounts, ImportReport};
use seatdesk_core::api::users::AssignmentOutcome;
use serde_json::{Value, json};

use crate::helpers::{self, Client, Reply, TestServer, consumed, org, scalar};

const IMPORT: &str = "/v1/imports/oneroster";

/// Every file of `assets/oneroster/<dir>`, by file name.
fn roster(dir: &str) -> BTreeMap<String, String> {
    let path = format!(
        "{}/../../assets/oneroster/{dir}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_dir(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .map(|entry| {
            let entry = entry.unwrap();
            (
                entry.file_name().to_string_lossy().to_string(),
                std::fs::read_to_string(entry.path()).unwrap(),
            )
        })
        .collect()
}

async fn import(client: &Client, files: &BTreeMap<String, String>, dry_run: bool) -> Reply {
    client
        .post(IMPORT, &json!({"files": files, "dry_run": dry_run}))
        .await
}

async fn import_ok(
    client: &Client,
    files: &BTreeMap<String, String>,
    dry_run: bool,
) -> ImportReport {
    let reply = import(client, files, dry_run).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let report: ImportReport = serde_json::from_value(reply.body).expect("an import report");
    assert_eq!(report.dry_run, dry_run);
    report
}

fn counts(created: usize, updated: usize, unchanged: usize, archived: usize) -> EntityCounts {
    EntityCounts {
        created,
        updated,
        unchanged,
        archived,
    }
}

/// An Observe product, a `seats`-seat license of it held by `org`, and a
/// rule giving it to every `observable` user (teachers, once imported).
async fn observe_rule(server: &TestServer, org: i64, seats: i64) -> (i64, i64) {
    let account: Value = server
        .admin
        .post_ok(
            "/v1/accounts",
            &json!({"org_id": org, "name": "Main", "number": format!("PA-{org}")}),
        )
        .await;
    let product: Value = server
        .admin
        .post_ok("/v1/products", &json!({"sku": format!("OBS-{org}"), "name": "Observe", "family": "Professional Learning", "edition": "none", "module": "observe"}))
        .await;
    let license: Value = server
        .admin
        .post_ok("/v1/licenses", &json!({
            "account_id": account["id"], "product_id": product["id"], "order_number": format!("ORD-{org}"),
            "inventory_type": "seat_pool", "seats_purchased": seats,
            "start_date": "2000-01-01", "finish_date": "2099-12-31"
        }))
        .await;
    let _: Value = server
        .admin
        .post_ok(
            "/v1/role-rules",
            &json!({"org_id": org, "role": "observable", "product_id": product["id"]}),
        )
        .await;
    (
        product["id"].as_i64().unwrap(),
        license["id"].as_i64().unwrap(),
    )
}

async fn user_status(server: &TestServer, sourced_id: &str) -> String {
    seatdesk_server::db::query_scalar("SELECT status FROM users WHERE sourced_id = $1")
        .bind(sourced_id.to_string())
        .fetch_one(&server.db.pool)
        .await
        .unwrap()
}

/// `users.csv` with `edit` applied to each line (None drops it).
fn edit_users(
    files: &BTreeMap<String, String>,
    edit: impl Fn(&str) -> Option<String>,
) -> BTreeMap<String, String> {
    let mut files = files.clone();
    let users = files["users.csv"]
        .lines()
        .filter_map(&edit)
        .map(|l| format!("{l}\n"))
        .collect();
    files.insert("users.csv".into(), users);
    files
}

#[tokio::test]
async fn the_sample_imports_with_exact_counts_and_a_reimport_changes_nothing() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let files = roster("sample");
        let before = server.audit_count().await;
        let report = import_ok(&server.admin, &files, false).await;
        assert_eq!(report.orgs, counts(4, 0, 0, 0), "{report:?}");
        assert_eq!(report.users, counts(52, 0, 0, 0), "{report:?}");
        assert_eq!((report.classes, report.enrollments), (5, 45));
        assert!(report.bad_rows.is_empty(), "{:?}", report.bad_rows);
        assert!(report.assignments.is_empty(), "no role rules exist yet");
        for ignored in [
            "academicsessions.csv ignored",
            "courses.csv ignored",
            "1 guardian",
        ] {
            assert!(
                report.notes.iter().any(|n| n.contains(ignored)),
                "no note '{ignored}' in {:?}",
                report.notes
            );
        }
        assert_eq!(
            server.audit_count().await,
            before + 56,
            "one event per org and user"
        );

        // The tree: the district under the importing org, schools under it.
        let orgs: Vec<Value> = server.admin.get_ok("/v1/orgs").await;
        let district = orgs
            .iter()
            .find(|o| o["name"] == "Tolano Unified School District")
            .expect("district imported");
        assert_eq!(district["kind"], "district");
        assert_eq!(district["parent_id"], server.root_org);
        let schools: Vec<&Value> = orgs
            .iter()
            .filter(|o| o["parent_id"] == district["id"])
            .collect();
        assert_eq!(schools.len(), 3);
        assert!(schools.iter().all(|s| s["kind"] == "school"));

        // Kinds and roles follow the documented mapping.
        for (kind, expected) in [("teacher", 10), ("student", 40), ("staff", 2)] {
            let page: Value = server
                .admin
                .get_ok(&format!("/v1/users?kind={kind}&limit=1000"))
                .await;
            assert_eq!(page["items"].as_array().unwrap().len(), expected, "{kind}");
        }
        let page: Value = server
            .admin
            .get_ok("/v1/users?q=maria.alvarez@tolano")
            .await;
        let maria = &page["items"][0];
        assert_eq!(maria["kind"], "teacher");
        assert_eq!(maria["roles"], json!(["observable", "learner"]));
        assert_eq!(maria["org_name"], "Tolano High School");
        let page: Value = server.admin.get_ok("/v1/users?q=holloway").await;
        assert_eq!(page["items"][0]["roles"], json!(["observer", "admin"]));
        assert_eq!(page["items"][0]["kind"], "staff");

        // The same files again: nothing changes.
        let audit = server.audit_count().await;
        let again = import_ok(&server.admin, &files, false).await;
        assert_eq!(again.orgs, counts(0, 0, 4, 0));
        assert_eq!(again.users, counts(0, 0, 52, 0));
        assert_eq!((again.classes, again.enrollments), (5, 45));
        assert!(again.bad_rows.is_empty());
        assert_eq!(
            server.audit_count().await,
            audit,
            "a re-import writes no events"
        );
        assert_eq!(scalar(&server, "SELECT COUNT(*) FROM users").await, 52);
        assert_eq!(scalar(&server, "SELECT COUNT(*) FROM orgs").await, 5);

        // The district's own token re-imports the roster that created it.
        let district_admin = server
            .client_for(Role::OrgAdmin, district["id"].as_i64().unwrap())
            .await;
        let own = import_ok(&district_admin, &files, false).await;
        assert_eq!(own.orgs, counts(0, 0, 4, 0), "{own:?}");
        assert_eq!(own.users, counts(0, 0, 52, 0), "{own:?}");
        assert!(own.bad_rows.is_empty(), "{:?}", own.bad_rows);
        assert_eq!(server.audit_count().await, audit);
    }
}

#[tokio::test]
async fn role_rules_assign_during_import_and_a_changed_roster_changes_only_that() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let (product, license) = observe_rule(&server, server.root_org, 6).await;
        let files = roster("sample");
        let report = import_ok(&server.admin, &files, false).await;
        let assigned: Vec<&str> = report
            .assignments
            .iter()
            .filter(|a| a.outcome == AssignmentOutcome::Assigned)
            .map(|a| a.user.as_str())
            .collect();
        let refused: Vec<_> = report
            .assignments
            .iter()
            .filter(|a| a.outcome == AssignmentOutcome::Refused)
            .collect();
        assert_eq!(assigned.len(), 6, "{:?}", report.assignments);
        assert!(assigned.iter().all(|u| u.starts_with("usr-tch-")));
        assert_eq!(refused.len(), 4, "the license is full after six teachers");
        assert!(refused.iter().all(|a| a.product_id == product
            && a.reason.as_deref().unwrap_or("").contains("no seat left")));
        assert_eq!(consumed(&server, license).await, 6);
        server.assert_counts_match_rows().await;

        // One teacher renamed, one teacher with a seat removed from the
        // full users.csv.
        let changed = edit_users(&files, |line| {
            if line.starts_with("usr-tch-0001,") {
                None
            } else if line.starts_with("usr-tch-0008,") {
                Some(line.replace(",Thomas,Reyes,", ",Thomas,Reyes-Okoro,"))
            } else {
                Some(line.to_string())
            }
        });
        assert!(changed["users.csv"].contains("Reyes-Okoro"));
        let audit = server.audit_count().await;
        let predicted = import_ok(&server.admin, &changed, true).await;
        assert_eq!(
            server.audit_count().await,
            audit,
            "a dry run writes nothing"
        );
        assert_eq!(user_status(&server, "usr-tch-0001").await, "active");
        assert_eq!(consumed(&server, license).await, 6);

        let report = import_ok(&server.admin, &changed, false).await;
        assert_eq!(
            report,
            ImportReport {
                dry_run: false,
                ..predicted.clone()
            },
            "the dry run predicted the real run"
        );
        assert_eq!(report.orgs, counts(0, 0, 4, 0));
        assert_eq!(report.users, counts(0, 1, 50, 1), "{report:?}");
        assert_eq!(report.assignments.len(), 1, "{:?}", report.assignments);
        let freed = &report.assignments[0];
        assert_eq!(freed.user, "usr-tch-0001");
        assert_eq!(freed.outcome, AssignmentOutcome::Revoked);
        assert_eq!(freed.license_id, Some(license));
        assert_eq!(user_status(&server, "usr-tch-0001").await, "archived");
        assert_eq!(
            consumed(&server, license).await,
            5,
            "the archived teacher's seat is free"
        );
        let page: Value = server.admin.get_ok("/v1/users?q=reyes-okoro").await;
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        assert_eq!(
            server.audit_count().await,
            audit + 3,
            "one update, one archive, one seat revocation"
        );
        server.assert_counts_match_rows().await;

        // Delta: only the rows sent change; tobedeleted archives.
        let mut delta = BTreeMap::new();
        delta.insert(
            "manifest.csv".to_string(),
            "propertyName,value\noneroster.version,1.1\nfile.users,delta\nfile.orgs,absent\n"
                .to_string(),
        );
        let header = files["users.csv"].lines().next().unwrap().to_string();
        let row = files["users.csv"]
            .lines()
            .find(|l| l.starts_with("usr-tch-0002,"))
            .unwrap()
            .replacen("usr-tch-0002,,", "usr-tch-0002,tobedeleted,", 1);
        delta.insert("users.csv".to_string(), format!("{header}\n{row}\n"));
        let report = import_ok(&server.admin, &delta, false).await;
        assert_eq!(report.users, counts(0, 0, 0, 1), "{report:?}");
        assert_eq!(report.assignments[0].outcome, AssignmentOutcome::Revoked);
        assert_eq!(user_status(&server, "usr-tch-0002").await, "archived");
        assert_eq!(
            user_status(&server, "usr-tch-0003").await,
            "active",
            "delta archives nothing else"
        );
        assert_eq!(consumed(&server, license).await, 4);
        server.assert_counts_match_rows().await;
    }
}

#[tokio::test]
async fn a_dry_run_reports_exactly_the_real_run_and_changes_nothing() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let (_, license) = observe_rule(&server, server.root_org, 3).await;
        let files = roster("broken");
        let audit = server.audit_count().await;
        let orgs = scalar(&server, "SELECT COUNT(*) FROM orgs").await;
        let reply = import(&server.admin, &files, true).await;
        assert_eq!(reply.headers["seatdesk-dry-run"], "true");
        let predicted: ImportReport = serde_json::from_value(reply.body).unwrap();
        assert!(predicted.dry_run);
        assert_eq!(predicted.users.created, 52);
        assert_eq!(server.audit_count().await, audit);
        assert_eq!(scalar(&server, "SELECT COUNT(*) FROM users").await, 0);
        assert_eq!(scalar(&server, "SELECT COUNT(*) FROM orgs").await, orgs);
        assert_eq!(scalar(&server, "SELECT COUNT(*) FROM seats").await, 0);
        assert_eq!(consumed(&server, license).await, 0);

        let real = import_ok(&server.admin, &files, false).await;
        assert_eq!(
            real,
            ImportReport {
                dry_run: false,
                ..predicted
            }
        );
        assert_eq!(consumed(&server, license).await, 3);
        assert_eq!(scalar(&server, "SELECT COUNT(*) FROM users").await, 52);
    }
}

#[tokio::test]
async fn the_broken_sample_reports_each_bad_row_and_imports_the_good_ones() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let report = import_ok(&server.admin, &roster("broken"), false).await;
        assert_eq!(report.orgs, counts(4, 0, 0, 0), "{report:?}");
        assert_eq!(report.users, counts(52, 0, 0, 0), "{report:?}");
        assert_eq!((report.classes, report.enrollments), (5, 45));
        let expected: [(&str, u64, &str); 12] = [
            (
                "classes.csv",
                7,
                "schoolSourcedId 'org-atlantis-high' is not an org",
            ),
            (
                "enrollments.csv",
                47,
                "classSourcedId 'cls-999' is not a class",
            ),
            (
                "enrollments.csv",
                48,
                "userSourcedId 'usr-ghost-0001' is not a user",
            ),
            (
                "enrollments.csv",
                49,
                "the row has 5 fields but the header has 10",
            ),
            (
                "orgs.csv",
                6,
                "parentSourcedId 'org-nowhere-usd' is not an org",
            ),
            ("orgs.csv", 7, "type 'campus' is not a OneRoster org type"),
            ("orgs.csv", 8, "name is required"),
            ("users.csv", 55, "givenName is required"),
            (
                "users.csv",
                56,
                "orgSourcedIds 'org-atlantis-high' names no org",
            ),
            (
                "users.csv",
                57,
                "duplicate sourcedId 'usr-tch-0001' (first on line 4)",
            ),
            ("users.csv", 58, "role 'principal' is not a OneRoster role"),
            (
                "users.csv",
                59,
                "email 'bad.email@@example' is not a valid address",
            ),
        ];
        assert_eq!(
            report.bad_rows.len(),
            expected.len(),
            "{:#?}",
            report.bad_rows
        );
        for (row, (file, line, reason)) in report.bad_rows.iter().zip(expected) {
            assert_eq!((row.file.as_str(), row.line), (file, line), "{row:?}");
            assert!(row.reason.contains(reason), "{row:?} should say '{reason}'");
        }
        let bad_users = scalar(
            &server,
            "SELECT COUNT(*) FROM users WHERE sourced_id LIKE 'usr-bad-%' OR email LIKE 'maria.alvarez2%'",
        )
        .await;
        assert_eq!(bad_users, 0, "no bad row was written");
        let bad_orgs = scalar(
            &server,
            "SELECT COUNT(*) FROM orgs WHERE sourced_id IN ('org-cedar-academy', 'org-pine-campus', 'org-unnamed')",
        )
        .await;
        assert_eq!(bad_orgs, 0);

        // A bad row of a full import does not archive the user it names.
        let audit = server.audit_count().await;
        let files = edit_users(&roster("sample"), |line| {
            Some(if line.starts_with("usr-stu-0005,") {
                line.replace(",student,", ",pupil,")
            } else {
                line.to_string()
            })
        });
        let report = import_ok(&server.admin, &files, false).await;
        assert_eq!(report.users, counts(0, 0, 51, 0), "{report:?}");
        assert_eq!(report.bad_rows.len(), 1);
        assert_eq!(user_status(&server, "usr-stu-0005").await, "active");
        assert_eq!(server.audit_count().await, audit);
    }
}

#[tokio::test]
async fn a_district_import_cannot_touch_anything_outside_its_subtree() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let district_a = org(&server, server.root_org, "district", "District A").await;
        let district_b = org(&server, server.root_org, "district", "District B").await;
        let admin_a = server.client_for(Role::OrgAdmin, district_a).await;
        let admin_b = server.client_for(Role::OrgAdmin, district_b).await;
        let report = import_ok(&admin_b, &roster("sample"), false).await;
        assert_eq!(report.users.created, 52);
        let b_path: String =
            seatdesk_server::db::query_scalar("SELECT path FROM orgs WHERE id = $1")
                .bind(district_b)
                .fetch_one(&server.db.pool)
                .await
                .unwrap();
        let under_b = scalar(
            &server,
            &format!("SELECT COUNT(*) FROM users WHERE org_path LIKE '{b_path}%'"),
        )
        .await;
        assert_eq!(under_b, 52, "the roster lands under the importing district");

        // District A sends B's org and user sourcedIds, a B email, and one
        // user of its own, as a full import.
        let mut files = BTreeMap::new();
        files.insert(
            "manifest.csv".to_string(),
            "propertyName,value\noneroster.version,1.1\nfile.orgs,bulk\nfile.users,bulk\n"
                .to_string(),
        );
        files.insert(
            "orgs.csv".to_string(),
            "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n\
             org-a-school,,,A School,school,,\n\
             org-tolano-high,,,Renamed High,school,,\n"
                .to_string(),
        );
        files.insert(
            "USERS.csv".to_string(),
            "sourcedId,enabledUser,orgSourcedIds,role,username,givenName,familyName,email\n\
             usr-tch-0003,true,org-a-school,teacher,x@a.example.org,Taken,Id,x@a.example.org\n\
             usr-a-0001,true,org-a-school,teacher,maria.alvarez@tolano.k12.example.org,Taken,Email,maria.alvarez@tolano.k12.example.org\n\
             usr-a-0002,true,org-a-school,teacher,own@a.example.org,Own,Teacher,own@a.example.org\n"
                .to_string(),
        );
        let audit = server.audit_count().await;
        let report = import_ok(&admin_a, &files, false).await;
        assert_eq!(report.orgs, counts(1, 0, 0, 0), "{report:?}");
        assert_eq!(report.users, counts(1, 0, 0, 0), "{report:?}");
        let reasons: Vec<(u64, &str)> = report
            .bad_rows
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        // Refused without saying that the holder is in another tenant.
        assert_eq!(
            reasons[0].1,
            "sourcedId 'org-tolano-high' is already in use"
        );
        assert_eq!(reasons[1].1, "sourcedId 'usr-tch-0003' is already in use");
        assert_eq!(
            reasons[2].1,
            "email maria.alvarez@tolano.k12.example.org is already in use"
        );
        assert_eq!(server.audit_count().await, audit + 2);
        let active_b = scalar(
            &server,
            &format!(
                "SELECT COUNT(*) FROM users WHERE status = 'active' AND org_path LIKE '{b_path}%'"
            ),
        )
        .await;
        assert_eq!(active_b, 52, "A's full import archives nobody of B");
        let names = scalar(
            &server,
            "SELECT COUNT(*) FROM orgs WHERE name = 'Tolano High School'",
        )
        .await;
        assert_eq!(names, 1, "B's school keeps its name");

        // Importing needs ManageUsers.
        let reporter = server.client_for(Role::Reporter, district_a).await;
        assert_eq!(
            import(&reporter, &files, false).await.status,
            StatusCode::FORBIDDEN
        );
    }
}

#[tokio::test]
async fn malformed_input_is_a_problem_and_changes_nothing() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let sample = roster("sample");
        let audit = server.audit_count().await;
        let cases: Vec<(BTreeMap<String, String>, &str)> = vec![
            (
                {
                    let mut f = sample.clone();
                    f.insert(
                        "users.csv".into(),
                        "\u{1}\u{2}this is not CSV at all".into(),
                    );
                    f
                },
                "users.csv has no sourcedId",
            ),
            (
                {
                    let mut f = sample.clone();
                    let orgs = f["orgs.csv"].replacen("name,type", "title,type", 1);
                    f.insert("orgs.csv".into(), orgs);
                    f
                },
                "orgs.csv has no name column",
            ),
            (
                {
                    let mut f = sample.clone();
                    f.remove("manifest.csv");
                    f
                },
                "manifest.csv is required",
            ),
            (
                {
                    let mut f = sample.clone();
                    f.remove("enrollments.csv");
                    f
                },
                "lists enrollments.csv as bulk but the file was not sent",
            ),
            (
                {
                    let mut f = sample.clone();
                    f.insert("users.csv".into(), String::new());
                    f
                },
                "users.csv has no",
            ),
        ];
        for (files, detail) in cases {
            let reply = import(&server.admin, &files, false).await;
            assert_eq!(
                reply.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{}",
                reply.body
            );
            assert!(
                reply.body["detail"].as_str().unwrap_or("").contains(detail),
                "{} should say '{detail}'",
                reply.body
            );
        }
        let reply = server
            .admin
            .post(
                IMPORT,
                &json!({"files": sample, "dry_run": false, "mode": "x"}),
            )
            .await;
        assert!(reply.status.is_client_error());
        let reply = server
            .admin
            .post(IMPORT, &json!({"files": "orgs.csv"}))
            .await;
        assert!(reply.status.is_client_error());
        assert_eq!(server.audit_count().await, audit);
        assert_eq!(scalar(&server, "SELECT COUNT(*) FROM users").await, 0);
    }
}

#[tokio::test]
async fn imports_accept_bodies_beyond_the_default_limit() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let big = "x".repeat(3 * 1024 * 1024);
        let mut files = roster("sample");
        files.insert("demographics.csv".into(), big.clone());
        let report = import_ok(&server.admin, &files, true).await;
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.starts_with("demographics.csv ignored"))
        );
        // Other routes keep the default 2 MiB.
        let reply = server
            .admin
            .post(
                "/v1/orgs",
                &json!({"parent_id": server.root_org, "kind": "school", "name": big}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    }
}

#[tokio::test]
async fn importing_needs_manage_users_and_is_documented() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let district = org(&server, server.root_org, "district", "District").await;
        let files = roster("sample");
        for &role in Role::ALL {
            let client = server.client_for(role, district).await;
            let reply = import(&client, &files, true).await;
            if role.allows(seatdesk_core::Permission::ManageUsers) {
                assert_eq!(reply.status, StatusCode::OK, "{role}: {}", reply.body);
            } else {
                assert_eq!(reply.status, StatusCode::FORBIDDEN, "{role}");
            }
        }
        let spec: Value = reqwest::get(format!("{}/openapi.json", server.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let operation = &spec["paths"][IMPORT]["post"];
        assert!(operation.is_object(), "openapi.json lacks {IMPORT}");
        assert!(spec["components"]["schemas"]["ImportReport"].is_object());
    }
}

#[tokio::test]
async fn a_retried_import_with_the_same_key_is_answered_once() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let body = json!({"files": roster("sample"), "dry_run": false});
        let first = server
            .admin
            .send(
                reqwest::Method::POST,
                IMPORT,
                Some(&body),
                Some("term-1-roster"),
            )
            .await;
        assert_eq!(first.status, StatusCode::OK);
        let audit = server.audit_count().await;
        let retry = server
            .admin
            .send(
                reqwest::Method::POST,
                IMPORT,
                Some(&body),
                Some("term-1-roster"),
            )
            .await;
        assert_eq!(retry.status, StatusCode::OK);
        assert_eq!(retry.body, first.body, "the stored report, not a re-run");
        assert_eq!(retry.headers["idempotent-replayed"], "true");
        assert_eq!(server.audit_count().await, audit);
        let other = json!({"files": roster("broken"), "dry_run": false});
        let misuse = server
            .admin
            .send(
                reqwest::Method::POST,
                IMPORT,
                Some(&other),
                Some("term-1-roster"),
            )
            .await;
        assert_eq!(misuse.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}

#[tokio::test]
async fn roster_emails_are_checked_like_api_ones_and_stored_lower_case() {
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let district = org(&server, server.root_org, "district", "Email District").await;
        let admin = server.client_for(Role::OrgAdmin, district).await;
        let mut files = BTreeMap::new();
        files.insert(
            "manifest.csv".to_string(),
            "propertyName,value\noneroster.version,1.1\nfile.orgs,bulk\nfile.users,bulk\n"
                .to_string(),
        );
        files.insert(
            "orgs.csv".to_string(),
            "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n\
             org-e-school,,,E School,school,,\n"
                .to_string(),
        );
        files.insert(
            "users.csv".to_string(),
            "sourcedId,enabledUser,orgSourcedIds,role,username,givenName,familyName,email\n\
             usr-e-1,true,org-e-school,teacher,u1,Upper,Case,Upper.Case@E.Example\n\
             usr-e-2,true,org-e-school,teacher,u2,Bidi,Trick,kim\u{202E}moc@e.example\n\
             usr-e-3,true,org-e-school,teacher,u3,Full,Width,\u{FF4B}im@e.example\n\
             usr-e-4,true,org-e-school,teacher,u4,Script,Tag,<script>@e.example\n\
             usr-e-5,true,org-e-school,teacher,u5,Ip,Literal,kim@[10.0.0.1]\n"
                .to_string(),
        );
        let report = import_ok(&admin, &files, false).await;
        assert_eq!(report.users, counts(1, 0, 0, 0), "{backend:?} {report:?}");
        let lines: Vec<u64> = report.bad_rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![3, 4, 5, 6], "{report:?}");
        assert!(
            report.bad_rows.iter().all(|r| r.reason.contains("email")),
            "{report:?}"
        );
        let stored = scalar(
            &server,
            "SELECT COUNT(*) FROM users WHERE email = 'upper.case@e.example'",
        )
        .await;
        assert_eq!(stored, 1, "{backend:?}");
    }
}
