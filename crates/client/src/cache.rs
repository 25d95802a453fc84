//! The per-profile SQLite cache the dashboard paints from at start-up.
//! Licenses are kept as the API's own JSON (a few hundred rows); claims as
//! columns, so a million of them load without parsing JSON; the server's
//! dashboard answers next to them, so the Dashboard paints the server's
//! figures before any claim is read. Opening checks only the header and schema version, so it costs
//! the same for any size; the full integrity check ([`Cache::verify`]) runs
//! in the background after the first paint. A bad file is deleted and
//! rebuilt: the cache is only ever a copy of the server.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use futures::TryStreamExt as _;
use seatdesk_core::api::inventory::License;
use seatdesk_core::api::seats::Claim;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, Sqlite, Transaction};

mod dashboards;
pub mod rows;
mod write;

pub use dashboards::{CachedDashboard, view_key};
pub use write::{CacheWrite, INSERT_BATCH};

use crate::claim_row::{ClaimRow, Interner};
use rows::{CLAIMS_TABLE, SELECT_CLAIM_ROWS, SELECT_CLAIMS, claim_from_row, claim_row_from_row};

/// Bump when the tables change; older files are rebuilt.
/// 2: claims as columns, per-license claim counts.
/// 3: the server's dashboard answers per view instead of claim counts.
pub const SCHEMA_VERSION: i64 = 3;

const SCHEMA: &[&str] = &[
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE licenses (id INTEGER PRIMARY KEY, product_id INTEGER NOT NULL, body TEXT NOT NULL)",
    CLAIMS_TABLE,
    "CREATE INDEX claims_by_license ON claims (license_id)",
    "CREATE TABLE claim_days (license_id INTEGER NOT NULL, day INTEGER NOT NULL, n INTEGER NOT NULL, \
     PRIMARY KEY (license_id, day)) WITHOUT ROWID",
    dashboards::DASHBOARDS_TABLE,
];

/// Why an existing cache file was thrown away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rebuilt {
    /// Opening or reading it failed (not a database, truncated…).
    Unreadable(String),
    IntegrityCheck(String),
    SchemaVersion {
        found: Option<i64>,
    },
}

impl std::fmt::Display for Rebuilt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rebuilt::Unreadable(why) => write!(f, "unreadable: {why}"),
            Rebuilt::IntegrityCheck(why) => write!(f, "failed its integrity check: {why}"),
            Rebuilt::SchemaVersion { found } => {
                write!(f, "schema version {found:?}, expected {SCHEMA_VERSION}")
            }
        }
    }
}

/// Everything in the cache, loaded in one go (after a full sync, in tests).
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub licenses: Vec<License>,
    pub claims: Vec<Claim>,
    /// The change-feed position the rows reflect; 0 before the first sync.
    pub last_seq: i64,
    pub last_sync: Option<DateTime<Utc>>,
}

/// What the dashboard paints first: everything but the claims themselves.
/// Small at any cache size.
#[derive(Debug, Clone, Default)]
pub struct Head {
    pub licenses: Vec<License>,
    /// Claims in the cache, to size the load.
    pub claims: u64,
    pub last_seq: i64,
    pub last_sync: Option<DateTime<Utc>>,
}

/// Rows changed by a delta sync. Claims of `claims_of` and of
/// `gone_licenses` replace every claim of those licenses held in memory.
#[derive(Debug, Clone, Default)]
pub struct Patch {
    pub licenses: Vec<License>,
    pub gone_licenses: Vec<i64>,
    pub claims_of: Vec<i64>,
    pub claims: Vec<Claim>,
    pub last_sync: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug)]
pub struct Cache {
    /// Swapped for a fresh pool when the file is rebuilt, so every clone
    /// (the sync, the loader) follows.
    pool: Arc<RwLock<SqlitePool>>,
    path: PathBuf,
    /// Set when opening had to replace a bad file.
    pub rebuilt: Option<Rebuilt>,
}

/// True for errors that mean the file itself is damaged, so rebuilding it
/// (rather than retrying) is the cure.
pub fn is_corruption(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            // SQLITE_CORRUPT (11) and SQLITE_NOTADB (26), with extended codes.
            let code = db.code().and_then(|c| c.parse::<i64>().ok()).unwrap_or(0);
            matches!(code & 0xff, 11 | 26)
                || db.message().contains("malformed")
                || db.message().contains("not a database")
        }
        _ => false,
    }
}

