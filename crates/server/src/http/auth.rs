//! Bearer-token authentication and the role/subtree checks every handler
//! makes. Tokens are random, shown once, and stored as SHA-256 hashes.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use seatdesk_core::{Permission, Role};

use crate::AppState;
use crate::error::ApiError;
use crate::tokens::hash_secret;

/// The caller, as established from its token.
#[derive(Debug, Clone)]
pub struct Auth {
    pub token_id: i64,
    pub token_name: String,
    pub role: Role,
    pub org_id: i64,
    /// Materialised path of the token's org; its subtree is this prefix.
    pub org_path: String,
    /// The audit feed head when the token was checked, read in the same
    /// statement: answers cached against the head (see
    /// [`crate::feed_cache`]) need no second round trip to validate.
    pub feed_head: i64,
}

impl Auth {
    /// Refuses with 403 unless the role allows `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if self.role.allows(permission) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "a {} token may not {}",
                self.role,
                describe(permission)
            )))
        }
    }

    /// `LIKE` pattern matching every org path inside the token's subtree.
    pub fn scope_pattern(&self) -> String {
        format!("{}%", self.org_path)
    }

    /// [`Auth::scope_pattern`] as a quoted SQL literal, for hot queries.
    ///
    /// A bound `LIKE` pattern costs twice: SQLite recompiles a statement on
    /// every new binding of a `LIKE` right-hand side (the value may change
    /// the plan), and PostgreSQL's generic plan guesses a pattern matches
    /// 0.5% of rows, so a root token's keyset walk over every claim was
    /// planned as "sort them all". Written out, the pattern is planned with
    /// its real selectivity and the statement stays cached per scope.
    pub fn scope_literal(&self) -> Result<String, ApiError> {
        subtree_literal(&self.org_path)
    }

    pub fn in_scope(&self, org_path: &str) -> bool {
        org_path.starts_with(&self.org_path)
    }

    /// The name recorded as actor in audit events.
    pub fn actor(&self) -> String {
        format!("token:{}", self.token_name)
    }
}

/// `'<path>%'`: the SQL literal matching every org path under `path`,
/// which must look as the server writes paths (`/id/id/…/`, digits and
/// slashes); anything else is refused rather than pasted into SQL.
pub fn subtree_literal(path: &str) -> Result<String, ApiError> {
    if path.bytes().all(|b| b.is_ascii_digit() || b == b'/') {
        Ok(format!("'{path}%'"))
    } else {
        Err(ApiError::internal(format!(
            "org path {path:?} is malformed"
        )))
    }
}

fn describe(permission: Permission) -> &'static str {
    match permission {
        Permission::Read => "read this",
        Permission::Triage => "run help-desk checks",
        Permission::ManageSeats => "assign, revoke or restore seats",
        Permission::ManageCodes => "generate or export codes",
        Permission::ManageUsers => "change users or role rules",
        Permission::ManageInventory => "change orgs, accounts or licenses",
        Permission::ToggleLicense => "activate or deactivate licenses",
        Permission::SubmitRequest => "submit license requests",
        Permission::DecideRequest => "approve or reject requests",
        Permission::ManageTokens => "create tokens",
        Permission::ManageCatalog => "change the product catalogue",
        Permission::ManageWebhooks => "manage webhooks",
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("send Authorization: Bearer <token>"))?
            .to_str()
            .map_err(|_| ApiError::unauthorized("the Authorization header is not readable"))?;
        let secret = header
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be 'Bearer <token>'")
            })?;
        let row: Option<(i64, String, String, i64, String, i64)> = sqlx::query_as(
            "SELECT t.id, t.name, t.role, t.org_id, o.path, \
             (SELECT seq FROM audit_head WHERE id = 1) FROM tokens t \
             JOIN orgs o ON o.id = t.org_id \
             WHERE t.secret_hash = $1 AND t.revoked_at IS NULL",
        )
        .bind(hash_secret(secret))
        .fetch_optional(&state.db.pool)
        .await?;
        let (token_id, token_name, role, org_id, org_path, feed_head) =
            row.ok_or_else(|| ApiError::unauthorized("the token is unknown or revoked"))?;
        let role = Role::parse(&role).ok_or_else(|| {
            ApiError::internal(format!("token {token_id} has unknown role {role}"))
        })?;
        Ok(Auth {
            token_id,
            token_name,
            role,
            org_id,
            org_path,
            feed_head,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Auth;
    use seatdesk_core::Role;

    fn auth(org_path: &str) -> Auth {
        Auth {
            token_id: 1,
            token_name: "t".into(),
            role: Role::Reporter,
            org_id: 5,
            org_path: org_path.into(),
            feed_head: 0,
        }
    }

    #[test]
    fn scope_literal_quotes_server_written_paths_only() {
        assert_eq!(auth("/1/5/").scope_literal().unwrap(), "'/1/5/%'");
        assert!(
            auth("/1/5'; DROP TABLE seats; --/")
                .scope_literal()
                .is_err()
        );
        assert!(auth("/1/5%/").scope_literal().is_err());
    }
}
