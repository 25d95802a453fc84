//! Update logic driven by actions: filters, marks, the revoke flow with
//! partial refusals, read-only and role gating, offline → online.

use chrono::Duration;
use crossterm::event::{KeyCode, KeyEvent};
use seatdesk_core::api::{BulkResult, ItemOutcome, ItemResult};
use seatdesk_core::{Role, SeatStatus};
use seatdesk_tui::action::{Action, BulkAction, SearchAction, SyncAction};
use seatdesk_tui::app::{App, Dialog, Effect, Pane};
use seatdesk_tui::keymap::{Command, Key, KeyMap};
use seatdesk_tui::model;
use seatdesk_tui::update::map_key;
use seatdesk_tui::view::banner_text;

use crate::helpers::{
    self, TEACHER_LICENSE, app, app_with, assert_message, cmd, now, run, screen, type_text,
};

fn shown_claims(app: &App) -> Vec<&seatdesk_client::ClaimRow> {
    app.claims_view
        .rows
        .iter()
        .map(|&i| &app.claims[i as usize])
        .collect()
}

#[test]
fn status_toggles_combine_and_product_filter_narrows() {
    let mut app = app((80, 24));
    cmd(&mut app, Command::GoPane(1));
    assert_eq!(app.claims_view.rows.len(), app.claims.len());
    cmd(&mut app, Command::ToggleExpired);
    cmd(&mut app, Command::ToggleRevoked);
    let shown = shown_claims(&app);
    assert!(!shown.is_empty());
    assert!(shown.iter().all(|c| c.status.consumes_seat()));
    let live = app
        .claims
        .iter()
        .filter(|c| c.status.consumes_seat())
        .count();
    assert_eq!(shown.len(), live);
    cmd(&mut app, Command::CycleProduct);
    let product = app.claims_view.product.unwrap();
    assert!(
        shown_claims(&app)
            .iter()
            .all(|c| c.product_id == product && c.status.consumes_seat())
    );
    // Sorted newest assignment first, then by claim date on `s`.
    let dates: Vec<_> = shown_claims(&app).iter().map(|c| c.assigned_at).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]));
    cmd(&mut app, Command::CycleSort);
    let dates: Vec<_> = shown_claims(&app).iter().map(|c| c.claimed_at).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]));
}

#[test]
fn fuzzy_search_runs_off_the_render_path_and_drops_stale_results() {
    let mut app = app((80, 24));
    cmd(&mut app, Command::GoPane(1));
    cmd(&mut app, Command::Filter);
    let effects = type_text(&mut app, "ada");
    let Some(Effect::Search { generation, job }) = effects.into_iter().next() else {
        panic!("typing asks for a background search");
    };
    let (query, claims) = (job.query.clone(), job.claims.clone());
    assert_eq!(query, "ada");
    assert!(app.claims_view.searching);
    // What the background task computes, in display order:
    let indices = job.run(|| false, |_| {}).unwrap();
    assert!(!indices.is_empty() && indices.len() < claims.len());
    let mut sorted = indices.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, model::fuzzy_match(&claims, &query));
    // A late answer to an older query is ignored.
    run(
        &mut app,
        Action::Search(SearchAction::Matched {
            generation: generation - 1,
            indices: vec![0],
        }),
    );
    assert!(app.claims_view.searching);
    run(
        &mut app,
        Action::Search(SearchAction::Matched {
            generation,
            indices: indices.clone(),
        }),
    );
    assert!(!app.claims_view.searching);
    // Ranked fzf-style: the rows holding "ada" as typed come first, each
    // group in display order.
    let ranks = model::ranks(&claims, "ada", &indices).unwrap();
    assert!(!ranks.is_empty() && ranks.len() < indices.len());
    assert_eq!(app.claims_view.rows, model::ranked(indices.clone(), &ranks));
    let first = &app.claims[app.claims_view.rows[0] as usize];
    assert!(
        first.user_name.to_lowercase().contains("ada")
            || first.user_email.to_lowercase().contains("ada"),
        "{first:?}"
    );
    assert!(
        shown_claims(&app)
            .iter()
            .all(|c| c.user_name.to_lowercase().contains('a'))
    );
    // Esc clears the search.
    cmd(&mut app, Command::Back);
    assert_eq!(app.claims_view.rows.len(), app.claims.len());
}

