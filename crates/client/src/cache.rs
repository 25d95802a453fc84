//! The per-profile SQLite cache the dashboard paints from at start-up.
//! Rows are kept as the API's own JSON (one definition of each type) next to
//! the columns the sync needs to find them. A file that cannot be opened,
//! fails SQLite's integrity check, or has another schema version is deleted
//! and rebuilt: the cache is only ever a copy of the server.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, Utc};
use futures::TryStreamExt as _;
use seatdesk_core::api::inventory::License;
use seatdesk_core::api::seats::Claim;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{Sqlite, Transaction};

/// Bump when the tables change; older files are rebuilt.
pub const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &[&str] = &[
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE licenses (id INTEGER PRIMARY KEY, product_id INTEGER NOT NULL, body TEXT NOT NULL)",
    "CREATE TABLE claims (id INTEGER PRIMARY KEY, license_id INTEGER NOT NULL, product_id INTEGER NOT NULL, \
     status TEXT NOT NULL, user_name TEXT NOT NULL, user_email TEXT NOT NULL, assigned_at INTEGER NOT NULL, \
     claimed_at INTEGER, body TEXT NOT NULL)",
    "CREATE INDEX claims_by_license ON claims (license_id)",
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

/// Everything the dashboard needs from the cache, loaded in one go.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub licenses: Vec<License>,
    pub claims: Vec<Claim>,
    /// The change-feed position the rows reflect; 0 before the first sync.
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
    pool: SqlitePool,
    path: PathBuf,
    /// Set when opening had to replace a bad file.
    pub rebuilt: Option<Rebuilt>,
}

