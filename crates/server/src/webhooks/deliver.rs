//! Sends due deliveries and records the outcome.

use std::time::{Duration, Instant};

use seatdesk_core::api::webhooks::WebhookTestResult;

use crate::AppState;
use crate::db::now_ms;
use crate::db::types::{JsonText, Stamp};
use crate::webhooks::{backoff, sign};

/// Deliveries sent per tick.
const BATCH: i64 = 50;
/// How long a claimed delivery is reserved for the process sending it.
const LEASE_MS: i64 = 60_000;

pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}

/// POSTs one signed body; `Ok(status)` for any HTTP answer.
pub async fn post_signed(
    http: &reqwest::Client,
    url: &str,
    secret: &str,
    action: &str,
    delivery_id: i64,
    body: String,
) -> Result<u16, String> {
    let timestamp = now_ms() / 1000;
    let signature = sign::signature(secret, timestamp, body.as_bytes());
    http.post(url)
        .header("content-type", "application/json")
        .header(sign::HEADER, signature)
        .header("Seatdesk-Event", action)
        .header("Seatdesk-Delivery", delivery_id.to_string())
        .body(body)
        .send()
        .await
        .map(|response| response.status().as_u16())
        .map_err(|error| {
            let mut text = error.to_string();
            let mut source = std::error::Error::source(&error);
            while let Some(inner) = source {
                text = format!("{text}: {inner}");
                source = inner.source();
            }
            text
        })
}

#[derive(sqlx::FromRow)]
struct Due {
    id: i64,
    webhook_id: i64,
    seq: i64,
    action: String,
    attempts: i64,
    next_attempt_at: i64,
    url: String,
    secret: String,
}

pub async fn deliver_due(state: &AppState, http: &reqwest::Client) -> Result<(), sqlx::Error> {
    let now = now_ms();
    let due: Vec<Due> = crate::db::query_as(
        "SELECT d.id, d.webhook_id, d.seq, d.action, d.attempts, d.next_attempt_at, w.url, w.secret \
         FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
         WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND w.active = 1 \
         ORDER BY d.next_attempt_at, d.id LIMIT $2",
    )
    .bind(now)
    .bind(BATCH)
    .fetch_all(&state.db.pool)
    .await?;
    for delivery in due {
        let leased = crate::db::query(
            "UPDATE webhook_deliveries SET next_attempt_at = $1 WHERE id = $2 AND status = 'pending' AND next_attempt_at = $3",
        )
        .bind(now + LEASE_MS)
        .bind(delivery.id)
        .bind(delivery.next_attempt_at)
        .execute(&state.db.pool)
        .await?
        .rows_affected();
        if leased == 0 {
            continue;
        }
        let body = event_body(state, delivery.seq).await?;
        let outcome = post_signed(
            http,
            &delivery.url,
            &delivery.secret,
            &delivery.action,
            delivery.id,
            body,
        )
        .await;
        record(state, &delivery, outcome).await?;
    }
    Ok(())
}

/// An audit event as stored.
type EventRow = (
    Stamp,
    String,
    String,
    String,
    i64,
    Option<JsonText<serde_json::Value>>,
    Option<JsonText<serde_json::Value>>,
    String,
);

/// The audit event as the change feed shows it.
async fn event_body(state: &AppState, seq: i64) -> Result<String, sqlx::Error> {
    let (at, actor, action, target_type, target_id, before, after, request_id): EventRow =
        crate::db::query_as(
            "SELECT at, actor, action, target_type, target_id, before_json, after_json, request_id \
         FROM audit_events WHERE seq = $1",
        )
        .bind(seq)
        .fetch_one(&state.db.pool)
        .await?;
    Ok(serde_json::json!({
        "seq": seq,
        "at": at.0,
        "actor": actor,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "before": before.map(|j| j.0),
        "after": after.map(|j| j.0),
        "request_id": request_id,
    })
    .to_string())
}

async fn record(
    state: &AppState,
    delivery: &Due,
    outcome: Result<u16, String>,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    let attempts = delivery.attempts + 1;
    let (status, code, error, summary) = match &outcome {
        Ok(code) if (200..300).contains(code) => (
            "delivered",
            Some(i64::from(*code)),
            None,
            format!("delivered {code}"),
        ),
        Ok(code) => (
            "pending",
            Some(i64::from(*code)),
            Some(format!("HTTP {code}")),
            format!("failed: HTTP {code}"),
        ),
        Err(error) => (
            "pending",
            None,
            Some(error.clone()),
            format!("failed: {error}"),
        ),
    };
    let gave_up = status == "pending" && attempts >= state.config.webhook_max_attempts;
    let status = if gave_up { "failed" } else { status };
    let next = now + backoff(state.config.webhook_backoff, attempts).as_millis() as i64;
    crate::db::query(
        "UPDATE webhook_deliveries SET status = $1, attempts = $2, next_attempt_at = $3, \
         last_status_code = $4, last_error = $5, delivered_at = $6 WHERE id = $7",
    )
    .bind(status)
    .bind(attempts)
    .bind(next)
    .bind(code)
    .bind(error)
    .bind((status == "delivered").then_some(now))
    .bind(delivery.id)
    .execute(&state.db.pool)
    .await?;
    crate::db::query("UPDATE webhooks SET last_status = $1, last_delivery_at = $2 WHERE id = $3")
        .bind(summary)
        .bind(now)
        .bind(delivery.webhook_id)
        .execute(&state.db.pool)
        .await?;
    Ok(())
}

/// Sends a signed `webhook.ping` now and reports how it went.
pub async fn ping(
    http: &reqwest::Client,
    url: &str,
    secret: &str,
    webhook_id: i64,
) -> WebhookTestResult {
    let started = Instant::now();
    let body = serde_json::json!({"action": "webhook.ping", "webhook_id": webhook_id, "at": chrono::Utc::now()}).to_string();
    let outcome = post_signed(http, url, secret, "webhook.ping", 0, body).await;
    let elapsed_ms = started.elapsed().as_millis() as u64;
    match outcome {
        Ok(code) => WebhookTestResult {
            delivered: (200..300).contains(&code),
            status_code: Some(code),
            error: (!(200..300).contains(&code)).then(|| format!("HTTP {code}")),
            elapsed_ms,
        },
        Err(error) => WebhookTestResult {
            delivered: false,
            status_code: None,
            error: Some(error),
            elapsed_ms,
        },
    }
}