#[test]
fn marks_count_those_the_filter_hides_and_survive_refresh() {
    let mut app = app((80, 24));
    cmd(&mut app, Command::GoPane(2));
    assert_eq!(app.teachers.license, Some(TEACHER_LICENSE));
    let all = app.teachers.rows.len();
    assert!(all > 30);
    cmd(&mut app, Command::Mark); // row 0, cursor moves to 1
    cmd(&mut app, Command::Down);
    cmd(&mut app, Command::Down); // row 3
    cmd(&mut app, Command::MarkRange); // marks 0..=3
    assert_eq!(app.teachers.marks.len(), 4);
    cmd(&mut app, Command::Filter);
    type_text(&mut app, "okafor");
    run(&mut app, Action::Submit);
    let shown = app.teachers.rows.len();
    assert!(shown > 0 && shown < all);
    let visible_marked = app
        .teachers
        .rows
        .iter()
        .filter(|&&i| app.teachers.marks.contains(&app.claims[i as usize].id))
        .count();
    assert_eq!(model::hidden_marks(&app), 4 - visible_marked);
    cmd(&mut app, Command::MarkAll);
    assert_eq!(app.teachers.marks.len(), 4 - visible_marked + shown);
    let before = app.teachers.marks.clone();
    run(
        &mut app,
        Action::Sync(SyncAction::Loaded(Box::new(helpers::snapshot()))),
    );
    assert_eq!(app.teachers.marks, before, "marks survive a refresh");
    // Esc clears the filter first, then the marks.
    cmd(&mut app, Command::Back);
    assert_eq!(app.teachers.rows.len(), all);
    assert_eq!(model::hidden_marks(&app), 0);
    cmd(&mut app, Command::Back);
    assert!(app.teachers.marks.is_empty());
}

