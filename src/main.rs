//! `seatdesk`: the terminal dashboard, its command line, and the licensing
//! server, in one binary.

/// `println!` that hands back the write error instead of panicking, so a
/// reader leaving the pipe (`seatdesk doctor | head`) ends the command
/// quietly through the broken-pipe rule in `main`.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)
    }};
}

mod cli;
mod commands;
mod exit;
mod output;
mod paths;
mod progress;

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
            return exit::Code::Internal.exit();
        }
    };
    let result = runtime.block_on(commands::run(cli));
    // A request still waiting (e.g. `audit --follow` at Ctrl-C) must not
    // hold the exit.
    runtime.shutdown_background();
    match result {
        Ok(code) => code,
        Err(error) if broken_pipe(&error) => {
            // `seatdesk claims | head`: the reader left; not a failure.
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("seatdesk: {error:#}");
            exit::classify(&error).exit()
        }
    }
}

fn broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<csv::Error>()
                .is_some_and(|e| matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe))
            || cause
                .downcast_ref::<serde_json::Error>()
                .is_some_and(|e| e.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}
