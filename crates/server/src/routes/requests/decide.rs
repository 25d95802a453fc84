//! The parent org's decision on a request: approving creates or renews the
//! license; rejecting clears the license's renewal flag. Only an admin of a
//! strict ancestor of the requesting org may decide.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use seatdesk_core::api::inventory::License;
use seatdesk_core::api::requests::{Approval, LicenseRequest, Rejection};
use seatdesk_core::{LicenseStatus, Permission, Problem, RequestKind, RequestStatus};

use super::{MAX_SEATS, MAX_TEXT, RequestRow, create_requested_license, load_request};
use crate::AppState;
use crate::audit::NewEvent;
use crate::domain::licenses::{LicenseInsert, insert_license, load_license, today};
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json, Path};
use crate::mutation::{self, Work};

/// Approves a pending request of a child org.
#[utoipa::path(post, path = "/v1/requests/{id}/approve", tag = "requests", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    request_body = Approval,
    responses((status = 200, body = LicenseRequest),
              (status = 403, description = "Not an admin of a parent org of the requester", body = Problem),
              (status = 409, description = "The request is no longer pending", body = Problem),
              (status = "4XX", body = Problem)))]
pub(super) async fn approve(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Path(id): Path<i64>,
    Json(body): Json<Approval>,
) -> ApiResult<Response> {
    auth.require(Permission::DecideRequest)?;
    let mut errors = Vec::new();
    if body.seats.is_some_and(|s| !(1..=MAX_SEATS).contains(&s)) {
        errors.push(format!("seats must be between 1 and {MAX_SEATS}"));
    }
    if body
        .approval_comments
        .as_ref()
        .is_some_and(|c| c.len() > MAX_TEXT)
    {
        errors.push(format!(
            "approval_comments must be at most {MAX_TEXT} characters"
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let fingerprint = mutation::fingerprint(&format!("approve_request:{id}"), &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let comments = body.approval_comments.clone().unwrap_or_default();
        let row = claim_decision(w, &auth, id, RequestStatus::Approved, &comments).await?;
        let kind = row.kind.0;
        let license_id = match (kind, row.new_code != 0) {
            (RequestKind::NewLicense, _) => {
                let seats = body.seats.or(row.students).unwrap_or(0);
                if seats < 1 {
                    return Err(ApiError::invalid(
                        "the request asks for no students; give the seats to grant",
                    ));
                }
                // A license already recorded as `requested` (the License
                // Inventory "Requested" filter shows it) becomes active;
                // otherwise the approval creates the license.
                let placeholder = match row.license_id {
                    Some(license_id) => crate::db::query(
                        "UPDATE licenses SET status = 'active', seats_purchased = $1, updated_at = $2 \
                         WHERE id = $3 AND status = 'requested' AND seats_consumed + seats_allocated <= $1",
                    )
                    .bind(seats)
                    .bind(w.now)
                    .bind(license_id)
                    .execute(w.conn())
                    .await?
                    .rows_affected()
                    .eq(&1)
                    .then_some((license_id, row.org_path.clone())),
                    None => None,
                };
                let activated = placeholder.is_some();
                let (license_id, org_path) = match placeholder {
                    Some(found) => found,
                    None => create_requested_license(w, &row, seats).await?,
                };
                let license = load_license(w.conn(), &auth.scope, license_id)
                    .await?
                    .into_api(today());
                w.record(NewEvent {
                    action: if activated { "license.activate" } else { "license.create" },
                    target_type: "license",
                    target_id: license_id,
                    org_path,
                    before: None,
                    after: serde_json::to_value(&license).ok(),
                });
                license_id
            }
            (RequestKind::Renewal, true) => renew_with_new_code(w, &auth, &row, body.seats).await?,
            (RequestKind::Renewal, false) => {
                renew_existing_code(w, &auth, &row, body.seats).await?
            }
        };
        crate::db::query("UPDATE requests SET result_license_id = $1 WHERE id = $2")
            .bind(license_id)
            .bind(id)
            .execute(w.conn())
            .await?;
        finish(w, &auth, id, "request.approve").await
    })
    .await
}

/// Rejects a pending request of a child org; the reason is required.
#[utoipa::path(post, path = "/v1/requests/{id}/reject", tag = "requests", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Request id")),
    request_body = Rejection,
    responses((status = 200, body = LicenseRequest),
              (status = 403, description = "Not an admin of a parent org of the requester", body = Problem),
              (status = 409, description = "The request is no longer pending", body = Problem),
              (status = "4XX", body = Problem)))]
