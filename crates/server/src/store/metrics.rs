//! The database figures of a `GET /metrics` scrape: each a count any
//! replica sees the same, read on one connection when scraped.

use crate::db::{Conn, query_scalar};

/// What the database says at a scrape.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatabaseFigures {
    /// The audit feed head (seq of the last committed event).
    pub feed_head: i64,
    /// Webhook deliveries waiting for a first try or a retry.
    pub deliveries_pending: i64,
    /// Webhook deliveries given up after their last attempt.
    pub deliveries_failed: i64,
    /// Alerts raised by the sweepers (one mark each, never raised twice).
    pub alerts_raised: i64,
}

pub async fn database_figures(conn: &mut Conn) -> Result<DatabaseFigures, sqlx::Error> {
    Ok(DatabaseFigures {
        feed_head: crate::store::audit::feed_head(&mut *conn).await?,
        deliveries_pending: query_scalar(
            "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'",
        )
        .fetch_one(&mut *conn)
        .await?,
        deliveries_failed: query_scalar(
            "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'failed'",
        )
        .fetch_one(&mut *conn)
        .await?,
        alerts_raised: query_scalar("SELECT COUNT(*) FROM alert_marks")
            .fetch_one(&mut *conn)
            .await?,
    })
}
