//! Idempotency keys: a write claims its caller's key first thing in its
//! transaction and stores the answer just before commit, so a retry with the
//! same key finds either the answer or a claim still in progress.

use crate::db::Conn;
use crate::db::types::Stamp;

/// Claims `key` for `token_id`; false when the key was already claimed.
pub async fn claim(
    conn: &mut Conn,
    token_id: i64,
    key: &str,
    fingerprint: &str,
    at: Stamp,
) -> Result<bool, sqlx::Error> {
    let claimed = crate::db::query(
        "INSERT INTO idempotency_keys (token_id, idem_key, fingerprint, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(token_id)
    .bind(key)
    .bind(fingerprint)
    .bind(at)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(claimed > 0)
}

/// Stores the answer to replay under a claimed key.
pub async fn store_answer(
    conn: &mut Conn,
    token_id: i64,
    key: &str,
    status: u16,
    body: String,
) -> Result<(), sqlx::Error> {
    crate::db::query(
        "UPDATE idempotency_keys SET status = $1, body = $2 WHERE token_id = $3 AND idem_key = $4",
    )
    .bind(i64::from(status))
    .bind(body)
    .bind(token_id)
    .bind(key)
    .execute(conn)
    .await?;
    Ok(())
}

/// What a claimed key holds; no status and body while its request runs.
#[derive(sqlx::FromRow)]
pub struct Stored {
    pub fingerprint: String,
    pub status: Option<i64>,
    pub body: Option<String>,
}

/// The claim of `key` (which must exist).
pub async fn stored(conn: &mut Conn, token_id: i64, key: &str) -> Result<Stored, sqlx::Error> {
    crate::db::query_as(
        "SELECT fingerprint, status, body FROM idempotency_keys WHERE token_id = $1 AND idem_key = $2",
    )
    .bind(token_id)
    .bind(key)
    .fetch_one(conn)
    .await
}
