//! Forms: building each one from what is known, keys while one is open,
//! validation into a request body on Enter, and the server's answer.

use std::path::PathBuf;

use chrono::{Days, NaiveDate};
use crossterm::event::KeyEvent;
use seatdesk_core::InventoryType;
use seatdesk_core::api::codes::{ExportFormat, NewCodeBatch};
use seatdesk_core::api::inventory::License;
use seatdesk_core::api::requests::{LicenseRequest, NewLicenseRequest, NewRenewal, NewRequest};

use super::notify;
use crate::app::{App, Dialog, Effect};
use crate::form::{Field, FieldKind, Form, FormKind};

const DATE_HINT: &str = "YYYY-MM-DD";
/// Most seats or students a request may name (the server's limit).
const MAX_SEATS: i64 = 10_000_000;
const MAX_TEXT: usize = 2000;

pub fn batch_form(license: &License) -> Form {
    Form::new(
        FormKind::Batch {
            license_id: license.id,
        },
        &format!("User Activation Codes - order {}", license.order_number),
        "Create Codes",
        vec![
            Field::note(&format!(
                "{} - PO {} - teacher code {} - {} seats available",
                license.product_name,
                dash(&license.purchase_order),
                license.teacher_code.as_deref().unwrap_or("-"),
                license.seats_available
            )),
            Field::text("count", "Number of codes", "10", "1-10000"),
            Field::text("users_per_code", "Users per code", "1", "1-1000"),
            Field::text("duration_days", "Duration (days)", "365", "1-3650"),
            Field::check("enable_benchmark", "Enable Benchmark", true),
            Field::check(
                "enable_exercises",
                "Enable Creative and Validation Exercises",
                true,
            ),
            Field::check("enable_badges", "Enable Badges Assignment", false),
            Field::check(
                "require_teacher_link",
                "The student must be linked to a teacher before starting the course",
                false,
            ),
        ],
    )
}

fn dash(text: &str) -> &str {
    if text.is_empty() { "-" } else { text }
}

/// The path prompt of an export, with `~/seatdesk-batch-<id>.xlsx` (or the
/// export directory without a home) filled in.
pub fn export_form(app: &App, batch_id: i64) -> Form {
    let name = format!("seatdesk-batch-{batch_id}.xlsx");
    let default = match &app.home {
        Some(_) => format!("~/{name}"),
        None => app.export_dir.join(&name).display().to_string(),
    };
    Form::new(
        FormKind::Export { batch_id },
        &format!("Export batch {batch_id}"),
        "Export",
        vec![
            Field::text("path", "Save to", &default, "path ending in .xlsx or .csv"),
            Field::note("Columns: Code, Users per code, Name, Last Name, Email."),
            Field::note("The format follows the extension: .xlsx (Excel) or .csv."),
            Field::note("An existing file is never overwritten."),
        ],
    )
}

pub fn renewal_form(license: &License) -> Form {
    let start = license
        .finish_date
        .checked_add_days(Days::new(1))
        .unwrap_or(license.finish_date);
    let length = (license.finish_date - license.start_date).num_days().max(1) as u64;
    let finish = start.checked_add_days(Days::new(length)).unwrap_or(start);
    let mut fields = vec![
        Field::note(&format!(
            "Order {} - {} - {} - now {} to {}",
            license.order_number,
            license.product_name,
            crate::app::inventory_type_label(license.inventory_type, true),
            license.start_date,
            license.finish_date
        )),
        Field::choice(
            "new_code",
            "Code",
            vec![
                "Create New Code (new school year)".into(),
                "Use Existing Code".into(),
            ],
            0,
        ),
        Field::text(
            "purchase_order",
            "Purchase Order",
            &license.purchase_order,
            "",
        ),
        Field::text("start_date", "Start Date *", &start.to_string(), DATE_HINT),
        Field::text(
            "finish_date",
            "Finish Date *",
            &finish.to_string(),
            DATE_HINT,
        ),
        Field::text("students", "Students", "", "as now"),
        Field::text("comments", "Requester Comments", "", ""),
        Field::note("Products Information (cannot change on renewal):"),
    ];
    if license.courses.is_empty() {
        fields.push(Field::fixed(&license.product_name, true));
    }
    fields.extend(license.courses.iter().map(|c| Field::fixed(c, true)));
    Form::new(
        FormKind::Renewal {
            license_id: license.id,
        },
        "Request License Renewal",
        "Request License Renewal",
        fields,
    )
}

/// Courses seen on any known license of `product_id`, sorted.
fn courses_of(app: &App, product_id: i64) -> Vec<String> {
    let mut courses: Vec<String> = app
        .licenses
        .iter()
        .chain(&app.inventory.rows)
        .filter(|l| l.product_id == product_id)
        .flat_map(|l| l.courses.iter().cloned())
        .collect();
    courses.sort();
    courses.dedup();
    courses
}

