//! Snapshot tests of the Codes and Inventory panes, their forms, the
//! access check and the dashboard's alerts, at 80×24 (SSH) and 160×45.

use crossterm::event::KeyCode;
use seatdesk_core::Role;
use seatdesk_tui::action::{Action, CodesAction, InventoryAction};
use seatdesk_tui::app::{App, CodesData, Pane};
use seatdesk_tui::keymap::{Command, KeyMap};

use crate::helpers::{self, app_with, cmd, inventory_page, key, run, screen, type_text};

const SIZES: [(u16, u16); 3] = [(40, 12), (80, 24), (200, 50)];

fn each_size_as(name: &str, role: Role, setup: impl Fn(&mut App)) {
    for size in SIZES {
        let mut app = app_with(size, false, role, KeyMap::default());
        setup(&mut app);
        insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), screen(&app));
    }
}

fn each_size(name: &str, setup: impl Fn(&mut App)) {
    each_size_as(name, Role::SystemAdmin, setup);
}

fn keys(app: &mut App, codes: &[KeyCode]) {
    for code in codes {
        key(app, *code);
    }
}

/// The Inventory pane with the server's answer in.
fn inventory(app: &mut App) {
    cmd(app, Command::GoPane(Pane::Inventory.index()));
    answer_inventory(app, helpers::inventory());
}

fn answer_inventory(app: &mut App, items: Vec<seatdesk_core::api::inventory::License>) {
    inventory_page(app, app.inventory.generation, items);
}

fn answer_codes(app: &mut App, data: CodesData) {
    let generation = app.codes.generation;
    run(
        app,
        Action::Codes(CodesAction::Loaded {
            generation,
            result: Ok((data, false)),
        }),
    );
}

#[test]
fn inventory_pane() {
    each_size("inventory", inventory);
}

#[test]
fn inventory_cached_while_the_server_searches() {
    each_size("inventory_loading", |app| {
        cmd(app, Command::GoPane(Pane::Inventory.index()));
    });
}

#[test]
fn inventory_filtered_and_searched() {
    each_size("inventory_filtered", |app| {
        inventory(app);
        cmd(app, Command::CycleOrderStatus);
        cmd(app, Command::CycleInventoryType);
        cmd(app, Command::CycleInventoryType);
        cmd(app, Command::Filter);
        keys(app, &[KeyCode::Tab]);
        type_text(app, "center");
        run(app, Action::Submit);
        let rows = helpers::inventory()
            .into_iter()
            .filter(|l| {
                l.purchase_order.contains("Center")
                    && l.inventory_type == seatdesk_core::InventoryType::UserActivationCodes
            })
            .collect();
        answer_inventory(app, rows);
    });
}

#[test]
fn inventory_search_prompt() {
    each_size("inventory_search", |app| {
        inventory(app);
        cmd(app, Command::Filter);
        keys(app, &[KeyCode::Tab, KeyCode::Tab]);
        type_text(app, "U7DA7-NIFE");
    });
}

#[test]
fn requests_tab_with_own_request_selected() {
    each_size("requests", |app| {
        inventory(app);
        cmd(app, Command::NextTab);
        run(
            app,
            Action::Inventory(InventoryAction::Requests(Ok(helpers::requests()))),
        );
        cmd(app, Command::Down);
    });
}

#[test]
fn requests_tab_off_for_a_center_admin() {
    each_size_as("inventory_center_admin", Role::CenterAdmin, |app| {
        inventory(app);
        cmd(app, Command::NextTab);
    });
}

#[test]
fn confirm_deactivation() {
    each_size("confirm_deactivate", |app| {
        inventory(app);
        cmd(app, Command::ToggleLicense);
    });
}

#[test]
fn renewal_form() {
    each_size("renewal_form", |app| {
        inventory(app);
        cmd(app, Command::Down);
        cmd(app, Command::Down);
        cmd(app, Command::Renew);
        // Finish before start: the error shows under the field.
        keys(app, &[KeyCode::Tab, KeyCode::Tab, KeyCode::Tab]);
        for _ in 0..10 {
            keys(app, &[KeyCode::Backspace]);
        }
        type_text(app, "2020-01-01");
        run(app, Action::Submit);
    });
}

