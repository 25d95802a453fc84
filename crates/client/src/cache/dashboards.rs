//! The server's `GET /v1/dashboard` answers, one per view (account, org,
//! product filter), kept so the Dashboard paints the server's own figures
//! at start-up and while the server cannot be reached. The client never
//! recomputes them.

use chrono::{DateTime, Utc};
use seatdesk_core::api::dashboard::{Dashboard, DashboardQuery};

use super::Cache;

pub(super) const DASHBOARDS_TABLE: &str = "CREATE TABLE dashboards (view TEXT PRIMARY KEY, \
     body TEXT NOT NULL, fetched_at_ms INTEGER NOT NULL)";

/// A dashboard as the server computed it, and when it was fetched.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedDashboard {
    pub dashboard: Dashboard,
    pub fetched_at: DateTime<Utc>,
}

/// The key a view is stored under: its query string, so two queries are
/// the same view exactly when the server would see the same filters.
pub fn view_key(query: &DashboardQuery) -> String {
    serde_urlencoded::to_string(query).unwrap_or_default()
}

impl Cache {
    /// The last answer stored for `query`'s view. A body that no longer
    /// parses (written by another version) counts as absent: it is only a
    /// copy, and the next fetch replaces it.
    pub async fn dashboard(
        &self,
        query: &DashboardQuery,
    ) -> Result<Option<CachedDashboard>, sqlx::Error> {
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT body, fetched_at_ms FROM dashboards WHERE view = $1")
                .bind(view_key(query))
                .fetch_optional(&self.pool())
                .await?;
        Ok(row.and_then(|(body, at)| {
            Some(CachedDashboard {
                dashboard: serde_json::from_str(&body).ok()?,
                fetched_at: DateTime::from_timestamp_millis(at)?,
            })
        }))
    }

    /// Keeps the server's answer for `query`'s view, replacing the last one.
    pub async fn store_dashboard(
        &self,
        query: &DashboardQuery,
        cached: &CachedDashboard,
    ) -> Result<(), sqlx::Error> {
        let body = serde_json::to_string(&cached.dashboard)
            .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        sqlx::query(
            "INSERT INTO dashboards (view, body, fetched_at_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (view) DO UPDATE SET body = excluded.body, fetched_at_ms = excluded.fetched_at_ms",
        )
        .bind(view_key(query))
        .bind(body)
        .bind(cached.fetched_at.timestamp_millis())
        .execute(&self.pool())
        .await?;
        Ok(())
    }
}
