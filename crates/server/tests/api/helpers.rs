//! The one test harness of the API suite: a real server on a loopback port
//! over a fresh database, driven over HTTP. SQLite always; PostgreSQL too
//! when `SEATDESK_TEST_PG_URL` points at a server (each harness gets its own
//! freshly created database there, so tests never mix).

mod client;
mod fixtures;
mod receiver;

pub use client::{Client, Reply};
pub use fixtures::{account, audit_head, consumed, days_from_today, license, org, product, scalar};
pub use receiver::{start_receiver, wait_for};

use std::sync::Once;

use seatdesk_core::{OrgKind, Role};
use seatdesk_server::db::now_ms;
use seatdesk_server::{AppState, Db, RunningServer, ServerConfig};
use serde_json::{Value, json};

pub const PG_ENV: &str = "SEATDESK_TEST_PG_URL";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The backends to run a story on: SQLite, plus PostgreSQL when configured.
pub fn backends() -> Vec<Backend> {
    let mut all = vec![Backend::Sqlite];
    if std::env::var(PG_ENV).is_ok_and(|v| !v.is_empty()) {
        all.push(Backend::Postgres);
    }
    all
}

pub(crate) fn install_crypto() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

pub struct TestServer {
    pub url: String,
    pub db: Db,
    pub db_url: String,
    pub backend: Backend,
    pub admin: Client,
    pub root_org: i64,
    /// The state the server runs with (its config's clock, for tests that
    /// move time; `seatdesk_server::reclaim::run_due` takes it).
    pub state: AppState,
    server: RunningServer,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.server.handle.abort();
        if self.backend == Backend::Postgres {
            drop_pg_database(&self.db_url);
        }
    }
}

/// Drops a per-test PostgreSQL database (on its own thread: Drop cannot await).
fn drop_pg_database(url: &str) {
    let (_, name) = url.rsplit_once('/').expect("URL has a database");
    let (name, base) = (name.to_string(), std::env::var(PG_ENV).unwrap_or_default());
    let _ = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        runtime.block_on(async {
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&base)
                .await
                .ok()?;
            sqlx::Executor::execute(
                &mut conn,
                sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")),
            )
            .await
            .ok()
        })
    })
    .join();
}

/// A fresh database URL for `backend` (and the temp dir keeping it alive).
pub async fn fresh_db_url(backend: Backend) -> (String, Option<tempfile::TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("seatdesk.db").display());
            (url, Some(dir))
        }
        Backend::Postgres => {
            let base = std::env::var(PG_ENV).expect("PostgreSQL URL");
            let name = format!(
                "seatdesk_t_{}_{}",
                std::process::id(),
                seatdesk_server::tokens::new_secret()[3..15].to_lowercase()
            );
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&base)
                .await
                .expect("connect to PostgreSQL");
            sqlx::Executor::execute(
                &mut conn,
                sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")),
            )
            .await
            .expect("create test database");
            let (prefix, _) = base.rsplit_once('/').expect("URL has a database");
            (format!("{prefix}/{name}"), None)
        }
    }
}

/// Held by each story that runs several server processes over one database:
/// each process has its own pool (up to 16 PostgreSQL connections), the
/// database server is shared, and in one test binary two such stories would
/// otherwise run side by side.
pub async fn several_servers() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

impl TestServer {
    /// A server whose webhooks may reach the tests' loopback receivers.
    pub async fn start(backend: Backend) -> TestServer {
        let config = ServerConfig {
            webhook_allow_private: true,
            ..ServerConfig::default()
        };
        TestServer::start_with(backend, config).await
    }

    pub async fn start_with(backend: Backend, config: ServerConfig) -> TestServer {
        install_crypto();
        let (db_url, dir) = fresh_db_url(backend).await;
        let db = Db::connect(&db_url).await.expect("connect");
        let root_org =
            seatdesk_server::tokens::create_root_org(&db, "CCI Learning", OrgKind::Distributor)
                .await
                .expect("root org");
        let mut conn = db.pool.acquire().await.expect("conn");
        let (_, secret) =
            seatdesk_server::tokens::insert_token(&mut conn, "root", Role::SystemAdmin, root_org)
                .await
                .expect("token");
        drop(conn);
        let state = AppState::new(db.clone(), config);
        let server = seatdesk_server::spawn(state.clone(), "127.0.0.1:0".parse().unwrap())
            .await
            .expect("bind");
        let url = server.url();
        TestServer {
            admin: Client::new(&url, &secret),
            url,
            db,
            db_url,
            backend,
            root_org,
            state,
            server,
            _dir: dir,
        }
    }

    /// A client with a new token of `role` at `org`.
    pub async fn client_for(&self, role: Role, org: i64) -> Client {
        let mut conn = self.db.pool.acquire().await.expect("conn");
        let (_, secret) =
            seatdesk_server::tokens::insert_token(&mut conn, &format!("{role}-{org}"), role, org)
                .await
                .expect("token");
        Client::new(&self.url, &secret)
    }

