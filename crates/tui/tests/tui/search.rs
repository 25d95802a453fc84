//! The Claims filter's streamed search: a first screen painted at once, the
//! complete result replacing it, newer typing cancelling it, and the scan
//! itself (display order, row masks) agreeing with nucleo.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use seatdesk_client::ClaimRow;
use seatdesk_core::api::seats::Claim;
use seatdesk_tui::action::{Action, SearchAction, SyncAction};
use seatdesk_tui::app::{App, Effect, Pane};
use seatdesk_tui::keymap::Command;
use seatdesk_tui::model::{self, ClaimFilter, Masks, Progress, SearchJob};

use crate::helpers::{self, app, assert_message, cmd, run, type_text};

/// Opens the Claims filter and types `text`; returns the last key's search.
fn search_for(app: &mut App, text: &str) -> (u64, SearchJob) {
    cmd(app, Command::GoPane(Pane::Claims.index()));
    cmd(app, Command::Filter);
    match type_text(app, text).into_iter().next() {
        Some(Effect::Search { generation, job }) => (generation, job),
        other => panic!("typing asks for a background search, got {other:?}"),
    }
}

fn complete(job: &SearchJob) -> Vec<u32> {
    job.run(|| false, |_| {}).expect("nothing made it stale")
}

#[test]
fn a_first_screen_paints_at_once_and_the_complete_result_replaces_it() {
    let mut app = app((80, 24));
    let (generation, job) = search_for(&mut app, "a");
    let all = complete(&job);
    assert!(all.len() > 4, "the sample has many rows with an a");
    let first: Vec<u32> = all[..3].to_vec();
    run(
        &mut app,
        Action::Search(SearchAction::FirstScreen {
            generation,
            indices: first.clone(),
            found: 3,
        }),
    );
    let view = &app.claims_view;
    assert!(view.searching, "the rest is still being searched");
    assert_eq!(view.rows, first);
    assert_eq!(view.found, 3);
    assert!(view.matched.is_none(), "a first screen is not a result");
    // The count moves on while the scan does.
    run(
        &mut app,
        Action::Search(SearchAction::Progress {
            generation,
            found: 4,
        }),
    );
    assert_eq!(app.claims_view.found, 4);
    assert_eq!(app.claims_view.rows, first);
    // The user moves within the first screen; the complete result keeps the
    // cursor on the same row (the first screen is its prefix).
    cmd(&mut app, Command::Down);
    cmd(&mut app, Command::Down);
    assert_eq!(app.claims_view.list.cursor, 2);
    run(
        &mut app,
        Action::Search(SearchAction::Matched {
            generation,
            indices: all.clone(),
        }),
    );
    let view = &app.claims_view;
    assert!(!view.searching);
    assert!(view.partial.is_none());
    assert_eq!(view.rows, all);
    assert_eq!(view.list.cursor, 2);
    assert_eq!(view.matched.as_ref().map(|m| m.query.as_str()), Some("a"));
}

#[test]
fn a_first_screen_counts_only_rows_the_other_filters_show() {
    let mut app = app((80, 24));
    cmd(&mut app, Command::GoPane(Pane::Claims.index()));
    cmd(&mut app, Command::ToggleRevoked);
    let (generation, job) = search_for(&mut app, "a");
    let all = complete(&job);
    run(
        &mut app,
        Action::Search(SearchAction::FirstScreen {
            generation,
            indices: all.clone(),
            found: 0,
        }),
    );
    assert!(
        app.claims_view
            .rows
            .iter()
            .all(|&i| app.claims[i as usize].status != seatdesk_core::SeatStatus::Revoked)
    );
    assert!(
        app.claims_view.rows.len() < all.len(),
        "revoked rows hidden"
    );
}

#[test]
fn a_newer_query_cancels_the_running_search_and_drops_its_answers() {
    let mut app = app((80, 24));
    let (old, old_job) = search_for(&mut app, "a");
    let Some(Effect::Search { generation, job }) = type_text(&mut app, "d").into_iter().next()
    else {
        panic!("the next key searches again");
    };
    assert!(generation > old);
    // The task's stale check: the runner holds the newest generation.
    let latest = AtomicU64::new(generation);
    assert!(
        old_job
            .run(|| latest.load(Ordering::Relaxed) != old, |_| {})
            .is_none(),
        "the overtaken search gives up"
    );
    // Anything the old search sent before giving up is ignored.
    let before = app.claims_view.rows.clone();
    run(
        &mut app,
        Action::Search(SearchAction::FirstScreen {
            generation: old,
            indices: vec![0],
            found: 1,
        }),
    );
    run(
        &mut app,
        Action::Search(SearchAction::Matched {
            generation: old,
            indices: vec![0],
        }),
    );
    assert_eq!(app.claims_view.rows, before);
    assert!(app.claims_view.searching);
    // "a" never finished, so "ad" could not narrow from it: every row.
    assert_eq!(job.candidates, app.claims_view.order);
    assert_eq!(job.query, "ad");
}

