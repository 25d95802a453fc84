//! Codes, requests and webhooks end to end: `codes generate` makes a batch
//! and writes its .xlsx (the vendor's columns), `codes export` writes CSV,
//! `requests renew/new` submit and `requests approve/reject` decide, and
//! `webhooks` add, list, test (to a loopback receiver and to a dead port)
//! and remove endpoints.

use std::io::{Read as _, Write as _};

use seatdesk_core::api::inventory::LicenseQuery;
use seatdesk_core::api::requests::RequestQuery;

use crate::helpers::{self, Server, first_sheet, json, run};

#[test]
fn codes_generate_export_and_list() {
    let server = Server::start();
    let api = server.api();
    let license = server
        .block_on(api.licenses(&LicenseQuery {
            inventory_type: Some(seatdesk_core::InventoryType::UserActivationCodes),
            ..LicenseQuery::default()
        }))
        .unwrap()
        .items
        .into_iter()
        .filter(|l| l.status.as_str() == "active")
        .max_by_key(|l| l.seats_available)
        .expect("an active activation-code license");
    let id = license.id.to_string();
    let xlsx = server.path("batch.xlsx");
    let (out, err) = run(
        server.cmd().args([
            "codes",
            "generate",
            "--license",
            &id,
            "--count",
            "2",
            "--users-per-code",
            "1",
            "--duration-days",
            "30",
            "--badges",
            "--out",
            xlsx.to_str().unwrap(),
            "-o",
            "json",
        ]),
        0,
    );
    let batch = json(&out);
    assert_eq!(batch["code_count"], 2);
    assert_eq!(batch["users_per_code"], 1);
    assert_eq!(batch["enable_badges"], true);
    assert!(err.contains("batch.xlsx"), "{err}");
    let (header, sheet) = first_sheet(&xlsx);
    assert_eq!(
        header,
        ["Code", "Users per code", "Name", "Last Name", "Email"]
    );
    assert_eq!(sheet.height(), 3);

    // The same batch as CSV on stdout, and listed among the license's codes.
    let batch_id = batch["id"].to_string();
    let (csv, _) = run(
        server
            .cmd()
            .args(["codes", "export", &batch_id, "--out", "-"]),
        0,
    );
    let (header, rows) = helpers::csv_rows(&csv);
    assert_eq!(header[0], "Code");
    assert_eq!(rows.len(), 2);
    let (out, _) = run(
        server.cmd().args([
            "codes",
            "list",
            "--license",
            &id,
            "--kind",
            "activation",
            "-o",
            "json",
        ]),
        0,
    );
    let listed = json(&out);
    let codes: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["batch_id"] == batch["id"])
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 2);
    for row in &rows {
        assert!(codes.contains(&row[0].as_str()), "{} not listed", row[0]);
    }
    let (out, _) = run(
        server
            .cmd()
            .args(["codes", "batches", "--license", &id, "-o", "csv"]),
        0,
    );
    assert!(
        out.lines().any(|l| l.starts_with(&format!("{batch_id},"))),
        "{out}"
    );
    // Out of bounds is refused before any request; an unknown batch is a 404.
    let (_, err) = run(
        server
            .cmd()
            .args(["codes", "generate", "--license", &id, "--count", "0"]),
        2,
    );
    assert!(err.contains("count"), "{err}");
    run(
        server
            .cmd()
            .args(["codes", "export", "999999", "--out", "-"]),
        6,
    );
}

