//! Deterministic sample data and an App built from it, as the loop would
//! build it: through actions only.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use seatdesk_client::Snapshot;
use seatdesk_client::cache::CachedDashboard;
use seatdesk_core::api::audit::AuditEvent;
use seatdesk_core::api::dashboard::{
    ClaimCounts, Dashboard, DashboardQuery, ModuleUsers, ProductSummary, WeekCount,
};
use seatdesk_core::api::inventory::License;
use seatdesk_core::api::seats::Claim;
use seatdesk_core::api::{BulkResult, ItemOutcome, ItemResult, Me};
use seatdesk_core::forecast::PoolForecast;
use seatdesk_core::seats::{DateStanding, SeatCounts, date_standing, remaining_days};
use seatdesk_core::{InventoryType, LicenseStatus, Role, SeatStatus, UserKind};
use seatdesk_tui::action::{
    Action, AuditAction, BulkAction, DashboardAction, InventoryAction, SyncAction,
};
use seatdesk_tui::app::{App, Dialog, Effect};
use seatdesk_tui::keymap::{Command, KeyMap};
use seatdesk_tui::theme::Theme;
use seatdesk_tui::update::update;
use seatdesk_tui::view::render;

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
        // The server's forecast, made up: a seat a day.
        forecast: Some(forecast(1, Some(seats.available()), today)),
    }
}

/// Three products: a student edition with 40 teacher seats (some with
/// students), one expiring soon, one in its grace period.
/// The claims nucleo itself scores for `query` (ranking's optimal match),
/// over the same four fields the dashboard's filter reads: the reference
/// the filter's cheaper yes/no answer must equal.
pub fn nucleo_scored(claims: &[seatdesk_client::ClaimRow], query: &str) -> Vec<u32> {
    use nucleo::pattern::{CaseMatching, Normalization, Pattern};
    let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
    let mut matcher = nucleo::Matcher::new(nucleo::Config::DEFAULT);
    let mut buf = Vec::new();
    claims
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            let text = format!(
                "{} {} {} {} ",
                c.user_name, c.user_email, c.org_name, c.product_name
            );
            pattern
                .score(nucleo::Utf32Str::new(&text, &mut buf), &mut matcher)
                .is_some()
        })
        .map(|(i, _)| i as u32)
        .collect()
}

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

/// What the server's `GET /v1/dashboard` would answer for the data `app`
/// holds in `query`'s view: a fixture for render and update tests (the
/// tests in `dashboard.rs` compare the real thing with a real server).
pub fn dashboard(app: &App, query: &DashboardQuery) -> Dashboard {
    let today = now().date_naive();
    let licenses: Vec<&License> = app
        .licenses
        .iter()
        .filter(|l| query.account_id.is_none_or(|a| l.account_id == a))
        .collect();
    let summary = |of: &[&License], product: Option<&License>| {
        let mut seats = SeatCounts::default();
        let mut claims = ClaimCounts::default();
        for l in of {
            seats.purchased += l.seats.purchased;
            seats.consumed += l.seats.consumed;
            for c in app.claims.iter().filter(|c| c.license_id == l.id) {
                let slot = match c.status {
                    SeatStatus::Pending => &mut claims.pending,
                    SeatStatus::Active => &mut claims.active,
                    SeatStatus::Expired => &mut claims.expired,
                    SeatStatus::Revoked => &mut claims.revoked,
                };
                *slot += 1;
            }
        }
        let live = || of.iter().filter(|l| l.standing == DateStanding::InDate);
        ProductSummary {
            product_id: product.map(|l| l.product_id),
            sku: product.map(|l| l.product_sku.clone()),
            name: product.map_or("All products".into(), |l| l.product_name.clone()),
            module: None,
            seats,
            seats_available: seats.available(),
            usage_percent: seats.usage_percent(),
            allocated_within: 0,
            licenses: of.len() as i64,
            earliest_start: of.iter().map(|l| l.start_date).min(),
            latest_finish: of.iter().map(|l| l.finish_date).max(),
            min_remaining_days: live().map(|l| l.remaining_days).min(),
            expiring_30: live().filter(|l| l.remaining_days <= 30).count() as i64,
            expiring_60: live().filter(|l| l.remaining_days <= 60).count() as i64,
            expiring_90: live().filter(|l| l.remaining_days <= 90).count() as i64,
            in_grace: of
                .iter()
                .filter(|l| l.standing == DateStanding::InGrace)
                .count() as i64,
            claims,
            activation_rate: None,
            activations_per_week: (0..12)
                .map(|w| WeekCount {
                    week_start: today - Duration::weeks(11 - w),
                    count: (w * 3 + of.len() as i64) % 7,
                })
                .collect(),
            // The server's forecast, made up: twice the free seats in
            // days, or not at this rate when they are a multiple of 11.
            forecast: Some(match seats.available() {
                0 => forecast(0, Some(0), today),
                free if free % 11 == 0 => forecast(0.0, None, today),
                free => forecast(0.5, Some(free * 2), today),
            }),
        }
    };
    let products = licenses.iter().map(|l| summary(&[*l], Some(l))).collect();
    Dashboard {
        today,
        totals: summary(&licenses, None),
        products,
        module_users: ModuleUsers::default(),
        attention: Vec::new(),
        attention_more: 0,
    }
}

