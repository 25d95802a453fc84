//! `seatdesk revoke` and `restore` end to end: a dry run predicts the real
//! run item by item and changes nothing; a student-edition teacher seat
//! with students is refused while the rest go through (exit 3); emails
//! resolve to live seats; no confirmation without a terminal or `--yes`,
//! and on a real terminal (tmux) the y/N prompt: `n` changes nothing, `y`
//! revokes; read-only profiles and under-privileged tokens are refused
//! (exit 4).

use seatdesk_core::Role;
use seatdesk_core::api::seats::{Claim, ClaimQuery};

use crate::helpers::tmux::Tmux;
use crate::helpers::{self, BIN, Server, json, run, write};

fn all_claims(server: &Server) -> Vec<Claim> {
    server.claims(ClaimQuery::default())
}

/// What the server holds, to compare before and after a dry run.
fn snapshot(server: &Server) -> (Vec<Claim>, i64) {
    let api = server.api();
    let head = server
        .block_on(api.changes(0, 1000))
        .expect("changes")
        .next_after;
    (all_claims(server), head)
}

/// A mixed ticket: a refused teacher seat, an email, plain ids, a repeat,
/// an unknown email and a line that is neither.
fn ticket(server: &Server) -> (String, i64, Claim) {
    let claims = all_claims(server);
    let teacher = claims
        .iter()
        .find(|c| {
            c.product_name.contains("Student Edition")
                && c.students_assigned > 0
                && matches!(c.status.as_str(), "pending" | "active")
        })
        .expect("a student-edition teacher seat with students");
    let mut plain = claims
        .iter()
        .filter(|c| c.status.as_str() == "pending" && c.students_assigned == 0);
    let a = plain.next().unwrap().clone();
    let b = plain.next().unwrap().clone();
    let by_email = claims
        .iter()
        .find(|c| {
            c.status.as_str() == "active"
                && c.students_assigned == 0
                && c.user_email != a.user_email
                && c.user_email != b.user_email
        })
        .unwrap()
        .clone();
    let text = format!(
        "# ticket 4711\n{}\n{}\n\n{}\n{}\n{}\nnobody@nowhere.example.org\nnot-a-seat\n",
        teacher.id, a.id, by_email.user_email, b.id, a.id
    );
    (text, teacher.id, by_email)
}

