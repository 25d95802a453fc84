//! Writes the planned structure: orgs, accounts, products, licenses and
//! their master, resource and activation codes, code batches, role rules and
//! pending requests, each row's values in the column order of its
//! [`crate::store::demo`] table. Seats and people are written by their own
//! modules.

use crate::db::Conn;
use chrono::Days;
use rand::Rng;
use seatdesk_core::codes::CodeShape;
use seatdesk_core::{CodeKind, InventoryType, RequestKind, RequestStatus, UserRole};

use super::catalog::{PRODUCTS, ProductKey, index_of};
use super::codes::CodeSet;
use super::licenses::{Inventory, LicensePlan};
use super::tree::{Tree, day_ms};
use super::{Ids, Summary};
use crate::store::demo::{self as table, Row, Rows};

/// Id of the catalogue product `key`, given the first product's id.
pub fn product_id(first: i64, key: ProductKey) -> i64 {
    first + index_of(key) as i64
}

pub async fn orgs_and_accounts(
    conn: &mut Conn,
    tree: &Tree,
    created: i64,
) -> Result<(), sqlx::Error> {
    let mut rows = Rows::new(&table::ORGS, conn.backend());
    // Parents come before children in `tree.orgs`, as the foreign key needs.
    for org in tree.orgs.iter().filter(|o| o.insert) {
        rows.row()
            .int(org.id)
            .opt_int(org.parent_id)
            .text(org.kind.as_str())
            .text(&org.name)
            .text(&org.path)
            .stamp(created)
            .end();
        rows.flush_if_full(conn).await?;
    }
    rows.flush(conn).await?;
    let mut rows = Rows::new(&table::ACCOUNTS, conn.backend());
    for account in &tree.accounts {
        rows.row()
            .int(account.id)
            .int(account.org_id)
            .text(&account.name)
            .text(&account.number)
            .stamp(created)
            .end();
        rows.flush_if_full(conn).await?;
    }
    rows.flush(conn).await
}

pub async fn products(conn: &mut Conn, first_id: i64) -> Result<(), sqlx::Error> {
    let mut rows = Rows::new(&table::PRODUCTS, conn.backend());
    for (n, product) in PRODUCTS.iter().enumerate() {
        rows.row()
            .int(first_id + n as i64)
            .text(product.sku)
            .text(product.name)
            .text(product.family)
            .text(product.edition.as_str())
            .text(product.module.as_str())
            .flag(product.has_resource_codes)
            .opt_text(product.training_prerequisite)
            .end();
    }
    rows.flush(conn).await
}

pub async fn licenses(
    conn: &mut Conn,
    tree: &Tree,
    inventory: &Inventory,
    first_product: i64,
    created: i64,
) -> Result<(), sqlx::Error> {
    let mut rows = Rows::new(&table::LICENSES, conn.backend());
    // Parents have smaller ids than the licenses allocated from them.
    for license in &inventory.licenses {
        let org = &tree.orgs[license.org];
        let courses = serde_json::to_string(&license.courses).unwrap_or_else(|_| "[]".into());
        let created_at = created.max(day_ms(license.start) - 14 * super::people::DAY_MS);
        rows.row()
            .int(license.id)
            .int(license.account_id)
            .int(org.id)
            .text(&org.path)
            .opt_int(license.parent_license_id)
            .int(product_id(first_product, license.product))
            .text(&license.order_number)
            .text(&license.purchase_order)
            .text(license.inventory_type.as_str())
            .text(&courses)
            .opt_text(license.teacher_code.as_deref())
            .int(license.seats_purchased)
            .int(license.mix.live())
            .int(license.seats_allocated)
            .day(license.start)
            .day(license.finish)
            .int(license.grace_days)
            .day(license.grace_until())
            .text(license.status.as_str())
            .flag(license.renewal_requested)
            .flag(license.renewed)
            .stamp(created_at)
            .stamp(created_at)
            .end();
        rows.flush_if_full(conn).await?;
    }
    rows.flush(conn).await
}

