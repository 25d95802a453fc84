//! Online backup of a SQLite database: one consistent copy taken while the
//! server keeps serving (`VACUUM INTO` reads one snapshot; WAL mode lets
//! writers go on meanwhile), checked before it is called a backup.
//! PostgreSQL has `pg_dump` for this, which the README shows.

use std::path::{Path, PathBuf};

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, SqliteConnection};

use crate::store;

/// What a finished backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    pub path: PathBuf,
    pub bytes: u64,
    /// The change feed's head in the copy: a restored server continues
    /// the feed after it.
    pub feed_head: i64,
    /// The newest migration the copy holds.
    pub migration: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "seatdesk backup copies SQLite databases; for PostgreSQL use pg_dump \
         (pg_dump --format=custom --file FILE URL; restore with pg_restore --clean --dbname URL FILE)"
    )]
    NotSqlite,
    #[error("{0} already exists; choose a new file (a backup never overwrites)")]
    Exists(PathBuf),
    #[error("{0} is not a seatdesk database (no change feed)")]
    NotSeatdesk(String),
    #[error("the copy failed its integrity check: {0}")]
    Corrupt(String),
    #[error("no database at {0}")]
    Missing(String),
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Copies the SQLite database at `url` to `out`, a file that must not
/// exist yet, and checks the copy. The source is opened read-only: taking a
/// backup never migrates or otherwise changes the database.
pub async fn backup_sqlite(url: &str, out: &Path) -> Result<BackupSummary, BackupError> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or(BackupError::NotSqlite)?;
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    if !Path::new(path).is_file() {
        return Err(BackupError::Missing(path.to_string()));
    }
    if out.exists() {
        return Err(BackupError::Exists(out.to_path_buf()));
    }
    let mut source = open(Path::new(path), true).await?;
    if !store::backup::has_feed(&mut source).await? {
        return Err(BackupError::NotSeatdesk(path.to_string()));
    }
    let out_text = out
        .to_str()
        .ok_or_else(|| std::io::Error::other("the backup path is not UTF-8"))?;
    store::backup::vacuum_into(&mut source, out_text).await?;
    drop(source);

    let mut copy = open(out, true).await?;
    let verdict = store::backup::integrity_check(&mut copy).await?;
    if verdict != "ok" {
        return Err(BackupError::Corrupt(verdict));
    }
    let (feed_head, migration) = store::backup::feed_head_and_migration(&mut copy).await?;
    Ok(BackupSummary {
        path: out.to_path_buf(),
        bytes: std::fs::metadata(out)?.len(),
        feed_head,
        migration,
    })
}

async fn open(path: &Path, read_only: bool) -> Result<SqliteConnection, sqlx::Error> {
    SqliteConnectOptions::new()
        .filename(path)
        .read_only(read_only)
        .busy_timeout(std::time::Duration::from_secs(15))
        .connect()
        .await
}
