//! The reclaim scheduler: every `reclaim_tick`, each `serve` replica runs
//! the reclaim policies that are due by the server's clock
//! ([`crate::clock`]). Replicas coordinate through the database only: a
//! replica claims a due run with a conditional UPDATE of the policy's
//! `next_run_at` ([`crate::store::reclaim::claim`]) in the transaction that
//! then runs it, so each due run happens once however many replicas look,
//! and a run that fails rolls its claim back (the next tick retries it).
//! Seats are revoked under the revocation's own rules (a seat already
//! revoked is never revoked again; on PostgreSQL a run skips seats another
//! transaction holds), so overlapping runs of different policies reclaim
//! a seat once.
//!
//! Like the alert sweeper, this writes outside `mutation::run`: there is no
//! caller, token or Idempotency-Key; the audit events (actor: the policy)
//! are appended in the run's own transaction.

use chrono::TimeDelta;
use seatdesk_core::api::reclaim::{ReclaimReport, RunTrigger};

use crate::AppState;
use crate::db::types::Stamp;
use crate::domain::reclaim::{RunMode, SCHEDULER_ACTOR, policy_actor, run_policy};
use crate::error::ApiResult;
use crate::store::audit;
use crate::store::reclaim as store;

/// Most due policies one [`run_due`] takes up; the rest wait a tick.
const DUE_PER_TICK: i64 = 100;

/// Runs due policies every `reclaim_tick` until the task is aborted.
pub async fn run_scheduler(state: AppState) {
    // The first look waits one period, as the alert sweeper's does.
    let period = state.config.reclaim_tick;
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(error) = run_due(&state).await {
            tracing::warn!(%error, "reclaim scheduler failed");
        }
    }
}

/// Runs every policy due at the clock's now that this replica claims, each
/// in its own write transaction; returns the reports of the runs it made.
/// A policy whose run fails is logged and left due (its claim rolled back);
/// the others still run.
pub async fn run_due(state: &AppState) -> ApiResult<Vec<ReclaimReport>> {
    let as_of = state.config.clock.now();
    let due = store::due(&state.db.pool, as_of, DUE_PER_TICK).await?;
    let mut reports = Vec::new();
    for (id, planned) in due {
        match run_claimed(state, id, planned, as_of).await {
            Ok(Some(report)) => reports.push(report),
            Ok(None) => {}
            Err(error) => tracing::warn!(policy = id, %error, "scheduled reclaim run failed"),
        }
    }
    Ok(reports)
}

/// Claims and runs policy `id`'s run planned for `planned`: `None` when
/// another replica claimed it first or the policy was paused meanwhile.
async fn run_claimed(
    state: &AppState,
    id: i64,
    planned: Stamp,
    as_of: Stamp,
) -> ApiResult<Option<ReclaimReport>> {
    let mut tx = state.db.begin_write().await?;
    let Some(policy) = store::policy(&mut tx.tx, id).await? else {
        return Ok(None);
    };
    let next = as_of.saturating_add(TimeDelta::minutes(policy.interval_minutes));
    if !store::claim(&mut tx.tx, id, planned, next).await? {
        return Ok(None);
    }
    let now = Stamp::now();
    let mode = RunMode::Real {
        trigger: RunTrigger::Schedule,
        actor: SCHEDULER_ACTOR.to_string(),
    };
    let (report, events) = run_policy(&mut tx.tx, &policy, as_of, now, mode).await?;
    let request_id = format!("reclaim-{id}-{}", as_of.millis());
    audit::append_rows(&mut tx.tx, &events, &policy_actor(id), &request_id, now).await?;
    tx.commit().await?;
    Ok(Some(report))
}
