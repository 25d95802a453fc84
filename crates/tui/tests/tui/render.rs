//! Snapshot tests of every pane and dialog at 80×24 (SSH) and 160×48.

use seatdesk_core::Role;
use seatdesk_tui::action::{Action, BulkAction, SearchAction, SyncAction};
use seatdesk_tui::app::{App, Pane};
use seatdesk_tui::keymap::{Command, KeyMap};

use crate::helpers::{self, app, app_with, run, screen};

const SIZES: [(u16, u16); 3] = [(40, 12), (80, 24), (200, 50)];

fn each_size(name: &str, setup: impl Fn(&mut App)) {
    for size in SIZES {
        let mut app = app(size);
        setup(&mut app);
        insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), screen(&app));
    }
}

fn go(app: &mut App, pane: Pane) {
    run(app, Action::Run(Command::GoPane(pane.index())));
}

#[test]
fn dashboard() {
    each_size("dashboard", |_| {});
}

#[test]
fn dashboard_grace_product_selected() {
    each_size("dashboard_grace", |app| {
        run(app, Action::Run(Command::Bottom));
    });
}

#[test]
fn claims() {
    each_size("claims", |app| go(app, Pane::Claims));
}

#[test]
fn claims_filtered_pending_only_sorted_by_claim() {
    each_size("claims_filtered", |app| {
        go(app, Pane::Claims);
        run(app, Action::Run(Command::ToggleActive));
        run(app, Action::Run(Command::ToggleExpired));
        run(app, Action::Run(Command::ToggleRevoked));
        run(app, Action::Run(Command::CycleSort));
    });
}

#[test]
fn claims_first_screen_while_searching() {
    each_size("claims_searching", |app| {
        go(app, Pane::Claims);
        run(app, Action::Run(Command::Filter));
        for c in "ada".chars() {
            run(app, Action::Text(key(c)));
        }
        let job = seatdesk_tui::model::search_job(app, true);
        let all = job.run(|| false, |_| {}).expect("not stale");
        let generation = app.claims_view.generation;
        run(
            app,
            Action::Search(SearchAction::FirstScreen {
                generation,
                indices: all[..3].to_vec(),
                found: 3,
            }),
        );
    });
}

#[test]
fn teachers_with_marks_hidden_by_filter() {
    each_size("teachers", |app| {
        go(app, Pane::Teachers);
        run(app, Action::Run(Command::Mark));
        run(app, Action::Run(Command::Mark));
        run(app, Action::Run(Command::Filter));
        for c in "ada".chars() {
            run(app, Action::Text(key(c)));
        }
        run(app, Action::Submit);
    });
}

#[test]
fn audit() {
    each_size("audit", |app| go(app, Pane::Audit));
}

#[test]
fn confirm_revoke_with_refusals() {
    each_size("confirm", |app| {
        go(app, Pane::Teachers);
        for _ in 0..4 {
            run(app, Action::Run(Command::Mark));
        }
        run(app, Action::Run(Command::Revoke));
        helpers::dry_run_answers(app);
    });
}

#[test]
fn confirm_revoke_while_the_dry_run_runs() {
    each_size("confirm_checking", |app| {
        go(app, Pane::Teachers);
        run(app, Action::Run(Command::Mark));
        run(app, Action::Run(Command::Revoke));
    });
}

#[test]
fn confirm_large_revoke_asks_for_the_word() {
    each_size("confirm_large", |app| {
        // 60 extra teacher seats on license 1 so more than 50 will be revoked.
        let mut snapshot = helpers::snapshot();
        let template = snapshot.claims[0].clone();
        for id in 200..260 {
            let mut c = template.clone();
            c.id = id;
            c.user_email = format!("extra{id}@lincoln.k12.test");
            snapshot.claims.push(c);
        }
        run(app, Action::Sync(SyncAction::Loaded(Box::new(snapshot))));
        go(app, Pane::Teachers);
        run(app, Action::Run(Command::MarkAll));
        run(app, Action::Run(Command::Revoke));
        helpers::dry_run_answers(app);
        for c in "REV".chars() {
            run(app, Action::Text(key(c)));
        }
    });
}

