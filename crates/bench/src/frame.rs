//! Benchmark 2's subject: a dashboard holding N cached claims, built through
//! actions as the event loop builds it, and one frame of a pane drawn into a
//! 200x50 test terminal (render, buffer diff and the backend write).

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use seatdesk_client::Snapshot;
use seatdesk_tui::action::{Action, SyncAction};
use seatdesk_tui::app::{App, Pane};
use seatdesk_tui::keymap::KeyMap;
use seatdesk_tui::theme::Theme;
use seatdesk_tui::update::update;

use crate::fixture;

pub const WIDTH: u16 = 200;
pub const HEIGHT: u16 = 50;

/// An app at 200x50 with `claims` claims loaded from a synthetic cache, the
/// cursor halfway down the Claims list and the Teachers list.
pub fn app(claims: usize) -> App {
    app_from(fixture::snapshot(claims))
}

/// An app at 200x50 holding `snapshot`, cursors halfway down the lists.
pub fn app_from(snapshot: Snapshot) -> App {
    let mut app = App::new(
        "bench",
        false,
        KeyMap::default(),
        Theme { mono: false },
        fixture::now(),
    );
    update(
        &mut app,
        Action::Resize {
            width: WIDTH,
            height: HEIGHT,
        },
    );
    update(
        &mut app,
        Action::Sync(SyncAction::Loaded(Box::new(snapshot))),
    );
    let height = app.list_height();
    let len = app.claims_view.rows.len();
    app.claims_view.list.step(len as isize / 2, len, height);
    let len = app.teachers.rows.len();
    app.teachers.list.step(len as isize / 2, len, height);
    app
}

pub fn terminal() -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("a test terminal never fails")
}

/// Draws one frame of `pane`. The cursor moves by one row first, as when the
/// user holds `j`, so every frame differs from the last one.
pub fn frame(terminal: &mut Terminal<TestBackend>, app: &mut App, pane: Pane, step: isize) {
    app.pane = pane;
    let height = app.list_height();
    match pane {
        Pane::Claims => {
            let len = app.claims_view.rows.len();
            app.claims_view.list.step(step, len, height);
        }
        Pane::Teachers => {
            let len = app.teachers.rows.len();
            app.teachers.list.step(step, len, height);
        }
        _ => {}
    }
    terminal
        .draw(|f| seatdesk_tui::view::render(app, f))
        .expect("a test terminal never fails");
}