#[test]
fn revoke_confirms_names_refusals_then_reports_each_failure_and_undoes() {
    let mut app = app((80, 24));
    cmd(&mut app, Command::GoPane(2));
    for _ in 0..4 {
        cmd(&mut app, Command::Mark);
    }
    let marked: Vec<i64> = app.teachers.marks.iter().copied().collect();
    let with_students: Vec<i64> = marked
        .iter()
        .copied()
        .filter(|id| {
            app.claims
                .iter()
                .any(|c| c.id == *id && c.students_assigned > 0)
        })
        .collect();
    assert_eq!(
        with_students.len(),
        1,
        "fixture: one marked teacher has students"
    );
    let effects = cmd(&mut app, Command::Revoke);
    let [Effect::RevokeDryRun { chunks }] = effects.as_slice() else {
        panic!("D asks the server's dry run, and sends nothing else: {effects:?}")
    };
    assert_eq!(chunks, &vec![marked.clone()]);
    assert!(
        run(&mut app, Action::Submit).is_empty(),
        "nothing can be confirmed before the dry run answers"
    );
    assert_message(&app, "dry run");
    // The dialog shows the server's verdict, whatever the reason.
    let verdict = |id: i64| {
        if id == with_students[0] {
            ItemResult {
                id,
                outcome: ItemOutcome::Refused,
                reason: Some("Dev Moreno has 4 students assigned to a student-edition seat".into()),
            }
        } else {
            ItemResult {
                id,
                outcome: ItemOutcome::Done,
                reason: None,
            }
        }
    };
    run(
        &mut app,
        Action::Bulk(BulkAction::RevokeChecked(Ok(BulkResult::from_results(
            marked.iter().map(|&id| verdict(id)).collect(),
        )))),
    );
    let Some(Dialog::ConfirmRevoke {
        ids,
        refusals,
        needs_word,
        hidden,
        checking,
        ..
    }) = app.dialog.clone()
    else {
        panic!("D opens a confirmation");
    };
    assert!(!checking);
    assert_eq!(ids, marked);
    assert_eq!(hidden, 0);
    assert!(!needs_word);
    assert_eq!(refusals.len(), 1);
    assert_eq!(refusals[0].0, with_students[0]);
    assert!(
        refusals[0].1.contains("students assigned"),
        "{}",
        refusals[0].1
    );
    // Refresh pauses while the confirmation is open.
    assert!(run(&mut app, Action::Tick(now() + Duration::hours(1))).is_empty());

    let effects = run(&mut app, Action::Submit);
    let [Effect::Revoke { chunks }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(chunks, &vec![marked.clone()]);
    assert!(matches!(
        app.dialog,
        Some(Dialog::Progress {
            total: 4,
            answered: 0,
            ..
        })
    ));
    let answer = BulkResult::from_results(
        marked
            .iter()
            .map(|&id| {
                if id == with_students[0] {
                    ItemResult {
                        id,
                        outcome: ItemOutcome::Refused,
                        reason: Some("Dev Moreno has 4 students assigned".into()),
                    }
                } else {
                    ItemResult {
                        id,
                        outcome: ItemOutcome::Done,
                        reason: None,
                    }
                }
            })
            .collect(),
    );
    run(&mut app, Action::Bulk(BulkAction::RevokeChunk(Ok(answer))));
    assert!(matches!(
        app.dialog,
        Some(Dialog::Progress { answered: 4, .. })
    ));
    let effects = run(&mut app, Action::Bulk(BulkAction::RevokeFinished));
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Sync)),
        "a sync follows"
    );
    let Some(Dialog::Summary { done, failures, .. }) = app.dialog.clone() else {
        panic!("summary")
    };
    assert_eq!(done, 3);
    assert_eq!(
        failures,
        vec![(
            with_students[0],
            "Dev Moreno has 4 students assigned".to_string()
        )]
    );
    // The revoked seats leave the list at once; the refused one stays marked.
    assert_eq!(
        app.teachers.marks.iter().copied().collect::<Vec<_>>(),
        with_students
    );
    let revoked: Vec<i64> = marked
        .iter()
        .copied()
        .filter(|id| *id != with_students[0])
        .collect();
    assert!(
        app.claims
            .iter()
            .filter(|c| revoked.contains(&c.id))
            .all(|c| c.status == SeatStatus::Revoked)
    );
    assert_eq!(app.teachers.last_revoked, revoked);
    assert!(
        screen(&app).contains("u undoes this revocation"),
        "{}",
        screen(&app)
    );
    // The key the summary offers works in the summary itself.
    let undo = map_key(&app, KeyEvent::from(KeyCode::Char('u'))).expect("u is taken");
    let effects = run(&mut app, undo);
    assert!(matches!(effects.as_slice(), [Effect::Restore { ids }] if *ids == revoked));
    assert!(matches!(app.dialog, Some(Dialog::Progress { .. })));
}

#[test]
fn the_summary_closes_with_enter_and_undo_still_works_after() {
    let mut app = app((80, 24));
    cmd(&mut app, Command::GoPane(2));
    cmd(&mut app, Command::Mark);
    let marked: Vec<i64> = app.teachers.marks.iter().copied().collect();
    cmd(&mut app, Command::Revoke);
    let done = |id| ItemResult {
        id,
        outcome: ItemOutcome::Done,
        reason: None,
    };
    let all_done = || BulkResult::from_results(marked.iter().map(|&id| done(id)).collect());
    run(
        &mut app,
        Action::Bulk(BulkAction::RevokeChecked(Ok(all_done()))),
    );
    run(&mut app, Action::Submit);
    run(
        &mut app,
        Action::Bulk(BulkAction::RevokeChunk(Ok(all_done()))),
    );
    run(&mut app, Action::Bulk(BulkAction::RevokeFinished));
    run(&mut app, Action::Submit); // close the summary
    assert!(app.dialog.is_none());
    let effects = cmd(&mut app, Command::Undo);
    assert!(matches!(effects.as_slice(), [Effect::Restore { ids }] if *ids == marked));
}

