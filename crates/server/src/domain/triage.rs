//! Help-desk triage rules: the access check, which answers "why can't this
//! user get into this product?" condition by condition in a fixed order
//! (account active, role, org, license active and in date, seat held,
//! training prerequisites) with a one-line verdict naming the first
//! failure; and the discrepancy report of stored figures that disagree with
//! the rows behind them. The reads are [`crate::store::triage`]'s.
//!
//! Activation-code uses are not compared with seats: seat rows do not
//! record which code created them, so that figure cannot be derived.

use chrono::NaiveDate;
use seatdesk_core::api::triage::{
    AccessCheck, AccessCondition, ConditionResult, DISCREPANCY_COUNT_CAP, Discrepancy,
    DiscrepancyGroup, DiscrepancyKind, DiscrepancyReport,
};
use seatdesk_core::seats::{DateStanding, date_standing};
use seatdesk_core::{LicenseStatus, SeatStatus, UserStatus};

use crate::db::Conn;
use crate::db::types::Stamp;
use crate::domain::licenses::today;
use crate::domain::scope::Scope;
use crate::error::{ApiError, ApiResult};
use crate::store::triage::{
    self as store, FoundRow, ProductRow, ReachableLicense, SeatRow, UserRow,
};

/// Users are named by numeric id or by email; out of scope reads as unknown.
async fn find_user(conn: &mut Conn, scope: &Scope, user: &str) -> ApiResult<UserRow> {
    let user = user.trim();
    let row = match user.parse::<i64>() {
        Ok(id) => store::user_by_id(conn, id).await?,
        Err(_) => store::user_by_email(conn, &user.to_lowercase()).await?,
    };
    row.filter(|u| scope.contains(&u.org_path))
        .ok_or_else(|| ApiError::not_found(format!("user '{user}'")))
}

/// Products are named by numeric id or SKU (the catalogue is shared).
async fn find_product(conn: &mut Conn, product: &str) -> ApiResult<ProductRow> {
    let product = product.trim();
    let mut row: Option<ProductRow> = None;
    if let Ok(id) = product.parse::<i64>() {
        row = store::product_by_id(&mut *conn, id).await?;
    }
    if row.is_none() {
        row = store::product_by_sku(&mut *conn, product).await?;
    }
    row.ok_or_else(|| ApiError::not_found(format!("product '{product}'")))
}

/// Checks, for `user` (email or id) in `scope` and `product` (SKU or id),
/// each condition access depends on.
pub async fn access_check(
    conn: &mut Conn,
    scope: &Scope,
    user: &str,
    product: &str,
) -> ApiResult<AccessCheck> {
    let user = find_user(conn, scope, user).await?;
    let product = find_product(conn, product).await?;
    let today = today();
    let reachable = store::reachable_licenses(conn, product.id, &user.org_path).await?;
    // Newest first, so the first non-live row is the latest loss of access.
    let seats = store::user_seats(conn, user.id, product.id).await?;
    let rules = store::role_rules_reaching(conn, product.id, &user.org_path).await?;
    let conditions = vec![
        account_active(&user),
        role(&user, &product, &rules),
        org(&user, &product, &reachable, scope),
        license_active(&product, &reachable, &seats, scope, today),
        seat_held(&product, &seats),
        training(&user, &product),
    ];
    Ok(AccessCheck {
        user_id: user.id,
        user_email: user.email,
        product_id: product.id,
        product_sku: product.sku,
        today,
        access: conditions.iter().all(|c| c.pass),
        summary: summary(&conditions),
        conditions,
    })
}

fn pass(name: AccessCondition, reason: String) -> ConditionResult {
    ConditionResult {
        name,
        pass: true,
        warning: false,
        reason,
    }
}

fn warn(name: AccessCondition, reason: String) -> ConditionResult {
    ConditionResult {
        name,
        pass: true,
        warning: true,
        reason,
    }
}

fn fail(name: AccessCondition, reason: String) -> ConditionResult {
    ConditionResult {
        name,
        pass: false,
        warning: false,
        reason,
    }
}

fn account_active(user: &UserRow) -> ConditionResult {
    let name = AccessCondition::AccountActive;
    match user.status.0 {
        UserStatus::Active => pass(name, format!("user {} is active", user.email)),
        _ => fail(name, format!("user {} is {}", user.email, user.status)),
    }
}

fn comma_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Role rules of the user's org or its ancestors that map a role to the
/// product. No such rule means the product needs no particular role.
fn role(user: &UserRow, product: &ProductRow, rules: &[(String, String)]) -> ConditionResult {
    let name = AccessCondition::Role;
    if rules.is_empty() {
        return pass(
            name,
            format!(
                "no role rule maps a role to {}: no role required",
                product.sku
            ),
        );
    }
    let held = comma_list(&user.roles);
    if let Some((role, org)) = rules.iter().find(|(role, _)| held.contains(role)) {
        return pass(
            name,
            format!("role {role} maps to {} (rule of {org})", product.sku),
        );
    }
    let mut needed: Vec<&str> = rules.iter().map(|(role, _)| role.as_str()).collect();
    needed.sort_unstable();
    needed.dedup();
    let has = if held.is_empty() {
        "the user has no roles".to_string()
    } else {
        format!("the user's roles are {}", held.join(", "))
    };
    fail(
        name,
        format!("{has}; {} needs one of: {}", product.sku, needed.join(", ")),
    )
}

