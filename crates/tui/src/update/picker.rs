//! The purchasing-account picker (`o`): "all accounts" and every account
//! in scope, narrowed by what is typed (org, account name or number),
//! ↑/↓ to move, Enter to switch, Esc to leave it as it was.

use crossterm::event::{KeyCode, KeyEvent};

use super::notify;
use crate::app::{App, Effect, Pane, Picker};
use crate::edit::{self, Edit};

/// The picker's rows for `query`: (account id or None for all, label).
pub fn picker_rows(app: &App, query: &str) -> Vec<(Option<i64>, String)> {
    let query = query.trim().to_lowercase();
    let mut rows: Vec<(Option<i64>, String)> = vec![(None, "all accounts".into())];
    rows.extend(
        app.accounts
            .iter()
            .map(|(id, label)| (Some(*id), label.clone())),
    );
    // Accounts of cached licenses the account list has not named (yet).
    for license in &app.licenses {
        if !rows.iter().any(|(id, _)| *id == Some(license.account_id)) {
            rows.push((
                Some(license.account_id),
                format!("account {}", license.account_id),
            ));
        }
    }
    if query.is_empty() {
        return rows;
    }
    let words: Vec<&str> = query.split_whitespace().collect();
    rows.retain(|(_, label)| {
        let label = label.to_lowercase();
        words.iter().all(|w| label.contains(w))
    });
    rows
}

pub(super) fn open(app: &mut App) {
    let rows = picker_rows(app, "");
    let pick = rows
        .iter()
        .position(|(id, _)| *id == app.account)
        .unwrap_or(0);
    app.caret = 0;
    app.picker = Some(Picker {
        query: String::new(),
        pick,
    });
}

pub(super) fn key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let Some(mut picker) = app.picker.take() else {
        return Vec::new();
    };
    let len = picker_rows(app, &picker.query).len();
    match key.code {
        KeyCode::Up => picker.pick = picker.pick.saturating_sub(1),
        KeyCode::Down => picker.pick = (picker.pick + 1).min(len.saturating_sub(1)),
        KeyCode::PageUp => picker.pick = picker.pick.saturating_sub(app.list_height()),
        KeyCode::PageDown => {
            picker.pick = (picker.pick + app.list_height()).min(len.saturating_sub(1));
        }
        _ => {
            if edit::apply(&mut picker.query, &mut app.caret, key) == Edit::Changed {
                picker.pick = 0;
            }
        }
    }
    app.picker = Some(picker);
    Vec::new()
}

/// Enter: switches every pane to the picked account.
pub(super) fn pick(app: &mut App) -> Vec<Effect> {
    let Some(picker) = app.picker.take() else {
        return Vec::new();
    };
    let rows = picker_rows(app, &picker.query);
    let Some((account, _)) = rows.get(picker.pick).cloned() else {
        notify(app, format!("no account matches '{}'", picker.query), true);
        return Vec::new();
    };
    switch_to(app, account)
}

/// Narrows every pane to `account` (None: all).
pub(super) fn switch_to(app: &mut App, account: Option<i64>) -> Vec<Effect> {
    app.account = account;
    app.dash_list = Default::default();
    app.claims_view.list = Default::default();
    app.claims_view.product = None;
    app.teachers.license = None;
    app.teachers.list = Default::default();
    app.codes.license = None;
    app.inventory.from_server = false;
    super::rebuild_lists(app);
    notify(app, format!("showing {}", app.account_label()), false);
    let mut effects = super::dashboard::switch_view(app);
    effects.extend(match app.pane {
        Pane::Inventory => super::inventory::reload(app),
        Pane::Codes => super::codes::enter(app),
        _ => Vec::new(),
    });
    effects
}
