//! Demo seat rows (claims) in every status, with timestamps that tell a
//! plausible story: active seats claimed over the last twelve weeks, pending
//! ones assigned lately or months ago, expired and revoked ones (some
//! revoked this week, so a restore can be shown). Student-edition teachers
//! carry a redemption code and their students, so a bulk revoke has
//! something to refuse.

use crate::db::Conn;
use rand::Rng;
use rand::seq::{IndexedRandom, SliceRandom};
use seatdesk_core::codes::CodeShape;
use seatdesk_core::{CodeKind, SeatStatus, UserKind};

use super::codes::CodeSet;
use super::licenses::{LicensePlan, SiteRef};
use super::people::{DAY_MS, NameKeys};
use super::tree::{Tree, day_ms};
use super::{Ids, SeatTally};
use crate::store::demo::{CODES, Rows, SEATS};

/// What a seat row will be; long-pending is pending assigned months ago.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Draw {
    Active,
    Pending,
    LongPending,
    Expired,
    Revoked,
}

/// Who revoked seats, as the audit actor would read.
const REVOKERS: &[&str] = &["token:sue.wong", "token:kim.williams", "token:helpdesk"];

/// What the seats are written for: the org tree, its licenses and the
/// users' name sort keys (seats carry them, see migration 0013).
pub struct SeatPlan<'a> {
    pub tree: &'a Tree,
    pub licenses: &'a [LicensePlan],
    pub names: &'a NameKeys,
}

/// Writes every license's seats and the redemption codes of
/// student-edition teachers; returns counts per status.
pub async fn write<R: Rng + ?Sized>(
    conn: &mut Conn,
    rng: &mut R,
    ids: &mut Ids,
    codes: &mut CodeSet,
    plan: &SeatPlan<'_>,
    today_ms: i64,
) -> Result<SeatTally, sqlx::Error> {
    let SeatPlan {
        tree,
        licenses,
        names,
    } = *plan;
    let mut seats = Rows::new(&SEATS, conn.backend());
    let mut code_rows = Rows::new(&CODES, conn.backend());
    let mut tally = SeatTally::default();
    for license in licenses {
        let site = match license.site {
            Some(SiteRef::District(d)) => &tree.districts[d],
            Some(SiteRef::Center(c)) => &tree.centers[c],
            None => continue,
        };
        let admin = if site.is_district {
            format!(
                "token:{}-admin",
                super::names::initials(&tree.orgs[site.org].name).to_lowercase()
            )
        } else {
            "token:sue.wong".to_string()
        };
        let mut draws = Vec::with_capacity(license.mix.total() as usize);
        for (draw, n) in [
            (Draw::Active, license.mix.active),
            (Draw::Pending, license.mix.pending),
            (Draw::LongPending, license.mix.long_pending),
            (Draw::Expired, license.mix.expired),
            (Draw::Revoked, license.mix.revoked),
        ] {
            draws.extend(std::iter::repeat_n(draw, n.max(0) as usize));
        }
        draws.shuffle(rng);
        let window = Window::of(license, today_ms);
        let mut draws = draws.into_iter();
        for holders in &license.holders {
            for k in 0..holders.slice.count {
                let Some(draw) = draws.next() else { break };
                let user_id = match holders.kind {
                    UserKind::Teacher => site.teacher_id(holders.slice.start + k),
                    _ => site.student_id(holders.slice.start + k),
                };
                let id = ids.seat.take();
                let seat = window.seat(rng, draw);
                let redemption = (license.student_edition()
                    && holders.kind == UserKind::Teacher
                    && seat.claimed_at.is_some())
                .then(|| codes.fresh(rng, CodeShape::Grouped));
                let students = if redemption.is_some() && draw == Draw::Active {
                    rng.random_range(8..=32)
                } else {
                    0
                };
                let assigned_by = match license.source {
                    "role_rule" => "role_rule".to_string(),
                    "code" => "code:redeem".to_string(),
                    _ => admin.clone(),
                };
                let revoked_by = (draw == Draw::Revoked)
                    .then(|| REVOKERS.choose(rng).copied().unwrap_or("token:helpdesk"));
                seats
                    .row()
                    .int(id)
                    .int(license.id)
                    .int(user_id)
                    .text(seat.status.as_str())
                    .opt_text(seat.before_revoke.map(SeatStatus::as_str))
                    .int(students)
                    .opt_text(redemption.as_deref())
                    .text(license.source)
                    .stamp(seat.assigned_at)
                    .text(&assigned_by)
                    .opt_stamp(seat.claimed_at)
                    .opt_stamp(seat.expired_at)
                    .opt_stamp(seat.revoked_at)
                    .opt_text(revoked_by)
                    .stamp(seat.updated_at())
                    .opt_text(names.key(user_id).as_deref())
                    .end();
                tally.add(seat.status, draw == Draw::LongPending);
                if let Some(code) = &redemption {
                    code_rows
                        .row()
                        .int(ids.code.take())
                        .text(code)
                        .text(CodeKind::Redemption.as_str())
                        .int(license.id)
                        .null()
                        .int(id)
                        .null()
                        .int(1)
                        .int(1)
                        .null()
                        .stamp(seat.claimed_at.unwrap_or(seat.assigned_at))
                        .end();
                    tally.redemption_codes += 1;
                }
                seats.flush_if_full(conn).await?;
                if code_rows.is_full() {
                    // Codes point at seats: write the seats first.
                    seats.flush(conn).await?;
                    code_rows.flush(conn).await?;
                }
            }
        }
    }
    seats.flush(conn).await?;
    code_rows.flush(conn).await?;
    Ok(tally)
}

