//! Data arriving from the sync: whole snapshots, delta patches, and what
//! follows a sync (alerts, live lists, retries while offline).

use std::collections::HashSet;
use std::sync::Arc;

use seatdesk_client::{ClaimRow, Interner};

use super::{bulk, codes, dashboard, inventory, notify, rebuild_lists, search, triage};
use crate::action::SyncAction;
use crate::app::{App, ClaimsLoad, Effect, Matched, Pane, RETRY_EVERY, SYNC_EVERY};

pub(super) fn on_sync(app: &mut App, sync: SyncAction) -> Vec<Effect> {
    match sync {
        SyncAction::Opened(head) => {
            let head = *head;
            app.load_generation += 1;
            let generation = app.load_generation;
            let expected = usize::try_from(head.claims).unwrap_or(0);
            app.claims_load = Some(ClaimsLoad {
                generation,
                expected,
                // Sized once: growing by doubling would briefly hold the
                // old and the new buffer of a million rows.
                rows: Vec::with_capacity(expected),
            });
            let mut effects = replace_data(app, head.last_sync, |app| {
                app.licenses = head.licenses;
                app.claims = Arc::new(Vec::new());
            });
            effects.push(Effect::LoadClaims { generation });
            effects.extend(dashboard::switch_view(app));
            effects
        }
        SyncAction::Claims { generation, chunk } => {
            if let Some(load) = app
                .claims_load
                .as_mut()
                .filter(|l| l.generation == generation)
            {
                load.rows.extend(chunk);
            }
            Vec::new()
        }
        SyncAction::ClaimsDone { generation, result } => {
            let Some(load) = app.claims_load.take_if(|l| l.generation == generation) else {
                return Vec::new();
            };
            if let Err(error) = &result {
                notify(
                    app,
                    format!("reading the local cache failed: {error}"),
                    true,
                );
            }
            replace_data(app, None, |app| {
                app.claims = Arc::new(load.rows);
            })
        }
        SyncAction::CacheRebuilt(why) => {
            notify(
                app,
                format!(
                    "the local cache {why}; it has been emptied and is reloading from the server"
                ),
                true,
            );
            bulk::resync(app)
        }
        SyncAction::Loaded(snapshot) => {
            let snapshot = *snapshot;
            // A whole new set of rows supersedes any load still streaming.
            app.claims_load = None;
            replace_data(app, snapshot.last_sync, |app| {
                app.licenses = snapshot.licenses;
                app.claims = Arc::new(ClaimRow::from_claims(&snapshot.claims));
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
            // The figures follow every change, and arrive once after a start
            // or an outage (the cache's copy may be old).
            if changed > 0
                || app.dashboard.from_cache
                || !app.dashboard.shows(&app.dashboard_query())
            {
                effects.extend(dashboard::load(app));
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
        let indices: Vec<u32> = app
            .claims
            .iter()
            .enumerate()
            .filter(|(_, c)| ids.contains(&c.id))
            .map(|(i, _)| i as u32)
            .collect();
        let ranks = crate::model::ranks(&app.claims, &query, &indices).map(Arc::new);
        app.claims_view.matched = Some(Matched {
            query,
            indices: Arc::new(indices),
            order: 0,
            ranks,
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
    let gone: HashSet<i64> = patch.gone_licenses.iter().copied().collect();
    app.licenses.retain(|l| !gone.contains(&l.id));
    for license in patch.licenses {
        match app.licenses.iter_mut().find(|l| l.id == license.id) {
            Some(slot) => *slot = license,
            None => app.licenses.push(license),
        }
    }
    app.licenses.sort_by_key(|l| l.id);
    if app.claims_load.is_some() {
        // The load still streaming reads the cache after this delta was
        // written (one connection: the sync and the load take turns), so
        // its rows already hold these changes.
        return;
    }
    let replaced: HashSet<i64> = patch
        .claims_of
        .iter()
        .chain(&patch.gone_licenses)
        .copied()
        .collect();
    let mut names = Interner::default();
    let mut incoming: HashMap<i64, ClaimRow> = patch
        .claims
        .iter()
        .map(|c| (c.id, ClaimRow::from_claim(c, &mut names)))
        .collect();
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
}

/// The liveness probe answered: a lost server shows as offline at once; a
/// server back syncs at once.
pub(super) fn on_probe(app: &mut App, result: Result<(), String>) -> Vec<Effect> {
    app.sync.probing = false;
    match result {
        Err(error) => {
            if app.sync.offline.is_none() {
                tracing::warn!(%error, "server probe failed");
                app.sync.offline = Some(error);
            }
        }
        Ok(()) => {
            if app.sync.offline.is_some() && !app.sync.in_flight {
                app.sync.next_at = Some(app.now);
            }
        }
    }
    Vec::new()
}