#[test]
fn requests_are_approved_and_rejected() {
    let server = Server::start();
    let pending = server
        .block_on(server.api().requests(&RequestQuery {
            status: Some(seatdesk_core::RequestStatus::Pending),
            ..RequestQuery::default()
        }))
        .unwrap()
        .items;
    let new_license = pending
        .iter()
        .find(|r| r.kind == seatdesk_core::RequestKind::NewLicense)
        .expect("a pending new-license request");
    let renewal = pending
        .iter()
        .find(|r| r.kind == seatdesk_core::RequestKind::Renewal)
        .expect("a pending renewal request");
    let (out, err) = run(
        server.cmd().args([
            "requests",
            "approve",
            &new_license.id.to_string(),
            "--seats",
            "12",
            "--comments",
            "granted",
            "-o",
            "json",
        ]),
        0,
    );
    let approved = json(&out);
    assert_eq!(approved["status"], "approved");
    let license = approved["result_license_id"]
        .as_i64()
        .expect("a new license");
    assert!(err.contains(&format!("license {license}")), "{err}");
    let made = server.block_on(server.api().license(license)).unwrap();
    assert_eq!(made.seats.purchased, 12);

    let (out, _) = run(
        server.cmd().args([
            "requests",
            "reject",
            &renewal.id.to_string(),
            "--comments",
            "budget closed",
        ]),
        0,
    );
    assert!(out.contains("rejected"), "{out}");
    // Deciding twice is refused by the server; a rejection needs a reason.
    run(
        server
            .cmd()
            .args(["requests", "approve", &renewal.id.to_string()]),
        6,
    );
    run(
        server
            .cmd()
            .args(["requests", "reject", &renewal.id.to_string()]),
        2,
    );
    let (out, _) = run(
        server
            .cmd()
            .args(["requests", "--status", "pending", "-o", "json"]),
        0,
    );
    assert!(!out.contains(&format!("\"id\":{},", renewal.id)), "{out}");
}

/// How many requests the server holds, of any status.
fn request_count(server: &Server) -> usize {
    server
        .block_on(server.api().requests(&RequestQuery::default()))
        .unwrap()
        .items
        .len()
}

#[test]
fn renewal_and_new_license_requests_are_submitted() {
    let server = Server::start();
    let api = server.api();
    // A license of a child org (its parent decides) with no renewal pending.
    let license = server
        .block_on(api.licenses(&LicenseQuery::default()))
        .unwrap()
        .items
        .into_iter()
        .find(|l| {
            l.status.as_str() == "active" && !l.renewal_requested && l.org_id != server.root_org
        })
        .expect("an active license of a child org");
    let id = license.id.to_string();
    let before = request_count(&server);
    let renew = |extra: &[&str]| {
        let mut cmd = server.cmd();
        cmd.args(["requests", "renew", "--license", &id])
            .args(["--start", "2027-09-01", "--finish", "2028-08-31"])
            .args(extra);
        cmd
    };
    // Neither or both of --new-code / --existing-code, or a finish before
    // the start: usage errors, nothing sent.
    run(&mut renew(&[]), 2);
    run(&mut renew(&["--new-code", "--existing-code"]), 2);
    let (_, err) = run(
        server.cmd().args([
            "requests",
            "renew",
            "--license",
            &id,
            "--new-code",
            "--start",
            "2027-09-01",
            "--finish",
            "2027-08-31",
        ]),
        2,
    );
    assert!(err.contains("--finish"), "{err}");
    assert_eq!(request_count(&server), before);

    let (out, err) = run(
        &mut renew(&[
            "--new-code",
            "--students",
            "40",
            "--comments",
            "school year 2027/28",
            "-o",
            "json",
        ]),
        0,
    );
    let renewal = json(&out);
    let request_id = renewal["id"].as_i64().expect("a request id");
    assert_eq!(renewal["kind"], "renewal");
    assert_eq!(renewal["status"], "pending");
    assert_eq!(renewal["license_id"], license.id);
    assert_eq!(renewal["new_code"], true);
    assert_eq!(renewal["students"], 40);
    assert_eq!(renewal["start_date"], "2027-09-01");
    assert_eq!(renewal["finish_date"], "2028-08-31");
    assert_eq!(renewal["comments"], "school year 2027/28");
    // What was printed is what the server stored, and the license is flagged.
    let stored = server.block_on(api.request(request_id)).unwrap();
    assert_eq!(renewal, serde_json::to_value(&stored).unwrap());
    let parent = stored
        .requested_to_org_name
        .expect("sent to the parent org");
    assert!(
        err.contains(&format!("request {request_id} sent to {parent}")),
        "{err}"
    );
    assert!(
        server
            .block_on(api.license(license.id))
            .unwrap()
            .renewal_requested
    );
    // A second renewal of the same license is refused by the server: exit 6.
    let (_, err) = run(&mut renew(&["--existing-code"]), 6);
    assert!(
        err.contains("Conflict (409)") && err.contains("pending renewal"),
        "{err}"
    );

    // A new license for the same account: SKU in any case, two courses.
    let account = license.account_id.to_string();
    let sku = license.product_sku.to_lowercase();
    let new = |sku: &str| {
        let mut cmd = server.cmd();
        cmd.args(["requests", "new", "--account", &account])
            .args(["--inventory-type", "center_license", "--product", sku])
            .args(["--course", "Word Core", "--course", "Excel Expert"])
            .args(["--students", "25", "--start", "2027-01-01"]);
        cmd
    };
    let (out, _) = run(new(&sku).args(["--comments", "pilot", "-o", "json"]), 0);
    let created = json(&out);
    assert_eq!(created["kind"], "new_license");
    assert_eq!(created["status"], "pending");
    assert_eq!(created["account_id"], license.account_id);
    assert_eq!(created["product_id"], license.product_id);
    assert_eq!(created["inventory_type"], "center_license");
    assert_eq!(created["students"], 25);
    assert_eq!(
        created["courses"],
        serde_json::json!(["Word Core", "Excel Expert"])
    );
    assert_eq!(created["start_date"], "2027-01-01");
    assert_eq!(created["finish_date"], serde_json::Value::Null);
    let stored = server
        .block_on(api.request(created["id"].as_i64().unwrap()))
        .unwrap();
    assert_eq!(created, serde_json::to_value(&stored).unwrap());
    // The default output is a table row of the request.
    let (out, _) = run(&mut new(&sku), 0);
    let row = out.lines().nth(1).expect("a table row");
    assert!(
        row.contains("new_license") && row.contains("pending") && row.contains("25"),
        "{out}"
    );
    // An unknown SKU is named before anything is sent (exit 6); a token
    // that may only read is refused by the server (exit 4).
    let after = request_count(&server);
    let (_, err) = run(&mut new("NOPE-1"), 6);
    assert!(err.contains("NOPE-1"), "{err}");
    let reporter = server.token(seatdesk_core::Role::Reporter);
    let (_, err) = run(
        server.cmd_with_token(&reporter).args([
            "requests",
            "new",
            "--account",
            &account,
            "--inventory-type",
            "seat_pool",
            "--product",
            &sku,
            "--students",
            "5",
        ]),
        4,
    );
    assert!(err.contains("Forbidden (403)"), "{err}");
    assert_eq!(request_count(&server), after);
}