#[test]
fn a_failed_dry_run_blocks_the_revocation() {
    let mut app = app((80, 24));
    cmd(&mut app, Command::GoPane(2));
    cmd(&mut app, Command::Mark);
    cmd(&mut app, Command::Revoke);
    run(
        &mut app,
        Action::Bulk(BulkAction::RevokeChecked(Err(
            "cannot reach the server".into()
        ))),
    );
    assert!(run(&mut app, Action::Submit).is_empty(), "nothing is sent");
    assert_message(&app, "without the server's dry run");
    assert!(screen(&app).contains("dry run failed"), "{}", screen(&app));
    cmd(&mut app, Command::Back);
    assert!(app.dialog.is_none());
}

#[test]
fn large_revocations_need_the_word_and_go_in_chunks() {
    let mut app = app((80, 24));
    let mut snapshot = helpers::snapshot();
    let template = snapshot.claims[0].clone();
    for id in 1000..2200 {
        let mut c = template.clone();
        c.id = id;
        snapshot.claims.push(c);
    }
    run(
        &mut app,
        Action::Sync(SyncAction::Loaded(Box::new(snapshot))),
    );
    cmd(&mut app, Command::GoPane(2));
    cmd(&mut app, Command::MarkAll);
    let marked = app.teachers.marks.len();
    assert!(marked > 1200);
    cmd(&mut app, Command::Revoke);
    helpers::dry_run_answers(&mut app);
    assert!(matches!(
        app.dialog,
        Some(Dialog::ConfirmRevoke {
            needs_word: true,
            ..
        })
    ));
    // Keys go to the prompt, not the key map (q does not quit).
    let key = |c| KeyEvent::from(KeyCode::Char(c));
    assert!(matches!(map_key(&app, key('q')), Some(Action::Text(_))));
    type_text(&mut app, "REVOK");
    assert!(
        run(&mut app, Action::Submit).is_empty(),
        "a wrong word sends nothing"
    );
    assert!(matches!(app.dialog, Some(Dialog::ConfirmRevoke { .. })));
    type_text(&mut app, "E");
    let effects = run(&mut app, Action::Submit);
    let [Effect::Revoke { chunks }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(chunks.len(), marked.div_ceil(500));
    assert!(chunks.iter().all(|c| c.len() <= 500));
    assert_eq!(chunks.iter().map(Vec::len).sum::<usize>(), marked);
    // A chunk lost to the network is reported per seat.
    run(
        &mut app,
        Action::Bulk(BulkAction::RevokeChunk(Err((
            chunks[0].clone(),
            "cannot reach the server".into(),
        )))),
    );
    run(&mut app, Action::Bulk(BulkAction::RevokeFinished));
    let Some(Dialog::Summary { done, failures, .. }) = &app.dialog else {
        panic!()
    };
    assert_eq!(*done, 0);
    assert_eq!(failures.len(), 500);
    assert!(failures[0].1.starts_with("not sent: cannot reach"));
}

#[test]
fn readonly_and_role_disable_mutating_keys_with_a_reason() {
    let mut app = app_with((80, 24), true, Role::SystemAdmin, KeyMap::default());
    cmd(&mut app, Command::GoPane(2));
    cmd(&mut app, Command::Mark);
    assert!(cmd(&mut app, Command::Revoke).is_empty());
    assert!(app.dialog.is_none());
    assert_message(&app, "read-only");

    let mut app = app_with((80, 24), false, Role::Reporter, KeyMap::default());
    cmd(&mut app, Command::GoPane(2));
    cmd(&mut app, Command::Mark);
    cmd(&mut app, Command::Revoke);
    assert!(app.dialog.is_none());
    assert_message(&app, "reporter role may not");
    assert!(
        app.blocked(Command::Refresh).is_none(),
        "reading is never blocked"
    );
}

#[test]
fn offline_shows_the_cache_age_and_recovers_by_itself() {
    let mut app = app((80, 24));
    assert!(banner_text(&app).is_none());
    run(
        &mut app,
        Action::Sync(SyncAction::Failed {
            error: "cannot reach the server".into(),
            offline: true,
        }),
    );
    let banner = banner_text(&app).unwrap();
    assert!(banner.contains("3 min ago"), "{banner}");
    assert!(app.blocked(Command::Revoke).unwrap().contains("offline"));
    // Retries on its own after a few seconds.
    assert!(run(&mut app, Action::Tick(now() + Duration::seconds(1))).is_empty());
    let effects = run(&mut app, Action::Tick(now() + Duration::seconds(6)));
    assert!(matches!(effects.as_slice(), [Effect::Sync]));
    // Still running: no second sync.
    assert!(run(&mut app, Action::Tick(now() + Duration::seconds(20))).is_empty());
    assert!(
        banner_text(&app).unwrap().contains("20 min ago")
            || banner_text(&app).unwrap().contains("3 min ago")
    );
    run(
        &mut app,
        Action::Sync(SyncAction::Done {
            changed: 0,
            at: now() + Duration::seconds(21),
        }),
    );
    assert!(banner_text(&app).is_none());
    assert_message(&app, "back online");
    assert!(app.blocked(Command::Revoke).is_none());
}

#[test]
fn keys_are_rebindable_and_the_defaults_leave_shell_keys_alone() {
    let defaults = KeyMap::default();
    for c in ['a', 'd', 'k'] {
        let key = Key {
            code: KeyCode::Char(c),
            ctrl: true,
        };
        for pane in Pane::ALL {
            assert_eq!(defaults.lookup(key, pane), None, "Ctrl-{c} is bound");
        }
    }
    let d = Key::parse("D").unwrap();
    assert_eq!(defaults.lookup(d, Pane::Teachers), Some(Command::Revoke));
    assert_eq!(
        defaults.lookup(Key::parse("a").unwrap(), Pane::Claims),
        Some(Command::ToggleActive)
    );
    let keys = [
        ("revoke".to_string(), "X".to_string()),
        ("quit".to_string(), "ctrl-q".to_string()),
    ]
    .into_iter()
    .collect();
    let map = KeyMap::with_overrides(&keys).unwrap();
    assert_eq!(
        map.lookup(Key::parse("X").unwrap(), Pane::Teachers),
        Some(Command::Revoke)
    );
    assert_eq!(map.lookup(d, Pane::Teachers), None);
    assert_eq!(
        map.lookup(Key::parse("ctrl-q").unwrap(), Pane::Claims),
        Some(Command::Quit)
    );
    assert_eq!(map.keys_for(Command::Revoke), "X");
    let bad = [("explode".to_string(), "x".to_string())]
        .into_iter()
        .collect();
    assert!(
        KeyMap::with_overrides(&bad)
            .unwrap_err()
            .contains("explode")
    );
}

#[test]
fn frames_draw_only_visible_rows_of_a_huge_list() {
    let mut app = app((80, 24));
    let mut snapshot = helpers::snapshot();
    let template = snapshot.claims[50].clone();
    snapshot.claims = (0..200_000)
        .map(|id| {
            let mut c = template.clone();
            c.id = id;
            c
        })
        .collect();
    run(
        &mut app,
        Action::Sync(SyncAction::Loaded(Box::new(snapshot))),
    );
    cmd(&mut app, Command::GoPane(1));
    cmd(&mut app, Command::Bottom);
    assert_eq!(app.claims_view.list.cursor, 199_999);
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    let started = std::time::Instant::now();
    for _ in 0..20 {
        terminal
            .draw(|f| seatdesk_tui::view::render(&app, f))
            .unwrap();
    }
    // Not a benchmark: a guard that nothing walks the whole list per frame.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(terminal.backend().to_string().contains("200000 of 200000"));
}

#[test]
fn palette_runs_commands_by_name() {
    let mut app = app((80, 24));
    cmd(&mut app, Command::Palette);
    type_text(&mut app, "pane_6");
    run(&mut app, Action::Submit);
    assert_eq!(app.pane, Pane::Audit);
    cmd(&mut app, Command::Palette);
    type_text(&mut app, "hel");
    run(&mut app, Action::Text(KeyEvent::from(KeyCode::Tab)));
    assert_eq!(app.palette, "help");
}

#[test]
fn ctrl_c_quits_from_anywhere_even_a_prompt() {
    let mut app = app((80, 24));
    cmd(&mut app, Command::Filter);
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), crossterm::event::KeyModifiers::CONTROL);
    let action = map_key(&app, ctrl_c).unwrap();
    assert!(matches!(action, Action::Interrupt));
    run(&mut app, action);
    assert!(app.quit);
}

