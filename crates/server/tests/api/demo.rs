//! Demo data: a small load over each backend, checked over HTTP for every
//! inventory type, license state and claim status the demo promises, for the
//! seat invariants, for determinism, and for refusing a non-empty database.

use std::collections::{BTreeSet, HashSet};

use chrono::Utc;
use seatdesk_server::demo::{self, DemoError};
use serde_json::{Value, json};

use crate::helpers::{self, Backend, TestServer, scalar};

const SCALE: u64 = 3_000;

async fn loaded(backend: Backend) -> (TestServer, demo::DemoSummary) {
    let server = TestServer::start(backend).await;
    let loaded = demo::load(&server.db, SCALE, Utc::now().date_naive())
        .await
        .expect("demo load");
    (server, loaded)
}

/// Every item of a paginated list.
async fn all_pages(client: &helpers::Client, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit=1000&cursor={c}"),
            None => format!("{path}{sep}limit=1000"),
        };
        let page: Value = client.get_ok(&url).await;
        items.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return items,
        }
    }
}

#[tokio::test]
async fn demo_data_shows_every_case_and_keeps_the_seat_invariants() {
    for backend in helpers::backends() {
        let audit_before = TestServer::start(backend).await.audit_count().await;
        let (server, loaded) = loaded(backend).await;
        let summary = &loaded.summary;
        eprintln!("{backend:?}: {loaded}");
        assert_eq!(
            summary.root_org_id, server.root_org,
            "the demo hangs under the existing root"
        );

        if server.db.backend == seatdesk_server::db::Backend::Postgres {
            // Analysed after the load, so reports plan on real statistics.
            let stats = scalar(
                &server,
                "SELECT COUNT(*) FROM pg_stats WHERE tablename = 'seats'",
            )
            .await;
            assert!(stats > 0, "the seats table has no planner statistics");
        }

        // Licenses: every inventory type and every state a demo needs.
        let licenses = all_pages(&server.admin, "/v1/licenses").await;
        assert_eq!(licenses.len() as u64, summary.licenses);
        let field = |name: &str| -> BTreeSet<String> {
            licenses
                .iter()
                .filter_map(|l| l[name].as_str().map(String::from))
                .collect()
        };
        assert_eq!(
            field("inventory_type"),
            ["center_license", "seat_pool", "user_activation_codes"]
                .map(String::from)
                .into(),
        );
        let statuses = field("status");
        for status in ["active", "requested", "deactivated", "expired", "depleted"] {
            assert!(
                statuses.contains(status),
                "no {status} license among {statuses:?}"
            );
        }
        assert!(
            field("standing").contains("in_grace"),
            "no license in grace"
        );
        let remaining = |lo: i64, hi: i64| {
            licenses.iter().any(|l| {
                l["status"] == "active"
                    && l["remaining_days"]
                        .as_i64()
                        .is_some_and(|d| (lo..=hi).contains(&d))
            })
        };
        assert!(
            remaining(0, 30) && remaining(31, 60) && remaining(61, 90),
            "near-expiry bands"
        );
        assert!(licenses.iter().any(|l| l["renewal_requested"] == true));
        let parent = licenses
            .iter()
            .find(|l| l["id"] == summary.parent_license_id)
            .expect("parent license listed");
        let children: Vec<&Value> = licenses
            .iter()
            .filter(|l| l["parent_license_id"] == summary.parent_license_id)
            .collect();
        assert!(!children.is_empty(), "seats allocated down to a center");
        let handed_down: i64 = children
            .iter()
            .map(|c| c["seats"]["purchased"].as_i64().unwrap())
            .sum();
        assert_eq!(parent["seats"]["allocated"].as_i64(), Some(handed_down));
        assert!(
            parent["seats_available"].as_i64().unwrap() > 0,
            "only part was allocated"
        );
        assert!(
            licenses
                .iter()
                .all(|l| l["status"] == "requested" || l["master_code"].is_string())
        );
        assert!(
            licenses
                .iter()
                .any(|l| l["teacher_code"].as_str().is_some_and(|c| c.len() == 15))
        );

        // Claims in all four statuses, with their stories.
        let total = summary.seats.total();
        assert!(
            (SCALE * 9 / 10..=SCALE * 11 / 10).contains(&total),
            "{total} claims for {SCALE}"
        );
        for status in ["pending", "active", "expired", "revoked"] {
            let page: Value = server
                .admin
                .get_ok(&format!("/v1/claims?status={status}&limit=5"))
                .await;
            let items = page["items"].as_array().unwrap();
            assert!(!items.is_empty(), "no {status} claims");
            assert!(items.iter().all(|c| c["status"] == status));
        }
        // Naming every status is the same report as naming none (the
        // server drops the filter so the keyset walk keeps its index).
        let every = all_pages(
            &server.admin,
            "/v1/claims?status=pending,active,expired,revoked",
        )
        .await;
        assert_eq!(every.len() as u64, total);
        assert_eq!(every, all_pages(&server.admin, "/v1/claims").await);
        let revoked = all_pages(&server.admin, "/v1/claims?status=revoked").await;
        assert_eq!(revoked.len() as u64, summary.seats.revoked);
        assert!(
            revoked
                .iter()
                .all(|c| c["revoked_by"].is_string() && c["revoked_at"].is_string())
        );
        let two_months_ago = (Utc::now() - chrono::Duration::days(60)).to_rfc3339();
        let old_pending: Value = server
            .admin
            .get_ok(&format!(
                "/v1/claims?status=pending&to={}&limit=5",
                urlencode(&two_months_ago)
            ))
            .await;
        assert!(
            !old_pending["items"].as_array().unwrap().is_empty(),
            "no long-pending claims"
        );
        let twelve_weeks_ago = Utc::now() - chrono::Duration::weeks(12) - chrono::Duration::days(1);
        let active = all_pages(&server.admin, "/v1/claims?status=active&sort=claimed_at").await;
        let weeks: BTreeSet<i64> = active
            .iter()
            .map(|c| {
                c["claimed_at"]
                    .as_str()
                    .unwrap()
                    .parse::<chrono::DateTime<Utc>>()
                    .unwrap()
            })
            .inspect(|at| {
                assert!(
                    *at >= twelve_weeks_ago && *at <= Utc::now(),
                    "claimed at {at}"
                )
            })
            .map(|at| (Utc::now() - at).num_weeks())
            .collect();
        assert!(
            weeks.len() >= 10,
            "activations spread over the weeks: {weeks:?}"
        );

        // A student-edition teacher with students: bulk revoke refuses that
        // seat and names the count, while the other seat goes through.
        let teacher = active
            .iter()
            .find(|c| c["students_assigned"].as_i64() > Some(0))
            .expect("a student-edition teacher with students");
        assert!(teacher["redemption_code"].is_string());
        let other = active.iter().find(|c| c["students_assigned"] == 0).unwrap();
        let result: Value = server
            .admin
            .post_ok(
                "/v1/seats/revoke",
                &json!({"seat_ids": [teacher["id"], other["id"]]}),
            )
            .await;
        assert_eq!(result["done"], 1, "{result}");
        let reason = result["results"][0]["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains(&teacher["students_assigned"].to_string()),
            "{reason}"
        );

        // Invariants: counters equal rows, one live seat per user and
        // license, every code unique, one audit event for the whole load.
        server.assert_counts_match_rows().await;
        assert_eq!(
            scalar(&server, "SELECT COUNT(*) FROM (SELECT license_id, user_id FROM seats \
                WHERE status IN ('pending', 'active') GROUP BY license_id, user_id HAVING COUNT(*) > 1) d").await,
            0
        );
        assert_eq!(
            scalar(&server, "SELECT COUNT(*) FROM codes").await,
            scalar(&server, "SELECT COUNT(DISTINCT code) FROM codes").await
        );
        assert_eq!(
            scalar(
                &server,
                "SELECT COUNT(*) FROM seats s JOIN codes c ON c.code = s.redemption_code \
                WHERE c.kind = 'redemption' AND c.seat_id = s.id"
            )
            .await as u64,
            summary.seats.redemption_codes
        );
        assert_eq!(
            scalar(
                &server,
                "SELECT COUNT(*) FROM codes WHERE kind = 'resource' AND subject IS NOT NULL"
            )
            .await as u64,
            summary.resource_codes
        );
        assert!(summary.resource_codes > 0 && summary.activation_codes > 0);
        assert_eq!(
            scalar(
                &server,
                "SELECT COUNT(*) FROM requests WHERE status = 'pending'"
            )
            .await,
            2
        );
        assert_eq!(
            scalar(
                &server,
                "SELECT COUNT(*) FROM role_rules r JOIN products p ON p.id = r.product_id \
                WHERE (r.role IN ('observer', 'observable') AND p.module = 'observe') \
                OR (r.role = 'learner' AND p.module = 'learn')"
            )
            .await,
            scalar(&server, "SELECT COUNT(*) FROM role_rules").await
        );
        assert!(
            scalar(
                &server,
                "SELECT COUNT(*) FROM users WHERE roles LIKE '%observer%'"
            )
            .await
                > 0
        );
        assert_eq!(
            scalar(&server, "SELECT COUNT(*) FROM users").await,
            scalar(&server, "SELECT COUNT(DISTINCT email) FROM users").await
        );
        assert_eq!(
            scalar(
                &server,
                "SELECT COUNT(*) FROM audit_events WHERE action = 'demo.load'"
            )
            .await,
            1
        );
        // Harness bootstrap + the load + the one revoke.
        assert_eq!(server.audit_count().await, audit_before + 2);

        // Ordinary inserts still work after explicit ids (PostgreSQL
        // identity sequences were moved past them).
        let product: Value = server
            .admin
            .post_ok("/v1/products", &json!({"sku": "EXTRA-1", "name": "Extra", "family": "ConnectED", "edition": "teacher", "module": "none"}))
            .await;
        assert!(product["id"].as_i64().unwrap() > 6);
    }
}

