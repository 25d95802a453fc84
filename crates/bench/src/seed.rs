//! Fast fixture loading for benchmarks: a server over a fresh database and
//! licenses full of pending seats inserted in bulk.

use anyhow::Context;
use seatdesk_server::db::types::Stamp;
use seatdesk_server::demo::DemoSummary;
use seatdesk_server::{AppState, Db, RunningServer, ServerConfig};
use sqlx::AssertSqlSafe;

pub struct Bed {
    pub db: Db,
    pub server: RunningServer,
    pub token: String,
    pub org: i64,
    pub scratch: Scratch,
}

/// Where a benchmark database lives; [`Scratch::drop_database`] removes a
/// PostgreSQL one (a SQLite file goes with its temp dir).
pub struct Scratch {
    pub url: String,
    pub _dir: Option<tempfile::TempDir>,
    /// PostgreSQL: the server URL (its own database) and the scratch name.
    pg: Option<(String, String)>,
}

impl Scratch {
    /// A fresh database: a SQLite file in a temp dir, or a new database on
    /// the PostgreSQL server at `pg_base`.
    pub async fn new(pg_base: Option<&str>, tag: &str) -> anyhow::Result<Scratch> {
        match pg_base {
            None => {
                let dir = tempfile::tempdir()?;
                Ok(Scratch {
                    url: format!("sqlite://{}", dir.path().join("bench.db").display()),
                    _dir: Some(dir),
                    pg: None,
                })
            }
            Some(base) => {
                let name = format!("seatdesk_bench_{tag}_{}", std::process::id());
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(base).await?;
                sqlx::Executor::execute(
                    &mut conn,
                    AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")),
                )
                .await?;
                sqlx::Executor::execute(
                    &mut conn,
                    AssertSqlSafe(format!("CREATE DATABASE {name}")),
                )
                .await?;
                let (prefix, _) = base
                    .rsplit_once('/')
                    .context("PostgreSQL URL names a database")?;
                Ok(Scratch {
                    url: format!("{prefix}/{name}"),
                    _dir: None,
                    pg: Some((base.to_string(), name)),
                })
            }
        }
    }

    /// A database loaded beforehand, used as is and never dropped.
    pub fn existing(url: &str) -> Scratch {
        Scratch {
            url: url.to_string(),
            _dir: None,
            pg: None,
        }
    }

    /// Drops a PostgreSQL scratch database (its pools must be closed).
    pub async fn drop_database(&self) -> anyhow::Result<()> {
        if let Some((base, name)) = &self.pg {
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(base).await?;
            sqlx::Executor::execute(
                &mut conn,
                AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")),
            )
            .await?;
        }
        Ok(())
    }
}

/// A fresh database with a root org and a system_admin token, served on
/// loopback.
pub async fn bed(pg_base: Option<&str>) -> anyhow::Result<Bed> {
    let scratch = Scratch::new(pg_base, "revoke").await?;
    let db = Db::connect(&scratch.url).await?;
    let org = seatdesk_server::tokens::create_root_org(
        &db,
        "Bench District",
        seatdesk_core::OrgKind::District,
    )
    .await?;
    let token = token_for(&db, org).await?;
    let server = serve(&db).await?;
    Ok(Bed {
        db,
        server,
        token,
        org,
        scratch,
    })
}

/// A fresh database filled with the demo world at `claims` claims, served
/// on loopback, with a system_admin token over all of it.
pub async fn demo_bed(pg_base: Option<&str>, claims: u64) -> anyhow::Result<(Bed, DemoSummary)> {
    let scratch = Scratch::new(pg_base, "demo").await?;
    let db = Db::connect(&scratch.url).await?;
    let loaded = seatdesk_server::demo::load(&db, claims, chrono::Utc::now().date_naive()).await?;
    let org = loaded.summary.root_org_id;
    let token = token_for(&db, org).await?;
    let server = serve(&db).await?;
    Ok((
        Bed {
            db,
            server,
            token,
            org,
            scratch,
        },
        loaded,
    ))
}