fn product_options(app: &App) -> Vec<(i64, String)> {
    if !app.products.is_empty() {
        return app
            .products
            .iter()
            .map(|p| (p.id, format!("{} ({})", p.name, p.sku)))
            .collect();
    }
    // Until the catalogue arrives, the products of known licenses.
    let mut seen: Vec<(i64, String)> = app
        .licenses
        .iter()
        .map(|l| {
            (
                l.product_id,
                format!("{} ({})", l.product_name, l.product_sku),
            )
        })
        .collect();
    seen.sort();
    seen.dedup();
    seen
}

pub fn new_license_form(app: &App) -> Form {
    let accounts: Vec<String> = app
        .accounts
        .iter()
        .map(|(_, label)| label.clone())
        .collect();
    let account = app
        .account
        .and_then(|a| app.accounts.iter().position(|(id, _)| *id == a))
        .unwrap_or(0);
    let products: Vec<String> = product_options(app).into_iter().map(|(_, l)| l).collect();
    let mut form = Form::new(
        FormKind::NewLicense,
        "Request New License",
        "Request New License",
        vec![
            Field::choice("account", "Purchasing account", accounts, account),
            Field::choice(
                "inventory_type",
                "Inventory Type",
                InventoryType::ALL
                    .iter()
                    .map(|t| crate::app::inventory_type_label(*t, true).to_string())
                    .collect(),
                0,
            ),
            Field::choice("product", "Product", products, 0),
            Field::text("students", "Students *", "", "seats wanted"),
            Field::text("start_date", "Start Date", "", "day of approval"),
            Field::text("finish_date", "Finish Date", "", "a year after start"),
            Field::text("purchase_order", "Purchase Order", "", ""),
            Field::text("comments", "Requester Comments", "", ""),
            Field::note("Products Information - activate the courses wanted:"),
        ],
    );
    set_courses(app, &mut form);
    form
}

/// Replaces the course checkboxes with those of the chosen product.
fn set_courses(app: &App, form: &mut Form) {
    form.fields.retain(|f| f.key != "course");
    let options = product_options(app);
    let Some((product, _)) = options.get(form.choice("product")) else {
        return;
    };
    let courses = courses_of(app, *product);
    if courses.is_empty() {
        form.fields.push(Field {
            key: "course",
            label: "(no courses listed for this product)".into(),
            kind: FieldKind::Note,
            error: None,
        });
    }
    for course in courses {
        form.fields.push(Field::check("course", &course, false));
    }
}

/// The catalogue arrived: an open new-license form offers all of it.
pub(super) fn products_arrived(app: &mut App) {
    let Some(Dialog::Form(form)) = &app.dialog else {
        return;
    };
    if form.kind != FormKind::NewLicense {
        return;
    }
    let mut form = form.clone();
    if let Some(field) = form.field_mut("product") {
        field.kind = FieldKind::Choice {
            options: product_options(app).into_iter().map(|(_, l)| l).collect(),
            index: 0,
        };
    }
    set_courses(app, &mut form);
    app.dialog = Some(Dialog::Form(form));
}

pub fn decision_form(request: &LicenseRequest, approve: bool) -> Form {
    let what = match (&request.product_name, request.students) {
        (Some(p), Some(s)) => format!("{p}, {s} students"),
        (Some(p), None) => p.clone(),
        (None, _) => "-".into(),
    };
    let mut fields = vec![
        Field::note(&format!(
            "{} request {} from {} by {} on {}",
            match request.kind {
                seatdesk_core::RequestKind::Renewal => "Renewal",
                seatdesk_core::RequestKind::NewLicense => "New license",
            },
            request.id,
            request.org_name,
            request.created_by,
            request.created_at.format("%Y-%m-%d")
        )),
        Field::note(&format!(
            "{what}; {} to {}",
            request.start_date.map_or("-".into(), |d| d.to_string()),
            request.finish_date.map_or("-".into(), |d| d.to_string())
        )),
    ];
    if !request.comments.is_empty() {
        fields.push(Field::note(&format!("Comments: {}", request.comments)));
    }
    let (kind, title, submit) = if approve {
        fields.push(Field::text("seats", "Seats to grant", "", "as asked"));
        fields.push(Field::text("comments", "Approval Comments", "", ""));
        (
            FormKind::Approve {
                request_id: request.id,
            },
            format!("Approve request {}", request.id),
            "Approve",
        )
    } else {
        fields.push(Field::text("comments", "Reason *", "", "required"));
        (
            FormKind::Reject {
                request_id: request.id,
            },
            format!("Reject request {}", request.id),
            "Reject",
        )
    };
    Form::new(kind, &title, submit, fields)
}

/// A key while a form is open.
pub(super) fn form_key(app: &mut App, key: KeyEvent) {
    let Some(Dialog::Form(form)) = &mut app.dialog else {
        return;
    };
    if form.submitting {
        return;
    }
    let changed = form.key(key);
    if changed && form.kind == FormKind::NewLicense && form.focused_key() == "product" {
        let mut form = form.clone();
        set_courses(app, &mut form);
        app.dialog = Some(Dialog::Form(form));
    }
}

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
    let effect = validate(app, &mut form);
    let Some(effect) = effect else {
        // Straight to the first thing to fix.
        if let Some(at) = form.fields.iter().position(|f| f.error.is_some()) {
            form.focus = at;
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