fn forecast(
    seats_per_day: impl Into<f64>,
    full_in_days: Option<i64>,
    today: NaiveDate,
) -> PoolForecast {
    PoolForecast {
        seats_per_day: seats_per_day.into(),
        weeks: 8,
        full_in_days,
        full_on: full_in_days.map(|d| today + Duration::days(d)),
    }
}

/// Hands `app` the server's dashboard for the view it shows, as the
/// background fetch would.
pub fn dashboard_arrives(app: &mut App) -> Vec<Effect> {
    let query = app.dashboard_query();
    run(
        app,
        Action::Dashboard(DashboardAction::Fetched {
            result: Ok(CachedDashboard {
                dashboard: dashboard(app, &query),
                fetched_at: now(),
            }),
            query,
            offline: false,
        }),
    )
}

/// Answers the open revocation dialog as the server's dry run would for the
/// sample data: teacher seats of the student edition with students are
/// refused, naming the teacher; the rest would be revoked.
pub fn dry_run_answers(app: &mut App) -> Vec<Effect> {
    let Some(Dialog::ConfirmRevoke { ids, .. }) = &app.dialog else {
        panic!("no revocation is being confirmed");
    };
    let results = ids
        .iter()
        .map(|&id| {
            let claim = app.claims.iter().find(|c| c.id == id);
            match claim.filter(|c| c.students_assigned > 0) {
                Some(c) => ItemResult {
                    id,
                    outcome: ItemOutcome::Refused,
                    reason: Some(format!(
                        "{} <{}> has {} students assigned on this student-edition seat",
                        c.user_name, c.user_email, c.students_assigned
                    )),
                },
                None => ItemResult {
                    id,
                    outcome: ItemOutcome::Done,
                    reason: None,
                },
            }
        })
        .collect();
    run(
        app,
        Action::Bulk(BulkAction::RevokeChecked(Ok(BulkResult::from_results(
            results,
        )))),
    )
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
    dashboard_arrives(&mut app);
    run(&mut app, Action::Me(Ok(me(role))));
    run(
        &mut app,
        Action::Accounts(Ok(vec![
            (3, "Lincoln USD / Main (PA-1)".into()),
            (4, "Lincoln USD / Labs (PA-2)".into()),
        ])),
    );
    app.home = Some("/home/ops".into());
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

/// Runs `command` as its key would.
pub fn cmd(app: &mut App, command: Command) -> Vec<Effect> {
    run(app, Action::Run(command))
}

/// One key press in a prompt or form.
pub fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    run(app, Action::Text(KeyEvent::from(code)))
}

/// Types `text` key by key; the effects of the last key.
pub fn type_text(app: &mut App, text: &str) -> Vec<Effect> {
    let mut effects = Vec::new();
    for c in text.chars() {
        effects = key(app, KeyCode::Char(c));
    }
    effects
}

/// Asserts that the status line says `needle`.
#[track_caller]
pub fn assert_message(app: &App, needle: &str) {
    let text = app.message.as_ref().map(|m| m.text.as_str());
    assert!(
        text.is_some_and(|t| t.contains(needle)),
        "the status line {text:?} does not say {needle:?}"
    );
}

/// The server's inventory page for load `generation`, the last one.
pub fn inventory_page(app: &mut App, generation: u64, items: Vec<License>) {
    run(
        app,
        Action::Inventory(InventoryAction::Page {
            generation,
            items,
            last: true,
            truncated: false,
        }),
    );
}

/// The whole screen as text, drawn as the loop would draw it.
pub fn screen(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    terminal.draw(|frame| render(app, frame)).unwrap();
    terminal.backend().to_string()
}

pub fn alerts(items: Vec<seatdesk_core::api::alerts::Alert>) -> seatdesk_core::api::alerts::Alerts {
    seatdesk_core::api::alerts::Alerts {
        today: now().date_naive(),
        thresholds: Default::default(),
        items,
        truncated: false,
    }
}

