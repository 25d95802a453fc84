//! Text fields: filters, the command palette, and CSV export of what is shown.

use crossterm::event::{KeyCode, KeyEvent};

use crate::app::{App, Dialog, Effect, Input, Pane};
use crate::keymap::Command;
use crate::model;

/// Commands whose name starts with the first word of `text`, exact match
/// first; the rest of `text` are arguments (`check EMAIL PRODUCT`).
pub fn palette_candidates(text: &str) -> Vec<Command> {
    let text = text.split_whitespace().next().unwrap_or("");
    let mut found: Vec<Command> = Command::TABLE
        .iter()
        .filter(|row| row.1.starts_with(text))
        .map(|row| row.0)
        .collect();
    found.sort_by_key(|c| c.name() != text);
    found
}

pub(super) fn text_input(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    if let Some(Dialog::Form(_)) = &app.dialog {
        super::forms::form_key(app, key);
        return Vec::new();
    }
    if let Some(Dialog::ConfirmRevoke { typed, .. }) = &mut app.dialog {
        match key.code {
            KeyCode::Char(c) => typed.push(c),
            KeyCode::Backspace => {
                typed.pop();
            }
            _ => {}
        }
        return Vec::new();
    }
    match app.input.clone() {
        Some(Input::Palette) => {
            match key.code {
                KeyCode::Char(c) => app.palette.push(c),
                KeyCode::Backspace => {
                    app.palette.pop();
                }
                KeyCode::Tab if !app.palette.contains(' ') => {
                    if let Some(command) = palette_candidates(&app.palette).first() {
                        app.palette = command.name().to_string();
                    }
                }
                _ => {}
            }
            Vec::new()
        }
        Some(Input::HelpSearch) => {
            match key.code {
                KeyCode::Char(c) => app.help_query.push(c),
                KeyCode::Backspace => {
                    app.help_query.pop();
                }
                _ => {}
            }
            Vec::new()
        }
        Some(Input::Filter(Pane::Inventory)) => {
            // Sent on Enter: the server searches, so not on every key.
            match key.code {
                KeyCode::Char(c) => app.inventory.search.push(c),
                KeyCode::Backspace => {
                    app.inventory.search.pop();
                }
                KeyCode::Tab | KeyCode::BackTab => app.inventory.field = app.inventory.field.next(),
                _ => {}
            }
            Vec::new()
        }
        Some(Input::Filter(pane)) => {
            let mut text = match pane {
                Pane::Claims => app.claims_view.query.clone(),
                Pane::Teachers => app.teachers.query.clone(),
                Pane::Codes => app.codes.query.clone(),
                _ => app.audit.query.clone(),
            };
            match key.code {
                KeyCode::Char(c) => text.push(c),
                KeyCode::Backspace => {
                    text.pop();
                }
                _ => return Vec::new(),
            }
            set_filter(app, pane, text)
        }
        None => Vec::new(),
    }
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
    let mut csv = String::from(
        "seat_id,license_id,product,name,email,status,assigned_at,claimed_at,redemption_code,students_assigned\n",
    );
    for i in rows {
        let c = &app.claims[i as usize];
        let field = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            c.id,
            c.license_id,
            field(&c.product_name),
            field(&c.user_name),
            field(&c.user_email),
            c.status,
            c.assigned_at.to_rfc3339(),
            c.claimed_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            field(c.redemption_code.as_deref().unwrap_or("")),
            c.students_assigned
        ));
    }
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
