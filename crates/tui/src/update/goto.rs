//! Going somewhere in one step: a pane by name from the palette
//! (`:teachers 1001`, `:claims ann@x.org`), and the Dashboard's drill-down
//! from a product to its licenses, then to a license's teachers.

use super::{go_pane, notify, set_filter};
use crate::app::{App, Effect, InventoryTab, Pane};
use crate::keymap::Command;
use crate::model;

/// The license `text` names: its id or its order number.
pub(super) fn license_named(app: &App, text: &str) -> Option<i64> {
    let text = text.trim();
    let by_order =
        |l: &&seatdesk_core::api::inventory::License| l.order_number.eq_ignore_ascii_case(text);
    let cached = app.licenses.iter().chain(app.inventory.rows.iter());
    match text.parse::<i64>() {
        Ok(id) if app.find_license(id).is_some() => Some(id),
        _ => cached.clone().find(by_order).map(|l| l.id),
    }
}

/// Goes to `pane`; `arg` filters it or picks its license.
pub(super) fn open(app: &mut App, pane: Pane, arg: &str) -> Vec<Effect> {
    let arg = arg.trim();
    match pane {
        Pane::Teachers | Pane::Codes if !arg.is_empty() => {
            let Some(id) = license_named(app, arg) else {
                notify(
                    app,
                    format!("no license with id or order number '{arg}'"),
                    true,
                );
                return go_pane(app, pane);
            };
            if pane == Pane::Teachers {
                show_teachers(app, id);
                return Vec::new();
            }
            app.codes.license = Some(id);
            app.codes.list = Default::default();
            go_pane(app, pane)
        }
        Pane::Inventory if !arg.is_empty() => {
            app.pane = pane;
            app.input = None;
            app.inventory.tab = InventoryTab::Licenses;
            app.inventory.search = arg.to_string();
            super::inventory::reload(app)
        }
        Pane::Claims | Pane::Audit if !arg.is_empty() => {
            let mut effects = go_pane(app, pane);
            effects.extend(set_filter(app, pane, arg.to_string()));
            effects
        }
        _ => go_pane(app, pane),
    }
}

/// The Teachers pane on license `id`, unfiltered.
pub(super) fn show_teachers(app: &mut App, id: i64) {
    app.pane = Pane::Teachers;
    app.input = None;
    app.teachers.license = Some(id);
    app.teachers.query.clear();
    app.teachers.list = Default::default();
    model::rebuild_teachers(app);
}

/// Enter on a Dashboard product: the Inventory narrowed to that product's
/// licenses (by the product id alone, so the rows are the server's).
pub(super) fn drill_down(app: &mut App) -> Vec<Effect> {
    let Some(product) = app.dashboard.products().get(app.dash_list.cursor) else {
        return Vec::new();
    };
    let name = product.name.clone();
    let Some(id) = product.product_id else {
        notify(
            app,
            format!("{name}: the server gave no product id to open"),
            true,
        );
        return Vec::new();
    };
    app.pane = Pane::Inventory;
    app.input = None;
    app.inventory.tab = InventoryTab::Licenses;
    app.inventory.product = Some((id, name.clone()));
    app.inventory.search.clear();
    let keys = |c| app.keymap.keys_for(c);
    let text = format!(
        "licenses of {name}: {} codes · {} teachers · Esc all products",
        keys(Command::Open),
        keys(Command::OpenTeachers)
    );
    notify(app, text, false);
    super::inventory::reload(app)
}

/// `T` on an Inventory license: its teachers.
pub(super) fn inventory_teachers(app: &mut App) -> Vec<Effect> {
    match app.inventory.selected().map(|l| l.id) {
        Some(id) if app.license(id).is_some() => show_teachers(app, id),
        Some(_) => notify(
            app,
            "this license's seats are not in the local cache yet; press r to sync".into(),
            true,
        ),
        None => notify(app, "pick a license first".into(), true),
    }
    Vec::new()
}
