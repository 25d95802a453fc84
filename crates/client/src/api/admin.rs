//! Help-desk triage, alerts, webhooks, roster import, and bulk revocation's
//! dry run.

use reqwest::Method;
use seatdesk_core::api::alerts::{AlertQuery, Alerts};
use seatdesk_core::api::imports::{ImportReport, OneRosterImport};
use seatdesk_core::api::seats::SeatIds;
use seatdesk_core::api::triage::{
    AccessCheck, AccessCheckQuery, DiscrepancyQuery, DiscrepancyReport,
};
use seatdesk_core::api::webhooks::{
    CreatedWebhook, NewWebhook, Webhook, WebhookDelivery, WebhookTestResult,
};
use seatdesk_core::api::{BulkResult, CreatedToken, Page, TokenInfo};

use super::ApiClient;
use crate::error::ClientError;

impl ApiClient {
    /// What a revocation of `seat_ids` would do, item by item, changing
    /// nothing (`?dry_run=true`).
    pub async fn revoke_dry_run(&self, seat_ids: Vec<i64>) -> Result<BulkResult, ClientError> {
        let body = serde_json::to_string(&SeatIds { seat_ids }).unwrap_or_default();
        let url = self.url("/v1/seats/revoke", &[("dry_run", "true".to_string())]);
        self.send(Method::POST, url, Some(body), None).await
    }

    /// What a restoration of `seat_ids` would do, item by item, changing
    /// nothing (`?dry_run=true`).
    pub async fn restore_dry_run(&self, seat_ids: Vec<i64>) -> Result<BulkResult, ClientError> {
        let body = serde_json::to_string(&SeatIds { seat_ids }).unwrap_or_default();
        let url = self.url("/v1/seats/restore", &[("dry_run", "true".to_string())]);
        self.send(Method::POST, url, Some(body), None).await
    }

    /// The help-desk access check of `user` (email or id) for `product`
    /// (SKU or id).
    pub async fn access_check(
        &self,
        user: &str,
        product: &str,
    ) -> Result<AccessCheck, ClientError> {
        let query = AccessCheckQuery {
            user: user.to_string(),
            product: product.to_string(),
        };
        self.get_with("/v1/access-check", &query).await
    }

    pub async fn discrepancies(
        &self,
        query: &DiscrepancyQuery,
    ) -> Result<DiscrepancyReport, ClientError> {
        self.get_with("/v1/discrepancies", query).await
    }

    pub async fn alerts(&self, query: &AlertQuery) -> Result<Alerts, ClientError> {
        self.get_with("/v1/alerts", query).await
    }

    pub async fn webhooks(&self) -> Result<Vec<Webhook>, ClientError> {
        self.get("/v1/webhooks", &[]).await
    }

    pub async fn create_webhook(
        &self,
        webhook: &NewWebhook,
        key: &str,
    ) -> Result<CreatedWebhook, ClientError> {
        self.post("/v1/webhooks", webhook, key).await
    }

    /// Tokens of the caller's subtree (never their secrets).
    pub async fn tokens(&self) -> Result<Vec<TokenInfo>, ClientError> {
        self.get("/v1/tokens", &[]).await
    }

    /// Revokes token `id` at once; the answer is its final state.
    pub async fn revoke_token(&self, id: i64, key: &str) -> Result<TokenInfo, ClientError> {
        self.mutate::<(), _>(Method::DELETE, &format!("/v1/tokens/{id}"), None, key)
            .await
    }

    /// Revokes token `id` and returns its replacement, secret included.
    pub async fn rotate_token(&self, id: i64, key: &str) -> Result<CreatedToken, ClientError> {
        self.post(
            &format!("/v1/tokens/{id}/rotate"),
            &serde_json::json!({}),
            key,
        )
        .await
    }

    /// Deactivates a webhook; the answer is its final state.
    pub async fn delete_webhook(&self, id: i64, key: &str) -> Result<Webhook, ClientError> {
        self.mutate::<(), _>(Method::DELETE, &format!("/v1/webhooks/{id}"), None, key)
            .await
    }

    pub async fn test_webhook(&self, id: i64, key: &str) -> Result<WebhookTestResult, ClientError> {
        self.post(
            &format!("/v1/webhooks/{id}/test"),
            &serde_json::json!({}),
            key,
        )
        .await
    }

    pub async fn webhook_deliveries(&self, id: i64) -> Result<Page<WebhookDelivery>, ClientError> {
        self.get(&format!("/v1/webhooks/{id}/deliveries"), &[])
            .await
    }

    /// One page of a webhook's deliveries, newest first; `before` is the
    /// previous page's `next_cursor`.
    pub async fn webhook_deliveries_page(
        &self,
        id: i64,
        before: Option<&str>,
        limit: u32,
    ) -> Result<Page<WebhookDelivery>, ClientError> {
        let mut query = vec![("limit", limit.to_string())];
        if let Some(before) = before {
            query.push(("before", before.to_string()));
        }
        self.get(&format!("/v1/webhooks/{id}/deliveries"), &query)
            .await
    }

    /// Imports (or with `dry_run` set, previews) a OneRoster 1.1 CSV set.
    pub async fn import_oneroster(
        &self,
        import: &OneRosterImport,
        key: &str,
    ) -> Result<ImportReport, ClientError> {
        self.post("/v1/imports/oneroster", import, key).await
    }
}
