//! The Claims "older than" filter and saved views: named sets of the
//! Claims filters, recalled by name and kept on disk (an [`Effect`]).

use seatdesk_core::SeatStatus;

use super::notify;
use crate::app::{App, Effect, Pane, SavedView};
use crate::model;

/// `:older N`: pending claims assigned more than N days ago (the CLI's
/// `--older-than` with `--status pending`); `:older` alone turns it off.
pub(super) fn older(app: &mut App, args: &[&str]) {
    let view = &mut app.claims_view;
    match args {
        [] | ["off"] => {
            view.older_than = None;
            notify(app, "older-than filter off".into(), false);
        }
        [days] => match days.trim_end_matches('d').parse::<i64>() {
            Ok(days) if days > 0 => {
                view.older_than = Some(days);
                view.statuses = [false; 4];
                view.statuses[SeatStatus::Pending.index()] = true;
                notify(
                    app,
                    format!("showing claims pending for over {days} days"),
                    false,
                );
            }
            _ => {
                notify(
                    app,
                    format!("older: '{days}' is not a number of days"),
                    true,
                );
                return;
            }
        },
        _ => {
            notify(app, "usage: older DAYS (or older alone: off)".into(), true);
            return;
        }
    }
    app.pane = Pane::Claims;
    app.claims_view.list = Default::default();
    model::rebuild_claims(app);
}

/// `:save NAME`: the Claims filters in force, under NAME (replacing a
/// view of that name).
pub(super) fn save(app: &mut App, args: &[&str]) -> Vec<Effect> {
    let name = args.join(" ");
    if name.is_empty() {
        notify(app, "usage: save NAME".into(), true);
        return Vec::new();
    }
    let view = SavedView::of(&name, &app.claims_view);
    app.views.retain(|v| v.name != name);
    app.views.push(view);
    app.views.sort_by(|a, b| a.name.cmp(&b.name));
    notify(
        app,
        format!("saved the Claims filters as view '{name}'"),
        false,
    );
    store(app)
}

/// `:view NAME`: puts a saved view's filters back and shows the Claims.
pub(super) fn recall(app: &mut App, args: &[&str]) -> Vec<Effect> {
    let name = args.join(" ");
    let Some(saved) = app.views.iter().find(|v| v.name == name).cloned() else {
        let known: Vec<&str> = app.views.iter().map(|v| v.name.as_str()).collect();
        notify(
            app,
            if known.is_empty() {
                "no saved views yet: set the Claims filters, then :save NAME".into()
            } else {
                format!("no view named '{name}' (saved: {})", known.join(", "))
            },
            true,
        );
        return Vec::new();
    };
    let view = &mut app.claims_view;
    view.statuses = saved.statuses;
    view.product = saved.product;
    view.assigned_within = saved.assigned_within;
    view.older_than = saved.older_than;
    view.sort = saved.sort;
    view.list = Default::default();
    app.pane = Pane::Claims;
    notify(app, format!("view '{name}': {}", saved.describe()), false);
    let effects = super::set_filter(app, Pane::Claims, saved.query);
    model::rebuild_claims(app);
    effects
}

fn store(app: &App) -> Vec<Effect> {
    app.views_path
        .clone()
        .map(|path| Effect::SaveViews {
            path,
            views: app.views.clone(),
        })
        .into_iter()
        .collect()
}

/// Reads saved views written by [`store`]; a missing file is no views, a
/// damaged one is reported and left alone.
pub fn load(path: &std::path::Path) -> Result<Vec<SavedView>, String> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| format!("{}: saved views unreadable: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}
