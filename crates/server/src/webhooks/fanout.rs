//! Turns new audit events into pending deliveries for matching webhooks.

use seatdesk_core::api::webhooks::event_matches;

use crate::AppState;
use crate::db::now_ms;
use crate::domain::scope::Scope;

/// Events examined per webhook per tick.
const BATCH: i64 = 500;

pub async fn fan_out(state: &AppState) -> Result<(), sqlx::Error> {
    let head = crate::feed_cache::head(&state.db.pool).await?;
    let hooks: Vec<(i64, String, String, i64)> = crate::db::query_as(
        "SELECT id, org_path, events, last_seq FROM webhooks WHERE active = 1 AND last_seq < $1 ORDER BY id LIMIT 1000",
    )
    .bind(head)
    .fetch_all(&state.db.pool)
    .await?;
    for (id, org_path, events, last_seq) in hooks {
        let patterns: Vec<String> = events.split(',').map(str::to_string).collect();
        // A stored path that is not one is an error, not a wider scope.
        let scope = Scope::new(&org_path).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        let rows: Vec<(i64, String)> = crate::db::query_as(format!(
            "SELECT seq, action FROM audit_events WHERE seq > $1 AND seq <= $2 \
             AND ({} OR org_path = '/') ORDER BY seq LIMIT $3",
            scope.sql("org_path")
        ))
        .bind(last_seq)
        .bind(head)
        .bind(BATCH)
        .fetch_all(&state.db.pool)
        .await?;
        // A full batch stops at its last event; otherwise everything up to the head was seen.
        let new_seq = if rows.len() as i64 == BATCH {
            rows.last().map_or(head, |r| r.0)
        } else {
            head
        };
        let mut tx = state.db.begin_write().await?;
        let advanced =
            crate::db::query("UPDATE webhooks SET last_seq = $1 WHERE id = $2 AND last_seq = $3")
                .bind(new_seq)
                .bind(id)
                .bind(last_seq)
                .execute(&mut tx.tx)
                .await?
                .rows_affected();
        if advanced == 0 {
            continue; // another replica fanned this range out
        }
        let now = now_ms();
        for (seq, action) in rows
            .into_iter()
            .filter(|(_, a)| event_matches(&patterns, a))
        {
            crate::db::query(
                "INSERT INTO webhook_deliveries (webhook_id, seq, action, status, attempts, next_attempt_at, created_at) \
                 VALUES ($1, $2, $3, 'pending', 0, $4, $4)",
            )
            .bind(id)
            .bind(seq)
            .bind(action)
            .bind(now)
            .execute(&mut tx.tx)
            .await?;
        }
        tx.commit().await?;
    }
    Ok(())
}