#[test]
fn export_writes_the_shown_rows() {
    let mut app = app((80, 24));
    cmd(&mut app, Command::GoPane(1));
    cmd(&mut app, Command::ToggleActive);
    let effects = cmd(&mut app, Command::Export);
    let [Effect::Export { path, csv }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(path.to_string_lossy().ends_with(".csv"));
    assert_eq!(csv.lines().count(), app.claims_view.rows.len() + 1);
    assert!(
        !csv.contains(",active,"),
        "hidden statuses are not exported"
    );
}

#[test]
fn a_tick_redraws_only_when_something_shown_changed() {
    let mut app = app((80, 24));
    run(
        &mut app,
        Action::Sync(SyncAction::Done {
            changed: 0,
            at: now(),
        }),
    );
    // The alerts fetched with the sync answer; nothing runs any more.
    run(&mut app, Action::Alerts(Ok(helpers::alerts(vec![]))));
    assert!(!app.busy());
    app.dirty = false;
    run(&mut app, Action::Tick(now() + Duration::seconds(1)));
    assert!(!app.dirty, "nothing on screen changed");
    run(&mut app, Action::Tick(now() + Duration::seconds(90)));
    assert!(app.dirty, "the cache age moved on a minute");
}

#[test]
fn date_range_keeps_recent_assignments_only() {
    let mut app = app((80, 24));
    cmd(&mut app, Command::GoPane(1));
    cmd(&mut app, Command::CycleDateRange);
    assert_eq!(app.claims_view.assigned_within, Some(7));
    let shown = shown_claims(&app);
    let expected = app
        .claims
        .iter()
        .filter(|c| c.assigned_at >= now() - Duration::days(7))
        .count();
    assert!(expected > 0 && expected < app.claims.len());
    assert_eq!(shown.len(), expected);
    for _ in 0..4 {
        cmd(&mut app, Command::CycleDateRange);
    }
    assert_eq!(app.claims_view.assigned_within, None);
    assert_eq!(app.claims_view.rows.len(), app.claims.len());
}

#[test]
fn a_quiet_tick_does_not_swallow_a_pending_redraw() {
    let mut app = app((80, 24));
    run(
        &mut app,
        Action::Sync(SyncAction::Done {
            changed: 0,
            at: now(),
        }),
    );
    app.dirty = false;
    cmd(&mut app, Command::GoPane(1));
    run(&mut app, Action::Tick(now() + Duration::seconds(1)));
    assert!(app.dirty, "the pane change still has to be drawn");
}

#[test]
fn the_account_switcher_narrows_every_pane() {
    let mut app = app((80, 24));
    let mut snapshot = helpers::snapshot();
    snapshot.licenses[2].account_id = 4;
    run(
        &mut app,
        Action::Sync(SyncAction::Loaded(Box::new(snapshot))),
    );
    run(
        &mut app,
        Action::Accounts(Ok(vec![
            (3, "Lincoln USD / Main (PA-1)".into()),
            (4, "Lincoln USD / Labs (PA-2)".into()),
        ])),
    );
    let effects = cmd(&mut app, Command::CycleAccount);
    assert_eq!(app.account, Some(3));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadDashboard { query } if query.account_id == Some(3))),
        "{effects:?}"
    );
    assert!(
        app.dashboard.products().is_empty(),
        "another view's figures are never shown under this one's label"
    );
    helpers::dashboard_arrives(&mut app);
    assert_eq!(app.dashboard.products().len(), 2);
    assert_eq!(app.license_ids(), vec![1, 2]);
    cmd(&mut app, Command::GoPane(1));
    assert!(shown_claims(&app).iter().all(|c| c.license_id != 3));
    assert_message(&app, "Main (PA-1)");
    cmd(&mut app, Command::CycleAccount);
    assert_eq!(app.account, Some(4));
    helpers::dashboard_arrives(&mut app);
    assert_eq!(app.dashboard.products().len(), 1);
    assert!(shown_claims(&app).iter().all(|c| c.license_id == 3));
    cmd(&mut app, Command::GoPane(2));
    assert_eq!(app.teachers.license, Some(3));
    cmd(&mut app, Command::CycleAccount);
    assert_eq!(app.account, None);
    helpers::dashboard_arrives(&mut app);
    assert_eq!(app.dashboard.products().len(), 3);
}

