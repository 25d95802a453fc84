//! The access check: for one user and one product, each condition access
//! depends on (account active, role, org, license active and in date, seat
//! held, training prerequisites) as pass/fail with the reason, in a fixed
//! order, plus a one-line verdict naming the first failure.

use crate::db::Conn;
use axum::extract::State;
use chrono::NaiveDate;
use seatdesk_core::api::triage::{AccessCheck, AccessCheckQuery, AccessCondition, ConditionResult};
use seatdesk_core::seats::{DateStanding, date_standing};
use seatdesk_core::{LicenseStatus, Permission, Problem, SeatStatus, UserStatus};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::db::types::{Day, Named, Stamp};
use crate::domain::licenses::today;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::{Json, Query};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(access_check))
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    email: String,
    org_path: String,
    org_name: String,
    status: Named<UserStatus>,
    roles: String,
    trainings: String,
}

#[derive(sqlx::FromRow)]
struct ProductRow {
    id: i64,
    sku: String,
    training_prerequisite: Option<String>,
}

/// A license of the product whose org is the user's org or an ancestor.
#[derive(sqlx::FromRow)]
struct ReachableLicense {
    id: i64,
    status: Named<LicenseStatus>,
    start_date: Day,
    finish_date: Day,
    grace_days: i64,
    grace_until: Day,
    org_path: String,
    org_name: String,
}

#[derive(sqlx::FromRow)]
struct SeatRow {
    id: i64,
    license_id: i64,
    status: Named<SeatStatus>,
    assigned_at: Stamp,
    claimed_at: Option<Stamp>,
    expired_at: Option<Stamp>,
    revoked_at: Option<Stamp>,
    revoked_by: Option<String>,
}

/// Users are named by numeric id or by email; out of scope reads as unknown.
async fn find_user(conn: &mut Conn, auth: &Auth, user: &str) -> ApiResult<UserRow> {
    let user = user.trim();
    let select = "SELECT u.id, u.email, u.org_path, o.name AS org_name, u.status, u.roles, \
                  u.trainings FROM users u JOIN orgs o ON o.id = u.org_id WHERE ";
    let row: Option<UserRow> = match user.parse::<i64>() {
        Ok(id) => {
            crate::db::query_as(format!("{select}u.id = $1"))
                .bind(id)
                .fetch_optional(conn)
                .await?
        }
        Err(_) => {
            crate::db::query_as(format!("{select}u.email = $1"))
                .bind(user.to_lowercase())
                .fetch_optional(conn)
                .await?
        }
    };
    row.filter(|u| auth.in_scope(&u.org_path))
        .ok_or_else(|| ApiError::not_found(format!("user '{user}'")))
}

