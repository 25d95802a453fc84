//! License requests below HTTP: submitting one to the parent org, and
//! deciding one — approval creates, activates or renews the license it asks
//! for; rejection clears a renewal flag. Only an admin of a parent org may
//! decide, once. The statements are in [`crate::store::requests`].

use chrono::NaiveDate;
use seatdesk_core::api::inventory::License;
use seatdesk_core::api::requests::{LicenseRequest, NewLicenseRequest, NewRenewal, NewRequest};
use seatdesk_core::{InventoryType, LicenseStatus, RequestKind, RequestStatus};

use crate::db::Conn;
use crate::domain::licenses::{account_in_scope, insert_license, load_license, today};
use crate::domain::scope::Scope;
use crate::error::{ApiError, ApiResult};
use crate::mutation::Work;
use crate::store::audit::NewEvent;
use crate::store::licenses::LicenseInsert;
use crate::store::orgs::product_id_if_exists;
use crate::store::requests::{self as store, RenewedTerm, RequestInsert, RequestRow};

/// Loads one request inside the caller's scope, or 404.
pub async fn load_request(conn: &mut Conn, scope: &Scope, id: i64) -> ApiResult<RequestRow> {
    let row = store::request(conn, id).await?;
    row.filter(|r| scope.contains(&r.org_path))
        .ok_or_else(|| ApiError::not_found(format!("request {id}")))
}

/// Submits a renewal or new-license request to the parent org; returns the
/// request as stored.
pub async fn submit(w: &mut Work, scope: &Scope, body: &NewRequest) -> ApiResult<LicenseRequest> {
    let id = match body {
        NewRequest::Renewal(r) => insert_renewal(w, scope, r).await?,
        NewRequest::NewLicense(r) => insert_new_license(w, scope, r).await?,
    };
    let request = load_request(w.conn(), scope, id).await?;
    let org_path = request.org_path.clone();
    let request = request.into_api();
    w.record(NewEvent {
        action: "request.submit",
        target_type: "request",
        target_id: id,
        org_path,
        before: None,
        after: serde_json::to_value(&request).ok(),
    });
    Ok(request)
}

/// The parent of the requesting org, which decides the request.
async fn parent_org(conn: &mut Conn, org_id: i64) -> ApiResult<i64> {
    let parent = store::parent_org(conn, org_id).await?;
    parent.ok_or_else(|| {
        ApiError::invalid(format!(
            "org {org_id} has no parent org to send the request to"
        ))
    })
}

async fn insert_renewal(w: &mut Work, scope: &Scope, r: &NewRenewal) -> ApiResult<i64> {
    let license = load_license(w.conn(), scope, r.license_id).await?;
    let org_path = license.org_path.clone();
    let license = license.into_api(today());
    if license.status == LicenseStatus::Requested {
        return Err(ApiError::conflict(format!(
            "license {} is itself a request not yet approved; it cannot be renewed",
            license.id
        )));
    }
    let requested_to = parent_org(w.conn(), license.org_id).await?;
    let now = w.now;
    // The conditional update is the lock: of two concurrent renewals of one
    // license, the second finds the flag set and is refused.
    if !store::flag_renewal(w.conn(), license.id, now).await? {
        return Err(ApiError::conflict(format!(
            "license {} already has a pending renewal request; wait for the parent org's decision",
            license.id
        )));
    }
    let purchase_order = r
        .purchase_order
        .clone()
        .unwrap_or_else(|| license.purchase_order.clone());
    let comments = r.comments.clone().unwrap_or_default();
    let actor = w.actor.clone();
    let new = RequestInsert {
        account_id: license.account_id,
        org_id: license.org_id,
        org_path: &org_path,
        requested_to,
        product_id: license.product_id,
        inventory_type: license.inventory_type,
        students: r.students,
        courses: &license.courses,
        start_date: Some(r.start_date),
        finish_date: Some(r.finish_date),
        purchase_order: purchase_order.trim(),
        comments: comments.trim(),
        created_by: &actor,
    };
    let id = store::insert_renewal(w.conn(), license.id, r.new_code, &new, now).await?;
    w.record(NewEvent {
        action: "license.renewal_requested",
        target_type: "license",
        target_id: license.id,
        org_path,
        before: Some(serde_json::json!({ "renewal_requested": false })),
        after: Some(serde_json::json!({ "renewal_requested": true, "request_id": id })),
    });
    Ok(id)
}

