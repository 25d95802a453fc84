//! Reclaim policies: listing, creating, pausing and resuming them, their dry
//! runs, runs and history, the summary the dashboard shows, and the products'
//! "seen" reports that mark a seat as in use.

use reqwest::Method;
use seatdesk_core::api::Page;
use seatdesk_core::api::reclaim::{
    NewReclaimPolicy, PolicyQuery, ReclaimPolicy, ReclaimReport, ReclaimRun, ReclaimSummary,
    RunQuery, SeenReport, SeenResult, SummaryQuery,
};

use super::ApiClient;
use crate::error::ClientError;

impl ApiClient {
    /// One page of the policies of the caller's subtree (or of `org_id`'s).
    pub async fn reclaim_policies(
        &self,
        query: &PolicyQuery,
    ) -> Result<Page<ReclaimPolicy>, ClientError> {
        self.get_with("/v1/reclaim/policies", query).await
    }

    pub async fn reclaim_policy(&self, id: i64) -> Result<ReclaimPolicy, ClientError> {
        self.get(&format!("/v1/reclaim/policies/{id}"), &[]).await
    }

    pub async fn create_reclaim_policy(
        &self,
        policy: &NewReclaimPolicy,
        key: &str,
    ) -> Result<ReclaimPolicy, ClientError> {
        self.post("/v1/reclaim/policies", policy, key).await
    }

    /// Pauses (`paused`) or resumes a policy's scheduled runs; the answer is
    /// its new state.
    pub async fn set_reclaim_paused(
        &self,
        id: i64,
        paused: bool,
        key: &str,
    ) -> Result<ReclaimPolicy, ClientError> {
        let verb = if paused { "pause" } else { "resume" };
        self.post(
            &format!("/v1/reclaim/policies/{id}/{verb}"),
            &serde_json::json!({}),
            key,
        )
        .await
    }

    /// Runs policy `id` now: frees its seats and records the run.
    pub async fn run_reclaim_policy(
        &self,
        id: i64,
        key: &str,
    ) -> Result<ReclaimReport, ClientError> {
        self.post(
            &format!("/v1/reclaim/policies/{id}/run"),
            &serde_json::json!({}),
            key,
        )
        .await
    }

    /// The seats a run of policy `id` would free now, and why, changing
    /// nothing (`?dry_run=true`).
    pub async fn reclaim_dry_run(&self, id: i64) -> Result<ReclaimReport, ClientError> {
        let url = self.url(
            &format!("/v1/reclaim/policies/{id}/run"),
            &[("dry_run", "true".to_string())],
        );
        self.send(Method::POST, url, Some("{}".to_string()), None)
            .await
    }

    /// One page of a policy's runs, newest first.
    pub async fn reclaim_runs(
        &self,
        id: i64,
        query: &RunQuery,
    ) -> Result<Page<ReclaimRun>, ClientError> {
        self.get_with(&format!("/v1/reclaim/policies/{id}/runs"), query)
            .await
    }

    /// How many seats the policies could reclaim now, for a dashboard view.
    pub async fn reclaim_summary(
        &self,
        query: &SummaryQuery,
    ) -> Result<ReclaimSummary, ClientError> {
        self.get_with("/v1/reclaim/summary", query).await
    }

    /// Records that the seats of `report` were used (a product's launch).
    pub async fn seats_seen(
        &self,
        report: &SeenReport,
        key: &str,
    ) -> Result<SeenResult, ClientError> {
        self.post("/v1/seats/seen", report, key).await
    }

    /// Records that seat `id` was used now (204, no body).
    pub async fn seat_seen(&self, id: i64, key: &str) -> Result<(), ClientError> {
        self.mutate_empty(Method::POST, &format!("/v1/seats/{id}/seen"), key)
            .await
    }
}
