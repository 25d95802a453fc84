//! `seatdesk claims`, `teachers`, `licenses` (`inventory`) and `users`:
//! the dashboard's lists, paged through in full (or to `--limit`), as a
//! table, JSON or CSV, and exported with `--export`.

use std::process::ExitCode;

use seatdesk_core::api::inventory::{LicenseQuery, OrderStatusFilter};
use seatdesk_core::api::seats::{ClaimQuery, ClaimSort, TeacherQuery};
use seatdesk_core::api::users::UserQuery;

use super::remote::{connect, list_all};
use crate::cli::{
    ClaimSortKey, ClaimsArgs, LicensesArgs, OrderStatus, SortOrder, TeachersArgs, UsersArgs,
};

pub async fn claims(args: ClaimsArgs) -> anyhow::Result<ExitCode> {
    let conn = connect(&args.remote)?;
    let query = claim_query(
        &args,
        conn.optional_product_id(args.product.as_deref()).await?,
    );
    list_all(&args.out, "claims", async |cursor, limit| {
        let mut page = query.clone();
        page.cursor = cursor;
        page.limit = Some(limit);
        conn.api.claims(&page).await
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}

/// The server's claims query for these flags; ages count back from now.
pub fn claim_query(args: &ClaimsArgs, product_id: Option<i64>) -> ClaimQuery {
    let now = chrono::Utc::now();
    let statuses: Vec<&str> = args.status.iter().map(|s| s.as_str()).collect();
    ClaimQuery {
        status: (!statuses.is_empty()).then(|| statuses.join(",")),
        product_id,
        license_id: args.license,
        account_id: args.account,
        q: args.q.clone(),
        from: args.newer_than.map(|age| now - age),
        to: args.older_than.map(|age| now - age),
        sort: args.sort.map(|key| match key {
            ClaimSortKey::Assigned => ClaimSort::AssignedAt,
            ClaimSortKey::Claimed => ClaimSort::ClaimedAt,
            ClaimSortKey::Name => ClaimSort::Name,
        }),
        order: args.order.map(|order| match order {
            SortOrder::Asc => "asc".to_string(),
            SortOrder::Desc => "desc".to_string(),
        }),
        cursor: None,
        limit: None,
    }
}

pub async fn teachers(args: TeachersArgs) -> anyhow::Result<ExitCode> {
    let conn = connect(&args.remote)?;
    let query = TeacherQuery {
        all: Some(args.all),
        q: args.q.clone(),
        cursor: None,
        limit: None,
    };
    list_all(&args.out, "teachers", async |cursor, limit| {
        let mut page = query.clone();
        page.cursor = cursor;
        page.limit = Some(limit);
        conn.api.teachers_page(args.license, &page).await
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}

pub async fn licenses(args: LicensesArgs) -> anyhow::Result<ExitCode> {
    let conn = connect(&args.remote)?;
    let query = LicenseQuery {
        account_id: args.account,
        org_id: args.org,
        product_id: conn.optional_product_id(args.product.as_deref()).await?,
        order_number: args.order_number.clone(),
        purchase_order: args.purchase_order.clone(),
        code: args.code.clone(),
        inventory_type: args.inventory_type,
        order_status: args.status.map(|status| match status {
            OrderStatus::All => OrderStatusFilter::All,
            OrderStatus::Available => OrderStatusFilter::Available,
            OrderStatus::Expired => OrderStatusFilter::Expired,
            OrderStatus::Requested => OrderStatusFilter::Requested,
            OrderStatus::WithRenewalRequest => OrderStatusFilter::WithRenewalRequest,
        }),
        cursor: None,
        limit: None,
    };
    list_all(&args.out, "licenses", async |cursor, limit| {
        let mut page = query.clone();
        page.cursor = cursor;
        page.limit = Some(limit);
        conn.api.licenses(&page).await
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}

pub async fn users(args: UsersArgs) -> anyhow::Result<ExitCode> {
    let conn = connect(&args.remote)?;
    let query = UserQuery {
        org_id: args.org,
        role: args.role,
        kind: args.kind,
        status: args.status,
        q: args.q.clone(),
        cursor: None,
        limit: None,
    };
    list_all(&args.out, "users", async |cursor, limit| {
        let mut page = query.clone();
        page.cursor = cursor;
        page.limit = Some(limit);
        conn.api.users(&page).await
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}
