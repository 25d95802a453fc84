//! The role-rule engine: makes a user's live seats match the role rules of
//! their org and its ancestors. Runs inside the caller's write transaction,
//! taking seats with the same conditional UPDATE as every other assignment,
//! so a rule never assigns past a license's seat limit.

use std::collections::BTreeMap;

use seatdesk_core::api::users::{Assignment, AssignmentOutcome};
use seatdesk_core::{SeatStatus, UserRole, UserStatus};

use crate::db::Backend;
use crate::db::sql::Sql;
use crate::domain::licenses::{push_usable, today};
use crate::domain::live::live_seat;
use crate::domain::revocation::revoke_one;
use crate::domain::scope::ancestor_paths;
use crate::domain::seats::take_and_insert;
use crate::error::ApiResult;
use crate::mutation::Work;

/// Seat source recorded for seats a role rule assigned.
pub const ROLE_RULE_SOURCE: &str = "role_rule";

/// Licenses considered per product; the nearest and soonest-ending first.
const CANDIDATE_LIMIT: i64 = 100;

/// What the engine needs to know of a user.
#[derive(Debug, Clone)]
pub struct Subject {
    pub id: i64,
    pub org_name: String,
    pub org_path: String,
    pub roles: Vec<UserRole>,
    pub status: UserStatus,
}

/// A live seat the user holds.
#[derive(sqlx::FromRow)]
struct HeldSeat {
    id: i64,
    license_id: i64,
    status: String,
    product_id: i64,
    product_name: String,
    source: String,
    org_path: String,
}

async fn held_seats(w: &mut Work, user_id: i64, backend: Backend) -> ApiResult<Vec<HeldSeat>> {
    let mut sql = Sql::new(format!(
        "SELECT s.id, s.license_id, s.status, l.product_id, p.name AS product_name, \
         s.source, l.org_path \
         FROM seats s JOIN licenses l ON l.id = s.license_id JOIN products p ON p.id = l.product_id \
         WHERE {} AND s.user_id = ",
        live_seat("s.status")
    ));
    sql.bind(user_id).push(" ORDER BY s.id");
    if backend == Backend::Postgres {
        sql.push(" FOR UPDATE OF s");
    }
    Ok(sql.query_as().fetch_all(w.conn()).await?)
}

/// Products the user's roles are granted by rules of their org or above.
async fn granted_products(w: &mut Work, user: &Subject) -> ApiResult<BTreeMap<i64, String>> {
    if user.roles.is_empty() {
        return Ok(BTreeMap::new());
    }
    let mut sql = Sql::new(
        "SELECT DISTINCT r.product_id, p.name AS product_name FROM role_rules r \
         JOIN products p ON p.id = r.product_id WHERE r.org_path IN (",
    );
    sql.bind_list(ancestor_paths(&user.org_path))
        .push(") AND r.role IN (")
        .bind_list(user.roles.iter().map(|r| r.as_str().to_string()))
        .push(")");
    let rows: Vec<(i64, String)> = sql.query_as().fetch_all(w.conn()).await?;
    Ok(rows.into_iter().collect())
}

/// Brings the user's seats in line with the role rules: a seat for every
/// granted product (refused with a reason when none is free), and role-rule
/// seats of products no longer granted revoked. Users who are not active
/// get nothing new.
pub async fn apply_role_rules(
    w: &mut Work,
    user: &Subject,
    backend: Backend,
) -> ApiResult<Vec<Assignment>> {
    if user.status != UserStatus::Active {
        return Ok(Vec::new());
    }
    let granted = granted_products(w, user).await?;
    let held = held_seats(w, user.id, backend).await?;
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
        outcomes.push(assign_from_pool(w, user, product_id, product_name).await?);
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
pub async fn revoke_all_seats(
    w: &mut Work,
    user: &Subject,
    backend: Backend,
) -> ApiResult<Vec<Assignment>> {
    let held = held_seats(w, user.id, backend).await?;
    let mut outcomes = Vec::with_capacity(held.len());
    for seat in &held {
        outcomes.push(revoke(w, seat, "the user was archived").await?);
    }
    Ok(outcomes)
}

/// Takes a seat of `product_id` from the nearest usable license of the
/// user's org or an ancestor, soonest-ending first.
///
/// "Usable" is [`push_usable`], the SQL form of the license rule, so that
/// no per-license seat counts are computed here (this runs for every user
/// of a roster import).
async fn assign_from_pool(
    w: &mut Work,
    user: &Subject,
    product_id: i64,
    product_name: &str,
) -> ApiResult<Assignment> {
    let mut sql = Sql::new("SELECT l.id, l.org_path FROM licenses l WHERE l.product_id = ");
    sql.bind(product_id)
        .push(" AND l.org_path IN (")
        .bind_list(ancestor_paths(&user.org_path))
        .push(") AND ");
    push_usable(&mut sql, "l", today());
    sql.push(" ORDER BY LENGTH(l.org_path) DESC, l.finish_date, l.id LIMIT ")
        .bind(CANDIDATE_LIMIT);
    let candidates: Vec<(i64, String)> = sql.query_as().fetch_all(w.conn()).await?;
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
    let reason = if usable == 0 {
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
