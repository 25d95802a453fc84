//! Revocation and its refusal reasons. The one rule: a student-edition seat
//! whose teacher still has students assigned may not be given up (revoked
//! or expired) until the teacher removes them. [`students_block_sql`] is
//! that rule; every path (bulk revocation, expiry, role rules) asks it and
//! [`students_reason`] words the refusal, naming the teacher and the count.

use std::collections::{BTreeMap, HashMap, HashSet};

use seatdesk_core::api::ItemResult;
use seatdesk_core::{Edition, SeatStatus};

use crate::db::Conn;
use crate::db::types::Stamp;
use crate::domain::live::is_live;
use crate::domain::scope::Scope;
use crate::domain::seats::{done, refused, release_seats, shift_teacher_counts, shift_teachers};
use crate::error::ApiResult;
use crate::mutation::Work;
use crate::store::audit::{EventRows, NewEvent};
use crate::store::seats::{self as store, RevokedSeat, SeatLock};

/// The SQL test that the seat aliased `seat` may not be given up: it is a
/// student-edition seat with students assigned.
pub fn students_block_sql(seat: &str) -> String {
    format!(
        "({seat}.students_assigned > 0 AND {seat}.license_id IN (SELECT bl.id FROM licenses bl \
         JOIN products bp ON bp.id = bl.product_id WHERE bp.edition = '{}'))",
        Edition::Student.as_str()
    )
}

/// The refusal for a student-edition seat with students, naming the teacher and count.
pub fn students_reason(name: &str, email: &str, students: i64) -> String {
    format!(
        "{name} <{email}> has {students} student{} assigned to this student edition; \
         the teacher must remove them first",
        if students == 1 { "" } else { "s" }
    )
}

/// Why one seat may not be given up, if [`students_block_sql`] holds.
pub async fn students_block(conn: &mut Conn, seat_id: i64) -> ApiResult<Option<String>> {
    let row = store::students_block(conn, seat_id).await?;
    Ok(row.map(|(students, name, email)| students_reason(&name, &email, students)))
}

/// Revokes one live seat (a role-rule change) and frees it, unless the
/// student-edition rule refuses: then the refusal reason is returned.
pub async fn revoke_one(
    w: &mut Work,
    seat_id: i64,
    license_id: i64,
    status: &str,
    org_path: &str,
    why: &str,
) -> ApiResult<Option<String>> {
    if let Some(reason) = students_block(w.conn(), seat_id).await? {
        return Ok(Some(reason));
    }
    let (now, actor) = (w.now, w.actor.clone());
    store::revoke_seat(w.conn(), seat_id, &actor, now).await?;
    release_seats(w.conn(), license_id, 1, now).await?;
    shift_teacher_counts(w, &[seat_id], -1).await?;
    w.record(NewEvent {
        action: "seat.revoke",
        target_type: "seat",
        target_id: seat_id,
        org_path: org_path.to_string(),
        before: Some(serde_json::json!({ "status": status, "license_id": license_id })),
        after: Some(
            serde_json::json!({ "status": "revoked", "license_id": license_id, "revoked_at": now.millis(), "revoked_by": actor, "reason": why }),
        ),
    });
    Ok(None)
}

