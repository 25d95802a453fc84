//! A form's Enter: each field checked and turned into a request body,
//! problems marked on their fields, and the server's answer applied.

use std::path::PathBuf;

use chrono::NaiveDate;
use seatdesk_core::InventoryType;
use seatdesk_core::api::codes::{CodeBatchPatch, ExportFormat, NewCodeBatch};
use seatdesk_core::api::requests::{NewLicenseRequest, NewRenewal, NewRequest};

use super::forms::product_options;
use super::notify;
use crate::app::{App, Dialog, Effect};
use crate::form::{FieldKind, Form, FormKind};

const DATE_HINT: &str = "YYYY-MM-DD";
/// Most seats or students a request may name (the server's limit).
const MAX_SEATS: i64 = 10_000_000;
const MAX_TEXT: usize = 2000;

fn whole(form: &mut Form, key: &str, required: bool) -> Option<i64> {
    let text = form.value(key);
    if text.is_empty() {
        if required {
            form.set_error(key, "required".into());
        }
        return None;
    }
    match text.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            form.set_error(key, format!("'{text}' is not a whole number"));
            None
        }
    }
}

fn date(form: &mut Form, key: &str, required: bool) -> Option<NaiveDate> {
    let text = form.value(key);
    if text.is_empty() {
        if required {
            form.set_error(key, "required".into());
        }
        return None;
    }
    match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            form.set_error(key, format!("'{text}' is not a date ({DATE_HINT})"));
            None
        }
    }
}

fn seats(form: &mut Form, key: &str, value: Option<i64>) -> Option<i64> {
    let value = value?;
    if (1..=MAX_SEATS).contains(&value) {
        Some(value)
    } else {
        form.set_error(key, format!("must be between 1 and {MAX_SEATS}"));
        None
    }
}

fn text(form: &mut Form, key: &str) -> Option<String> {
    let value = form.value(key);
    if value.len() > MAX_TEXT {
        form.set_error(key, format!("at most {MAX_TEXT} characters"));
    }
    (!value.is_empty()).then_some(value)
}

fn dates_in_order(form: &mut Form, start: Option<NaiveDate>, finish: Option<NaiveDate>) {
    if let (Some(s), Some(f)) = (start, finish)
        && f < s
    {
        form.set_error("finish_date", "must not be before the start date".into());
    }
}

/// Expands a leading `~` and makes a relative path relative to the export dir.
fn resolve_path(app: &App, typed: &str) -> PathBuf {
    let path = match (typed.strip_prefix("~/"), &app.home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ if typed == "~" => app.home.clone().unwrap_or_else(|| PathBuf::from(typed)),
        _ => PathBuf::from(typed),
    };
    if path.is_absolute() {
        path
    } else {
        app.export_dir.join(path)
    }
}

