//! `seatdesk serve`: the licensing backend. Every rule about seats, codes,
//! revocation and who may see what lives here, behind an axum HTTP API over
//! SQLite (embedded default) or PostgreSQL (any number of stateless replicas).

pub mod alerts;
pub mod backup;
pub mod clock;
pub mod codes;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod export;
pub mod feed_cache;
pub mod http;
pub mod mutation;
pub mod oneroster;
pub mod reclaim;
pub mod routes;
pub mod store;
pub mod tls;
pub mod tokens;
pub mod webhooks;

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
    /// Failed code redemptions allowed per address, token, email and code
    /// (see [`domain::guessing`]).
    pub redeem: domain::guessing::RedeemLimits,
    /// Largest request body accepted.
    pub body_limit: usize,
    /// How often the webhook worker looks for new events and due retries.
    pub webhook_tick: Duration,
    /// First retry delay of a failed delivery; doubles each attempt.
    pub webhook_backoff: Duration,
    /// Attempts before a delivery is marked failed.
    pub webhook_max_attempts: i64,
    /// Default thresholds of `GET /v1/alerts` and of the alert sweeper.
    pub alert_thresholds: seatdesk_core::api::alerts::AlertThresholds,
    /// How often the alert sweeper raises new alerts as audit events.
    pub alert_sweep: Duration,
    /// Serve repeated dashboards and claims pages from caches checked
    /// against the audit feed head (see [`feed_cache`]); off only to
    /// measure the uncached cost.
    pub feed_cache: bool,
    /// Take the client address from the right-most `X-Forwarded-For`
    /// entry (see [`http::client_addr`]); only behind a proxy that sets it.
    pub trust_forwarded_for: bool,
    /// The bearer token `GET /metrics` asks for; without one the endpoint
    /// is off (404).
    pub metrics_token: Option<http::metrics::MetricsToken>,
    /// Let webhooks reach private, loopback and link-local addresses (see
    /// [`webhooks::target`]); off unless the operator says so.
    pub webhook_allow_private: bool,
    /// The clock reclaim policies are evaluated at and the reclaim
    /// scheduler's due check reads (see [`clock`]); real unless a test
    /// sets it.
    pub clock: clock::Clock,
    /// How often each replica's reclaim scheduler looks for due policies
    /// (see [`reclaim::run_scheduler`]).
    pub reclaim_tick: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            restore_window: Duration::from_secs(7 * 24 * 3600),
            redeem: domain::guessing::RedeemLimits::DEFAULT,
            body_limit: 2 * 1024 * 1024,
            webhook_tick: Duration::from_secs(1),
            webhook_backoff: Duration::from_secs(5),
            webhook_max_attempts: 8,
            alert_thresholds: Default::default(),
            alert_sweep: Duration::from_secs(5 * 60),
            feed_cache: true,
            trust_forwarded_for: false,
            metrics_token: None,
            webhook_allow_private: false,
            clock: clock::Clock::real(),
            reclaim_tick: Duration::from_secs(60),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<ServerConfig>,
    /// Dashboards by view and day, valid while the audit head stands still.
    pub dashboards: Arc<routes::dashboard::DashboardCache>,
    /// Encoded claims pages by subtree and query string, likewise.
    pub claim_pages: Arc<feed_cache::FeedCache<(String, String), axum::body::Bytes>>,
    /// Request counters and latencies for `GET /metrics`.
    pub metrics: Arc<http::metrics::Metrics>,
    /// Code redemptions running per client address.
    pub redeeming: Arc<domain::guessing::InFlight>,
}

impl AppState {
    pub fn new(db: Db, config: ServerConfig) -> AppState {
        AppState {
            db,
            config: Arc::new(config),
            dashboards: Arc::new(routes::dashboard::DashboardCache::new(256)),
            // A page is at most a few hundred kilobytes.
            claim_pages: Arc::new(feed_cache::FeedCache::new(32)),
            metrics: Arc::new(http::metrics::Metrics::new()),
            redeeming: Arc::default(),
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
    /// Starts a graceful shutdown when sent to (see [`RunningServer::shutdown`]).
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// The webhook worker; aborted with the server.
    pub worker: tokio::task::JoinHandle<()>,
    /// The alert sweeper; aborted with the server.
    pub sweeper: tokio::task::JoinHandle<()>,
    /// The reclaim scheduler; aborted with the server.
    pub reclaimer: tokio::task::JoinHandle<()>,
    /// Serving TLS (`https://`)?
    tls: bool,
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.worker.abort();
        self.sweeper.abort();
        self.reclaimer.abort();
    }
}

impl RunningServer {
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Stops accepting connections and lets the requests in flight finish,
    /// for at most `grace`; then stops the background workers. True when
    /// everything in flight finished in time (else it was cut off).
    pub async fn shutdown(mut self, grace: Duration) -> bool {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let finished = tokio::time::timeout(grace, &mut self.handle).await.is_ok();
        if !finished {
            self.handle.abort();
        }
        finished
    }
}

/// Binds `listen` (use port 0 for an ephemeral port) and serves plain
/// HTTP in a task.
pub async fn spawn(state: AppState, listen: SocketAddr) -> std::io::Result<RunningServer> {
    spawn_with(state, listen, None).await
}

/// Binds `listen` and serves in a task: HTTPS from `tls`'s files (reloaded
/// when they change, see [`tls`]) or, without it, plain HTTP. Both give
/// handlers the peer address (`ConnectInfo<SocketAddr>`) and stop the same
/// way (see [`RunningServer::shutdown`]).
pub async fn spawn_with(
    state: AppState,
    listen: SocketAddr,
    tls: Option<tls::TlsFiles>,
) -> std::io::Result<RunningServer> {
    // Load before binding: bad files fail the start, not the first handshake.
    let tls = tls.map(tls::Reloading::start).transpose()?;
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let worker = tokio::spawn(webhooks::run_worker(state.clone()));
    let sweeper = tokio::spawn(alerts::sweep::run_sweeper(state.clone()));
    let reclaimer = tokio::spawn(reclaim::run_scheduler(state.clone()));
    let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        // Only an explicit stop: dropping the handle leaves it serving.
        if stopped.await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let serving_tls = tls.is_some();
    let handle = match tls {
        None => tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, service)
                .with_graceful_shutdown(signal)
                .await
            {
                tracing::error!(%error, "server stopped");
            }
        }),
        Some(reloading) => {
            let config = reloading.config();
            let listener = listener.into_std()?;
            let server = axum_server::tls_rustls::from_tcp_rustls(listener, config)?;
            let shutdown = axum_server::Handle::new();
            let server = server.handle(shutdown.clone());
            tokio::spawn(async move {
                // Reloads for as long as this task lives, aborted or not.
                let _reloader = AbortOnDrop(tokio::spawn(reloading.run()));
                let serve = server.serve(service);
                tokio::pin!(serve);
                let result = tokio::select! {
                    result = &mut serve => result,
                    () = signal => {
                        // No new connections; those open finish their requests.
                        shutdown.graceful_shutdown(None);
                        serve.await
                    }
                };
                if let Err(error) = result {
                    tracing::error!(%error, "server stopped");
                }
            })
        }
    };
    Ok(RunningServer {
        addr,
        handle,
        stop: Some(stop),
        worker,
        sweeper,
        reclaimer,
        tls: serving_tls,
    })
}

/// Aborts a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
