//! Sends due deliveries and records the outcome.

use std::time::{Duration, Instant};

use seatdesk_core::api::webhooks::WebhookTestResult;

use chrono::TimeDelta;

use crate::AppState;
use crate::db::now_ms;
use crate::db::types::Stamp;
use crate::store::webhooks::{self as store, Attempt, Due};
use crate::webhooks::{backoff, sign, target};

/// Deliveries sent per tick.
const BATCH: i64 = 50;
/// How long a claimed delivery is reserved for the process sending it.
const LEASE_MS: i64 = 60_000;

pub fn http_client(allow_private: bool) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let builder = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none());
    let builder = if allow_private {
        builder
    } else {
        builder.dns_resolver(std::sync::Arc::new(target::PublicOnly))
    };
    builder.build().unwrap_or_default()
}

/// POSTs one signed body; `Ok(status)` for any HTTP answer.
pub async fn post_signed(
    http: &reqwest::Client,
    allow_private: bool,
    url: &str,
    secret: &str,
    action: &str,
    delivery_id: i64,
    body: String,
) -> Result<u16, String> {
    // Names are checked after DNS by the client's resolver; an address in
    // the URL never reaches a resolver, so it is checked here.
    let parsed = reqwest::Url::parse(url).map_err(|e| e.to_string())?;
    target::check_url_host(&parsed, allow_private).map_err(|why| format!("{url} {why}"))?;
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

pub async fn deliver_due(state: &AppState, http: &reqwest::Client) -> Result<(), sqlx::Error> {
    let now = Stamp::now();
    let due = store::due(&state.db.pool, now, BATCH).await?;
    for delivery in due {
        let lease_end = Stamp(now.0 + TimeDelta::milliseconds(LEASE_MS));
        if !store::lease(&state.db.pool, &delivery, lease_end).await? {
            continue;
        }
        let body = event_body(state, delivery.seq).await?;
        let outcome = post_signed(
            http,
            state.config.webhook_allow_private,
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

/// The audit event as the change feed shows it.
async fn event_body(state: &AppState, seq: i64) -> Result<String, sqlx::Error> {
    let event = crate::store::audit::event(&state.db.pool, seq).await?;
    Ok(serde_json::json!({
        "seq": seq,
        "at": event.at.0,
        "actor": event.actor,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "before": event.before_json.map(|j| j.0),
        "after": event.after_json.map(|j| j.0),
        "request_id": event.request_id,
    })
    .to_string())
}

async fn record(
    state: &AppState,
    delivery: &Due,
    outcome: Result<u16, String>,
) -> Result<(), sqlx::Error> {
    let now = Stamp::now();
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
    let delay = backoff(state.config.webhook_backoff, attempts).as_millis() as i64;
    let attempt = Attempt {
        status,
        attempts,
        next_attempt_at: Stamp(now.0 + TimeDelta::milliseconds(delay)),
        status_code: code,
        error,
        delivered_at: (status == "delivered").then_some(now),
    };
    store::record_attempt(&state.db.pool, delivery, attempt, summary, now).await
}

/// Sends a signed `webhook.ping` now and reports how it went.
pub async fn ping(
    http: &reqwest::Client,
    allow_private: bool,
    url: &str,
    secret: &str,
    webhook_id: i64,
) -> WebhookTestResult {
    let started = Instant::now();
    let body = serde_json::json!({"action": "webhook.ping", "webhook_id": webhook_id, "at": chrono::Utc::now()}).to_string();
    let outcome = post_signed(http, allow_private, url, secret, "webhook.ping", 0, body).await;
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
