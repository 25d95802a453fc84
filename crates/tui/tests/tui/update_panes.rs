//! Update logic of the Codes and Inventory panes, forms, the access check
//! and alerts, driven by actions: filters ask the server again, forms
//! validate before sending, role-disabled actions say why, answers land.

use crossterm::event::{KeyCode, KeyEvent};
use seatdesk_core::api::codes::ExportFormat;
use seatdesk_core::api::inventory::OrderStatusFilter;
use seatdesk_core::api::requests::NewRequest;
use seatdesk_core::{InventoryType, LicenseStatus, Role};
use seatdesk_tui::action::{Action, CodesAction, InventoryAction, SyncAction};
use seatdesk_tui::app::{App, CodeTab, CodesData, Dialog, Effect, InventoryTab, Pane};
use seatdesk_tui::form::FormKind;
use seatdesk_tui::keymap::{Command, KeyMap};

use crate::helpers::{
    self, app, app_with, assert_message, cmd, inventory_page as page, key, now, run, type_text,
};

fn clear_field(app: &mut App) {
    for _ in 0..40 {
        key(app, KeyCode::Backspace);
    }
}

fn form(app: &App) -> &seatdesk_tui::form::Form {
    match &app.dialog {
        Some(Dialog::Form(form)) => form,
        other => panic!("no form open: {other:?}"),
    }
}

fn error_of(app: &App, field: &str) -> Option<String> {
    form(app).field(field).and_then(|f| f.error.clone())
}

fn inventory_query(effects: &[Effect]) -> (u64, seatdesk_core::api::inventory::LicenseQuery) {
    match effects {
        [Effect::LoadInventory { generation, query }] => (*generation, query.clone()),
        other => panic!("expected one inventory load, got {other:?}"),
    }
}

fn open_inventory(app: &mut App) {
    let effects = cmd(app, Command::GoPane(Pane::Inventory.index()));
    let (generation, _) = inventory_query(&effects);
    page(app, generation, helpers::inventory());
}

#[test]
fn filters_and_search_ask_the_server_and_drop_stale_pages() {
    let mut app = app((80, 24));
    let effects = cmd(&mut app, Command::GoPane(Pane::Inventory.index()));
    let (first, query) = inventory_query(&effects);
    assert_eq!(query.order_status, None);
    // The cached licenses show while the server is asked.
    assert_eq!(app.inventory.rows.len(), 3);
    assert!(!app.inventory.from_server && app.inventory.loading);

    let (second, query) = inventory_query(&cmd(&mut app, Command::CycleOrderStatus));
    assert!(second > first);
    assert_eq!(query.order_status, Some(OrderStatusFilter::Available));
    let (third, query) = inventory_query(&cmd(&mut app, Command::CycleInventoryType));
    assert_eq!(query.inventory_type, Some(InventoryType::CenterLicense));
    assert_eq!(query.order_status, Some(OrderStatusFilter::Available));

    // A late page of an older search is dropped.
    page(&mut app, first, helpers::inventory());
    assert!(!app.inventory.from_server);
    let center: Vec<_> = helpers::inventory()
        .into_iter()
        .filter(|l| l.inventory_type == InventoryType::CenterLicense)
        .collect();
    page(&mut app, third, center.clone());
    assert!(app.inventory.from_server && !app.inventory.loading);
    assert_eq!(app.inventory.rows, center);

    // `/` types without asking; Tab picks the column; Enter searches.
    cmd(&mut app, Command::Filter);
    type_text(&mut app, "po-center");
    assert_eq!(app.inventory.generation, third, "nothing sent while typing");
    key(&mut app, KeyCode::Tab);
    let (_, query) = inventory_query(&run(&mut app, Action::Submit));
    assert_eq!(query.purchase_order.as_deref(), Some("po-center"));
    assert_eq!(query.order_number, None);
    assert_eq!(query.inventory_type, Some(InventoryType::CenterLicense));
    // Esc clears the search and asks again without it.
    let (_, query) = inventory_query(&cmd(&mut app, Command::Back));
    assert_eq!(query.purchase_order, None);
    assert!(app.inventory.search.is_empty());
}

