//! The Reclaim view and the Dashboard's reclaim line, driven by actions:
//! opening it (key and palette), the preview, a run through the revocation
//! confirmation (typed count when large, refusals, summary, undo), pause
//! and resume, what a role or an offline server disables, and snapshots at
//! 80×24 (SSH) and larger.

use chrono::Duration;
use crossterm::event::{KeyCode, KeyEvent};
use seatdesk_core::api::reclaim::{
    PolicyCandidates, ReclaimCandidate, ReclaimPolicy, ReclaimReport, ReclaimRule, ReclaimRun,
    ReclaimSummary, RunTrigger, SummaryQuery,
};
use seatdesk_core::api::{ItemOutcome, ItemResult};
use seatdesk_core::{Role, SeatStatus};
use seatdesk_tui::action::{Action, ReclaimAction, SyncAction};
use seatdesk_tui::app::{App, Dialog, Effect, Pane, ReclaimEffect, ReclaimScreen};
use seatdesk_tui::keymap::{Command, Key, KeyMap};
use seatdesk_tui::update::{map_key, reclaim_summary_query};

use crate::helpers::{self, app, app_with, assert_message, cmd, key, now, run, screen, type_text};

fn policy(
    id: i64,
    name: &str,
    rule: ReclaimRule,
    days: Option<i64>,
    paused: bool,
) -> ReclaimPolicy {
    ReclaimPolicy {
        id,
        name: name.into(),
        org_id: 5,
        product_id: (id == 2).then_some(7),
        license_id: None,
        rule,
        days,
        interval_minutes: 24 * 60,
        paused,
        created_at: now() - Duration::days(40),
        created_by: "district-admin".into(),
        last_run_at: (id == 1).then(|| now() - Duration::hours(5)),
        next_run_at: (!paused).then(|| now() + Duration::hours(19)),
        seats_freed: if id == 1 { 57 } else { 0 },
    }
}

fn policies() -> Vec<ReclaimPolicy> {
    vec![
        policy(
            1,
            "stale pending claims",
            ReclaimRule::PendingOverDays,
            Some(30),
            false,
        ),
        policy(
            2,
            "suspended teachers",
            ReclaimRule::SuspendedOverDays,
            Some(60),
            true,
        ),
        policy(3, "archived users", ReclaimRule::ArchivedUser, None, false),
    ]
}

fn summary(reclaimable: i64) -> ReclaimSummary {
    let counts = [(1, 12), (2, 4), (3, 0)];
    ReclaimSummary {
        reclaimable,
        policies: policies()
            .iter()
            .zip(counts)
            .map(|(p, (_, n))| PolicyCandidates {
                policy_id: p.id,
                name: p.name.clone(),
                paused: p.paused,
                candidates: n,
            })
            .collect(),
    }
}

fn candidate(seat_id: i64) -> ReclaimCandidate {
    let since = now() - Duration::days(30 + seat_id % 40);
    ReclaimCandidate {
        seat_id,
        license_id: 1,
        order_number: "ORD-1001".into(),
        product_sku: "SKU-7".into(),
        user_id: 1000 + seat_id,
        user_name: format!("User {seat_id}"),
        user_email: format!("user{seat_id}@lincoln.k12.test"),
        status: SeatStatus::Pending,
        since,
        reason: format!(
            "pending for {} days (assigned {})",
            (now() - since).num_days(),
            since.date_naive()
        ),
    }
}

/// A dry run (or run) of policy 1 freeing `freed` seats and refusing `refused`.
fn report(freed: i64, refused: i64, dry_run: bool) -> ReclaimReport {
    ReclaimReport {
        policy_id: 1,
        run_id: (!dry_run).then_some(9),
        dry_run,
        as_of: now(),
        freed: (0..freed).map(|i| candidate(100 + i)).collect(),
        refused: (0..refused)
            .map(|i| ItemResult {
                id: 900 + i,
                outcome: ItemOutcome::Refused,
                reason: Some(format!(
                    "Dev Okafor <user{}@lincoln.k12.test> has 3 students assigned on this student-edition seat",
                    900 + i
                )),
            })
            .collect(),
        remaining: if freed > 50 { 40 } else { 0 },
    }
}

