//! `seatdesk token create`: mint a token straight into the database, the way
//! the first administrator gets in; `token list|revoke|rotate` against the
//! database (--db) or over the API.

use std::process::ExitCode;

use anyhow::Context;
use seatdesk_core::OrgKind;
use seatdesk_core::api::TokenInfo;
use seatdesk_server::Db;
use seatdesk_server::tokens::{create_root_org, insert_token_until, org_count, resolve_org};

use super::remote::connect;
use crate::cli::{TokenCommand, TokenTarget};
use crate::paths::default_db_url;

pub async fn run(command: TokenCommand) -> anyhow::Result<ExitCode> {
    match command {
        TokenCommand::List { target, output } => list(target, &output).await,
        TokenCommand::Revoke { id, target } => revoke(id, target).await,
        TokenCommand::Rotate { id, target } => rotate(id, target).await,
        TokenCommand::Create {
            db,
            org,
            role,
            name,
            expires_in,
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
            let expires_at =
                expires_in.map(|days| seatdesk_server::tokens::expiry(role, Some(days)));
            let (id, secret) =
                insert_token_until(&mut conn, &name, role, org_id, expires_at).await?;
            eprintln!("token {id} ({role}) for org {org_id}; store it now, it is not shown again:");
            outln!("{secret}")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn open_db(url: &str) -> anyhow::Result<Db> {
    Db::connect(url)
        .await
        .with_context(|| format!("opening {url}"))
}

fn new_key() -> String {
    format!("cli-token-{}", seatdesk_server::tokens::new_secret())
}

async fn list(target: TokenTarget, output: &str) -> anyhow::Result<ExitCode> {
    let tokens = match &target.db {
        Some(url) => seatdesk_server::tokens::list_all(&open_db(url).await?).await?,
        None => connect(&target.remote)?.api.tokens().await?,
    };
    if output == "json" {
        outln!("{}", serde_json::to_string_pretty(&tokens)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!("ID\tNAME\tROLE\tORG\tCREATED\tLAST USED\tEXPIRES\tREVOKED")?;
    let at = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or("-".to_string(), |t| t.format("%Y-%m-%d %H:%M").to_string())
    };
    for TokenInfo {
        id,
        name,
        role,
        org_name,
        created_at,
        last_used_at,
        expires_at,
        revoked_at,
        ..
    } in tokens
    {
        outln!(
            "{id}\t{name}\t{role}\t{org_name}\t{}\t{}\t{}\t{}",
            at(Some(created_at)),
            at(last_used_at),
            at(expires_at),
            at(revoked_at)
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn revoke(id: i64, target: TokenTarget) -> anyhow::Result<ExitCode> {
    match &target.db {
        Some(url) => seatdesk_server::tokens::revoke_in_db(&open_db(url).await?, id).await?,
        None => {
            connect(&target.remote)?
                .api
                .revoke_token(id, &new_key())
                .await?;
        }
    }
    eprintln!("token {id} revoked");
    Ok(ExitCode::SUCCESS)
}

async fn rotate(id: i64, target: TokenTarget) -> anyhow::Result<ExitCode> {
    let (new_id, secret) = match &target.db {
        Some(url) => seatdesk_server::tokens::rotate_in_db(&open_db(url).await?, id).await?,
        None => {
            let made = connect(&target.remote)?
                .api
                .rotate_token(id, &new_key())
                .await?;
            (made.id, made.secret)
        }
    };
    eprintln!("token {id} revoked; its replacement {new_id}, store it now, it is not shown again:");
    outln!("{secret}")?;
    Ok(ExitCode::SUCCESS)
}
