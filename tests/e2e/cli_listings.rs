//! The listing commands end to end: what `seatdesk claims`, `teachers`,
//! `licenses`, `users`, `audit`, `requests` and `dashboard` print as JSON
//! and CSV parses back and is exactly what the API answers for the same
//! filters; tables keep every row; `--export` writes CSV and .xlsx with the
//! header row.

use seatdesk_core::api::dashboard::{Dashboard, DashboardQuery};
use seatdesk_core::api::inventory::LicenseQuery;
use seatdesk_core::api::seats::{ClaimQuery, TeacherQuery};

use crate::helpers::{Server, csv_rows, first_sheet, json, run};

#[test]
fn claims_json_and_csv_are_what_the_api_says() {
    let server = Server::start();
    let (out, _) = run(server.cmd().args(["claims", "--output", "json"]), 0);
    let printed: Vec<seatdesk_core::api::seats::Claim> =
        serde_json::from_str(&out).expect("a JSON array of claims");
    let expected = server.claims(ClaimQuery::default());
    assert!(printed.len() > 500, "all pages: {}", printed.len());
    assert_eq!(printed, expected);

    let (out, _) = run(server.cmd().args(["claims", "-o", "csv"]), 0);
    let (header, rows) = csv_rows(&out);
    assert_eq!(&header[..4], ["id", "status", "user_email", "user_name"]);
    assert!(header.contains(&"students_assigned".to_string()));
    assert_eq!(rows.len(), expected.len());
    for (row, claim) in rows.iter().zip(&expected) {
        assert_eq!(row[0], claim.id.to_string());
        assert_eq!(row[1], claim.status.as_str());
        assert_eq!(row[2], claim.user_email);
    }

    // A plain table into a pipe: one line per claim under the header.
    let (out, _) = run(server.cmd().args(["claims", "--limit", "25"]), 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 26, "{out}");
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("EMAIL"),
        "{}",
        lines[0]
    );
    assert!(lines[1].contains(&expected[0].user_email), "{}", lines[1]);
}

#[test]
fn claims_filters_match_the_claims_pane() {
    let server = Server::start();
    let sku = "CNED-MATH-CRS3-SE";
    let (out, _) = run(
        server.cmd().args([
            "claims",
            "--status",
            "pending,active",
            "--older-than",
            "30d",
            "--product",
            sku,
            "--sort",
            "name",
            "-o",
            "json",
        ]),
        0,
    );
    let printed: Vec<seatdesk_core::api::seats::Claim> = serde_json::from_str(&out).unwrap();
    assert!(
        !printed.is_empty(),
        "the demo has old live student-edition seats"
    );
    let cutoff = chrono::Utc::now() - chrono::TimeDelta::days(30);
    for claim in &printed {
        assert!(
            matches!(claim.status.as_str(), "pending" | "active"),
            "{claim:?}"
        );
        assert!(claim.assigned_at < cutoff, "{claim:?}");
        assert_eq!(
            claim.product_name,
            "ConnectED Math Course 3 Student Edition"
        );
    }
    // The same filters through the API give the same rows, in the same order.
    let products = server.block_on(server.api().products()).unwrap();
    let product = products.iter().find(|p| p.sku == sku).unwrap();
    let expected = server.claims(ClaimQuery {
        status: Some("pending,active".into()),
        product_id: Some(product.id),
        to: Some(cutoff),
        sort: Some(seatdesk_core::api::seats::ClaimSort::Name),
        ..ClaimQuery::default()
    });
    let ids = |claims: &[seatdesk_core::api::seats::Claim]| -> Vec<i64> {
        claims.iter().map(|c| c.id).collect()
    };
    assert_eq!(ids(&printed), ids(&expected));

    // --limit stops early; an unknown SKU names the known ones.
    let (out, _) = run(
        server.cmd().args(["claims", "--limit", "7", "-o", "json"]),
        0,
    );
    assert_eq!(json(&out).as_array().unwrap().len(), 7);
    let (out, err) = run(server.cmd().args(["claims", "--product", "NOPE-1"]), 6);
    assert!(out.is_empty());
    assert!(err.contains("NOPE-1") && err.contains(sku), "{err}");
}

