//! Licenses (inventory order lines): the License Inventory list, one
//! license, creating one, allocating seats down to a child org, and the one
//! change a center admin may make: activate / deactivate.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{NaiveDate, Utc};
use seatdesk_core::api::Page;
use seatdesk_core::api::inventory::{
    License, LicenseQuery, NewAllocation, NewLicense, OrderStatusFilter,
};
use seatdesk_core::seats::{DateStanding, SeatCounts, date_standing, remaining_days};
use seatdesk_core::{InventoryType, LicenseStatus, Permission, Problem};
use sqlx::AnyConnection;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::audit::NewEvent;
use crate::db::sql::Sql;
use crate::db::{flag, ms_to_time};
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json, Path, Query, decode_cursor, encode_cursor, page_size};
use crate::mutation;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_licenses, create_license))
        .routes(routes!(get_license))
        .routes(routes!(allocate))
        .routes(routes!(activate))
        .routes(routes!(deactivate))
}

/// Columns of [`LicenseRow`], in order; `l` is licenses, `p` products.
pub const LICENSE_SELECT: &str = "SELECT l.id, l.account_id, l.org_id, l.parent_license_id, \
    l.product_id, p.sku, p.name AS product_name, l.order_number, l.purchase_order, l.inventory_type, l.courses, \
    l.teacher_code, \
    (SELECT c.code FROM codes c WHERE c.license_id = l.id AND c.kind = 'master' ORDER BY c.id LIMIT 1) AS master_code, \
    l.seats_purchased, l.seats_consumed, l.seats_allocated, l.start_date, l.finish_date, \
    l.grace_days, l.status, l.renewal_requested, l.renewed, \
    (SELECT COUNT(*) FROM seats s JOIN users u ON u.id = s.user_id \
       WHERE s.license_id = l.id AND s.status IN ('pending', 'active') AND u.kind = 'teacher') AS teachers, \
    (SELECT COUNT(*) FROM seats s JOIN users u ON u.id = s.user_id \
       WHERE s.license_id = l.id AND s.status IN ('pending', 'active') AND u.kind = 'student') \
    + (SELECT CAST(COALESCE(SUM(s.students_assigned), 0) AS BIGINT) FROM seats s \
       WHERE s.license_id = l.id AND s.status IN ('pending', 'active')) AS students, \
    (SELECT CAST(COALESCE(SUM(c.seats_consumed), 0) AS BIGINT) FROM licenses c \
       WHERE c.parent_license_id = l.id) AS allocations_consumed, \
    l.updated_at, l.org_path \
    FROM licenses l JOIN products p ON p.id = l.product_id";

#[derive(sqlx::FromRow)]
pub struct LicenseRow {
    id: i64,
    account_id: i64,
    org_id: i64,
    parent_license_id: Option<i64>,
    product_id: i64,
    sku: String,
    product_name: String,
    order_number: String,
    purchase_order: String,
    inventory_type: String,
    courses: String,
    teacher_code: Option<String>,
    master_code: Option<String>,
    seats_purchased: i64,
    seats_consumed: i64,
    seats_allocated: i64,
    start_date: String,
    finish_date: String,
    grace_days: i64,
    status: String,
    renewal_requested: i64,
    renewed: i64,
    teachers: i64,
    students: i64,
    allocations_consumed: i64,
    updated_at: i64,
    pub org_path: String,
}

pub fn parse_date(text: &str) -> NaiveDate {
    text.parse().unwrap_or_default()
}

pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

impl LicenseRow {
    /// The wire form, with derived figures for `today`. A stored `active`
    /// status reads as `expired` once past grace and `depleted` when full.
    pub fn into_api(self, today: NaiveDate) -> License {
        let seats = SeatCounts {
            purchased: self.seats_purchased,
            consumed: self.seats_consumed,
            allocated: self.seats_allocated,
        };
        let (start, finish) = (parse_date(&self.start_date), parse_date(&self.finish_date));
        let standing = date_standing(start, finish, self.grace_days, today);
        let stored = LicenseStatus::parse(&self.status).unwrap_or(LicenseStatus::Deactivated);
        let status = match stored {
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
            inventory_type: InventoryType::parse(&self.inventory_type)
                .unwrap_or(InventoryType::SeatPool),
            courses: serde_json::from_str(&self.courses).unwrap_or_default(),
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
            renewal_requested: flag(self.renewal_requested),
            renewed: flag(self.renewed),
            teachers: self.teachers,
            students: self.students,
            updated_at: ms_to_time(self.updated_at),
        }
    }
}

