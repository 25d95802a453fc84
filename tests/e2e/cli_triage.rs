//! Help-desk and monitoring commands end to end: `check` (exit 7 when
//! access would fail), `doctor` (exit 7 on discrepancies, JSON equal to the
//! API's report), `alerts` (thresholds passed through, `--fail-on`), and
//! `audit --follow` printing new events as they happen.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use seatdesk_core::api::alerts::AlertQuery;
use seatdesk_core::api::seats::ClaimQuery;
use seatdesk_core::api::triage::DiscrepancyQuery;

use crate::helpers::{self, Server, json, run};

#[test]
fn check_names_each_condition_and_fails_when_access_would() {
    let server = Server::start();
    let api = server.api();
    let active = server
        .block_on(api.claims(&ClaimQuery {
            status: Some("active".into()),
            q: None,
            limit: Some(200),
            ..ClaimQuery::default()
        }))
        .unwrap()
        .items;
    // An active teacher-edition seat in date: access granted.
    let products = server.block_on(api.products()).unwrap();
    let granted = active
        .iter()
        .find_map(|c| {
            let sku = &products.iter().find(|p| p.id == c.product_id)?.sku;
            let check = server.block_on(api.access_check(&c.user_email, sku)).ok()?;
            check.access.then(|| (c.user_email.clone(), sku.clone()))
        })
        .expect("someone with access");
    let (out, _) = run(server.cmd().args(["check", &granted.0, &granted.1]), 0);
    assert!(out.contains("ACCESS GRANTED"), "{out}");
    for condition in [
        "account_active",
        "role",
        "org",
        "license_active",
        "seat_held",
        "training",
    ] {
        assert!(out.contains(condition), "{condition} missing:\n{out}");
    }
    // A student has no Observe seat and no training for it: denied, exit 7.
    let student = active
        .iter()
        .find(|c| c.user_kind.as_str() == "student")
        .unwrap();
    let (out, _) = run(
        server
            .cmd()
            .args(["check", &student.user_email, "PD-OBSERVE", "-o", "json"]),
        7,
    );
    let check = json(&out);
    assert_eq!(check["access"], false);
    let failed: Vec<&str> = check["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["pass"] == false)
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(failed.contains(&"seat_held"), "{out}");
    let (out, _) = run(
        server
            .cmd()
            .args(["check", &student.user_email, "PD-OBSERVE", "-o", "csv"]),
        7,
    );
    let (header, rows) = helpers::csv_rows(&out);
    assert_eq!(&header[..3], ["condition", "result", "reason"]);
    assert!(
        rows.iter().any(|r| r[0] == "seat_held" && r[1] == "fail"),
        "{out}"
    );
    // An unknown user is the server's 404: exit 6.
    run(
        server
            .cmd()
            .args(["check", "nobody@nowhere.example.org", "PD-OBSERVE"]),
        6,
    );
}

#[test]
fn doctor_reports_what_the_api_reports_and_exits_7() {
    let server = Server::start();
    let report = server
        .block_on(
            server
                .api()
                .discrepancies(&DiscrepancyQuery { limit: Some(5) }),
        )
        .unwrap();
    assert!(report.total > 0, "the demo data seeds discrepancies");
    let (out, err) = run(
        server.cmd().args(["doctor", "--limit", "5", "-o", "json"]),
        7,
    );
    let printed: seatdesk_core::api::triage::DiscrepancyReport =
        serde_json::from_str(&out).unwrap();
    assert_eq!(printed, report);
    assert!(
        err.contains(&format!("{} discrepancies", report.total)),
        "{err}"
    );
    let (out, _) = run(server.cmd().args(["doctor", "--limit", "5"]), 7);
    assert!(out.starts_with("KIND"), "{out}");
    for group in &report.groups {
        let kind = serde_json::to_value(group.kind).unwrap();
        let line = out
            .lines()
            .find(|l| l.starts_with(kind.as_str().unwrap()))
            .unwrap();
        assert!(line.contains(&group.total.to_string()), "{line}");
    }
}

#[test]
fn alerts_pass_thresholds_through_and_fail_on_severity() {
    let server = Server::start();
    let (out, _) = run(server.cmd().args(["alerts", "-o", "json"]), 0);
    let alerts = json(&out);
    let expected = server
        .block_on(server.api().alerts(&AlertQuery::default()))
        .unwrap();
    assert_eq!(alerts, serde_json::to_value(&expected).unwrap());
    assert!(!expected.items.is_empty(), "the demo has alerts");
    // A wider expiry window and a lower usage bar: applied, and more alerts.
    let (out, _) = run(
        server.cmd().args([
            "alerts",
            "--expiry-days",
            "400,200",
            "--usage-percent",
            "50",
            "-o",
            "json",
        ]),
        0,
    );
    let wide = json(&out);
    assert_eq!(
        wide["thresholds"]["expiry_days"],
        serde_json::json!([400, 200])
    );
    assert_eq!(wide["thresholds"]["usage_percent"], 50.0);
    assert!(wide["items"].as_array().unwrap().len() > expected.items.len());
    // Monitoring: exit 7 when a critical alert is listed.
    let critical = expected
        .items
        .iter()
        .any(|a| a.severity == seatdesk_core::api::alerts::AlertSeverity::Critical);
    run(
        server
            .cmd()
            .args(["alerts", "--fail-on", "critical", "-o", "csv"]),
        if critical { 7 } else { 0 },
    );
    let (out, _) = run(
        server
            .cmd()
            .args(["alerts", "--kind", "pool_nearly_full", "-o", "csv"]),
        0,
    );
    let (header, rows) = helpers::csv_rows(&out);
    assert_eq!(&header[..3], ["severity", "kind", "license_id"]);
    assert!(rows.iter().all(|r| r[1] == "pool_nearly_full"), "{out}");
    // A bad threshold is a usage error before any request.
    run(server.cmd().args(["alerts", "--expiry-days", "soon"]), 2);
}

#[test]
fn audit_follow_prints_new_events_as_they_happen() {
    let server = Server::start();
    let mut child = Command::new(helpers::BIN)
        .args(["audit", "--follow", "--interval", "0.2", "-o", "json"])
        .env("SEATDESK_URL", &server.url)
        .env("SEATDESK_TOKEN", &server.token)
        .env("SEATDESK_CONFIG_DIR", server.config_dir())
        .env("SEATDESK_CACHE_DIR", server.path("cache"))
        .env_remove("SEATDESK_PROFILE")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start audit --follow");
    // Lines come through a channel, so a silent follower fails the test
    // (after a generous wait) instead of hanging it.
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    let next = || {
        rx.recv_timeout(Duration::from_secs(60))
            .expect("audit --follow printed nothing")
    };
    // The backlog first: the demo load.
    let first = json(&next());
    assert_eq!(first["action"], "demo.load");
    // Then a revocation made while it follows.
    let seat = server
        .block_on(server.api().claims(&ClaimQuery {
            status: Some("pending".into()),
            limit: Some(1),
            ..ClaimQuery::default()
        }))
        .unwrap()
        .items[0]
        .id;
    run(
        server
            .cmd()
            .args(["revoke", "-y", "-"])
            .write_stdin(format!("{seat}\n")),
        0,
    );
    let event = loop {
        let event = json(&next());
        if event["action"] == "seat.revoke" {
            break event;
        }
    };
    assert_eq!(event["target_id"], seat);
    let _ = child.kill();
    let _ = child.wait();
}
