//! The bulk revocation flow: confirmation, chunked requests, summary, undo.

use std::collections::HashSet;
use std::sync::Arc;

use seatdesk_core::SeatStatus;
use seatdesk_core::api::{BulkResult, ItemOutcome};

use super::{cursor_seat, notify, rebuild_lists};
use crate::action::BulkAction;
use crate::app::{App, CHUNK, Dialog, Effect, Pane, TYPE_TO_CONFIRM_OVER};
use crate::model;

/// Opens the confirmation and asks the server's dry run what it would do
/// with exactly these seats; the dialog shows its answer.
pub(super) fn open_revoke(app: &mut App) -> Vec<Effect> {
    if app.pane != Pane::Teachers {
        return Vec::new();
    }
    let (ids, hidden): (Vec<i64>, usize) = if app.teachers.marks.is_empty() {
        (cursor_seat(app).into_iter().collect(), 0)
    } else {
        (
            app.teachers.marks.iter().copied().collect(),
            model::hidden_marks(app),
        )
    };
    if ids.is_empty() {
        notify(
            app,
            "no seat to revoke: mark rows with Space first".into(),
            false,
        );
        return Vec::new();
    }
    let chunks = ids.chunks(CHUNK).map(<[i64]>::to_vec).collect();
    app.dialog = Some(Dialog::ConfirmRevoke {
        needs_word: ids.len() > TYPE_TO_CONFIRM_OVER,
        ids,
        hidden,
        checking: true,
        check_error: None,
        refusals: Vec::new(),
        typed: String::new(),
        policy: None,
    });
    vec![Effect::RevokeDryRun { chunks }]
}

/// The dry run answered: the dialog now says what the server will do.
fn checked(app: &mut App, result: Result<BulkResult, String>) {
    let Some(Dialog::ConfirmRevoke {
        ids,
        checking,
        check_error,
        refusals,
        needs_word,
        ..
    }) = &mut app.dialog
    else {
        return;
    };
    *checking = false;
    match result {
        Ok(answer) => {
            *refusals = answer
                .results
                .iter()
                .filter(|r| r.outcome == ItemOutcome::Refused)
                .map(|r| (r.id, r.reason.clone().unwrap_or_else(|| "refused".into())))
                .collect();
            *needs_word = ids.len() - refusals.len() > TYPE_TO_CONFIRM_OVER;
        }
        Err(error) => *check_error = Some(error),
    }
}

pub(super) fn on_bulk(app: &mut App, bulk: BulkAction) -> Vec<Effect> {
    match bulk {
        BulkAction::RevokeChecked(result) => {
            checked(app, result);
            Vec::new()
        }
        BulkAction::RevokeChunk(result) => {
            let answered = match result {
                Ok(result) => {
                    for item in &result.results {
                        match item.outcome {
                            ItemOutcome::Done => app.teachers.pending_done.push(item.id),
                            ItemOutcome::Refused => app.teachers.pending_failures.push((
                                item.id,
                                item.reason.clone().unwrap_or_else(|| "refused".into()),
                            )),
                        }
                    }
                    result.results.len()
                }
                Err((ids, error)) => {
                    let count = ids.len();
                    for id in ids {
                        app.teachers
                            .pending_failures
                            .push((id, format!("not sent: {error}")));
                    }
                    count
                }
            };
            if let Some(Dialog::Progress {
                answered: so_far, ..
            }) = &mut app.dialog
            {
                *so_far += answered;
            }
            Vec::new()
        }
        BulkAction::RevokeFinished => {
            app.bulk_running = false;
            let done = std::mem::take(&mut app.teachers.pending_done);
            let failures = std::mem::take(&mut app.teachers.pending_failures);
            for id in &done {
                app.teachers.marks.remove(id);
            }
            mark_locally(app, &done, SeatStatus::Revoked);
            let total = done.len() + failures.len();
            app.dialog = Some(Dialog::Summary {
                title: format!("Revoked {} of {} seats", done.len(), total),
                done: done.len(),
                failures,
            });
            app.teachers.last_revoked = done;
            resync(app)
        }
        BulkAction::Restored(result) => {
            app.bulk_running = false;
            match result {
                Ok(result) => {
                    let done: Vec<i64> = result
                        .results
                        .iter()
                        .filter(|r| r.outcome == ItemOutcome::Done)
                        .map(|r| r.id)
                        .collect();
                    let failures = result
                        .results
                        .iter()
                        .filter(|r| r.outcome == ItemOutcome::Refused)
                        .map(|r| (r.id, r.reason.clone().unwrap_or_else(|| "refused".into())))
                        .collect();
                    app.teachers.last_revoked.retain(|id| !done.contains(id));
                    app.dialog = Some(Dialog::Summary {
                        title: format!("Restored {} of {} seats", done.len(), result.results.len()),
                        done: done.len(),
                        failures,
                    });
                }
                Err(error) => {
                    app.dialog = None;
                    notify(app, format!("undo failed: {error}"), true);
                }
            }
            resync(app)
        }
    }
}

/// Shows a server-confirmed change at once, before the sync brings it in.
pub(super) fn mark_locally(app: &mut App, ids: &[i64], status: SeatStatus) {
    if ids.is_empty() {
        return;
    }
    let ids: HashSet<i64> = ids.iter().copied().collect();
    let claims = Arc::make_mut(&mut app.claims);
    for claim in claims.iter_mut().filter(|c| ids.contains(&c.id)) {
        claim.status = status;
    }
    rebuild_lists(app);
}

pub(super) fn resync(app: &mut App) -> Vec<Effect> {
    if app.sync.in_flight {
        app.sync.next_at = Some(app.now);
        Vec::new()
    } else {
        app.sync.in_flight = true;
        vec![Effect::Sync]
    }
}