async fn insert_new_license(w: &mut Work, scope: &Scope, r: &NewLicenseRequest) -> ApiResult<i64> {
    let (org_id, org_path) = account_in_scope(w.conn(), scope, r.account_id).await?;
    if product_id_if_exists(w.conn(), r.product_id)
        .await?
        .is_none()
    {
        return Err(ApiError::not_found(format!("product {}", r.product_id)));
    }
    let requested_to = parent_org(w.conn(), org_id).await?;
    let courses: Vec<String> = r.courses.iter().map(|c| c.trim().to_string()).collect();
    let purchase_order = r.purchase_order.clone().unwrap_or_default();
    let comments = r.comments.clone().unwrap_or_default();
    let actor = w.actor.clone();
    let new = RequestInsert {
        account_id: r.account_id,
        org_id,
        org_path: &org_path,
        requested_to,
        product_id: r.product_id,
        inventory_type: r.inventory_type,
        students: Some(r.students),
        courses: &courses,
        start_date: r.start_date,
        finish_date: r.finish_date,
        purchase_order: purchase_order.trim(),
        comments: comments.trim(),
        created_by: &actor,
    };
    let now = w.now;
    Ok(store::insert_new_license(w.conn(), &new, now).await?)
}

/// Approves pending request `id` of a child org in `scope`, granting
/// `seats` (or the students asked for).
pub async fn approve(
    w: &mut Work,
    scope: &Scope,
    id: i64,
    seats: Option<i64>,
    comments: &str,
) -> ApiResult<LicenseRequest> {
    let row = claim_decision(w, scope, id, RequestStatus::Approved, comments).await?;
    let kind = row.kind.0;
    let license_id = match (kind, row.new_code.0) {
        (RequestKind::NewLicense, _) => {
            let seats = seats.or(row.students).unwrap_or(0);
            if seats < 1 {
                return Err(ApiError::invalid(
                    "the request asks for no students; give the seats to grant",
                ));
            }
            // A license already recorded as `requested` (the License
            // Inventory "Requested" filter shows it) becomes active;
            // otherwise the approval creates the license.
            let placeholder = match row.license_id {
                Some(license_id) => {
                    let now = w.now;
                    store::activate_placeholder(w.conn(), license_id, seats, now)
                        .await?
                        .then_some((license_id, row.org_path.clone()))
                }
                None => None,
            };
            let activated = placeholder.is_some();
            let (license_id, org_path) = match placeholder {
                Some(found) => found,
                None => create_requested_license(w, &row, seats).await?,
            };
            let license = load_license(w.conn(), scope, license_id)
                .await?
                .into_api(today());
            w.record(NewEvent {
                action: if activated {
                    "license.activate"
                } else {
                    "license.create"
                },
                target_type: "license",
                target_id: license_id,
                org_path,
                before: None,
                after: serde_json::to_value(&license).ok(),
            });
            license_id
        }
        (RequestKind::Renewal, true) => renew_with_new_code(w, scope, &row, seats).await?,
        (RequestKind::Renewal, false) => renew_existing_code(w, scope, &row, seats).await?,
    };
    store::set_result_license(w.conn(), id, license_id).await?;
    finish(w, scope, id, "request.approve").await
}