/// Loads one license inside the caller's scope, or 404.
pub async fn load_license(conn: &mut AnyConnection, auth: &Auth, id: i64) -> ApiResult<LicenseRow> {
    let mut sql = Sql::new(LICENSE_SELECT);
    sql.push(" WHERE l.id = ").bind(id);
    let row: Option<LicenseRow> = sql.query_as().fetch_optional(conn).await?;
    row.filter(|r| auth.in_scope(&r.org_path))
        .ok_or_else(|| ApiError::not_found(format!("license {id}")))
}

/// The License Inventory list: search by order number, PO or code; filter
/// by order status and inventory type.
#[utoipa::path(get, path = "/v1/licenses", tag = "licenses", security(("bearer" = [])),
    params(LicenseQuery),
    responses((status = 200, body = Page<License>), (status = "4XX", body = Problem)))]
async fn list_licenses(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<LicenseQuery>,
) -> ApiResult<Json<Page<License>>> {
    auth.require(Permission::Read)?;
    let limit = page_size(query.limit);
    let today = today();
    let today_text = today.to_string();
    let mut sql = Sql::new(LICENSE_SELECT);
    sql.push(" WHERE l.org_path LIKE ")
        .bind(auth.scope_pattern());
    if let Some(account_id) = query.account_id {
        sql.push(" AND l.account_id = ").bind(account_id);
    }
    if let Some(org_id) = query.org_id {
        sql.push(" AND l.org_id = ").bind(org_id);
    }
    if let Some(product_id) = query.product_id {
        sql.push(" AND l.product_id = ").bind(product_id);
    }
    if let Some(order) = query.order_number.as_deref().filter(|s| !s.is_empty()) {
        sql.push(" AND l.order_number = ").bind(order.to_string());
    }
    if let Some(po) = query.purchase_order.as_deref().filter(|s| !s.is_empty()) {
        sql.push(" AND LOWER(l.purchase_order) LIKE ")
            .bind_like(crate::db::sql::contains_pattern(po));
    }
    if let Some(code) = query.code.as_deref().filter(|s| !s.is_empty()) {
        // Typed codes match however they were spaced, dashed or cased.
        let code =
            seatdesk_core::codes::validate(code).unwrap_or_else(|_| code.trim().to_uppercase());
        sql.push(" AND (l.teacher_code = ")
            .bind(code.clone())
            .push(" OR EXISTS (SELECT 1 FROM codes c WHERE c.license_id = l.id AND c.code = ")
            .bind(code)
            .push("))");
    }
    if let Some(kind) = query.inventory_type {
        sql.push(" AND l.inventory_type = ")
            .bind(kind.as_str().to_string());
    }
    match query.order_status.unwrap_or(OrderStatusFilter::All) {
        OrderStatusFilter::All => {}
        OrderStatusFilter::Available => {
            sql.push(" AND l.status = 'active' AND l.grace_until >= ")
                .bind(today_text.clone())
                .push(" AND l.seats_consumed + l.seats_allocated < l.seats_purchased");
        }
        OrderStatusFilter::Expired => {
            sql.push(" AND (l.status = 'expired' OR l.grace_until < ")
                .bind(today_text.clone())
                .push(")");
        }
        OrderStatusFilter::Requested => {
            sql.push(
                " AND (l.status = 'requested' OR EXISTS (SELECT 1 FROM requests r \
                 WHERE r.license_id = l.id AND r.status = 'pending'))",
            );
        }
        OrderStatusFilter::WithRenewalRequest => {
            sql.push(" AND l.renewal_requested = 1");
        }
    }
    if let Some(cursor) = &query.cursor {
        let (_, after) = decode_cursor(cursor)?;
        sql.push(" AND l.id > ").bind(after);
    }
    sql.push(" ORDER BY l.id LIMIT ").bind(limit + 1);
    let rows: Vec<LicenseRow> = sql.query_as().fetch_all(&state.db.pool).await?;
    let (rows, next_cursor) = crate::http::split_page(rows, limit, |r| encode_cursor("", r.id));
    Ok(Json(Page {
        items: rows.into_iter().map(|r| r.into_api(today)).collect(),
        next_cursor,
    }))
}