/// Names a license for the caller: by id inside their subtree, otherwise
/// only as a parent organization's license, so nothing outside leaks.
fn license_label(license: &ReachableLicense, scope: &Scope) -> String {
    if scope.contains(&license.org_path) {
        format!("license {} of {}", license.id, license.org_name)
    } else {
        "a license of a parent organization".to_string()
    }
}

fn org(
    user: &UserRow,
    product: &ProductRow,
    reachable: &[ReachableLicense],
    scope: &Scope,
) -> ConditionResult {
    let name = AccessCondition::Org;
    match reachable.first() {
        Some(license) => pass(
            name,
            format!(
                "{} is covered by {}",
                user.org_name,
                license_label(license, scope)
            ),
        ),
        None => fail(
            name,
            format!(
                "no license of {} covers {} or its parent orgs",
                product.sku, user.org_name
            ),
        ),
    }
}

/// How usable one license is today: a rank (lower is better) and the result.
fn license_standing(
    license: &ReachableLicense,
    scope: &Scope,
    today: NaiveDate,
) -> (u8, ConditionResult) {
    let name = AccessCondition::LicenseActive;
    let label = license_label(license, scope);
    let (start, finish) = (license.start_date.0, license.finish_date.0);
    let standing = date_standing(start, finish, license.grace_days, today);
    let stored = license.status.0;
    if stored == LicenseStatus::Deactivated {
        return (4, fail(name, format!("{label} is deactivated")));
    }
    if stored == LicenseStatus::Expired || standing == DateStanding::Lapsed {
        let grace = if license.grace_days > 0 {
            format!(" (grace ended {})", license.grace_until)
        } else {
            String::new()
        };
        return (3, fail(name, format!("{label} expired on {finish}{grace}")));
    }
    match standing {
        DateStanding::NotStarted => (2, fail(name, format!("{label} not started until {start}"))),
        DateStanding::InGrace => (
            1,
            warn(
                name,
                format!(
                    "{label} is in grace until {} (finished {finish})",
                    license.grace_until
                ),
            ),
        ),
        _ => (0, pass(name, format!("{label} is active until {finish}"))),
    }
}

/// The best standing among the licenses the user's seats are on, or, with
/// no live seat, among every license reaching the user's org.
fn license_active(
    product: &ProductRow,
    reachable: &[ReachableLicense],
    seats: &[SeatRow],
    scope: &Scope,
    today: NaiveDate,
) -> ConditionResult {
    let seat_licenses: Vec<i64> = seats
        .iter()
        .filter(|s| s.status.0.consumes_seat())
        .map(|s| s.license_id)
        .collect();
    let candidates: Vec<&ReachableLicense> = if seat_licenses.is_empty() {
        reachable.iter().collect()
    } else {
        let held: Vec<&ReachableLicense> = reachable
            .iter()
            .filter(|l| seat_licenses.contains(&l.id))
            .collect();
        if held.is_empty() {
            reachable.iter().collect()
        } else {
            held
        }
    };
    candidates
        .into_iter()
        .map(|l| license_standing(l, scope, today))
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, result)| result)
        .unwrap_or_else(|| {
            fail(
                AccessCondition::LicenseActive,
                format!("no license of {} reaches the user's org", product.sku),
            )
        })
}

fn date_of(at: Stamp) -> NaiveDate {
    at.0.date_naive()
}

fn seat_held(product: &ProductRow, seats: &[SeatRow]) -> ConditionResult {
    let name = AccessCondition::SeatHeld;
    let status = |s: &SeatRow| Some(s.status.0);
    if let Some(seat) = seats.iter().find(|s| status(s) == Some(SeatStatus::Active)) {
        let claimed = seat
            .claimed_at
            .map(|ms| format!(", claimed {}", date_of(ms)))
            .unwrap_or_default();
        return pass(
            name,
            format!(
                "active seat {} on license {}{claimed}",
                seat.id, seat.license_id
            ),
        );
    }
    if let Some(seat) = seats
        .iter()
        .find(|s| status(s) == Some(SeatStatus::Pending))
    {
        return warn(
            name,
            format!(
                "pending: assigned {}, not yet claimed (seat {} on license {})",
                date_of(seat.assigned_at),
                seat.id,
                seat.license_id
            ),
        );
    }
    let last = match seats.first() {
        Some(seat) if status(seat) == Some(SeatStatus::Revoked) => format!(
            "; seat {} on license {} was revoked on {}{}",
            seat.id,
            seat.license_id,
            seat.revoked_at
                .map(date_of)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            seat.revoked_by
                .as_deref()
                .map(|by| format!(" by {by}"))
                .unwrap_or_default()
        ),
        Some(seat) => format!(
            "; seat {} on license {} expired on {}",
            seat.id,
            seat.license_id,
            seat.expired_at
                .map(date_of)
                .map(|d| d.to_string())
                .unwrap_or_default()
        ),
        None => String::new(),
    };
    fail(name, format!("no live seat of {}{last}", product.sku))
}

