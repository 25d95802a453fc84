//! `seatdesk requests`: renewal and new-license requests, and the parent
//! org's decision on them.

use std::process::ExitCode;

use anyhow::Context as _;
use seatdesk_client::new_idempotency_key;
use seatdesk_core::api::requests::{
    Approval, LicenseRequest, NewLicenseRequest, NewRenewal, NewRequest, Rejection, RequestQuery,
};

use super::remote::{Conn, connect, list_all};
use crate::cli::{
    ApproveArgs, NewLicenseArgs, RejectArgs, RenewArgs, ReportOutput, RequestListArgs,
    RequestsArgs, RequestsCommand,
};
use crate::exit::UsageError;
use crate::output::{self, Format};

pub async fn run(args: RequestsArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        None => list(args.list).await,
        Some(RequestsCommand::Renew(args)) => renew(args).await,
        Some(RequestsCommand::New(args)) => new_license(args).await,
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

async fn renew(args: RenewArgs) -> anyhow::Result<ExitCode> {
    if args.finish < args.start {
        return Err(UsageError("--finish must not be before --start".into()).into());
    }
    let conn = connect(&args.remote)?;
    conn.writable()?;
    let renewal = NewRenewal {
        license_id: args.license,
        new_code: args.new_code,
        start_date: args.start,
        finish_date: args.finish,
        students: args.students,
        purchase_order: args.purchase_order,
        comments: args.comments,
        courses: None,
        product_id: None,
    };
    let what = format!("requesting a renewal of license {}", args.license);
    submit(&conn, NewRequest::Renewal(renewal), &what, &args.out).await
}

async fn new_license(args: NewLicenseArgs) -> anyhow::Result<ExitCode> {
    if let (Some(start), Some(finish)) = (args.start, args.finish)
        && finish < start
    {
        return Err(UsageError("--finish must not be before --start".into()).into());
    }
    let conn = connect(&args.remote)?;
    conn.writable()?;
    let request = NewLicenseRequest {
        account_id: args.account,
        inventory_type: args.inventory_type,
        students: args.students,
        product_id: conn.product_id(&args.product).await?,
        courses: args.course,
        start_date: args.start,
        finish_date: args.finish,
        purchase_order: args.purchase_order,
        comments: args.comments,
    };
    let what = format!("requesting a new license for account {}", args.account);
    submit(&conn, NewRequest::NewLicense(request), &what, &args.out).await
}

/// Sends a request to the parent org and prints it as created.
async fn submit(
    conn: &Conn,
    request: NewRequest,
    what: &str,
    out: &ReportOutput,
) -> anyhow::Result<ExitCode> {
    let created = conn
        .api
        .create_request(&request, &new_idempotency_key())
        .await
        .context(what.to_string())?;
    show(&created, out.output)?;
    eprintln!(
        "request {} sent to {}",
        created.id,
        created
            .requested_to_org_name
            .as_deref()
            .unwrap_or("the parent org")
    );
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
