//! The role-rule engine: makes a user's live seats match the role rules of
//! their org and its ancestors. Runs inside the caller's write transaction,
//! taking seats with the same conditional UPDATE as every other assignment,
//! so a rule never assigns past a license's seat limit.

use std::collections::BTreeMap;

use seatdesk_core::api::users::{Assignment, AssignmentOutcome};
use seatdesk_core::{Edition, SeatStatus, UserRole, UserStatus};

use crate::audit::NewEvent;
use crate::db::Backend;
use crate::db::sql::Sql;
use crate::error::ApiResult;
use crate::mutation::Work;
use crate::routes::licenses::today;
use crate::routes::seats::claims::load_claim;
use crate::routes::seats::{insert_seat, release_seats, shift_teacher_counts, take_seat};

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

/// `/1/4/9/` → `["/1/", "/1/4/", "/1/4/9/"]`: the org and its ancestors.
pub fn ancestor_paths(path: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut current = String::from("/");
    for part in path.split('/').filter(|p| !p.is_empty()) {
        current.push_str(part);
        current.push('/');
        paths.push(current.clone());
    }
    paths
}

/// A live seat the user holds.
#[derive(sqlx::FromRow)]
struct HeldSeat {
    id: i64,
    license_id: i64,
    status: String,
    product_id: i64,
    product_name: String,
    edition: String,
    source: String,
    students_assigned: i64,
    org_path: String,
}

async fn held_seats(w: &mut Work, user_id: i64, backend: Backend) -> ApiResult<Vec<HeldSeat>> {
    let mut sql = Sql::new(
        "SELECT s.id, s.license_id, s.status, l.product_id, p.name AS product_name, p.edition, \
         s.source, s.students_assigned, l.org_path \
         FROM seats s JOIN licenses l ON l.id = s.license_id JOIN products p ON p.id = l.product_id \
         WHERE s.status IN ('pending', 'active') AND s.user_id = ",
    );
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
/// "Usable" is [`crate::routes::seats::unusable_reason`] restated in SQL so that no per-license
/// seat counts are computed here (this runs for every user of a roster
/// import): stored status active (or depleted), started, and not past grace.
async fn assign_from_pool(
    w: &mut Work,
    user: &Subject,
    product_id: i64,
    product_name: &str,
) -> ApiResult<Assignment> {
    let today = today().to_string();
    let mut sql = Sql::new("SELECT l.id, l.org_path FROM licenses l WHERE l.product_id = ");
    sql.bind(product_id)
        .push(" AND l.org_path IN (")
        .bind_list(ancestor_paths(&user.org_path))
        .push(") AND l.status IN ('active', 'depleted') AND l.start_date <= ")
        .bind(today.clone())
        .push(" AND l.grace_until >= ")
        .bind(today)
        .push(" ORDER BY LENGTH(l.org_path) DESC, l.finish_date, l.id LIMIT ")
        .bind(CANDIDATE_LIMIT);
    let candidates: Vec<(i64, String)> = sql.query_as().fetch_all(w.conn()).await?;
    let usable = candidates.len();
    for (license_id, org_path) in candidates {
        let now = w.now;
        // The conditional UPDATE decides, so a stale read never over-allocates.
        if !take_seat(w.conn(), license_id, now).await? {
            continue;
        }
        let seat_id = insert_seat(
            w,
            license_id,
            user.id,
            SeatStatus::Pending,
            ROLE_RULE_SOURCE,
        )
        .await?;
        let claim = load_claim(w.conn(), seat_id).await?;
        w.record(NewEvent {
            action: "seat.assign",
            target_type: "seat",
            target_id: seat_id,
            org_path,
            before: None,
            after: serde_json::to_value(&claim).ok(),
        });
        return Ok(Assignment {
            product_id,
            product_name: product_name.to_string(),
            outcome: AssignmentOutcome::Assigned,
            license_id: Some(license_id),
            seat_id: Some(seat_id),
            reason: None,
        });
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

/// Revokes one live seat and frees it on its license, unless it is a
/// student-edition seat with students still assigned.
async fn revoke(w: &mut Work, seat: &HeldSeat, why: &str) -> ApiResult<Assignment> {
    let mut outcome = Assignment {
        product_id: seat.product_id,
        product_name: seat.product_name.clone(),
        outcome: AssignmentOutcome::Revoked,
        license_id: Some(seat.license_id),
        seat_id: Some(seat.id),
        reason: Some(why.to_string()),
    };
    if seat.edition == Edition::Student.as_str() && seat.students_assigned > 0 {
        outcome.outcome = AssignmentOutcome::Refused;
        outcome.reason = Some(format!(
            "seat {} has {} students assigned to this student edition; the teacher must remove them first",
            seat.id, seat.students_assigned
        ));
        return Ok(outcome);
    }
    let (now, actor) = (w.now, w.actor.clone());
    sqlx::query(
        "UPDATE seats SET status_before_revoke = status, status = 'revoked', revoked_at = $1, \
         revoked_by = $2, updated_at = $1 WHERE id = $3",
    )
    .bind(now)
    .bind(actor.clone())
    .bind(seat.id)
    .execute(w.conn())
    .await?;
    release_seats(w.conn(), seat.license_id, 1, now).await?;
    shift_teacher_counts(w, &[seat.id], -1).await?;
    w.record(NewEvent {
        action: "seat.revoke",
        target_type: "seat",
        target_id: seat.id,
        org_path: seat.org_path.clone(),
        before: Some(serde_json::json!({ "status": seat.status, "license_id": seat.license_id })),
        after: Some(serde_json::json!({ "status": "revoked", "license_id": seat.license_id, "revoked_at": now, "revoked_by": actor, "reason": why })),
    });
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::ancestor_paths;

    #[test]
    fn ancestors_run_from_the_root_down_to_the_org_itself() {
        assert_eq!(ancestor_paths("/1/4/9/"), vec!["/1/", "/1/4/", "/1/4/9/"]);
        assert_eq!(ancestor_paths("/7/"), vec!["/7/"]);
        assert!(ancestor_paths("").is_empty());
    }
}
