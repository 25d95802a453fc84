//! `seatdesk backup`: an online copy of the SQLite database.

use std::process::ExitCode;

use anyhow::Context;

use crate::cli::BackupArgs;
use crate::paths::default_db_url;

pub async fn run(args: BackupArgs) -> anyhow::Result<ExitCode> {
    let url = args.db.unwrap_or_else(default_db_url);
    let summary = seatdesk_server::backup::backup_sqlite(&url, &args.out)
        .await
        .with_context(|| format!("backing up {url}"))?;
    println!(
        "backed up {url} to {}: {} bytes, change feed at {}, migration {}",
        summary.path.display(),
        summary.bytes,
        summary.feed_head,
        summary.migration
    );
    Ok(ExitCode::SUCCESS)
}
