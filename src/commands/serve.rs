//! `seatdesk serve`: the licensing server in the foreground.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use seatdesk_core::api::alerts::AlertThresholds;
use seatdesk_server::domain::guessing::RedeemLimits;
use seatdesk_server::http::metrics::MetricsToken;
use seatdesk_server::tls::TlsFiles;
use seatdesk_server::{AppState, Db, ServerConfig};

use crate::cli::{LogFormat, ServeArgs};
use crate::paths::default_db_url;

pub async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    init_logs(args.log_format);
    let url = args.db.unwrap_or_else(default_db_url);
    let db = Db::connect(&url)
        .await
        .with_context(|| format!("opening {url}"))?;
    if let Some(claims) = args.demo_data {
        let loaded = seatdesk_server::demo::load(&db, claims, chrono::Utc::now().date_naive())
            .await
            .with_context(|| format!("loading demo data into {url}"))?;
        tracing::info!(root_org = loaded.summary.root_org_id, "demo data: {loaded}");
    }
    let config = ServerConfig {
        restore_window: Duration::from_secs(args.restore_window_hours * 3600),
        alert_thresholds: AlertThresholds {
            expiry_days: args.alert_expiry_days,
            usage_percent: args.alert_usage_percent,
            ..AlertThresholds::default()
        },
        trust_forwarded_for: args.trust_forwarded_for,
        webhook_allow_private: args.webhook_allow_private,
        redeem: RedeemLimits {
            window: Duration::from_secs(args.redeem_window_minutes * 60),
            per_address: args.redeem_failures_per_address,
            per_token: args.redeem_failures_per_token,
            per_email: args.redeem_failures_per_email,
            per_code: args.redeem_failures_per_code,
        },
        metrics_token: args
            .metrics_token
            .as_deref()
            .filter(|t| !t.is_empty())
            .map(MetricsToken::new),
        ..ServerConfig::default()
    };
    for warning in config.redeem.lockout_warnings() {
        tracing::warn!("{warning}");
    }
    let problems = config.alert_thresholds.problems();
    anyhow::ensure!(
        problems.is_empty(),
        "alert thresholds: {}",
        problems.join("; ")
    );
    let tls = match (args.tls_cert, args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        _ => None,
    };
    let mut server =
        seatdesk_server::spawn_with(AppState::new(db.clone(), config), args.listen, tls)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
    tracing::info!(url = %server.url(), database = %url, "seatdesk server listening");
    tokio::select! {
        why = stop_signal() => tracing::info!(
            signal = why?,
            grace_seconds = args.shutdown_grace,
            "shutting down: no new connections; finishing the requests in flight"
        ),
        _ = &mut server.handle => return Ok(ExitCode::FAILURE),
    }
    let finished = server
        .shutdown(Duration::from_secs(args.shutdown_grace))
        .await;
    db.pool.close().await;
    if finished {
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    } else {
        tracing::warn!("requests still running after the grace period were cut off");
        Ok(ExitCode::FAILURE)
    }
}

/// Logs to stderr: text (coloured only on a terminal) or JSON lines, one
/// object per event with its fields at the top level (the access line has
/// request_id, method, route, status, latency_ms and actor).
fn init_logs(format: LogFormat) {
    use std::io::IsTerminal as _;
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => logs
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init(),
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
    }
}

/// Waits for Ctrl-C (SIGINT) or, on Unix, SIGTERM (what systemd and
/// container runtimes send); names the one that came.
async fn stop_signal() -> anyhow::Result<&'static str> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.map(|()| "interrupt").map_err(Into::into),
            _ = term.recv() => Ok("terminate"),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await?;
        Ok("interrupt")
    }
}