#[test]
fn the_cached_stand_in_applies_the_same_filters() {
    let mut app = app((80, 24));
    let mut snapshot = helpers::snapshot();
    snapshot.licenses[1].renewal_requested = true;
    snapshot.licenses[2].teacher_code = Some("U7DA7-NIFE-3017".into());
    run(
        &mut app,
        Action::Sync(SyncAction::Loaded(Box::new(snapshot))),
    );
    cmd(&mut app, Command::GoPane(Pane::Inventory.index()));
    for _ in 0..4 {
        cmd(&mut app, Command::CycleOrderStatus);
    }
    assert_eq!(
        app.inventory.order_status,
        Some(OrderStatusFilter::WithRenewalRequest)
    );
    let ids: Vec<i64> = app.inventory.rows.iter().map(|l| l.id).collect();
    assert_eq!(ids, vec![2]);
    cmd(&mut app, Command::CycleOrderStatus);
    assert_eq!(app.inventory.order_status, None);
    cmd(&mut app, Command::Filter);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    type_text(&mut app, "u7da7 nife 3017");
    run(&mut app, Action::Submit);
    let ids: Vec<i64> = app.inventory.rows.iter().map(|l| l.id).collect();
    assert_eq!(ids, vec![3], "codes match however they are spaced");
}

#[test]
fn offline_the_inventory_shows_the_cache_and_asks_nothing() {
    let mut app = app((80, 24));
    run(
        &mut app,
        Action::Sync(SyncAction::Failed {
            error: "cannot reach the server".into(),
            offline: true,
        }),
    );
    assert!(cmd(&mut app, Command::GoPane(Pane::Inventory.index())).is_empty());
    assert_eq!(app.inventory.rows.len(), 3);
    assert!(app.inventory.error.as_ref().unwrap().contains("offline"));
    assert!(
        app.blocked(Command::ToggleLicense)
            .unwrap()
            .contains("offline")
    );
}

#[test]
fn deactivation_confirms_then_applies_the_servers_answer() {
    let mut app = app((80, 24));
    open_inventory(&mut app);
    assert!(cmd(&mut app, Command::ToggleLicense).is_empty());
    let Some(Dialog::Confirm { title, .. }) = &app.dialog else {
        panic!("a confirmation first")
    };
    assert!(title.contains("Deactivate license 1052"), "{title}");
    let effects = run(&mut app, Action::Submit);
    assert!(matches!(
        effects.as_slice(),
        [Effect::SetLicenseActive {
            license_id: 1,
            active: false
        }]
    ));
    assert!(app.busy(), "the spinner turns while it runs");
    let mut answer = helpers::inventory()[0].clone();
    answer.status = LicenseStatus::Deactivated;
    let effects = run(
        &mut app,
        Action::Inventory(InventoryAction::Toggled {
            license_id: 1,
            result: Ok(answer),
        }),
    );
    assert!(effects.iter().any(|e| matches!(e, Effect::Sync)));
    assert_eq!(app.inventory.rows[0].status, LicenseStatus::Deactivated);
    assert_eq!(
        app.license(1).unwrap().status,
        LicenseStatus::Deactivated,
        "the cached copy follows"
    );
    assert_message(&app, "deactivated");
    // Now it offers activation; a refusal shows as an error.
    cmd(&mut app, Command::ToggleLicense);
    assert!(
        matches!(&app.dialog, Some(Dialog::Confirm { title, .. }) if title.starts_with("Activate"))
    );
    run(&mut app, Action::Submit);
    run(
        &mut app,
        Action::Inventory(InventoryAction::Toggled {
            license_id: 1,
            result: Err("license 1 is still a request".into()),
        }),
    );
    assert!(app.message.as_ref().unwrap().error);
    assert!(app.inventory.toggling.is_empty());
    // A requested license cannot be toggled: the reason, no dialog.
    cmd(&mut app, Command::Bottom);
    cmd(&mut app, Command::ToggleLicense);
    assert!(app.dialog.is_none());
    assert_message(&app, "still a request");
}

