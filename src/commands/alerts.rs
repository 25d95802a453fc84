//! `seatdesk alerts`: what needs attention (expiring licenses, licenses in
//! grace, nearly full pools, leaked codes), with the server's thresholds
//! overridable per call. JSON is the API's answer, for monitoring.

use std::process::ExitCode;

use anyhow::Context as _;
use seatdesk_core::api::alerts::{Alert, AlertQuery};

use super::remote::connect;
use crate::cli::AlertsArgs;
use crate::exit::{Code, UsageError};
use crate::output::{self, Format, Sink};

pub async fn run(args: AlertsArgs) -> anyhow::Result<ExitCode> {
    check_thresholds(&args)?;
    let conn = connect(&args.remote)?;
    let query = AlertQuery {
        account_id: args.account,
        org_id: args.org,
        kind: args.kind,
        expiry_days: args.expiry_days.clone(),
        usage_percent: args.usage_percent,
        fast_redemptions: args.fast_redemptions,
        fast_window_minutes: args.fast_window_minutes,
    };
    let mut alerts = conn.api.alerts(&query).await.context("reading alerts")?;
    if let Some(limit) = args.out.limit {
        alerts.items.truncate(limit);
    }
    if args.out.output == Some(Format::Json) {
        if let Some(path) = &args.out.export {
            export(&alerts.items, None, Some(path))?;
        }
        output::print_json(&alerts)?;
    } else {
        export(&alerts.items, args.out.output, args.out.export.as_deref())?;
    }
    if alerts.items.is_empty() {
        eprintln!("no alerts");
    }
    if alerts.truncated {
        eprintln!(
            "more alerts matched than the {} listed; narrow with --account, --org or --kind",
            alerts.items.len()
        );
    }
    let failing = args
        .fail_on
        .is_some_and(|floor| alerts.items.iter().any(|a| a.severity >= floor));
    Ok(if failing {
        Code::CheckFailed.exit()
    } else {
        ExitCode::SUCCESS
    })
}

fn export(
    items: &[Alert],
    format: Option<Format>,
    path: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let mut sink = Sink::<Alert>::new(format, path)?;
    for alert in items {
        sink.push(alert)?;
    }
    sink.finish()
}

/// Parses the thresholds locally so a typo is a usage error, not a 400.
fn check_thresholds(args: &AlertsArgs) -> Result<(), UsageError> {
    if let Some(days) = &args.expiry_days {
        seatdesk_core::api::alerts::parse_expiry_days(days).map_err(UsageError)?;
    }
    Ok(())
}
