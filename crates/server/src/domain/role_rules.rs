//! Role rules below HTTP: adding and deleting a rule, and the engine that
//! makes a user's live seats match the role rules of their org and its
//! ancestors. The engine runs inside the caller's write transaction,
//! taking seats with the same conditional UPDATE as every other assignment,
//! so a rule never assigns past a license's seat limit.

use std::collections::BTreeMap;

use seatdesk_core::api::limits::id_error;
use seatdesk_core::api::users::{Assignment, AssignmentOutcome, NewRoleRule, RoleRule};
use seatdesk_core::{SeatStatus, UserRole, UserStatus};

use crate::db::Conn;
use crate::domain::licenses::today;
use crate::domain::orgs::org_path_in_scope;
use crate::domain::revocation::revoke_one;
use crate::domain::scope::{Scope, ancestor_paths};
use crate::domain::seats::take_and_insert;
use crate::error::{ApiError, ApiResult};
use crate::mutation::Work;
use crate::store::audit::NewEvent;
use crate::store::orgs::product_id_if_exists;
use crate::store::role_rules::{self as store, HeldSeat, RuleRow};

/// Seat source recorded for seats a role rule assigned.
pub const ROLE_RULE_SOURCE: &str = "role_rule";

/// Licenses considered per product; the nearest and soonest-ending first.
const CANDIDATE_LIMIT: i64 = 100;

/// Rule `id` if its org lies in `scope`, else 404.
pub async fn load_rule(conn: &mut Conn, scope: &Scope, id: i64) -> ApiResult<RuleRow> {
    let row = store::rule(conn, id).await?;
    row.filter(|r| scope.contains(&r.org_path))
        .ok_or_else(|| ApiError::not_found(format!("role rule {id}")))
}

/// Refuses a rule whose org or product is no id.
pub fn check_rule(body: &NewRoleRule) -> ApiResult<()> {
    crate::error::validate([
        id_error("org_id", body.org_id),
        id_error("product_id", body.product_id),
    ])
}

/// Adds a rule for an org of `scope`: the product must exist and the org
/// must not have the same rule already.
pub async fn create_rule(w: &mut Work, scope: &Scope, body: &NewRoleRule) -> ApiResult<RoleRule> {
    let org_path = org_path_in_scope(w.conn(), scope, body.org_id).await?;
    let product = product_id_if_exists(w.conn(), body.product_id).await?;
    product.ok_or_else(|| ApiError::not_found(format!("product {}", body.product_id)))?;
    let existing = store::existing(w.conn(), body.org_id, body.role, body.product_id).await?;
    if let Some(existing) = existing {
        return Err(ApiError::conflict(format!(
            "org {} already has this rule (role rule {existing})",
            body.org_id
        )));
    }
    let now = w.now;
    let id = store::insert(
        w.conn(),
        body.org_id,
        &org_path,
        body.role,
        body.product_id,
        now,
    )
    .await?;
    let rule = load_rule(w.conn(), scope, id).await?.into_api();
    w.record(NewEvent {
        action: "role_rule.create",
        target_type: "role_rule",
        target_id: id,
        org_path,
        before: None,
        after: serde_json::to_value(&rule).ok(),
    });
    Ok(rule)
}

/// Deletes rule `id` of `scope`; seats it assigned stay until the user's
/// roles change.
pub async fn delete_rule(w: &mut Work, scope: &Scope, id: i64) -> ApiResult<RoleRule> {
    let row = load_rule(w.conn(), scope, id).await?;
    let org_path = row.org_path.clone();
    let rule = row.into_api();
    store::delete(w.conn(), id).await?;
    w.record(NewEvent {
        action: "role_rule.delete",
        target_type: "role_rule",
        target_id: id,
        org_path,
        before: serde_json::to_value(&rule).ok(),
        after: None,
    });
    Ok(rule)
}

/// What the engine needs to know of a user.
#[derive(Debug, Clone)]
pub struct Subject {
    pub id: i64,
    pub org_name: String,
    pub org_path: String,
    pub roles: Vec<UserRole>,
    pub status: UserStatus,
}

/// Products the user's roles are granted by rules of their org or above.
async fn granted_products(w: &mut Work, user: &Subject) -> ApiResult<BTreeMap<i64, String>> {
    if user.roles.is_empty() {
        return Ok(BTreeMap::new());
    }
    Ok(store::granted_products(w.conn(), &user.org_path, &user.roles).await?)
}