#[test]
fn roles_disable_actions_with_a_reason() {
    // Reporter: looks only.
    let mut app = app_with((80, 24), false, Role::Reporter, KeyMap::default());
    open_inventory(&mut app);
    for command in [
        Command::ToggleLicense,
        Command::Renew,
        Command::RequestLicense,
    ] {
        assert!(cmd(&mut app, command).is_empty());
        assert!(app.dialog.is_none());
        let text = &app.message.as_ref().unwrap().text;
        assert!(text.contains("the reporter role may not"), "{text}");
    }
    cmd(&mut app, Command::GoPane(Pane::Codes.index()));
    cmd(&mut app, Command::NewBatch);
    assert!(app.dialog.is_none());
    assert_message(&app, "may not generate or export codes");
    cmd(&mut app, Command::PrevTab);
    let generation = app.codes.generation;
    run(
        &mut app,
        Action::Codes(CodesAction::Loaded {
            generation,
            result: Ok((CodesData::Batches(helpers::batches(1)), false)),
        }),
    );
    assert!(cmd(&mut app, Command::Export).is_empty());
    assert!(app.dialog.is_none(), "no export prompt for a reporter");
    assert!(
        app.blocked(Command::CheckAccess)
            .unwrap()
            .contains("access checks")
    );

    // Center admin: toggles and requests, but decides nothing.
    let mut app = app_with((80, 24), false, Role::CenterAdmin, KeyMap::default());
    open_inventory(&mut app);
    assert!(app.blocked(Command::ToggleLicense).is_none());
    assert!(app.blocked(Command::RequestLicense).is_none());
    assert!(cmd(&mut app, Command::NextTab).is_empty());
    assert_eq!(app.inventory.tab, InventoryTab::Licenses);
    assert_message(&app, "may not approve or reject");

    // Help desk: triage only.
    let app = app_with((80, 24), false, Role::Helpdesk, KeyMap::default());
    assert!(app.blocked(Command::CheckAccess).is_none());
    assert!(app.blocked(Command::NewBatch).is_some());

    // Read-only profile: nothing changes, even for an admin.
    let app = app_with((80, 24), true, Role::SystemAdmin, KeyMap::default());
    for command in [Command::NewBatch, Command::Approve, Command::ToggleLicense] {
        assert!(app.blocked(command).unwrap().contains("read-only"));
    }
    assert!(app.blocked(Command::CheckAccess).is_none(), "a check reads");
}