#[test]
fn teachers_licenses_users_and_requests_list_what_the_api_has() {
    let server = Server::start();
    let api = server.api();
    let licenses = server
        .block_on(api.licenses(&LicenseQuery {
            limit: Some(1000),
            ..LicenseQuery::default()
        }))
        .unwrap()
        .items;
    // `inventory` is the same command as `licenses`.
    let (out, _) = run(server.cmd().args(["inventory", "-o", "json"]), 0);
    let printed: Vec<seatdesk_core::api::inventory::License> = serde_json::from_str(&out).unwrap();
    assert_eq!(printed, licenses);
    let (out, _) = run(server.cmd().args(["licenses", "-o", "csv"]), 0);
    let (header, rows) = csv_rows(&out);
    assert_eq!(header[0], "id");
    let purchased = header.iter().position(|h| h == "seats_purchased").unwrap();
    assert_eq!(rows.len(), licenses.len());
    assert_eq!(rows[0][purchased], licenses[0].seats.purchased.to_string());

    // The student-edition license with teachers holding students.
    let license = licenses
        .iter()
        .find(|l| l.product_sku == "CNED-MATH-CRS3-SE" && l.teachers > 0)
        .expect("a student-edition license with teachers");
    let teachers = server
        .block_on(api.teachers_page(
            license.id,
            &TeacherQuery {
                all: Some(true),
                limit: Some(1000),
                ..TeacherQuery::default()
            },
        ))
        .unwrap()
        .items;
    let id = license.id.to_string();
    let (out, _) = run(
        server
            .cmd()
            .args(["teachers", "--license", &id, "--all", "-o", "json"]),
        0,
    );
    let printed: Vec<seatdesk_core::api::seats::Teacher> = serde_json::from_str(&out).unwrap();
    assert_eq!(printed, teachers);
    assert!(printed.iter().any(|t| t.students_assigned > 0));

    let (out, _) = run(
        server
            .cmd()
            .args(["users", "--kind", "teacher", "-o", "json"]),
        0,
    );
    let users = json(&out);
    let users = users.as_array().unwrap();
    assert!(!users.is_empty());
    assert!(users.iter().all(|u| u["kind"] == "teacher"));

    let (out, _) = run(
        server
            .cmd()
            .args(["requests", "--status", "pending", "-o", "json"]),
        0,
    );
    let requests = json(&out);
    let requests = requests.as_array().unwrap();
    assert!(!requests.is_empty(), "the demo has pending requests");
    assert!(requests.iter().all(|r| r["status"] == "pending"));
}

#[test]
fn exports_write_csv_and_xlsx_with_the_header_row() {
    let server = Server::start();
    let xlsx = server.path("claims.xlsx");
    let csv = server.path("claims.csv");
    let (out, err) = run(
        server.cmd().args([
            "claims",
            "--status",
            "active",
            "--export",
            xlsx.to_str().unwrap(),
        ]),
        0,
    );
    assert!(out.is_empty(), "export only: nothing on stdout, got {out}");
    assert!(
        err.contains("wrote") && err.contains("claims.xlsx"),
        "{err}"
    );
    let bytes = std::fs::read(&xlsx).unwrap();
    assert_eq!(&bytes[..4], b"PK\x03\x04", "an .xlsx is a zip container");
    let (header, sheet) = first_sheet(&xlsx);
    assert_eq!(&header[..3], ["id", "status", "user_email"]);
    let active = server.claims(ClaimQuery {
        status: Some("active".into()),
        ..ClaimQuery::default()
    });
    assert_eq!(sheet.height(), active.len() + 1);
    let first = sheet.rows().nth(1).unwrap();
    assert_eq!(first[0].to_string(), active[0].id.to_string());
    assert_eq!(first[1].to_string(), "active");

    // --export with --output: the file and stdout both get the rows.
    let (out, _) = run(
        server
            .cmd()
            .args(["licenses", "-o", "json", "--export", csv.to_str().unwrap()]),
        0,
    );
    let printed = json(&out);
    let (header, rows) = csv_rows(&std::fs::read_to_string(&csv).unwrap());
    assert_eq!(header[0], "id");
    assert_eq!(rows.len(), printed.as_array().unwrap().len());
    // An export name without a known extension is a usage error.
    let bad = server.path("claims.txt");
    let (_, err) = run(
        server
            .cmd()
            .args(["claims", "--export", bad.to_str().unwrap()]),
        2,
    );
    assert!(err.contains(".csv, .xlsx or .json"), "{err}");
}