impl Cache {
    /// Opens (or creates) the cache at `path`, rebuilding a bad file.
    pub async fn open(path: &Path) -> Result<Cache, sqlx::Error> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
        }
        let existed = path.exists();
        let problem = match Cache::try_open(path).await {
            Ok(cache) => match cache.check().await {
                Ok(None) => return Ok(cache),
                Ok(Some(problem)) => {
                    cache.pool.close().await;
                    problem
                }
                Err(error) => {
                    cache.pool.close().await;
                    Rebuilt::Unreadable(error.to_string())
                }
            },
            Err(error) => Rebuilt::Unreadable(error.to_string()),
        };
        if existed {
            tracing::warn!(path = %path.display(), ?problem, "rebuilding the local cache");
        }
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(file));
        }
        let mut cache = Cache::try_open(path).await?;
        cache.create_schema().await?;
        cache.rebuilt = existed.then_some(problem);
        Ok(cache)
    }

    async fn try_open(path: &Path) -> Result<Cache, sqlx::Error> {
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        Ok(Cache {
            pool,
            path: path.to_path_buf(),
            rebuilt: None,
        })
    }

    /// None when the file is sound and current; an empty new file has no
    /// schema yet and is reported as such so `open` creates it.
    async fn check(&self) -> Result<Option<Rebuilt>, sqlx::Error> {
        let verdict: String = sqlx::query_scalar("PRAGMA quick_check")
            .fetch_one(&self.pool)
            .await?;
        if verdict != "ok" {
            return Ok(Some(Rebuilt::IntegrityCheck(verdict)));
        }
        let has_meta: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
        )
        .fetch_one(&self.pool)
        .await?;
        if has_meta == 0 {
            return Ok(Some(Rebuilt::SchemaVersion { found: None }));
        }
        let found: Option<String> =
            sqlx::query_scalar("SELECT value FROM meta WHERE key = 'schema_version'")
                .fetch_optional(&self.pool)
                .await?;
        let found = found.and_then(|v| v.parse::<i64>().ok());
        if found != Some(SCHEMA_VERSION) {
            return Ok(Some(Rebuilt::SchemaVersion { found }));
        }
        Ok(None)
    }

    async fn create_schema(&mut self) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        for statement in SCHEMA {
            sqlx::query(*statement).execute(&mut *tx).await?;
        }
        set_meta(&mut tx, "schema_version", &SCHEMA_VERSION.to_string()).await?;
        tx.commit().await
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// All cached rows, one query per table.
    pub async fn load(&self) -> Result<Snapshot, sqlx::Error> {
        let licenses = sqlx::query_scalar::<_, String>("SELECT body FROM licenses ORDER BY id")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .filter_map(|body| serde_json::from_str(body).ok())
            .collect();
        // Parsed as the rows stream in: holding every JSON body until the
        // last arrived would double the peak memory of a large cache.
        let mut rows = sqlx::query_scalar::<_, String>("SELECT body FROM claims ORDER BY id")
            .fetch(&self.pool);
        let mut claims = Vec::new();
        while let Some(body) = rows.try_next().await? {
            if let Ok(claim) = serde_json::from_str::<Claim>(&body) {
                claims.push(claim);
            }
        }
        drop(rows);
        Ok(Snapshot {
            licenses,
            claims,
            last_seq: self.last_seq().await?,
            last_sync: self.last_sync().await?,
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
            .fetch_optional(&self.pool)
            .await
    }

    /// The rows a delta sync touched, for merging into what is on screen.
    pub async fn load_patch(&self, touched: &crate::sync::Refetch) -> Result<Patch, sqlx::Error> {
        let mut patch = Patch {
            claims_of: touched.claims_of.iter().copied().collect(),
            ..Patch::default()
        };
        for &id in &touched.licenses {
            let body: Option<String> =
                sqlx::query_scalar("SELECT body FROM licenses WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
            match body.and_then(|b| serde_json::from_str(&b).ok()) {
                Some(license) => patch.licenses.push(license),
                None => patch.gone_licenses.push(id),
            }
        }
        for &id in &touched.claims_of {
            let bodies: Vec<String> =
                sqlx::query_scalar("SELECT body FROM claims WHERE license_id = $1")
                    .bind(id)
                    .fetch_all(&self.pool)
                    .await?;
            patch.claims.extend(
                bodies
                    .iter()
                    .filter_map(|b| serde_json::from_str::<Claim>(b).ok()),
            );
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
        let body: Option<String> = sqlx::query_scalar("SELECT body FROM claims WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(body.and_then(|b| serde_json::from_str(&b).ok()))
    }

    /// Starts a batch of writes that land together or not at all.
    pub async fn begin(&self) -> Result<CacheWrite, sqlx::Error> {
        Ok(CacheWrite {
            tx: self.pool.begin().await?,
        })
    }
}

/// One transaction of cache writes.
pub struct CacheWrite {
    tx: Transaction<'static, Sqlite>,
}

impl CacheWrite {
    /// Forgets every row (before a full reload).
    pub async fn clear(&mut self) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM claims")
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("DELETE FROM licenses")
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub async fn upsert_license(&mut self, license: &License) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO licenses (id, product_id, body) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET product_id = excluded.product_id, body = excluded.body",
        )
        .bind(license.id)
        .bind(license.product_id)
        .bind(serde_json::to_string(license).unwrap_or_default())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn delete_license(&mut self, id: i64) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM licenses WHERE id = $1")
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("DELETE FROM claims WHERE license_id = $1")
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub async fn upsert_claim(&mut self, claim: &Claim) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO claims (id, license_id, product_id, status, user_name, user_email, assigned_at, claimed_at, body) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (id) DO UPDATE SET license_id = excluded.license_id, product_id = excluded.product_id, \
             status = excluded.status, user_name = excluded.user_name, user_email = excluded.user_email, \
             assigned_at = excluded.assigned_at, claimed_at = excluded.claimed_at, body = excluded.body",
        )
        .bind(claim.id)
        .bind(claim.license_id)
        .bind(claim.product_id)
        .bind(claim.status.as_str().to_string())
        .bind(claim.user_name.clone())
        .bind(claim.user_email.clone())
        .bind(claim.assigned_at.timestamp_millis())
        .bind(claim.claimed_at.map(|t| t.timestamp_millis()))
        .bind(serde_json::to_string(claim).unwrap_or_default())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Drops the claims of `license_id` (before re-fetching them).
    pub async fn clear_claims_of(&mut self, license_id: i64) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM claims WHERE license_id = $1")
            .bind(license_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub async fn claim(&mut self, id: i64) -> Result<Option<Claim>, sqlx::Error> {
        let body: Option<String> = sqlx::query_scalar("SELECT body FROM claims WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(body.and_then(|b| serde_json::from_str(&b).ok()))
    }

    /// Records the feed position these writes bring the cache to.
    pub async fn set_synced(
        &mut self,
        last_seq: i64,
        at: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        set_meta(&mut self.tx, "last_seq", &last_seq.to_string()).await?;
        set_meta(
            &mut self.tx,
            "last_sync_ms",
            &at.timestamp_millis().to_string(),
        )
        .await
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
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