/// The times a license's seats can have: from its start (or a year ago)
/// to today, or to the end of its grace period if that came first.
struct Window {
    from: i64,
    to: i64,
}

/// One seat's status and transition times.
struct SeatTimes {
    status: SeatStatus,
    before_revoke: Option<SeatStatus>,
    assigned_at: i64,
    claimed_at: Option<i64>,
    expired_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl SeatTimes {
    fn updated_at(&self) -> i64 {
        [self.claimed_at, self.expired_at, self.revoked_at]
            .into_iter()
            .flatten()
            .fold(self.assigned_at, i64::max)
    }
}

impl Window {
    fn of(license: &LicensePlan, today_ms: i64) -> Window {
        let from = day_ms(license.start).max(today_ms - 365 * DAY_MS) + 8 * 3_600_000;
        let to = (day_ms(license.grace_until()) + DAY_MS).min(today_ms - 60_000);
        Window {
            from: from.min(to - 3_600_000),
            to,
        }
    }

    /// A time up to `back` before `end`, not before the window opens.
    fn before<R: Rng + ?Sized>(&self, rng: &mut R, end: i64, back: i64) -> i64 {
        let lo = (end - back).max(self.from).min(end);
        rng.random_range(lo..=end)
    }

    /// A time between `start` and the window's end.
    fn after<R: Rng + ?Sized>(&self, rng: &mut R, start: i64, within: i64) -> i64 {
        let hi = (start + within).min(self.to).max(start);
        rng.random_range(start..=hi)
    }

    fn seat<R: Rng + ?Sized>(&self, rng: &mut R, draw: Draw) -> SeatTimes {
        let mut seat = SeatTimes {
            status: SeatStatus::Pending,
            before_revoke: None,
            assigned_at: 0,
            claimed_at: None,
            expired_at: None,
            revoked_at: None,
        };
        match draw {
            Draw::Active => {
                let claimed = self.before(rng, self.to, 84 * DAY_MS);
                seat.status = SeatStatus::Active;
                seat.assigned_at = self.before(rng, claimed, 14 * DAY_MS);
                seat.claimed_at = Some(claimed);
            }
            Draw::Pending => seat.assigned_at = self.before(rng, self.to, 21 * DAY_MS),
            Draw::LongPending => {
                let months_ago = self.to - rng.random_range(60..150) * DAY_MS;
                seat.assigned_at = self.before(rng, months_ago.max(self.from), 0);
            }
            Draw::Expired => {
                seat.status = SeatStatus::Expired;
                seat.assigned_at = self.after(rng, self.from, (self.to - self.from) / 2);
                let claimed = self.after(rng, seat.assigned_at, 10 * DAY_MS);
                seat.claimed_at = Some(claimed);
                seat.expired_at = Some(self.after(rng, claimed, self.to - claimed));
            }
            Draw::Revoked => {
                seat.status = SeatStatus::Revoked;
                seat.assigned_at = self.after(rng, self.from, (self.to - self.from) * 4 / 5);
                let claimed = rng
                    .random_bool(0.7)
                    .then(|| self.after(rng, seat.assigned_at, 7 * DAY_MS));
                let since = claimed.unwrap_or(seat.assigned_at);
                // Four in ten were revoked this week: still restorable.
                let revoked = if rng.random_bool(0.4) {
                    self.before(rng, self.to, 6 * DAY_MS).max(since)
                } else {
                    self.after(rng, since, self.to - since)
                };
                seat.claimed_at = claimed;
                seat.revoked_at = Some(revoked);
                seat.before_revoke = Some(if claimed.is_some() {
                    SeatStatus::Active
                } else {
                    SeatStatus::Pending
                });
            }
        }
        seat
    }
}