#[test]
fn new_license_form_with_courses() {
    each_size("new_license_form", |app| {
        inventory(app);
        cmd(app, Command::RequestLicense);
        run(
            app,
            Action::Inventory(InventoryAction::Products(Ok(helpers::products()))),
        );
        keys(app, &[KeyCode::Tab, KeyCode::Tab, KeyCode::Left]);
        keys(app, &[KeyCode::Tab]);
        type_text(app, "25");
        // Down to the second course and check it.
        for _ in 0..6 {
            keys(app, &[KeyCode::Tab]);
        }
        keys(app, &[KeyCode::Char(' ')]);
    });
}

#[test]
fn approve_and_reject_forms() {
    each_size("approve_form", |app| {
        inventory(app);
        cmd(app, Command::NextTab);
        run(
            app,
            Action::Inventory(InventoryAction::Requests(Ok(helpers::requests()))),
        );
        cmd(app, Command::Approve);
        type_text(app, "35");
    });
    each_size("reject_form", |app| {
        inventory(app);
        cmd(app, Command::NextTab);
        run(
            app,
            Action::Inventory(InventoryAction::Requests(Ok(helpers::requests()))),
        );
        cmd(app, Command::Reject);
        run(app, Action::Submit);
    });
}

#[test]
fn codes_pane_redemption_codes() {
    each_size("codes", |app| {
        cmd(app, Command::GoPane(Pane::Codes.index()));
        cmd(app, Command::NextTab);
        cmd(app, Command::NextTab);
        answer_codes(app, CodesData::Codes(helpers::codes(1)));
    });
}

#[test]
fn codes_pane_batches_opened_from_inventory() {
    each_size("codes_batches", |app| {
        inventory(app);
        cmd(app, Command::Open);
        answer_codes(app, CodesData::Batches(helpers::batches(1)));
    });
}

#[test]
fn codes_pane_for_a_reporter() {
    each_size_as("codes_reporter", Role::Reporter, |app| {
        cmd(app, Command::GoPane(Pane::Codes.index()));
        cmd(app, Command::PrevTab);
        answer_codes(app, CodesData::Batches(helpers::batches(1)));
    });
}

#[test]
fn batch_form_and_its_errors() {
    each_size("batch_form", |app| {
        cmd(app, Command::GoPane(Pane::Codes.index()));
        cmd(app, Command::NewBatch);
    });
    each_size("batch_form_errors", |app| {
        cmd(app, Command::GoPane(Pane::Codes.index()));
        cmd(app, Command::NewBatch);
        keys(app, &[KeyCode::Backspace, KeyCode::Backspace]);
        type_text(app, "0");
        keys(app, &[KeyCode::Tab]);
        type_text(app, "x");
        keys(app, &[KeyCode::Tab, KeyCode::Tab, KeyCode::Char(' ')]);
        run(app, Action::Submit);
    });
}

#[test]
fn edit_order_window() {
    each_size("edit_order", |app| {
        inventory(app);
        cmd(app, Command::EditOrder);
    });
}

#[test]
fn batch_options_form() {
    each_size("batch_options_form", |app| {
        cmd(app, Command::GoPane(Pane::Codes.index()));
        cmd(app, Command::PrevTab);
        answer_codes(app, CodesData::Batches(helpers::batches(1)));
        cmd(app, Command::EditBatch);
        keys(app, &[KeyCode::Tab, KeyCode::Char(' ')]);
    });
}

#[test]
fn export_prompt() {
    each_size("export_prompt", |app| {
        cmd(app, Command::GoPane(Pane::Codes.index()));
        cmd(app, Command::PrevTab);
        answer_codes(app, CodesData::Batches(helpers::batches(1)));
        cmd(app, Command::Export);
    });
}

