//! Deterministic sample data and an App built from it, as the loop would
//! build it: through actions only.

#![allow(dead_code)]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use seatdesk_client::Snapshot;
use seatdesk_core::api::Me;
use seatdesk_core::api::audit::AuditEvent;
use seatdesk_core::api::inventory::License;
use seatdesk_core::api::seats::Claim;
use seatdesk_core::seats::{DateStanding, SeatCounts, date_standing, remaining_days};
use seatdesk_core::{InventoryType, LicenseStatus, Role, SeatStatus, UserKind};
use seatdesk_tui::action::{Action, AuditAction, SyncAction};
use seatdesk_tui::app::{App, Effect};
use seatdesk_tui::keymap::KeyMap;
use seatdesk_tui::theme::Theme;
use seatdesk_tui::update::update;

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub const TEACHER_LICENSE: i64 = 1;
const FIRST: [&str; 8] = ["Ada", "Ben", "Cleo", "Dev", "Eva", "Finn", "Gia", "Hal"];
const LAST: [&str; 5] = ["Moreno", "Okafor", "Lindqvist", "Tanaka", "Brennan"];

fn claim(id: i64, license: i64, product: (i64, &str), kind: UserKind, status: SeatStatus) -> Claim {
    let n = id as usize;
    let name = format!(
        "{} {}",
        FIRST[n % FIRST.len()],
        LAST[(n / FIRST.len()) % LAST.len()]
    );
    let assigned_at = now() - Duration::days(2 + (id * 3) % 80);
    let claimed_at =
        (status != SeatStatus::Pending).then(|| assigned_at + Duration::hours(5 + id % 20));
    Claim {
        id,
        license_id: license,
        product_id: product.0,
        product_name: product.1.to_string(),
        user_id: 1000 + id,
        user_name: name,
        user_email: format!("user{id}@lincoln.k12.test"),
        user_kind: kind,
        org_id: 5,
        org_name: "Lincoln High".into(),
        status,
        assigned_at,
        assigned_by: "root".into(),
        claimed_at,
        expired_at: (status == SeatStatus::Expired).then_some(assigned_at + Duration::days(30)),
        revoked_at: (status == SeatStatus::Revoked).then_some(assigned_at + Duration::days(20)),
        claimed_by: None,
        expired_by: None,
        revoked_by: (status == SeatStatus::Revoked).then(|| "root".to_string()),
        redemption_code: (kind == UserKind::Teacher && license == TEACHER_LICENSE)
            .then(|| format!("RDM{id:05}X")),
        students_assigned: if kind == UserKind::Teacher && id % 7 == 3 {
            (id % 5) + 1
        } else {
            0
        },
        updated_at: assigned_at,
    }
}

fn license(
    id: i64,
    product: (i64, &str),
    purchased: i64,
    finish: NaiveDate,
    claims: &[Claim],
) -> License {
    let today = now().date_naive();
    let consumed = claims
        .iter()
        .filter(|c| c.license_id == id && c.status.consumes_seat())
        .count() as i64;
    let seats = SeatCounts {
        purchased,
        consumed,
        allocated: 0,
    };
    let start = date(2025, 8, 1);
    License {
        id,
        account_id: 3,
        org_id: 5,
        parent_license_id: None,
        product_id: product.0,
        product_sku: format!("SKU-{}", product.0),
        product_name: product.1.to_string(),
        order_number: format!("ORD-10{id:02}"),
        purchase_order: format!("PO-77{id}"),
        inventory_type: InventoryType::SeatPool,
        courses: Vec::new(),
        teacher_code: None,
        master_code: Some(format!("MSTR{id:012}")),
        seats,
        allocations_consumed: 0,
        seats_available: seats.available(),
        usage_percent: seats.usage_percent(),
        start_date: start,
        finish_date: finish,
        remaining_days: remaining_days(finish, today),
        grace_days: 30,
        standing: date_standing(start, finish, 30, today),
        status: LicenseStatus::Active,
        renewal_requested: false,
        renewed: false,
        teachers: 0,
        students: 0,
        updated_at: now(),
    }
}

/// Three products: a student edition with 40 teacher seats (some with
/// students), one expiring soon, one in its grace period.
pub fn snapshot() -> Snapshot {
    let connected = (10, "ConnectED student edition");
    let aleks = (11, "ALEKS");
    let jasper = (12, "Jasperactive Office 2016");
    let mut claims = Vec::new();
    let statuses = [
        SeatStatus::Active,
        SeatStatus::Pending,
        SeatStatus::Active,
        SeatStatus::Expired,
        SeatStatus::Revoked,
    ];
    for id in 1..=40 {
        let status = if id % 9 == 0 {
            SeatStatus::Revoked
        } else if id % 2 == 0 {
            SeatStatus::Pending
        } else {
            SeatStatus::Active
        };
        claims.push(claim(
            id,
            TEACHER_LICENSE,
            connected,
            UserKind::Teacher,
            status,
        ));
    }
    for id in 41..=70 {
        claims.push(claim(
            id,
            2,
            aleks,
            UserKind::Student,
            statuses[id as usize % statuses.len()],
        ));
    }
    for id in 71..=85 {
        claims.push(claim(
            id,
            3,
            jasper,
            UserKind::Staff,
            statuses[(id as usize + 1) % statuses.len()],
        ));
    }
    let licenses = vec![
        license(1, connected, 60, date(2026, 12, 31), &claims),
        license(2, aleks, 40, date(2026, 3, 20), &claims),
        license(3, jasper, 20, date(2026, 2, 15), &claims),
    ];
    assert_eq!(licenses[2].standing, DateStanding::InGrace);
    Snapshot {
        licenses,
        claims,
        last_seq: 120,
        last_sync: Some(now() - Duration::minutes(3)),
    }
}

pub fn me(role: Role) -> Me {
    Me {
        token_id: 1,
        token_name: "ops".into(),
        role,
        org_id: 1,
        org_name: "CCI Learning".into(),
        permissions: role.permissions(),
    }
}

pub fn audit_events() -> Vec<AuditEvent> {
    (1..=30)
        .rev()
        .map(|seq| AuditEvent {
            seq,
            at: now() - Duration::minutes(90 - seq * 3),
            actor: if seq % 4 == 0 {
                "system".into()
            } else {
                "ops".into()
            },
            action: [
                "seat.assign",
                "seat.claim",
                "seat.revoke",
                "license.deactivate",
            ][seq as usize % 4]
                .into(),
            target_type: if seq % 4 == 3 {
                "license".into()
            } else {
                "seat".into()
            },
            target_id: seq * 2,
            before: None,
            after: None,
            request_id: format!("req-{seq}"),
        })
        .collect()
}

/// An app with the sample data loaded, synced a moment ago, at `size`.
pub fn app_with(size: (u16, u16), readonly: bool, role: Role, keymap: KeyMap) -> App {
    let mut app = App::new("district", readonly, keymap, Theme { mono: true }, now());
    run(
        &mut app,
        Action::Resize {
            width: size.0,
            height: size.1,
        },
    );
    run(
        &mut app,
        Action::Sync(SyncAction::Loaded(Box::new(snapshot()))),
    );
    run(&mut app, Action::Me(Ok(me(role))));
    run(
        &mut app,
        Action::Audit(AuditAction::Loaded(Ok(audit_events()))),
    );
    app.message = None;
    app
}

pub fn app(size: (u16, u16)) -> App {
    app_with(size, false, Role::SystemAdmin, KeyMap::default())
}

pub fn run(app: &mut App, action: Action) -> Vec<Effect> {
    update(app, action)
}
