//! The one harness of the end-to-end suite: a real seatdesk server on a
//! loopback port over a fresh SQLite database of demo data, and the real
//! `seatdesk` binary pointed at it through SEATDESK_URL / SEATDESK_TOKEN,
//! with its config and cache directories in a temporary directory (never
//! the user's home); `seatdesk serve` as a child process for the tests that
//! kill it; and tmux for what only a terminal shows.

pub mod process;
pub mod seats;
pub mod tmux;

pub use process::{Running, ServerProcess, cli_token, free_port, get_ok, post_ok};

use std::path::{Path, PathBuf};

use seatdesk_client::ApiClient;
use seatdesk_core::Role;
use seatdesk_core::api::seats::{Claim, ClaimQuery};
use seatdesk_server::{AppState, Db, RunningServer, ServerConfig};

/// Small demo data: every kind of license, claim and code, loads in well
/// under a second.
pub const CLAIMS: u64 = 600;

pub const BIN: &str = env!("CARGO_BIN_EXE_seatdesk");

pub struct Server {
    pub url: String,
    /// A system_admin token of the demo's root org.
    pub token: String,
    pub root_org: i64,
    pub db: Db,
    server: Option<RunningServer>,
    runtime: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.handle.abort();
        }
    }
}

impl Server {
    pub fn start() -> Server {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the test server");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let db_url = format!("sqlite://{}", dir.path().join("cli.db").display());
        let (db, loaded, token, server) = runtime.block_on(async {
            let db = Db::connect(&db_url).await.expect("open the test database");
            let loaded = seatdesk_server::demo::load(&db, CLAIMS, chrono::Utc::now().date_naive())
                .await
                .expect("load demo data");
            let mut conn = db.pool.acquire().await.expect("a connection");
            let (_, token) = seatdesk_server::tokens::insert_token(
                &mut conn,
                "cli-test",
                Role::SystemAdmin,
                loaded.summary.root_org_id,
            )
            .await
            .expect("a token");
            drop(conn);
            let listen = "127.0.0.1:0".parse().expect("a loopback address");
            // Its webhooks go to the tests' loopback receivers.
            let config = ServerConfig {
                webhook_allow_private: true,
                ..ServerConfig::default()
            };
            let server = seatdesk_server::spawn(AppState::new(db.clone(), config), listen)
                .await
                .expect("bind a loopback port");
            (db, loaded, token, server)
        });
        std::fs::create_dir_all(dir.path().join("config")).expect("config dir");
        Server {
            url: server.url(),
            token,
            root_org: loaded.summary.root_org_id,
            db,
            server: Some(server),
            runtime,
            dir,
        }
    }

    /// `seatdesk ARGS…` against this server, isolated from the real home.
    pub fn cmd(&self) -> assert_cmd::Command {
        self.cmd_with_token(&self.token)
    }

    pub fn cmd_with_token(&self, token: &str) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::new(BIN);
        cmd.env("SEATDESK_URL", &self.url)
            .env("SEATDESK_TOKEN", token)
            .env("SEATDESK_CONFIG_DIR", self.config_dir())
            .env("SEATDESK_CACHE_DIR", self.dir.path().join("cache"))
            .env_remove("SEATDESK_PROFILE")
            .env("NO_COLOR", "1");
        cmd
    }

    /// `seatdesk` with no server in the environment: only the config file.
    pub fn cmd_without_env(&self) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::new(BIN);
        cmd.env_remove("SEATDESK_URL")
            .env_remove("SEATDESK_TOKEN")
            .env_remove("SEATDESK_PROFILE")
            .env("SEATDESK_CONFIG_DIR", self.config_dir())
            .env("SEATDESK_CACHE_DIR", self.dir.path().join("cache"));
        cmd
    }

    /// The URL of the server's SQLite database, for `--db` commands.
    pub fn db_url(&self) -> String {
        format!("sqlite://{}", self.dir.path().join("cli.db").display())
    }

    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A token of `role` for the root org.
    pub fn token(&self, role: Role) -> String {
        self.block_on(async {
            let mut conn = self.db.pool.acquire().await.expect("a connection");
            seatdesk_server::tokens::insert_token(&mut conn, "cli-test-role", role, self.root_org)
                .await
                .expect("a token")
                .1
        })
    }

    /// The typed client, to compare what the CLI prints with the API.
    pub fn api(&self) -> ApiClient {
        ApiClient::new(&self.url, &self.token).expect("a client")
    }

    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Every claim the API lists for `query`, all pages.
    pub fn claims(&self, query: ClaimQuery) -> Vec<Claim> {
        let api = self.api();
        let (claims, _) = self
            .block_on(seatdesk_client::collect_pages(None, |cursor| {
                let query = ClaimQuery {
                    limit: Some(1000),
                    cursor,
                    ..query.clone()
                };
                let api = &api;
                async move { api.claims(&query).await }
            }))
            .expect("claims");
        claims
    }
}

/// The first sheet of the workbook at `path`, and its header row as text.
pub fn first_sheet(path: &Path) -> (Vec<String>, calamine::Range<calamine::Data>) {
    use calamine::Reader as _;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(path)
        .unwrap_or_else(|e| panic!("{} is not an .xlsx workbook: {e}", path.display()));
    let name = book.sheet_names()[0].clone();
    let sheet = book.worksheet_range(&name).expect("the first sheet");
    let header = sheet
        .rows()
        .next()
        .expect("a header row")
        .iter()
        .map(|c| c.to_string())
        .collect();
    (header, sheet)
}

/// Runs the command, asserting its exit code; returns (stdout, stderr).
pub fn run(cmd: &mut assert_cmd::Command, code: i32) -> (String, String) {
    let output = cmd.output().expect("run seatdesk");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(code),
        "exit code\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    (stdout, stderr)
}

pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// CSV text as a header and rows of strings.
pub fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .expect("a header row")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.expect("a CSV row").iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

pub fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write a test file");
}

/// An address nothing listens on.
pub fn dead_url() -> String {
    format!("http://127.0.0.1:{}", free_port())
}
