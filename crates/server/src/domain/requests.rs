//! License requests below HTTP: the request row, and deciding one —
//! approval creates, activates or renews the license it asks for; rejection
//! clears a renewal flag. Only an admin of a parent org may decide, once.

use chrono::NaiveDate;
use seatdesk_core::api::inventory::License;
use seatdesk_core::api::requests::LicenseRequest;
use seatdesk_core::{InventoryType, LicenseStatus, RequestKind, RequestStatus};

use crate::audit::NewEvent;
use crate::db::sql::Sql;
use crate::db::types::{Day, JsonText, Named, Stamp};
use crate::db::{Conn, flag};
use crate::domain::licenses::{LicenseInsert, insert_license, load_license, today};
use crate::domain::scope::Scope;
use crate::error::{ApiError, ApiResult};
use crate::mutation::Work;

pub const REQUEST_SELECT: &str = "SELECT r.id, r.kind, r.status, r.license_id, r.account_id, r.org_id, \
    o.name AS org_name, r.org_path, r.requested_to_org_id, t.name AS requested_to_org_name, \
    r.product_id, p.name AS product_name, r.new_code, r.inventory_type, r.students, r.courses, \
    r.start_date, r.finish_date, r.purchase_order, r.comments, r.approval_comments, r.created_by, \
    r.created_at, r.decided_by, r.decided_at, r.result_license_id \
    FROM requests r JOIN orgs o ON o.id = r.org_id \
    LEFT JOIN orgs t ON t.id = r.requested_to_org_id \
    LEFT JOIN products p ON p.id = r.product_id";

#[derive(sqlx::FromRow)]
pub struct RequestRow {
    pub id: i64,
    kind: Named<RequestKind>,
    status: Named<RequestStatus>,
    license_id: Option<i64>,
    account_id: i64,
    org_id: i64,
    org_name: String,
    pub org_path: String,
    requested_to_org_id: Option<i64>,
    requested_to_org_name: Option<String>,
    product_id: Option<i64>,
    product_name: Option<String>,
    new_code: i64,
    inventory_type: Option<Named<InventoryType>>,
    students: Option<i64>,
    courses: JsonText<Vec<String>>,
    start_date: Option<Day>,
    finish_date: Option<Day>,
    purchase_order: String,
    comments: String,
    approval_comments: String,
    created_by: String,
    created_at: Stamp,
    decided_by: Option<String>,
    decided_at: Option<Stamp>,
    result_license_id: Option<i64>,
}

impl RequestRow {
    pub fn into_api(self) -> LicenseRequest {
        LicenseRequest {
            id: self.id,
            kind: self.kind.0,
            status: self.status.0,
            license_id: self.license_id,
            account_id: self.account_id,
            org_id: self.org_id,
            org_name: self.org_name,
            requested_to_org_id: self.requested_to_org_id,
            requested_to_org_name: self.requested_to_org_name,
            product_id: self.product_id,
            product_name: self.product_name,
            new_code: flag(self.new_code),
            inventory_type: self.inventory_type.map(|t| t.0),
            students: self.students,
            courses: self.courses.0,
            start_date: self.start_date.map(|d| d.0),
            finish_date: self.finish_date.map(|d| d.0),
            purchase_order: self.purchase_order,
            comments: self.comments,
            approval_comments: self.approval_comments,
            created_by: self.created_by,
            created_at: self.created_at.0,
            decided_by: self.decided_by,
            decided_at: self.decided_at.map(|t| t.0),
            result_license_id: self.result_license_id,
        }
    }
}

/// Loads one request inside the caller's scope, or 404.
pub async fn load_request(conn: &mut Conn, scope: &Scope, id: i64) -> ApiResult<RequestRow> {
    let mut sql = Sql::new(REQUEST_SELECT);
    sql.push(" WHERE r.id = ").bind(id);
    let row: Option<RequestRow> = sql.query_as().fetch_optional(conn).await?;
    row.filter(|r| scope.contains(&r.org_path))
        .ok_or_else(|| ApiError::not_found(format!("request {id}")))
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
    let license_id = match (kind, row.new_code != 0) {
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
    crate::db::query("UPDATE requests SET result_license_id = $1 WHERE id = $2")
        .bind(license_id)
        .bind(id)
        .execute(w.conn())
        .await?;
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
    crate::db::query(
        "UPDATE licenses SET renewed = 1, renewal_requested = 0, updated_at = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(old.id)
    .execute(w.conn())
    .await?;
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