fn training(user: &UserRow, product: &ProductRow) -> ConditionResult {
    let name = AccessCondition::Training;
    let Some(required) = product
        .training_prerequisite
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        return pass(name, format!("{} requires no training", product.sku));
    };
    let done = comma_list(&user.trainings);
    if done.contains(&required.to_lowercase()) {
        pass(name, format!("training '{required}' completed"))
    } else if done.is_empty() {
        fail(
            name,
            format!("training '{required}' not completed (no trainings completed)"),
        )
    } else {
        fail(
            name,
            format!(
                "training '{required}' not completed (completed: {})",
                done.join(", ")
            ),
        )
    }
}

/// The verdict line: the first failing condition, or access granted (with
/// any warnings).
fn summary(conditions: &[ConditionResult]) -> String {
    if let Some(failed) = conditions.iter().find(|c| !c.pass) {
        return format!("no access: {}: {}", failed.name.label(), failed.reason);
    }
    let warnings: Vec<&str> = conditions
        .iter()
        .filter(|c| c.warning)
        .map(|c| c.reason.as_str())
        .collect();
    if warnings.is_empty() {
        "access granted".to_string()
    } else {
        format!("access granted, but: {}", warnings.join("; "))
    }
}

/// Finds every kind of discrepancy under `scope`: per kind the total and
/// the first `limit` items (by license, user, seat; duplicate assignments
/// by user and product).
pub async fn discrepancies(
    conn: &mut Conn,
    scope: &Scope,
    limit: i64,
) -> ApiResult<DiscrepancyReport> {
    discrepancies_capped(conn, scope, limit, DISCREPANCY_COUNT_CAP).await
}

/// [`discrepancies`] with the whole tree's archived and suspended users'
/// seats counted up to `cap` (tests use a small one).
pub async fn discrepancies_capped(
    conn: &mut Conn,
    scope: &Scope,
    limit: i64,
    cap: i64,
) -> ApiResult<DiscrepancyReport> {
    let whole_tree = crate::store::orgs::covers_every_org(&mut *conn, scope).await?;
    let mut groups = Vec::with_capacity(DiscrepancyKind::ALL.len());
    for &kind in DiscrepancyKind::ALL {
        let (rows, total) =
            store::discrepancies(&mut *conn, kind, scope, limit, whole_tree, cap).await?;
        let items: Vec<Discrepancy> = rows
            .into_iter()
            .map(|row| Discrepancy {
                kind,
                detail: describe(kind, &row),
                user_id: row.user_id,
                user_email: row.user_email,
                license_id: row.license_id,
                product_id: row.product_id,
                seat_id: row.seat_id,
                expected: row.expected,
                actual: row.actual,
            })
            .collect();
        // Only these kinds' whole-tree counts stop at the cap (see the store).
        let capped = matches!(
            kind,
            DiscrepancyKind::ArchivedUserHoldingSeat | DiscrepancyKind::SuspendedUserHoldingSeat
        );
        let at_least = whole_tree && capped && total > cap;
        let total = if at_least { cap } else { total };
        groups.push(DiscrepancyGroup {
            kind,
            total,
            at_least,
            more: (total - items.len() as i64).max(0),
            items,
        });
    }
    Ok(DiscrepancyReport {
        total: groups.iter().map(|g| g.total).sum(),
        at_least: groups.iter().any(|g| g.at_least),
        groups,
    })
}

fn describe(kind: DiscrepancyKind, row: &FoundRow) -> String {
    let user = row.user_email.as_deref().unwrap_or("?");
    let license = row.license_id.unwrap_or_default();
    let (expected, actual) = (row.expected.unwrap_or(0), row.actual.unwrap_or(0));
    match kind {
        DiscrepancyKind::ArchivedUserHoldingSeat | DiscrepancyKind::SuspendedUserHoldingSeat => {
            let status = if kind == DiscrepancyKind::ArchivedUserHoldingSeat {
                "archived"
            } else {
                "suspended"
            };
            format!(
                "{status} user {user} holds {} seat {} of license {license}",
                row.seat_status.as_deref().unwrap_or("a live"),
                row.seat_id.unwrap_or_default()
            )
        }
        DiscrepancyKind::DuplicateAssignment => format!(
            "user {user} holds {actual} live seats of product {} (first on license {license})",
            row.product_id.unwrap_or_default()
        ),
        DiscrepancyKind::ConsumedMismatch => format!(
            "license {license} stores {actual} seats consumed but has {expected} live seat rows"
        ),
        DiscrepancyKind::AllocatedMismatch => format!(
            "license {license} stores {actual} seats allocated but its child licenses purchased {expected}"
        ),
        DiscrepancyKind::OverAllocated => format!(
            "license {license} has {actual} seats in use or allocated but only {expected} purchased"
        ),
    }
}