impl Cache {
    /// Opens (or creates) the cache at `path`, rebuilding a file that is
    /// unreadable or of another schema version. Reads a few pages whatever
    /// the file's size: damage elsewhere is found by [`Cache::verify`].
    pub async fn open(path: &Path) -> Result<Cache, sqlx::Error> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
        }
        let existed = path.exists();
        let problem = match Cache::try_open(path).await {
            Ok(cache) => match cache.check().await {
                Ok(None) => return Ok(cache),
                Ok(Some(problem)) => {
                    cache.pool().close().await;
                    problem
                }
                Err(error) => {
                    cache.pool().close().await;
                    Rebuilt::Unreadable(error.to_string())
                }
            },
            Err(error) => Rebuilt::Unreadable(error.to_string()),
        };
        if existed {
            tracing::warn!(path = %path.display(), ?problem, "rebuilding the local cache");
        }
        let pool = Cache::fresh(path).await?;
        Ok(Cache {
            pool: Arc::new(RwLock::new(pool)),
            path: path.to_path_buf(),
            rebuilt: existed.then_some(problem),
        })
    }

    async fn connect(path: &Path) -> Result<SqlitePool, sqlx::Error> {
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
        SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
    }

    async fn try_open(path: &Path) -> Result<Cache, sqlx::Error> {
        Ok(Cache {
            pool: Arc::new(RwLock::new(Cache::connect(path).await?)),
            path: path.to_path_buf(),
            rebuilt: None,
        })
    }

    /// Deletes the file at `path` and creates an empty current one.
    async fn fresh(path: &Path) -> Result<SqlitePool, sqlx::Error> {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(file));
        }
        let pool = Cache::connect(path).await?;
        let mut tx = pool.begin().await?;
        for statement in SCHEMA {
            sqlx::query(*statement).execute(&mut *tx).await?;
        }
        set_meta(&mut tx, "schema_version", &SCHEMA_VERSION.to_string()).await?;
        tx.commit().await?;
        Ok(pool)
    }

    fn pool(&self) -> SqlitePool {
        self.pool
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// None when the file opens and has the current schema; an empty new
    /// file has no schema yet and is reported as such so `open` creates it.
    async fn check(&self) -> Result<Option<Rebuilt>, sqlx::Error> {
        let pool = self.pool();
        let has_meta: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
        )
        .fetch_one(&pool)
        .await?;
        if has_meta == 0 {
            return Ok(Some(Rebuilt::SchemaVersion { found: None }));
        }
        let found: Option<String> =
            sqlx::query_scalar("SELECT value FROM meta WHERE key = 'schema_version'")
                .fetch_optional(&pool)
                .await?;
        let found = found.and_then(|v| v.parse::<i64>().ok());
        if found != Some(SCHEMA_VERSION) {
            return Ok(Some(Rebuilt::SchemaVersion { found }));
        }
        // The last pages of the file: reading them fails on a file cut short.
        sqlx::query("SELECT COUNT(*) FROM licenses")
            .fetch_one(&pool)
            .await?;
        sqlx::query("SELECT id FROM claims ORDER BY id DESC LIMIT 1")
            .fetch_optional(&pool)
            .await?;
        Ok(None)
    }

    /// SQLite's integrity check over the whole file (seconds for a large
    /// cache: run it in the background). A damaged file is rebuilt empty,
    /// and the reason returned; the caller then syncs afresh.
    pub async fn verify(&self) -> Result<Option<Rebuilt>, sqlx::Error> {
        let verdict = sqlx::query_scalar::<_, String>("PRAGMA quick_check")
            .fetch_one(&self.pool())
            .await;
        let problem = match verdict {
            Ok(verdict) if verdict == "ok" => return Ok(None),
            Ok(verdict) => Rebuilt::IntegrityCheck(verdict),
            Err(error) if is_corruption(&error) => Rebuilt::IntegrityCheck(error.to_string()),
            Err(error) => return Err(error),
        };
        self.rebuild(&problem).await?;
        Ok(Some(problem))
    }

    /// Throws the file away and starts an empty one in its place (every
    /// clone of this cache follows). The next sync is a full one.
    pub async fn rebuild(&self, why: &Rebuilt) -> Result<(), sqlx::Error> {
        tracing::warn!(path = %self.path.display(), ?why, "rebuilding the local cache");
        let old = self.pool();
        old.close().await;
        let pool = Cache::fresh(&self.path).await?;
        *self
            .pool
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = pool;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub async fn close(&self) {
        self.pool().close().await;
    }

    /// Everything but the claims: licenses, the claim total and the feed
    /// position. Costs the same for ten claims or a million.
    pub async fn head(&self) -> Result<Head, sqlx::Error> {
        let pool = self.pool();
        let licenses = sqlx::query_scalar::<_, String>("SELECT body FROM licenses ORDER BY id")
            .fetch_all(&pool)
            .await?
            .iter()
            .filter_map(|body| serde_json::from_str(body).ok())
            .collect();
        Ok(Head {
            licenses,
            claims: self
                .meta("claims")
                .await?
                .and_then(|n| n.parse().ok())
                .unwrap_or(0),
            last_seq: self.last_seq().await?,
            last_sync: self.last_sync().await?,
        })
    }

    /// Streams every claim in id order as compact rows (names shared),
    /// `chunk` at a time, into `each`, then calls `done` with the count.
    /// One query, so the rows are one consistent snapshot: a sync waits
    /// for the connection until `done` has run, so anything it reports
    /// later comes after the last chunk.
    pub async fn claims_in_chunks(
        &self,
        chunk: usize,
        mut each: impl FnMut(Vec<ClaimRow>),
        done: impl FnOnce(usize),
    ) -> Result<usize, sqlx::Error> {
        let pool = self.pool();
        let mut rows =
            sqlx::query(AssertSqlSafe(format!("{SELECT_CLAIM_ROWS} ORDER BY id"))).fetch(&pool);
        let mut names = Interner::default();
        let mut batch = Vec::with_capacity(chunk);
        let mut total = 0;
        while let Some(row) = rows.try_next().await? {
            if let Some(claim) = claim_row_from_row(&row, &mut names)? {
                batch.push(claim);
            }
            if batch.len() == chunk {
                total += batch.len();
                each(std::mem::replace(&mut batch, Vec::with_capacity(chunk)));
            }
        }
        total += batch.len();
        if !batch.is_empty() {
            each(batch);
        }
        done(total);
        drop(rows);
        Ok(total)
    }

    /// All cached rows at once, as full claims.
    pub async fn load(&self) -> Result<Snapshot, sqlx::Error> {
        let head = self.head().await?;
        let pool = self.pool();
        let mut rows =
            sqlx::query(AssertSqlSafe(format!("{SELECT_CLAIMS} ORDER BY id"))).fetch(&pool);
        let mut claims = Vec::with_capacity(head.claims as usize);
        while let Some(row) = rows.try_next().await? {
            claims.extend(claim_from_row(&row)?);
        }
        drop(rows);
        Ok(Snapshot {
            licenses: head.licenses,
            claims,
            last_seq: head.last_seq,
            last_sync: head.last_sync,
        })
    }

    pub async fn last_seq(&self) -> Result<i64, sqlx::Error> {
        Ok(self
            .meta("last_seq")
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    pub async fn last_sync(&self) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        Ok(self
            .meta("last_sync_ms")
            .await?
            .and_then(|v| v.parse().ok())
            .and_then(DateTime::from_timestamp_millis))
    }

    async fn meta(&self, key: &str) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
            .bind(key.to_string())
            .fetch_optional(&self.pool())
            .await
    }

    /// The rows a delta sync touched, for merging into what is on screen.
    pub async fn load_patch(&self, touched: &crate::sync::Refetch) -> Result<Patch, sqlx::Error> {
        let pool = self.pool();
        let mut patch = Patch {
            claims_of: touched.claims_of.iter().copied().collect(),
            ..Patch::default()
        };
        for &id in &touched.licenses {
            let body: Option<String> =
                sqlx::query_scalar("SELECT body FROM licenses WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&pool)
                    .await?;
            match body.and_then(|b| serde_json::from_str(&b).ok()) {
                Some(license) => patch.licenses.push(license),
                None => patch.gone_licenses.push(id),
            }
        }
        for &id in &touched.claims_of {
            let rows = sqlx::query(AssertSqlSafe(format!(
                "{SELECT_CLAIMS} WHERE license_id = $1"
            )))
            .bind(id)
            .fetch_all(&pool)
            .await?;
            for row in &rows {
                patch.claims.extend(claim_from_row(row)?);
            }
        }
        for &id in &touched.claims {
            if let Some(claim) = self.claim(id).await? {
                patch.claims.push(claim);
            }
        }
        patch.last_sync = self.last_sync().await?;
        Ok(patch)
    }

    pub async fn claim(&self, id: i64) -> Result<Option<Claim>, sqlx::Error> {
        let row = sqlx::query(AssertSqlSafe(format!("{SELECT_CLAIMS} WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.pool())
            .await?;
        Ok(match row {
            Some(row) => claim_from_row(&row)?,
            None => None,
        })
    }

    /// Starts a batch of writes that land together or not at all.
    pub async fn begin(&self) -> Result<CacheWrite, sqlx::Error> {
        Ok(CacheWrite::new(self.pool().begin().await?))
    }
}

async fn set_meta(
    tx: &mut Transaction<'static, Sqlite>,
    key: &str,
    value: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key.to_string())
    .bind(value.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
