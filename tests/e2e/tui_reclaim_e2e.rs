//! The Reclaim view in a real terminal (tmux, 80×24) over the demo data:
//! the Dashboard says how many seats the policies could reclaim (the
//! server's summary), `F` lists the policy with its count, Enter previews
//! its dry run, `D` confirms it through the revocation dialog (typing the
//! count when large) and the server then holds exactly the previewed seats
//! revoked. Skipped with a note when tmux is not installed.

use seatdesk_client::new_idempotency_key;
use seatdesk_core::SeatStatus;
use seatdesk_core::api::reclaim::{NewReclaimPolicy, ReclaimRule, SummaryQuery};
use seatdesk_core::api::seats::ClaimQuery;

use crate::helpers::tmux::Tmux;
use crate::helpers::{BIN, Server};

#[test]
fn preview_and_run_a_policy_from_the_reclaim_view() {
    if !Tmux::available() {
        eprintln!("tmux is not installed; skipping the reclaim view test");
        return;
    }
    let server = Server::start();
    let api = server.api();
    let policy = server
        .block_on(api.create_reclaim_policy(
            &NewReclaimPolicy {
                name: "stale pending".into(),
                org_id: server.root_org,
                product_id: None,
                license_id: None,
                rule: ReclaimRule::PendingOverDays,
                days: Some(7),
                interval_minutes: None,
                paused: false,
            },
            &new_idempotency_key(),
        ))
        .expect("a policy");
    let preview = server.block_on(api.reclaim_dry_run(policy.id)).unwrap();
    let freed: Vec<i64> = preview.freed.iter().map(|c| c.seat_id).collect();
    assert!(
        !freed.is_empty(),
        "the demo data has week-old pending seats"
    );
    let summary = server
        .block_on(api.reclaim_summary(&SummaryQuery::default()))
        .unwrap();

    let command = format!(
        "env SEATDESK_URL={} SEATDESK_TOKEN={} SEATDESK_CONFIG_DIR={} SEATDESK_CACHE_DIR={} \
         NO_COLOR=1 {BIN} tui",
        server.url,
        server.token,
        server.config_dir().display(),
        server.path("cache").display(),
    );
    let tmux = Tmux::start("reclaim-view", 80, 24, &command);
    let dashboard = tmux.wait_for("could be reclaimed by your policies");
    assert!(
        dashboard.contains(&format!(
            "{} seats could be reclaimed by your policies",
            summary.reclaimable
        )),
        "{dashboard}"
    );
    tmux.send(&["F"]);
    // The demo's own policies come first (by id); ours is the last row.
    let listed = summary.policies.len();
    let view = tmux.wait_for(&format!("Reclaim policies ({listed})"));
    let row = view
        .lines()
        .find(|l| l.contains("stale pending") && l.contains("pending 7d"))
        .unwrap_or_else(|| panic!("no policy row:\n{view}"));
    let ours = summary
        .policies
        .iter()
        .find(|p| p.policy_id == policy.id)
        .expect("our policy in the summary");
    assert!(
        row.split_whitespace()
            .any(|cell| cell == ours.candidates.to_string()),
        "the candidate count is on the row: {row}"
    );
    tmux.send(&["G", "Enter"]);
    let shown = tmux.wait_for("would be freed");
    assert!(
        shown.contains(&format!(
            "{} would be freed, {} refused",
            freed.len(),
            preview.refused.len()
        )),
        "{shown}"
    );
    assert!(shown.contains(&freed[0].to_string()), "{shown}");
    tmux.send(&["D"]);
    tmux.wait_for("Confirm reclaim run");
    let confirm = tmux.wait_for("will be revoked");
    assert!(
        confirm.contains(&format!("{} will be revoked", freed.len())),
        "{confirm}"
    );
    let matched = freed.len() + preview.refused.len();
    eprintln!("reclaiming {} seats ({matched} matched)", freed.len());
    if confirm.contains("Type ") {
        assert!(freed.len() > 50, "only large runs ask for the count");
        assert!(
            confirm.contains(&format!("Type {matched} (the number of seats)")),
            "{confirm}"
        );
        tmux.send(&["-l", &matched.to_string()]);
        tmux.send(&["Enter"]);
    } else {
        tmux.send(&["y"]);
    }
    let done = tmux.wait_for(&format!("reclaimed {} seats", freed.len()));
    assert!(
        done.contains(&format!(
            "{} done, {} failed",
            freed.len(),
            preview.refused.len()
        )),
        "{done}"
    );
    let revoked = server.claims(ClaimQuery {
        status: Some("revoked".into()),
        ..ClaimQuery::default()
    });
    for seat in &freed {
        assert!(
            revoked
                .iter()
                .any(|c| c.id == *seat && c.status == SeatStatus::Revoked),
            "seat {seat} was reclaimed"
        );
    }
    let after = server.block_on(api.reclaim_dry_run(policy.id)).unwrap();
    assert!(after.freed.is_empty(), "nothing left to free");
    tmux.send(&["Enter", "q"]);
}