#[test]
fn a_search_overtaken_by_newer_typing_gives_up() {
    let claims = seatdesk_client::ClaimRow::from_claims(&helpers::snapshot().claims);
    assert!(model::fuzzy_match_until(&claims, "ada", || true).is_none());
    let all = model::fuzzy_match_until(&claims, "ada", || false).unwrap();
    assert_eq!(all, model::fuzzy_match(&claims, "ada"));
    // Matches are fuzzy over name, email, school and product: "ada" in order.
    let has_ada = |c: &seatdesk_client::ClaimRow| {
        let text = format!(
            "{} {} {} {}",
            c.user_name, c.user_email, c.org_name, c.product_name
        )
        .to_lowercase();
        let mut rest = text.as_str();
        "ada".chars().all(|ch| match rest.find(ch) {
            Some(at) => {
                rest = &rest[at + 1..];
                true
            }
            None => false,
        })
    };
    assert!(!all.is_empty());
    assert!(all.iter().all(|&i| has_ada(&claims[i as usize])));
    // Rows without a, d, a in order never match.
    assert!(
        claims
            .iter()
            .enumerate()
            .filter(|(_, c)| !has_ada(c))
            .all(|(i, _)| !all.contains(&(i as u32)))
    );
}

#[test]
fn a_delta_patch_merges_rows_without_a_full_reload() {
    let mut app = app((80, 24));
    cmd(&mut app, Command::GoPane(2));
    let first = helpers::snapshot().claims[0].clone();
    let mut revoked = first.clone();
    revoked.status = SeatStatus::Revoked;
    let mut newcomer = first.clone();
    newcomer.id = 500;
    newcomer.user_name = "Nia Newcomer".into();
    let mut license = app.licenses[0].clone();
    license.seats.consumed = 99;
    // License 3's claims are replaced by nothing (all of them went away).
    let patch = seatdesk_client::Patch {
        licenses: vec![license],
        gone_licenses: vec![],
        claims_of: vec![3],
        claims: vec![revoked, newcomer],
        last_sync: Some(now()),
    };
    let before = app.claims.len();
    let of_three = app.claims.iter().filter(|c| c.license_id == 3).count();
    run(&mut app, Action::Sync(SyncAction::Patched(Box::new(patch))));
    assert_eq!(app.claims.len(), before + 1 - of_three);
    assert_eq!(
        app.claims.iter().find(|c| c.id == first.id).unwrap().status,
        SeatStatus::Revoked
    );
    assert!(app.claims.iter().any(|c| &*c.user_name == "Nia Newcomer"));
    assert!(app.claims.iter().all(|c| c.license_id != 3));
    assert_eq!(app.licenses[0].seats.consumed, 99);
    assert!(
        app.teachers
            .rows
            .iter()
            .all(|&i| app.claims[i as usize].id != first.id),
        "revoked seat left the list"
    );
    assert!(
        app.teachers
            .rows
            .iter()
            .any(|&i| app.claims[i as usize].id == 500)
    );
    assert_eq!(app.sync.last_sync, Some(now()));
}

