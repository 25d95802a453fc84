//! `update`: the one place state changes. Pure and synchronous: anything
//! that needs the network or the disk is returned as an [`Effect`].

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use seatdesk_core::SeatStatus;
use seatdesk_core::api::seats::ClaimSort;

use crate::action::{Action, AuditAction};
use crate::app::{
    App, CHUNK, Dialog, ERROR_FOR, Effect, Input, InventoryTab, MESSAGE_FOR, Message, PROBE_EVERY,
    Pane,
};
use crate::keymap::{Command, Key};
use crate::model;

mod audit;
mod bulk;
mod codes;
mod dashboard;
mod forms;
mod goto;
mod input;
mod inventory;
mod palette;
mod picker;
mod reclaim;
mod search;
mod sync;
mod triage;
mod validate;
mod views;

use bulk::{on_bulk, open_revoke};
pub use forms::{
    batch_form, batch_options_form, decision_form, edit_order_form, export_form, new_license_form,
    renewal_form,
};
use input::{export, set_filter, text_input};
pub use inventory::decide_blocked;
pub use palette::{Candidate, Verb, candidates as palette_candidates};
pub use picker::picker_rows;
pub use reclaim::summary_query as reclaim_summary_query;
use sync::on_sync;
pub use views::load as load_views;

/// Turns a key press into an action, according to what has focus: a dialog,
/// a text field, the help overlay, or the key map.
pub fn map_key(app: &App, key: KeyEvent) -> Option<Action> {
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        return Some(Action::Interrupt);
    }
    match &app.dialog {
        Some(Dialog::ConfirmRevoke {
            needs_word: true, ..
        }) => {
            return Some(match key.code {
                KeyCode::Esc => Action::Run(Command::Back),
                KeyCode::Enter => Action::Submit,
                _ => Action::Text(key),
            });
        }
        Some(Dialog::ConfirmRevoke { .. }) => {
            return match key.code {
                KeyCode::Esc | KeyCode::Char('n') => Some(Action::Run(Command::Back)),
                KeyCode::Enter | KeyCode::Char('y') => Some(Action::Submit),
                _ => None,
            };
        }
        Some(Dialog::Summary { .. }) => {
            // The dialog offers undo by its key; it closes the dialog too.
            if app.keymap.lookup(Key::from_event(&key), Pane::Teachers) == Some(Command::Undo) {
                return Some(Action::Run(Command::Undo));
            }
            return matches!(key.code, KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q'))
                .then_some(Action::Submit);
        }
        Some(Dialog::Progress { .. }) => return None,
        Some(Dialog::Form(_)) => {
            return Some(match key.code {
                KeyCode::Esc => Action::Run(Command::Back),
                KeyCode::Enter => Action::Submit,
                _ => Action::Text(key),
            });
        }
        Some(Dialog::Confirm { .. }) => {
            return match key.code {
                KeyCode::Esc | KeyCode::Char('n') => Some(Action::Run(Command::Back)),
                KeyCode::Enter | KeyCode::Char('y') => Some(Action::Submit),
                _ => None,
            };
        }
        Some(Dialog::Access { .. } | Dialog::Detail { .. }) => {
            return matches!(key.code, KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q'))
                .then_some(Action::Run(Command::Back));
        }
        None => {}
    }
    if app.picker.is_some() || app.input.is_some() {
        return Some(match key.code {
            KeyCode::Esc => Action::Run(Command::Back),
            KeyCode::Enter => Action::Submit,
            _ => Action::Text(key),
        });
    }
    let command = app.keymap.lookup(Key::from_event(&key), app.pane);
    if app.help.is_some() {
        if key.code == KeyCode::Char('/') {
            return Some(Action::Run(Command::Filter));
        }
        return match command {
            Some(
                Command::Up
                | Command::Down
                | Command::PageUp
                | Command::PageDown
                | Command::Top
                | Command::Bottom
                | Command::Quit
                | Command::Help
                | Command::Back,
            ) => command.map(|c| {
                if c == Command::Quit {
                    Action::Run(Command::Help)
                } else {
                    Action::Run(c)
                }
            }),
            _ => None,
        };
    }
    command.map(Action::Run)
}

pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    // A tick redraws only if it changes what is shown; anything else does.
    let was_dirty = app.dirty;
    app.dirty = true;
    if matches!(action, Action::Tick(_)) {
        app.dirty = was_dirty;
    }
    match action {
        Action::Run(command) => run_command(app, command),
        Action::Text(key) if app.picker.is_some() => picker::key(app, key),
        Action::Text(key) => text_input(app, key),
        Action::Paste(text) => input::paste(app, &text),
        Action::Submit => submit(app),
        Action::Tick(now) => tick(app, now),
        Action::Resize { width, height } => {
            app.size = (width, height);
            rebuild_lists(app);
            Vec::new()
        }
        Action::Interrupt => {
            app.quit = true;
            Vec::new()
        }
        Action::Sync(sync) => on_sync(app, sync),
        Action::Search(search) => {
            search::on_search(app, search);
            Vec::new()
        }
        Action::Bulk(bulk) => on_bulk(app, bulk),
        Action::Audit(AuditAction::Loaded(result)) => {
            app.audit.loading = false;
            match result {
                Ok(events) => {
                    app.audit.events = events;
                    app.audit.loaded = true;
                    app.audit.error = None;
                    model::rebuild_audit(app);
                }
                Err(error) => app.audit.error = Some(error),
            }
            Vec::new()
        }
        Action::Me(result) => {
            match result {
                Ok(me) => app.me = Some(me),
                Err(error) => notify(
                    app,
                    format!("cannot read this token's permissions: {error}"),
                    true,
                ),
            }
            Vec::new()
        }
        Action::Accounts(result) => {
            match result {
                Ok(accounts) => app.accounts = accounts,
                Err(error) => notify(
                    app,
                    format!("cannot list purchasing accounts: {error}"),
                    true,
                ),
            }
            Vec::new()
        }
        Action::Notice(result) => {
            match result {
                Ok(text) => notify(app, text, false),
                Err(text) => notify(app, text, true),
            }
            Vec::new()
        }
        Action::Inventory(action) => inventory::on_inventory(app, action),
        Action::Codes(action) => codes::on_codes(app, action),
        Action::Access {
            user,
            product,
            result,
        } => {
            triage::on_access(app, user, product, result);
            Vec::new()
        }
        Action::Alerts(result) => {
            triage::on_alerts(app, result);
            Vec::new()
        }
        Action::Probed(result) => sync::on_probe(app, result),
        Action::Dashboard(action) => dashboard::on_dashboard(app, action),
        Action::Reclaim(action) => reclaim::on_reclaim(app, action),
    }
}