pub(super) async fn reject(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Path(id): Path<i64>,
    Json(body): Json<Rejection>,
) -> ApiResult<Response> {
    auth.require(Permission::DecideRequest)?;
    let comments = body.approval_comments.trim().to_string();
    if comments.is_empty() || comments.len() > MAX_TEXT {
        return Err(ApiError::invalid(format!(
            "approval_comments must say why the request is rejected (1 to {MAX_TEXT} characters)"
        )));
    }
    let fingerprint = mutation::fingerprint(&format!("reject_request:{id}"), &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let row = claim_decision(w, &auth, id, RequestStatus::Rejected, &comments).await?;
        if let (Some(license_id), RequestKind::Renewal) = (row.license_id, row.kind.0) {
            crate::db::query(
                "UPDATE licenses SET renewal_requested = 0, updated_at = $1 WHERE id = $2",
            )
            .bind(w.now)
            .bind(license_id)
            .execute(w.conn())
            .await?;
            w.record(NewEvent {
                action: "license.renewal_rejected",
                target_type: "license",
                target_id: license_id,
                org_path: row.org_path.clone(),
                before: Some(serde_json::json!({ "renewal_requested": true })),
                after: Some(serde_json::json!({ "renewal_requested": false, "request_id": id })),
            });
        }
        finish(w, &auth, id, "request.reject").await
    })
    .await
}

/// Checks the caller may decide request `id` and marks it decided. The
/// conditional update makes a concurrent second decision find it decided.
async fn claim_decision(
    w: &mut Work,
    auth: &Auth,
    id: i64,
    outcome: RequestStatus,
    comments: &str,
) -> ApiResult<RequestRow> {
    let row = load_request(w.conn(), auth, id).await?;
    if row.org_path == auth.scope.path() {
        return Err(ApiError::forbidden(format!(
            "request {id} was made by {} itself; it must be approved or rejected by an admin \
             of a parent org",
            row.org_name
        )));
    }
    let changed = crate::db::query(
        "UPDATE requests SET status = $1, approval_comments = $2, decided_by = $3, decided_at = $4 \
         WHERE id = $5 AND status = 'pending'",
    )
    .bind(outcome.as_str().to_string())
    .bind(comments.trim().to_string())
    .bind(w.actor.clone())
    .bind(w.now)
    .bind(id)
    .execute(w.conn())
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(ApiError::conflict(format!(
            "request {id} is already {}; only pending requests can be decided",
            row.status
        )));
    }
    Ok(row)
}

/// Records the request's own event and answers with its new state.
async fn finish(
    w: &mut Work,
    auth: &Auth,
    id: i64,
    action: &'static str,
) -> ApiResult<(StatusCode, LicenseRequest)> {
    let row = load_request(w.conn(), auth, id).await?;
    let org_path = row.org_path.clone();
    let request = row.into_api();
    w.record(NewEvent {
        action,
        target_type: "request",
        target_id: id,
        org_path,
        before: Some(serde_json::json!({ "status": "pending" })),
        after: serde_json::to_value(&request).ok(),
    });
    Ok((StatusCode::OK, request))
}

/// The license being renewed, with its org path.
async fn renewed_license(
    w: &mut Work,
    auth: &Auth,
    row: &RequestRow,
) -> ApiResult<(License, String)> {
    let license_id = row
        .license_id
        .ok_or_else(|| ApiError::internal(format!("renewal request {} has no license", row.id)))?;
    let license = load_license(w.conn(), &auth.scope, license_id).await?;
    let org_path = license.org_path.clone();
    Ok((license.into_api(today()), org_path))
}

fn requested_period(row: &RequestRow) -> (chrono::NaiveDate, chrono::NaiveDate) {
    let start = row.start_date.map_or_else(today, |d| d.0);
    (start, row.finish_date.map_or(start, |d| d.0))
}

