//! The Inventory pane: server-side search and filters, activate /
//! deactivate, the pending requests tab, and the answers to all of them.

use seatdesk_core::api::inventory::License;
use seatdesk_core::{LicenseStatus, Permission};

use super::bulk::resync;
use super::notify;
use crate::action::InventoryAction;
use crate::app::{App, CodeTab, Confirmed, Dialog, Effect, InventoryTab, ORDER_STATUSES, Pane};
use crate::form::FormKind;
use crate::model;
use seatdesk_core::InventoryType;

/// Shows the cached licenses that pass the filters at once and asks the
/// server for the real answer (unless it is out of reach).
pub(super) fn reload(app: &mut App) -> Vec<Effect> {
    let view = &mut app.inventory;
    view.generation += 1;
    view.list = Default::default();
    view.searched = view.search.trim().to_string();
    app.inventory.rows = model::local_inventory(app);
    app.inventory.from_server = false;
    app.inventory.truncated = false;
    if app.sync.offline.is_some() {
        app.inventory.loading = false;
        app.inventory.error = Some("offline: showing cached licenses".into());
        return Vec::new();
    }
    ask(app)
}

fn ask(app: &mut App) -> Vec<Effect> {
    app.inventory.loading = true;
    app.inventory.first_page = true;
    app.inventory.error = None;
    vec![Effect::LoadInventory {
        generation: app.inventory.generation,
        query: app.inventory.query(app.account),
    }]
}

/// Asks the server again for the same search, keeping the rows and the
/// cursor on screen until the answer replaces them.
pub(super) fn refresh(app: &mut App) -> Vec<Effect> {
    if app.sync.offline.is_some() {
        return Vec::new();
    }
    app.inventory.generation += 1;
    ask(app)
}

/// Entering the pane loads it once; later visits keep what was loaded.
pub(super) fn enter(app: &mut App) -> Vec<Effect> {
    let mut effects = Vec::new();
    if !app.inventory.from_server && !app.inventory.loading {
        effects.extend(reload(app));
    }
    if app.inventory.tab == InventoryTab::Requests {
        effects.extend(load_requests(app));
    }
    effects
}

fn load_requests(app: &mut App) -> Vec<Effect> {
    if app.inventory.requests_loading || app.sync.offline.is_some() {
        return Vec::new();
    }
    app.inventory.requests_loading = true;
    vec![Effect::LoadRequests]
}

pub(super) fn cycle_order_status(app: &mut App) -> Vec<Effect> {
    let at = ORDER_STATUSES
        .iter()
        .position(|s| Some(*s) == app.inventory.order_status)
        .unwrap_or(0);
    let next = ORDER_STATUSES[(at + 1) % ORDER_STATUSES.len()];
    app.inventory.order_status = (next != ORDER_STATUSES[0]).then_some(next);
    app.inventory.tab = InventoryTab::Licenses;
    reload(app)
}

pub(super) fn cycle_inventory_type(app: &mut App) -> Vec<Effect> {
    let types = InventoryType::ALL;
    app.inventory.inventory_type = match app
        .inventory
        .inventory_type
        .and_then(|t| types.iter().position(|x| *x == t))
    {
        None => types.first().copied(),
        Some(i) => types.get(i + 1).copied(),
    };
    app.inventory.tab = InventoryTab::Licenses;
    reload(app)
}

pub(super) fn switch_tab(app: &mut App) -> Vec<Effect> {
    match app.inventory.tab {
        InventoryTab::Requests => {
            app.inventory.tab = InventoryTab::Licenses;
            Vec::new()
        }
        InventoryTab::Licenses => {
            if let Some(reason) = app.lacks(Permission::DecideRequest) {
                notify(app, format!("requests to decide: {reason}"), true);
                return Vec::new();
            }
            app.inventory.tab = InventoryTab::Requests;
            if app.inventory.requests_loaded {
                Vec::new()
            } else {
                load_requests(app)
            }
        }
    }
}

