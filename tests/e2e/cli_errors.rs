//! The command line's contract with scripts: documented exit codes for
//! auth (4), connection (5), usage (2) and refusals (6), errors as one line
//! on stderr with nothing on stdout, the exit-code table in `--help`, and
//! completions and a man page generated from the grammar.

use predicates::prelude::*;

use crate::helpers::{self, BIN, Server, run};

#[test]
fn failures_exit_with_their_documented_codes() {
    let server = Server::start();
    // A token the server does not know: 401, exit 4.
    let (out, err) = run(server.cmd_with_token("sd_not_a_token").args(["claims"]), 4);
    assert!(out.is_empty());
    assert!(
        err.starts_with("seatdesk: ") && err.contains("Unauthorized (401): "),
        "{err}"
    );
    assert_eq!(err.matches("401").count(), 1, "the status once: {err}");
    assert!(err.contains("seatdesk login"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    // Nothing listening: exit 5, for every command that talks to a server.
    let dead = helpers::dead_url();
    for args in [
        &["claims"][..],
        &["doctor"],
        &["check", "a@b.org", "SKU"],
        &["alerts"],
    ] {
        let (out, err) = run(server.cmd().env("SEATDESK_URL", &dead).args(args), 5);
        assert!(out.is_empty());
        assert!(err.contains("cannot reach the server"), "{err}");
        // The origin once, not again inside the transport error.
        assert_eq!(err.matches("127.0.0.1").count(), 1, "{err}");
    }
    // Usage: unknown flag, bad value, missing argument, bad age: exit 2.
    run(server.cmd().args(["claims", "--bogus"]), 2);
    let (_, err) = run(server.cmd().args(["claims", "--status", "lost"]), 2);
    assert!(err.contains("pending, active, expired, revoked"), "{err}");
    run(server.cmd().args(["check", "only-a-user"]), 2);
    run(server.cmd().args(["claims", "--older-than", "a while"]), 2);
    // A server refusal (404): exit 6.
    let (_, err) = run(server.cmd().args(["teachers", "--license", "987654"]), 6);
    assert!(
        err.contains("Not Found (404): license 987654 was not found"),
        "{err}"
    );
    // No profile and no environment: a usage error that says what to do.
    let (_, err) = run(server.cmd_without_env().args(["claims"]), 2);
    assert!(err.contains("seatdesk login"), "{err}");
}

#[test]
fn help_documents_the_exit_codes() {
    let mut cmd = assert_cmd::Command::new(BIN);
    cmd.arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit codes:"))
        .stdout(predicate::str::contains("3  partial"))
        .stdout(predicate::str::contains("5  connection"))
        .stdout(predicate::str::contains("claims"))
        .stdout(predicate::str::contains("inventory"));
    assert_cmd::Command::new(BIN)
        .args(["revoke", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--dry-run"))
        .stdout(predicate::str::contains("3 some items refused"));
}

#[test]
fn completions_and_man_pages_come_from_the_grammar() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        assert_cmd::Command::new(BIN)
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("revoke"))
            .stdout(predicate::str::contains("older-than"));
    }
    assert_cmd::Command::new(BIN)
        .args(["completions", "tcsh"])
        .assert()
        .code(2);
    assert_cmd::Command::new(BIN)
        .arg("man")
        .assert()
        .success()
        .stdout(predicate::str::starts_with(".ie").or(predicate::str::contains(".TH seatdesk 1")))
        .stdout(predicate::str::contains(".TH seatdesk 1"))
        .stdout(predicate::str::contains("claims"));
    let dir = tempfile::tempdir().unwrap();
    assert_cmd::Command::new(BIN)
        .args(["man", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    for page in [
        "seatdesk.1",
        "seatdesk-claims.1",
        "seatdesk-revoke.1",
        "seatdesk-codes-export.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(page))
            .unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.contains(".TH"), "{page}");
    }
}

/// The README's column table is the contract: each listing's CSV header
/// is exactly the documented list.
#[test]
fn csv_headers_are_the_ones_the_readme_documents() {
    let server = Server::start();
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = readme
        .split("| listing | JSON | CSV columns |")
        .nth(1)
        .expect("the README's column table");
    let documented = |listing: &str| -> String {
        let row = table
            .lines()
            .find(|l| l.starts_with(&format!("| `{listing}`")))
            .unwrap_or_else(|| panic!("README has no row for {listing}"));
        let columns = row.trim_end_matches('|').rsplit('|').next().unwrap();
        let columns = columns.split(" (").next().unwrap();
        columns
            .split(',')
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(",")
    };
    for (listing, args) in [
        ("claims", &["claims"][..]),
        ("teachers", &["teachers", "--license", "1"]),
        ("licenses", &["licenses"]),
        ("users", &["users"]),
        ("audit", &["audit"]),
        ("requests", &["requests"]),
        ("codes list", &["codes", "list", "--license", "1"]),
        ("codes batches", &["codes", "batches", "--license", "1"]),
        ("alerts", &["alerts"]),
        ("webhooks", &["webhooks"]),
        ("webhooks deliveries", &["webhooks", "deliveries", "1"]),
    ] {
        let (out, _) = run(
            server.cmd().args(args).args(["-o", "csv", "--limit", "0"]),
            0,
        );
        assert_eq!(out.trim_end(), documented(listing), "{listing}");
    }
    // A report, not a listing: no --limit; its first line is the header.
    let (out, _) = run(server.cmd().args(["dashboard", "-o", "csv"]), 0);
    assert_eq!(out.lines().next(), Some(documented("dashboard").as_str()));
}
