//! `seatdesk serve`: the licensing backend. Every rule about seats, codes,
//! revocation and who may see what lives here, behind an axum HTTP API over
//! SQLite (embedded default) or PostgreSQL (any number of stateless replicas).

pub mod audit;
pub mod db;
pub mod demo;
pub mod error;
pub mod http;
pub mod mutation;
pub mod routes;
pub mod tokens;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

pub use db::Db;

/// Tunables of one server process.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// How long after a revocation the seat may still be restored.
    pub restore_window: Duration,
    /// Failed code redemptions allowed per caller within `redeem_window`.
    pub redeem_max_failures: i64,
    pub redeem_window: Duration,
    /// Largest request body accepted.
    pub body_limit: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            restore_window: Duration::from_secs(7 * 24 * 3600),
            redeem_max_failures: 10,
            redeem_window: Duration::from_secs(15 * 60),
            body_limit: 2 * 1024 * 1024,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<ServerConfig>,
}

impl AppState {
    pub fn new(db: Db, config: ServerConfig) -> AppState {
        AppState {
            db,
            config: Arc::new(config),
        }
    }
}

/// The full router, `/openapi.json` included.
pub fn app(state: AppState) -> Router {
    routes::router(state)
}

/// A server bound to a port, running in the background.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub handle: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Binds `listen` (use port 0 for an ephemeral port) and serves in a task.
pub async fn spawn(state: AppState, listen: SocketAddr) -> std::io::Result<RunningServer> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let router = app(state);
    let handle = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::error!(%error, "server stopped");
        }
    });
    Ok(RunningServer { addr, handle })
}