#[test]
fn narrowing_waits_for_a_complete_result() {
    let mut app = app((80, 24));
    let (generation, job) = search_for(&mut app, "a");
    let all = complete(&job);
    run(
        &mut app,
        Action::Search(SearchAction::FirstScreen {
            generation,
            indices: all[..2].to_vec(),
            found: 2,
        }),
    );
    // Only a first screen of "a": "ad" searches every row.
    let Some(Effect::Search { job, .. }) = type_text(&mut app, "d").into_iter().next() else {
        panic!("the next key searches again");
    };
    assert_eq!(job.candidates.len(), app.claims.len());
    let ad = complete(&job);
    let generation = app.claims_view.generation;
    run(
        &mut app,
        Action::Search(SearchAction::Matched {
            generation,
            indices: ad.clone(),
        }),
    );
    // Complete now: "ada" looks only at the matches of "ad".
    let Some(Effect::Search { job, .. }) = type_text(&mut app, "a").into_iter().next() else {
        panic!("the next key searches again");
    };
    assert_eq!(*job.candidates, ad);
}

#[test]
fn export_waits_for_the_complete_result() {
    let mut app = app((80, 24));
    let (generation, job) = search_for(&mut app, "a");
    let all = complete(&job);
    run(
        &mut app,
        Action::Search(SearchAction::FirstScreen {
            generation,
            indices: all[..2].to_vec(),
            found: 2,
        }),
    );
    run(&mut app, Action::Submit);
    let effects = cmd(&mut app, Command::Export);
    assert!(effects.is_empty(), "nothing is written from a first screen");
    assert_message(&app, "still searching");
    run(
        &mut app,
        Action::Search(SearchAction::Matched {
            generation,
            indices: all.clone(),
        }),
    );
    let effects = cmd(&mut app, Command::Export);
    let Some(Effect::Export { csv, .. }) = effects.into_iter().next() else {
        panic!("the complete result exports");
    };
    assert_eq!(csv.lines().count(), all.len() + 1);
}

#[test]
fn new_rows_during_a_search_start_it_again() {
    let mut app = app((80, 24));
    let (old, _) = search_for(&mut app, "a");
    let effects = run(
        &mut app,
        Action::Sync(SyncAction::Loaded(Box::new(helpers::snapshot()))),
    );
    let Some(Effect::Search { generation, job }) = effects
        .into_iter()
        .find(|e| matches!(e, Effect::Search { .. }))
    else {
        panic!("the query is searched again over the new rows");
    };
    assert!(generation > old);
    assert_eq!(job.query, "a");
    assert!(app.claims_view.searching);
    run(
        &mut app,
        Action::Search(SearchAction::Matched {
            generation: old,
            indices: vec![0],
        }),
    );
    assert!(app.claims_view.searching, "the old rows' answer is dropped");
}

/// The sample's claims repeated until several chunks of work.
fn many_claims() -> Arc<Vec<ClaimRow>> {
    let sample = helpers::snapshot().claims;
    let repeated: Vec<Claim> = sample.iter().cycle().take(20_000).cloned().collect();
    Arc::new(ClaimRow::from_claims(&repeated))
}

fn job(claims: Arc<Vec<ClaimRow>>, candidates: Vec<u32>, query: &str, screen: usize) -> SearchJob {
    SearchJob {
        query: query.into(),
        masks: Arc::new(Masks::new(claims.len())),
        claims,
        candidates: Arc::new(candidates),
        filter: ClaimFilter {
            statuses: [true; 4],
            ..ClaimFilter::default()
        },
        screen,
    }
}

