//! Turns new audit events into pending deliveries for matching webhooks.

use seatdesk_core::api::webhooks::event_matches;

use crate::AppState;
use crate::db::types::Stamp;
use crate::domain::scope::Scope;
use crate::store::webhooks as store;

/// Events examined per webhook per tick.
const BATCH: i64 = 500;

pub async fn fan_out(state: &AppState) -> Result<(), sqlx::Error> {
    let head = crate::store::audit::feed_head(&state.db.pool).await?;
    let hooks = store::behind(&state.db.pool, head).await?;
    for hook in hooks {
        let patterns: Vec<String> = hook.events.split(',').map(str::to_string).collect();
        // A stored path that is not one is an error, not a wider scope.
        let scope = Scope::new(&hook.org_path).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        let rows = store::events_for(&state.db.pool, &scope, hook.last_seq, head, BATCH).await?;
        // A full batch stops at its last event; otherwise everything up to the head was seen.
        let new_seq = if rows.len() as i64 == BATCH {
            rows.last().map_or(head, |r| r.0)
        } else {
            head
        };
        let mut tx = state.db.begin_write().await?;
        if !store::advance(&mut tx.tx, hook.id, hook.last_seq, new_seq).await? {
            continue; // another replica fanned this range out
        }
        let now = Stamp::now();
        for (seq, action) in rows
            .into_iter()
            .filter(|(_, a)| event_matches(&patterns, a))
        {
            store::insert_delivery(&mut tx.tx, hook.id, seq, action, now).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}
