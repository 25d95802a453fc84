//! One function per subcommand; `run` dispatches.

mod demo;
mod login;
mod serve;
mod token;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        None => tui(crate::cli::TuiArgs::default()).await,
        Some(Command::Tui(args)) => tui(args).await,
        Some(Command::Login(args)) => login::run(args).await,
        Some(Command::Serve(args)) => serve::run(args).await,
        Some(Command::Demo(args)) => demo::run(args).await,
        Some(Command::Token { command }) => token::run(command).await,
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
