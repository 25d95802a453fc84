//! Licenses below HTTP: the one read of a license with its derived
//! figures and live status ([`LicenseRow::into_api`]), whether a license can
//! take seats ([`unusable_reason`]), creating one, and allocating seats down
//! the org tree ([`allocate`]). The statements are in
//! [`crate::store::licenses`].

use axum::http::StatusCode;
use chrono::{NaiveDate, Utc};
use seatdesk_core::LicenseStatus;
use seatdesk_core::api::inventory::{License, NewLicense};
use seatdesk_core::seats::{DateStanding, SeatCounts, date_standing, remaining_days};

use crate::db::Conn;
use crate::db::sql::Sql;
use crate::db::types::Stamp;
use crate::domain::scope::Scope;
use crate::error::{ApiError, ApiResult};
use crate::mutation::Work;
use crate::store::audit::NewEvent;
use crate::store::licenses as store;
use crate::store::licenses::LicenseInsert;
use crate::store::licenses::LicenseRow;

pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Fills in the forecast of each usable license (stored active, not past
/// its grace) from the seat flow counters: one query for the lot.
pub async fn with_forecasts(
    pool: &crate::db::Pool,
    licenses: &mut [License],
    today: NaiveDate,
) -> Result<(), sqlx::Error> {
    let usable = |l: &License| {
        matches!(l.status, LicenseStatus::Active | LicenseStatus::Depleted)
            && l.standing != DateStanding::Lapsed
    };
    let ids: Vec<i64> = licenses
        .iter()
        .filter(|l| usable(l))
        .map(|l| l.id)
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let current = seatdesk_core::seats::week_index(
        today
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc()
            .timestamp_millis(),
    );
    let flows: std::collections::HashMap<i64, crate::store::forecast::LicenseFlow> =
        crate::store::forecast::license_flows(pool, &ids, current)
            .await?
            .into_iter()
            .map(|f| (f.license_id, f))
            .collect();
    for license in licenses.iter_mut().filter(|l| usable(l)) {
        license.forecast = crate::domain::dashboard::license_forecast(
            &license.seats,
            flows.get(&license.id).copied(),
            (today, current),
        );
    }
    Ok(())
}

/// The form a typed code is searched in: however it was spaced, dashed or
/// cased.
pub fn code_search_form(code: &str) -> String {
    seatdesk_core::codes::validate(code).unwrap_or_else(|_| code.trim().to_uppercase())
}

// The row lives in the store; what it means on a given day is a rule.
impl LicenseRow {
    /// The wire form, with derived figures for `today`. A stored `active`
    /// status reads as `expired` once past grace and `depleted` when full.
    pub fn into_api(self, today: NaiveDate) -> License {
        let seats = SeatCounts {
            purchased: self.seats_purchased,
            consumed: self.seats_consumed,
            allocated: self.seats_allocated,
        };
        let (start, finish) = (self.start_date.0, self.finish_date.0);
        let standing = date_standing(start, finish, self.grace_days, today);
        let status = match self.status.0 {
            LicenseStatus::Active if standing == DateStanding::Lapsed => LicenseStatus::Expired,
            LicenseStatus::Active if seats.available() == 0 => LicenseStatus::Depleted,
            other => other,
        };
        License {
            id: self.id,
            account_id: self.account_id,
            org_id: self.org_id,
            parent_license_id: self.parent_license_id,
            product_id: self.product_id,
            product_sku: self.sku,
            product_name: self.product_name,
            order_number: self.order_number,
            purchase_order: self.purchase_order,
            inventory_type: self.inventory_type.0,
            courses: self.courses.0,
            teacher_code: self.teacher_code,
            master_code: self.master_code,
            allocations_consumed: self.allocations_consumed,
            seats_available: seats.available(),
            usage_percent: seats.usage_percent(),
            seats,
            start_date: start,
            finish_date: finish,
            remaining_days: remaining_days(finish, today),
            grace_days: self.grace_days,
            standing,
            status,
            renewal_requested: self.renewal_requested.0,
            renewed: self.renewed.0,
            teachers: self.teachers,
            students: self.students,
            updated_at: self.updated_at.0,
            forecast: None,
        }
    }
}

/// Loads one license inside the caller's scope, or 404.
pub async fn load_license(conn: &mut Conn, scope: &Scope, id: i64) -> ApiResult<LicenseRow> {
    let row = store::license(conn, id).await?;
    row.filter(|r| scope.contains(&r.org_path))
        .ok_or_else(|| ApiError::not_found(format!("license {id}")))
}

/// Why a license cannot take new seats right now, if it cannot.
pub fn unusable_reason(license: &License) -> Option<String> {
    let id = license.id;
    match license.status {
        LicenseStatus::Requested => Some(format!("license {id} is a request not yet approved")),
        LicenseStatus::Deactivated => Some(format!("license {id} is deactivated")),
        LicenseStatus::Expired => Some(format!("license {id} expired on {}", license.finish_date)),
        _ if license.standing == DateStanding::NotStarted => {
            Some(format!("license {id} starts on {}", license.start_date))
        }
        _ => None,
    }
}

/// Appends the SQL form of [`unusable_reason`] finding nothing, seat
/// counts aside (callers take seats with the conditional UPDATE, which is
/// the seat-limit check): the license aliased `alias` is stored active (or
/// depleted), has started and is not past grace on `today`.
pub fn push_usable(sql: &mut Sql, alias: &str, today: NaiveDate) {
    sql.push(&format!(
        "{alias}.status IN ('{}', '{}') AND {alias}.start_date <= ",
        LicenseStatus::Active.as_str(),
        LicenseStatus::Depleted.as_str()
    ))
    .bind(today)
    .push(&format!(" AND {alias}.grace_until >= "))
    .bind(today);
}

/// Dates the API stores: four-digit years keep the text comparisons on
/// stored dates right and date arithmetic far from overflow.
pub fn check_date(name: &str, date: NaiveDate) -> Result<(), String> {
    let earliest = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap_or_default();
    let latest = NaiveDate::from_ymd_opt(9000, 12, 31).unwrap_or_default();
    if (earliest..=latest).contains(&date) {
        Ok(())
    } else {
        Err(format!("{name} must be between {earliest} and {latest}"))
    }
}

/// Inserts a license with a fresh master code (in `codes`) and, unless one
/// is passed down (allocations keep the parent's), a fresh teacher code.
pub async fn insert_license(
    conn: &mut Conn,
    new: &LicenseInsert<'_>,
    now: Stamp,
) -> ApiResult<i64> {
    let teacher_code = match &new.teacher_code {
        Some(code) => code.clone(),
        None => crate::codes::unused_teacher_code(&mut *conn).await?,
    };
    let grace_until = new.finish_date + chrono::Days::new(new.grace_days.max(0) as u64);
    let id = store::insert(&mut *conn, new, teacher_code, grace_until, now).await?;
    let master = crate::store::codes::CodeFields {
        license_id: id,
        ..Default::default()
    };
    crate::codes::insert_code(conn, seatdesk_core::CodeKind::Master, &master, now).await?;
    Ok(id)
}

/// The account's org id and path, if the account lies in the caller's scope.
pub async fn account_in_scope(
    conn: &mut Conn,
    scope: &Scope,
    account_id: i64,
) -> ApiResult<(i64, String)> {
    let row = store::account_org(conn, account_id).await?;
    row.filter(|(_, path)| scope.contains(path))
        .ok_or_else(|| ApiError::not_found(format!("purchasing account {account_id}")))
}

/// Records a new inventory order line (an active license with fresh codes)
/// for a purchasing account in `scope`.
pub async fn create(w: &mut Work, scope: &Scope, body: &NewLicense) -> ApiResult<License> {
    let (org_id, org_path) = account_in_scope(w.conn(), scope, body.account_id).await?;
    if crate::store::orgs::product_id_if_exists(w.conn(), body.product_id)
        .await?
        .is_none()
    {
        return Err(ApiError::not_found(format!("product {}", body.product_id)));
    }
    let now = w.now;
    let id = insert_license(
        w.conn(),
        &LicenseInsert {
            account_id: body.account_id,
            org_id,
            org_path: &org_path,
            parent_license_id: None,
            product_id: body.product_id,
            order_number: &body.order_number,
            purchase_order: &body.purchase_order,
            inventory_type: body.inventory_type,
            courses: &body.courses,
            teacher_code: None,
            seats_purchased: body.seats_purchased,
            start_date: body.start_date,
            finish_date: body.finish_date,
            grace_days: body.grace_days,
            status: LicenseStatus::Active,
        },
        now,
    )
    .await?;
    let license = load_license(w.conn(), scope, id).await?.into_api(today());
    w.record(NewEvent {
        action: "license.create",
        target_type: "license",
        target_id: id,
        org_path,
        before: None,
        after: serde_json::to_value(&license).ok(),
    });
    Ok(license)
}

/// Hands `seats` of license `id` down to purchasing account `account_id` of
/// a child org, as CCI Learning assigns inventory to a center. The child
/// gets a license of its own; the parent's available seats shrink by the
/// same count, under the same conditional update that guards every seat.
pub async fn allocate(
    w: &mut Work,
    scope: &Scope,
    id: i64,
    account_id: i64,
    seats: i64,
    order_number: Option<String>,
) -> ApiResult<License> {
    let parent = load_license(w.conn(), scope, id).await?;
    let parent_view = load_license(w.conn(), scope, id).await?.into_api(today());
    if let Some(reason) = unusable_reason(&parent_view) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            seatdesk_core::problem::kinds::LICENSE_NOT_USABLE,
            format!("cannot allocate from it: {reason}"),
        ));
    }
    let (child_org, child_path) = account_in_scope(w.conn(), scope, account_id).await?;
    let parent_scope = Scope::new(&parent.org_path)?;
    if !parent_scope.strictly_contains(&child_path) {
        return Err(ApiError::invalid(
            "seats can be allocated only to a purchasing account of a child org",
        ));
    }
    // The count the update leaves, not the one read above: a concurrent
    // allocation may have committed in between (PostgreSQL).
    let now = w.now;
    let allocated_after = store::allocate_seats(w.conn(), id, seats, now).await?;
    let Some(allocated_after) = allocated_after else {
        let available = SeatCounts {
            purchased: parent.seats_purchased,
            consumed: parent.seats_consumed,
            allocated: parent.seats_allocated,
        }
        .available();
        return Err(ApiError::no_seats_left(format!(
            "license {id} has {available} seats available; cannot allocate {seats}"
        )));
    };
    let order_number =
        order_number.unwrap_or_else(|| format!("{}-A{}", parent.order_number, account_id));
    let now_ms = w.now;
    let child_id = insert_license(
        w.conn(),
        &LicenseInsert {
            account_id,
            org_id: child_org,
            org_path: &child_path,
            parent_license_id: Some(id),
            product_id: parent.product_id,
            order_number: &order_number,
            purchase_order: &parent.purchase_order,
            inventory_type: parent.inventory_type.0,
            courses: &parent.courses.0,
            teacher_code: parent.teacher_code.clone(),
            seats_purchased: seats,
            start_date: parent.start_date.0,
            finish_date: parent.finish_date.0,
            grace_days: parent.grace_days,
            status: LicenseStatus::Active,
        },
        now_ms,
    )
    .await?;
    let child = load_license(w.conn(), scope, child_id)
        .await?
        .into_api(today());
    w.record(NewEvent {
        action: "license.allocate",
        target_type: "license",
        target_id: child_id,
        org_path: child_path,
        before: None,
        after: Some(serde_json::json!({
            "parent_license_id": id,
            "seats": seats,
            "parent_allocated_after": allocated_after,
        })),
    });
    // The parent changed too: feeds scoped to it must see its availability drop.
    w.record(NewEvent {
        action: "license.update",
        target_type: "license",
        target_id: id,
        org_path: parent.org_path.clone(),
        before: Some(serde_json::json!({ "seats_allocated": allocated_after - seats })),
        after: Some(serde_json::json!({
            "seats_allocated": allocated_after,
            "allocated_to_license_id": child_id,
        })),
    });
    Ok(child)
}

/// Activates or deactivates a license; a request not yet approved is refused.
pub async fn set_active(w: &mut Work, scope: &Scope, id: i64, active: bool) -> ApiResult<License> {
    let row = load_license(w.conn(), scope, id).await?;
    let before = row.status.0;
    let target = if active {
        LicenseStatus::Active
    } else {
        LicenseStatus::Deactivated
    };
    if before == LicenseStatus::Requested {
        return Err(ApiError::conflict(format!(
            "license {id} is still a request; it must be approved first"
        )));
    }
    let org_path = row.org_path.clone();
    let now = w.now;
    store::set_status(w.conn(), id, target, now).await?;
    let license = load_license(w.conn(), scope, id).await?.into_api(today());
    w.record(NewEvent {
        action: if active {
            "license.activate"
        } else {
            "license.deactivate"
        },
        target_type: "license",
        target_id: id,
        org_path,
        before: Some(serde_json::json!({ "status": before })),
        after: Some(serde_json::json!({ "status": target })),
    });
    Ok(license)
}