#[test]
fn access_check_overlay() {
    each_size("access_loading", |app| {
        cmd(app, Command::GoPane(Pane::Claims.index()));
        cmd(app, Command::CheckAccess);
    });
    each_size("access_denied", |app| {
        cmd(app, Command::GoPane(Pane::Teachers.index()));
        cmd(app, Command::Palette);
        type_text(app, "check user1@lincoln.k12.test SKU-10");
        run(app, Action::Submit);
        run(
            app,
            Action::Access {
                user: "user1@lincoln.k12.test".into(),
                product: "SKU-10".into(),
                result: Ok(helpers::access_check(false)),
            },
        );
    });
}

#[test]
fn dashboard_alerts() {
    each_size("dashboard_alerts", |app| {
        run(
            app,
            Action::Alerts(Ok(helpers::alerts(helpers::sample_alerts()))),
        );
    });
}

#[test]
fn batch_form_refused_by_the_server() {
    each_size("batch_form_refused", |app| {
        cmd(app, Command::GoPane(Pane::Codes.index()));
        cmd(app, Command::NewBatch);
        keys(app, &[KeyCode::Backspace, KeyCode::Backspace]);
        type_text(app, "40");
        run(app, Action::Submit);
        run(
            app,
            Action::Codes(CodesAction::BatchCreated(Err(
                "40 codes for 1 user(s) each need 40 seats; license 1 has 24 seats available, 0 of them promised to earlier unredeemed codes".into(),
            ))),
        );
    });
}

#[test]
fn access_check_that_failed() {
    each_size("access_failed", |app| {
        cmd(app, Command::Palette);
        type_text(app, "check nobody@example.org SKU-10");
        run(app, Action::Submit);
        run(
            app,
            Action::Access {
                user: "nobody@example.org".into(),
                product: "SKU-10".into(),
                result: Err("not found: user nobody@example.org".into()),
            },
        );
    });
}

#[test]
fn flow_overlays() {
    each_size("account_picker", |app| {
        cmd(app, Command::PickAccount);
        type_text(app, "lin");
        key(app, KeyCode::Down);
    });
    each_size("palette_scrolled", |app| {
        cmd(app, Command::Palette);
        for _ in 0..12 {
            key(app, KeyCode::Down);
        }
    });
    each_size("palette_user", |app| {
        cmd(app, Command::Palette);
        type_text(app, "user9@lincoln.k12.test");
        key(app, KeyCode::Home);
    });
    each_size("audit_folded_open", |app| {
        let mut events = helpers::audit_events();
        for e in events.iter_mut().take(5) {
            e.request_id = "bulk-1".into();
            e.action = "seat.revoke".into();
        }
        run(
            app,
            Action::Audit(seatdesk_tui::action::AuditAction::Loaded(Ok(events))),
        );
        cmd(app, Command::GoPane(Pane::Audit.index()));
        cmd(app, Command::Open);
    });
    each_size("audit_detail", |app| {
        cmd(app, Command::GoPane(Pane::Audit.index()));
        cmd(app, Command::Open);
    });
    each_size("claims_older_than", |app| {
        cmd(app, Command::Palette);
        type_text(app, "older 30");
        run(app, Action::Submit);
    });
}

#[test]
fn a_pool_full_forecast_alert_leads_with_its_days_and_date() {
    use seatdesk_core::api::alerts::{AlertFigures, AlertKind, AlertSeverity};
    let mut forecast = helpers::sample_alerts().remove(3);
    forecast.kind = AlertKind::PoolFullForecast;
    forecast.severity = AlertSeverity::Critical;
    forecast.message = "License 1 (SKU-10) for Lincoln High will be full in ~6 days.".into();
    forecast.figures = AlertFigures {
        full_in_days: Some(6),
        full_on: chrono::NaiveDate::from_ymd_opt(2026, 3, 7),
        seats_per_day: Some(0.8),
        seats_available: Some(5),
        ..AlertFigures::default()
    };
    let mut app = app_with((80, 24), false, Role::SystemAdmin, KeyMap::default());
    run(
        &mut app,
        Action::Alerts(Ok(helpers::alerts(vec![forecast]))),
    );
    let text = screen(&app);
    assert!(
        text.contains("full in ~6 days (2026-03-07) · SKU-10 license 1"),
        "{text}"
    );
}
