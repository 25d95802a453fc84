//! Text fields: filters, the command palette, and CSV export of what is shown.

use crossterm::event::{KeyCode, KeyEvent};

use crate::app::{App, Dialog, Effect, Input, Pane};
use crate::edit::{self, Edit};
use crate::model;

pub(super) fn text_input(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    if let Some(Dialog::Form(_)) = &app.dialog {
        super::forms::form_key(app, key);
        return Vec::new();
    }
    if let Some(Dialog::ConfirmRevoke { typed, .. }) = &mut app.dialog {
        edit::apply(typed, &mut app.caret, key);
        return Vec::new();
    }
    let Some(input) = app.input.clone() else {
        return Vec::new();
    };
    if input == Input::Palette {
        match key.code {
            KeyCode::Tab => {
                if let Some(name) = super::palette::completion(app, &app.palette) {
                    app.palette = name;
                    app.caret = app.palette.chars().count();
                    app.palette_pick = 0;
                }
                return Vec::new();
            }
            KeyCode::Up => {
                app.palette_pick = app.palette_pick.saturating_sub(1);
                return Vec::new();
            }
            KeyCode::Down => {
                let last = super::palette::candidates(app, &app.palette)
                    .len()
                    .saturating_sub(1);
                app.palette_pick = (app.palette_pick + 1).min(last);
                return Vec::new();
            }
            _ => {}
        }
    }
    if input == Input::Filter(Pane::Inventory)
        && matches!(key.code, KeyCode::Tab | KeyCode::BackTab)
    {
        app.inventory.field = app.inventory.field.next();
        return Vec::new();
    }
    let mut text = input_text(app, &input).to_string();
    let mut caret = app.caret;
    let result = edit::apply(&mut text, &mut caret, key);
    app.caret = caret;
    if result == Edit::Changed {
        return replace_text(app, &input, text);
    }
    Vec::new()
}

/// The text of `input` as it stands.
pub(super) fn input_text<'a>(app: &'a App, input: &Input) -> &'a str {
    match input {
        Input::Palette => &app.palette,
        Input::HelpSearch => &app.help_query,
        Input::Filter(Pane::Inventory) => &app.inventory.search,
        Input::Filter(Pane::Claims) => &app.claims_view.query,
        Input::Filter(Pane::Teachers) => &app.teachers.query,
        Input::Filter(Pane::Codes) => &app.codes.query,
        Input::Filter(_) => &app.audit.query,
    }
}

/// Puts edited `text` into `input`; a filter re-filters at once (the
/// Inventory's is sent to the server on Enter only).
fn replace_text(app: &mut App, input: &Input, text: String) -> Vec<Effect> {
    match input {
        Input::Palette => {
            app.palette = text;
            app.palette_pick = 0;
        }
        Input::HelpSearch => app.help_query = text,
        Input::Filter(Pane::Inventory) => app.inventory.search = text,
        Input::Filter(pane) => return set_filter(app, *pane, text),
    }
    Vec::new()
}

/// Text pasted into whatever takes text: the focused input, the
/// confirmation word, or a form field (key by key).
pub(super) fn paste(app: &mut App, pasted: &str) -> Vec<Effect> {
    if let Some(Dialog::Form(_)) = &app.dialog {
        for c in pasted.chars().filter(|c| !c.is_control()) {
            super::forms::form_key(
                app,
                KeyEvent::new(KeyCode::Char(c), crossterm::event::KeyModifiers::NONE),
            );
        }
        return Vec::new();
    }
    if let Some(Dialog::ConfirmRevoke { typed, .. }) = &mut app.dialog {
        edit::paste(typed, &mut app.caret, pasted);
        return Vec::new();
    }
    let Some(input) = app.input.clone() else {
        return Vec::new();
    };
    let mut text = input_text(app, &input).to_string();
    let mut caret = app.caret;
    if !edit::paste(&mut text, &mut caret, pasted) {
        return Vec::new();
    }
    app.caret = caret;
    replace_text(app, &input, text)
}

pub(super) fn set_filter(app: &mut App, pane: Pane, text: String) -> Vec<Effect> {
    match pane {
        Pane::Claims => {
            let view = &mut app.claims_view;
            view.query = text;
            view.generation += 1;
            view.list = Default::default();
            view.partial = None;
            view.found = 0;
            let known = view.matched.as_ref().is_some_and(|m| m.query == view.query);
            if view.query.trim().is_empty() || known {
                // Cleared, or back to the query of the last complete result
                // (a key typed and erased): nothing to search.
                if !known {
                    view.matched = None;
                }
                view.searching = false;
                model::rebuild_claims(app);
                Vec::new()
            } else {
                vec![super::search::start(app, true)]
            }
        }
        Pane::Teachers => {
            app.teachers.query = text;
            app.teachers.list = Default::default();
            model::rebuild_teachers(app);
            Vec::new()
        }
        Pane::Codes => {
            app.codes.query = text;
            app.codes.list = Default::default();
            model::rebuild_codes(app);
            Vec::new()
        }
        Pane::Inventory => {
            let had = !app.inventory.searched.is_empty();
            app.inventory.search = text;
            if had || !app.inventory.search.is_empty() {
                super::inventory::reload(app)
            } else {
                Vec::new()
            }
        }
        _ => {
            app.audit.query = text;
            app.audit.list = Default::default();
            model::rebuild_audit(app);
            Vec::new()
        }
    }
}

pub(super) fn export(app: &mut App) -> Vec<Effect> {
    if app.pane == Pane::Claims && app.claims_view.searching {
        // The rows shown are a first screen or the last query's: not what
        // the filter will show.
        super::notify(
            app,
            "export: the filter is still searching; try again when it has finished".into(),
            true,
        );
        return Vec::new();
    }
    let rows: Vec<u32> = match app.pane {
        Pane::Claims => app.claims_view.rows.clone(),
        Pane::Teachers => app.teachers.rows.clone(),
        _ => return Vec::new(),
    };
    let csv = match claims_csv(app, &rows) {
        Ok(csv) => csv,
        Err(error) => {
            super::notify(app, format!("export failed: {error}"), true);
            return Vec::new();
        }
    };
    let name = format!(
        "seatdesk-{}-{}.csv",
        app.pane.title().to_lowercase(),
        app.now.format("%Y%m%d-%H%M%S")
    );
    vec![Effect::Export {
        path: app.export_dir.join(name),
        csv,
    }]
}

/// The rows as CSV, through the csv crate's writer (quoting) and the
/// spreadsheet guard every export shares (`seatdesk_core::sheet`).
fn claims_csv(app: &App, rows: &[u32]) -> Result<String, csv::Error> {
    use seatdesk_core::sheet::defuse;
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record([
        "seat_id",
        "license_id",
        "product",
        "name",
        "email",
        "status",
        "assigned_at",
        "claimed_at",
        "redemption_code",
        "students_assigned",
    ])?;
    for &i in rows {
        let c = &app.claims[i as usize];
        writer.write_record([
            c.id.to_string().as_str(),
            &c.license_id.to_string(),
            &defuse(&c.product_name),
            &defuse(&c.user_name),
            &defuse(&c.user_email),
            c.status.as_str(),
            &c.assigned_at.to_rfc3339(),
            &c.claimed_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            &defuse(c.redemption_code.as_deref().unwrap_or("")),
            &c.students_assigned.to_string(),
        ])?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
