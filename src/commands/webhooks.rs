//! `seatdesk webhooks`: the registered endpoints, their delivery state,
//! and adding, removing and testing them.

use std::process::ExitCode;

use anyhow::Context as _;
use seatdesk_client::new_idempotency_key;
use seatdesk_core::api::webhooks::{NewWebhook, Webhook};

use super::remote::{connect, list_all};
use crate::cli::{
    WebhookAddArgs, WebhookDeliveriesArgs, WebhookIdArgs, WebhooksArgs, WebhooksCommand,
};
use crate::exit::Code;
use crate::output::{self, Format, Sink};

pub async fn run(args: WebhooksArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        None => list(args).await,
        Some(WebhooksCommand::Add(args)) => add(args).await,
        Some(WebhooksCommand::Remove(args)) => remove(args).await,
        Some(WebhooksCommand::Test(args)) => test(args).await,
        Some(WebhooksCommand::Deliveries(args)) => deliveries(args).await,
    }
}

async fn list(args: WebhooksArgs) -> anyhow::Result<ExitCode> {
    let conn = connect(&args.remote)?;
    let mut hooks = conn.api.webhooks().await.context("listing webhooks")?;
    if let Some(limit) = args.out.limit {
        hooks.truncate(limit);
    }
    let mut sink = Sink::<Webhook>::new(args.out.output, args.out.export.as_deref())?;
    for hook in &hooks {
        sink.push(hook)?;
    }
    sink.finish()?;
    Ok(ExitCode::SUCCESS)
}

async fn add(args: WebhookAddArgs) -> anyhow::Result<ExitCode> {
    let conn = connect(&args.remote)?;
    conn.writable()?;
    let new = NewWebhook {
        url: args.url.clone(),
        events: args.events.clone(),
        org_id: args.org,
    };
    let created = conn
        .api
        .create_webhook(&new, &new_idempotency_key())
        .await
        .context("registering the webhook")?;
    match args.out.output {
        Format::Json => output::print_json(&created)?,
        other => {
            output::print_records(other, std::slice::from_ref(&created.webhook))?;
            // The secret is data the caller must keep: stdout, said once.
            if other == Format::Table {
                outln!("secret: {}", created.secret)?;
                eprintln!("the secret is shown once; store it to verify Seatdesk-Signature");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn remove(args: WebhookIdArgs) -> anyhow::Result<ExitCode> {
    let conn = connect(&args.remote)?;
    conn.writable()?;
    let hook = conn
        .api
        .delete_webhook(args.id, &new_idempotency_key())
        .await
        .with_context(|| format!("removing webhook {}", args.id))?;
    match args.out.output {
        Format::Json => output::print_json(&hook)?,
        other => output::print_records(other, std::slice::from_ref(&hook))?,
    }
    Ok(ExitCode::SUCCESS)
}

async fn test(args: WebhookIdArgs) -> anyhow::Result<ExitCode> {
    let conn = connect(&args.remote)?;
    let result = conn
        .api
        .test_webhook(args.id, &new_idempotency_key())
        .await
        .with_context(|| format!("testing webhook {}", args.id))?;
    match args.out.output {
        Format::Json => output::print_json(&result)?,
        other => output::print_records(other, std::slice::from_ref(&result))?,
    }
    Ok(if result.delivered {
        ExitCode::SUCCESS
    } else {
        Code::CheckFailed.exit()
    })
}

async fn deliveries(args: WebhookDeliveriesArgs) -> anyhow::Result<ExitCode> {
    let conn = connect(&args.remote)?;
    list_all(&args.out, "deliveries", async |cursor, limit| {
        conn.api
            .webhook_deliveries_page(args.id, cursor.as_deref(), limit)
            .await
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}
