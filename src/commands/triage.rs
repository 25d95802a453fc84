//! Help-desk triage: `seatdesk check USER PRODUCT` (each access condition,
//! pass or fail, and why) and `seatdesk doctor` (the discrepancy report).
//! Both exit 7 when the answer is bad, so scripts and cron can alert.

use std::process::ExitCode;

use anyhow::Context as _;
use seatdesk_core::api::triage::{ConditionResult, Discrepancy, DiscrepancyQuery};

use super::remote::connect;
use crate::cli::{CheckArgs, DoctorArgs};
use crate::exit::Code;
use crate::output::{self, Cell, Column, Format, Record, Table, col, wide};

impl Record for ConditionResult {
    const COLUMNS: &'static [Column] = &[
        col("condition"),
        col("result"),
        col("reason"),
        wide("pass"),
        wide("warning"),
    ];
    fn cells(&self) -> Vec<Cell> {
        let result = match (self.pass, self.warning) {
            (false, _) => "fail",
            (true, true) => "warn",
            (true, false) => "pass",
        };
        vec![
            output::name(&self.name).into(),
            result.into(),
            self.reason.as_str().into(),
            self.pass.into(),
            self.warning.into(),
        ]
    }
}

pub async fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let conn = connect(&args.remote)?;
    let check = conn
        .api
        .access_check(&args.user, &args.product)
        .await
        .context("checking access")?;
    match args.out.output {
        Format::Json => output::print_json(&check)?,
        Format::Csv => output::print_records(Format::Csv, &check.conditions)?,
        Format::Table => {
            outln!(
                "{} → {} on {}",
                check.user_email,
                check.product_sku,
                check.today
            )?;
            output::print_records(Format::Table, &check.conditions)?;
            let verdict = if check.access {
                "ACCESS GRANTED"
            } else {
                "ACCESS DENIED"
            };
            outln!("{verdict}: {}", check.summary)?;
        }
    }
    Ok(if check.access {
        ExitCode::SUCCESS
    } else {
        Code::CheckFailed.exit()
    })
}

pub async fn doctor(args: DoctorArgs) -> anyhow::Result<ExitCode> {
    let conn = connect(&args.remote)?;
    let report = conn
        .api
        .discrepancies(&DiscrepancyQuery { limit: args.limit })
        .await
        .context("reading the discrepancy report")?;
    let items: Vec<Discrepancy> = report
        .groups
        .iter()
        .flat_map(|g| g.items.iter().cloned())
        .collect();
    match args.out.output {
        Format::Json => output::print_json(&report)?,
        Format::Csv => output::print_records(Format::Csv, &items)?,
        Format::Table => {
            let mut summary = Table::for_columns(["kind", "total", "listed"]);
            for group in &report.groups {
                summary.push(&[
                    Cell::Text(output::name(&group.kind)),
                    if group.at_least {
                        Cell::Text(format!("{}+", group.total))
                    } else {
                        Cell::Int(group.total)
                    },
                    Cell::Int(group.items.len() as i64),
                ]);
            }
            output::print_table(&summary)?;
            if !items.is_empty() {
                outln!()?;
                output::print_records(Format::Table, &items)?;
            }
        }
    }
    let listed_less = report.groups.iter().any(|g| g.more > 0);
    eprintln!(
        "{}{} discrepancies{}",
        report.total,
        if report.at_least { "+" } else { "" },
        if listed_less {
            " (raise --limit to list more per kind)"
        } else {
            ""
        }
    );
    Ok(if report.total > 0 {
        Code::CheckFailed.exit()
    } else {
        ExitCode::SUCCESS
    })
}
