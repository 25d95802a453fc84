//! The statements of an online SQLite backup (see [`crate::backup`]).

use sqlx::SqliteConnection;

/// True when the database holds seatdesk's change feed.
pub async fn has_feed(conn: &mut SqliteConnection) -> Result<bool, sqlx::Error> {
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'audit_head'",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(tables == 1)
}

/// Writes one consistent snapshot of the database into a new file.
pub async fn vacuum_into(conn: &mut SqliteConnection, out: &str) -> Result<(), sqlx::Error> {
    sqlx::query("VACUUM INTO ?")
        .bind(out)
        .execute(&mut *conn)
        .await
        .map(drop)
}

/// `PRAGMA integrity_check`'s first line: "ok", or the first problem.
pub async fn integrity_check(conn: &mut SqliteConnection) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut *conn)
        .await
}

/// The change feed's head and the newest applied migration.
pub async fn feed_head_and_migration(
    conn: &mut SqliteConnection,
) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "SELECT (SELECT seq FROM audit_head WHERE id = 1), \
         (SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success)",
    )
    .fetch_one(&mut *conn)
    .await
}
