//! The operator flows of issue 12, driven by actions: the Teachers filter
//! (school, status, a pasted list of emails), the seat count that confirms
//! a large revocation, an email in the palette reaching the access check,
//! the ranked Claims filter, `:older` and saved views, the Dashboard's
//! drill-down, the account picker, the palette's pane names, the audit's
//! folded bulk operations, expiring messages and the liveness probe.

use chrono::Duration;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use seatdesk_core::SeatStatus;
use seatdesk_core::api::audit::AuditEvent;
use seatdesk_tui::action::{Action, AuditAction, SearchAction, SyncAction};
use seatdesk_tui::app::{App, AuditRow, Dialog, Effect, Pane};
use seatdesk_tui::keymap::Command;
use seatdesk_tui::model;

use crate::helpers::{self, app, assert_message, cmd, key, now, run, type_text};

fn palette(app: &mut App, text: &str) -> Vec<Effect> {
    cmd(app, Command::Palette);
    type_text(app, text);
    run(app, Action::Submit)
}

fn teacher_rows(app: &App) -> Vec<&seatdesk_client::ClaimRow> {
    app.teachers
        .rows
        .iter()
        .map(|&i| &app.claims[i as usize])
        .collect()
}

#[test]
fn the_teachers_filter_takes_a_status_a_school_or_a_pasted_list_of_emails() {
    let mut app = app((80, 24));
    cmd(&mut app, Command::GoPane(Pane::Teachers.index()));
    let all = app.teachers.rows.len();
    cmd(&mut app, Command::Filter);
    type_text(&mut app, "pending");
    let pending = teacher_rows(&app);
    assert!(!pending.is_empty() && pending.len() < all);
    assert!(pending.iter().all(|c| c.status == SeatStatus::Pending));
    cmd(&mut app, Command::Back);
    cmd(&mut app, Command::Filter);
    type_text(&mut app, "lincoln high");
    assert_eq!(
        app.teachers.rows.len(),
        all,
        "every teacher is at the school"
    );
    cmd(&mut app, Command::Back);
    // A list pasted from a ticket, one address a line, arrives whole.
    let picked: Vec<String> = teacher_rows(&app)
        .iter()
        .step_by(5)
        .map(|c| c.user_email.to_string())
        .collect();
    cmd(&mut app, Command::Filter);
    run(&mut app, Action::Paste(format!("{}\n", picked.join("\n"))));
    assert_eq!(
        app.input,
        Some(seatdesk_tui::app::Input::Filter(Pane::Teachers))
    );
    let shown: Vec<String> = teacher_rows(&app)
        .iter()
        .map(|c| c.user_email.to_string())
        .collect();
    assert_eq!(shown.len(), picked.len(), "{shown:?}");
    assert!(shown.iter().all(|e| picked.contains(e)));
    run(&mut app, Action::Submit);
    cmd(&mut app, Command::MarkAll);
    assert_eq!(app.teachers.marks.len(), picked.len());
}