/// "Create New Code": a new license for the new period with the same
/// product mix and account; the old one is marked renewed.
async fn renew_with_new_code(
    w: &mut Work,
    auth: &Auth,
    row: &RequestRow,
    seats: Option<i64>,
) -> ApiResult<i64> {
    let (old, org_path) = renewed_license(w, auth, row).await?;
    let (start_date, finish_date) = requested_period(row);
    let seats = seats.or(row.students).unwrap_or(old.seats.purchased);
    let now = w.now;
    let new_id = insert_license(
        w.conn(),
        &LicenseInsert {
            account_id: old.account_id,
            org_id: old.org_id,
            org_path: &org_path,
            // A fresh order granted by the parent org, not a share of the
            // parent's license: it takes nothing from the parent's seats.
            parent_license_id: None,
            product_id: old.product_id,
            order_number: &format!("{}-R{}", old.order_number, row.id),
            purchase_order: &row.purchase_order,
            inventory_type: old.inventory_type,
            courses: &old.courses,
            teacher_code: None,
            seats_purchased: seats,
            start_date,
            finish_date,
            grace_days: old.grace_days,
            status: LicenseStatus::Active,
        },
        now,
    )
    .await?;
    crate::db::query(
        "UPDATE licenses SET renewed = 1, renewal_requested = 0, updated_at = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(old.id)
    .execute(w.conn())
    .await?;
    let created = load_license(w.conn(), &auth.scope, new_id)
        .await?
        .into_api(today());
    w.record(NewEvent {
        action: "license.create",
        target_type: "license",
        target_id: new_id,
        org_path: org_path.clone(),
        before: None,
        after: serde_json::to_value(&created).ok(),
    });
    w.record(NewEvent {
        action: "license.renew",
        target_type: "license",
        target_id: old.id,
        org_path,
        before: Some(serde_json::json!({ "renewed": old.renewed, "renewal_requested": old.renewal_requested })),
        after: Some(serde_json::json!({ "renewed": true, "renewal_requested": false, "renewed_by_license_id": new_id, "request_id": row.id })),
    });
    Ok(new_id)
}

/// "Use Existing Code": the license's dates move to the new period (and
/// its seats change when the parent grants another number).
async fn renew_existing_code(
    w: &mut Work,
    auth: &Auth,
    row: &RequestRow,
    seats: Option<i64>,
) -> ApiResult<i64> {
    let (old, org_path) = renewed_license(w, auth, row).await?;
    let (start_date, finish_date) = requested_period(row);
    let seats = seats.or(row.students).unwrap_or(old.seats.purchased);
    if let Some(parent) = old.parent_license_id
        && seats != old.seats.purchased
    {
        return Err(ApiError::conflict(format!(
            "license {} holds seats allocated from license {parent}; its seat count changes \
             through that allocation, so renew it with its {} seats or with a new code",
            old.id, old.seats.purchased
        )));
    }
    let in_use = old.seats.consumed + old.seats.allocated;
    if seats < in_use {
        return Err(ApiError::conflict(format!(
            "license {} has {in_use} seats in use or allocated; the renewal cannot grant only {seats}",
            old.id
        )));
    }
    // A renewal that continues the current term keeps its start: moving it
    // to the new period's start would lock out users still in this term.
    // Only a renewal after a gap starts afresh.
    let continues = old
        .finish_date
        .succ_opt()
        .is_some_and(|next| start_date <= next);
    let start_date = if continues {
        start_date.min(old.start_date)
    } else {
        start_date
    };
    let grace_until = finish_date + chrono::Days::new(old.grace_days.max(0) as u64);
    crate::db::query(
        "UPDATE licenses SET start_date = $1, finish_date = $2, grace_until = $3, \
         seats_purchased = $4, renewed = 1, renewal_requested = 0, \
         status = CASE WHEN status = 'expired' THEN 'active' ELSE status END, updated_at = $5 \
         WHERE id = $6",
    )
    .bind(start_date.to_string())
    .bind(finish_date.to_string())
    .bind(grace_until.to_string())
    .bind(seats)
    .bind(w.now)
    .bind(old.id)
    .execute(w.conn())
    .await?;
    w.record(NewEvent {
        action: "license.renew",
        target_type: "license",
        target_id: old.id,
        org_path,
        before: Some(serde_json::json!({
            "start_date": old.start_date, "finish_date": old.finish_date,
            "seats_purchased": old.seats.purchased, "renewed": old.renewed,
            "renewal_requested": old.renewal_requested,
        })),
        after: Some(serde_json::json!({
            "start_date": start_date, "finish_date": finish_date, "grace_until": grace_until,
            "seats_purchased": seats, "renewed": true, "renewal_requested": false,
            "request_id": row.id,
        })),
    });
    Ok(old.id)
}