/// `a`: asks before activating or deactivating the selected license.
/// `E` on a license: the seed's Edit Order window.
pub(super) fn open_edit_order(app: &mut App) {
    let license = (app.inventory.tab == InventoryTab::Licenses)
        .then(|| app.inventory.selected().cloned())
        .flatten();
    match license {
        Some(license) => {
            app.dialog = Some(Dialog::Form(super::forms::edit_order_form(app, &license)));
        }
        None => notify(
            app,
            "edit order: pick a license on the Licenses tab".into(),
            true,
        ),
    }
}

/// Save in the Edit Order window: Active License is the one thing the API
/// changes; a change goes through the same confirmation as `a`.
pub(super) fn save_edit_order(app: &mut App, form: &crate::form::Form, license_id: i64) {
    let Some(license) = app.find_license(license_id).cloned() else {
        return notify(app, "the order is no longer listed".into(), true);
    };
    let live = matches!(
        license.status,
        LicenseStatus::Active | LicenseStatus::Depleted
    );
    if form.field("active").is_none() || form.checked("active") == live {
        return notify(
            app,
            format!("order {}: nothing changed", license.order_number),
            false,
        );
    }
    toggle(app);
}

pub(super) fn toggle(app: &mut App) {
    if app.inventory.tab != InventoryTab::Licenses {
        return notify(
            app,
            "activate / deactivate: pick a license on the Licenses tab".into(),
            true,
        );
    }
    let Some(license) = app.inventory.selected().cloned() else {
        return notify(app, "no license selected".into(), false);
    };
    if license.status == LicenseStatus::Requested {
        return notify(
            app,
            format!(
                "order {} is still a request; it must be approved before it can be activated",
                license.order_number
            ),
            true,
        );
    }
    // A depleted license is live (only out of seats): it can be deactivated.
    let active = !matches!(
        license.status,
        LicenseStatus::Active | LicenseStatus::Depleted
    );
    let verb = if active { "Activate" } else { "Deactivate" };
    let mut lines = vec![format!(
        "Order {} - {} - PO {} - now {}",
        license.order_number,
        license.product_name,
        if license.purchase_order.is_empty() {
            "-"
        } else {
            &license.purchase_order
        },
        license.status
    )];
    lines.push(if active {
        "Its users get access again; seats stay as they are.".into()
    } else {
        format!(
            "Its {} teachers and {} students lose access until it is activated again; seats stay as they are.",
            license.teachers, license.students
        )
    });
    app.dialog = Some(Dialog::Confirm {
        title: format!("{verb} license {}?", license.order_number),
        lines,
        confirm: Confirmed::SetLicenseActive {
            license_id: license.id,
            active,
        },
    });
}

pub(super) fn confirmed(app: &mut App, confirm: Confirmed) -> Vec<Effect> {
    match confirm {
        Confirmed::SetLicenseActive { license_id, active } => {
            app.inventory.toggling.push(license_id);
            vec![Effect::SetLicenseActive { license_id, active }]
        }
    }
}

/// Enter: the selected license's codes (activation batches for a User
/// Activation Codes order, as the seed's link opens them).
pub(super) fn open_codes(app: &mut App) -> Vec<Effect> {
    let Some(license) = app.inventory.selected() else {
        return Vec::new();
    };
    let tab = if license.inventory_type == InventoryType::UserActivationCodes {
        CodeTab::Batches
    } else {
        CodeTab::Master
    };
    app.codes.license = Some(license.id);
    app.codes.tab = tab;
    app.codes.list = Default::default();
    app.pane = Pane::Codes;
    super::codes::enter(app)
}

/// Why the selected request cannot be decided by this token, if it cannot.
pub fn decide_blocked(app: &App) -> Option<String> {
    let request = app.inventory.selected_request()?;
    let me = app.me.as_ref()?;
    if request.org_id == me.org_id {
        return Some(format!(
            "request {} was made by {} itself; an admin of a parent org decides it",
            request.id, request.org_name
        ));
    }
    None
}

