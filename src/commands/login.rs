//! `seatdesk login`: checks a token against the server and saves it as a
//! profile, the token in a file only the user can read.

use std::process::ExitCode;

use anyhow::Context;
use seatdesk_client::ApiClient;
use seatdesk_client::config::{config_file, write_login};

use crate::cli::LoginArgs;

pub async fn run(args: LoginArgs) -> anyhow::Result<ExitCode> {
    let token = std::fs::read_to_string(&args.token_file)
        .with_context(|| format!("reading the token file {}", args.token_file.display()))?;
    let token = token.trim();
    let api = ApiClient::new(&args.url, token)?;
    match api.me().await {
        Ok(me) => println!(
            "token '{}' is a {} of {} ({} permissions)",
            me.token_name,
            me.role,
            me.org_name,
            me.permissions.len()
        ),
        Err(error) if error.is_offline() => {
            eprintln!("warning: {error}; saving the profile anyway");
        }
        Err(error) => return Err(anyhow::anyhow!("{error}")),
    }
    let path = config_file();
    let token_path = write_login(&path, &args.profile, &args.url, token)?;
    println!(
        "saved profile '{}' in {} (token in {}, mode 0600)",
        args.profile,
        path.display(),
        token_path.display()
    );
    Ok(ExitCode::SUCCESS)
}
