//! `seatdesk`: the terminal dashboard, its command line, and the licensing
//! server, in one binary.

mod cli;
mod commands;
mod paths;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("seatdesk: cannot start the async runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("seatdesk: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
