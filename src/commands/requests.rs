//! `seatdesk requests`: renewal and new-license requests, and the parent
//! org's decision on them.

use std::process::ExitCode;

use anyhow::Context as _;
use seatdesk_client::new_idempotency_key;
use seatdesk_core::api::requests::{Approval, LicenseRequest, Rejection, RequestQuery};

use super::remote::{connect, list_all};
use crate::cli::{ApproveArgs, RejectArgs, RequestListArgs, RequestsArgs, RequestsCommand};
use crate::exit::UsageError;
use crate::output::{self, Format};

pub async fn run(args: RequestsArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        None => list(args.list).await,
        Some(RequestsCommand::Approve(args)) => approve(args).await,
        Some(RequestsCommand::Reject(args)) => reject(args).await,
    }
}

async fn list(args: RequestListArgs) -> anyhow::Result<ExitCode> {
    let conn = connect(&args.remote)?;
    list_all(&args.out, "requests", async |cursor, limit| {
        let query = RequestQuery {
            status: args.status,
            kind: args.kind,
            license_id: args.license,
            cursor,
            limit: Some(limit),
        };
        conn.api.requests(&query).await
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}

async fn approve(args: ApproveArgs) -> anyhow::Result<ExitCode> {
    let conn = connect(&args.remote)?;
    conn.writable()?;
    let approval = Approval {
        approval_comments: args.comments.clone(),
        seats: args.seats,
    };
    let request = conn
        .api
        .approve_request(args.id, &approval, &new_idempotency_key())
        .await
        .with_context(|| format!("approving request {}", args.id))?;
    show(&request, args.out.output)?;
    if let Some(license) = request.result_license_id {
        eprintln!("request {} approved: license {license}", request.id);
    }
    Ok(ExitCode::SUCCESS)
}

async fn reject(args: RejectArgs) -> anyhow::Result<ExitCode> {
    if args.comments.trim().is_empty() {
        return Err(UsageError("a rejection needs a reason: --comments TEXT".into()).into());
    }
    let conn = connect(&args.remote)?;
    conn.writable()?;
    let rejection = Rejection {
        approval_comments: args.comments.clone(),
    };
    let request = conn
        .api
        .reject_request(args.id, &rejection, &new_idempotency_key())
        .await
        .with_context(|| format!("rejecting request {}", args.id))?;
    show(&request, args.out.output)?;
    Ok(ExitCode::SUCCESS)
}

fn show(request: &LicenseRequest, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => output::print_json(request),
        other => output::print_records(other, std::slice::from_ref(request)),
    }
}
