//! One function per subcommand; `run` dispatches.

mod alerts;
mod audit;
mod backup;
mod codes;
mod completions;
mod confirm;
mod dashboard;
mod demo;
mod import;
mod items;
mod listings;
mod login;
mod reclaim;
mod remote;
mod requests;
mod revoke;
mod serve;
mod token;
mod triage;
mod webhooks;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        None => tui(crate::cli::TuiArgs::default()).await,
        Some(Command::Tui(args)) => tui(args).await,
        Some(Command::Login(args)) => login::run(args).await,
        Some(Command::Serve(args)) => serve::run(args).await,
        Some(Command::Demo(args)) => demo::run(args).await,
        Some(Command::Backup(args)) => backup::run(args).await,
        Some(Command::Token { command }) => token::run(command).await,
        Some(Command::Dashboard(args)) => dashboard::run(args).await,
        Some(Command::Claims(args)) => listings::claims(args).await,
        Some(Command::Teachers(args)) => listings::teachers(args).await,
        Some(Command::Licenses(args)) => listings::licenses(args).await,
        Some(Command::Users(args)) => listings::users(args).await,
        Some(Command::Revoke(args)) => revoke::revoke(args).await,
        Some(Command::Restore(args)) => revoke::restore(args).await,
        Some(Command::Codes { command }) => codes::run(command).await,
        Some(Command::Requests(args)) => requests::run(args).await,
        Some(Command::Check(args)) => triage::check(args).await,
        Some(Command::Doctor(args)) => triage::doctor(args).await,
        Some(Command::Audit(args)) => audit::run(args).await,
        Some(Command::Alerts(args)) => alerts::run(args).await,
        Some(Command::Webhooks(args)) => webhooks::run(args).await,
        Some(Command::Reclaim { command }) => reclaim::run(command).await,
        Some(Command::Seen(args)) => reclaim::seen(args).await,
        Some(Command::Import { command }) => import::run(command).await,
        Some(Command::Completions(args)) => completions::completions(args),
        Some(Command::Man(args)) => completions::man(args),
        Some(Command::ConfigReference) => {
            completions::write_stdout(completions::config_reference().as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn tui(args: crate::cli::TuiArgs) -> anyhow::Result<ExitCode> {
    let options = seatdesk_tui::TuiOptions {
        profile: args.profile,
        readonly: args.readonly,
        direct: None,
    };
    seatdesk_tui::run(options)
        .await
        .map_err(|report| anyhow::anyhow!("{report:#}"))?;
    Ok(ExitCode::SUCCESS)
}
