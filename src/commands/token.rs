//! `seatdesk token create`: mint a token straight into the database, the way
//! the first administrator gets in.

use std::process::ExitCode;

use anyhow::Context;
use seatdesk_core::OrgKind;
use seatdesk_server::Db;
use seatdesk_server::tokens::{create_root_org, insert_token, org_count, resolve_org};

use crate::cli::TokenCommand;
use crate::paths::default_db_url;

pub async fn run(command: TokenCommand) -> anyhow::Result<ExitCode> {
    match command {
        TokenCommand::Create {
            db,
            org,
            role,
            name,
        } => {
            let url = db.unwrap_or_else(default_db_url);
            let db = Db::connect(&url)
                .await
                .with_context(|| format!("opening {url}"))?;
            let org_id = match resolve_org(&db, &org).await {
                Ok(id) => id,
                Err(error) if org_count(&db).await? > 0 => return Err(error.into()),
                Err(_) => create_root_org(&db, &org, OrgKind::Distributor).await?,
            };
            let mut conn = db.pool.acquire().await?;
            let (id, secret) = insert_token(&mut conn, &name, role, org_id).await?;
            eprintln!("token {id} ({role}) for org {org_id}; store it now, it is not shown again:");
            outln!("{secret}")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