#[tokio::test]
async fn the_same_seed_gives_the_same_data() {
    for backend in helpers::backends() {
        let (a, _) = loaded(backend).await;
        let (b, _) = loaded(backend).await;
        for table in [
            "orgs",
            "accounts",
            "products",
            "licenses",
            "users",
            "seats",
            "codes",
            "code_batches",
            "requests",
            "role_rules",
        ] {
            let count = format!("SELECT COUNT(*) FROM {table}");
            assert_eq!(
                scalar(&a, &count).await,
                scalar(&b, &count).await,
                "{table} rows differ"
            );
        }
        let first = |server: &TestServer| {
            let client = server.admin.clone();
            async move {
                let page: Value = client
                    .get_ok("/v1/claims?sort=assigned_at&order=asc&limit=50")
                    .await;
                page["items"].clone()
            }
        };
        let (claims_a, claims_b) = (first(&a).await, first(&b).await);
        assert_eq!(claims_a.as_array().map(Vec::len), Some(50));
        assert_eq!(claims_a, claims_b, "first 50 claims differ");
        let codes = "SELECT code FROM codes ORDER BY id LIMIT 200";
        let codes_a: Vec<String> = seatdesk_server::db::query_scalar(codes)
            .fetch_all(&a.db.pool)
            .await
            .unwrap();
        let codes_b: Vec<String> = seatdesk_server::db::query_scalar(codes)
            .fetch_all(&b.db.pool)
            .await
            .unwrap();
        assert_eq!(codes_a, codes_b);
        assert_eq!(codes_a.iter().collect::<HashSet<_>>().len(), codes_a.len());
    }
}

