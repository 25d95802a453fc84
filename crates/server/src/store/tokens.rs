//! API tokens as stored: minting one (by the hash of its secret) and
//! finding the caller a secret stands for.

use seatdesk_core::Role;

use crate::db::types::Stamp;
use crate::db::{Conn, Pool};

/// Inserts a token whose secret hashes to `secret_hash` and returns its id.
pub async fn insert(
    conn: &mut Conn,
    name: &str,
    secret_hash: &str,
    role: Role,
    org_id: i64,
    now: Stamp,
) -> Result<i64, sqlx::Error> {
    crate::db::query_scalar(
        "INSERT INTO tokens (name, secret_hash, role, org_id, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(name)
    .bind(secret_hash)
    .bind(role.as_str())
    .bind(org_id)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// A live token as authentication reads it.
pub struct Caller {
    pub token_id: i64,
    pub token_name: String,
    /// The stored role name, checked by the caller.
    pub role: String,
    pub org_id: i64,
    pub org_path: String,
    /// The audit feed head, read in the same statement so answers cached
    /// against it need no second round trip.
    pub feed_head: i64,
}

/// The unrevoked token whose secret hashes to `secret_hash`.
pub async fn caller(pool: &Pool, secret_hash: &str) -> Result<Option<Caller>, sqlx::Error> {
    let row: Option<(i64, String, String, i64, String, i64)> = crate::db::query_as(
        "SELECT t.id, t.name, t.role, t.org_id, o.path, \
         (SELECT seq FROM audit_head WHERE id = 1) FROM tokens t \
         JOIN orgs o ON o.id = t.org_id \
         WHERE t.secret_hash = $1 AND t.revoked_at IS NULL",
    )
    .bind(secret_hash)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(
        |(token_id, token_name, role, org_id, org_path, feed_head)| Caller {
            token_id,
            token_name,
            role,
            org_id,
            org_path,
            feed_head,
        },
    ))
}