#[test]
fn a_dry_run_predicts_the_real_revocation_item_by_item() {
    let server = Server::start();
    let (text, teacher_seat, by_email) = ticket(&server);
    let file = server.path("ticket.txt");
    write(&file, &text);
    let file = file.to_str().unwrap();

    let before = snapshot(&server);
    let (dry, dry_err) = run(
        server
            .cmd()
            .args(["revoke", "--dry-run", "-o", "json", file]),
        3,
    );
    assert!(dry_err.contains("nothing changed"), "{dry_err}");
    assert_eq!(snapshot(&server), before, "a dry run changes nothing");

    let (real, _) = run(
        server.cmd().args(["revoke", "--yes", "-o", "json", file]),
        3,
    );
    let (dry, real) = (json(&dry), json(&real));
    assert_eq!(dry["dry_run"], true);
    assert_eq!(real["dry_run"], false);
    assert_eq!(
        dry["results"], real["results"],
        "the dry run predicted the real run"
    );
    assert_eq!(dry["done"], real["done"]);

    let results = real["results"].as_array().unwrap();
    let by_input = |input: &str| -> Vec<&serde_json::Value> {
        results.iter().filter(|r| r["input"] == input).collect()
    };
    // The teacher still has students: refused, with the teacher named.
    let teacher = &by_input(&teacher_seat.to_string())[0];
    assert_eq!(teacher["outcome"], "refused");
    let reason = teacher["reason"].as_str().unwrap();
    assert!(reason.contains("students assigned"), "{reason}");
    // The email resolved to every live seat its user holds.
    let email_rows = by_input(&by_email.user_email);
    assert!(email_rows.iter().any(|r| r["seat_id"] == by_email.id));
    assert!(email_rows.iter().all(|r| r["outcome"] == "done"));
    // The repeat, the unknown email and the junk line are refused per item.
    let repeats: Vec<_> = results
        .iter()
        .filter(|r| {
            r["reason"]
                .as_str()
                .is_some_and(|t| t.contains("more than once"))
        })
        .collect();
    assert_eq!(repeats.len(), 1);
    assert_eq!(
        by_input("nobody@nowhere.example.org")[0]["outcome"],
        "refused"
    );
    assert_eq!(
        by_input("not-a-seat")[0]["seat_id"],
        serde_json::Value::Null
    );
    assert_eq!(real["done"], 2 + email_rows.len());

    // The server agrees: done seats are revoked, the teacher's is not.
    let after = all_claims(&server);
    for row in results.iter().filter(|r| r["outcome"] == "done") {
        let seat = after.iter().find(|c| row["seat_id"] == c.id).unwrap();
        assert_eq!(seat.status.as_str(), "revoked", "{row}");
    }
    let teacher_now = after.iter().find(|c| c.id == teacher_seat).unwrap();
    assert_ne!(teacher_now.status.as_str(), "revoked");

    // Restore from the revoke report: the same dry-run guarantee.
    let report = server.path("revoked.json");
    write(&report, &real.to_string());
    let report = report.to_str().unwrap();
    let before = snapshot(&server);
    let (dry, _) = run(
        server
            .cmd()
            .args(["restore", "--dry-run", "-o", "json", report]),
        0,
    );
    assert_eq!(snapshot(&server), before);
    let (real_restore, err) = run(
        server.cmd().args(["restore", "-y", "-o", "json", report]),
        0,
    );
    assert!(err.contains("restored"), "{err}");
    let (dry, real_restore) = (json(&dry), json(&real_restore));
    assert_eq!(dry["results"], real_restore["results"]);
    assert_eq!(real_restore["done"], real["done"]);
    // Restoring again is refused item by item: they are no longer revoked.
    let (again, _) = run(server.cmd().args(["restore", "-y", "-o", "csv", report]), 3);
    let (header, rows) = helpers::csv_rows(&again);
    assert_eq!(header, ["input", "seat_id", "outcome", "reason"]);
    assert!(
        rows.iter()
            .all(|r| r[2] == "refused" && r[3].contains("not revoked")),
        "{again}"
    );
}

#[test]
fn confirmation_is_required_without_a_terminal() {
    let server = Server::start();
    let claims = all_claims(&server);
    let seat = claims
        .iter()
        .find(|c| c.status.as_str() == "active" && c.students_assigned == 0)
        .unwrap();
    let before = snapshot(&server);
    // Ids on stdin cannot also answer a prompt: usage error, nothing done.
    let (out, err) = run(
        server
            .cmd()
            .args(["revoke", "-"])
            .write_stdin(format!("{}\n", seat.id)),
        2,
    );
    assert!(out.is_empty());
    assert!(err.contains("--yes") && err.contains("1 seat"), "{err}");
    // A file with stdin not a terminal: the same.
    let file = server.path("one.txt");
    write(&file, &format!("{}\n", seat.id));
    run(
        server
            .cmd()
            .args(["revoke", file.to_str().unwrap()])
            .write_stdin(""),
        2,
    );
    assert_eq!(snapshot(&server), before);
    // No items at all is a usage error too.
    let empty = server.path("empty.txt");
    write(&empty, "# nothing\n\n");
    let (_, err) = run(
        server.cmd().args(["revoke", "-y", empty.to_str().unwrap()]),
        2,
    );
    assert!(err.contains("no items"), "{err}");
    // With --yes and an email narrowed to a license, it goes through.
    let license = seat.license_id.to_string();
    let (out, _) = run(
        server
            .cmd()
            .args([
                "revoke",
                "-y",
                "--license",
                &license,
                "--column",
                "Email",
                "-",
            ])
            .write_stdin(format!(
                "Name,Email\n\"{}\",{}\n",
                seat.user_name, seat.user_email
            )),
        0,
    );
    assert!(
        out.contains(&seat.id.to_string()) && out.contains("done"),
        "{out}"
    );
}