#[utoipa::path(get, path = "/v1/licenses/{id}", tag = "licenses", security(("bearer" = [])),
    params(("id" = i64, Path, description = "License id")),
    responses((status = 200, body = License), (status = "4XX", body = Problem)))]
async fn get_license(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<License>> {
    auth.require(Permission::Read)?;
    let mut conn = state.db.pool.acquire().await?;
    let row = load_license(&mut conn, &auth, id).await?;
    Ok(Json(row.into_api(today())))
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

fn validate_new_license(body: &NewLicense) -> ApiResult<()> {
    let mut errors = Vec::new();
    if body.order_number.trim().is_empty() {
        errors.push("order_number must not be empty".to_string());
    }
    if body.seats_purchased < 0 || body.seats_purchased > 10_000_000 {
        errors.push("seats_purchased must be between 0 and 10,000,000".to_string());
    }
    for (name, date) in [
        ("start_date", body.start_date),
        ("finish_date", body.finish_date),
    ] {
        if let Err(error) = check_date(name, date) {
            errors.push(error);
        }
    }
    if body.finish_date < body.start_date {
        errors.push("finish_date must not be before start_date".to_string());
    }
    if !(0..=3650).contains(&body.grace_days) {
        errors.push("grace_days must be between 0 and 3650".to_string());
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Fields of a license insert; shared with allocations and request approval.
pub struct LicenseInsert<'a> {
    pub account_id: i64,
    pub org_id: i64,
    pub org_path: &'a str,
    pub parent_license_id: Option<i64>,
    pub product_id: i64,
    pub order_number: &'a str,
    pub purchase_order: &'a str,
    pub inventory_type: InventoryType,
    pub courses: &'a [String],
    pub teacher_code: Option<String>,
    pub seats_purchased: i64,
    pub start_date: NaiveDate,
    pub finish_date: NaiveDate,
    pub grace_days: i64,
    pub status: LicenseStatus,
}

/// Inserts a license with a fresh master code (in `codes`) and, unless one
/// is passed down (allocations keep the parent's), a fresh teacher code.
pub async fn insert_license(
    conn: &mut AnyConnection,
    new: &LicenseInsert<'_>,
    now: i64,
) -> ApiResult<i64> {
    let teacher_code = match &new.teacher_code {
        Some(code) => code.clone(),
        None => crate::codes::unused_teacher_code(&mut *conn).await?,
    };
    let grace_until = new.finish_date + chrono::Days::new(new.grace_days.max(0) as u64);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO licenses (account_id, org_id, org_path, parent_license_id, product_id, \
         order_number, purchase_order, inventory_type, courses, teacher_code, seats_purchased, \
         start_date, finish_date, grace_days, grace_until, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17) RETURNING id",
    )
    .bind(new.account_id)
    .bind(new.org_id)
    .bind(new.org_path.to_string())
    .bind(new.parent_license_id)
    .bind(new.product_id)
    .bind(new.order_number.trim().to_string())
    .bind(new.purchase_order.trim().to_string())
    .bind(new.inventory_type.as_str())
    .bind(serde_json::to_string(new.courses).unwrap_or_else(|_| "[]".into()))
    .bind(teacher_code)
    .bind(new.seats_purchased)
    .bind(new.start_date.to_string())
    .bind(new.finish_date.to_string())
    .bind(new.grace_days)
    .bind(grace_until.to_string())
    .bind(new.status.as_str())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let master = crate::codes::CodeFields {
        license_id: id,
        ..Default::default()
    };
    crate::codes::insert_code(conn, seatdesk_core::CodeKind::Master, &master, now).await?;
    Ok(id)
}

/// The account's org id and path, if the account lies in the caller's scope.
pub async fn account_in_scope(
    conn: &mut AnyConnection,
    auth: &Auth,
    account_id: i64,
) -> ApiResult<(i64, String)> {
    let row: Option<(i64, String)> = sqlx::query_as(
        "SELECT o.id, o.path FROM accounts a JOIN orgs o ON o.id = a.org_id WHERE a.id = $1",
    )
    .bind(account_id)
    .fetch_optional(conn)
    .await?;
    row.filter(|(_, path)| auth.in_scope(path))
        .ok_or_else(|| ApiError::not_found(format!("purchasing account {account_id}")))
}

/// Records a new inventory order line for a purchasing account.
#[utoipa::path(post, path = "/v1/licenses", tag = "licenses", security(("bearer" = [])),
    request_body = NewLicense,
    responses((status = 201, body = License), (status = "4XX", body = Problem)))]
