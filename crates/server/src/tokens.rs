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

/// Inserts a token for `org_id` and returns `(id, secret)`.
pub async fn insert_token(
    conn: &mut crate::db::Conn,
    name: &str,
    role: Role,
    org_id: i64,
) -> Result<(i64, String), sqlx::Error> {
    let secret = new_secret();
    let id = store::tokens::insert(
        conn,
        name,
        &hash_secret(&secret),
        role,
        org_id,
        Stamp::now(),
    )
    .await?;
    Ok((id, secret))
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
