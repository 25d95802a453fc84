//! `seatdesk demo`: the whole product with no set-up. A server on an
//! ephemeral loopback port over a fresh SQLite database in a temporary
//! directory, filled with demo data, and a system_admin token for it.

use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;

use anyhow::Context;
use seatdesk_core::Role;
use seatdesk_server::demo::DemoSummary;
use seatdesk_server::{AppState, Db, RunningServer, ServerConfig};

use crate::cli::DemoArgs;

/// A running demo: where it listens and how to get in. Dropping it stops
/// the server and deletes the database.
pub struct DemoEnv {
    pub url: String,
    pub token: String,
    pub db_url: String,
    pub loaded: DemoSummary,
    server: RunningServer,
    _dir: tempfile::TempDir,
}

impl Drop for DemoEnv {
    fn drop(&mut self) {
        self.server.handle.abort();
    }
}

/// Starts the demo server with about `claims` claims loaded.
pub async fn start(claims: u64) -> anyhow::Result<DemoEnv> {
    let dir = tempfile::Builder::new()
        .prefix("seatdesk-demo-")
        .tempdir()
        .context("creating a temporary directory for the demo database")?;
    let db_url = format!("sqlite://{}", dir.path().join("demo.db").display());
    let db = Db::connect(&db_url)
        .await
        .with_context(|| format!("opening {db_url}"))?;
    let loaded = seatdesk_server::demo::load(&db, claims, chrono::Utc::now().date_naive())
        .await
        .context("loading demo data")?;
    let mut conn = db.pool.acquire().await?;
    let (_, token) = seatdesk_server::tokens::insert_token(
        &mut conn,
        "demo",
        Role::SystemAdmin,
        loaded.summary.root_org_id,
    )
    .await
    .context("creating the demo token")?;
    drop(conn);
    let listen = "127.0.0.1:0".parse().expect("a loopback address");
    let server = seatdesk_server::spawn(AppState::new(db, ServerConfig::default()), listen)
        .await
        .context("binding a loopback port")?;
    Ok(DemoEnv {
        url: server.url(),
        token,
        db_url,
        loaded,
        server,
        _dir: dir,
    })
}

impl DemoEnv {
    /// The dashboard's cache lives beside the demo database, so it is fresh
    /// each run and deleted with it.
    pub fn cache_dir(&self) -> std::path::PathBuf {
        self._dir.path().join("cache")
    }
}

pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    eprintln!("seatdesk demo: loading about {} claims…", args.claims);
    let env = start(args.claims).await?;
    if args.print_env {
        println!("SEATDESK_URL={} SEATDESK_TOKEN={}", env.url, env.token);
        std::io::stdout().flush()?;
    }
    eprintln!("seatdesk demo: {}", env.loaded);
    eprintln!("  server:   {}", env.url);
    eprintln!("  token:    {} (system_admin, whole demo)", env.token);
    eprintln!("  database: {} (deleted on exit)", env.db_url);
    eprintln!(
        "  try:      curl -s -H 'Authorization: Bearer {}' '{}/v1/licenses?limit=5'",
        env.token, env.url
    );
    if !args.headless && !args.print_env && std::io::stdout().is_terminal() {
        let cache_dir = env.cache_dir();
        let options = seatdesk_tui::TuiOptions {
            direct: Some(seatdesk_tui::DirectConnection {
                url: env.url.clone(),
                token: env.token.clone(),
                cache_dir,
            }),
            ..seatdesk_tui::TuiOptions::default()
        };
        let result = seatdesk_tui::run(options).await;
        drop(env);
        result.map_err(|report| anyhow::anyhow!("{report:#}"))?;
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!("Press Ctrl-C to stop.");
    tokio::select! {
        signal = tokio::signal::ctrl_c() => signal.context("waiting for Ctrl-C")?,
        () = terminated() => {}
    }
    // Dropping `env` stops the server and deletes the database.
    drop(env);
    Ok(ExitCode::SUCCESS)
}

/// Resolves on SIGTERM, so `kill` also cleans up the temporary database.
async fn terminated() {
    #[cfg(unix)]
    if let Ok(mut signal) =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        signal.recv().await;
        return;
    }
    std::future::pending::<()>().await
}