/// Rejects pending request `id` of a child org in `scope`, saying why.
pub async fn reject(
    w: &mut Work,
    scope: &Scope,
    id: i64,
    comments: &str,
) -> ApiResult<LicenseRequest> {
    let row = claim_decision(w, scope, id, RequestStatus::Rejected, comments).await?;
    if let (Some(license_id), RequestKind::Renewal) = (row.license_id, row.kind.0) {
        let now = w.now;
        store::clear_renewal_flag(w.conn(), license_id, now).await?;
        w.record(NewEvent {
            action: "license.renewal_rejected",
            target_type: "license",
            target_id: license_id,
            org_path: row.org_path.clone(),
            before: Some(serde_json::json!({ "renewal_requested": true })),
            after: Some(serde_json::json!({ "renewal_requested": false, "request_id": id })),
        });
    }
    finish(w, scope, id, "request.reject").await
}

/// Checks the caller may decide request `id` and marks it decided. The
/// conditional update makes a concurrent second decision find it decided.
async fn claim_decision(
    w: &mut Work,
    scope: &Scope,
    id: i64,
    outcome: RequestStatus,
    comments: &str,
) -> ApiResult<RequestRow> {
    let row = load_request(w.conn(), scope, id).await?;
    if row.org_path == scope.path() {
        return Err(ApiError::forbidden(format!(
            "request {id} was made by {} itself; it must be approved or rejected by an admin \
             of a parent org",
            row.org_name
        )));
    }
    let (actor, now) = (w.actor.clone(), w.now);
    let decided = store::decide(w.conn(), id, outcome, comments.trim(), &actor, now).await?;
    if !decided {
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
    scope: &Scope,
    id: i64,
    action: &'static str,
) -> ApiResult<LicenseRequest> {
    let row = load_request(w.conn(), scope, id).await?;
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
    Ok(request)
}

/// The license being renewed, with its org path.
async fn renewed_license(
    w: &mut Work,
    scope: &Scope,
    row: &RequestRow,
) -> ApiResult<(License, String)> {
    let license_id = row
        .license_id
        .ok_or_else(|| ApiError::internal(format!("renewal request {} has no license", row.id)))?;
    let license = load_license(w.conn(), scope, license_id).await?;
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
    scope: &Scope,
    row: &RequestRow,
    seats: Option<i64>,
) -> ApiResult<i64> {
    let (old, org_path) = renewed_license(w, scope, row).await?;
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
    store::mark_renewed(w.conn(), old.id, now).await?;
    let created = load_license(w.conn(), scope, new_id)
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
    scope: &Scope,
    row: &RequestRow,
    seats: Option<i64>,
) -> ApiResult<i64> {
    let (old, org_path) = renewed_license(w, scope, row).await?;
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
    let term = RenewedTerm {
        start_date,
        finish_date,
        grace_until,
        seats_purchased: seats,
    };
    let now = w.now;
    store::renew_in_place(w.conn(), old.id, &term, now).await?;
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

/// Dates of a license created from a new-license request: as asked, else a
/// year from today.
fn new_license_period(row: &RequestRow) -> (NaiveDate, NaiveDate) {
    let start = row.start_date.map_or_else(today, |d| d.0);
    let finish = row
        .finish_date
        .map_or_else(|| start + chrono::Months::new(12), |d| d.0);
    (start, finish)
}

/// Inserts the license an approved new-license request grants.
async fn create_requested_license(
    w: &mut Work,
    row: &RequestRow,
    seats: i64,
) -> ApiResult<(i64, String)> {
    let (start_date, finish_date) = new_license_period(row);
    let product_id = row
        .product_id
        .ok_or_else(|| ApiError::internal(format!("request {} has no product", row.id)))?;
    let now = w.now;
    let id = insert_license(
        w.conn(),
        &LicenseInsert {
            account_id: row.account_id,
            org_id: row.org_id,
            org_path: &row.org_path,
            parent_license_id: None,
            product_id,
            order_number: &format!("REQ-{}", row.id),
            purchase_order: &row.purchase_order,
            // A request that names no inventory type asks for a seat pool.
            inventory_type: row.inventory_type.map_or(InventoryType::SeatPool, |t| t.0),
            courses: &row.courses.0,
            teacher_code: None,
            seats_purchased: seats,
            start_date,
            finish_date,
            grace_days: 0,
            status: LicenseStatus::Active,
        },
        now,
    )
    .await?;
    Ok((id, row.org_path.clone()))
}