/// Turns the form into its effect, or marks what is wrong on the fields.
fn validate(app: &App, form: &mut Form) -> Option<Effect> {
    form.clear_errors();
    let effect = match form.kind.clone() {
        FormKind::Batch { license_id } => {
            let count = whole(form, "count", true);
            let users = whole(form, "users_per_code", true);
            let days = whole(form, "duration_days", true);
            let batch = NewCodeBatch {
                count: count.unwrap_or(0),
                users_per_code: users.unwrap_or(0),
                duration_days: days.unwrap_or(0),
                enable_benchmark: form.checked("enable_benchmark"),
                enable_exercises: form.checked("enable_exercises"),
                enable_badges: form.checked("enable_badges"),
                require_teacher_link: form.checked("require_teacher_link"),
            };
            for problem in batch.problems() {
                let key = ["count", "users_per_code", "duration_days"]
                    .into_iter()
                    .find(|k| problem.starts_with(k))
                    .unwrap_or("");
                if form.field(key).is_some_and(|f| f.error.is_none()) {
                    let message = problem.trim_start_matches(key).trim().to_string();
                    form.set_error(key, message);
                }
            }
            Effect::CreateBatch { license_id, batch }
        }
        // Saved without validation (see `submit`): nothing to check.
        FormKind::EditOrder { .. } => return None,
        FormKind::BatchOptions { batch_id } => Effect::PatchBatch {
            batch_id,
            patch: CodeBatchPatch {
                enable_benchmark: Some(form.checked("enable_benchmark")),
                enable_exercises: Some(form.checked("enable_exercises")),
                enable_badges: Some(form.checked("enable_badges")),
                require_teacher_link: Some(form.checked("require_teacher_link")),
            },
        },
        FormKind::Export { batch_id } => {
            let typed = form.value("path");
            let lower = typed.to_lowercase();
            let format = if lower.ends_with(".csv") {
                ExportFormat::Csv
            } else {
                ExportFormat::Xlsx
            };
            if typed.is_empty() {
                form.set_error("path", "required".into());
            } else if !(lower.ends_with(".xlsx") || lower.ends_with(".csv")) {
                form.set_error("path", "end the name in .xlsx or .csv".into());
            }
            Effect::ExportBatch {
                batch_id,
                format,
                path: resolve_path(app, &typed),
            }
        }
        FormKind::Renewal { license_id } => {
            let start = date(form, "start_date", true);
            let finish = date(form, "finish_date", true);
            dates_in_order(form, start, finish);
            let students = whole(form, "students", false);
            let students = seats(form, "students", students);
            Effect::SubmitRequest(NewRequest::Renewal(NewRenewal {
                license_id,
                new_code: form.choice("new_code") == 0,
                start_date: start.unwrap_or_default(),
                finish_date: finish.unwrap_or_default(),
                students,
                purchase_order: text(form, "purchase_order"),
                comments: text(form, "comments"),
                courses: None,
                product_id: None,
            }))
        }
        FormKind::NewLicense => {
            let account = app.accounts.get(form.choice("account")).map(|(id, _)| *id);
            if account.is_none() {
                form.set_error("account", "no purchasing account is known yet".into());
            }
            let product = product_options(app)
                .get(form.choice("product"))
                .map(|(id, _)| *id);
            if product.is_none() {
                form.set_error("product", "no product is known yet".into());
            }
            let students = whole(form, "students", true);
            let students = seats(form, "students", students);
            let start = date(form, "start_date", false);
            let finish = date(form, "finish_date", false);
            dates_in_order(form, start, finish);
            let courses = form
                .fields
                .iter()
                .filter(|f| {
                    f.key == "course" && matches!(f.kind, FieldKind::Check { checked: true })
                })
                .map(|f| f.label.clone())
                .collect();
            Effect::SubmitRequest(NewRequest::NewLicense(NewLicenseRequest {
                account_id: account.unwrap_or(0),
                inventory_type: InventoryType::ALL[form
                    .choice("inventory_type")
                    .min(InventoryType::ALL.len() - 1)],
                students: students.unwrap_or(0),
                product_id: product.unwrap_or(0),
                courses,
                start_date: start,
                finish_date: finish,
                purchase_order: text(form, "purchase_order"),
                comments: text(form, "comments"),
            }))
        }
        FormKind::Approve { request_id } => {
            let granted = whole(form, "seats", false);
            let granted = seats(form, "seats", granted);
            Effect::Decide {
                request_id,
                approve: true,
                comments: text(form, "comments").unwrap_or_default(),
                seats: granted,
            }
        }
        FormKind::Reject { request_id } => {
            let reason = text(form, "comments");
            if reason.is_none() {
                form.set_error("comments", "say why, for the requester".into());
            }
            Effect::Decide {
                request_id,
                approve: false,
                comments: reason.unwrap_or_default(),
                seats: None,
            }
        }
    };
    (!form.has_errors()).then_some(effect)
}

/// Enter in a form: sends it when valid; otherwise it stays open with
/// each problem next to its field.
pub(super) fn submit(app: &mut App, mut form: Form) -> Vec<Effect> {
    if form.submitting {
        app.dialog = Some(Dialog::Form(form));
        return Vec::new();
    }
    if let FormKind::EditOrder { license_id } = form.kind {
        super::inventory::save_edit_order(app, &form, license_id);
        return Vec::new();
    }
    let effect = validate(app, &mut form);
    let Some(effect) = effect else {
        // Straight to the first thing to fix.
        if let Some(at) = form.fields.iter().position(|f| f.error.is_some()) {
            form.focus = at;
            form.caret = usize::MAX;
        }
        app.dialog = Some(Dialog::Form(form));
        return Vec::new();
    };
    if let Effect::ExportBatch { .. } = effect {
        // The export runs on while the user moves on; the status line reports.
        app.codes.exporting = true;
        notify(app, "exporting...".into(), false);
        return vec![effect];
    }
    form.submitting = true;
    app.dialog = Some(Dialog::Form(form));
    vec![effect]
}

/// The server answered a form's request. True when it succeeded (the form,
/// if still open, is closed and the status line says so); on failure an
/// open form shows why and stays open for another try.
pub(super) fn answered(
    app: &mut App,
    result: Result<String, String>,
    mine: impl Fn(&FormKind) -> bool,
) -> bool {
    let open = matches!(&app.dialog, Some(Dialog::Form(f)) if mine(&f.kind));
    match result {
        Ok(text) => {
            if open {
                app.dialog = None;
            }
            notify(app, text, false);
            true
        }
        Err(error) => {
            tracing::warn!(%error, "request refused");
            if let Some(Dialog::Form(form)) = &mut app.dialog
                && open
            {
                form.submitting = false;
                form.error = Some(error);
            } else {
                notify(app, error, true);
            }
            false
        }
    }
}
