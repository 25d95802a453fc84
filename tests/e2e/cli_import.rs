//! `seatdesk import oneroster DIR` end to end with the shipped rosters: the
//! broken roster's bad rows are reported with file, line and reason while
//! its good rows are imported (exit 3); the dry run's report is exactly the
//! real run's and changes nothing; the clean sample imports with exit 0.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::helpers::{self, Server, json, run, write};

fn roster(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("assets/oneroster")
        .join(name)
        .display()
        .to_string()
}

fn users(server: &Server) -> serde_json::Value {
    let (out, _) = run(server.cmd().args(["users", "-o", "json"]), 0);
    json(&out)
}

#[test]
fn the_broken_roster_imports_its_good_rows_and_reports_the_bad_ones() {
    let server = Server::start();
    let broken = roster("broken");
    let before = users(&server);
    let (dry, err) = run(
        server
            .cmd()
            .args(["import", "oneroster", &broken, "--dry-run", "-o", "json"]),
        3,
    );
    assert!(err.contains("dry run, nothing changed"), "{err}");
    assert_eq!(users(&server), before, "a dry run changes nothing");

    let (real, _) = run(
        server
            .cmd()
            .args(["import", "oneroster", &broken, "-o", "json"]),
        3,
    );
    let (mut dry, real) = (json(&dry), json(&real));
    assert_eq!(dry["dry_run"], true);
    assert_eq!(real["dry_run"], false);
    dry["dry_run"] = serde_json::Value::Bool(false);
    assert_eq!(
        dry, real,
        "the dry run reported exactly what the import did"
    );

    // One bad row of each kind, named by file and line (README of the assets).
    let bad: BTreeSet<(String, u64)> = real["bad_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(!r["reason"].as_str().unwrap().is_empty(), "{r}");
            (
                r["file"].as_str().unwrap().to_string(),
                r["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, u64)> = [
        ("orgs.csv", 6),
        ("orgs.csv", 7),
        ("orgs.csv", 8),
        ("users.csv", 55),
        ("users.csv", 56),
        ("users.csv", 57),
        ("users.csv", 58),
        ("users.csv", 59),
        ("classes.csv", 7),
        ("enrollments.csv", 47),
        ("enrollments.csv", 48),
        ("enrollments.csv", 49),
    ]
    .into_iter()
    .map(|(f, l)| (f.to_string(), l))
    .collect();
    assert_eq!(bad, expected);
    assert_eq!(real["users"]["created"], 52, "{}", real["users"]);

    // The good rows are in: the district's administrator is a user now.
    let (out, _) = run(
        server
            .cmd()
            .args(["users", "--q", "patricia.holloway", "-o", "json"]),
        0,
    );
    let found = json(&out);
    assert_eq!(found.as_array().unwrap().len(), 1, "{out}");
    assert_eq!(found[0]["kind"], "staff");

    // Again, as a table: nothing new, the same bad rows, still exit 3.
    let (table, _) = run(server.cmd().args(["import", "oneroster", &broken]), 3);
    assert!(table.contains("bad rows (12)"), "{table}");
    let line = table
        .lines()
        .find(|l| l.starts_with("users.csv") && l.contains("59"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(line.contains("bad.email@@example"), "{line}");
    let (csv, _) = run(
        server
            .cmd()
            .args(["import", "oneroster", &broken, "-o", "csv"]),
        3,
    );
    let (header, rows) = helpers::csv_rows(&csv);
    assert_eq!(header, ["file", "line", "reason"]);
    assert_eq!(rows.len(), 12);
}

#[test]
fn the_clean_sample_imports_without_bad_rows() {
    let server = Server::start();
    let sample = roster("sample");
    let (out, _) = run(
        server
            .cmd()
            .args(["import", "oneroster", &sample, "--dry-run", "-o", "json"]),
        0,
    );
    let report = json(&out);
    assert_eq!(report["bad_rows"].as_array().unwrap().len(), 0);
    assert_eq!(report["users"]["created"], 52);
    let (out, _) = run(server.cmd().args(["import", "oneroster", &sample]), 0);
    assert!(out.contains("users") && out.contains("52"), "{out}");
    // A second run finds everything unchanged.
    let (out, _) = run(
        server
            .cmd()
            .args(["import", "oneroster", &sample, "-o", "json"]),
        0,
    );
    let again = json(&out);
    assert_eq!(again["users"]["created"], 0);
    assert_eq!(again["users"]["unchanged"], 52);

    // A set the server refuses as a whole (no manifest): exit 6, and an
    // empty directory is a usage error.
    let dir = server.path("no-manifest");
    std::fs::create_dir_all(&dir).unwrap();
    write(
        &dir.join("users.csv"),
        &std::fs::read_to_string(PathBuf::from(&sample).join("users.csv")).unwrap(),
    );
    let (out, err) = run(
        server
            .cmd()
            .args(["import", "oneroster", dir.to_str().unwrap()]),
        6,
    );
    assert!(out.is_empty());
    assert!(err.contains("manifest"), "{err}");
    let empty = server.path("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let (_, err) = run(
        server
            .cmd()
            .args(["import", "oneroster", empty.to_str().unwrap()]),
        2,
    );
    assert!(err.contains("no .csv files"), "{err}");
}
