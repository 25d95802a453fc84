//! The alert sweeper: every `alert_sweep` it finds the current alerts with
//! the server's default thresholds and raises each one not raised before as
//! an `alert.<kind>` audit event (actor `system`), which the webhook worker
//! then fans out. "Raised before" is a row in `alert_marks`, whose unique
//! key makes the mark and the event one atomic step: replicas sweeping the
//! same database never raise an alert twice.
//!
//! This writes outside `mutation::run` on purpose: there is no caller, token
//! or Idempotency-Key, only the mark and its event in one write transaction.

use std::collections::HashSet;

use crate::AppState;
use crate::alerts::find::{Found, find_alerts};
use crate::db::types::Stamp;
use crate::domain::licenses::today;
use crate::store::alerts::{self as store, AlertView, Mark};
use crate::store::audit::{self, NewEvent};

/// License ids per slice of a sweep. A slice has at most this many alerts
/// of each license kind (expiring and in grace exclude each other), well
/// under the result limit below.
const SLICE: i64 = 2000;
/// Most alerts one slice returns.
const SLICE_LIMIT: usize = 10_000;

/// Sweeps until the task is aborted.
pub async fn run_sweeper(state: AppState) {
    // The first sweep waits one period: a starting server has just served
    // nothing, and tests that count audit events see none from it.
    let period = state.config.alert_sweep;
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(error) = sweep(&state).await {
            tracing::warn!(%error, "alert sweep failed");
        }
    }
}

/// One sweep over every license, slice by slice; returns how many alerts
/// this process raised.
pub async fn sweep(state: &AppState) -> Result<usize, sqlx::Error> {
    let last = store::last_license_id(&state.db.pool).await?;
    let mut count = 0;
    let mut first = 0;
    while first <= last.unwrap_or(-1) {
        count += sweep_slice(state, AlertView::license_range(first, first + SLICE)).await?;
        first += SLICE;
    }
    Ok(count)
}

async fn sweep_slice(state: &AppState, view: AlertView) -> Result<usize, sqlx::Error> {
    let now = Stamp::now();
    let (found, truncated) = find_alerts(
        &state.db.pool,
        &view,
        &state.config.alert_thresholds,
        None,
        (today(), now),
        SLICE_LIMIT,
    )
    .await?;
    if truncated {
        tracing::warn!(
            limit = SLICE_LIMIT,
            "more alerts in one slice than a sweep raises; those past the limit were skipped"
        );
    }
    if found.is_empty() {
        return Ok(0);
    }
    let raised = already_raised(state, &found).await?;
    let mut count = 0;
    for alert in found.iter().filter(|f| !raised.contains(&key(f))) {
        if raise(state, alert, now).await? {
            count += 1;
        }
    }
    Ok(count)
}

fn key(found: &Found) -> Mark {
    (
        found.alert.kind.as_str().to_string(),
        found.target_type.to_string(),
        found.target_id,
        found.mark.clone(),
    )
}

/// Marks already stored for the found alerts' targets: a cheap read so a
/// quiet sweep writes nothing.
async fn already_raised(state: &AppState, found: &[Found]) -> Result<HashSet<Mark>, sqlx::Error> {
    let mut ids: Vec<i64> = found.iter().map(|f| f.target_id).collect();
    ids.sort_unstable();
    ids.dedup();
    store::marks_of(&state.db.pool, &ids).await
}

/// Stores the mark and appends the event in one write transaction; false
/// when another process got there first (nothing is written then).
async fn raise(state: &AppState, found: &Found, now: Stamp) -> Result<bool, sqlx::Error> {
    let mut tx = state.db.begin_write().await?;
    if !store::insert_mark(&mut tx.tx, key(found), now).await? {
        return Ok(false);
    }
    let event = NewEvent {
        action: found.alert.kind.action(),
        target_type: found.target_type,
        target_id: found.target_id,
        org_path: found.org_path.clone(),
        before: None,
        after: Some(serde_json::to_value(&found.alert).unwrap_or_default()),
    };
    let request_id = format!("alert-sweep-{}", now.0.timestamp_millis());
    audit::append(&mut tx.tx, &[event], "system", &request_id, now).await?;
    tx.commit().await?;
    Ok(true)
}
