//! Webhooks and their deliveries: registration, the fan-out cursor
//! (`last_seq`, advanced by a conditional UPDATE so replicas never fan a
//! range out twice) and the delivery queue (a delivery is leased by a
//! conditional UPDATE before it is sent).

use crate::db::types::{Flag, Stamp};
use crate::db::{Conn, Pool};
use crate::domain::scope::Scope;

/// A webhook with its delivery backlog.
#[derive(sqlx::FromRow)]
pub struct WebhookRow {
    pub id: i64,
    pub org_id: i64,
    pub org_path: String,
    pub url: String,
    pub events: String,
    pub active: Flag,
    pub last_seq: i64,
    pub last_status: Option<String>,
    pub last_delivery_at: Option<Stamp>,
    pub created_at: Stamp,
    pub pending: i64,
    pub failed: i64,
}

const WEBHOOK_SELECT: &str = "SELECT w.id, w.org_id, w.org_path, w.url, w.events, w.active, w.last_seq, \
    w.last_status, w.last_delivery_at, w.created_at, \
    (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.status = 'pending') AS pending, \
    (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.status = 'failed') AS failed \
    FROM webhooks w";

/// The webhook `id`, whatever its org.
pub async fn webhook(conn: &mut Conn, id: i64) -> Result<Option<WebhookRow>, sqlx::Error> {
    crate::db::query_as(format!("{WEBHOOK_SELECT} WHERE w.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Webhooks of `scope`, oldest first, at most 1000.
pub async fn webhooks_in(pool: &Pool, scope: &Scope) -> Result<Vec<WebhookRow>, sqlx::Error> {
    crate::db::query_as(format!(
        "{WEBHOOK_SELECT} WHERE {} ORDER BY w.id LIMIT 1000",
        scope.sql("w.org_path")
    ))
    .fetch_all(pool)
    .await
}

/// A webhook to register, active from the feed position `last_seq`.
pub struct NewWebhookRow<'a> {
    pub org_id: i64,
    pub org_path: &'a str,
    pub url: &'a str,
    /// Action patterns, comma-separated.
    pub events: String,
    pub secret: &'a str,
    pub last_seq: i64,
    pub created_by: &'a str,
    pub created_at: Stamp,
}

/// Inserts an active webhook; returns its id.
pub async fn insert_webhook(conn: &mut Conn, new: NewWebhookRow<'_>) -> Result<i64, sqlx::Error> {
    crate::db::query_scalar(
        "INSERT INTO webhooks (org_id, org_path, url, events, secret, active, last_seq, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, TRUE, $6, $7, $8) RETURNING id",
    )
    .bind(new.org_id)
    .bind(new.org_path)
    .bind(new.url)
    .bind(new.events)
    .bind(new.secret)
    .bind(new.last_seq)
    .bind(new.created_by)
    .bind(new.created_at)
    .fetch_one(conn)
    .await
}

pub async fn deactivate(conn: &mut Conn, id: i64) -> Result<(), sqlx::Error> {
    crate::db::query("UPDATE webhooks SET active = FALSE WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Where the webhook `id` posts and the secret it signs with.
pub async fn url_and_secret(conn: &mut Conn, id: i64) -> Result<(String, String), sqlx::Error> {
    crate::db::query_as("SELECT url, secret FROM webhooks WHERE id = $1")
        .bind(id)
        .fetch_one(conn)
        .await
}

/// One delivery of a webhook, as its history shows it.
#[derive(sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: i64,
    pub seq: i64,
    pub action: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Stamp,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: Stamp,
    pub delivered_at: Option<Stamp>,
}

/// Deliveries of `webhook_id` with id below `before`, newest first, at
/// most `limit + 1`.
pub async fn deliveries(
    conn: &mut Conn,
    webhook_id: i64,
    before: i64,
    limit: i64,
) -> Result<Vec<DeliveryRow>, sqlx::Error> {
    crate::db::query_as(
        "SELECT id, seq, action, status, attempts, next_attempt_at, last_status_code, last_error, \
         created_at, delivered_at FROM webhook_deliveries WHERE webhook_id = $1 AND id < $2 \
         ORDER BY id DESC LIMIT $3",
    )
    .bind(webhook_id)
    .bind(before)
    .bind(limit + 1)
    .fetch_all(conn)
    .await
}

/// An active webhook whose fan-out is behind the feed.
#[derive(sqlx::FromRow)]
pub struct Behind {
    pub id: i64,
    pub org_path: String,
    /// Action patterns, comma-separated.
    pub events: String,
    pub last_seq: i64,
}

/// Active webhooks that have not seen `head` yet, at most 1000.
pub async fn behind(pool: &Pool, head: i64) -> Result<Vec<Behind>, sqlx::Error> {
    crate::db::query_as(
        "SELECT id, org_path, events, last_seq FROM webhooks WHERE active AND last_seq < $1 ORDER BY id LIMIT 1000",
    )
    .bind(head)
    .fetch_all(pool)
    .await
}

/// Seq and action of the events of `scope` (and catalogue-wide ones) with
/// `after < seq <= head`, oldest first, at most `limit`.
pub async fn events_for(
    pool: &Pool,
    scope: &Scope,
    after: i64,
    head: i64,
    limit: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    crate::db::query_as(format!(
        "SELECT seq, action FROM audit_events WHERE seq > $1 AND seq <= $2 \
         AND ({} OR org_path = '/') ORDER BY seq LIMIT $3",
        scope.sql("org_path")
    ))
    .bind(after)
    .bind(head)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Moves the webhook's cursor from `from` to `to`; false when another
/// replica moved it first.
pub async fn advance(conn: &mut Conn, id: i64, from: i64, to: i64) -> Result<bool, sqlx::Error> {
    let advanced =
        crate::db::query("UPDATE webhooks SET last_seq = $1 WHERE id = $2 AND last_seq = $3")
            .bind(to)
            .bind(id)
            .bind(from)
            .execute(conn)
            .await?
            .rows_affected();
    Ok(advanced > 0)
}

/// Queues the delivery of event `seq`, due at once.
pub async fn insert_delivery(
    conn: &mut Conn,
    webhook_id: i64,
    seq: i64,
    action: String,
    at: Stamp,
) -> Result<(), sqlx::Error> {
    crate::db::query(
        "INSERT INTO webhook_deliveries (webhook_id, seq, action, status, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, 'pending', 0, $4, $4)",
    )
    .bind(webhook_id)
    .bind(seq)
    .bind(action)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A pending delivery that is due, with where to send it.
#[derive(sqlx::FromRow)]
pub struct Due {
    pub id: i64,
    pub webhook_id: i64,
    pub seq: i64,
    pub action: String,
    pub attempts: i64,
    pub next_attempt_at: Stamp,
    pub url: String,
    pub secret: String,
}

/// Pending deliveries of active webhooks due at `now`, earliest first, at
/// most `limit`.
pub async fn due(pool: &Pool, now: Stamp, limit: i64) -> Result<Vec<Due>, sqlx::Error> {
    crate::db::query_as(
        "SELECT d.id, d.webhook_id, d.seq, d.action, d.attempts, d.next_attempt_at, w.url, w.secret \
         FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
         WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND w.active \
         ORDER BY d.next_attempt_at, d.id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Reserves `delivery` until `until` by moving its due time; false when
/// another process reserved or sent it first.
pub async fn lease(pool: &Pool, delivery: &Due, until: Stamp) -> Result<bool, sqlx::Error> {
    let leased = crate::db::query(
        "UPDATE webhook_deliveries SET next_attempt_at = $1 WHERE id = $2 AND status = 'pending' AND next_attempt_at = $3",
    )
    .bind(until)
    .bind(delivery.id)
    .bind(delivery.next_attempt_at)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(leased > 0)
}

/// How one attempt of a delivery went.
pub struct Attempt {
    /// `delivered`, `pending` (to retry at `next_attempt_at`) or `failed`.
    pub status: &'static str,
    pub attempts: i64,
    pub next_attempt_at: Stamp,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub delivered_at: Option<Stamp>,
}

/// Records an attempt on the delivery and its webhook's last status.
pub async fn record_attempt(
    pool: &Pool,
    delivery: &Due,
    attempt: Attempt,
    summary: String,
    at: Stamp,
) -> Result<(), sqlx::Error> {
    crate::db::query(
        "UPDATE webhook_deliveries SET status = $1, attempts = $2, next_attempt_at = $3, \
         last_status_code = $4, last_error = $5, delivered_at = $6 WHERE id = $7",
    )
    .bind(attempt.status)
    .bind(attempt.attempts)
    .bind(attempt.next_attempt_at)
    .bind(attempt.status_code)
    .bind(attempt.error)
    .bind(attempt.delivered_at)
    .bind(delivery.id)
    .execute(pool)
    .await?;
    crate::db::query("UPDATE webhooks SET last_status = $1, last_delivery_at = $2 WHERE id = $3")
        .bind(summary)
        .bind(at)
        .bind(delivery.webhook_id)
        .execute(pool)
        .await?;
    Ok(())
}