#[test]
fn batch_form_validates_inline_then_sends_and_lands_on_the_new_batch() {
    let mut app = app((80, 24));
    let effects = cmd(&mut app, Command::GoPane(Pane::Codes.index()));
    assert!(matches!(
        effects.as_slice(),
        [Effect::LoadCodes {
            license_id: 1,
            tab: CodeTab::Master,
            ..
        }]
    ));
    cmd(&mut app, Command::NewBatch);
    clear_field(&mut app);
    type_text(&mut app, "0");
    key(&mut app, KeyCode::Tab);
    type_text(&mut app, "x");
    assert!(run(&mut app, Action::Submit).is_empty(), "nothing sent");
    assert_eq!(
        error_of(&app, "count").as_deref(),
        Some("must be between 1 and 10000")
    );
    assert!(
        error_of(&app, "users_per_code")
            .unwrap()
            .contains("whole number")
    );
    assert_eq!(
        form(&app).focused_key(),
        "count",
        "focus on the first problem"
    );
    // Fix both, tick badges, send.
    clear_field(&mut app);
    type_text(&mut app, "50");
    assert_eq!(error_of(&app, "count"), None, "typing clears the error");
    key(&mut app, KeyCode::Tab);
    clear_field(&mut app);
    type_text(&mut app, "2");
    for _ in 0..4 {
        key(&mut app, KeyCode::Tab);
    }
    assert_eq!(form(&app).focused_key(), "enable_badges");
    key(&mut app, KeyCode::Char(' '));
    let effects = run(&mut app, Action::Submit);
    let [Effect::CreateBatch { license_id, batch }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(*license_id, 1);
    assert_eq!(
        (batch.count, batch.users_per_code, batch.duration_days),
        (50, 2, 365)
    );
    assert!(batch.enable_badges && batch.enable_benchmark && !batch.require_teacher_link);
    assert!(form(&app).submitting);
    // Keys do nothing while it is on its way.
    type_text(&mut app, "9");
    assert_eq!(form(&app).value("count"), "50");
    // The server refuses: the form stays, with its reason.
    run(
        &mut app,
        Action::Codes(CodesAction::BatchCreated(Err(
            "50 codes for 2 user(s) each need 100 seats; license 1 has 24 seats available".into(),
        ))),
    );
    let f = form(&app);
    assert!(!f.submitting && f.error.as_ref().unwrap().contains("24 seats"));
    // A second try succeeds: the batches tab loads with the cursor on it.
    let effects = run(&mut app, Action::Submit);
    assert!(matches!(effects.as_slice(), [Effect::CreateBatch { .. }]));
    let mut created = helpers::batches(1)[1].clone();
    created.id = 12;
    let effects = run(
        &mut app,
        Action::Codes(CodesAction::BatchCreated(Ok(created.clone()))),
    );
    assert!(app.dialog.is_none());
    assert_message(&app, "created batch 12");
    assert_eq!(app.codes.tab, CodeTab::Batches);
    let generation = effects
        .iter()
        .find_map(|e| match e {
            Effect::LoadCodes {
                generation,
                tab: CodeTab::Batches,
                ..
            } => Some(*generation),
            _ => None,
        })
        .expect("the batches reload");
    let mut batches = helpers::batches(1);
    batches.push(created);
    run(
        &mut app,
        Action::Codes(CodesAction::Loaded {
            generation,
            result: Ok((CodesData::Batches(batches), false)),
        }),
    );
    assert_eq!(app.codes.selected_batch().unwrap().id, 12);
}

#[test]
fn export_prompt_defaults_to_home_and_checks_the_extension() {
    let mut app = app((80, 24));
    cmd(&mut app, Command::GoPane(Pane::Codes.index()));
    cmd(&mut app, Command::PrevTab);
    assert_eq!(app.codes.tab, CodeTab::Batches);
    let generation = app.codes.generation;
    run(
        &mut app,
        Action::Codes(CodesAction::Loaded {
            generation,
            result: Ok((CodesData::Batches(helpers::batches(1)), false)),
        }),
    );
    cmd(&mut app, Command::Export);
    assert_eq!(form(&app).value("path"), "~/seatdesk-batch-7.xlsx");
    // A wrong extension is refused inline.
    for _ in 0..4 {
        key(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "txt");
    assert!(run(&mut app, Action::Submit).is_empty());
    assert!(error_of(&app, "path").unwrap().contains(".xlsx or .csv"));
    for _ in 0..3 {
        key(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "csv");
    let effects = run(&mut app, Action::Submit);
    let [
        Effect::ExportBatch {
            batch_id,
            format,
            path,
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(*batch_id, 7);
    assert_eq!(*format, ExportFormat::Csv);
    assert_eq!(
        path,
        &std::path::PathBuf::from("/home/ops/seatdesk-batch-7.csv")
    );
    // The prompt closes; the export runs on with the spinner turning.
    assert!(app.dialog.is_none() && app.busy());
    run(
        &mut app,
        Action::Codes(CodesAction::Exported(Err(
            "/home/ops/seatdesk-batch-7.csv already exists; choose another path".into(),
        ))),
    );
    assert!(!app.codes.exporting);
    let message = app.message.as_ref().unwrap();
    assert!(message.error && message.text.contains("already exists"));
    // On the other tabs `e` writes the shown codes as CSV.
    cmd(&mut app, Command::NextTab);
    let generation = app.codes.generation;
    run(
        &mut app,
        Action::Codes(CodesAction::Loaded {
            generation,
            result: Ok((CodesData::Codes(helpers::codes(1)), false)),
        }),
    );
    let effects = cmd(&mut app, Command::Export);
    let [Effect::Export { csv, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(csv.lines().count(), 13);
}

#[test]
fn codes_follow_the_license_and_tab_and_drop_stale_answers() {
    let mut app = app((80, 24));
    let effects = cmd(&mut app, Command::GoPane(Pane::Codes.index()));
    let [
        Effect::LoadCodes {
            generation: old, ..
        },
    ] = effects.as_slice()
    else {
        panic!()
    };
    let old = *old;
    let effects = cmd(&mut app, Command::NextLicense);
    assert!(matches!(
        effects.as_slice(),
        [Effect::LoadCodes {
            license_id: 2,
            tab: CodeTab::Master,
            ..
        }]
    ));
    run(
        &mut app,
        Action::Codes(CodesAction::Loaded {
            generation: old,
            result: Ok((CodesData::Codes(helpers::codes(1)), false)),
        }),
    );
    assert!(
        app.codes.codes.is_empty(),
        "license 1's late answer is dropped"
    );
    cmd(&mut app, Command::Filter);
    let generation = app.codes.generation;
    run(
        &mut app,
        Action::Codes(CodesAction::Loaded {
            generation,
            result: Ok((CodesData::Codes(helpers::codes(2)), true)),
        }),
    );
    type_text(&mut app, "user1");
    // user1, user10, user11, user12
    assert_eq!(app.codes.rows.len(), 4);
    assert!(app.codes.truncated);
    // Returning to the pane does not load again.
    cmd(&mut app, Command::GoPane(0));
    assert!(cmd(&mut app, Command::GoPane(Pane::Codes.index())).is_empty());
    // Enter on an inventory row opens that license's codes.
    open_inventory(&mut app);
    let effects = cmd(&mut app, Command::Open);
    assert_eq!(app.pane, Pane::Codes);
    assert!(matches!(
        effects.as_slice(),
        [Effect::LoadCodes {
            license_id: 1,
            tab: CodeTab::Batches,
            ..
        }]
    ));
}

#[test]
fn renewal_form_checks_dates_and_sends_the_license_s_own_mix() {
    let mut app = app((80, 24));
    open_inventory(&mut app);
    cmd(&mut app, Command::Down);
    // License 13 already has a renewal pending.
    cmd(&mut app, Command::Renew);
    assert!(app.dialog.is_none());
    assert_message(&app, "already has a pending renewal");
    cmd(&mut app, Command::Up);
    cmd(&mut app, Command::Renew);
    assert!(matches!(
        form(&app).kind,
        FormKind::Renewal { license_id: 1 }
    ));
    assert_eq!(form(&app).value("start_date"), "2027-01-01");
    // Use Existing Code; a bad finish date.
    key(&mut app, KeyCode::Char(' '));
    for _ in 0..3 {
        key(&mut app, KeyCode::Tab);
    }
    assert_eq!(form(&app).focused_key(), "finish_date");
    clear_field(&mut app);
    type_text(&mut app, "2026-13-01");
    key(&mut app, KeyCode::Tab);
    type_text(&mut app, "-3");
    assert!(run(&mut app, Action::Submit).is_empty());
    assert!(
        error_of(&app, "finish_date")
            .unwrap()
            .contains("YYYY-MM-DD")
    );
    assert!(error_of(&app, "students").unwrap().contains("between 1"));
    assert_eq!(form(&app).focused_key(), "finish_date");
    clear_field(&mut app);
    type_text(&mut app, "2027-12-31");
    key(&mut app, KeyCode::Tab);
    clear_field(&mut app);
    type_text(&mut app, "45");
    let effects = run(&mut app, Action::Submit);
    let [Effect::SubmitRequest(NewRequest::Renewal(renewal))] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(renewal.license_id, 1);
    assert!(!renewal.new_code);
    assert_eq!(renewal.finish_date.to_string(), "2027-12-31");
    assert_eq!(renewal.students, Some(45));
    assert_eq!(renewal.courses, None, "the product mix is never sent");
    let mut sent = helpers::requests()[0].clone();
    sent.id = 30;
    let effects = run(
        &mut app,
        Action::Inventory(InventoryAction::Submitted(Ok(sent))),
    );
    assert!(app.dialog.is_none());
    assert_message(&app, "renewal request 30 sent to CCI Learning");
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadInventory { .. })),
        "the renewal flag shows after a reload"
    );
}

#[test]
fn new_license_form_offers_the_chosen_product_s_courses() {
    let mut app = app((80, 24));
    open_inventory(&mut app);
    let effects = cmd(&mut app, Command::RequestLicense);
    assert!(matches!(effects.as_slice(), [Effect::LoadProducts]));
    run(
        &mut app,
        Action::Inventory(InventoryAction::Products(Ok(helpers::products()))),
    );
    let courses = |app: &App| -> Vec<String> {
        form(app)
            .fields
            .iter()
            .filter(|f| f.key == "course" && f.focusable())
            .map(|f| f.label.clone())
            .collect()
    };
    assert!(courses(&app).is_empty(), "ConnectED lists no courses");
    // Students is required.
    assert!(run(&mut app, Action::Submit).is_empty());
    assert_eq!(error_of(&app, "students").as_deref(), Some("required"));
    assert_eq!(form(&app).focused_key(), "students");
    type_text(&mut app, "30");
    key(&mut app, KeyCode::BackTab); // product
    key(&mut app, KeyCode::Left); // Jasperactive
    assert_eq!(courses(&app), helpers::JASPERACTIVE);
    key(&mut app, KeyCode::BackTab); // inventory type
    key(&mut app, KeyCode::Char(' ')); // User Activation Codes
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    for _ in 0..5 {
        key(&mut app, KeyCode::Tab);
    }
    key(&mut app, KeyCode::Char(' ')); // Access
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Char(' ')); // Excel Expert
    let effects = run(&mut app, Action::Submit);
    let [Effect::SubmitRequest(NewRequest::NewLicense(request))] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(request.account_id, 3);
    assert_eq!(request.product_id, 12);
    assert_eq!(request.inventory_type, InventoryType::UserActivationCodes);
    assert_eq!(request.students, 30);
    assert_eq!(request.courses, vec!["Access", "Excel Expert"]);
    assert_eq!(request.start_date, None);
}

#[test]
fn approve_and_reject_only_what_this_org_may_decide() {
    let mut app = app((80, 24));
    open_inventory(&mut app);
    let effects = cmd(&mut app, Command::NextTab);
    assert!(matches!(effects.as_slice(), [Effect::LoadRequests]));
    run(
        &mut app,
        Action::Inventory(InventoryAction::Requests(Ok(helpers::requests()))),
    );
    // Request 22 is this org's own: a parent org decides it.
    cmd(&mut app, Command::Down);
    cmd(&mut app, Command::Approve);
    assert!(app.dialog.is_none());
    assert_message(&app, "made by CCI Learning itself");
    cmd(&mut app, Command::Up);
    // Rejecting needs a reason.
    cmd(&mut app, Command::Reject);
    assert!(run(&mut app, Action::Submit).is_empty());
    assert!(error_of(&app, "comments").is_some());
    type_text(&mut app, "No budget this year");
    let effects = run(&mut app, Action::Submit);
    assert!(matches!(
        effects.as_slice(),
        [Effect::Decide { request_id: 21, approve: false, comments, seats: None }] if comments == "No budget this year"
    ));
    let mut decided = helpers::requests()[0].clone();
    decided.status = seatdesk_core::RequestStatus::Rejected;
    run(
        &mut app,
        Action::Inventory(InventoryAction::Decided {
            request_id: 21,
            result: Ok(decided),
        }),
    );
    assert!(app.dialog.is_none());
    assert_eq!(app.inventory.requests.len(), 1);
    assert_message(&app, "request 21 rejected");
    // Approving may grant another number of seats.
    let mut app = self::app((80, 24));
    open_inventory(&mut app);
    cmd(&mut app, Command::NextTab);
    run(
        &mut app,
        Action::Inventory(InventoryAction::Requests(Ok(helpers::requests()))),
    );
    cmd(&mut app, Command::Approve);
    type_text(&mut app, "35");
    let effects = run(&mut app, Action::Submit);
    assert!(matches!(
        effects.as_slice(),
        [Effect::Decide {
            request_id: 21,
            approve: true,
            seats: Some(35),
            ..
        }]
    ));
}

#[test]
fn access_check_from_a_row_or_the_palette_keeps_only_its_own_answer() {
    let mut app = app((80, 24));
    cmd(&mut app, Command::GoPane(Pane::Teachers.index()));
    let effects = cmd(&mut app, Command::CheckAccess);
    let [Effect::AccessCheck { user, product }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let row = &app.claims[app.teachers.rows[0] as usize];
    assert_eq!(user.as_str(), &*row.user_email);
    assert_eq!(product, "SKU-10", "the product's SKU");
    assert!(app.busy());
    cmd(&mut app, Command::Back);
    cmd(&mut app, Command::Palette);
    type_text(&mut app, "check user2@lincoln.k12.test SKU-10");
    let effects = run(&mut app, Action::Submit);
    assert!(matches!(
        effects.as_slice(),
        [Effect::AccessCheck { user, product }] if user == "user2@lincoln.k12.test" && product == "SKU-10"
    ));
    // The answer to the first check arrives late: ignored.
    let first = row_email(&app);
    run(
        &mut app,
        Action::Access {
            user: first,
            product: "SKU-10".into(),
            result: Ok(helpers::access_check(true)),
        },
    );
    assert!(matches!(
        app.dialog,
        Some(Dialog::Access { result: None, .. })
    ));
    run(
        &mut app,
        Action::Access {
            user: "user2@lincoln.k12.test".into(),
            product: "SKU-10".into(),
            result: Ok(helpers::access_check(false)),
        },
    );
    let Some(Dialog::Access {
        result: Some(Ok(check)),
        ..
    }) = &app.dialog
    else {
        panic!()
    };
    assert!(!check.access);
    // Esc closes; a wrong argument count says how to use it.
    let esc = seatdesk_tui::update::map_key(&app, KeyEvent::from(KeyCode::Esc)).unwrap();
    run(&mut app, esc);
    assert!(app.dialog.is_none());
    cmd(&mut app, Command::Palette);
    type_text(&mut app, "check one two three");
    assert!(run(&mut app, Action::Submit).is_empty());
    assert_message(&app, "usage: check EMAIL PRODUCT");
    // An email alone is looked up: one the cache holds no seat of says so.
    cmd(&mut app, Command::Palette);
    type_text(&mut app, "check nobody@nowhere.test");
    run(&mut app, Action::Submit);
    assert!(app.dialog.is_none());
    assert_message(
        &app,
        "nobody@nowhere.test holds no seat in the cached claims",
    );
}

fn row_email(app: &App) -> String {
    app.claims[app.teachers.rows[0] as usize]
        .user_email
        .to_string()
}

#[test]
fn alerts_come_with_the_sync_and_follow_the_account() {
    let mut app = app((80, 24));
    let effects = run(
        &mut app,
        Action::Sync(SyncAction::Done {
            changed: 0,
            at: now(),
        }),
    );
    assert!(effects.iter().any(|e| matches!(e, Effect::LoadAlerts)));
    run(
        &mut app,
        Action::Alerts(Ok(helpers::alerts(helpers::sample_alerts()))),
    );
    assert_eq!(app.alerts.items.len(), 4);
    // Not again on a quiet sync a moment later; again once data changed.
    let later = now() + chrono::Duration::seconds(10);
    app.now = later;
    let quiet = run(
        &mut app,
        Action::Sync(SyncAction::Done {
            changed: 0,
            at: later,
        }),
    );
    assert!(!quiet.iter().any(|e| matches!(e, Effect::LoadAlerts)));
    let changed = run(
        &mut app,
        Action::Sync(SyncAction::Done {
            changed: 3,
            at: later,
        }),
    );
    assert!(changed.iter().any(|e| matches!(e, Effect::LoadAlerts)));
    // A failed fetch keeps the alerts already shown.
    run(&mut app, Action::Alerts(Err("timed out".into())));
    assert_eq!(app.alerts.items.len(), 4);
    cmd(&mut app, Command::CycleAccount);
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    terminal
        .draw(|f| seatdesk_tui::view::render(&app, f))
        .unwrap();
    let screen = terminal.backend().to_string();
    assert!(screen.contains("Alerts (3)"), "{screen}");
    assert!(!screen.contains("55 of 60"), "account 4's alert is hidden");
}
