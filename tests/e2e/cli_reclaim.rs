//! `seatdesk reclaim` and `seatdesk seen` end to end over the demo data: a
//! policy added from the command line is listed, paused and resumed; its dry
//! run names exactly the seats the server's dry run does and changes
//! nothing; `run` asks (no terminal: exit 2 unless `--yes`; on a terminal
//! under tmux, `n` changes nothing and `y` runs) and frees exactly what the
//! dry run listed; the history shows the run; bad flags are usage errors,
//! unknown ids rejections, read-only profiles refused.

use seatdesk_core::SeatStatus;
use seatdesk_core::api::reclaim::{ReclaimPolicy, ReclaimReport, SummaryQuery};
use seatdesk_core::api::seats::ClaimQuery;

use crate::helpers::tmux::Tmux;
use crate::helpers::{BIN, Server, csv_rows, json, run};

/// `reclaim add` of a pending-seats policy; the policy it printed.
fn add_pending(server: &Server, days: &str) -> ReclaimPolicy {
    let (out, err) = run(
        server.cmd().args([
            "reclaim",
            "add",
            "--name",
            "stale pending",
            "--rule",
            "pending_over_days",
            "--days",
            days,
            "--interval",
            "12h",
            "-o",
            "json",
        ]),
        0,
    );
    assert!(err.contains("reclaim dry-run"), "{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn dry_run(server: &Server, id: i64) -> ReclaimReport {
    server
        .block_on(server.api().reclaim_dry_run(id))
        .expect("the server's dry run")
}

fn seat_ids(report: &ReclaimReport) -> Vec<i64> {
    report.freed.iter().map(|c| c.seat_id).collect()
}

/// Exit 3 when some matching seats are refused, as `revoke` does.
fn expected_code(report: &ReclaimReport) -> i32 {
    if report.refused.is_empty() { 0 } else { 3 }
}

#[test]
fn add_list_pause_and_resume_a_policy() {
    let server = Server::start();
    let policy = add_pending(&server, "7");
    assert_eq!(policy.org_id, server.root_org, "the token's org by default");
    assert_eq!(policy.interval_minutes, 12 * 60);
    assert_eq!(policy.days, Some(7));

    let (out, _) = run(server.cmd().args(["reclaim", "policies", "-o", "json"]), 0);
    let listed: Vec<ReclaimPolicy> = serde_json::from_str(&out).unwrap();
    // The demo data's own policies, then ours.
    assert_eq!(listed.last(), Some(&policy));
    assert!(
        listed[..listed.len() - 1]
            .iter()
            .all(|p| p.created_by == "demo")
    );
    let (table, _) = run(server.cmd().args(["reclaim", "policies"]), 0);
    let header = table.lines().next().unwrap();
    assert!(
        header.starts_with("ID") && header.contains("RULE"),
        "{table}"
    );
    assert!(table.contains("stale pending") && table.contains("pending_over_days"));
    let (csv, _) = run(server.cmd().args(["reclaim", "policies", "-o", "csv"]), 0);
    let (header, rows) = csv_rows(&csv);
    assert_eq!(header[..4], ["id", "name", "rule", "days"]);
    assert_eq!(rows.last().unwrap()[0], policy.id.to_string());

    let id = policy.id.to_string();
    let (out, _) = run(
        server.cmd().args(["reclaim", "pause", &id, "-o", "json"]),
        0,
    );
    assert_eq!(json(&out)["paused"], true);
    assert!(json(&out)["next_run_at"].is_null());
    let stored = server
        .block_on(server.api().reclaim_policy(policy.id))
        .unwrap();
    assert!(stored.paused, "the server holds it paused");
    let (out, _) = run(
        server.cmd().args(["reclaim", "resume", &id, "-o", "json"]),
        0,
    );
    assert_eq!(json(&out)["paused"], false);

    // Mistakes the command line catches, and ones the server refuses.
    let (_, err) = run(
        server.cmd().args([
            "reclaim",
            "add",
            "--name",
            "x",
            "--rule",
            "archived_user",
            "--days",
            "3",
        ]),
        2,
    );
    assert!(err.contains("takes no --days"), "{err}");
    let (_, err) = run(
        server.cmd().args([
            "reclaim",
            "add",
            "--name",
            "x",
            "--rule",
            "unused_over_days",
        ]),
        2,
    );
    assert!(err.contains("needs --days"), "{err}");
    let (_, err) = run(
        server
            .cmd()
            .args(["reclaim", "add", "--name", "x", "--rule", "forever"]),
        2,
    );
    assert!(
        err.contains("pending_over_days"),
        "the rules are listed: {err}"
    );
    run(server.cmd().args(["reclaim", "pause", "987654"]), 6);
    let (_, err) = run(
        server.cmd().args([
            "reclaim",
            "add",
            "--name",
            "x",
            "--rule",
            "pending_over_days",
            "--days",
            "99999",
        ]),
        6,
    );
    assert!(err.contains("creating the reclaim policy"), "{err}");
    let (out, _) = run(server.cmd().args(["reclaim", "policies", "-o", "json"]), 0);
    assert_eq!(
        json(&out).as_array().unwrap().len(),
        listed.len(),
        "nothing else was written"
    );
}

#[test]
fn the_dry_run_lists_what_the_run_then_frees() {
    let server = Server::start();
    let policy = add_pending(&server, "7");
    let id = policy.id.to_string();
    let expected = dry_run(&server, policy.id);
    assert!(
        !expected.freed.is_empty(),
        "the demo data has pending seats older than a week"
    );
    let code = expected_code(&expected);

    let (out, err) = run(
        server.cmd().args(["reclaim", "dry-run", &id, "-o", "json"]),
        code,
    );
    let printed: ReclaimReport = serde_json::from_str(&out).unwrap();
    assert_eq!(seat_ids(&printed), seat_ids(&expected));
    assert_eq!(printed.refused, expected.refused);
    assert!(printed.dry_run);
    assert!(
        err.contains("would be freed") && err.contains("nothing changed"),
        "{err}"
    );

    let (csv, _) = run(
        server.cmd().args(["reclaim", "dry-run", &id, "-o", "csv"]),
        code,
    );
    let (header, rows) = csv_rows(&csv);
    assert_eq!(header[..3], ["seat_id", "outcome", "user_email"]);
    let reason = header.iter().position(|h| h == "reason").unwrap();
    let would: Vec<&Vec<String>> = rows.iter().filter(|r| r[1] == "would_free").collect();
    assert_eq!(would.len(), expected.freed.len());
    assert_eq!(would[0][0], expected.freed[0].seat_id.to_string());
    assert_eq!(would[0][reason], expected.freed[0].reason);
    assert_eq!(
        rows.iter().filter(|r| r[1] == "refused").count(),
        expected.refused.len()
    );

    // Without a terminal nothing is asked and nothing runs.
    let (_, err) = run(server.cmd().args(["reclaim", "run", &id]), 2);
    assert!(err.contains("pass --yes"), "{err}");
    assert_eq!(seat_ids(&dry_run(&server, policy.id)), seat_ids(&expected));
    // A reporter may not run it (403), a read-only profile not even ask.
    let reporter = server.token(seatdesk_core::Role::Reporter);
    let (_, err) = run(
        server
            .cmd_with_token(&reporter)
            .args(["reclaim", "run", &id, "--yes"]),
        4,
    );
    assert!(err.contains("403"), "{err}");
    crate::helpers::write(
        &server.config_dir().join("config.toml"),
        &format!(
            "default_profile = \"ro\"\n[profiles.ro]\nurl = \"{}\"\ntoken = \"{}\"\nreadonly = true\n",
            server.url, server.token
        ),
    );
    let (_, err) = run(
        server
            .cmd_without_env()
            .args(["reclaim", "run", &id, "--yes"]),
        4,
    );
    assert!(err.contains("read-only"), "{err}");
    std::fs::remove_file(server.config_dir().join("config.toml")).unwrap();
    assert_eq!(seat_ids(&dry_run(&server, policy.id)), seat_ids(&expected));

    let (out, err) = run(
        server
            .cmd()
            .args(["reclaim", "run", &id, "--yes", "-o", "json"]),
        code,
    );
    let report: ReclaimReport = serde_json::from_str(&out).unwrap();
    assert!(!report.dry_run && report.run_id.is_some());
    assert_eq!(
        seat_ids(&report),
        seat_ids(&expected),
        "the run freed what the dry run named"
    );
    assert!(
        err.contains(&format!("{} seats freed", expected.freed.len())),
        "{err}"
    );
    let revoked = server.claims(ClaimQuery {
        status: Some("revoked".into()),
        ..ClaimQuery::default()
    });
    for seat in seat_ids(&expected) {
        assert!(
            revoked
                .iter()
                .any(|c| c.id == seat && c.status == SeatStatus::Revoked),
            "seat {seat} is revoked"
        );
    }
    assert!(dry_run(&server, policy.id).freed.is_empty());

    let (csv, _) = run(
        server.cmd().args(["reclaim", "history", &id, "-o", "csv"]),
        0,
    );
    let (header, rows) = csv_rows(&csv);
    assert_eq!(
        header,
        [
            "id",
            "policy_id",
            "started_at",
            "trigger",
            "actor",
            "freed",
            "refused",
            "remaining"
        ]
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][3], "manual");
    assert_eq!(rows[0][5], expected.freed.len().to_string());
    let (out, err) = run(server.cmd().args(["reclaim", "summary", "-o", "json"]), 0);
    assert!(err.is_empty(), "{err}");
    let summary = server
        .block_on(server.api().reclaim_summary(&SummaryQuery::default()))
        .unwrap();
    assert_eq!(json(&out)["reclaimable"], summary.reclaimable);
}

