//! The Codes pane: which license and tab, loading their codes in the
//! background, the batch form, exports, and the answers.

use seatdesk_core::Permission;

use super::bulk::resync;
use super::notify;
use crate::action::CodesAction;
use crate::app::{App, CodeTab, CodesData, Dialog, Effect};
use crate::form::FormKind;
use crate::model;

/// Loads the tab's rows unless they are already there.
pub(super) fn enter(app: &mut App) -> Vec<Effect> {
    if app
        .codes
        .license
        .is_none_or(|id| app.find_license(id).is_none())
    {
        app.codes.license = app.license_ids().first().copied();
    }
    match app.codes.license {
        Some(id) if app.codes.loaded_for != Some((id, app.codes.tab)) => reload(app),
        _ => Vec::new(),
    }
}

/// Asks the server for the current license and tab.
pub(super) fn reload(app: &mut App) -> Vec<Effect> {
    let Some(license_id) = app.codes.license else {
        return Vec::new();
    };
    let view = &mut app.codes;
    view.generation += 1;
    if view.loaded_for != Some((license_id, view.tab)) {
        view.codes.clear();
        view.batches.clear();
        view.rows.clear();
        view.list = Default::default();
    }
    if app.sync.offline.is_some() {
        app.codes.error =
            Some("offline: codes are not cached; they load when the server answers".into());
        return Vec::new();
    }
    app.codes.loading = true;
    app.codes.error = None;
    vec![Effect::LoadCodes {
        generation: app.codes.generation,
        license_id,
        tab: app.codes.tab,
    }]
}

pub(super) fn switch_tab(app: &mut App, forward: bool) -> Vec<Effect> {
    app.codes.tab = app.codes.tab.step(forward);
    app.codes.query.clear();
    reload(app)
}

pub(super) fn switch_license(app: &mut App, forward: bool) -> Vec<Effect> {
    let ids = app.license_ids();
    if ids.is_empty() {
        return Vec::new();
    }
    let at = app
        .codes
        .license
        .and_then(|l| ids.iter().position(|&x| x == l))
        .unwrap_or(0);
    let next = if forward {
        (at + 1) % ids.len()
    } else {
        (at + ids.len() - 1) % ids.len()
    };
    app.codes.license = Some(ids[next]);
    app.codes.query.clear();
    reload(app)
}

/// `n`: the form to generate an activation-code batch.
/// `E` on a batch: its options, to change (`PATCH /v1/code-batches/{id}`).
pub(super) fn open_batch_options(app: &mut App) {
    match app.codes.selected_batch().cloned() {
        Some(batch) => {
            app.dialog = Some(Dialog::Form(super::forms::batch_options_form(&batch)));
        }
        None => notify(
            app,
            "edit batch: pick a batch on the Batches tab first".into(),
            true,
        ),
    }
}

pub(super) fn open_batch_form(app: &mut App) {
    let Some(license) = app
        .codes
        .license
        .and_then(|id| app.find_license(id))
        .cloned()
    else {
        return notify(app, "no license to generate codes for".into(), true);
    };
    app.dialog = Some(Dialog::Form(super::forms::batch_form(&license)));
}

/// `e`: a batch's export prompt on the batches tab; elsewhere the shown
/// codes as CSV.
pub(super) fn export(app: &mut App) -> Vec<Effect> {
    if app.codes.tab != CodeTab::Batches {
        return codes_csv(app);
    }
    if let Some(reason) = app.lacks(Permission::ManageCodes) {
        notify(app, format!("export batch: disabled ({reason})"), true);
        return Vec::new();
    }
    if app.sync.offline.is_some() {
        notify(
            app,
            "export batch: disabled (offline: the server cannot be reached)".into(),
            true,
        );
        return Vec::new();
    }
    let Some(batch) = app.codes.selected_batch() else {
        notify(app, "no batch selected".into(), false);
        return Vec::new();
    };
    let form = super::forms::export_form(app, batch.id);
    app.dialog = Some(Dialog::Form(form));
    Vec::new()
}

fn codes_csv(app: &mut App) -> Vec<Effect> {
    let field = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut csv =
        String::from("code,kind,license_id,subject,user_email,uses,max_uses,expires_at\n");
    for &i in &app.codes.rows {
        let Some(c) = app.codes.codes.get(i) else {
            continue;
        };
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            field(&c.code),
            c.kind,
            c.license_id,
            field(c.subject.as_deref().unwrap_or("")),
            field(c.user_email.as_deref().unwrap_or("")),
            c.uses,
            c.max_uses.map(|m| m.to_string()).unwrap_or_default(),
            c.expires_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        ));
    }
    let name = format!(
        "seatdesk-codes-{}-{}.csv",
        app.codes.license.unwrap_or(0),
        app.now.format("%Y%m%d-%H%M%S")
    );
    vec![Effect::Export {
        path: app.export_dir.join(name),
        csv,
    }]
}

pub(super) fn on_codes(app: &mut App, action: CodesAction) -> Vec<Effect> {
    match action {
        CodesAction::Loaded { generation, result } => {
            if generation != app.codes.generation {
                return Vec::new();
            }
            app.codes.loading = false;
            match result {
                Ok((data, truncated)) => {
                    match data {
                        CodesData::Codes(codes) => app.codes.codes = codes,
                        CodesData::Batches(batches) => app.codes.batches = batches,
                    }
                    app.codes.truncated = truncated;
                    app.codes.error = None;
                    app.codes.loaded_for = app.codes.license.map(|id| (id, app.codes.tab));
                    model::rebuild_codes(app);
                    if let Some(id) = app.codes.select_batch.take()
                        && let Some(at) = app
                            .codes
                            .rows
                            .iter()
                            .position(|&i| app.codes.batches.get(i).is_some_and(|b| b.id == id))
                    {
                        let (len, height) = (app.codes.rows.len(), app.list_height());
                        app.codes.list.cursor = at;
                        app.codes.list.scroll(len, height);
                    }
                }
                Err(error) => app.codes.error = Some(error),
            }
            Vec::new()
        }
        CodesAction::BatchCreated(result) => {
            let id = result.as_ref().ok().map(|b| b.id);
            let result = result.map(|b| {
                format!(
                    "created batch {}: {} codes x {} user(s), redeemable until {}; e exports it",
                    b.id,
                    b.code_count,
                    b.users_per_code,
                    b.expires_at.format("%Y-%m-%d")
                )
            });
            if !super::validate::answered(app, result, |k| matches!(k, FormKind::Batch { .. })) {
                return Vec::new();
            }
            app.codes.tab = CodeTab::Batches;
            app.codes.loaded_for = None;
            app.codes.select_batch = id;
            let mut effects = reload(app);
            effects.extend(resync(app));
            effects
        }
        CodesAction::BatchUpdated(result) => {
            let batch = result.as_ref().ok().cloned();
            let text = result.map(|b| format!("saved the options of batch {}", b.id));
            if super::validate::answered(app, text, |k| matches!(k, FormKind::BatchOptions { .. }))
                && let Some(batch) = batch
                && let Some(slot) = app.codes.batches.iter_mut().find(|b| b.id == batch.id)
            {
                *slot = batch;
            }
            Vec::new()
        }
        CodesAction::Exported(result) => {
            app.codes.exporting = false;
            match result {
                Ok(text) => notify(app, text, false),
                Err(text) => notify(app, text, true),
            }
            Vec::new()
        }
    }
}
