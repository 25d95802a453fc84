//! Start-up from the cache: the dashboard paints from the claim counts the
//! sync stored, before any claim is in memory; the claims stream in after
//! in chunks while the Claims and Teachers panes show progress.

mod support;

use seatdesk_client::{ClaimRow, ClaimStats, Head};
use seatdesk_tui::action::{Action, SyncAction};
use seatdesk_tui::app::{App, Effect, Pane};
use seatdesk_tui::keymap::{Command, KeyMap};
use seatdesk_tui::theme::Theme;
use support::{app, cmd, now, run, screen, snapshot};

fn opened() -> (App, u64) {
    let data = snapshot();
    let mut app = App::new(
        "district",
        false,
        KeyMap::default(),
        Theme { mono: true },
        now(),
    );
    run(
        &mut app,
        Action::Resize {
            width: 120,
            height: 40,
        },
    );
    let head = Head {
        licenses: data.licenses.clone(),
        stats: ClaimStats::from_claims(&data.claims),
        claims: data.claims.len() as u64,
        last_seq: data.last_seq,
        last_sync: data.last_sync,
    };
    let effects = run(&mut app, Action::Sync(SyncAction::Opened(Box::new(head))));
    let generation = effects
        .iter()
        .find_map(|e| match e {
            Effect::LoadClaims { generation } => Some(*generation),
            _ => None,
        })
        .expect("the claims load is asked for");
    (app, generation)
}

#[test]
fn the_dashboard_paints_from_stored_counts_before_the_claims_load() {
    let loaded = app((120, 40));
    let (mut app, generation) = opened();
    assert!(app.claims.is_empty());
    assert!(app.sync.loaded);
    assert!(!app.dashboard.is_empty());
    assert_eq!(
        app.dashboard, loaded.dashboard,
        "counts paint what rows would"
    );
    assert!(
        app.dashboard
            .iter()
            .any(|s| s.weekly_activations.iter().any(|&n| n > 0)),
        "the activation trend comes from the stored counts too"
    );
    let total = snapshot().claims.len();

    // Keys work while loading; the Claims pane says how far it is.
    cmd(&mut app, Command::GoPane(1));
    assert_eq!(app.pane, Pane::Claims);
    assert!(
        screen(&app).contains(&format!("loading from the cache, 0 of {total} (0%)")),
        "{}",
        screen(&app)
    );
    let claims = ClaimRow::from_claims(&snapshot().claims);
    let (first, rest) = claims.split_at(40);
    run(
        &mut app,
        Action::Sync(SyncAction::Claims {
            generation,
            chunk: first.to_vec(),
        }),
    );
    // A chunk of a superseded load is dropped.
    run(
        &mut app,
        Action::Sync(SyncAction::Claims {
            generation: generation + 7,
            chunk: first.to_vec(),
        }),
    );
    cmd(&mut app, Command::GoPane(2));
    assert!(
        screen(&app).contains(&format!("Teachers: loading from the cache, 40 of {total}")),
        "{}",
        screen(&app)
    );
    run(
        &mut app,
        Action::Sync(SyncAction::Claims {
            generation,
            chunk: rest.to_vec(),
        }),
    );
    assert!(app.claims.is_empty(), "rows land together when all are in");
    run(
        &mut app,
        Action::Sync(SyncAction::ClaimsDone {
            generation,
            result: Ok(total),
        }),
    );
    assert!(app.claims_load.is_none());
    assert_eq!(app.claims.len(), total);
    assert_eq!(app.dashboard, loaded.dashboard);
    assert_eq!(app.teachers.rows, loaded.teachers.rows);
    cmd(&mut app, Command::GoPane(1));
    assert_eq!(app.claims_view.rows, loaded.claims_view.rows);
    assert!(!screen(&app).contains("loading from the cache"));
}

#[test]
fn a_delta_during_the_load_updates_the_counts_and_keeps_the_rows() {
    let (mut app, generation) = opened();
    let data = snapshot();
    let mut revoked = data.claims[0].clone();
    revoked.status = seatdesk_core::SeatStatus::Revoked;
    let mut after: Vec<_> = data.claims.clone();
    after[0] = revoked.clone();
    let patch = seatdesk_client::Patch {
        claims: vec![revoked],
        stats: Some(ClaimStats::from_claims(&after)),
        ..Default::default()
    };
    run(&mut app, Action::Sync(SyncAction::Patched(Box::new(patch))));
    assert!(app.claims.is_empty());
    assert_eq!(app.stats, ClaimStats::from_claims(&after));
    // The load (which read the cache after the delta was written) lands.
    run(
        &mut app,
        Action::Sync(SyncAction::Claims {
            generation,
            chunk: ClaimRow::from_claims(&after),
        }),
    );
    run(
        &mut app,
        Action::Sync(SyncAction::ClaimsDone {
            generation,
            result: Ok(after.len()),
        }),
    );
    assert_eq!(app.claims.len(), after.len());
    assert_eq!(app.stats, ClaimStats::from_claims(&after));
}

#[test]
fn a_cache_rebuilt_in_the_background_asks_for_a_sync() {
    let mut app = app((120, 40));
    app.sync.in_flight = false;
    let effects = run(
        &mut app,
        Action::Sync(SyncAction::CacheRebuilt(
            "failed its integrity check: page 7 is malformed".into(),
        )),
    );
    assert!(effects.iter().any(|e| matches!(e, Effect::Sync)));
    assert!(app.sync.in_flight);
    support::assert_message(&app, "integrity check");
    assert!(
        !app.claims.is_empty(),
        "the rows on screen stay until the sync replaces them"
    );
}
