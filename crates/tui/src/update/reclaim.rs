//! The Reclaim view: its policies, a policy's preview (the server's dry
//! run) and history, pause / resume, and a run. A run goes through the bulk
//! revocation's own confirmation (count, refusals, typed count when large),
//! progress and summary, with undo: it is a revocation the server chooses.

use seatdesk_core::SeatStatus;
use seatdesk_core::api::reclaim::{ReclaimReport, SummaryQuery};

use super::bulk::{mark_locally, resync};
use super::notify;
use crate::action::ReclaimAction;
use crate::app::{
    Answer, App, Dialog, Effect, Pane, ReclaimEffect, ReclaimScreen, ReclaimTarget,
    TYPE_TO_CONFIRM_OVER,
};

fn effect(effect: ReclaimEffect) -> Effect {
    Effect::Reclaim(effect)
}

/// The Dashboard's view as a summary query.
pub fn summary_query(app: &App) -> SummaryQuery {
    let view = app.dashboard_query();
    SummaryQuery {
        org_id: view.org_id,
        account_id: view.account_id,
        product_id: view.product_id,
    }
}

/// Opens the view over the current pane; the policies load the first time.
pub(super) fn open(app: &mut App) -> Vec<Effect> {
    if app.pane != Pane::Reclaim {
        app.reclaim.from = Some(app.pane);
    }
    app.pane = Pane::Reclaim;
    app.input = None;
    app.reclaim.screen = ReclaimScreen::Policies;
    if app.reclaim.loaded || app.reclaim.loading {
        return Vec::new();
    }
    reload(app)
}

/// Asks for the policies and their candidate counts again.
pub(super) fn reload(app: &mut App) -> Vec<Effect> {
    if app.reclaim.loading {
        return Vec::new();
    }
    if let Some(reason) = &app.sync.offline {
        app.reclaim.error = Some(format!("offline ({reason})"));
        return Vec::new();
    }
    app.reclaim.loading = true;
    vec![effect(ReclaimEffect::LoadPolicies)]
}

/// `r` in the view: the policies, and what the screen shows of one.
pub(super) fn refresh(app: &mut App) -> Vec<Effect> {
    let mut effects = reload(app);
    if app.sync.offline.is_some() {
        return effects;
    }
    match (app.reclaim.screen, app.reclaim.policy) {
        (ReclaimScreen::Preview, Some(policy_id)) => {
            app.reclaim.preview.loading = true;
            effects.push(effect(ReclaimEffect::DryRun {
                policy_id,
                check: false,
            }));
        }
        (ReclaimScreen::History, Some(policy_id)) => {
            app.reclaim.runs.loading = true;
            effects.push(effect(ReclaimEffect::LoadRuns { policy_id }));
        }
        _ => {}
    }
    effects
}

/// The summary behind the Dashboard's line, for its current view.
pub(super) fn load_summary(app: &mut App) -> Vec<Effect> {
    let query = summary_query(app);
    if app.reclaim.dashboard_loading.as_ref() == Some(&query) {
        return Vec::new();
    }
    app.reclaim.dashboard_loading = Some(query.clone());
    vec![effect(ReclaimEffect::LoadSummary { query })]
}

/// The policy a key acts on, or a message saying there is none.
fn current(app: &mut App, what: &str) -> Option<(i64, String, bool)> {
    let found = app
        .reclaim
        .current()
        .map(|p| (p.id, p.name.clone(), p.paused));
    if found.is_none() {
        let why = if app.reclaim.loaded {
            "no policy here (create one with `seatdesk reclaim add`)"
        } else {
            "the policies have not loaded yet"
        };
        notify(app, format!("{what}: {why}"), true);
    }
    found
}

/// Enter: the policy's dry run, seat by seat.
pub(super) fn preview(app: &mut App) -> Vec<Effect> {
    let Some((policy_id, _, _)) = current(app, "preview") else {
        return Vec::new();
    };
    let view = &mut app.reclaim;
    if view.policy != Some(policy_id) {
        view.runs = Answer::default();
    }
    view.policy = Some(policy_id);
    view.screen = ReclaimScreen::Preview;
    view.preview = Answer {
        loading: true,
        ..Answer::default()
    };
    vec![effect(ReclaimEffect::DryRun {
        policy_id,
        check: false,
    })]
}

/// The policy's runs, newest first.
pub(super) fn history(app: &mut App) -> Vec<Effect> {
    let Some((policy_id, _, _)) = current(app, "history") else {
        return Vec::new();
    };
    let view = &mut app.reclaim;
    if view.policy != Some(policy_id) {
        view.preview = Answer::default();
    }
    view.policy = Some(policy_id);
    view.screen = ReclaimScreen::History;
    view.runs = Answer {
        loading: true,
        ..Answer::default()
    };
    vec![effect(ReclaimEffect::LoadRuns { policy_id })]
}

