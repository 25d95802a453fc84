//! The database handle: a typed sqlx pool, `SqlitePool` or `PgPool`, chosen
//! by URL scheme, with the matching embedded migrations applied at start.
//!
//! Queries are written once with `$N` placeholders, which both drivers
//! accept, and run through [`sql`] on whichever typed driver the handle
//! holds; rows decode with each driver's own type checks. Each schema keeps
//! values in its database's own types: PostgreSQL `timestamptz`, `date`,
//! `boolean` and `jsonb` (migration 0011 converted the earlier columns);
//! SQLite unix milliseconds, ISO date text, 0/1 and JSON text. The two trees
//! hold the same tables and columns (a test compares them); [`types`] reads
//! and [`sql::Value`] writes each value the way its backend stores it.

pub mod sql;
pub mod types;

pub use sql::{query, query_as, query_scalar};

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Executor, PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// SQL for the instant 1970-01-01T00:00:00Z.
    pub fn epoch(self) -> &'static str {
        match self {
            Backend::Sqlite => "0",
            Backend::Postgres => "TIMESTAMPTZ 'epoch'",
        }
    }

    /// SQL for the unix milliseconds of the instant in `column` (a trusted
    /// column name): SQLite stores them; PostgreSQL stores `timestamptz`.
    pub fn epoch_ms(self, column: &str) -> String {
        match self {
            Backend::Sqlite => column.to_string(),
            Backend::Postgres => format!("(EXTRACT(EPOCH FROM {column}) * 1000)::bigint"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL '{0}': use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot create the database directory {path}: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("cannot apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// A typed pool of either backend.
#[derive(Clone, Debug)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Pool {
    pub fn backend(&self) -> Backend {
        match self {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// A connection from the pool, returned to it when dropped.
    pub async fn acquire(&self) -> Result<Conn, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(pool) => Conn::Sqlite(pool.acquire().await?),
            Pool::Postgres(pool) => Conn::Postgres(pool.acquire().await?),
        })
    }

    /// A transaction (for reads that must see one snapshot; writers use
    /// [`Db::begin_write`]).
    pub async fn begin(&self) -> Result<Conn, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(pool) => Conn::SqliteTx(pool.begin().await?),
            Pool::Postgres(pool) => Conn::PostgresTx(pool.begin().await?),
        })
    }

    /// A read-only transaction that sees one snapshot for its whole life,
    /// however long it streams: `REPEATABLE READ` on PostgreSQL; on SQLite
    /// (WAL) any read transaction keeps the snapshot its first read took.
    pub async fn begin_snapshot(&self) -> Result<Conn, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(pool) => Conn::SqliteTx(pool.begin().await?),
            Pool::Postgres(pool) => Conn::PostgresTx(
                pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await?,
            ),
        })
    }

    pub async fn close(&self) {
        match self {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

/// One connection of either backend: pooled, or inside a transaction.
/// Everything that runs SQL on a connection takes `&mut Conn`.
#[derive(Debug)]
pub enum Conn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
    SqliteTx(Transaction<'static, Sqlite>),
    PostgresTx(Transaction<'static, Postgres>),
}

impl Conn {
    pub fn backend(&self) -> Backend {
        match self {
            Conn::Sqlite(_) | Conn::SqliteTx(_) => Backend::Sqlite,
            Conn::Postgres(_) | Conn::PostgresTx(_) => Backend::Postgres,
        }
    }

    /// Commits a transaction; a plain connection has nothing to commit.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Conn::SqliteTx(tx) => tx.commit().await,
            Conn::PostgresTx(tx) => tx.commit().await,
            Conn::Sqlite(_) | Conn::Postgres(_) => Ok(()),
        }
    }

    /// Runs statements that take no values (several, `;`-separated, on SQLite).
    pub async fn execute_raw(&mut self, statements: &str) -> Result<(), sqlx::Error> {
        let statements = sqlx::AssertSqlSafe(statements.to_string());
        match self {
            Conn::Sqlite(conn) => conn.execute(statements).await.map(drop),
            Conn::SqliteTx(tx) => tx.execute(statements).await.map(drop),
            Conn::Postgres(conn) => conn.execute(statements).await.map(drop),
            Conn::PostgresTx(tx) => tx.execute(statements).await.map(drop),
        }
    }

    /// PostgreSQL: runs `statement`, a `COPY … FROM STDIN`, with `data` as
    /// its input; returns the rows copied. SQLite has no COPY.
    pub async fn copy_in(&mut self, statement: &str, data: &[u8]) -> Result<u64, sqlx::Error> {
        let conn: &mut sqlx::PgConnection = match self {
            Conn::Postgres(conn) => conn,
            Conn::PostgresTx(tx) => tx,
            Conn::Sqlite(_) | Conn::SqliteTx(_) => {
                return Err(sqlx::Error::Protocol("COPY needs PostgreSQL".into()));
            }
        };
        let mut copy = conn.copy_in_raw(statement).await?;
        copy.send(data).await?;
        copy.finish().await
    }
}

/// A cloneable handle to the pool.
#[derive(Clone)]
pub struct Db {
    pub pool: Pool,
    pub backend: Backend,
    /// SQLite allows one writer at a time; queueing writers here avoids
    /// busy-wait polling inside one process. Other processes still meet the
    /// busy timeout.
    sqlite_writer: Option<Arc<Semaphore>>,
}

/// A write transaction, holding the in-process writer slot on SQLite.
pub struct WriteTx {
    pub tx: Conn,
    _writer: Option<OwnedSemaphorePermit>,
}

impl std::ops::Deref for WriteTx {
    type Target = Conn;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Db {
    /// The newest migration this build embeds (the one applied is read by
    /// [`crate::store::health::migration_versions`]).
    pub fn embedded_migration(&self) -> i64 {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// Connects, creating a SQLite file (and its directory) if needed, and
    /// applies the embedded migrations.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(DbError::UnsupportedUrl(url.to_string()));
        };
        let url = match backend {
            Backend::Sqlite => prepare_sqlite_url(url)?,
            Backend::Postgres => url.to_string(),
        };
        let pool = match backend {
            Backend::Sqlite => {
                let options: SqliteConnectOptions = url.parse().map_err(DbError::Connect)?;
                let pool = SqlitePoolOptions::new()
                    .acquire_timeout(Duration::from_secs(30))
                    .max_connections(8)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                 PRAGMA busy_timeout = 15000; PRAGMA foreign_keys = ON;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await
                    .map_err(DbError::Connect)?;
                SQLITE_MIGRATIONS.run(&pool).await?;
                Pool::Sqlite(pool)
            }
            Backend::Postgres => {
                let options: PgConnectOptions = url.parse().map_err(DbError::Connect)?;
                let pool = PgPoolOptions::new()
                    .acquire_timeout(Duration::from_secs(30))
                    .max_connections(16)
                    .connect_with(options)
                    .await
                    .map_err(DbError::Connect)?;
                POSTGRES_MIGRATIONS.run(&pool).await?;
                Pool::Postgres(pool)
            }
        };
        Ok(Db {
            pool,
            backend,
            sqlite_writer: (backend == Backend::Sqlite).then(|| Arc::new(Semaphore::new(1))),
        })
    }

    /// Starts a transaction that will write. On SQLite it takes the write
    /// lock up front (`BEGIN IMMEDIATE`) so concurrent writers queue instead
    /// of failing on lock upgrade; on PostgreSQL row locks do the queueing.
    pub async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        let writer = match &self.sqlite_writer {
            Some(semaphore) => Some(
                semaphore
                    .clone()
                    .acquire_owned()
                    .await
                    .map_err(|_| sqlx::Error::PoolClosed)?,
            ),
            None => None,
        };
        let tx = match &self.pool {
            Pool::Sqlite(pool) => Conn::SqliteTx(pool.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(pool) => Conn::PostgresTx(pool.begin().await?),
        };
        Ok(WriteTx {
            tx,
            _writer: writer,
        })
    }
}

/// Turns `sqlite://path` into a URL that creates the file, and makes sure the
/// directory exists.
fn prepare_sqlite_url(url: &str) -> Result<String, DbError> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let dir = Path::new(path)
        .parent()
        .filter(|d| path != ":memory:" && !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).map_err(|source| DbError::CreateDir {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let query = if query.contains("mode=") {
        query.to_string()
    } else if query.is_empty() {
        "mode=rwc".to_string()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

/// Current time in unix milliseconds (for week indexes and signatures;
/// statements bind [`types::Stamp`]).
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