/// One alert of each kind, most severe first, as the server orders them.
pub fn sample_alerts() -> Vec<seatdesk_core::api::alerts::Alert> {
    use seatdesk_core::api::alerts::{Alert, AlertFigures, AlertKind, AlertSeverity};
    let alert = |kind, severity, license_id, account_id, message: &str| Alert {
        kind,
        severity,
        license_id,
        product: format!("SKU-{}", 9 + license_id),
        org_id: 5,
        org: "Lincoln High".into(),
        account_id,
        code_id: None,
        code: None,
        message: message.into(),
        figures: AlertFigures::default(),
        since: None,
    };
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
    let mut in_grace = alert(
        AlertKind::LicenseInGrace,
        AlertSeverity::Critical,
        3,
        3,
        "License 3 (SKU-12) for Lincoln High finished on 2026-02-15 and is in grace until 2026-03-17.",
    );
    in_grace.figures = AlertFigures {
        remaining_days: Some(-14),
        finish_date: date(2026, 2, 15),
        grace_until: date(2026, 3, 17),
        ..AlertFigures::default()
    };
    let mut fast = alert(
        AlertKind::CodeRedeemedFast,
        AlertSeverity::Critical,
        1,
        3,
        "Code U7DA7-NQFE-3P17 of license 1 made 34 seats in 60 minutes (limit 20): it may have leaked.",
    );
    fast.code = Some("U7DA7-NQFE-3P17".into());
    fast.figures = AlertFigures {
        redemptions: Some(34),
        threshold_redemptions: Some(20),
        window_minutes: Some(60),
        ..AlertFigures::default()
    };
    let mut expiring = alert(
        AlertKind::LicenseExpiring,
        AlertSeverity::Warning,
        2,
        3,
        "License 2 (SKU-11) for Lincoln High finishes in 19 days (2026-03-20).",
    );
    expiring.figures = AlertFigures {
        threshold_days: Some(30),
        remaining_days: Some(19),
        finish_date: date(2026, 3, 20),
        ..AlertFigures::default()
    };
    let mut full = alert(
        AlertKind::PoolNearlyFull,
        AlertSeverity::Warning,
        1,
        4,
        "License 1 (SKU-10) for Lincoln High uses 55 of 60 seats (92%).",
    );
    full.figures = AlertFigures {
        usage_percent: Some(91.7),
        threshold_percent: Some(90.0),
        seats_purchased: Some(60),
        seats_used: Some(55),
        ..AlertFigures::default()
    };
    vec![in_grace, fast, expiring, full]
}

pub const JASPERACTIVE: [&str; 7] = [
    "Access",
    "Excel Core",
    "Excel Expert",
    "Outlook",
    "PowerPoint",
    "Word Core",
    "Word Expert",
];

/// The product catalogue.
pub fn products() -> Vec<seatdesk_core::api::inventory::Product> {
    use seatdesk_core::api::inventory::Product;
    use seatdesk_core::{Edition, Module};
    [
        (10, "CE-S", "ConnectED student edition", Edition::Student),
        (11, "ALEKS", "ALEKS", Edition::None),
        (12, "JA-2016", "Jasperactive Office 2016", Edition::None),
    ]
    .into_iter()
    .map(|(id, sku, name, edition)| Product {
        id,
        sku: sku.into(),
        name: name.into(),
        family: name.split(' ').next().unwrap_or(name).into(),
        edition,
        module: Module::Learn,
        has_resource_codes: sku == "ALEKS",
        training_prerequisite: None,
    })
    .collect()
}

/// The License Inventory as the server answers it: the cached licenses
/// with the seed's inventory types, plus a requested one.
pub fn inventory() -> Vec<License> {
    let mut rows = snapshot().licenses;
    rows[0].inventory_type = InventoryType::UserActivationCodes;
    rows[0].order_number = "1052".into();
    rows[0].purchase_order = "UAC- Center2".into();
    rows[0].teacher_code = Some("U7DA7-NIFE-3017".into());
    rows[0].teachers = 36;
    rows[1].inventory_type = InventoryType::CenterLicense;
    rows[1].order_number = "13".into();
    rows[1].purchase_order = "PO-Center2-Center".into();
    rows[1].renewal_requested = true;
    rows[1].teachers = 2;
    rows[1].students = 16;
    rows[2].status = LicenseStatus::Deactivated;
    let mut requested = rows[2].clone();
    requested.id = 4;
    requested.order_number = "1103".into();
    requested.purchase_order = String::new();
    requested.status = LicenseStatus::Requested;
    requested.renewal_requested = false;
    requested.teachers = 0;
    requested.students = 0;
    requested.inventory_type = InventoryType::UserActivationCodes;
    requested.courses = JASPERACTIVE.iter().map(|c| c.to_string()).collect();
    rows.push(requested);
    rows
}