pub(super) fn toggle_pause(app: &mut App) -> Vec<Effect> {
    let Some((policy_id, name, paused)) = current(app, "pause / resume") else {
        return Vec::new();
    };
    if !app.reclaim.toggling.insert(policy_id) {
        notify(
            app,
            format!("policy '{name}': already being changed"),
            false,
        );
        return Vec::new();
    }
    vec![effect(ReclaimEffect::SetPaused {
        policy_id,
        paused: !paused,
    })]
}

/// `D`: the revocation confirmation, for the seats the policy's dry run
/// matches; the server's answer fills it in.
pub(super) fn open_run(app: &mut App) -> Vec<Effect> {
    let Some((policy_id, name, _)) = current(app, "run") else {
        return Vec::new();
    };
    app.dialog = Some(Dialog::ConfirmRevoke {
        ids: Vec::new(),
        hidden: 0,
        checking: true,
        check_error: None,
        refusals: Vec::new(),
        typed: String::new(),
        needs_word: false,
        policy: Some(ReclaimTarget {
            policy_id,
            name,
            remaining: 0,
        }),
    });
    vec![effect(ReclaimEffect::DryRun {
        policy_id,
        check: true,
    })]
}

/// The confirmation said yes: the run goes to the server.
pub(super) fn confirmed(app: &mut App, target: ReclaimTarget, seats: usize) -> Vec<Effect> {
    app.bulk_running = true;
    app.dialog = Some(Dialog::Progress {
        title: format!("Reclaiming {seats} seats ({})", target.name),
        total: seats,
        answered: 0,
    });
    vec![effect(ReclaimEffect::Run {
        policy_id: target.policy_id,
    })]
}

/// Esc: from a policy's preview or history to the list, from the list to
/// the pane the view was opened from.
pub(super) fn back(app: &mut App) -> Vec<Effect> {
    if app.reclaim.screen != ReclaimScreen::Policies {
        app.reclaim.screen = ReclaimScreen::Policies;
        return Vec::new();
    }
    let to = app.reclaim.from.take().unwrap_or(Pane::Dashboard);
    super::go_pane(app, to)
}