/// The database work of a bulk revocation, inside the caller's transaction:
/// one result per id and the audit events to append (the seats', in request
/// order, then those of teachers whose student count dropped). Public so
/// benchmarks can time exactly the SQL the endpoint runs.
pub async fn revoke_seats(
    conn: &mut Conn,
    scope: &Scope,
    seat_ids: &[i64],
    actor: &str,
    now: Stamp,
) -> ApiResult<(Vec<ItemResult>, EventRows)> {
    // No license lock up front: the seat rows are the only rows the UPDATE
    // needs, and the license rows (status counters by trigger, seats freed
    // below) are locked only from the end of that statement to commit, so
    // revocations of one license overlap instead of queueing whole.
    let mut ids = seat_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    // One set-based statement revokes the revocable seats; only the seats
    // it left alone are read again, to say why.
    let rows = store::revoke_in_scope(conn, scope, &ids, actor, now).await?;
    let revoked: HashMap<i64, RevokedSeat> = rows.into_iter().map(|r| (r.id, r)).collect();
    let left: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !revoked.contains_key(id))
        .collect();
    let unrevoked = store::load_bulk_seats(conn, &left, SeatLock::Read).await?;
    let mut results = Vec::with_capacity(seat_ids.len());
    let mut events = EventRows::default();
    let mut freed: BTreeMap<i64, i64> = BTreeMap::new();
    // Teachers whose students' live seats end here.
    let mut per_teacher: BTreeMap<i64, i64> = BTreeMap::new();
    let mut seen = HashSet::with_capacity(seat_ids.len());
    let mut json = RevokeJson::new(actor, now.millis());
    for &id in seat_ids {
        if let Some(seat) = revoked.get(&id) {
            if !seen.insert(id) {
                results.push(refused(id, format!("seat {id} is listed more than once")));
                continue;
            }
            if is_live(&seat.status_before_revoke) {
                *freed.entry(seat.license_id).or_default() += 1;
                if let Some(teacher) = seat.teacher_seat_id {
                    *per_teacher.entry(teacher).or_default() += 1;
                }
            }
            let (before, after) = json.render(seat);
            events.push_text(
                "seat.revoke",
                "seat",
                seat.id,
                &seat.org_path,
                Some(before),
                Some(after),
            );
            results.push(done(id));
            continue;
        }
        let Some(seat) = unrevoked.get(&id).filter(|s| scope.contains(&s.org_path)) else {
            results.push(refused(
                id,
                format!("seat {id} was not found in your organization"),
            ));
            continue;
        };
        let reason = if !seen.insert(id) {
            format!("seat {id} is listed more than once")
        } else if seat.status == SeatStatus::Revoked.as_str() {
            format!("seat {id} is already revoked")
        } else if seat.students_block != 0 {
            students_reason(&seat.user_name, &seat.user_email, seat.students_assigned)
        } else {
            // Only when another server's change committed between the two statements.
            format!("seat {id} changed while this request ran; try again")
        };
        results.push(refused(id, reason));
    }
    // Licenses in id order, as they were locked.
    for (license_id, count) in freed {
        release_seats(conn, license_id, count, now).await?;
    }
    for event in shift_teachers(conn, &per_teacher, -1, now).await? {
        events.push(&event);
    }
    Ok((results, events))
}

/// Writes a revoked seat's audit before/after text by hand, byte for byte
/// what `serde_json::json!({...}).to_string()` gives for the same fields
/// (compact, keys in sorted order), without building a `Value` per seat;
/// `crates/server/tests/api/bulk_audit.rs` compares the two.
struct RevokeJson {
    /// `,"revoked_at":…,"revoked_by":"…","status":"revoked","user_id":`
    after_middle: String,
    before: String,
    after: String,
}

impl RevokeJson {
    fn new(actor: &str, now: i64) -> RevokeJson {
        let mut after_middle = format!(",\"revoked_at\":{now},\"revoked_by\":");
        crate::store::audit::push_json_string(&mut after_middle, actor);
        after_middle.push_str(",\"status\":\"revoked\",\"user_id\":");
        RevokeJson {
            after_middle,
            before: String::new(),
            after: String::new(),
        }
    }

    fn render(&mut self, seat: &RevokedSeat) -> (&str, &str) {
        use std::fmt::Write;
        let (before, after) = (&mut self.before, &mut self.after);
        before.clear();
        after.clear();
        // Writing to a String cannot fail.
        let _ = write!(before, "{{\"license_id\":{},\"status\":", seat.license_id);
        crate::store::audit::push_json_string(before, &seat.status_before_revoke);
        let _ = write!(before, ",\"user_id\":{}}}", seat.user_id);
        let _ = write!(
            after,
            "{{\"license_id\":{}{}{}}}",
            seat.license_id, self.after_middle, seat.user_id
        );
        (before, after)
    }
}

#[cfg(test)]
mod tests {
    use seatdesk_core::SeatStatus;
    use seatdesk_core::api::changes::SeatTransition;

    use super::*;

    /// Clients read revocations through the core type: the text written by
    /// hand must be exactly that type's JSON.
    #[test]
    fn the_hand_written_text_is_the_core_seat_transition() {
        let mut json = RevokeJson::new("ops \"night\"", 1_700_000_000_123);
        let seat = RevokedSeat {
            id: 1,
            license_id: 4,
            user_id: 77,
            status_before_revoke: "active".into(),
            teacher_seat_id: None,
            org_path: "/1/".into(),
        };
        let (before, after) = json.render(&seat);
        let moved: SeatTransition = serde_json::from_str(after).unwrap();
        assert_eq!(
            moved,
            SeatTransition {
                expired_at: None,
                license_id: 4,
                revoked_at: chrono::DateTime::from_timestamp_millis(1_700_000_000_123),
                revoked_by: Some("ops \"night\"".into()),
                status: SeatStatus::Revoked,
                user_id: 77,
            }
        );
        assert_eq!(serde_json::to_string(&moved).unwrap(), after);
        let was: SeatTransition = serde_json::from_str(before).unwrap();
        assert_eq!(was.status, SeatStatus::Active);
        assert_eq!(serde_json::to_string(&was).unwrap(), before);
    }
}