    /// Number of audit events stored.
    pub async fn audit_count(&self) -> i64 {
        seatdesk_server::db::query_scalar("SELECT COUNT(*) FROM audit_events")
            .fetch_one(&self.db.pool)
            .await
            .unwrap()
    }

    /// Checks that every license's stored counter equals its live seat rows.
    pub async fn assert_counts_match_rows(&self) {
        let rows: Vec<(i64, i64, i64)> = seatdesk_server::db::query_as(
            "SELECT l.id, l.seats_consumed, (SELECT COUNT(*) FROM seats s WHERE s.license_id = l.id \
             AND s.status IN ('pending', 'active')) FROM licenses l",
        )
        .fetch_all(&self.db.pool)
        .await
        .unwrap();
        for (id, stored, counted) in rows {
            assert_eq!(
                stored, counted,
                "license {id}: stored consumed {stored} but {counted} live seat rows"
            );
        }
        let over: i64 = seatdesk_server::db::query_scalar(
            "SELECT COUNT(*) FROM licenses WHERE seats_consumed + seats_allocated > seats_purchased",
        )
        .fetch_one(&self.db.pool)
        .await
        .unwrap();
        assert_eq!(over, 0, "a license is over-allocated");
        // The trigger-kept counters (dashboard, discrepancies) too.
        let mut conn = self.db.pool.acquire().await.unwrap();
        let drift = seatdesk_server::store::counters::check(&mut conn)
            .await
            .unwrap();
        assert!(
            drift.is_clean(),
            "counters differ from a recount: {drift:?}"
        );
    }

    /// Assigns `n` pending seats on the fixture's license to new users of
    /// `kind`; returns the seat ids.
    pub async fn assign_many(&self, fx: &Fixture, n: usize, kind: &str) -> Vec<i64> {
        let mut seats = Vec::new();
        for i in 0..n {
            let user = self
                .insert_user(
                    fx.org_id,
                    &format!("{kind}{i}-{}@s.example", fx.license_id),
                    kind,
                )
                .await;
            let claim: Value = self
                .admin
                .post_ok(
                    "/v1/seats",
                    &json!({"license_id": fx.license_id, "user_id": user}),
                )
                .await;
            seats.push(claim["id"].as_i64().unwrap());
        }
        seats
    }

    /// Inserts a user straight into the database (fixtures only).
    pub async fn insert_user(&self, org: i64, email: &str, kind: &str) -> i64 {
        let path: String = seatdesk_server::db::query_scalar("SELECT path FROM orgs WHERE id = $1")
            .bind(org)
            .fetch_one(&self.db.pool)
            .await
            .unwrap();
        let (given, family) = email.split_once('@').map(|(l, _)| (l, "Tester")).unwrap();
        seatdesk_server::db::query_scalar(
            "INSERT INTO users (org_id, org_path, email, given_name, family_name, kind, roles, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, '', 'active', $7, $7) RETURNING id",
        )
        .bind(org)
        .bind(path)
        .bind(email.to_string())
        .bind(given.to_string())
        .bind(family.to_string())
        .bind(kind.to_string())
        .bind(seatdesk_server::db::types::Stamp::now())
        .fetch_one(&self.db.pool)
        .await
        .unwrap()
    }

    /// Org → account → product → license with `seats`, via the API.
    pub async fn license_fixture(&self, seats: i64, edition: &str) -> Fixture {
        let org: Value = self
            .admin
            .post_ok("/v1/orgs", &json!({"parent_id": self.root_org, "kind": "district", "name": format!("District {}", now_ms())}))
            .await;
        let org_id = org["id"].as_i64().unwrap();
        let account: Value = self
            .admin
            .post_ok("/v1/accounts", &json!({"org_id": org_id, "name": "Main", "number": format!("PA-{org_id}-{}", now_ms())}))
            .await;
        let product: Value = self
            .admin
            .post_ok("/v1/products", &json!({"sku": format!("SKU-{org_id}-{edition}-{}", now_ms()), "name": format!("ConnectED {edition} edition"), "family": "ConnectED", "edition": edition, "module": "none"}))
            .await;
        let license: Value = self
            .admin
            .post_ok("/v1/licenses", &json!({
                "account_id": account["id"], "product_id": product["id"], "order_number": format!("ORD-{org_id}"),
                "purchase_order": "PO-1", "inventory_type": "seat_pool", "seats_purchased": seats,
                "start_date": "2020-01-01", "finish_date": "2099-12-31", "grace_days": 30
            }))
            .await;
        Fixture {
            org_id,
            account_id: account["id"].as_i64().unwrap(),
            product_id: product["id"].as_i64().unwrap(),
            license_id: license["id"].as_i64().unwrap(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Fixture {
    pub org_id: i64,
    pub account_id: i64,
    pub product_id: i64,
    pub license_id: i64,
}