#[test]
fn progress_and_summary() {
    each_size("progress", |app| {
        go(app, Pane::Teachers);
        for _ in 0..4 {
            run(app, Action::Run(Command::Mark));
        }
        run(app, Action::Run(Command::Revoke));
        helpers::dry_run_answers(app);
        run(app, Action::Submit);
    });
    each_size("summary", |app| {
        go(app, Pane::Teachers);
        for _ in 0..4 {
            run(app, Action::Run(Command::Mark));
        }
        run(app, Action::Run(Command::Revoke));
        helpers::dry_run_answers(app);
        let ids: Vec<i64> = app.teachers.marks.iter().copied().collect();
        run(app, Action::Submit);
        run(
            app,
            Action::Bulk(BulkAction::RevokeChunk(Ok(support_result(&ids)))),
        );
        run(app, Action::Bulk(BulkAction::RevokeFinished));
    });
}

/// The server's answer for `ids`: the one with students refused.
fn support_result(ids: &[i64]) -> seatdesk_core::api::BulkResult {
    use seatdesk_core::api::{BulkResult, ItemOutcome, ItemResult};
    BulkResult::from_results(
        ids.iter()
            .map(|&id| {
                if id % 7 == 3 {
                    ItemResult { id, outcome: ItemOutcome::Refused, reason: Some(format!("teacher of seat {id} has students assigned; the teacher must remove them first")) }
                } else {
                    ItemResult { id, outcome: ItemOutcome::Done, reason: None }
                }
            })
            .collect(),
    )
}

#[test]
fn help_overlay() {
    each_size("help", |app| {
        run(app, Action::Run(Command::Help));
    });
}

#[test]
fn help_overlay_readonly_reporter_with_rebound_revoke() {
    for size in SIZES {
        let keys = [("revoke".to_string(), "X".to_string())]
            .into_iter()
            .collect();
        let mut app = app_with(
            size,
            true,
            Role::Reporter,
            KeyMap::with_overrides(&keys).unwrap(),
        );
        run(&mut app, Action::Run(Command::GoPane(2)));
        run(&mut app, Action::Run(Command::Help));
        run(&mut app, Action::Run(Command::Down));
        run(&mut app, Action::Run(Command::Down));
        let text = screen(&app);
        insta::assert_snapshot!(format!("help_readonly_{}x{}", size.0, size.1), text);
    }
}

#[test]
fn stale_banner_when_offline() {
    each_size("offline", |app| {
        run(
            app,
            Action::Sync(SyncAction::Failed {
                error: "cannot reach the server at http://127.0.0.1:8700: connection refused"
                    .into(),
                offline: true,
            }),
        );
    });
}

fn key(c: char) -> crossterm::event::KeyEvent {
    crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char(c))
}

#[test]
fn help_is_searchable() {
    let mut app = app((80, 24));
    run(&mut app, Action::Run(Command::Help));
    let slash = seatdesk_tui::update::map_key(&app, key('/')).unwrap();
    run(&mut app, slash);
    for c in "revoke".chars() {
        let action = seatdesk_tui::update::map_key(&app, key(c)).unwrap();
        run(&mut app, action);
    }
    let text = screen(&app);
    assert!(text.contains("revoke the marked seats"), "{text}");
    assert!(!text.contains("next pane"), "{text}");
    insta::assert_snapshot!("help_search_80x24", text);
    // Esc clears the search, a second Esc closes the help.
    let esc = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Esc);
    let action = seatdesk_tui::update::map_key(&app, esc).unwrap();
    run(&mut app, action);
    assert!(app.help_query.is_empty() && app.help.is_some());
    let action = seatdesk_tui::update::map_key(&app, esc).unwrap();
    run(&mut app, action);
    assert!(app.help.is_none());
}