pub(super) fn move_cursor(app: &mut App, delta: isize, height: usize) {
    let view = &mut app.reclaim;
    match view.screen {
        ReclaimScreen::Policies => view.list.step(delta, view.policies.len(), height),
        ReclaimScreen::Preview => {
            let len = view
                .preview
                .data
                .as_ref()
                .map_or(0, |r| r.freed.len() + r.refused.len());
            view.preview.list.step(delta, len, height);
        }
        ReclaimScreen::History => {
            let len = view.runs.data.as_ref().map_or(0, Vec::len);
            view.runs.list.step(delta, len, height);
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "seat" } else { "seats" }
}

/// The confirmation's dry run answered: the seats it matched (the freed and
/// the refused, as a bulk revocation lists what was asked), the refusals,
/// and whether the count must be typed.
fn checked(app: &mut App, policy_id: i64, result: Result<ReclaimReport, String>) {
    let Some(Dialog::ConfirmRevoke {
        ids,
        checking,
        check_error,
        refusals,
        needs_word,
        policy: Some(target),
        ..
    }) = &mut app.dialog
    else {
        return;
    };
    if target.policy_id != policy_id {
        return;
    }
    *checking = false;
    let report = match result {
        Ok(report) => report,
        Err(error) => {
            *check_error = Some(error);
            return;
        }
    };
    if report.freed.is_empty() {
        let name = target.name.clone();
        let refused = report.refused.len();
        app.dialog = None;
        let mut text = format!("policy '{name}': nothing to reclaim now");
        if refused > 0 {
            text.push_str(&format!(
                " ({refused} matching {} refused; Enter previews why)",
                plural(refused)
            ));
        }
        notify(app, text, false);
    } else {
        *ids = report
            .freed
            .iter()
            .map(|c| c.seat_id)
            .chain(report.refused.iter().map(|r| r.id))
            .collect();
        *refusals = report
            .refused
            .iter()
            .map(|r| (r.id, r.reason.clone().unwrap_or_else(|| "refused".into())))
            .collect();
        *needs_word = report.freed.len() > TYPE_TO_CONFIRM_OVER;
        target.remaining = report.remaining;
    }
    // The freshest dry run is also the preview's, when it shows this policy.
    if app.reclaim.policy == Some(policy_id) {
        app.reclaim.preview.data = Some(report);
        app.reclaim.preview.error = None;
    }
}

fn ran(app: &mut App, policy_id: i64, result: Result<ReclaimReport, String>) -> Vec<Effect> {
    app.bulk_running = false;
    let name = app.reclaim.find(policy_id).map_or_else(
        || format!("policy {policy_id}"),
        |p| format!("'{}'", p.name),
    );
    let report = match result {
        Ok(report) => report,
        Err(error) => {
            app.dialog = None;
            notify(app, format!("the run of {name} failed: {error}"), true);
            return Vec::new();
        }
    };
    let done: Vec<i64> = report.freed.iter().map(|c| c.seat_id).collect();
    let failures: Vec<(i64, String)> = report
        .refused
        .iter()
        .map(|r| (r.id, r.reason.clone().unwrap_or_else(|| "refused".into())))
        .collect();
    let mut title = format!("{name} reclaimed {} {}", done.len(), plural(done.len()));
    if report.remaining > 0 {
        title.push_str(&format!(", {} left for later runs", report.remaining));
    }
    mark_locally(app, &done, SeatStatus::Revoked);
    app.dialog = Some(Dialog::Summary {
        title,
        done: done.len(),
        failures,
    });
    // Undo restores them as it does a bulk revocation's.
    app.teachers.last_revoked = done;
    let mut effects = refresh(app);
    app.reclaim.dashboard_loading = None;
    effects.extend(load_summary(app));
    effects.extend(resync(app));
    effects
}

pub(super) fn on_reclaim(app: &mut App, action: ReclaimAction) -> Vec<Effect> {
    match action {
        ReclaimAction::Loaded(result) => {
            let view = &mut app.reclaim;
            view.loading = false;
            match result {
                Ok((policies, truncated, summary)) => {
                    view.policies = policies;
                    view.truncated = truncated;
                    view.summary = Some(summary);
                    view.loaded = true;
                    view.error = None;
                }
                Err(error) => view.error = Some(error),
            }
            let len = app.reclaim.policies.len();
            let height = app.list_height();
            app.reclaim.list.scroll(len, height);
        }
        ReclaimAction::Summary { query, result } => {
            let view = &mut app.reclaim;
            if view.dashboard_loading.as_ref() == Some(&query) {
                view.dashboard_loading = None;
            }
            match result {
                Ok(summary) => view.dashboard = Some((query, summary)),
                // The line is a hint beside the figures: without an answer
                // it is not shown (the server may predate reclaim policies).
                Err(error) => tracing::warn!(%error, "reclaim summary for the dashboard"),
            }
        }
        ReclaimAction::Previewed { policy_id, result } => {
            let view = &mut app.reclaim;
            if view.policy == Some(policy_id) {
                view.preview.loading = false;
                match result {
                    Ok(report) => {
                        view.preview.data = Some(report);
                        view.preview.error = None;
                    }
                    Err(error) => view.preview.error = Some(error),
                }
            }
        }
        ReclaimAction::Checked { policy_id, result } => checked(app, policy_id, result),
        ReclaimAction::Ran { policy_id, result } => return ran(app, policy_id, result),
        ReclaimAction::Toggled { policy_id, result } => {
            app.reclaim.toggling.remove(&policy_id);
            match result {
                Ok(policy) => {
                    let text = format!(
                        "policy '{}' {}",
                        policy.name,
                        if policy.paused {
                            "paused: no scheduled runs until resumed"
                        } else {
                            "resumed"
                        }
                    );
                    let view = &mut app.reclaim;
                    if let Some(candidates) = view
                        .summary
                        .as_mut()
                        .and_then(|s| s.policies.iter_mut().find(|p| p.policy_id == policy_id))
                    {
                        candidates.paused = policy.paused;
                    }
                    if let Some(slot) = view.policies.iter_mut().find(|p| p.id == policy_id) {
                        *slot = policy;
                    }
                    notify(app, text, false);
                    // What paused policies count toward is the server's
                    // call: both summaries are asked again.
                    let mut effects = reload(app);
                    app.reclaim.dashboard_loading = None;
                    effects.extend(load_summary(app));
                    return effects;
                }
                Err(error) => notify(app, format!("pause / resume failed: {error}"), true),
            }
        }
        ReclaimAction::Runs { policy_id, result } => {
            let view = &mut app.reclaim;
            if view.policy == Some(policy_id) {
                view.runs.loading = false;
                match result {
                    Ok(runs) => {
                        view.runs.data = Some(runs);
                        view.runs.error = None;
                    }
                    Err(error) => view.runs.error = Some(error),
                }
            }
        }
    }
    Vec::new()
}
