//! Licenses (inventory order lines): the License Inventory list, one
//! license, creating one, allocating seats down to a child org, and the one
//! change a center admin may make: activate / deactivate.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use seatdesk_core::Permission;
use seatdesk_core::api::Page;
use seatdesk_core::api::inventory::{License, LicenseQuery, NewAllocation, NewLicense};
use seatdesk_core::problem::ProblemResponses;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::domain::licenses::{self, check_date, load_license, today};
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json, Path, Query, decode_cursor, encode_cursor, page_size};
use crate::mutation;
use crate::store::licenses as store;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_licenses, create_license))
        .routes(routes!(get_license))
        .routes(routes!(allocate))
        .routes(routes!(activate))
        .routes(routes!(deactivate))
}

/// The License Inventory list: search by order number, PO or code; filter
/// by order status and inventory type.
#[utoipa::path(get, path = "/v1/licenses", tag = "licenses", security(("bearer" = [])),
    params(LicenseQuery),
    responses((status = 200, description = "One page of licenses", body = Page<License>), ProblemResponses))]
async fn list_licenses(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<LicenseQuery>,
) -> ApiResult<Json<Page<License>>> {
    auth.require(Permission::Read)?;
    let limit = page_size(query.limit);
    let today = today();
    let code = query.code.as_deref().filter(|s| !s.is_empty());
    let code = code.map(licenses::code_search_form);
    let after = match &query.cursor {
        Some(cursor) => Some(decode_cursor(cursor)?.1),
        None => None,
    };
    let rows = store::list(
        &state.db.pool,
        &auth.scope,
        &query,
        code.as_deref(),
        today,
        after,
        limit + 1,
    )
    .await?;
    let (rows, next_cursor) = crate::http::split_page(rows, limit, |r| encode_cursor("", r.id));
    let mut items: Vec<License> = rows.into_iter().map(|r| r.into_api(today)).collect();
    licenses::with_forecasts(&state.db.pool, &mut items, today).await?;
    Ok(Json(Page { items, next_cursor }))
}

#[utoipa::path(get, path = "/v1/licenses/{id}", tag = "licenses", security(("bearer" = [])),
    params(("id" = i64, Path, description = "License id")),
    responses((status = 200, description = "The license with its derived seat figures", body = License), ProblemResponses))]
async fn get_license(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<License>> {
    auth.require(Permission::Read)?;
    let mut conn = state.db.pool.acquire().await?;
    let row = load_license(&mut conn, &auth.scope, id).await?;
    drop(conn);
    let today = today();
    let mut license = [row.into_api(today)];
    licenses::with_forecasts(&state.db.pool, &mut license, today).await?;
    let [license] = license;
    Ok(Json(license))
}

fn validate_new_license(body: &NewLicense) -> ApiResult<()> {
    let mut errors = Vec::new();
    if body.order_number.trim().is_empty() {
        errors.push("order_number must not be empty".to_string());
    }
    if !(1..=10_000_000).contains(&body.seats_purchased) {
        errors.push("seats_purchased must be between 1 and 10,000,000".to_string());
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
/// Records a new inventory order line for a purchasing account.
#[utoipa::path(post, path = "/v1/licenses", tag = "licenses", security(("bearer" = [])),
    request_body = NewLicense,
    responses((status = 201, description = "The new license", body = License), ProblemResponses))]
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
        let license = licenses::create(w, &auth.scope, &body).await?;
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
    responses((status = 201, description = "The child org's new license, cut from the parent's seats", body = License), ProblemResponses))]
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
        let child = licenses::allocate(
            w,
            &auth.scope,
            id,
            body.account_id,
            body.seats,
            body.order_number.clone(),
        )
        .await?;
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
        let license = licenses::set_active(w, &auth.scope, id, active).await?;
        Ok((StatusCode::OK, license))
    })
    .await
}

/// Makes a license usable again.
#[utoipa::path(post, path = "/v1/licenses/{id}/activate", tag = "licenses", security(("bearer" = [])),
    params(("id" = i64, Path, description = "License id")),
    responses((status = 200, description = "The license, now active", body = License), ProblemResponses))]
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
    responses((status = 200, description = "The license, now deactivated", body = License), ProblemResponses))]
async fn deactivate(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    set_active(&state, &auth, &key, id, false).await
}
