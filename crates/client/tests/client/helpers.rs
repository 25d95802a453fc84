//! The one harness of the client suite: a real seatdesk server started in
//! this process on a loopback port over a fresh SQLite database, with an
//! admin client of the real `ApiClient`.

use seatdesk_client::{ApiClient, new_idempotency_key};
use seatdesk_core::{OrgKind, Role};
use seatdesk_server::{AppState, Db, RunningServer, ServerConfig};
use serde_json::{Value, json};

pub struct Harness {
    pub server: RunningServer,
    pub db: Db,
    pub admin: ApiClient,
    pub secret: String,
    pub root_org: i64,
    _dir: tempfile::TempDir,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.server.handle.abort();
    }
}

pub async fn start() -> Harness {
    start_on("sqlite", ServerConfig::default()).await
}

/// Where a PostgreSQL server for tests answers (CI sets it; see `.ci/run`).
pub const PG_ENV: &str = "SEATDESK_TEST_PG_URL";

/// `sqlite`, and `postgres` when [`PG_ENV`] is set.
pub fn backends() -> Vec<&'static str> {
    let mut all = vec!["sqlite"];
    if std::env::var(PG_ENV).is_ok_and(|v| !v.is_empty()) {
        all.push("postgres");
    }
    all
}

/// A database of its own: a SQLite file in `dir`, or a new PostgreSQL
/// database on the [`PG_ENV`] server (never one another test uses).
async fn fresh_db(backend: &str, dir: &std::path::Path) -> String {
    if backend == "sqlite" {
        return format!("sqlite://{}", dir.join("server.db").display());
    }
    let base = std::env::var(PG_ENV).expect("SEATDESK_TEST_PG_URL");
    let name = format!(
        "seatdesk_client_{}_{}",
        std::process::id(),
        new_idempotency_key()
    );
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&base)
        .await
        .unwrap();
    sqlx::Executor::execute(
        &mut conn,
        sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")),
    )
    .await
    .unwrap();
    let (prefix, _) = base.rsplit_once('/').unwrap();
    format!("{prefix}/{name}")
}

/// A harness on `backend` whose server runs with `config` (e.g. a manual
/// clock).
pub async fn start_on(backend: &str, config: ServerConfig) -> Harness {
    seatdesk_client::install_crypto();
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_db(backend, dir.path()).await;
    let db = Db::connect(&url).await.unwrap();
    let root_org =
        seatdesk_server::tokens::create_root_org(&db, "CCI Learning", OrgKind::Distributor)
            .await
            .unwrap();
    let mut conn = db.pool.acquire().await.unwrap();
    let (_, secret) =
        seatdesk_server::tokens::insert_token(&mut conn, "root", Role::SystemAdmin, root_org)
            .await
            .unwrap();
    drop(conn);
    let server = seatdesk_server::spawn(
        AppState::new(db.clone(), config),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let admin = ApiClient::new(&server.url(), &secret).unwrap();
    Harness {
        server,
        db,
        admin,
        secret,
        root_org,
        _dir: dir,
    }
}

impl Harness {
    pub async fn post(&self, path: &str, body: Value) -> Value {
        self.admin
            .post(path, &body, &new_idempotency_key())
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    pub async fn insert_user(&self, org: i64, email: &str, kind: &str) -> i64 {
        let path: String = seatdesk_server::db::query_scalar("SELECT path FROM orgs WHERE id = $1")
            .bind(org)
            .fetch_one(&self.db.pool)
            .await
            .unwrap();
        let given = email.split('@').next().unwrap().to_string();
        seatdesk_server::db::query_scalar(
            "INSERT INTO users (org_id, org_path, email, given_name, family_name, kind, roles, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'Tester', $5, '', 'active', $6, $6) RETURNING id",
        )
        .bind(org)
        .bind(path)
        .bind(email.to_string())
        .bind(given)
        .bind(kind.to_string())
        // A typed instant: PostgreSQL's columns are timestamps.
        .bind(seatdesk_server::db::types::Stamp::now())
        .fetch_one(&self.db.pool)
        .await
        .unwrap()
    }

    /// A student-edition license with `teachers` teacher seats; returns
    /// (license id, seat ids).
    pub async fn license_with_teachers(&self, teachers: usize) -> (i64, Vec<i64>) {
        let org = self
            .post(
                "/v1/orgs",
                json!({"parent_id": self.root_org, "kind": "district", "name": "District 9"}),
            )
            .await;
        let org_id = org["id"].as_i64().unwrap();
        let account = self
            .post(
                "/v1/accounts",
                json!({"org_id": org_id, "name": "Main", "number": "PA-9"}),
            )
            .await;
        let product = self
            .post("/v1/products", json!({"sku": "CE-STU", "name": "ConnectED student edition", "family": "ConnectED", "edition": "student", "module": "none"}))
            .await;
        let license = self
            .post("/v1/licenses", json!({
                "account_id": account["id"], "product_id": product["id"], "order_number": "ORD-9",
                "purchase_order": "PO-9", "inventory_type": "seat_pool", "seats_purchased": 100,
                "start_date": "2020-01-01", "finish_date": "2099-12-31", "grace_days": 30
            }))
            .await;
        let license_id = license["id"].as_i64().unwrap();
        let mut seats = Vec::new();
        for n in 0..teachers {
            let user = self
                .insert_user(org_id, &format!("teacher{n}@school.test"), "teacher")
                .await;
            let claim = self
                .post(
                    "/v1/seats",
                    json!({"license_id": license_id, "user_id": user}),
                )
                .await;
            seats.push(claim["id"].as_i64().unwrap());
        }
        (license_id, seats)
    }
}
