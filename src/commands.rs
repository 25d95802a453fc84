//! One function per subcommand; `run` dispatches.

mod demo;
mod serve;
mod token;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve::run(args).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Token { command } => token::run(command).await,
    }
}