/// Products are named by numeric id or SKU (the catalogue is shared).
async fn find_product(conn: &mut Conn, product: &str) -> ApiResult<ProductRow> {
    let product = product.trim();
    let select = "SELECT id, sku, training_prerequisite FROM products WHERE ";
    let mut row: Option<ProductRow> = None;
    if let Ok(id) = product.parse::<i64>() {
        row = crate::db::query_as(format!("{select}id = $1"))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    }
    if row.is_none() {
        row = crate::db::query_as(format!("{select}sku = $1"))
            .bind(product.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    }
    row.ok_or_else(|| ApiError::not_found(format!("product '{product}'")))
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
async fn role(conn: &mut Conn, user: &UserRow, product: &ProductRow) -> ApiResult<ConditionResult> {
    let name = AccessCondition::Role;
    let rules: Vec<(String, String)> = crate::db::query_as(
        "SELECT r.role, o.name FROM role_rules r JOIN orgs o ON o.id = r.org_id \
         WHERE r.product_id = $1 AND $2 LIKE (r.org_path || '%') ORDER BY r.org_path, r.role",
    )
    .bind(product.id)
    .bind(user.org_path.clone())
    .fetch_all(conn)
    .await?;
    if rules.is_empty() {
        return Ok(pass(
            name,
            format!(
                "no role rule maps a role to {}: no role required",
                product.sku
            ),
        ));
    }
    let held = comma_list(&user.roles);
    if let Some((role, org)) = rules.iter().find(|(role, _)| held.contains(role)) {
        return Ok(pass(
            name,
            format!("role {role} maps to {} (rule of {org})", product.sku),
        ));
    }
    let mut needed: Vec<&str> = rules.iter().map(|(role, _)| role.as_str()).collect();
    needed.sort_unstable();
    needed.dedup();
    let has = if held.is_empty() {
        "the user has no roles".to_string()
    } else {
        format!("the user's roles are {}", held.join(", "))
    };
    Ok(fail(
        name,
        format!("{has}; {} needs one of: {}", product.sku, needed.join(", ")),
    ))
}

/// Names a license for the caller: by id inside their subtree, otherwise
/// only as a parent organization's license, so nothing outside leaks.
fn license_label(license: &ReachableLicense, auth: &Auth) -> String {
    if auth.in_scope(&license.org_path) {
        format!("license {} of {}", license.id, license.org_name)
    } else {
        "a license of a parent organization".to_string()
    }
}

fn org(
    user: &UserRow,
    product: &ProductRow,
    reachable: &[ReachableLicense],
    auth: &Auth,
) -> ConditionResult {
    let name = AccessCondition::Org;
    match reachable.first() {
        Some(license) => pass(
            name,
            format!(
                "{} is covered by {}",
                user.org_name,
                license_label(license, auth)
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
    auth: &Auth,
    today: NaiveDate,
) -> (u8, ConditionResult) {
    let name = AccessCondition::LicenseActive;
    let label = license_label(license, auth);
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
    auth: &Auth,
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
        .map(|l| license_standing(l, auth, today))
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

/// Checks, for one user and one product, each condition access depends on,
/// in a fixed order: account active, role, org, license active and in date,
/// seat held, training prerequisites.
#[utoipa::path(get, path = "/v1/access-check", tag = "triage", security(("bearer" = [])),
    params(AccessCheckQuery),
    responses((status = 200, body = AccessCheck), (status = "4XX", body = Problem)))]
async fn access_check(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<AccessCheckQuery>,
) -> ApiResult<Json<AccessCheck>> {
    auth.require(Permission::Triage)?;
    if query.user.trim().is_empty() || query.product.trim().is_empty() {
        return Err(ApiError::invalid(
            "give both user (email or id) and product (SKU or id)",
        ));
    }
    let mut conn = state.db.pool.acquire().await?;
    let user = find_user(&mut conn, &auth, &query.user).await?;
    let product = find_product(&mut conn, &query.product).await?;
    let today = today();
    let reachable: Vec<ReachableLicense> = crate::db::query_as(
        "SELECT l.id, l.status, l.start_date, l.finish_date, l.grace_days, l.grace_until, \
         l.org_path, o.name AS org_name FROM licenses l JOIN orgs o ON o.id = l.org_id \
         WHERE l.product_id = $1 AND l.status <> 'requested' AND $2 LIKE (l.org_path || '%') \
         ORDER BY LENGTH(l.org_path) DESC, l.id LIMIT 500",
    )
    .bind(product.id)
    .bind(user.org_path.clone())
    .fetch_all(&mut conn)
    .await?;
    // Newest first, so the first non-live row is the latest loss of access.
    let seats: Vec<SeatRow> = crate::db::query_as(
        "SELECT s.id, s.license_id, s.status, s.assigned_at, s.claimed_at, s.expired_at, \
         s.revoked_at, s.revoked_by FROM seats s JOIN licenses l ON l.id = s.license_id \
         WHERE s.user_id = $1 AND l.product_id = $2 ORDER BY s.updated_at DESC, s.id DESC LIMIT 100",
    )
    .bind(user.id)
    .bind(product.id)
    .fetch_all(&mut conn)
    .await?;
    let conditions = vec![
        account_active(&user),
        role(&mut conn, &user, &product).await?,
        org(&user, &product, &reachable, &auth),
        license_active(&product, &reachable, &seats, &auth, today),
        seat_held(&product, &seats),
        training(&user, &product),
    ];
    Ok(Json(AccessCheck {
        user_id: user.id,
        user_email: user.email,
        product_id: product.id,
        product_sku: product.sku,
        today,
        access: conditions.iter().all(|c| c.pass),
        summary: summary(&conditions),
        conditions,
    }))
}