#[test]
fn seen_reports_seats_used_and_lists_the_ignored() {
    let server = Server::start();
    let live = server
        .claims(ClaimQuery {
            status: Some("active".into()),
            limit: Some(2),
            ..ClaimQuery::default()
        })
        .into_iter()
        .take(2)
        .map(|c| c.id.to_string())
        .collect::<Vec<_>>();
    let (out, err) = run(server.cmd().args(["seen", &live[0], &live[1], "987654"]), 3);
    assert!(out.contains("recorded: 2"), "{out}");
    assert!(out.contains("ignored: 987654"), "{out}");
    assert!(err.contains("1 seat ids were ignored"), "{err}");
    // From stdin, as a product's launcher script pipes them.
    let (out, _) = run(
        server
            .cmd()
            .args(["seen", "-", "-o", "json"])
            .write_stdin(format!("{}\n{}\n", live[0], live[1])),
        0,
    );
    assert_eq!(json(&out)["recorded"], 2);
    let (_, err) = run(server.cmd().args(["seen", "twelve"]), 2);
    assert!(err.contains("'twelve' is not a seat id"), "{err}");
}

/// `seatdesk reclaim run ID` on a terminal, as a person runs it under
/// tmux: the prompt names the policy and the count; `n` changes nothing,
/// `y` runs it.
#[test]
fn the_run_prompt_on_a_terminal_names_the_count() {
    if !Tmux::available() {
        eprintln!("tmux is not installed; skipping the reclaim prompt test");
        return;
    }
    let server = Server::start();
    let policy = add_pending(&server, "7");
    let expected = dry_run(&server, policy.id);
    let n = expected.freed.len();
    let command = format!(
        "env SEATDESK_URL={} SEATDESK_TOKEN={} SEATDESK_CONFIG_DIR={} SEATDESK_CACHE_DIR={} \
         NO_COLOR=1 {BIN} reclaim run {}; echo \"exit status $?\"; sleep 600",
        server.url,
        server.token,
        server.config_dir().display(),
        server.path("cache").display(),
        policy.id
    );
    let tmux = Tmux::start("reclaim-no", 150, 20, &command);
    let prompt = tmux.wait_for("[y/N]");
    assert!(
        prompt.contains(&format!(
            "Run policy {} 'stale pending' now: free {n} seats?",
            policy.id
        )),
        "{prompt}"
    );
    tmux.send(&["n", "Enter"]);
    let screen = tmux.wait_for("exit status");
    assert!(screen.contains("exit status 2"), "{screen}");
    assert!(screen.contains("cancelled: no seat was freed"), "{screen}");
    drop(tmux);
    assert_eq!(seat_ids(&dry_run(&server, policy.id)), seat_ids(&expected));

    let tmux = Tmux::start("reclaim-yes", 150, 20, &command);
    tmux.wait_for("[y/N]");
    tmux.send(&["y", "Enter"]);
    let screen = tmux.wait_for("exit status");
    assert!(
        screen.contains(&format!("exit status {}", expected_code(&expected))),
        "{screen}"
    );
    assert!(screen.contains(&format!("{n} seats freed")), "{screen}");
    assert!(dry_run(&server, policy.id).freed.is_empty());
}