#[test]
fn the_scan_streams_a_first_screen_that_the_complete_result_extends() {
    let claims = many_claims();
    // A display order unlike the list order: reversed.
    let order: Vec<u32> = (0..claims.len() as u32).rev().collect();
    let job = job(claims.clone(), order, "okafor", 10);
    let mut reports = Vec::new();
    let result = job
        .run(|| false, |p| reports.push(p))
        .expect("nothing made it stale");
    let Some(Progress::FirstScreen { indices, shown }) = reports.first() else {
        panic!("a first screen comes before the end: {reports:?}");
    };
    assert!(*shown >= 10 && indices.len() == *shown);
    assert_eq!(indices[..], result[..indices.len()], "a prefix, in order");
    // The complete result: every match, in the order scanned.
    let mut expected = model::fuzzy_match(&claims, "okafor");
    expected.reverse();
    assert_eq!(result, expected);
    assert!(result.windows(2).all(|w| w[0] > w[1]));
}

#[test]
fn a_search_with_few_matches_sends_only_its_result() {
    let claims = many_claims();
    let order: Vec<u32> = (0..claims.len() as u32).collect();
    let job = job(claims, order, "xqz", 10);
    let mut reports = Vec::new();
    assert_eq!(job.run(|| false, |p| reports.push(p)), Some(Vec::new()));
    assert!(reports.is_empty(), "{reports:?}");
}

#[test]
fn row_masks_never_reject_what_nucleo_matches() {
    let mut claims = helpers::snapshot().claims;
    claims[0].user_name = "Zoë Ünal".into();
    claims[1].org_name = "Ærø Øresund Skole".into();
    claims[2].user_email = "o'brien_k-12+x@lincoln.k12.test".into();
    let claims = Arc::new(ClaimRow::from_claims(&claims));
    let every: Vec<u32> = (0..claims.len() as u32).collect();
    for query in [
        "ADA",
        "zoe",
        "ünal",
        "Zoë",
        "aero",
        "ærø",
        "o'brien",
        "k-12+",
        "_k",
        "lincoln.k12",
        "xqz",
        "!ada",
        "ada !lin",
        "^ben",
        "tanaka$",
        "'okafor",
        "co ed",
        "12 ",
    ] {
        let scored = helpers::nucleo_scored(&claims, query);
        let job = job(claims.clone(), every.clone(), query, usize::MAX);
        // Once with masks computed on the way, once with them filled in.
        assert_eq!(complete(&job), scored, "query {query}, fresh masks");
        assert_eq!(complete(&job), scored, "query {query}, filled masks");
    }
}

#[test]
fn the_teachers_filter_follows_new_rows_and_other_licenses() {
    let mut app = app((80, 24));
    cmd(&mut app, Command::GoPane(Pane::Teachers.index()));
    cmd(&mut app, Command::Filter);
    type_text(&mut app, "zelda");
    assert!(app.teachers.rows.is_empty());
    // A sync brings a teacher seat named Zelda on the same license.
    let mut snapshot = helpers::snapshot();
    let mut seat = snapshot.claims[0].clone();
    seat.id = 999;
    seat.user_name = "Zelda Quist".into();
    seat.status = seatdesk_core::SeatStatus::Active;
    snapshot.claims.push(seat);
    run(
        &mut app,
        Action::Sync(SyncAction::Loaded(Box::new(snapshot))),
    );
    let names: Vec<&str> = app
        .teachers
        .rows
        .iter()
        .map(|&i| app.claims[i as usize].user_name.as_ref())
        .collect();
    assert_eq!(names, ["Zelda Quist"]);
    // Case does not matter, and another license has other seats.
    run(&mut app, Action::Submit);
    cmd(&mut app, Command::Back);
    cmd(&mut app, Command::Filter);
    type_text(&mut app, "ZELDA");
    assert_eq!(app.teachers.rows.len(), 1);
    cmd(&mut app, Command::NextLicense);
    assert!(app.teachers.rows.is_empty());
}

#[test]
fn a_narrowed_search_keeps_the_candidates_order_however_few_or_many() {
    let claims = many_claims();
    let everything = model::fuzzy_match(&claims, "ada");
    for step in [2, 50] {
        // Candidates in a display order of their own: every step-th row, reversed.
        let candidates: Vec<u32> = (0..claims.len() as u32).step_by(step).rev().collect();
        let expected: Vec<u32> = candidates
            .iter()
            .copied()
            .filter(|i| everything.binary_search(i).is_ok())
            .collect();
        assert!(!expected.is_empty());
        for screen in [5, usize::MAX] {
            let job = job(claims.clone(), candidates.clone(), "ada", screen);
            assert_eq!(
                complete(&job),
                expected,
                "every {step}th row, screen {screen}"
            );
        }
    }
}