pub async fn token_for(db: &Db, org: i64) -> anyhow::Result<String> {
    let mut conn = db.pool.acquire().await?;
    let (_, token) = seatdesk_server::tokens::insert_token(
        &mut conn,
        "bench",
        seatdesk_core::Role::SystemAdmin,
        org,
    )
    .await?;
    Ok(token)
}

async fn serve(db: &Db) -> anyhow::Result<RunningServer> {
    Ok(seatdesk_server::spawn(
        AppState::new(db.clone(), ServerConfig::default()),
        "127.0.0.1:0".parse()?,
    )
    .await?)
}

impl Bed {
    /// Stops the server and drops a PostgreSQL scratch database.
    pub async fn finish(self) -> anyhow::Result<()> {
        self.server.handle.abort();
        drop(self.server);
        self.db.pool.close().await;
        self.scratch.drop_database().await
    }
}

/// A license of `n` seats, all pending, held by `n` fresh users. Returns the
/// license id and its seat ids.
pub async fn license_with_seats(bed: &Bed, n: usize, tag: &str) -> anyhow::Result<(i64, Vec<i64>)> {
    license_with_seats_in(&bed.db, bed.org, n, tag).await
}

/// [`license_with_seats`] under org `org` of any database.
pub async fn license_with_seats_in(
    db: &Db,
    org: i64,
    n: usize,
    tag: &str,
) -> anyhow::Result<(i64, Vec<i64>)> {
    let path = format!("/{org}/");
    let now = Stamp::now();
    let mut tx = db.begin_write().await?;
    let account: i64 = seatdesk_server::db::query_scalar("INSERT INTO accounts (org_id, name, number, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(org)
        .bind(tag.to_string())
        .bind(format!("PA-{tag}"))
        .bind(now)
        .fetch_one(&mut tx.tx)
        .await?;
    let product: i64 = seatdesk_server::db::query_scalar(
        "INSERT INTO products (sku, name, family, edition, module) VALUES ($1, 'ConnectED', 'ConnectED', 'teacher', 'none') RETURNING id",
    )
    .bind(format!("SKU-{tag}"))
    .fetch_one(&mut tx.tx)
    .await?;
    let license: i64 = seatdesk_server::db::query_scalar(
        "INSERT INTO licenses (account_id, org_id, org_path, product_id, order_number, inventory_type, seats_purchased, \
         seats_consumed, start_date, finish_date, grace_until, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'seat_pool', $6, $6, '2020-01-01', '2099-01-01', '2099-01-01', 'active', $7, $7) RETURNING id",
    )
    .bind(account)
    .bind(org)
    .bind(path.clone())
    .bind(product)
    .bind(tag.to_string())
    .bind(n as i64)
    .bind(now)
    .fetch_one(&mut tx.tx)
    .await?;
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let values: Vec<String> = chunk
            .iter()
            .map(|i| format!("({org}, '{path}', 'u{i}-{tag}@bench.example', 'User{i}', 'Bench', 'teacher', '', 'active', $1, $1)"))
            .collect();
        seatdesk_server::db::query(format!(
            "INSERT INTO users (org_id, org_path, email, given_name, family_name, kind, roles, status, created_at, updated_at) VALUES {}",
            values.join(", ")
        ))
        .bind(now)
        .execute(&mut tx.tx)
        .await?;
    }
    seatdesk_server::db::query(format!(
        "INSERT INTO seats (license_id, user_id, status, source, assigned_at, assigned_by, updated_at) \
         SELECT {license}, id, 'pending', 'seed', $1, 'seed', $1 FROM users WHERE email LIKE '%-{tag}@bench.example'"
    ))
    .bind(now)
    .execute(&mut tx.tx)
    .await?;
    tx.commit().await?;
    let ids: Vec<i64> = seatdesk_server::db::query_scalar(format!(
        "SELECT id FROM seats WHERE license_id = {license} ORDER BY id"
    ))
    .fetch_all(&db.pool)
    .await?;
    Ok((license, ids))
}
