//! API tokens as stored: minting one (by the hash of its secret), finding
//! the caller a secret stands for, listing and revoking them.

use seatdesk_core::Role;
use seatdesk_core::api::TokenInfo;

use crate::db::sql::{Sql, Target};
use crate::db::types::{Named, Stamp};
use crate::db::{Conn, Pool};
use crate::domain::scope::Scope;

/// Inserts a token whose secret hashes to `secret_hash` and returns its id.
pub async fn insert(
    conn: &mut Conn,
    name: &str,
    secret_hash: &str,
    role: Role,
    org_id: i64,
    now: Stamp,
    expires_at: Option<Stamp>,
) -> Result<i64, sqlx::Error> {
    crate::db::query_scalar(
        "INSERT INTO tokens (name, secret_hash, role, org_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(name)
    .bind(secret_hash)
    .bind(role.as_str())
    .bind(org_id)
    .bind(now)
    .bind(expires_at)
    .fetch_one(conn)
    .await
}

/// A live token as authentication reads it.
#[derive(sqlx::FromRow)]
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
    /// When the token was last recorded as used (see [`touch`]).
    pub last_used_at: Option<Stamp>,
}

/// The unrevoked, unexpired (at `now`) token whose secret hashes to
/// `secret_hash`. Read from the database on every request, so a revocation
/// or expiry holds at once on every replica.
pub async fn caller(
    pool: &Pool,
    secret_hash: &str,
    now: Stamp,
) -> Result<Option<Caller>, sqlx::Error> {
    crate::db::query_as(
        "SELECT t.id AS token_id, t.name AS token_name, t.role, t.org_id, o.path AS org_path, \
         (SELECT seq FROM audit_head WHERE id = 1) AS feed_head, t.last_used_at FROM tokens t \
         JOIN orgs o ON o.id = t.org_id \
         WHERE t.secret_hash = $1 AND t.revoked_at IS NULL \
         AND (t.expires_at IS NULL OR t.expires_at > $2)",
    )
    .bind(secret_hash)
    .bind(now)
    .fetch_optional(pool)
    .await
}

/// Records that token `id` was used at `now`, unless it was already
/// recorded after `since` (so a busy token writes once a minute, not on
/// every request).
pub async fn touch(pool: &Pool, id: i64, now: Stamp, since: Stamp) -> Result<(), sqlx::Error> {
    crate::db::query(
        "UPDATE tokens SET last_used_at = $1 WHERE id = $2 \
         AND (last_used_at IS NULL OR last_used_at < $3)",
    )
    .bind(now)
    .bind(id)
    .bind(since)
    .execute(pool)
    .await?;
    Ok(())
}

const TOKEN_SELECT: &str = "SELECT t.id, t.name, t.role, t.org_id, o.name AS org_name, \
    o.path AS org_path, t.created_at, t.last_used_at, t.expires_at, t.revoked_at \
    FROM tokens t JOIN orgs o ON o.id = t.org_id";

/// A token as listed.
#[derive(sqlx::FromRow)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub role: Named<Role>,
    pub org_id: i64,
    pub org_name: String,
    pub org_path: String,
    pub created_at: Stamp,
    pub last_used_at: Option<Stamp>,
    pub expires_at: Option<Stamp>,
    pub revoked_at: Option<Stamp>,
}

impl TokenRow {
    pub fn into_api(self) -> TokenInfo {
        TokenInfo {
            id: self.id,
            name: self.name,
            role: self.role.0,
            org_id: self.org_id,
            org_name: self.org_name,
            created_at: self.created_at.0,
            last_used_at: self.last_used_at.map(|s| s.0),
            expires_at: self.expires_at.map(|s| s.0),
            revoked_at: self.revoked_at.map(|s| s.0),
        }
    }
}

/// The tokens of orgs in `scope`, by id.
pub async fn list<'c>(
    target: impl Into<Target<'c>>,
    scope: &Scope,
) -> Result<Vec<TokenRow>, sqlx::Error> {
    let mut sql = Sql::new(TOKEN_SELECT);
    sql.push(" WHERE ")
        .push(&scope.sql("o.path"))
        .push(" ORDER BY t.id");
    sql.query_as().fetch_all(target).await
}

/// Token `id`, whatever its org.
pub async fn token(conn: &mut Conn, id: i64) -> Result<Option<TokenRow>, sqlx::Error> {
    let mut sql = Sql::new(TOKEN_SELECT);
    sql.push(" WHERE t.id = ").bind(id);
    sql.query_as().fetch_optional(conn).await
}

/// Revokes token `id` at `now`; false when it was already revoked.
pub async fn revoke(conn: &mut Conn, id: i64, now: Stamp) -> Result<bool, sqlx::Error> {
    let done =
        crate::db::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}