#[test]
fn a_large_revocation_is_confirmed_by_typing_the_seat_count() {
    let mut app = app((80, 24));
    let mut snapshot = helpers::snapshot();
    let template = snapshot.claims[0].clone();
    for id in 200..260 {
        let mut c = template.clone();
        c.id = id;
        c.user_email = format!("extra{id}@lincoln.k12.test");
        snapshot.claims.push(c);
    }
    run(
        &mut app,
        Action::Sync(SyncAction::Loaded(Box::new(snapshot))),
    );
    cmd(&mut app, Command::GoPane(Pane::Teachers.index()));
    cmd(&mut app, Command::MarkAll);
    cmd(&mut app, Command::Revoke);
    helpers::dry_run_answers(&mut app);
    let Some(Dialog::ConfirmRevoke {
        ids, needs_word, ..
    }) = &app.dialog
    else {
        panic!("{:?}", app.dialog)
    };
    assert!(*needs_word);
    let count = ids.len();
    // A wrong number keeps the dialog open and says what to type.
    type_text(&mut app, "12");
    assert!(run(&mut app, Action::Submit).is_empty());
    assert_message(&app, &format!("type {count} (the number of seats)"));
    // Ctrl-U clears the word; the count confirms.
    key_event(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    type_text(&mut app, &count.to_string());
    let effects = run(&mut app, Action::Submit);
    let [Effect::Revoke { chunks }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(chunks.iter().map(Vec::len).sum::<usize>(), count);
}

fn key_event(app: &mut App, code: KeyCode, modifiers: KeyModifiers) {
    run(app, Action::Text(KeyEvent::new(code, modifiers)));
}

#[test]
fn an_email_alone_in_the_palette_finds_the_user_and_checks_access() {
    let mut app = app((80, 24));
    let user = app
        .claims
        .iter()
        .find(|c| c.status == SeatStatus::Active)
        .unwrap()
        .clone();
    let effects = palette(&mut app, &user.user_email);
    assert_eq!(app.pane, Pane::Claims);
    assert_eq!(app.claims_view.query, &*user.user_email);
    let sku = app
        .licenses
        .iter()
        .find(|l| l.product_id == user.product_id)
        .unwrap()
        .product_sku
        .clone();
    assert!(
        effects.iter().any(|e| matches!(e,
            Effect::AccessCheck { user: u, product } if *u == *user.user_email && *product == sku)),
        "{effects:?}"
    );
    assert!(matches!(app.dialog, Some(Dialog::Access { .. })));
    // Behind the answer, the Claims list the exact match first.
    let Some(Effect::Search { generation, job }) = effects
        .into_iter()
        .find(|e| matches!(e, Effect::Search { .. }))
    else {
        panic!("the filter searches")
    };
    let indices = job.run(|| false, |_| {}).unwrap();
    run(
        &mut app,
        Action::Search(SearchAction::Matched {
            generation,
            indices: indices.clone(),
        }),
    );
    let first = &app.claims[app.claims_view.rows[0] as usize];
    assert_eq!(first.user_email, user.user_email);
    assert_eq!(model::tier(first, &user.user_email), 0);
    // Fuzzy matches (e.g. user1… for user12…) follow, not lead.
    assert!(indices.len() >= app.claims_view.rows.len());
}

#[test]
fn older_than_and_saved_views_round_trip_through_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("views.json");
    let mut app = app((80, 24));
    app.views_path = Some(path.clone());
    palette(&mut app, "older 30");
    assert_eq!(app.pane, Pane::Claims);
    assert_eq!(app.claims_view.older_than, Some(30));
    let rows: Vec<_> = app
        .claims_view
        .rows
        .iter()
        .map(|&i| &app.claims[i as usize])
        .collect();
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|c| c.status == SeatStatus::Pending && c.assigned_at < now() - Duration::days(30))
    );
    let stale = rows.len();
    let effects = palette(&mut app, "save stale pending");
    let [
        Effect::SaveViews {
            path: written,
            views,
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(written, &path);
    std::fs::write(&path, serde_json::to_vec(views).unwrap()).unwrap();
    // Back to everything, then the view again, as a new session would.
    palette(&mut app, "older");
    cmd(&mut app, Command::ToggleActive);
    cmd(&mut app, Command::ToggleActive);
    let mut fresh = helpers::app((80, 24));
    fresh.views = seatdesk_tui::update::load_views(&path).unwrap();
    assert_eq!(fresh.claims_view.rows.len(), fresh.claims.len());
    cmd(&mut fresh, Command::Palette);
    type_text(&mut fresh, "view ");
    let listed = seatdesk_tui::update::palette_candidates(&fresh, &fresh.palette);
    assert_eq!(listed[0].name, "view stale pending");
    run(&mut fresh, Action::Submit);
    assert_eq!(fresh.claims_view.rows.len(), stale);
    assert_message(&fresh, "view 'stale pending'");
}

#[test]
fn enter_on_a_dashboard_product_opens_its_licenses_then_a_license_its_teachers() {
    let mut app = app((80, 24));
    let product = app.dashboard.products()[0].clone();
    let effects = cmd(&mut app, Command::Open);
    assert_eq!(app.pane, Pane::Inventory);
    let [Effect::LoadInventory { query, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(query.product_id, product.product_id);
    assert!(
        app.inventory
            .rows
            .iter()
            .all(|l| Some(l.product_id) == product.product_id)
    );
    assert!(!app.inventory.rows.is_empty());
    let license = app.inventory.rows[0].id;
    cmd(&mut app, Command::OpenTeachers);
    assert_eq!(app.pane, Pane::Teachers);
    assert_eq!(app.teachers.license, Some(license));
    // Esc in the Inventory goes back to every product.
    cmd(&mut app, Command::GoPane(Pane::Inventory.index()));
    let effects = cmd(&mut app, Command::Back);
    assert!(app.inventory.product.is_none());
    assert!(
        matches!(effects.as_slice(), [Effect::LoadInventory { query, .. }] if query.product_id.is_none())
    );
}

#[test]
fn the_account_picker_narrows_as_one_types() {
    let mut app = app((80, 24));
    cmd(&mut app, Command::PickAccount);
    assert!(app.picker.is_some());
    let all = seatdesk_tui::update::picker_rows(&app, "").len();
    assert_eq!(all, 3, "all accounts and two accounts");
    // Keys go to the picker, not the key map: `j` is text here.
    let j = seatdesk_tui::update::map_key(&app, KeyEvent::from(KeyCode::Char('l'))).unwrap();
    run(&mut app, j);
    type_text(&mut app, "abs");
    assert_eq!(app.picker.as_ref().unwrap().query, "labs");
    run(&mut app, Action::Submit);
    assert!(app.picker.is_none());
    assert_eq!(app.account, Some(4));
    // Esc leaves the account as it was.
    cmd(&mut app, Command::PickAccount);
    key(&mut app, KeyCode::Down);
    cmd(&mut app, Command::Back);
    assert_eq!(app.account, Some(4));
}

#[test]
fn the_palette_names_panes_and_scrolls_to_a_picked_entry() {
    let mut app = app((80, 24));
    let order = app.licenses[1].order_number.clone();
    palette(&mut app, &format!("teachers {order}"));
    assert_eq!(app.pane, Pane::Teachers);
    assert_eq!(app.teachers.license, Some(app.licenses[1].id));
    palette(&mut app, "claims Moreno");
    assert_eq!(app.pane, Pane::Claims);
    assert_eq!(app.claims_view.query, "Moreno");
    // Arrows pick among the matches; Enter runs the picked one.
    cmd(&mut app, Command::Palette);
    let all = seatdesk_tui::update::palette_candidates(&app, "");
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    assert_eq!(app.palette_pick, 2);
    let picked = all[2].clone();
    run(&mut app, Action::Submit);
    assert_eq!(picked.name, "teachers");
    assert_eq!(app.pane, Pane::Teachers);
}

#[test]
fn a_bulk_operation_is_one_audit_row_that_opens_to_its_items() {
    let mut app = app((80, 24));
    let mut events: Vec<AuditEvent> = helpers::audit_events();
    // Five revocations of one request, among the others.
    for (n, e) in events.iter_mut().take(5).enumerate() {
        e.request_id = "bulk-1".into();
        e.action = "seat.revoke".into();
        e.target_id = 900 + n as i64;
    }
    let total = events.len();
    run(&mut app, Action::Audit(AuditAction::Loaded(Ok(events))));
    cmd(&mut app, Command::GoPane(Pane::Audit.index()));
    assert_eq!(app.audit.rows.len(), total - 4);
    assert!(matches!(
        &app.audit.rows[0],
        AuditRow::Group {
            count: 5,
            open: false,
            ..
        }
    ));
    cmd(&mut app, Command::Open);
    assert_eq!(app.audit.rows.len(), total + 1);
    cmd(&mut app, Command::Down);
    cmd(&mut app, Command::Open);
    let Some(Dialog::Detail { lines, .. }) = &app.dialog else {
        panic!("{:?}", app.dialog)
    };
    assert!(lines.iter().any(|l| l.contains("bulk-1")), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("seat 900")), "{lines:?}");
}

#[test]
fn messages_expire_and_a_lost_server_shows_within_a_probe() {
    let mut app = app((80, 24));
    palette(&mut app, "nonsense-command");
    assert!(app.message.is_some());
    run(&mut app, Action::Tick(now() + Duration::seconds(2)));
    assert!(app.message.is_some(), "still shown after 2 s");
    run(&mut app, Action::Tick(now() + Duration::seconds(13)));
    assert!(app.message.is_none(), "gone: the key hints are back");
    // Between syncs the server is probed; a failed probe is OFFLINE at once.
    run(
        &mut app,
        Action::Sync(SyncAction::Done {
            changed: 0,
            at: now() + Duration::seconds(13),
        }),
    );
    let effects = run(&mut app, Action::Tick(now() + Duration::seconds(14)));
    assert!(matches!(effects.as_slice(), [Effect::Probe]), "{effects:?}");
    run(&mut app, Action::Probed(Err("connection refused".into())));
    assert!(app.sync.offline.is_some());
    let screen = helpers::screen(&app);
    assert!(screen.contains("OFFLINE: cached data"), "{screen}");
    assert!(screen.contains("OFFLINE, last synced"), "{screen}");
}

#[test]
fn the_edit_order_window_shows_the_order_and_changes_only_active_license() {
    let mut app = app((80, 24));
    cmd(&mut app, Command::GoPane(Pane::Inventory.index()));
    let generation = app.inventory.generation;
    helpers::inventory_page(&mut app, generation, helpers::inventory());
    let license = app.inventory.rows[0].clone();
    cmd(&mut app, Command::EditOrder);
    let Some(Dialog::Form(form)) = &app.dialog else {
        panic!("{:?}", app.dialog)
    };
    let labels: Vec<&str> = form.fields.iter().map(|f| f.label.as_str()).collect();
    let has = |text: &str| labels.iter().any(|l| l.contains(text));
    assert!(
        has(&format!("Order Number: {}", license.order_number)),
        "{labels:?}"
    );
    assert!(has("Assigned To: Lincoln USD / Main (PA-1)"), "{labels:?}");
    assert!(has("Requester Comments:") && has("Approval Comments:"));
    assert!(has("Products Information:"));
    // Saved unchanged: nothing is sent.
    assert!(run(&mut app, Action::Submit).is_empty());
    assert!(app.dialog.is_none());
    assert_message(&app, "nothing changed");
    // Active License unticked: the deactivation confirmation of `a`.
    cmd(&mut app, Command::EditOrder);
    key(&mut app, KeyCode::Char(' '));
    run(&mut app, Action::Submit);
    assert!(
        matches!(
            &app.dialog,
            Some(Dialog::Confirm {
                confirm: seatdesk_tui::app::Confirmed::SetLicenseActive { active: false, license_id },
                ..
            }) if *license_id == license.id
        ),
        "{:?}",
        app.dialog
    );
}

#[test]
fn a_reporter_sees_the_order_but_cannot_tick_active_license() {
    let mut app = helpers::app_with(
        (80, 24),
        false,
        seatdesk_core::Role::Reporter,
        seatdesk_tui::keymap::KeyMap::default(),
    );
    cmd(&mut app, Command::GoPane(Pane::Inventory.index()));
    let generation = app.inventory.generation;
    helpers::inventory_page(&mut app, generation, helpers::inventory());
    cmd(&mut app, Command::EditOrder);
    let Some(Dialog::Form(form)) = &app.dialog else {
        panic!("{:?}", app.dialog)
    };
    assert!(form.field("active").is_none(), "read-only for a reporter");
}

#[test]
fn csv_from_the_tui_defuses_spreadsheet_formulas_and_quotes_by_the_csv_writer() {
    let mut app = app((80, 24));
    let mut snapshot = helpers::snapshot();
    snapshot.claims[0].user_name = "=HYPERLINK(\"http://x\",\"a, b\")".into();
    snapshot.claims[0].user_email = "@evil.test".into();
    run(
        &mut app,
        Action::Sync(SyncAction::Loaded(Box::new(snapshot))),
    );
    cmd(&mut app, Command::GoPane(Pane::Claims.index()));
    let effects = cmd(&mut app, Command::Export);
    let [Effect::Export { csv, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), app.claims_view.rows.len());
    let evil = rows
        .iter()
        .find(|r| r.get(4) == Some("'@evil.test"))
        .expect("the email is defused");
    assert_eq!(evil.get(3), Some("'=HYPERLINK(\"http://x\",\"a, b\")"));
    // Numbers keep their form.
    assert!(
        rows.iter()
            .all(|r| r.get(0).unwrap().parse::<i64>().is_ok())
    );
}
