//! API token minting, shared by `POST /v1/tokens` and `seatdesk token create`.

use rand::Rng;
use rand::distr::Alphanumeric;
use seatdesk_core::Role;
use sha2::{Digest, Sha256};

use crate::db::Db;
use crate::db::types::Stamp;
use crate::store;
use crate::store::orgs::NewOrgRow;

/// A fresh secret: `sd_` and 40 CSPRNG alphanumerics (~238 bits).
pub fn new_secret() -> String {
    let body: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(40)
        .map(char::from)
        .collect();
    format!("sd_{body}")
}

/// Tokens carry enough entropy that a fast hash suffices; a slow KDF would
/// only slow every request.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("no org with id or name '{0}'")]
    UnknownOrg(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Inserts a token for `org_id` that does not expire and returns
/// `(id, secret)` (the bootstrap and test path).
pub async fn insert_token(
    conn: &mut crate::db::Conn,
    name: &str,
    role: Role,
    org_id: i64,
) -> Result<(i64, String), sqlx::Error> {
    insert_token_until(conn, name, role, org_id, None).await
}

/// Inserts a token for `org_id` working until `expires_at` (never: `None`)
/// and returns `(id, secret)`.
pub async fn insert_token_until(
    conn: &mut crate::db::Conn,
    name: &str,
    role: Role,
    org_id: i64,
    expires_at: Option<Stamp>,
) -> Result<(i64, String), sqlx::Error> {
    let secret = new_secret();
    let id = store::tokens::insert(
        conn,
        name,
        &hash_secret(&secret),
        role,
        org_id,
        Stamp::now(),
        expires_at,
    )
    .await?;
    Ok((id, secret))
}

/// Days an API-made token of `role` works when its maker does not say:
/// the more a role may do, the sooner its token must be replaced.
pub fn default_lifetime_days(role: Role) -> i64 {
    match role {
        Role::SystemAdmin => 90,
        Role::OrgAdmin => 180,
        _ => 365,
    }
}

/// When a token made now for `role` stops working, `days` (or the role's
/// default) from now.
pub fn expiry(role: Role, days: Option<i64>) -> Stamp {
    let days = days.unwrap_or_else(|| default_lifetime_days(role));
    Stamp(Stamp::now().0 + chrono::Duration::days(days))
}

/// Resolves an org given by id or exact name (for the command line).
pub async fn resolve_org(db: &Db, org: &str) -> Result<i64, TokenError> {
    let found = match org.parse::<i64>() {
        Ok(id) => store::orgs::id_if_exists(db, id).await?,
        Err(_) => store::orgs::id_by_name(db, org).await?,
    };
    found.ok_or_else(|| TokenError::UnknownOrg(org.to_string()))
}

/// Creates the root of an org tree on an empty database.
pub async fn create_root_org(
    db: &Db,
    name: &str,
    kind: seatdesk_core::OrgKind,
) -> Result<i64, sqlx::Error> {
    // One instant for the row and its event.
    let now = Stamp::now();
    let mut tx = db.begin_write().await?;
    let root = NewOrgRow {
        parent_id: None,
        kind,
        name,
        sourced_id: None,
    };
    let (id, path) = crate::domain::orgs::insert_org(&mut tx.tx, &root, "/", now).await?;
    let event = crate::store::audit::NewEvent {
        action: "org.create",
        target_type: "org",
        target_id: id,
        org_path: path,
        before: None,
        after: Some(serde_json::json!({ "name": name, "kind": kind })),
    };
    crate::store::audit::append(&mut tx.tx, &[event], "cli", "bootstrap", now).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn org_count(db: &Db) -> Result<i64, sqlx::Error> {
    store::orgs::count(db).await
}

/// Every token, by id (for `seatdesk token list --db`).
pub async fn list_all(db: &Db) -> Result<Vec<seatdesk_core::api::TokenInfo>, sqlx::Error> {
    let rows = store::tokens::list(db, &crate::domain::scope::Scope::root()).await?;
    Ok(rows.into_iter().map(|r| r.into_api()).collect())
}

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("no token {0}")]
    Unknown(i64),
    #[error("token {0} is already revoked")]
    Revoked(i64),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Revokes token `id` (unless already revoked) in `tx` and queues its
/// audit event; returns the row as it was.
async fn revoke_row(
    conn: &mut crate::db::Conn,
    id: i64,
    now: Stamp,
) -> Result<store::tokens::TokenRow, ChangeError> {
    let row = store::tokens::token(conn, id)
        .await?
        .ok_or(ChangeError::Unknown(id))?;
    if !store::tokens::revoke(conn, id, now).await? {
        return Err(ChangeError::Revoked(id));
    }
    Ok(row)
}

/// Revokes token `id` straight in the database, with its audit event
/// (`seatdesk token revoke --db`).
pub async fn revoke_in_db(db: &Db, id: i64) -> Result<(), ChangeError> {
    let now = Stamp::now();
    let mut tx = db.begin_write().await?;
    let row = revoke_row(&mut tx.tx, id, now).await?;
    let event = crate::store::audit::NewEvent {
        action: "token.revoke",
        target_type: "token",
        target_id: id,
        org_path: row.org_path.clone(),
        before: serde_json::to_value(row.into_api()).ok(),
        after: Some(serde_json::json!({ "revoked_at": now.0 })),
    };
    crate::store::audit::append(&mut tx.tx, &[event], "cli", "token-revoke", now).await?;
    tx.commit().await?;
    Ok(())
}

/// Revokes token `id` and mints its replacement (same name, role and org,
/// the role's default lifetime) straight in the database, with its audit
/// event; returns the new `(id, secret)` (`seatdesk token rotate --db`).
pub async fn rotate_in_db(db: &Db, id: i64) -> Result<(i64, String), ChangeError> {
    let now = Stamp::now();
    let mut tx = db.begin_write().await?;
    let row = revoke_row(&mut tx.tx, id, now).await?;
    let role = row.role.0;
    let expires_at = expiry(role, None);
    let (new_id, secret) =
        insert_token_until(&mut tx.tx, &row.name, role, row.org_id, Some(expires_at)).await?;
    let event = crate::store::audit::NewEvent {
        action: "token.rotate",
        target_type: "token",
        target_id: id,
        org_path: row.org_path.clone(),
        before: serde_json::to_value(row.into_api()).ok(),
        after: Some(serde_json::json!({ "replaced_by": new_id, "expires_at": expires_at.0 })),
    };
    crate::store::audit::append(&mut tx.tx, &[event], "cli", "token-rotate", now).await?;
    tx.commit().await?;
    Ok((new_id, secret))
}