#[test]
fn typing_on_narrows_the_search_to_the_last_matches() {
    assert!(model::narrows("ada", "ada m"));
    assert!(model::narrows("ad", "ada"));
    assert!(!model::narrows("", "ada"), "nothing to narrow from");
    assert!(!model::narrows("ada", "ad"), "a shorter query widens");
    assert!(
        !model::narrows("!ada", "!adam"),
        "a longer negation matches more"
    );
    assert!(!model::narrows("ada", "ada$"));

    let mut app = app((80, 24));
    cmd(&mut app, Command::GoPane(1));
    cmd(&mut app, Command::Filter);
    let Some(Effect::Search { generation, job }) = type_text(&mut app, "a").into_iter().next()
    else {
        panic!("the first key searches every row");
    };
    assert_eq!(
        job.candidates, app.claims_view.order,
        "every row, in display order"
    );
    let indices = job.run(|| false, |_| {}).unwrap();
    run(
        &mut app,
        Action::Search(SearchAction::Matched {
            generation,
            indices: indices.clone(),
        }),
    );
    let Some(Effect::Search { job, .. }) = type_text(&mut app, "d").into_iter().next() else {
        panic!("the next key searches only the last matches");
    };
    assert_eq!(*job.candidates, indices);
    let narrowed = job.run(|| false, |_| {}).unwrap();
    let mut whole = model::search_job(&app, false);
    whole.candidates = app.claims_view.order.clone();
    assert_eq!(narrowed, whole.run(|| false, |_| {}).unwrap());
    assert!(narrowed.len() < indices.len());
}