fn notify(app: &mut App, text: String, error: bool) {
    if error {
        // The status line shows one message at a time; the log keeps them all.
        tracing::warn!(%text, "shown to the user");
    }
    app.message_until = Some(app.now + if error { ERROR_FOR } else { MESSAGE_FOR });
    app.message = Some(Message { text, error });
}

fn rebuild_lists(app: &mut App) {
    model::rebuild_claims(app);
    // The rows may have changed: find the license's teacher seats again.
    app.teachers.seats = None;
    model::rebuild_teachers(app);
    model::rebuild_audit(app);
    model::rebuild_codes(app);
    let height = app.list_height();
    let len = app.dashboard.products().len();
    app.dash_list.scroll(len, height);
    let len = app.inventory.rows.len();
    app.inventory.list.scroll(len, height);
    let len = app.inventory.requests.len();
    app.inventory.requests_list.scroll(len, height);
}

fn run_command(app: &mut App, command: Command) -> Vec<Effect> {
    if let Some(reason) = app.blocked(command) {
        notify(
            app,
            format!("{}: disabled ({reason})", command.description()),
            true,
        );
        return Vec::new();
    }
    if app.help.is_some() {
        let page = app.list_height();
        let scroll = app.help.unwrap_or(0);
        match command {
            Command::Up => app.help = Some(scroll.saturating_sub(1)),
            Command::Down => app.help = Some(scroll + 1),
            Command::PageUp => app.help = Some(scroll.saturating_sub(page)),
            Command::PageDown => app.help = Some(scroll + page),
            Command::Top => app.help = Some(0),
            // The overlay clamps the scroll to its last page.
            Command::Bottom => app.help = Some(usize::MAX / 2),
            Command::Filter => {
                app.input = Some(Input::HelpSearch);
                app.caret = app.help_query.chars().count();
                app.help = Some(0);
            }
            Command::Back if app.input == Some(Input::HelpSearch) => {
                app.input = None;
                app.help_query.clear();
            }
            _ => {
                app.help = None;
                app.help_query.clear();
            }
        }
        return Vec::new();
    }
    match command {
        Command::Help => app.help = Some(0),
        Command::Palette => {
            app.palette.clear();
            app.palette_pick = 0;
            app.caret = 0;
            app.input = Some(Input::Palette);
        }
        Command::Filter => {
            let input = Input::Filter(app.pane);
            app.caret = input::input_text(app, &input).chars().count();
            app.input = Some(input);
        }
        Command::Back => return back(app),
        Command::NextPane => {
            return go_pane(app, Pane::ALL[(app.pane.index() + 1) % Pane::ALL.len()]);
        }
        Command::PrevPane => {
            return go_pane(
                app,
                Pane::ALL[(app.pane.index() + Pane::ALL.len() - 1) % Pane::ALL.len()],
            );
        }
        Command::GoPane(index) => return go_pane(app, Pane::ALL[index.min(Pane::ALL.len() - 1)]),
        Command::Up => move_cursor(app, -1),
        Command::Down => move_cursor(app, 1),
        Command::PageUp => move_cursor(app, -(app.list_height() as isize)),
        Command::PageDown => move_cursor(app, app.list_height() as isize),
        Command::Top => move_cursor(app, isize::MIN / 2),
        Command::Bottom => move_cursor(app, isize::MAX / 2),
        Command::Mark => {
            if let Some(id) = cursor_seat(app) {
                if !app.teachers.marks.remove(&id) {
                    app.teachers.marks.insert(id);
                }
                app.teachers.anchor = Some(id);
                move_cursor(app, 1);
            }
        }
        Command::MarkRange => mark_range(app),
        Command::MarkAll => {
            let ids: Vec<i64> = app
                .teachers
                .rows
                .iter()
                .map(|&i| app.claims[i as usize].id)
                .collect();
            app.teachers.marks.extend(ids);
        }
        Command::Revoke => return open_revoke(app),
        Command::Undo => {
            if matches!(app.dialog, Some(Dialog::Summary { .. })) {
                app.dialog = None;
            }
            if app.teachers.last_revoked.is_empty() {
                notify(app, "nothing to undo".into(), false);
            } else {
                let ids = app.teachers.last_revoked.clone();
                app.bulk_running = true;
                app.dialog = Some(Dialog::Progress {
                    title: format!("Restoring {} seats", ids.len()),
                    total: ids.len(),
                    answered: 0,
                });
                return vec![Effect::Restore { ids }];
            }
        }
        Command::Refresh => {
            let mut effects = match app.pane {
                Pane::Inventory => {
                    app.inventory.requests_loaded = false;
                    let mut effects = inventory::reload(app);
                    if app.inventory.tab == InventoryTab::Requests {
                        effects.extend(inventory::enter(app));
                    }
                    effects
                }
                Pane::Codes => codes::reload(app),
                Pane::Dashboard => {
                    let mut effects = triage::load_alerts(app);
                    effects.extend(dashboard::switch_view(app));
                    effects
                }
                Pane::Reclaim => reclaim::refresh(app),
                _ => Vec::new(),
            };
            if app.sync.in_flight {
                notify(app, "a sync is already running".into(), false);
            } else {
                app.sync.in_flight = true;
                effects.push(Effect::Sync);
            }
            return effects;
        }
        Command::Export if app.pane == Pane::Codes => return codes::export(app),
        Command::Export => return export(app),
        Command::Redraw => return vec![Effect::ClearTerminal],
        Command::Quit => app.quit = true,
        Command::ToggleActive => toggle_status(app, SeatStatus::Active),
        Command::TogglePending => toggle_status(app, SeatStatus::Pending),
        Command::ToggleExpired => toggle_status(app, SeatStatus::Expired),
        Command::ToggleRevoked => toggle_status(app, SeatStatus::Revoked),
        Command::CycleProduct => {
            let products: Vec<i64> = app
                .dashboard
                .products()
                .iter()
                .filter_map(|s| s.product_id)
                .collect();
            let view = &mut app.claims_view;
            view.product = match view
                .product
                .and_then(|p| products.iter().position(|&x| x == p))
            {
                None => products.first().copied(),
                Some(i) => products.get(i + 1).copied(),
            };
            view.list = Default::default();
            model::rebuild_claims(app);
        }
        Command::PickAccount => picker::open(app),
        Command::CycleAccount => {
            let mut ids: Vec<i64> = app.accounts.iter().map(|(id, _)| *id).collect();
            for license in &app.licenses {
                if !ids.contains(&license.account_id) {
                    ids.push(license.account_id);
                }
            }
            let next = match app.account.and_then(|a| ids.iter().position(|&x| x == a)) {
                None => ids.first().copied(),
                Some(i) => ids.get(i + 1).copied(),
            };
            return picker::switch_to(app, next);
        }
        Command::CycleDateRange => {
            const RANGES: [Option<i64>; 5] = [None, Some(7), Some(30), Some(90), Some(365)];
            let at = RANGES
                .iter()
                .position(|r| *r == app.claims_view.assigned_within)
                .unwrap_or(0);
            app.claims_view.assigned_within = RANGES[(at + 1) % RANGES.len()];
            app.claims_view.list = Default::default();
            model::rebuild_claims(app);
        }
        Command::CycleSort => {
            app.claims_view.sort = match app.claims_view.sort {
                ClaimSort::AssignedAt => ClaimSort::ClaimedAt,
                _ => ClaimSort::AssignedAt,
            };
            model::rebuild_claims(app);
        }
        Command::PrevLicense | Command::NextLicense if app.pane == Pane::Codes => {
            return codes::switch_license(app, command == Command::NextLicense);
        }
        Command::PrevLicense | Command::NextLicense => {
            let ids = app.license_ids();
            if !ids.is_empty() {
                let at = app
                    .teachers
                    .license
                    .and_then(|l| ids.iter().position(|&x| x == l))
                    .unwrap_or(0);
                let next = if command == Command::NextLicense {
                    (at + 1) % ids.len()
                } else {
                    (at + ids.len() - 1) % ids.len()
                };
                app.teachers.license = Some(ids[next]);
                app.teachers.list = Default::default();
                model::rebuild_teachers(app);
            }
        }
        Command::PrevTab | Command::NextTab => {
            let forward = command == Command::NextTab;
            return match app.pane {
                Pane::Codes => codes::switch_tab(app, forward),
                Pane::Inventory => inventory::switch_tab(app),
                _ => Vec::new(),
            };
        }
        Command::Open => {
            return match app.pane {
                Pane::Dashboard => goto::drill_down(app),
                Pane::Audit => {
                    audit::open(app);
                    Vec::new()
                }
                _ => inventory::open_codes(app),
            };
        }
        Command::OpenTeachers => return goto::inventory_teachers(app),
        Command::NewBatch => codes::open_batch_form(app),
        Command::EditBatch => codes::open_batch_options(app),
        Command::EditOrder => inventory::open_edit_order(app),
        Command::CycleOrderStatus => return inventory::cycle_order_status(app),
        Command::CycleInventoryType => return inventory::cycle_inventory_type(app),
        Command::ToggleLicense => inventory::toggle(app),
        Command::RequestLicense => {
            app.dialog = Some(Dialog::Form(forms::new_license_form(app)));
            if app.products.is_empty() {
                return vec![Effect::LoadProducts];
            }
        }
        Command::Renew => {
            let license = (app.inventory.tab == InventoryTab::Licenses)
                .then(|| app.inventory.selected().cloned())
                .flatten();
            match license {
                None => notify(
                    app,
                    "renew: pick a license on the Licenses tab".into(),
                    true,
                ),
                Some(l) if l.renewal_requested => notify(
                    app,
                    format!(
                        "order {} already has a pending renewal request",
                        l.order_number
                    ),
                    true,
                ),
                Some(l) if l.status == seatdesk_core::LicenseStatus::Requested => notify(
                    app,
                    format!(
                        "order {} is itself a request not yet approved",
                        l.order_number
                    ),
                    true,
                ),
                Some(l) => app.dialog = Some(Dialog::Form(forms::renewal_form(&l))),
            }
        }
        Command::Approve => inventory::open_decision(app, true),
        Command::Reject => inventory::open_decision(app, false),
        Command::CheckAccess => return triage::check_row(app),
        Command::Reclaim => return reclaim::open(app),
        Command::ReclaimPreview => return reclaim::preview(app),
        Command::ReclaimRun => return reclaim::open_run(app),
        Command::ReclaimPause => return reclaim::toggle_pause(app),
        Command::ReclaimHistory => return reclaim::history(app),
    }
    Vec::new()
}

