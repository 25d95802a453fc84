//! Orgs below HTTP: resolving an org id inside a caller's subtree.

use crate::db::Conn;

use crate::domain::scope::Scope;
use crate::error::{ApiError, ApiResult};

/// The path of org `id` if it lies in `scope`, else 404 (an org outside
/// the subtree is not revealed).
pub async fn org_path_in_scope(conn: &mut Conn, scope: &Scope, id: i64) -> ApiResult<String> {
    let path: Option<String> = crate::db::query_scalar("SELECT path FROM orgs WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    path.filter(|p| scope.contains(p))
        .ok_or_else(|| ApiError::not_found(format!("org {id}")))
}
