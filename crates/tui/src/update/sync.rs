//! Data arriving from the sync: whole snapshots, delta patches, and what
//! follows a sync (alerts, live lists, retries while offline).

use std::collections::HashSet;
use std::sync::Arc;

use super::{codes, inventory, notify, rebuild_lists, search, triage};
use crate::action::SyncAction;
use crate::app::{App, Effect, Matched, Pane, RETRY_EVERY, SYNC_EVERY};
use crate::model;

pub(super) fn on_sync(app: &mut App, sync: SyncAction) -> Vec<Effect> {
    match sync {
        SyncAction::Loaded(snapshot) => {
            let snapshot = *snapshot;
            replace_data(app, snapshot.last_sync, |app| {
                app.licenses = snapshot.licenses;
                app.claims = Arc::new(snapshot.claims);
            })
        }
        SyncAction::Patched(patch) => {
            let patch = *patch;
            replace_data(app, patch.last_sync, |app| apply_patch(app, patch))
        }
        SyncAction::Done { changed, at } => {
            let mut effects = Vec::new();
            app.sync.in_flight = false;
            app.sync.last_sync = Some(at);
            if app.sync.offline.take().is_some() {
                notify(app, "back online: the server answers again".into(), false);
            }
            app.sync.error = None;
            app.sync.next_at = Some(app.now + SYNC_EVERY);
            if app.me.is_none() {
                effects.push(Effect::LoadMe);
            }
            if app.accounts.is_empty() {
                effects.push(Effect::LoadAccounts);
            }
            if triage::alerts_due(app, changed) {
                effects.extend(triage::load_alerts(app));
            }
            // Server-side lists follow changes while they are on screen.
            if changed > 0 && app.dialog.is_none() {
                match app.pane {
                    Pane::Inventory if !app.inventory.loading => {
                        effects.extend(inventory::refresh(app));
                    }
                    Pane::Codes if !app.codes.loading => effects.extend(codes::reload(app)),
                    _ => {}
                }
            }
            // The Audit pane follows new events live.
            if app.pane == Pane::Audit && changed > 0 && !app.audit.loading {
                app.audit.loading = true;
                effects.push(Effect::LoadAudit);
            }
            effects
        }
        SyncAction::Failed { error, offline } => {
            app.sync.in_flight = false;
            if offline {
                app.sync.offline = Some(error);
                app.sync.next_at = Some(app.now + RETRY_EVERY);
            } else {
                notify(app, format!("sync failed: {error}"), true);
                app.sync.error = Some(error);
                app.sync.next_at = Some(app.now + SYNC_EVERY);
            }
            Vec::new()
        }
    }
}

/// Swaps in new rows via `change`, keeping what the user set up: the search
/// result (mapped by claim id until it is re-run), marks of seats still live,
/// cursors.
fn replace_data(
    app: &mut App,
    last_sync: Option<chrono::DateTime<chrono::Utc>>,
    change: impl FnOnce(&mut App),
) -> Vec<Effect> {
    let matched_ids: Option<(String, HashSet<i64>)> = app.claims_view.matched.as_ref().map(|m| {
        let ids = m
            .indices
            .iter()
            .filter_map(|&i| app.claims.get(i as usize))
            .map(|c| c.id)
            .collect();
        (m.query.clone(), ids)
    });
    change(app);
    app.claims_view.order_sort = None;
    if last_sync > app.sync.last_sync {
        app.sync.last_sync = last_sync;
    }
    app.sync.loaded = true;
    app.dashboard = model::summarize(&app.scoped_licenses(), &app.claims, app.now);
    if !app.teachers.marks.is_empty() {
        // Only with marks to check: a set of every live seat is a pass and
        // a million inserts at start-up.
        let live: HashSet<i64> = app
            .claims
            .iter()
            .filter(|c| c.status.consumes_seat())
            .map(|c| c.id)
            .collect();
        app.teachers.marks.retain(|id| live.contains(id));
    }
    // The last result, mapped by claim id to the new rows, stays on screen
    // until the query has been searched again over them.
    if let Some((query, ids)) = matched_ids {
        let indices = app
            .claims
            .iter()
            .enumerate()
            .filter(|(_, c)| ids.contains(&c.id))
            .map(|(i, _)| i as u32)
            .collect();
        app.claims_view.matched = Some(Matched {
            query,
            indices: Arc::new(indices),
            order: 0,
        });
    }
    // Any running search read the old rows: its indices mean nothing now.
    app.claims_view.partial = None;
    app.claims_view.searching = false;
    rebuild_lists(app);
    let mut effects = Vec::new();
    if !app.claims_view.query.trim().is_empty() {
        app.claims_view.generation += 1;
        effects.push(search::start(app, false));
    }
    effects
}

/// Merges the rows a delta sync changed into memory: one pass over the
/// claims, instead of reloading the whole cache.
fn apply_patch(app: &mut App, patch: seatdesk_client::Patch) {
    use std::collections::HashMap;
    let replaced: HashSet<i64> = patch
        .claims_of
        .iter()
        .chain(&patch.gone_licenses)
        .copied()
        .collect();
    let mut incoming: HashMap<i64, seatdesk_core::api::seats::Claim> =
        patch.claims.into_iter().map(|c| (c.id, c)).collect();
    let claims = Arc::make_mut(&mut app.claims);
    claims.retain_mut(|claim| match incoming.remove(&claim.id) {
        Some(new) => {
            *claim = new;
            true
        }
        None => !replaced.contains(&claim.license_id),
    });
    let mut added: Vec<_> = incoming.into_values().collect();
    added.sort_by_key(|c| c.id);
    claims.extend(added);
    let gone: HashSet<i64> = patch.gone_licenses.iter().copied().collect();
    app.licenses.retain(|l| !gone.contains(&l.id));
    for license in patch.licenses {
        match app.licenses.iter_mut().find(|l| l.id == license.id) {
            Some(slot) => *slot = license,
            None => app.licenses.push(license),
        }
    }
    app.licenses.sort_by_key(|l| l.id);
}