fn go_pane(app: &mut App, pane: Pane) -> Vec<Effect> {
    app.pane = pane;
    app.input = None;
    match pane {
        Pane::Inventory => return inventory::enter(app),
        Pane::Codes => return codes::enter(app),
        _ => {}
    }
    if pane == Pane::Audit && !app.audit.loaded && !app.audit.loading && app.sync.offline.is_none()
    {
        app.audit.loading = true;
        return vec![Effect::LoadAudit];
    }
    Vec::new()
}

fn back(app: &mut App) -> Vec<Effect> {
    if app.picker.take().is_some() {
        return Vec::new();
    }
    if let Some(dialog) = app.dialog.take() {
        match dialog {
            Dialog::ConfirmRevoke { .. } => {
                notify(
                    app,
                    "revocation cancelled; nothing was changed".into(),
                    false,
                );
            }
            Dialog::Progress { .. } => app.dialog = Some(dialog),
            Dialog::Summary { .. } | Dialog::Access { .. } | Dialog::Detail { .. } => {}
            Dialog::Form(form) => {
                let text = if form.submitting {
                    "closed; the request was already sent and its answer will show here"
                } else {
                    "cancelled; nothing was sent"
                };
                notify(app, format!("{}: {text}", form.title), false);
            }
            Dialog::Confirm { .. } => notify(app, "cancelled; nothing was changed".into(), false),
        }
        return Vec::new();
    }
    match app.input.take() {
        Some(Input::Filter(pane)) => return set_filter(app, pane, String::new()),
        Some(Input::Palette) => return Vec::new(),
        Some(Input::HelpSearch) => {
            app.help_query.clear();
            return Vec::new();
        }
        None => {}
    }
    let pane = app.pane;
    let has_filter = match pane {
        Pane::Claims => !app.claims_view.query.is_empty(),
        Pane::Teachers => !app.teachers.query.is_empty(),
        Pane::Audit => !app.audit.query.is_empty(),
        Pane::Codes => !app.codes.query.is_empty(),
        Pane::Inventory => !app.inventory.search.is_empty(),
        Pane::Dashboard | Pane::Reclaim => false,
    };
    if has_filter {
        return set_filter(app, pane, String::new());
    }
    if pane == Pane::Inventory && app.inventory.product.take().is_some() {
        notify(app, "showing every product's licenses".into(), false);
        return inventory::reload(app);
    }
    if pane == Pane::Reclaim {
        return reclaim::back(app);
    }
    if pane == Pane::Teachers && !app.teachers.marks.is_empty() {
        app.teachers.marks.clear();
        app.teachers.anchor = None;
        notify(app, "marks cleared".into(), false);
        return Vec::new();
    }
    app.message = None;
    Vec::new()
}

