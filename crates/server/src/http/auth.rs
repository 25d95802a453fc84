//! Bearer-token authentication and the role/subtree checks every handler
//! makes. Tokens are random, shown once, and stored as SHA-256 hashes.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use seatdesk_core::{Permission, Role};

use crate::AppState;
use crate::db::types::Stamp;
use crate::domain::scope::Scope;
use crate::error::ApiError;
use crate::tokens::hash_secret;

/// The caller, as established from its token.
#[derive(Debug, Clone)]
pub struct Auth {
    pub token_id: i64,
    pub token_name: String,
    pub role: Role,
    pub org_id: i64,
    /// The token's org subtree: nothing outside it is visible or changeable.
    pub scope: Scope,
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

    /// Whether `org_path` lies in the token's subtree.
    pub fn in_scope(&self, org_path: &str) -> bool {
        self.scope.contains(org_path)
    }

    /// The name recorded as actor in audit events.
    pub fn actor(&self) -> String {
        format!("token:{}", self.token_name)
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
        let secret = bearer_secret(header).ok_or_else(|| {
            ApiError::unauthorized("the Authorization header must be 'Bearer <token>'")
        })?;
        let now = Stamp::now();
        let caller = crate::store::tokens::caller(&state.db.pool, &hash_secret(secret), now)
            .await?
            .ok_or_else(|| ApiError::unauthorized("the token is unknown, revoked or expired"))?;
        // Last use is a hint for whoever reviews tokens: written beside the
        // request, so it neither delays nor refuses it.
        let since = Stamp(now.0 - chrono::Duration::minutes(1));
        let (pool, id) = (state.db.pool.clone(), caller.token_id);
        tokio::spawn(async move {
            if let Err(e) = crate::store::tokens::touch(&pool, id, now, since).await {
                tracing::warn!(token = id, "could not record the token's last use: {e}");
            }
        });
        let crate::store::tokens::Caller {
            token_id,
            token_name,
            role,
            org_id,
            org_path,
            feed_head,
        } = caller;
        let role = Role::parse(&role).ok_or_else(|| {
            ApiError::corrupt(format!("token {token_id} has unknown role {role}"))
        })?;
        crate::http::request_log::set_actor(&format!("token:{token_name}"));
        Ok(Auth {
            token_id,
            token_name,
            role,
            org_id,
            scope: Scope::new(&org_path)?,
            feed_head,
        })
    }
}

/// The token of an `Authorization: Bearer <token>` header. The scheme name
/// is case-insensitive (RFC 7235 section 2.1), so `bearer x` is accepted.
fn bearer_secret(header: &str) -> Option<&str> {
    let (scheme, secret) = header.trim().split_once(char::is_whitespace)?;
    let secret = secret.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !secret.is_empty()).then_some(secret)
}

#[cfg(test)]
mod bearer_tests {
    use super::bearer_secret;

    #[test]
    fn the_scheme_is_case_insensitive_and_the_token_is_required() {
        for header in ["Bearer abc", "bearer abc", "BEARER  abc ", " Bearer\tabc"] {
            assert_eq!(bearer_secret(header), Some("abc"), "{header:?}");
        }
        for header in ["Basic abc", "Bearer", "Bearer   ", "Bearerabc", ""] {
            assert_eq!(bearer_secret(header), None, "{header:?}");
        }
    }
}