/// Brings the user's seats in line with the role rules: a seat for every
/// granted product (refused with a reason when none is free), and role-rule
/// seats of products no longer granted revoked. Users who are not active
/// get nothing new. `scope` is the acting token's: new seats come only from
/// licenses it holds (see [`assign_from_pool`]).
pub async fn apply_role_rules(
    w: &mut Work,
    scope: &Scope,
    user: &Subject,
) -> ApiResult<Vec<Assignment>> {
    if user.status != UserStatus::Active {
        return Ok(Vec::new());
    }
    let granted = granted_products(w, user).await?;
    let held = store::held_seats(w.conn(), user.id).await?;
    let mut outcomes = Vec::new();
    for (&product_id, product_name) in &granted {
        if let Some(seat) = held.iter().find(|s| s.product_id == product_id) {
            outcomes.push(Assignment {
                product_id,
                product_name: product_name.clone(),
                outcome: AssignmentOutcome::Kept,
                license_id: Some(seat.license_id),
                seat_id: Some(seat.id),
                reason: None,
            });
            continue;
        }
        outcomes.push(assign_from_pool(w, scope, user, product_id, product_name).await?);
    }
    for seat in held
        .iter()
        .filter(|s| s.source == ROLE_RULE_SOURCE && !granted.contains_key(&s.product_id))
    {
        outcomes.push(
            revoke(
                w,
                seat,
                "no remaining role of the user is granted this product",
            )
            .await?,
        );
    }
    Ok(outcomes)
}

/// Revokes every live seat of an archived user.
pub async fn revoke_all_seats(w: &mut Work, user: &Subject) -> ApiResult<Vec<Assignment>> {
    let held = store::held_seats(w.conn(), user.id).await?;
    let mut outcomes = Vec::with_capacity(held.len());
    for seat in &held {
        outcomes.push(revoke(w, seat, "the user was archived").await?);
    }
    Ok(outcomes)
}

/// Takes a seat of `product_id` from the nearest usable license of the
/// user's org or an ancestor, soonest-ending first.
///
/// Only licenses held inside `scope` (the acting token's subtree) are
/// candidates: a token may not spend seats of a license above it, which it
/// cannot even read. Seats a parent means its subtree to use are allocated
/// down (a child license held inside the subtree), and those are in scope.
async fn assign_from_pool(
    w: &mut Work,
    scope: &Scope,
    user: &Subject,
    product_id: i64,
    product_name: &str,
) -> ApiResult<Assignment> {
    let all_holders = ancestor_paths(&user.org_path);
    let holders: Vec<String> = all_holders
        .iter()
        .filter(|path| scope.contains(path))
        .cloned()
        .collect();
    let candidates = if holders.is_empty() {
        Vec::new()
    } else {
        store::candidate_licenses(w.conn(), product_id, &holders, today(), CANDIDATE_LIMIT).await?
    };
    let usable = candidates.len();
    for (license_id, org_path) in candidates {
        // The conditional UPDATE decides, so a stale read never over-allocates.
        let taken = take_and_insert(
            w,
            license_id,
            &org_path,
            user.id,
            SeatStatus::Pending,
            ROLE_RULE_SOURCE,
        )
        .await?;
        if let Some((seat_id, _)) = taken {
            return Ok(Assignment {
                product_id,
                product_name: product_name.to_string(),
                outcome: AssignmentOutcome::Assigned,
                license_id: Some(license_id),
                seat_id: Some(seat_id),
                reason: None,
            });
        }
    }
    let reason = if usable == 0 && holders.len() < all_holders.len() {
        format!(
            "no active, in-date license of {product_name} is held by {} or a parent org \
             within your organization (seats of a license above it must be allocated down)",
            user.org_name
        )
    } else if usable == 0 {
        format!(
            "no active, in-date license of {product_name} is held by {} or a parent org",
            user.org_name
        )
    } else {
        format!(
            "no seat left on any license of {product_name} for {}",
            user.org_name
        )
    };
    Ok(Assignment {
        product_id,
        product_name: product_name.to_string(),
        outcome: AssignmentOutcome::Refused,
        license_id: None,
        seat_id: None,
        reason: Some(reason),
    })
}

/// Revokes one live seat and frees it on its license, unless the
/// student-edition rule refuses.
async fn revoke(w: &mut Work, seat: &HeldSeat, why: &str) -> ApiResult<Assignment> {
    let refusal = revoke_one(
        w,
        seat.id,
        seat.license_id,
        &seat.status,
        &seat.org_path,
        why,
    )
    .await?;
    Ok(Assignment {
        product_id: seat.product_id,
        product_name: seat.product_name.clone(),
        outcome: if refusal.is_some() {
            AssignmentOutcome::Refused
        } else {
            AssignmentOutcome::Revoked
        },
        license_id: Some(seat.license_id),
        seat_id: Some(seat.id),
        reason: Some(refusal.unwrap_or_else(|| why.to_string())),
    })
}
