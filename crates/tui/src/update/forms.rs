//! Forms: building each one from what is known, and keys while one is
//! open. Enter is `validate`'s.

use chrono::Days;
use crossterm::event::KeyEvent;
use seatdesk_core::InventoryType;
use seatdesk_core::api::codes::CodeBatch;
use seatdesk_core::api::inventory::License;
use seatdesk_core::api::requests::LicenseRequest;

use crate::app::{App, Dialog};
use crate::form::{Field, FieldKind, Form, FormKind};

const DATE_HINT: &str = "YYYY-MM-DD";

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
/// The seed's Edit Order window for `license`: what the order says, who
/// it came from and went to, the comments of the request it came from
/// (when the Requests tab has loaded it), its products (courses); only
/// Active License can change, and only for a token that may toggle it.
pub fn edit_order_form(app: &App, license: &License) -> Form {
    let label = |account: i64| {
        app.accounts
            .iter()
            .find(|(id, _)| *id == account)
            .map_or_else(|| format!("account {account}"), |(_, l)| l.clone())
    };
    let assigned_by = license
        .parent_license_id
        .and_then(|p| app.find_license(p))
        .map_or_else(
            || "the catalogue's seller (no parent order)".to_string(),
            |parent| {
                format!(
                    "{} (order {})",
                    label(parent.account_id),
                    parent.order_number
                )
            },
        );
    let request = app
        .inventory
        .requests
        .iter()
        .find(|r| r.result_license_id == Some(license.id) || r.license_id == Some(license.id));
    let live = matches!(
        license.status,
        seatdesk_core::LicenseStatus::Active | seatdesk_core::LicenseStatus::Depleted
    );
    let may_toggle = license.status != seatdesk_core::LicenseStatus::Requested
        && app.blocked(crate::keymap::Command::ToggleLicense).is_none();
    let mut fields = vec![
        Field::note(&format!("Order Number: {}", license.order_number)),
        Field::note(&format!(
            "Purchase Order: {}",
            dash(&license.purchase_order)
        )),
        Field::note(&format!(
            "Order Status: {} ({})",
            license.status,
            match license.standing {
                seatdesk_core::seats::DateStanding::InGrace => "in its grace period",
                seatdesk_core::seats::DateStanding::Lapsed => "past its grace period",
                seatdesk_core::seats::DateStanding::NotStarted => "not started",
                _ => "in date",
            }
        )),
        Field::note(&format!("Assigned By: {assigned_by}")),
        Field::note(&format!("Assigned To: {}", label(license.account_id))),
        Field::note(&format!(
            "Teacher Code: {}",
            license.teacher_code.as_deref().unwrap_or("-")
        )),
        Field::note(&format!(
            "Inventory Type: {}",
            crate::app::inventory_type_label(license.inventory_type, true)
        )),
        Field::note(&format!(
            "Start Date: {}   Finish Date: {}   Grace: {} days",
            license.start_date, license.finish_date, license.grace_days
        )),
        Field::note(&format!(
            "Seats: {} purchased, {} used, {} available; Students: {}",
            license.seats.purchased,
            license.seats.consumed,
            license.seats_available,
            license.students
        )),
    ];
    fields.push(if may_toggle {
        Field::check("active", "Active License", live)
    } else {
        Field::fixed("Active License", live)
    });
    fields.push(Field::note(&format!(
        "Requester Comments: {}",
        request.map_or("-", |r| dash(&r.comments))
    )));
    fields.push(Field::note(&format!(
        "Approval Comments: {}",
        request.map_or("-", |r| dash(&r.approval_comments))
    )));
    fields.push(Field::note(&format!(
        "Products Information: {} ({}){}",
        license.product_name,
        license.product_sku,
        if license.courses.is_empty() {
            String::new()
        } else {
            format!("; courses: {}", license.courses.join(", "))
        }
    )));
    Form::new(
        FormKind::EditOrder {
            license_id: license.id,
        },
        &format!("Edit Order {}", license.order_number),
        "Save",
        fields,
    )
}

/// The options of batch `batch`, as the seed's User Activation Codes
/// window shows them once the codes exist: the counts are fixed, the
/// checkboxes can change (`PATCH /v1/code-batches/{id}`).
pub fn batch_options_form(batch: &CodeBatch) -> Form {
    let o = &batch.options;
    Form::new(
        FormKind::BatchOptions { batch_id: batch.id },
        &format!("Batch {} options", batch.id),
        "Save",
        vec![
            Field::note(&format!(
                "{} codes x {} user(s), {} days; created by {} on {}",
                batch.code_count,
                batch.users_per_code,
                batch.duration_days,
                batch.created_by,
                batch.created_at.format("%Y-%m-%d")
            )),
            Field::check("enable_benchmark", "Enable Benchmark", o.enable_benchmark),
            Field::check(
                "enable_exercises",
                "Enable Creative and Validation Exercises",
                o.enable_exercises,
            ),
            Field::check("enable_badges", "Enable Badges Assignment", o.enable_badges),
            Field::check(
                "require_teacher_link",
                "The student must be linked to a teacher before starting the course",
                o.require_teacher_link,
            ),
        ],
    )
}

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

pub(super) fn product_options(app: &App) -> Vec<(i64, String)> {
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