#[test]
fn read_only_profiles_and_reporter_tokens_cannot_revoke() {
    let server = Server::start();
    let seat = all_claims(&server)
        .into_iter()
        .find(|c| c.status.as_str() == "active" && c.students_assigned == 0)
        .unwrap();
    let file = server.path("one.txt");
    write(&file, &format!("{}\n", seat.id));
    let file = file.to_str().unwrap();
    // A read-only profile from config.toml (no SEATDESK_URL / TOKEN).
    write(
        &server.config_dir().join("config.toml"),
        &format!(
            "default_profile = \"ro\"\n[profiles.ro]\nurl = \"{}\"\ntoken = \"{}\"\nreadonly = true\n",
            server.url, server.token
        ),
    );
    let (_, err) = run(server.cmd_without_env().args(["revoke", "-y", file]), 4);
    assert!(err.contains("read-only"), "{err}");
    // Reads and dry runs are fine through it.
    run(
        server.cmd_without_env().args(["revoke", "--dry-run", file]),
        0,
    );
    run(
        server.cmd_without_env().args(["licenses", "--limit", "1"]),
        0,
    );
    // A profile that does not exist is a usage error naming the others.
    let (_, err) = run(
        server
            .cmd_without_env()
            .args(["claims", "--profile", "nope"]),
        2,
    );
    assert!(err.contains("nope") && err.contains("ro"), "{err}");
    // A reporter token reads but may not revoke: 403, exit 4 (no profile
    // now, so the environment alone says which server and token).
    std::fs::remove_file(server.config_dir().join("config.toml")).unwrap();
    let reporter = server.token(Role::Reporter);
    run(
        server
            .cmd_with_token(&reporter)
            .args(["claims", "--limit", "1"]),
        0,
    );
    let (_, err) = run(
        server
            .cmd_with_token(&reporter)
            .args(["revoke", "-y", file]),
        4,
    );
    assert!(err.contains("403"), "{err}");
    assert_eq!(
        all_claims(&server)
            .iter()
            .find(|c| c.id == seat.id)
            .unwrap()
            .status
            .as_str(),
        "active"
    );
}

/// `seatdesk revoke FILE` on a terminal, without --yes, as a person runs it
/// under tmux: the prompt names the count and the refusals; `n` changes
/// nothing, `y` revokes (the seat with students still refused).
#[test]
fn the_revoke_prompt_on_a_terminal_takes_no_for_an_answer() {
    if !Tmux::available() {
        eprintln!("tmux is not installed; skipping the revoke prompt test");
        return;
    }
    let server = Server::start();
    let claims = all_claims(&server);
    let seat = claims
        .iter()
        .find(|c| c.status.as_str() == "active" && c.students_assigned == 0)
        .unwrap()
        .clone();
    let teacher = claims
        .iter()
        .find(|c| c.status.as_str() == "active" && c.students_assigned > 0)
        .unwrap()
        .clone();
    let file = server.path("ticket.txt");
    write(&file, &format!("{}\n{}\n", seat.id, teacher.id));
    let status = |id: i64| -> String {
        let claim = all_claims(&server).into_iter().find(|c| c.id == id);
        claim
            .expect("the seat is listed")
            .status
            .as_str()
            .to_string()
    };
    // The shell line the terminal runs; the exit status is printed after it.
    let command = format!(
        "env SEATDESK_URL={} SEATDESK_TOKEN={} SEATDESK_CONFIG_DIR={} SEATDESK_CACHE_DIR={} \
         NO_COLOR=1 {BIN} revoke {}; echo \"exit status $?\"; sleep 600",
        server.url,
        server.token,
        server.config_dir().display(),
        server.path("cache").display(),
        file.display()
    );
    let before = snapshot(&server);

    let tmux = Tmux::start("revoke-no", 150, 20, &command);
    let prompt = tmux.wait_for("[y/N]");
    assert!(
        prompt.contains("Revoke 2 seats? (1 would be refused"),
        "{prompt}"
    );
    tmux.send(&["n", "Enter"]);
    let screen = tmux.wait_for("exit status");
    assert!(screen.contains("exit status 2"), "{screen}");
    assert!(
        screen.contains("cancelled: no seat was revoked"),
        "{screen}"
    );
    drop(tmux);
    assert_eq!(snapshot(&server), before, "answering n changed nothing");

    let tmux = Tmux::start("revoke-yes", 150, 20, &command);
    tmux.wait_for("[y/N]");
    tmux.send(&["y", "Enter"]);
    let screen = tmux.wait_for("exit status");
    assert!(screen.contains("exit status 3"), "some refused: {screen}");
    assert_eq!(status(seat.id), "revoked");
    assert_eq!(status(teacher.id), "active", "a seat with students stays");
}