/// Every item of a list, as the API serves it on `server`.
async fn everything(server: &TestServer, path: &str) -> Vec<Value> {
    all_pages(&server.admin, path).await
}

/// The catalogue's indexes and constraints of the demo's tables, as
/// definitions (names included).
async fn schema_objects(server: &TestServer) -> Vec<String> {
    seatdesk_server::db::query_scalar(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() \
         UNION ALL SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) \
         FROM pg_constraint WHERE connamespace = current_schema()::regnamespace ORDER BY 1",
    )
    .fetch_all(&server.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn postgres_copy_loads_the_world_sqlite_inserts_and_puts_the_schema_back() {
    if !helpers::backends().contains(&Backend::Postgres) {
        return;
    }
    let (sqlite, _) = loaded(Backend::Sqlite).await;
    let pg_fresh = TestServer::start(Backend::Postgres).await;
    let schema_before = schema_objects(&pg_fresh).await;
    drop(pg_fresh);
    let (pg, _) = loaded(Backend::Postgres).await;
    // Indexes, unique constraints and foreign keys dropped for the COPY
    // are all back, under the same names and definitions.
    assert_eq!(schema_objects(&pg).await, schema_before);
    for path in [
        "/v1/claims?sort=assigned_at&order=asc",
        "/v1/users",
        "/v1/licenses",
        "/v1/requests",
    ] {
        let (a, b) = (everything(&sqlite, path).await, everything(&pg, path).await);
        assert!(!a.is_empty(), "{path} is empty");
        assert_eq!(a.len(), b.len(), "{path}: row counts differ");
        assert!(a == b, "{path}: SQLite and PostgreSQL rows differ");
    }
    for table in [
        "codes",
        "code_batches",
        "role_rules",
        "accounts",
        "products",
    ] {
        let count = format!("SELECT COUNT(*) FROM {table}");
        assert_eq!(
            scalar(&sqlite, &count).await,
            scalar(&pg, &count).await,
            "{table} rows differ"
        );
    }
    let codes = "SELECT code FROM codes ORDER BY id";
    let codes_a: Vec<String> = seatdesk_server::db::query_scalar(codes)
        .fetch_all(&sqlite.db.pool)
        .await
        .unwrap();
    let codes_b: Vec<String> = seatdesk_server::db::query_scalar(codes)
        .fetch_all(&pg.db.pool)
        .await
        .unwrap();
    assert_eq!(codes_a, codes_b);
    // COPY FREEZE wrote the seat rows all-visible: no vacuum owed.
    let unfrozen = scalar(
        &pg,
        "SELECT CAST(relpages - relallvisible AS BIGINT) FROM pg_class WHERE oid = 'seats'::regclass",
    )
    .await;
    assert_eq!(unfrozen, 0, "seat pages not yet all-visible");
    // Identity sequences were moved past the loaded ids.
    let _: Value = pg
        .admin
        .post_ok(
            "/v1/products",
            &json!({"sku": "AFTER-COPY", "name": "After", "family": "ConnectED",
                    "edition": "teacher", "module": "none"}),
        )
        .await;
}

#[tokio::test]
async fn a_database_with_data_is_refused_and_left_alone() {
    for backend in helpers::backends() {
        let (server, _) = loaded(backend).await;
        let seats = scalar(&server, "SELECT COUNT(*) FROM seats").await;
        let events = server.audit_count().await;
        let refused = demo::load(&server.db, SCALE, Utc::now().date_naive()).await;
        match refused {
            Err(error @ DemoError::NotEmpty { .. }) => {
                assert!(error.to_string().contains("fresh database"), "{error}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(scalar(&server, "SELECT COUNT(*) FROM seats").await, seats);
        assert_eq!(server.audit_count().await, events);
        assert!(matches!(
            demo::load(
                &TestServer::start(backend).await.db,
                0,
                Utc::now().date_naive()
            )
            .await,
            Err(DemoError::BadScale(0))
        ));
    }
}

fn urlencode(text: &str) -> String {
    text.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test]
async fn approving_the_demo_new_license_request_activates_the_requested_license() {
    for backend in helpers::backends() {
        let (server, _) = loaded(backend).await;
        let requests: Value = server
            .admin
            .get_ok("/v1/requests?kind=new_license&status=pending")
            .await;
        let request = &requests["items"][0];
        let license_id = request["license_id"]
            .as_i64()
            .expect("the demo request names its license");
        let before: Value = server
            .admin
            .get_ok(&format!("/v1/licenses/{license_id}"))
            .await;
        assert_eq!(before["status"], "requested");
        let licenses_before = scalar(&server, "SELECT COUNT(*) FROM licenses").await;
        let approved: Value = server
            .admin
            .post_ok(
                &format!("/v1/requests/{}/approve", request["id"]),
                &json!({"seats": 40}),
            )
            .await;
        assert_eq!(approved["status"], "approved");
        assert_eq!(approved["result_license_id"], license_id);
        let after: Value = server
            .admin
            .get_ok(&format!("/v1/licenses/{license_id}"))
            .await;
        assert_eq!(after["status"], "active");
        assert_eq!(after["seats"]["purchased"], 40);
        assert_eq!(
            scalar(&server, "SELECT COUNT(*) FROM licenses").await,
            licenses_before,
            "no second license"
        );
        server.assert_counts_match_rows().await;
    }
}
