//! One function per subcommand; `run` dispatches.

mod serve;
mod token;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve::run(args).await,
        Command::Token { command } => token::run(command).await,
    }
}
