//! Redeeming a code: a teacher redeems a master code (and gets a
//! redemption code for a student edition), a student joins a teacher's
//! class with that redemption code, anyone redeems an activation or
//! resource code. Each redemption takes an active seat with
//! [`take_seat`], under the license's limit. Failed attempts are counted
//! by [`super::guessing`] so codes cannot be guessed.

use axum::http::StatusCode;
use seatdesk_core::api::codes::Redemption;
use seatdesk_core::problem::kinds;
use seatdesk_core::{CodeKind, Edition, LicenseStatus, SeatStatus, UserKind, UserStatus};

use crate::codes::insert_code;
use crate::domain::claims::load_claim;
use crate::domain::licenses::{load_license, today, unusable_reason};
use crate::domain::scope::Scope;
use crate::domain::seats::{insert_seat, take_seat};
use crate::error::{ApiError, ApiResult};
use crate::mutation::Work;
use crate::store::audit::NewEvent;
use crate::store::codes as store;
use crate::store::codes::CodeFields;
use crate::store::seats::{self as seat_store, SeatLink};

/// Redeems `code` (already validated) for the user with `email` in
/// `scope`, who gets an active seat. Errors: `code-unknown` (404),
/// `code-expired` (410), `code-exhausted` (409), `no-seats-left` (409).
pub async fn redeem(w: &mut Work, scope: &Scope, code: &str, email: &str) -> ApiResult<Redemption> {
    let hit = store::code_hit(w.conn(), code).await?;
    // A code of another org's license is unknown here, not revealed.
    let hit = hit.filter(|h| scope.contains(&h.org_path)).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            kinds::CODE_UNKNOWN,
            format!("{code} is not a code of any license in your organization"),
        )
    })?;
    let kind = hit.kind.0;
    let user = store::redeemer(w.conn(), email).await?;
    let user = user
        .filter(|u| scope.contains(&u.org_path))
        .ok_or_else(|| ApiError::not_found(format!("user {email}")))?;
    if user.status.0 != UserStatus::Active {
        return Err(ApiError::conflict(format!(
            "{email} is {}; only active users can redeem codes",
            user.status
        )));
    }
    let license = load_license(w.conn(), scope, hit.license_id)
        .await?
        .into_api(today());
    if let Some(reason) = unusable_reason(&license) {
        return Err(match license.status {
            LicenseStatus::Expired | LicenseStatus::Deactivated => {
                code_expired(format!("{code} can no longer be redeemed: {reason}"))
            }
            _ => ApiError::new(StatusCode::CONFLICT, kinds::LICENSE_NOT_USABLE, reason),
        });
    }
    if let Some(expires_at) = hit.expires_at.filter(|at| *at <= w.now) {
        return Err(code_expired(format!(
            "{code} expired at {}",
            expires_at.0.to_rfc3339()
        )));
    }
    let user_kind = Some(user.kind.0);
    match kind {
        CodeKind::Master if user_kind != Some(UserKind::Teacher) => {
            return Err(ApiError::conflict(format!(
                "{code} is a master code, redeemed by teachers; {email} is a {}",
                user.kind
            )));
        }
        CodeKind::Redemption if user_kind != Some(UserKind::Student) => {
            return Err(ApiError::conflict(format!(
                "{code} is a teacher's redemption code, redeemed by students; {email} is a {}",
                user.kind
            )));
        }
        _ => {}
    }
    // The teacher's seat gains the student first, conditionally, so a
    // concurrent revocation of it either waits for us or makes us fail.
    let teacher_seat = if kind == CodeKind::Redemption {
        let seat = hit.seat_id.unwrap_or_default();
        let now = w.now;
        let assigned = seat_store::add_student(w.conn(), seat, now).await?;
        let Some(assigned) = assigned else {
            return Err(code_expired(format!(
                "{code} belongs to a teacher seat that is no longer live"
            )));
        };
        Some((seat, assigned))
    } else {
        None
    };
    // Conditional, so concurrent redemptions never exceed max_uses.
    if !store::count_use(w.conn(), hit.id).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            kinds::CODE_EXHAUSTED,
            format!(
                "{code} has been redeemed by all {} user(s) it admits",
                hit.max_uses
            ),
        ));
    }
    let now = w.now;
    if !take_seat(w.conn(), license.id, now).await? {
        return Err(ApiError::no_seats_left(format!(
            "no seats left on license {} ({} of {} in use)",
            license.id,
            license.seats.consumed + license.seats.allocated,
            license.seats.purchased
        )));
    }
    let seat_id = insert_seat(w, license.id, user.id, SeatStatus::Active, "code").await?;
    // Which code made the seat: redemptions per code feed the leaked-code alert.
    seat_store::set_link(w.conn(), seat_id, SeatLink::CodeId, hit.id).await?;
    if kind == CodeKind::Activation && hit.max_uses == 1 {
        // Single-user codes remember their user, for the exported sheet.
        store::set_code_seat(w.conn(), hit.id, seat_id).await?;
    }
    let redemption_code = if kind == CodeKind::Master && hit.edition == Edition::Student.as_str() {
        let fields = CodeFields {
            license_id: license.id,
            seat_id: Some(seat_id),
            ..CodeFields::default()
        };
        let (_, redemption) = insert_code(w.conn(), CodeKind::Redemption, &fields, now).await?;
        seat_store::set_redemption_code(w.conn(), seat_id, &redemption).await?;
        Some(redemption)
    } else {
        None
    };
    if let Some((teacher_seat, assigned)) = teacher_seat {
        seat_store::set_link(w.conn(), seat_id, SeatLink::TeacherSeat, teacher_seat).await?;
        w.record(NewEvent {
            action: "seat.student_assign",
            target_type: "seat",
            target_id: teacher_seat,
            org_path: hit.org_path.clone(),
            before: Some(serde_json::json!({ "students_assigned": assigned - 1 })),
            after: Some(
                serde_json::json!({ "students_assigned": assigned, "student_seat_id": seat_id }),
            ),
        });
    }
    let uses = store::code_uses(w.conn(), hit.id).await?;
    let seat = load_claim(w.conn(), seat_id).await?;
    w.record(NewEvent {
        action: "seat.redeem",
        target_type: "seat",
        target_id: seat_id,
        org_path: hit.org_path.clone(),
        before: None,
        after: Some(serde_json::json!({
            "seat": seat,
            "code": { "id": hit.id, "code": hit.code, "kind": kind, "uses": uses },
            "redemption_code": redemption_code,
        })),
    });
    Ok(Redemption {
        code: hit.code.clone(),
        kind,
        seat,
        redemption_code,
    })
}

fn code_expired(detail: String) -> ApiError {
    ApiError::new(StatusCode::GONE, kinds::CODE_EXPIRED, detail)
}
