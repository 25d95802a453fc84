//! The bulk revocation flow: confirmation, chunked requests, summary, undo.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use seatdesk_core::SeatStatus;
use seatdesk_core::api::ItemOutcome;

use super::{cursor_seat, notify, rebuild_lists};
use crate::action::BulkAction;
use crate::app::{App, Dialog, Effect, Pane, TYPE_TO_CONFIRM_OVER};
use crate::model;

pub(super) fn open_revoke(app: &mut App) {
    if app.pane != Pane::Teachers {
        return;
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
        return;
    }
    let wanted: HashSet<i64> = ids.iter().copied().collect();
    let by_id: HashMap<i64, &seatdesk_client::ClaimRow> = app
        .claims
        .iter()
        .filter(|c| wanted.contains(&c.id))
        .map(|c| (c.id, c))
        .collect();
    let refusals: Vec<(i64, String)> = ids
        .iter()
        .filter_map(|id| match by_id.get(id) {
            None => Some((*id, format!("seat {id} is no longer in the cache"))),
            Some(c) if c.status == SeatStatus::Revoked => {
                Some((*id, format!("{} is already revoked", c.user_name)))
            }
            Some(c) if c.students_assigned > 0 => Some((
                *id,
                format!(
                    "{} <{}> has {} student{} assigned; the teacher must remove them first",
                    c.user_name,
                    c.user_email,
                    c.students_assigned,
                    if c.students_assigned == 1 { "" } else { "s" }
                ),
            )),
            Some(_) => None,
        })
        .collect();
    let needs_word = ids.len() - refusals.len() > TYPE_TO_CONFIRM_OVER;
    app.dialog = Some(Dialog::ConfirmRevoke {
        ids,
        hidden,
        refusals,
        typed: String::new(),
        needs_word,
    });
}

pub(super) fn on_bulk(app: &mut App, bulk: BulkAction) -> Vec<Effect> {
    match bulk {
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
        // Moves the claim between the dashboard's status counts.
        app.stats
            .add(claim.license_id, claim.status, claim.claimed_at, -1);
        claim.status = status;
        app.stats.add(claim.license_id, status, claim.claimed_at, 1);
    }
    app.dashboard = model::summarize(&app.scoped_licenses(), &app.stats, app.now);
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