fn move_cursor(app: &mut App, delta: isize) {
    let height = app.list_height();
    match app.pane {
        Pane::Dashboard => {
            let len = app.dashboard.products().len();
            app.dash_list.step(delta, len, height);
        }
        Pane::Claims => {
            let len = app.claims_view.rows.len();
            app.claims_view.list.step(delta, len, height);
        }
        Pane::Teachers => {
            let len = app.teachers.rows.len();
            app.teachers.list.step(delta, len, height);
        }
        Pane::Audit => {
            let len = app.audit.rows.len();
            app.audit.list.step(delta, len, height);
        }
        Pane::Codes => {
            let len = app.codes.rows.len();
            app.codes.list.step(delta, len, height);
        }
        Pane::Reclaim => reclaim::move_cursor(app, delta, height),
        Pane::Inventory => match app.inventory.tab {
            InventoryTab::Licenses => {
                let len = app.inventory.rows.len();
                app.inventory.list.step(delta, len, height);
            }
            InventoryTab::Requests => {
                let len = app.inventory.requests.len();
                app.inventory.requests_list.step(delta, len, height);
            }
        },
    }
}

fn cursor_seat(app: &App) -> Option<i64> {
    app.teachers
        .rows
        .get(app.teachers.list.cursor)
        .map(|&i| app.claims[i as usize].id)
}