#[test]
fn a_large_match_set_is_shown_in_the_same_order_as_a_small_one() {
    let mut app = app((80, 24));
    cmd(&mut app, Command::GoPane(1));
    app.claims_view.query = "x".into();
    // A complete result in no particular order (e.g. mapped after a sync).
    let matched_set = |indices: &[u32]| seatdesk_tui::app::Matched {
        query: "x".into(),
        indices: std::sync::Arc::new(indices.to_vec()),
        order: 0,
        ranks: None,
    };
    let all: Vec<u32> = (0..app.claims.len() as u32).collect();
    let sorted = |app: &App, indices: &[u32]| {
        let mut rows = indices.to_vec();
        rows.sort_by_key(|&i| {
            let c = &app.claims[i as usize];
            std::cmp::Reverse((c.assigned_at, c.id))
        });
        rows
    };
    for matched in [
        all.clone(),
        all.iter().copied().step_by(3).collect(),
        vec![4, 2],
    ] {
        app.claims_view.matched = Some(matched_set(&matched));
        model::rebuild_claims(&mut app);
        assert_eq!(app.claims_view.rows, sorted(&app, &matched));
    }
    // Filters apply to the pre-sorted order too.
    cmd(&mut app, Command::ToggleRevoked);
    app.claims_view.matched = Some(matched_set(&all));
    model::rebuild_claims(&mut app);
    let live: Vec<u32> = all
        .iter()
        .copied()
        .filter(|&i| app.claims[i as usize].status != SeatStatus::Revoked)
        .collect();
    assert_eq!(app.claims_view.rows, sorted(&app, &live));
}

#[test]
fn the_filter_matches_exactly_what_nucleo_scores() {
    let claims = seatdesk_client::ClaimRow::from_claims(&helpers::snapshot().claims);
    for query in [
        "ada", "ada lin", "!ada", "^ben", "tanaka$", "'okafor", "xqz", "co ed",
    ] {
        let scored = helpers::nucleo_scored(&claims, query);
        assert_eq!(model::fuzzy_match(&claims, query), scored, "query {query}");
    }
}
