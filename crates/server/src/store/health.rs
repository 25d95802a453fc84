//! The statements behind liveness, readiness and identity: a ping, the
//! migration the database is at, and the caller's org.

use crate::db::{Db, Pool};

/// Answers when the database does.
pub async fn ping(pool: &Pool) -> Result<(), sqlx::Error> {
    crate::db::query("SELECT 1").execute(pool).await?;
    Ok(())
}

/// The newest migration applied to the database and the newest this
/// build embeds; a server is ready only when they are equal.
pub async fn migration_versions(db: &Db) -> Result<(i64, i64), sqlx::Error> {
    let applied: Option<i64> =
        crate::db::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&db.pool)
            .await?;
    Ok((applied.unwrap_or(0), db.embedded_migration()))
}

/// The name of org `id` (which must exist).
pub async fn org_name(pool: &Pool, id: i64) -> Result<String, sqlx::Error> {
    crate::db::query_scalar("SELECT name FROM orgs WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
}
