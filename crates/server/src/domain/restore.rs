//! Restore: undoing a revocation. The limits, each checked here only: the
//! restore window, the license still open (active or depleted, not past
//! grace), the user holding no other live seat of the license, and the
//! seat limit (a seat is taken back with [`take_seat`]).

use std::collections::HashSet;
use std::time::Duration;

use seatdesk_core::api::ItemResult;
use seatdesk_core::api::changes::SeatTransition;
use seatdesk_core::{LicenseStatus, SeatStatus};

use crate::db::{Backend, Conn};
use crate::domain::licenses::today;
use crate::domain::scope::Scope;
use crate::domain::seats::{
    done, lock_licenses_of_seats, refused, shift_teacher_counts, take_seat,
};
use crate::error::{ApiError, ApiResult};
use crate::mutation::Work;
use crate::store::audit::NewEvent;
use crate::store::seats as store;

/// Puts back each seat of `seat_ids` revoked within `window`, as it was
/// before, one result per id; a refused seat leaves the others alone.
pub async fn restore_seats(
    w: &mut Work,
    backend: Backend,
    scope: &Scope,
    seat_ids: &[i64],
    window: Duration,
) -> ApiResult<Vec<ItemResult>> {
    let window_ms = window.as_millis() as i64;
    lock_licenses_of_seats(w.conn(), backend, seat_ids).await?;
    let seats = store::load_bulk_seats(w.conn(), seat_ids).await?;
    let mut results = Vec::with_capacity(seat_ids.len());
    let mut seen = HashSet::new();
    for &id in seat_ids {
        let Some(seat) = seats.get(&id).filter(|s| scope.contains(&s.org_path)) else {
            results.push(refused(
                id,
                format!("seat {id} was not found in your organization"),
            ));
            continue;
        };
        if !seen.insert(id) {
            results.push(refused(id, format!("seat {id} is listed more than once")));
            continue;
        }
        if seat.status != SeatStatus::Revoked.as_str() {
            results.push(refused(
                id,
                format!("seat {id} is {}, not revoked", seat.status),
            ));
            continue;
        }
        let revoked_at = seat.revoked_at.map_or(0, |at| at.0.timestamp_millis());
        if w.now.millis() - revoked_at > window_ms {
            results.push(refused(
                id,
                format!(
                    "seat {id} was revoked more than {} ago; it can no longer be restored",
                    humanize(window_ms)
                ),
            ));
            continue;
        }
        // Every revocation records the status it ends; without it there is
        // nothing to restore to, and guessing `active` could take a seat.
        let previous = seat
            .status_before_revoke
            .as_deref()
            .and_then(SeatStatus::parse)
            .ok_or_else(|| {
                ApiError::corrupt(format!(
                    "revoked seat {id} has status_before_revoke {:?}, not a seat status",
                    seat.status_before_revoke
                ))
            })?;
        if previous.consumes_seat() {
            if let Some(reason) = license_closed(w.conn(), seat.license_id).await? {
                results.push(refused(id, reason));
                continue;
            }
            let holds_live = store::live_seat_of(w.conn(), seat.license_id, seat.user_id).await?;
            if let Some(other) = holds_live {
                results.push(refused(
                    id,
                    format!("the user already holds seat {other} of this license"),
                ));
                continue;
            }
            let now = w.now;
            if !take_seat(w.conn(), seat.license_id, now).await? {
                results.push(refused(
                    id,
                    format!("no seats left on license {}", seat.license_id),
                ));
                continue;
            }
        }
        let now = w.now;
        store::unrevoke(w.conn(), id, previous, now).await?;
        if previous.consumes_seat() {
            shift_teacher_counts(w, &[id], 1).await?;
        }
        // The feed's typed payload for a status move (see core `changes`).
        let moved = |status| {
            serde_json::to_value(SeatTransition {
                expired_at: None,
                license_id: seat.license_id,
                revoked_at: None,
                revoked_by: None,
                status,
                user_id: seat.user_id,
            })
        };
        w.record(NewEvent {
            action: "seat.restore",
            target_type: "seat",
            target_id: id,
            org_path: seat.org_path.clone(),
            before: moved(SeatStatus::Revoked).ok(),
            after: moved(previous).ok(),
        });
        results.push(done(id));
    }
    Ok(results)
}

/// Why a license cannot take a restored seat back: not active, or past grace.
async fn license_closed(conn: &mut Conn, license_id: i64) -> ApiResult<Option<String>> {
    let (status, grace_until) = store::license_standing(conn, license_id).await?;
    Ok(
        if !matches!(status.0, LicenseStatus::Active | LicenseStatus::Depleted) {
            Some(format!("license {license_id} is {status}"))
        } else if grace_until.0 < today() {
            Some(format!("license {license_id} has expired"))
        } else {
            None
        },
    )
}

fn humanize(ms: i64) -> String {
    let hours = ms / 3_600_000;
    if hours >= 48 {
        format!("{} days", hours / 24)
    } else if hours >= 1 {
        format!("{hours} hours")
    } else {
        format!("{} minutes", ms / 60_000)
    }
}