#[test]
fn audit_lists_newest_first_with_filters() {
    let server = Server::start();
    // Make some events: revoke two live seats through the CLI.
    let claims = server.claims(ClaimQuery {
        status: Some("pending".into()),
        product_id: None,
        ..ClaimQuery::default()
    });
    let ids = format!("{}\n{}\n", claims[0].id, claims[1].id);
    run(
        server.cmd().args(["revoke", "--yes", "-"]).write_stdin(ids),
        0,
    );
    let (out, _) = run(
        server
            .cmd()
            .args(["audit", "--action", "seat", "-o", "json"]),
        0,
    );
    let events = json(&out);
    let events = events.as_array().unwrap();
    assert_eq!(events.len(), 2, "{out}");
    assert!(events.iter().all(|e| e["action"] == "seat.revoke"));
    assert!(
        events[0]["seq"].as_i64() > events[1]["seq"].as_i64(),
        "newest first"
    );
    let (out, _) = run(server.cmd().args(["audit", "-o", "csv"]), 0);
    let (header, rows) = csv_rows(&out);
    assert_eq!(&header[..4], ["seq", "at", "actor", "action"]);
    assert_eq!(rows.len(), 3, "the demo load and two revocations: {out}");
}

#[test]
fn dashboard_is_the_apis_summary_per_product_and_in_total() {
    let server = Server::start();
    let api = server.api();
    let expected = server
        .block_on(api.dashboard(&DashboardQuery::default()))
        .unwrap();
    assert!(expected.products.len() > 2, "the demo has several products");
    let (out, _) = run(server.cmd().args(["dashboard", "-o", "json"]), 0);
    let printed: Dashboard = serde_json::from_str(&out).expect("a Dashboard object");
    assert_eq!(printed, expected);

    // CSV: one row per product in the API's order, then the totals with
    // no sku; each figure is the API's.
    let (out, _) = run(server.cmd().args(["dashboard", "-o", "csv"]), 0);
    let (header, rows) = csv_rows(&out);
    assert_eq!(
        &header[..8],
        [
            "sku",
            "purchased",
            "consumed",
            "available",
            "usage_percent",
            "forecast",
            "latest_finish",
            "min_remaining_days"
        ]
    );
    assert_eq!(rows.len(), expected.products.len() + 1);
    let field = |row: &[String], name: &str| -> String {
        row[header.iter().position(|h| h == name).expect(name)].clone()
    };
    let summaries = expected.products.iter().chain([&expected.totals]);
    for (row, s) in rows.iter().zip(summaries) {
        assert_eq!(field(row, "sku"), s.sku.clone().unwrap_or_default());
        assert_eq!(field(row, "name"), s.name);
        assert_eq!(field(row, "purchased"), s.seats.purchased.to_string());
        assert_eq!(field(row, "consumed"), s.seats.consumed.to_string());
        assert_eq!(field(row, "available"), s.seats_available.to_string());
        assert_eq!(
            field(row, "usage_percent"),
            format!("{:.2}", s.usage_percent)
        );
        let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        assert_eq!(field(row, "earliest_start"), date(s.earliest_start));
        assert_eq!(field(row, "latest_finish"), date(s.latest_finish));
        let days = s
            .min_remaining_days
            .map(|d| d.to_string())
            .unwrap_or_default();
        assert_eq!(field(row, "min_remaining_days"), days);
        assert_eq!(field(row, "expiring_30"), s.expiring_30.to_string());
        assert_eq!(field(row, "expiring_60"), s.expiring_60.to_string());
        assert_eq!(field(row, "expiring_90"), s.expiring_90.to_string());
        assert_eq!(field(row, "in_grace"), s.in_grace.to_string());
        assert_eq!(field(row, "pending"), s.claims.pending.to_string());
        assert_eq!(field(row, "active"), s.claims.active.to_string());
        assert_eq!(field(row, "expired"), s.claims.expired.to_string());
        assert_eq!(field(row, "revoked"), s.claims.revoked.to_string());
        // The forecast is the server's, in its words and its figures.
        assert_eq!(
            field(row, "forecast"),
            s.forecast.map(|f| f.describe()).unwrap_or_default()
        );
        assert_eq!(
            field(row, "full_in_days"),
            s.forecast
                .and_then(|f| f.full_in_days)
                .map(|d| d.to_string())
                .unwrap_or_default()
        );
    }
    assert!(
        expected.totals.forecast.is_some(),
        "the demo has seats, so a forecast"
    );
    assert_eq!(field(rows.last().unwrap(), "product_id"), "");

    // The table: a header, a row per product, the totals labelled TOTAL;
    // on stderr, what the demo's reclaim policies could free.
    let (out, err) = run(server.cmd().args(["dashboard"]), 0);
    let summary = server
        .block_on(api.reclaim_summary(&Default::default()))
        .unwrap();
    assert!(
        err.contains(&format!(
            "{} seats could be reclaimed by your policies",
            summary.reclaimable
        )),
        "{err}"
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), expected.products.len() + 2, "{out}");
    assert!(
        lines[0].starts_with("SKU") && lines[0].contains("USE%") && lines[0].contains("FORECAST"),
        "{out}"
    );
    let first = &expected.products[0];
    assert!(lines[1].starts_with(first.sku.as_deref().unwrap()), "{out}");
    let total = lines.last().unwrap();
    assert!(
        total.starts_with("TOTAL") && total.contains(&expected.totals.seats.purchased.to_string()),
        "{out}"
    );

    // Filters: a product by SKU, an account, an org: each the API's answer
    // for the same query, and narrower than the whole view.
    let sku = first.sku.clone().unwrap();
    let product = first.product_id.unwrap();
    let license = server
        .block_on(api.licenses(&LicenseQuery {
            product_id: Some(product),
            ..LicenseQuery::default()
        }))
        .unwrap()
        .items
        .remove(0);
    let (account, org) = (license.account_id.to_string(), license.org_id.to_string());
    let cli = |args: &[&str]| -> Dashboard {
        let (out, _) = run(
            server
                .cmd()
                .arg("dashboard")
                .args(args)
                .args(["-o", "json"]),
            0,
        );
        serde_json::from_str(&out).expect("a Dashboard object")
    };
    let by_product = cli(&["--product", &sku.to_lowercase()]);
    let query = DashboardQuery {
        product_id: Some(product),
        ..DashboardQuery::default()
    };
    assert_eq!(by_product, server.block_on(api.dashboard(&query)).unwrap());
    assert_eq!(by_product.products.len(), 1);
    assert_eq!(by_product.products[0].seats, first.seats);
    let by_account = cli(&["--account", &account, "--org", &org]);
    let query = DashboardQuery {
        account_id: Some(license.account_id),
        org_id: Some(license.org_id),
        ..DashboardQuery::default()
    };
    assert_eq!(by_account, server.block_on(api.dashboard(&query)).unwrap());
    assert!(by_account.totals.seats.purchased < expected.totals.seats.purchased);
    // An unknown SKU: exit 6, nothing on stdout.
    let (out, err) = run(server.cmd().args(["dashboard", "--product", "NOPE-1"]), 6);
    assert!(out.is_empty() && err.contains("NOPE-1"), "{err}");
}