async fn create_license(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Json(body): Json<NewLicense>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageInventory)?;
    validate_new_license(&body)?;
    let fingerprint = mutation::fingerprint("create_license", &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let (org_id, org_path) = account_in_scope(w.conn(), &auth, body.account_id).await?;
        let product: Option<i64> = sqlx::query_scalar("SELECT id FROM products WHERE id = $1")
            .bind(body.product_id)
            .fetch_optional(w.conn())
            .await?;
        product.ok_or_else(|| ApiError::not_found(format!("product {}", body.product_id)))?;
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
        let license = load_license(w.conn(), &auth, id).await?.into_api(today());
        w.record(NewEvent {
            action: "license.create",
            target_type: "license",
            target_id: id,
            org_path,
            before: None,
            after: serde_json::to_value(&license).ok(),
        });
        Ok((StatusCode::CREATED, license))
    })
    .await
}

/// Hands part of a license's seats down to a purchasing account of a child
/// org, as CCI Learning assigns inventory to a center. The child sees a
/// license of its own; the parent's available seats shrink by the same count.
#[utoipa::path(post, path = "/v1/licenses/{id}/allocations", tag = "licenses", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Parent license id")),
    request_body = NewAllocation,
    responses((status = 201, body = License), (status = "4XX", body = Problem)))]