fn mark_range(app: &mut App) {
    let ids: Vec<i64> = app
        .teachers
        .rows
        .iter()
        .map(|&i| app.claims[i as usize].id)
        .collect();
    let cursor = app.teachers.list.cursor.min(ids.len().saturating_sub(1));
    if ids.is_empty() {
        return;
    }
    let start = app
        .teachers
        .anchor
        .and_then(|a| ids.iter().position(|&id| id == a))
        .unwrap_or(cursor);
    let (low, high) = (start.min(cursor), start.max(cursor));
    app.teachers.marks.extend(&ids[low..=high]);
    app.teachers.anchor = Some(ids[cursor]);
}

fn toggle_status(app: &mut App, status: SeatStatus) {
    let index = status.index();
    app.claims_view.statuses[index] = !app.claims_view.statuses[index];
    app.claims_view.list = Default::default();
    model::rebuild_claims(app);
}

fn submit(app: &mut App) -> Vec<Effect> {
    if app.picker.is_some() && app.dialog.is_none() {
        return picker::pick(app);
    }
    let dialog = app.dialog.take();
    match dialog {
        Some(Dialog::ConfirmRevoke { checking: true, .. }) => {
            notify(
                app,
                "waiting for the server's dry run; Esc cancels".into(),
                false,
            );
            app.dialog = dialog;
            return Vec::new();
        }
        Some(Dialog::ConfirmRevoke {
            check_error: Some(ref error),
            ..
        }) => {
            let text = format!("cannot revoke without the server's dry run: {error}");
            notify(app, text, true);
            app.dialog = dialog;
            return Vec::new();
        }
        Some(Dialog::ConfirmRevoke {
            ref ids,
            ref typed,
            needs_word,
            ref policy,
            ref refusals,
            ..
        }) => {
            // The count proves the number was read; REVOKE is still taken.
            let word = typed.trim();
            if needs_word && word != ids.len().to_string() && word != "REVOKE" {
                notify(
                    app,
                    format!(
                        "type {} (the number of seats) and press Enter to confirm, or Esc to cancel",
                        ids.len()
                    ),
                    true,
                );
                app.dialog = dialog;
                return Vec::new();
            }
            if let Some(target) = policy {
                let seats = ids.len() - refusals.len();
                return reclaim::confirmed(app, target.clone(), seats);
            }
            let chunks = ids.chunks(CHUNK).map(<[i64]>::to_vec).collect();
            let total = ids.len();
            app.bulk_running = true;
            app.teachers.pending_done.clear();
            app.teachers.pending_failures.clear();
            app.dialog = Some(Dialog::Progress {
                title: format!("Revoking {total} seats"),
                total,
                answered: 0,
            });
            return vec![Effect::Revoke { chunks }];
        }
        Some(Dialog::Summary { .. }) => return Vec::new(),
        Some(Dialog::Form(form)) => return validate::submit(app, form),
        Some(Dialog::Confirm { confirm, .. }) => return inventory::confirmed(app, confirm),
        Some(other) => {
            app.dialog = Some(other);
            return Vec::new();
        }
        None => {}
    }
    match app.input.take() {
        Some(Input::Palette) => return palette::run(app),
        Some(Input::Filter(Pane::Inventory)) => {
            app.inventory.tab = InventoryTab::Licenses;
            return inventory::reload(app);
        }
        Some(Input::Filter(_) | Input::HelpSearch) | None => {}
    }
    Vec::new()
}

fn tick(app: &mut App, now: chrono::DateTime<chrono::Utc>) -> Vec<Effect> {
    let age_before = app.cache_age();
    app.now = now;
    let mut changed = app.cache_age() != age_before;
    if app.message_until.is_some_and(|until| now >= until) {
        app.message = None;
        app.message_until = None;
        changed = true;
    }
    if app.busy() {
        app.spinner = app.spinner.wrapping_add(1);
        changed = true;
    }
    app.dirty |= changed;
    // Refresh pauses while a dialog is open, and never runs twice at once.
    if !app.sync.in_flight && app.dialog.is_none() && app.sync.next_at.is_none_or(|at| now >= at) {
        app.sync.in_flight = true;
        app.dirty = true;
        return vec![Effect::Sync];
    }
    // Between syncs (and while a dialog pauses them), a probe notices a
    // lost server within seconds.
    if !app.sync.in_flight
        && !app.sync.probing
        && app.sync.offline.is_none()
        && app.dialog.is_none()
        && app.sync.last_sync.is_some()
        && app.sync.probe_at.is_none_or(|at| now >= at)
    {
        app.sync.probing = true;
        app.sync.probe_at = Some(now + PROBE_EVERY);
        return vec![Effect::Probe];
    }
    Vec::new()
}