fn reclaim_effects(effects: &[Effect]) -> Vec<ReclaimEffect> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Reclaim(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

/// The view open with the server's policies and summary in.
fn opened(app: &mut App) {
    let effects = cmd(app, Command::Reclaim);
    assert_eq!(reclaim_effects(&effects), [ReclaimEffect::LoadPolicies]);
    run(
        app,
        Action::Reclaim(ReclaimAction::Loaded(Ok((policies(), false, summary(14))))),
    );
}

fn previewed(app: &mut App, answer: ReclaimReport) {
    let effects = cmd(app, Command::ReclaimPreview);
    assert_eq!(
        reclaim_effects(&effects),
        [ReclaimEffect::DryRun {
            policy_id: 1,
            check: false
        }]
    );
    run(
        app,
        Action::Reclaim(ReclaimAction::Previewed {
            policy_id: 1,
            result: Ok(answer),
        }),
    );
}

/// `D` on policy 1, answered by its dry run.
fn confirming(app: &mut App, answer: ReclaimReport) {
    let effects = cmd(app, Command::ReclaimRun);
    assert_eq!(
        reclaim_effects(&effects),
        [ReclaimEffect::DryRun {
            policy_id: 1,
            check: true
        }]
    );
    assert!(matches!(
        app.dialog,
        Some(Dialog::ConfirmRevoke { checking: true, .. })
    ));
    run(
        app,
        Action::Reclaim(ReclaimAction::Checked {
            policy_id: 1,
            result: Ok(answer),
        }),
    );
}

#[test]
fn the_key_and_the_palette_open_the_view_and_esc_returns_to_the_pane() {
    let mut app = app((80, 24));
    cmd(&mut app, Command::GoPane(Pane::Claims.index()));
    // F, in every pane: no pane binds it to anything else.
    for pane in Pane::ALL {
        assert_eq!(
            app.keymap.lookup(Key::parse("F").unwrap(), pane),
            Some(Command::Reclaim),
            "{pane:?}"
        );
    }
    let action = map_key(&app, KeyEvent::from(KeyCode::Char('F')));
    assert!(matches!(action, Some(Action::Run(Command::Reclaim))));
    opened(&mut app);
    assert_eq!(app.pane, Pane::Reclaim);
    assert_eq!(app.reclaim.policies.len(), 3);
    assert_eq!(app.reclaim.candidates(1), Some(12));
    // Inside the view its own keys apply.
    for (text, command) in [
        ("enter", Command::ReclaimPreview),
        ("D", Command::ReclaimRun),
        ("p", Command::ReclaimPause),
        ("h", Command::ReclaimHistory),
    ] {
        let key = Key::parse(text).unwrap();
        assert_eq!(app.keymap.lookup(key, Pane::Reclaim), Some(command));
    }
    // Esc goes back where it came from; opening again reloads nothing.
    cmd(&mut app, Command::Back);
    assert_eq!(app.pane, Pane::Claims);
    cmd(&mut app, Command::Palette);
    type_text(&mut app, "reclaim");
    let effects = run(&mut app, Action::Submit);
    assert_eq!(app.pane, Pane::Reclaim);
    assert!(reclaim_effects(&effects).is_empty(), "{effects:?}");
    // r asks again.
    let effects = cmd(&mut app, Command::Refresh);
    assert!(reclaim_effects(&effects).contains(&ReclaimEffect::LoadPolicies));
    assert!(effects.iter().any(|e| matches!(e, Effect::Sync)));
}

#[test]
fn the_preview_lists_the_seats_and_reasons_and_drops_another_policys_answer() {
    let mut app = app((80, 24));
    opened(&mut app);
    previewed(&mut app, report(3, 1, true));
    assert_eq!(app.reclaim.screen, ReclaimScreen::Preview);
    let text = screen(&app);
    assert!(text.contains("3 would be freed, 1 refused"), "{text}");
    assert!(text.contains("pending for"), "{text}");
    assert!(text.contains("REFUSED"), "{text}");
    // The cursor walks freed and refused rows alike.
    cmd(&mut app, Command::Bottom);
    assert_eq!(app.reclaim.preview.list.cursor, 3);
    // An answer for a policy no longer shown changes nothing.
    run(
        &mut app,
        Action::Reclaim(ReclaimAction::Previewed {
            policy_id: 3,
            result: Ok(report(0, 0, true)),
        }),
    );
    assert_eq!(app.reclaim.preview.data.as_ref().unwrap().freed.len(), 3);
    // A failed dry run says why in the view.
    cmd(&mut app, Command::Refresh);
    run(
        &mut app,
        Action::Reclaim(ReclaimAction::Previewed {
            policy_id: 1,
            result: Err("HTTP 404: no reclaim policy 1".into()),
        }),
    );
    assert!(screen(&app).contains("no reclaim policy 1"));
    // Esc: back to the list, then out of the view.
    cmd(&mut app, Command::Back);
    assert_eq!(app.reclaim.screen, ReclaimScreen::Policies);
    cmd(&mut app, Command::Back);
    assert_eq!(app.pane, Pane::Dashboard);
}

#[test]
fn a_large_run_asks_for_the_typed_count_and_reports_freed_and_refused() {
    let mut app = app((80, 24));
    opened(&mut app);
    confirming(&mut app, report(60, 2, true));
    let Some(Dialog::ConfirmRevoke {
        ids,
        refusals,
        needs_word,
        policy: Some(target),
        ..
    }) = app.dialog.clone()
    else {
        panic!("{:?}", app.dialog)
    };
    assert!(
        needs_word,
        "60 seats is over the typed-confirmation threshold"
    );
    assert_eq!(ids.len(), 62, "the matched seats, refused ones included");
    assert_eq!(refusals.len(), 2);
    assert_eq!(target.remaining, 40);
    let text = screen(&app);
    assert!(
        text.contains("Run reclaim policy 'stale pending claims' now?"),
        "{text}"
    );
    assert!(text.contains("60 will be revoked"), "{text}");
    assert!(text.contains("40 more match"), "{text}");
    // Keys go to the prompt; a wrong count sends nothing.
    assert!(matches!(
        map_key(&app, KeyEvent::from(KeyCode::Char('q'))),
        Some(Action::Text(_))
    ));
    type_text(&mut app, "60");
    assert!(run(&mut app, Action::Submit).is_empty());
    assert_message(&app, "type 62 (the number of seats)");
    for _ in 0..2 {
        key(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "62");
    let effects = run(&mut app, Action::Submit);
    assert_eq!(
        reclaim_effects(&effects),
        [ReclaimEffect::Run { policy_id: 1 }]
    );
    assert!(matches!(
        app.dialog,
        Some(Dialog::Progress { total: 60, .. })
    ));
    assert!(app.busy());
    // The run answers: a summary with the refused, and undo restores.
    let effects = run(
        &mut app,
        Action::Reclaim(ReclaimAction::Ran {
            policy_id: 1,
            result: Ok(report(60, 2, false)),
        }),
    );
    let Some(Dialog::Summary {
        title,
        done,
        failures,
    }) = &app.dialog
    else {
        panic!("{:?}", app.dialog)
    };
    assert_eq!(*done, 60);
    assert_eq!(failures.len(), 2);
    assert!(failures[0].1.contains("students assigned"));
    assert!(
        title.contains("reclaimed 60 seats, 40 left for later runs"),
        "{title}"
    );
    let asked = reclaim_effects(&effects);
    assert!(asked.contains(&ReclaimEffect::LoadPolicies), "{asked:?}");
    assert!(
        asked
            .iter()
            .any(|e| matches!(e, ReclaimEffect::LoadSummary { .. })),
        "the dashboard line is asked again: {asked:?}"
    );
    assert!(effects.iter().any(|e| matches!(e, Effect::Sync)));
    assert!(!app.busy() || app.sync.in_flight);
    let effects = cmd(&mut app, Command::Undo);
    let [Effect::Restore { ids }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(ids.len(), 60);
    assert_eq!(ids[0], 100);
}

#[test]
fn a_small_run_confirms_with_y_and_an_empty_one_asks_nothing() {
    let mut app = app((80, 24));
    opened(&mut app);
    confirming(&mut app, report(3, 0, true));
    assert!(matches!(
        app.dialog,
        Some(Dialog::ConfirmRevoke {
            needs_word: false,
            ..
        })
    ));
    assert!(matches!(
        map_key(&app, KeyEvent::from(KeyCode::Char('y'))),
        Some(Action::Submit)
    ));
    let effects = run(&mut app, Action::Submit);
    assert_eq!(
        reclaim_effects(&effects),
        [ReclaimEffect::Run { policy_id: 1 }]
    );
    // A failed run closes the progress and says why.
    run(
        &mut app,
        Action::Reclaim(ReclaimAction::Ran {
            policy_id: 1,
            result: Err("HTTP 403: the helpdesk role may not revoke seats".into()),
        }),
    );
    assert!(app.dialog.is_none());
    assert_message(&app, "may not revoke seats");
    // Nothing to free: no question, the status line says so.
    confirming(&mut app, report(0, 2, true));
    assert!(app.dialog.is_none());
    assert_message(&app, "nothing to reclaim now (2 matching seats refused");
    // Esc cancels a confirmation before the server answered.
    cmd(&mut app, Command::ReclaimRun);
    cmd(&mut app, Command::Back);
    assert!(app.dialog.is_none());
    assert_message(&app, "nothing was changed");
}

#[test]
fn pause_and_resume_ask_the_server_and_show_its_answer() {
    let mut app = app((80, 24));
    opened(&mut app);
    let effects = cmd(&mut app, Command::ReclaimPause);
    assert_eq!(
        reclaim_effects(&effects),
        [ReclaimEffect::SetPaused {
            policy_id: 1,
            paused: true
        }]
    );
    // A second press while the first is in flight sends nothing.
    assert!(cmd(&mut app, Command::ReclaimPause).is_empty());
    assert_message(&app, "already being changed");
    let mut paused = policies().remove(0);
    paused.paused = true;
    paused.next_run_at = None;
    let effects = run(
        &mut app,
        Action::Reclaim(ReclaimAction::Toggled {
            policy_id: 1,
            result: Ok(paused),
        }),
    );
    assert!(app.reclaim.policies[0].paused);
    // The counts are the server's: asked again for the view and the Dashboard.
    let asked = reclaim_effects(&effects);
    assert!(asked.contains(&ReclaimEffect::LoadPolicies), "{asked:?}");
    assert!(
        asked.contains(&ReclaimEffect::LoadSummary {
            query: reclaim_summary_query(&app)
        }),
        "{asked:?}"
    );
    assert_message(&app, "paused: no scheduled runs until resumed");
    let effects = cmd(&mut app, Command::ReclaimPause);
    assert_eq!(
        reclaim_effects(&effects),
        [ReclaimEffect::SetPaused {
            policy_id: 1,
            paused: false
        }]
    );
}

#[test]
fn history_lists_the_runs_of_the_policy() {
    let mut app = app((80, 24));
    opened(&mut app);
    let effects = cmd(&mut app, Command::ReclaimHistory);
    assert_eq!(
        reclaim_effects(&effects),
        [ReclaimEffect::LoadRuns { policy_id: 1 }]
    );
    run(
        &mut app,
        Action::Reclaim(ReclaimAction::Runs {
            policy_id: 1,
            result: Ok(runs()),
        }),
    );
    assert_eq!(app.reclaim.screen, ReclaimScreen::History);
    let text = screen(&app);
    assert!(text.contains("2 runs shown, 57 seats freed"), "{text}");
    assert!(text.contains("schedule"), "{text}");
}

fn runs() -> Vec<ReclaimRun> {
    vec![
        ReclaimRun {
            id: 9,
            policy_id: 1,
            trigger: RunTrigger::Manual,
            actor: "district-admin".into(),
            started_at: now() - Duration::hours(5),
            freed: 45,
            refused: 2,
            remaining: 0,
        },
        ReclaimRun {
            id: 4,
            policy_id: 1,
            trigger: RunTrigger::Schedule,
            actor: "system".into(),
            started_at: now() - Duration::days(1),
            freed: 12,
            refused: 0,
            remaining: 0,
        },
    ]
}

#[test]
fn a_role_without_seat_rights_sees_the_policies_but_not_previews_runs_or_pauses() {
    let mut app = app_with((80, 24), false, Role::Reporter, KeyMap::default());
    opened(&mut app);
    assert!(cmd(&mut app, Command::ReclaimRun).is_empty());
    assert_message(
        &app,
        "disabled (the reporter role may not revoke or restore seats)",
    );
    assert!(cmd(&mut app, Command::ReclaimPause).is_empty());
    // The server answers a policy's dry run only to those who may run it.
    assert!(cmd(&mut app, Command::ReclaimPreview).is_empty());
    assert!(app.dialog.is_none());
    assert_eq!(app.reclaim.screen, ReclaimScreen::Policies);
    let text = screen(&app);
    assert!(
        text.contains("off: Enter, D, p - the reporter role"),
        "{text}"
    );
    // The history is a read: allowed.
    let effects = cmd(&mut app, Command::ReclaimHistory);
    assert_eq!(
        reclaim_effects(&effects),
        [ReclaimEffect::LoadRuns { policy_id: 1 }]
    );
}

#[test]
fn offline_the_view_says_so_instead_of_asking() {
    let mut app = app((80, 24));
    run(
        &mut app,
        Action::Sync(SyncAction::Failed {
            error: "cannot reach the server".into(),
            offline: true,
        }),
    );
    let effects = cmd(&mut app, Command::Reclaim);
    assert!(reclaim_effects(&effects).is_empty());
    assert_eq!(app.pane, Pane::Reclaim);
    assert!(app.reclaim.error.as_deref().unwrap().contains("offline"));
    assert!(cmd(&mut app, Command::ReclaimPreview).is_empty());
    assert_message(&app, "disabled (offline");
}

fn summary_answer(app: &mut App, query: SummaryQuery, answer: ReclaimSummary) {
    run(
        app,
        Action::Reclaim(ReclaimAction::Summary {
            query,
            result: Ok(answer),
        }),
    );
}

#[test]
fn the_dashboard_line_follows_the_dashboards_view_and_hides_without_policies() {
    let mut app = app((80, 24));
    // Loading the dashboard asks for the summary of the same view.
    let effects = cmd(&mut app, Command::Refresh);
    let query = reclaim_summary_query(&app);
    assert!(
        reclaim_effects(&effects).contains(&ReclaimEffect::LoadSummary {
            query: query.clone()
        }) || app.reclaim.dashboard_loading.as_ref() == Some(&query),
        "{effects:?}"
    );
    let line = "412 seats could be reclaimed by your policies";
    assert!(!screen(&app).contains("could be reclaimed"));
    summary_answer(&mut app, query.clone(), summary(412));
    assert!(screen(&app).contains(line), "{}", screen(&app));
    // No policies: no line.
    summary_answer(
        &mut app,
        query.clone(),
        ReclaimSummary {
            reclaimable: 0,
            policies: Vec::new(),
        },
    );
    assert!(!screen(&app).contains("could be reclaimed"));
    // Another account's view: asked for again, the old answer not shown.
    summary_answer(&mut app, query, summary(412));
    let effects = cmd(&mut app, Command::CycleAccount);
    let account = reclaim_summary_query(&app);
    assert_eq!(account.account_id, Some(3));
    assert!(
        reclaim_effects(&effects).contains(&ReclaimEffect::LoadSummary {
            query: account.clone()
        }),
        "{effects:?}"
    );
    assert!(!screen(&app).contains("could be reclaimed"));
    summary_answer(&mut app, account, summary(7));
    helpers::dashboard_arrives(&mut app);
    assert!(screen(&app).contains("7 seats could be reclaimed by your policies"));
}

const SIZES: [(u16, u16); 3] = [(40, 12), (80, 24), (160, 45)];

fn each_size(name: &str, setup: impl Fn(&mut App)) {
    for size in SIZES {
        let mut app = app(size);
        setup(&mut app);
        insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), screen(&app));
    }
}

#[test]
fn snapshot_policies() {
    each_size("reclaim_policies", opened);
}

#[test]
fn snapshot_preview() {
    each_size("reclaim_preview", |app| {
        opened(app);
        previewed(app, report(6, 1, true));
    });
}

#[test]
fn snapshot_history() {
    each_size("reclaim_history", |app| {
        opened(app);
        cmd(app, Command::ReclaimHistory);
        run(
            app,
            Action::Reclaim(ReclaimAction::Runs {
                policy_id: 1,
                result: Ok(runs()),
            }),
        );
    });
}

#[test]
fn snapshot_confirm_large_run() {
    each_size("reclaim_confirm_large", |app| {
        opened(app);
        confirming(app, report(60, 2, true));
        type_text(app, "6");
    });
}

#[test]
fn snapshot_no_policies_yet() {
    let mut app = app((80, 24));
    cmd(&mut app, Command::Reclaim);
    run(
        &mut app,
        Action::Reclaim(ReclaimAction::Loaded(Ok((
            Vec::new(),
            false,
            ReclaimSummary {
                reclaimable: 0,
                policies: Vec::new(),
            },
        )))),
    );
    insta::assert_snapshot!("reclaim_empty_80x24", screen(&app));
}

#[test]
fn snapshot_dashboard_line() {
    let mut app = app((80, 24));
    let query = reclaim_summary_query(&app);
    summary_answer(&mut app, query, summary(412));
    insta::assert_snapshot!("reclaim_dashboard_line_80x24", screen(&app));
}