async fn allocate(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Path(id): Path<i64>,
    Json(body): Json<NewAllocation>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageInventory)?;
    if !(1..=10_000_000).contains(&body.seats) {
        return Err(ApiError::invalid("seats must be between 1 and 10,000,000"));
    }
    let fingerprint = mutation::fingerprint(&format!("allocate:{id}"), &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let parent = load_license(w.conn(), &auth, id).await?;
        let parent_view = load_license(w.conn(), &auth, id).await?.into_api(today());
        if let Some(reason) = crate::routes::seats::unusable_reason(&parent_view) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                seatdesk_core::problem::kinds::LICENSE_NOT_USABLE,
                format!("cannot allocate from it: {reason}"),
            ));
        }
        let (child_org, child_path) = account_in_scope(w.conn(), &auth, body.account_id).await?;
        if child_path == parent.org_path || !child_path.starts_with(&parent.org_path) {
            return Err(ApiError::invalid(
                "seats can be allocated only to a purchasing account of a child org",
            ));
        }
        // The count the UPDATE leaves, not the one read above: a concurrent
        // allocation may have committed in between (PostgreSQL).
        let allocated_after: Option<i64> = sqlx::query_scalar(
            "UPDATE licenses SET seats_allocated = seats_allocated + $1, updated_at = $2 \
             WHERE id = $3 AND seats_consumed + seats_allocated + $1 <= seats_purchased \
             RETURNING seats_allocated",
        )
        .bind(body.seats)
        .bind(w.now)
        .bind(id)
        .fetch_optional(w.conn())
        .await?;
        let Some(allocated_after) = allocated_after else {
            let available = SeatCounts {
                purchased: parent.seats_purchased,
                consumed: parent.seats_consumed,
                allocated: parent.seats_allocated,
            }
            .available();
            return Err(ApiError::no_seats_left(format!(
                "license {id} has {available} seats available; cannot allocate {}",
                body.seats
            )));
        };
        let order_number = body
            .order_number
            .clone()
            .unwrap_or_else(|| format!("{}-A{}", parent.order_number, body.account_id));
        let courses: Vec<String> = serde_json::from_str(&parent.courses).unwrap_or_default();
        let inventory_type =
            InventoryType::parse(&parent.inventory_type).unwrap_or(InventoryType::SeatPool);
        let now = w.now;
        let child_id = insert_license(
            w.conn(),
            &LicenseInsert {
                account_id: body.account_id,
                org_id: child_org,
                org_path: &child_path,
                parent_license_id: Some(id),
                product_id: parent.product_id,
                order_number: &order_number,
                purchase_order: &parent.purchase_order,
                inventory_type,
                courses: &courses,
                teacher_code: parent.teacher_code.clone(),
                seats_purchased: body.seats,
                start_date: parse_date(&parent.start_date),
                finish_date: parse_date(&parent.finish_date),
                grace_days: parent.grace_days,
                status: LicenseStatus::Active,
            },
            now,
        )
        .await?;
        let child = load_license(w.conn(), &auth, child_id)
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
                "seats": body.seats,
                "parent_allocated_after": allocated_after,
            })),
        });
        // The parent changed too: feeds scoped to it must see its availability drop.
        w.record(NewEvent {
            action: "license.update",
            target_type: "license",
            target_id: id,
            org_path: parent.org_path.clone(),
            before: Some(serde_json::json!({ "seats_allocated": allocated_after - body.seats })),
            after: Some(serde_json::json!({
                "seats_allocated": allocated_after,
                "allocated_to_license_id": child_id,
            })),
        });
        Ok((StatusCode::CREATED, child))
    })
    .await
}

async fn set_active(
    state: &AppState,
    auth: &Auth,
    key: &IdempotencyKey,
    id: i64,
    active: bool,
) -> ApiResult<Response> {
    auth.require(Permission::ToggleLicense)?;
    let route = if active { "activate" } else { "deactivate" };
    let fingerprint = mutation::fingerprint(&format!("{route}:{id}"), &());
    mutation::run(state, auth, key, fingerprint, async |w| {
        let row = load_license(w.conn(), auth, id).await?;
        let before = LicenseStatus::parse(&row.status);
        let target = if active {
            LicenseStatus::Active
        } else {
            LicenseStatus::Deactivated
        };
        if before == Some(LicenseStatus::Requested) {
            return Err(ApiError::conflict(format!(
                "license {id} is still a request; it must be approved first"
            )));
        }
        let org_path = row.org_path.clone();
        sqlx::query("UPDATE licenses SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(target.as_str())
            .bind(w.now)
            .bind(id)
            .execute(w.conn())
            .await?;
        let license = load_license(w.conn(), auth, id).await?.into_api(today());
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
        Ok((StatusCode::OK, license))
    })
    .await
}

/// Makes a license usable again.
#[utoipa::path(post, path = "/v1/licenses/{id}/activate", tag = "licenses", security(("bearer" = [])),
    params(("id" = i64, Path, description = "License id")),
    responses((status = 200, body = License), (status = "4XX", body = Problem)))]
async fn activate(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    set_active(&state, &auth, &key, id, true).await
}

/// Stops a license from granting access; its seats stay as they are.
#[utoipa::path(post, path = "/v1/licenses/{id}/deactivate", tag = "licenses", security(("bearer" = [])),
    params(("id" = i64, Path, description = "License id")),
    responses((status = 200, body = License), (status = "4XX", body = Problem)))]
async fn deactivate(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    set_active(&state, &auth, &key, id, false).await
}
