//! Start-up from the cache: the Dashboard paints the server's figures the
//! cache kept, before any claim is in memory; the claims stream in after
//! in chunks while the Claims and Teachers panes show progress.

use seatdesk_client::cache::CachedDashboard;
use seatdesk_client::{ClaimRow, Head};
use seatdesk_tui::action::{Action, DashboardAction, SyncAction};
use seatdesk_tui::app::{App, Effect, Pane};
use seatdesk_tui::keymap::{Command, KeyMap};
use seatdesk_tui::theme::Theme;

use crate::helpers::{self, app, cmd, now, run, screen, snapshot};

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
        claims: data.claims.len() as u64,
        last_seq: data.last_seq,
        last_sync: data.last_sync,
    };
    let effects = run(&mut app, Action::Sync(SyncAction::Opened(Box::new(head))));
    assert!(
        effects.iter().any(
            |e| matches!(e, Effect::LoadDashboard { query } if *query == app.dashboard_query())
        ),
        "the dashboard is asked for (cached copy first) at once: {effects:?}"
    );
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
fn the_dashboard_paints_the_cached_server_figures_before_the_claims_load() {
    let loaded = app((120, 40));
    let (mut app, generation) = opened();
    assert!(app.claims.is_empty());
    assert!(app.sync.loaded);
    let first = screen(&app);
    assert!(
        first.contains("Loading the dashboard") && !first.contains("No licenses"),
        "while the figures load the pane says so, never that there are none:\n{first}"
    );
    let query = app.dashboard_query();
    let cached = CachedDashboard {
        dashboard: helpers::dashboard(&loaded, &query),
        fetched_at: now() - chrono::Duration::hours(2),
    };
    run(
        &mut app,
        Action::Dashboard(DashboardAction::Cached {
            query: query.clone(),
            cached: Some(cached.clone()),
        }),
    );
    assert_eq!(
        app.dashboard.products(),
        loaded.dashboard.products(),
        "the cache's copy of the server's answer paints the pane"
    );
    assert!(app.dashboard.from_cache);
    assert!(screen(&app).contains("cached 2 h"), "{}", screen(&app));
    // The server's fresh answer replaces it; a late cached copy does not.
    helpers::dashboard_arrives(&mut app);
    assert!(!app.dashboard.from_cache);
    run(
        &mut app,
        Action::Dashboard(DashboardAction::Cached {
            query,
            cached: Some(cached),
        }),
    );
    assert!(!app.dashboard.from_cache, "a fresh answer beats the cache");
    let painted = app.dashboard.products().to_vec();
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
    assert_eq!(
        app.dashboard.products(),
        painted.as_slice(),
        "the claims arriving change none of the server's figures"
    );
    assert_eq!(app.teachers.rows, loaded.teachers.rows);
    cmd(&mut app, Command::GoPane(1));
    assert_eq!(app.claims_view.rows, loaded.claims_view.rows);
    assert!(!screen(&app).contains("loading from the cache"));
}

#[test]
fn a_delta_during_the_load_keeps_the_rows_the_load_brings() {
    let (mut app, generation) = opened();
    let data = snapshot();
    let mut revoked = data.claims[0].clone();
    revoked.status = seatdesk_core::SeatStatus::Revoked;
    let mut after: Vec<_> = data.claims.clone();
    after[0] = revoked.clone();
    let patch = seatdesk_client::Patch {
        claims: vec![revoked],
        ..Default::default()
    };
    run(&mut app, Action::Sync(SyncAction::Patched(Box::new(patch))));
    assert!(app.claims.is_empty());
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
    assert_eq!(
        app.claims[0].status,
        seatdesk_core::SeatStatus::Revoked,
        "the delta is in the rows"
    );
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
    helpers::assert_message(&app, "integrity check");
    assert!(
        !app.claims.is_empty(),
        "the rows on screen stay until the sync replaces them"
    );
}