/// Master codes of every license, resource codes of ALEKS licenses, and a
/// code batch with its activation codes for each User Activation Codes
/// license (the first codes already redeemed by the license's students).
pub async fn license_codes<R: Rng + ?Sized>(
    conn: &mut Conn,
    rng: &mut R,
    ids: &mut Ids,
    codes: &mut CodeSet,
    inventory: &Inventory,
    created: i64,
    summary: &mut Summary,
) -> Result<(), sqlx::Error> {
    let mut code_rows = Rows::new(&table::CODES, conn.backend());
    let mut batches = Rows::new(&table::CODE_BATCHES, conn.backend());
    for license in &inventory.licenses {
        let expires = day_ms(license.grace_until());
        if let Some(master) = &license.master_code {
            code_row(
                &mut code_rows,
                ids.code.take(),
                master,
                CodeKind::Master,
                license,
                None,
                None,
            )
            .int(license.seats_purchased)
            .int(license.mix.live())
            .stamp(expires)
            .stamp(created)
            .end();
            summary.master_codes += 1;
        }
        for subject in &license.resource_subjects {
            let code = codes.fresh(rng, CodeShape::Master);
            code_row(
                &mut code_rows,
                ids.code.take(),
                &code,
                CodeKind::Resource,
                license,
                None,
                Some(subject),
            )
            .int(license.seats_purchased)
            .int(0)
            .stamp(expires)
            .stamp(created)
            .end();
            summary.resource_codes += 1;
        }
        if let Some(batch) = license
            .batch
            .filter(|_| license.inventory_type == InventoryType::UserActivationCodes)
        {
            let batch_id = ids.batch.take();
            let count = license.seats_purchased;
            let made = created.max(day_ms(license.start));
            batches
                .row()
                .int(batch_id)
                .int(license.id)
                .int(count)
                .int(batch.users_per_code)
                .int(batch.duration_days)
                .flag(batch.benchmark)
                .flag(batch.exercises)
                .flag(batch.badges)
                .flag(batch.teacher_link)
                .text("token:kim.williams")
                .stamp(made)
                .end();
            batches.flush(conn).await?;
            let redeemed = license.mix.total();
            let code_expiry =
                day_ms(license.start + Days::new(batch.duration_days as u64)).max(expires);
            for n in 0..count {
                let code = codes.fresh(rng, CodeShape::Grouped);
                code_row(
                    &mut code_rows,
                    ids.code.take(),
                    &code,
                    CodeKind::Activation,
                    license,
                    Some(batch_id),
                    None,
                )
                .int(batch.users_per_code)
                .int(i64::from(n < redeemed))
                .stamp(code_expiry)
                .stamp(made)
                .end();
                code_rows.flush_if_full(conn).await?;
            }
            summary.code_batches += 1;
            summary.activation_codes += count as u64;
        }
        code_rows.flush_if_full(conn).await?;
    }
    code_rows.flush(conn).await
}

/// The columns up to `subject`; the caller adds max_uses, uses, expires_at
/// and created_at.
fn code_row<'a>(
    rows: &'a mut Rows,
    id: i64,
    code: &str,
    kind: CodeKind,
    license: &LicensePlan,
    batch: Option<i64>,
    subject: Option<&str>,
) -> Row<'a> {
    rows.row()
        .int(id)
        .text(code)
        .text(kind.as_str())
        .int(license.id)
        .opt_int(batch)
        .null()
        .opt_text(subject)
}

/// Role rules of every district: observer / observable → Observe, learner
/// (the content role) → Learn.
pub async fn role_rules(
    conn: &mut Conn,
    ids: &mut Ids,
    tree: &Tree,
    first_product: i64,
    created: i64,
) -> Result<u64, sqlx::Error> {
    let mut rows = Rows::new(&table::ROLE_RULES, conn.backend());
    let rules = [
        (UserRole::Observer, ProductKey::Observe),
        (UserRole::Observable, ProductKey::Observe),
        (UserRole::Learner, ProductKey::Learn),
    ];
    for site in &tree.districts {
        let org = &tree.orgs[site.org];
        for (role, product) in rules {
            rows.row()
                .int(ids.role_rule.take())
                .int(org.id)
                .text(&org.path)
                .text(role.as_str())
                .int(product_id(first_product, product))
                .stamp(created)
                .end();
        }
    }
    let count = rows.count();
    rows.flush(conn).await?;
    Ok(count)
}

/// Two pending requests: the first district renewing its expiring
/// ConnectED license, and the first center asking its hub for codes.
pub async fn requests(
    conn: &mut Conn,
    ids: &mut Ids,
    tree: &Tree,
    inventory: &Inventory,
    first_product: i64,
    today_ms: i64,
) -> Result<u64, sqlx::Error> {
    let mut rows = Rows::new(&table::REQUESTS, conn.backend());
    let find = |id: i64| inventory.licenses.iter().find(|l| l.id == id);
    let asks = [
        (
            RequestKind::Renewal,
            find(inventory.specials.renewal),
            false,
            "Renewing for next school year with the same programs; please keep our master code.",
        ),
        (
            RequestKind::NewLicense,
            find(inventory.specials.requested),
            true,
            "30 more Jasperactive codes for the spring Excel and Word cohort.",
        ),
    ];
    for (kind, license, new_code, comments) in asks {
        let Some(license) = license else { continue };
        let org = &tree.orgs[license.org];
        let parent = org.parent_id;
        let (start, finish) = match kind {
            RequestKind::Renewal => (
                license.finish + Days::new(1),
                license.finish + Days::new(365),
            ),
            RequestKind::NewLicense => (license.start, license.finish),
        };
        let courses = serde_json::to_string(&license.courses).unwrap_or_else(|_| "[]".into());
        rows.row()
            .int(ids.request.take())
            .text(kind.as_str())
            .text(RequestStatus::Pending.as_str())
            .int(license.id)
            .int(license.account_id)
            .int(org.id)
            .text(&org.path)
            .opt_int(parent)
            .int(product_id(first_product, license.product))
            .flag(new_code)
            .text(license.inventory_type.as_str())
            .opt_int((kind == RequestKind::NewLicense).then_some(license.seats_purchased))
            .text(&courses)
            .day(start)
            .day(finish)
            .text(&license.purchase_order)
            .text(comments)
            .text(if org.kind == seatdesk_core::OrgKind::Center {
                "token:tolano-admin"
            } else {
                "token:district-admin"
            })
            .stamp(today_ms - 2 * super::people::DAY_MS)
            .end();
    }
    let count = rows.count();
    rows.flush(conn).await?;
    Ok(count)
}