/// Answers every HTTP request with 200 and counts them.
fn receiver() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut buf = [0u8; 8192];
            let _ = stream.read(&mut buf);
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (url, hits)
}

#[test]
fn webhooks_are_added_listed_tested_and_removed() {
    let server = Server::start();
    let (url, hits) = receiver();
    let (out, _) = run(
        server.cmd().args([
            "webhooks",
            "add",
            &url,
            "--events",
            "seat.revoke,alert",
            "-o",
            "json",
        ]),
        0,
    );
    let created = json(&out);
    assert!(!created["secret"].as_str().unwrap().is_empty());
    let id = created["webhook"]["id"].to_string();
    let (out, _) = run(server.cmd().args(["webhooks", "-o", "csv"]), 0);
    let (header, rows) = helpers::csv_rows(&out);
    assert_eq!(&header[..4], ["id", "org_id", "url", "events"]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][2], url);
    assert_eq!(rows[0][3], "seat.revoke,alert");

    let (out, _) = run(
        server.cmd().args(["webhooks", "test", &id, "-o", "json"]),
        0,
    );
    let result = json(&out);
    assert_eq!(result["delivered"], true);
    assert_eq!(result["status_code"], 200);
    assert!(hits.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    run(
        server
            .cmd()
            .args(["webhooks", "deliveries", &id, "-o", "json"]),
        0,
    );

    // An endpoint nobody answers: the test says so, exit 7.
    let dead = format!("{}/hook", helpers::dead_url());
    let (out, _) = run(
        server
            .cmd()
            .args(["webhooks", "add", &dead, "--events", "*", "-o", "json"]),
        0,
    );
    let dead_id = json(&out)["webhook"]["id"].to_string();
    let (out, _) = run(server.cmd().args(["webhooks", "test", &dead_id]), 7);
    assert!(out.contains("DELIVERED") && out.contains("no"), "{out}");

    let (out, _) = run(
        server.cmd().args(["webhooks", "remove", &id, "-o", "json"]),
        0,
    );
    assert_eq!(json(&out)["active"], false);
    // A plain-http URL off loopback is refused by the server: exit 6.
    run(
        server.cmd().args([
            "webhooks",
            "add",
            "http://example.org/hook",
            "--events",
            "*",
        ]),
        6,
    );
}