pub(super) fn open_decision(app: &mut App, approve: bool) {
    if app.inventory.tab != InventoryTab::Requests {
        return notify(
            app,
            "approve / reject: open the Requests tab first (h / l)".into(),
            true,
        );
    }
    let Some(request) = app.inventory.selected_request().cloned() else {
        return notify(app, "no pending request selected".into(), false);
    };
    if let Some(reason) = decide_blocked(app) {
        return notify(app, reason, true);
    }
    app.dialog = Some(Dialog::Form(super::forms::decision_form(&request, approve)));
}

fn replace_license(app: &mut App, license: &License) {
    for slot in app
        .inventory
        .rows
        .iter_mut()
        .chain(app.licenses.iter_mut())
        .filter(|l| l.id == license.id)
    {
        *slot = license.clone();
    }
}

pub(super) fn on_inventory(app: &mut App, action: InventoryAction) -> Vec<Effect> {
    let view = &mut app.inventory;
    match action {
        InventoryAction::Page {
            generation,
            items,
            last,
            truncated,
        } => {
            if generation != view.generation {
                return Vec::new();
            }
            if view.first_page {
                view.rows.clear();
                view.first_page = false;
            }
            view.from_server = true;
            view.rows.extend(items);
            view.truncated = truncated;
            view.loading = !last;
            view.error = None;
            let (len, height) = (view.rows.len(), app.list_height());
            app.inventory.list.scroll(len, height);
        }
        InventoryAction::Failed {
            generation,
            error,
            offline,
        } => {
            if generation == view.generation {
                view.loading = false;
                view.error = Some(if offline {
                    format!("offline, showing cached licenses: {error}")
                } else {
                    error
                });
            }
        }
        InventoryAction::Requests(result) => {
            view.requests_loading = false;
            match result {
                Ok(items) => {
                    view.requests = items;
                    view.requests_loaded = true;
                    view.requests_error = None;
                    let (len, height) = (view.requests.len(), app.list_height());
                    app.inventory.requests_list.scroll(len, height);
                }
                Err(error) => view.requests_error = Some(error),
            }
        }
        InventoryAction::Products(result) => match result {
            Ok(products) => {
                app.products = products;
                super::forms::products_arrived(app);
            }
            Err(error) => notify(app, format!("cannot list products: {error}"), true),
        },
        InventoryAction::Toggled { license_id, result } => {
            view.toggling.retain(|id| *id != license_id);
            match result {
                Ok(license) => {
                    notify(
                        app,
                        format!("order {} is now {}", license.order_number, license.status),
                        false,
                    );
                    replace_license(app, &license);
                    return resync(app);
                }
                Err(error) => notify(app, format!("license {license_id}: {error}"), true),
            }
        }
        InventoryAction::Submitted(result) => {
            let result = result.map(|r| {
                let kind = match r.kind {
                    seatdesk_core::RequestKind::Renewal => "renewal request",
                    seatdesk_core::RequestKind::NewLicense => "new license request",
                };
                let to = r
                    .requested_to_org_name
                    .as_deref()
                    .unwrap_or("the parent org");
                format!("{kind} {} sent to {to} for approval", r.id)
            });
            if super::validate::answered(app, result, |kind| {
                matches!(kind, FormKind::Renewal { .. } | FormKind::NewLicense)
            }) {
                return after_request(app);
            }
        }
        InventoryAction::Decided { request_id, result } => {
            if result.is_ok() {
                app.inventory.requests.retain(|r| r.id != request_id);
                let (len, height) = (app.inventory.requests.len(), app.list_height());
                app.inventory.requests_list.scroll(len, height);
            }
            let result = result.map(|r| match r.result_license_id {
                Some(license) => format!("request {} {}; license {license}", r.id, r.status),
                None => format!("request {} {}", r.id, r.status),
            });
            if super::validate::answered(app, result, |kind| {
                matches!(kind, FormKind::Approve { .. } | FormKind::Reject { .. })
            }) {
                return after_request(app);
            }
        }
    }
    Vec::new()
}

/// After a request was sent or decided, inventory flags changed.
pub(super) fn after_request(app: &mut App) -> Vec<Effect> {
    let mut effects = Vec::new();
    app.inventory.from_server = false;
    if app.pane == Pane::Inventory {
        effects.extend(reload(app));
    }
    effects.extend(resync(app));
    effects
}
