//! Webhook endpoints: admins register HTTPS URLs for audit actions and see
//! how the last deliveries went.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /v1/webhooks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// `https://…`; plain `http://` only to a loopback host.
    #[schema(pattern = "^https?://")]
    pub url: String,
    /// Actions or action prefixes to deliver: `seat.revoke`, `seat`, `request.approve`,
    /// `code_batch.create`, `alert`, or `*` for everything.
    #[schema(min_items = 1, max_items = 50, value_type = Vec<crate::api::limits::EventFilter>)]
    pub events: Vec<String>,
    /// The org whose subtree's events are delivered; defaults to the token's org.
    #[serde(default)]
    pub org_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Webhook {
    pub id: i64,
    pub org_id: i64,
    pub url: String,
    pub events: Vec<String>,
    pub active: bool,
    /// The last audit seq this webhook has been fanned out to.
    pub last_seq: i64,
    /// `delivered 200`, `failed: connection refused`, … of the latest attempt.
    pub last_status: Option<String>,
    pub last_delivery_at: Option<DateTime<Utc>>,
    pub pending_deliveries: i64,
    pub failed_deliveries: i64,
    pub created_at: DateTime<Utc>,
}

/// Returned once, at registration: the signing secret is not shown again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreatedWebhook {
    pub webhook: Webhook,
    /// HMAC-SHA256 key. Each delivery carries
    /// `Seatdesk-Signature: t=<unix seconds>,v1=<hex hmac of "<t>.<body>">`.
    pub secret: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WebhookDelivery {
    pub id: i64,
    pub webhook_id: i64,
    pub seq: i64,
    pub action: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// `POST /v1/webhooks/{id}/test`: the outcome of one signed ping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WebhookTestResult {
    pub delivered: bool,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub elapsed_ms: u64,
}

/// Whether `action` is selected by the `events` patterns.
pub fn event_matches(patterns: &[String], action: &str) -> bool {
    patterns.iter().any(|p| {
        p == "*"
            || p == action
            || action
                .strip_prefix(p.as_str())
                .is_some_and(|rest| rest.starts_with('.'))
    })
}

#[cfg(test)]
mod tests {
    use super::event_matches;

    #[test]
    fn patterns_select_actions_by_name_or_prefix() {
        let p = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(event_matches(&p(&["seat"]), "seat.revoke"));
        assert!(event_matches(&p(&["seat.revoke"]), "seat.revoke"));
        assert!(!event_matches(&p(&["seat.revoke"]), "seat.restore"));
        assert!(!event_matches(&p(&["sea"]), "seat.revoke"));
        assert!(event_matches(&p(&["*"]), "license.activate"));
        assert!(!event_matches(&p(&[]), "license.activate"));
    }
}
