//! `seatdesk dashboard`: the Dashboard pane without a terminal UI. One row
//! per product (seats, usage, when the pool will be full at the current
//! pace, dates, expirations, claims by status), then the totals; JSON is
//! the server's whole `Dashboard` answer.

use std::process::ExitCode;

use anyhow::Context as _;
use seatdesk_core::api::dashboard::{Dashboard, DashboardQuery, ProductSummary};
use seatdesk_core::api::reclaim::SummaryQuery;

use super::remote::connect;
use crate::cli::DashboardArgs;
use crate::output::{self, Cell, Column, Format, Record, Table, col, wide};

impl Record for ProductSummary {
    // What an administrator scans first leads, so a narrow terminal drops
    // the start date, the claim counts and the name before the seat figures.
    const COLUMNS: &'static [Column] = &[
        col("sku"),
        col("purchased").titled("SEATS"),
        col("consumed").titled("USED"),
        col("available").titled("FREE"),
        col("usage_percent").titled("USE%"),
        col("forecast"),
        col("latest_finish").titled("FINISH"),
        col("min_remaining_days").titled("DAYS"),
        col("expiring_30").titled("EXP30"),
        col("expiring_60").titled("EXP60"),
        col("expiring_90").titled("EXP90"),
        col("in_grace").titled("GRACE"),
        col("pending"),
        col("active"),
        col("expired"),
        col("revoked"),
        col("earliest_start").titled("START"),
        col("name").titled("PRODUCT"),
        wide("product_id"),
        wide("module"),
        wide("licenses"),
        wide("allocated"),
        wide("allocated_within"),
        wide("activation_rate"),
        wide("full_in_days"),
        wide("full_on"),
        wide("seats_per_day"),
    ];
    fn cells(&self) -> Vec<Cell> {
        vec![
            self.sku.clone().into(),
            self.seats.purchased.into(),
            self.seats.consumed.into(),
            self.seats_available.into(),
            self.usage_percent.into(),
            // The server's words for its forecast; none without seats.
            self.forecast.map(|f| f.describe()).into(),
            self.latest_finish.into(),
            self.min_remaining_days.into(),
            self.expiring_30.into(),
            self.expiring_60.into(),
            self.expiring_90.into(),
            self.in_grace.into(),
            self.claims.pending.into(),
            self.claims.active.into(),
            self.claims.expired.into(),
            self.claims.revoked.into(),
            self.earliest_start.into(),
            self.name.as_str().into(),
            self.product_id.into(),
            self.module.as_ref().map(output::name).into(),
            self.licenses.into(),
            self.seats.allocated.into(),
            self.allocated_within.into(),
            self.activation_rate.into(),
            self.forecast.and_then(|f| f.full_in_days).into(),
            self.forecast.and_then(|f| f.full_on).into(),
            self.forecast.map(|f| f.seats_per_day).into(),
        ]
    }
}

pub async fn run(args: DashboardArgs) -> anyhow::Result<ExitCode> {
    let conn = connect(&args.remote)?;
    let query = DashboardQuery {
        account_id: args.account,
        org_id: args.org,
        product_id: conn.optional_product_id(args.product.as_deref()).await?,
    };
    let dashboard = conn
        .api
        .dashboard(&query)
        .await
        .context("reading the dashboard")?;
    match args.out.output {
        Format::Json => output::print_json(&dashboard)?,
        // CSV tells the totals apart by their empty sku and product_id.
        Format::Csv => {
            let mut rows = dashboard.products.clone();
            rows.push(dashboard.totals.clone());
            output::print_records(Format::Csv, &rows)?;
        }
        Format::Table => {
            output::print_table(&table(&dashboard))?;
            // Beside the forecasts, what the org's policies could free in
            // this view, on stderr like the other remarks so stdout stays
            // the table (nothing without policies, or when the token may
            // not read them).
            let summary = SummaryQuery {
                org_id: query.org_id,
                account_id: query.account_id,
                product_id: query.product_id,
            };
            if let Ok(summary) = conn.api.reclaim_summary(&summary).await
                && !summary.policies.is_empty()
            {
                eprintln!("{}", summary.sentence());
            }
        }
    }
    if dashboard.products.is_empty() {
        eprintln!("no licenses in this view");
    }
    Ok(ExitCode::SUCCESS)
}

/// The products, then the totals labelled in the SKU column (the name, at
/// the right, is the first thing a narrow terminal drops).
fn table(dashboard: &Dashboard) -> Table {
    let columns = ProductSummary::COLUMNS;
    let mut table = Table::with_headers(columns.iter().filter(|c| c.table).map(Column::header));
    let mut push = |cells: Vec<Cell>| {
        table.push(
            cells
                .iter()
                .zip(columns)
                .filter(|(_, c)| c.table)
                .map(|(cell, _)| cell),
        );
    };
    for summary in &dashboard.products {
        push(summary.cells());
    }
    let mut totals = dashboard.totals.cells();
    totals[0] = Cell::Text("TOTAL".into());
    push(totals);
    table
}