pub fn codes(license_id: i64) -> Vec<seatdesk_core::api::codes::Code> {
    use seatdesk_core::CodeKind;
    use seatdesk_core::api::codes::Code;
    (1..=12)
        .map(|i| Code {
            id: i,
            code: format!("RDM{:05}X-{:02}", i * 7, i),
            kind: CodeKind::Redemption,
            license_id,
            batch_id: None,
            seat_id: Some(100 + i),
            user_email: Some(format!("user{i}@lincoln.k12.test")),
            subject: None,
            max_uses: None,
            uses: i % 4,
            expires_at: None,
            created_at: now() - Duration::days(40 - i),
        })
        .collect()
}

pub fn batches(license_id: i64) -> Vec<seatdesk_core::api::codes::CodeBatch> {
    use seatdesk_core::api::codes::{BatchOptions, CodeBatch};
    vec![
        CodeBatch {
            id: 7,
            license_id,
            code_count: 25,
            users_per_code: 1,
            duration_days: 365,
            options: BatchOptions {
                enable_benchmark: true,
                enable_exercises: true,
                enable_badges: false,
                require_teacher_link: true,
            },
            created_by: "Kim Williams".into(),
            created_at: now() - Duration::days(30),
            expires_at: now() + Duration::days(335),
            uses: 11,
        },
        CodeBatch {
            id: 9,
            license_id,
            code_count: 5,
            users_per_code: 2,
            duration_days: 10,
            options: BatchOptions::default(),
            created_by: "ops".into(),
            created_at: now() - Duration::days(20),
            expires_at: now() - Duration::days(10),
            uses: 0,
        },
    ]
}

pub fn requests() -> Vec<seatdesk_core::api::requests::LicenseRequest> {
    use seatdesk_core::api::requests::LicenseRequest;
    use seatdesk_core::{RequestKind, RequestStatus};
    let base = LicenseRequest {
        id: 21,
        kind: RequestKind::Renewal,
        status: RequestStatus::Pending,
        license_id: Some(2),
        account_id: 3,
        org_id: 5,
        org_name: "Tolano Adventures".into(),
        requested_to_org_id: Some(1),
        requested_to_org_name: Some("CCI Learning".into()),
        product_id: Some(11),
        product_name: Some("ALEKS".into()),
        new_code: true,
        inventory_type: Some(InventoryType::CenterLicense),
        students: Some(40),
        courses: vec![],
        start_date: Some(date(2026, 3, 21)),
        finish_date: Some(date(2027, 3, 20)),
        purchase_order: "PO-2026-118".into(),
        comments: "New school year".into(),
        approval_comments: String::new(),
        created_by: "Kim Williams".into(),
        created_at: now() - Duration::days(2),
        decided_by: None,
        decided_at: None,
        result_license_id: None,
    };
    let mut own = base.clone();
    own.id = 22;
    own.kind = RequestKind::NewLicense;
    own.license_id = None;
    own.org_id = 1;
    own.org_name = "CCI Learning".into();
    own.product_name = Some("Jasperactive Office 2016".into());
    own.students = Some(30);
    own.comments = String::new();
    vec![base, own]
}

pub fn access_check(access: bool) -> seatdesk_core::api::triage::AccessCheck {
    use seatdesk_core::api::triage::{AccessCheck, AccessCondition, ConditionResult};
    let reasons = [
        (true, false, "user 1001 is active"),
        (
            true,
            false,
            "teacher roles include the product's module (learn)",
        ),
        (true, false, "Lincoln High is inside the license's org"),
        (true, true, "license 1 is active; it finishes on 2026-12-31"),
        (
            access,
            false,
            if access {
                "holds seat 1 (active since 2026-01-20)"
            } else {
                "no live seat: seat 2 was revoked on 2026-02-10 by root"
            },
        ),
        (true, false, "no training prerequisite"),
    ];
    AccessCheck {
        user_id: 1001,
        user_email: "user1@lincoln.k12.test".into(),
        product_id: 10,
        product_sku: "SKU-10".into(),
        today: now().date_naive(),
        access,
        summary: if access {
            "access granted".into()
        } else {
            "seat held: no live seat: seat 2 was revoked on 2026-02-10 by root".into()
        },
        conditions: AccessCondition::ALL
            .iter()
            .zip(reasons)
            .map(|(name, (pass, warning, reason))| ConditionResult {
                name: *name,
                pass,
                warning,
                reason: reason.into(),
            })
            .collect(),
    }
}
