//! Webhook delivery: a background worker in every server process fans new
//! audit events out to matching webhooks and POSTs them, signed, retrying
//! with exponential backoff. Replicas coordinate only through the database:
//! fan-out advances each webhook's `last_seq` with a conditional UPDATE and
//! a delivery is leased by a conditional UPDATE before it is sent.

pub mod deliver;
pub mod fanout;
pub mod sign;
pub mod target;

use std::time::Duration;

use crate::AppState;

/// Runs the fan-out and delivery loop until the task is aborted.
pub async fn run_worker(state: AppState) {
    let http = deliver::http_client(state.config.webhook_allow_private);
    let mut tick = tokio::time::interval(state.config.webhook_tick);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(error) = fanout::fan_out(&state).await {
            tracing::warn!(%error, "webhook fan-out failed");
        }
        if let Err(error) = deliver::deliver_due(&state, &http).await {
            tracing::warn!(%error, "webhook delivery failed");
        }
    }
}

/// Delay before retry number `attempt` (1-based): base · 2^(attempt-1), at most an hour.
pub fn backoff(base: Duration, attempt: i64) -> Duration {
    let factor = 2u32.saturating_pow((attempt.clamp(1, 20) - 1) as u32);
    (base * factor).min(Duration::from_secs(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let base = Duration::from_secs(5);
        assert_eq!(backoff(base, 1), Duration::from_secs(5));
        assert_eq!(backoff(base, 3), Duration::from_secs(20));
        assert_eq!(backoff(base, 30), Duration::from_secs(3600));
    }
}
