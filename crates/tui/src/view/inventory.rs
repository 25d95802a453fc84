//! The Inventory pane: the License Inventory table (or the pending
//! requests) under a line of filters and the keys that act on a row.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};
use seatdesk_core::{InventoryType, LicenseStatus, Permission};

use super::hints::{Hint, hint_lines};
use super::{body_height, header_row, window};
use crate::app::{App, InventoryTab, inventory_type_label, order_status_label};
use crate::keymap::Command;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let lines = info_lines(app, area.width);
    let [info, list] =
        Layout::vertical([Constraint::Length(lines.len() as u16), Constraint::Min(1)]).areas(area);
    frame.render_widget(Paragraph::new(lines), info);
    match app.inventory.tab {
        InventoryTab::Licenses => licenses(app, frame, list),
        InventoryTab::Requests => requests(app, frame, list),
    }
}

fn info_lines(app: &App, width: u16) -> Vec<Line<'static>> {
    let v = &app.inventory;
    let status = v.order_status.map_or("all", order_status_label);
    let kind = v
        .inventory_type
        .map_or("all", |t| inventory_type_label(t, true));
    let search = if v.searched.is_empty() {
        "none".to_string()
    } else {
        format!("{} = {}", v.field.label(), v.searched)
    };
    let tabs = |tab: InventoryTab, label: &str| {
        if v.tab == tab {
            Span::styled(format!("[{label}]"), app.theme.selected())
        } else {
            Span::raw(format!(" {label} "))
        }
    };
    let requests_label = if app.lacks(Permission::DecideRequest).is_some() {
        "Requests (n/a)".to_string()
    } else if v.requests_loaded {
        format!("Requests ({})", v.requests.len())
    } else {
        "Requests".to_string()
    };
    let counts = |t: InventoryType| v.rows.iter().filter(|l| l.inventory_type == t).count();
    let first = Line::from(vec![
        tabs(InventoryTab::Licenses, "Licenses"),
        tabs(InventoryTab::Requests, &requests_label),
        Span::styled(
            format!(
                "  {} center, {} UAC, {} pool",
                counts(InventoryType::CenterLicense),
                counts(InventoryType::UserActivationCodes),
                counts(InventoryType::SeatPool)
            ),
            app.theme.dim(),
        ),
    ]);
    let second = Line::from(vec![
        Span::styled("Status ", app.theme.dim()),
        Span::styled(status.to_string(), app.theme.title()),
        Span::styled(" | Type ", app.theme.dim()),
        Span::styled(kind.to_string(), app.theme.title()),
        Span::styled(" | Search ", app.theme.dim()),
        Span::styled(search, app.theme.warn()),
    ]);
    let hints: Vec<Hint> = match v.tab {
        InventoryTab::Licenses => vec![
            Hint::new(app, Command::CycleOrderStatus, "status"),
            Hint::new(app, Command::CycleInventoryType, "type"),
            Hint::new(app, Command::Filter, "search"),
            Hint::new(app, Command::Open, "codes"),
            Hint::new(app, Command::ToggleLicense, "(de)activate"),
            Hint::new(app, Command::Renew, "renew"),
            Hint::new(app, Command::RequestLicense, "new"),
        ],
        InventoryTab::Requests => {
            let own = crate::update::decide_blocked(app)
                .map(|_| "your own org's requests are decided by a parent org".to_string());
            vec![
                Hint::new(app, Command::Approve, "approve").or_blocked(own.clone()),
                Hint::new(app, Command::Reject, "reject").or_blocked(own),
                Hint::new(app, Command::PrevTab, "licenses"),
            ]
        }
    };
    let mut lines = vec![first, second];
    lines.extend(hint_lines(app, &hints, width));
    lines
}

fn title(app: &App) -> String {
    let v = &app.inventory;
    let source = if v.from_server { "" } else { ", cached" };
    let mut title = format!(" License Inventory ({}{source}", v.rows.len());
    if v.truncated {
        title.push_str(", more: narrow the search");
    }
    title.push(')');
    if v.loading {
        title.push_str(" loading...");
    }
    if let Some(error) = &v.error {
        title.push_str(&format!(" - {error}"));
    }
    title.push(' ');
    title
}

fn yes_no(value: bool) -> &'static str {
    if value { "Yes" } else { "No" }
}

fn licenses(app: &App, frame: &mut Frame, area: Rect) {
    let v = &app.inventory;
    let wide = area.width >= 120;
    let height = body_height(area);
    let range = window(&v.list, v.rows.len(), height);
    let rows: Vec<Row> = v.rows[range.clone()]
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let toggling = v.toggling.contains(&l.id);
            let style = if range.start + i == v.list.cursor {
                app.theme.selected()
            } else if l.status != LicenseStatus::Active {
                app.theme.dim()
            } else if l.remaining_days < 0 {
                app.theme.danger()
            } else if l.remaining_days <= 30 {
                app.theme.warn()
            } else {
                Style::default()
            };
            let status = if toggling {
                "...".to_string()
            } else {
                l.status.to_string()
            };
            let renewal = match (l.renewal_requested, l.renewed) {
                (_, true) => "done",
                (true, false) => "req",
                (false, false) => "-",
            };
            let mut cells = vec![
                Cell::from(l.order_number.clone()),
                Cell::from(l.purchase_order.clone()),
                Cell::from(inventory_type_label(l.inventory_type, wide)),
            ];
            if wide {
                cells.extend([
                    Cell::from(l.product_name.clone()),
                    Cell::from(l.teacher_code.clone().unwrap_or_else(|| "-".into())),
                    Cell::from(l.start_date.to_string()),
                ]);
            }
            cells.extend([
                Cell::from(l.finish_date.to_string()),
                Cell::from(l.remaining_days.to_string()),
                Cell::from(l.teachers.to_string()),
                Cell::from(l.students.to_string()),
                Cell::from(status),
            ]);
            if wide {
                cells.extend([
                    Cell::from(yes_no(l.renewal_requested)),
                    Cell::from(yes_no(l.renewed)),
                ]);
            } else {
                cells.push(Cell::from(renewal));
            }
            Row::new(cells).style(style)
        })
        .collect();
    let (header, widths): (Vec<&str>, Vec<Constraint>) = if wide {
        (
            vec![
                "Order #",
                "Purchase Order",
                "Inventory Type",
                "Product",
                "Teacher Code",
                "Start",
                "Finish",
                "Days",
                "Teachers",
                "Students",
                "Status",
                "Renew req",
                "Renewed",
            ],
            vec![
                Constraint::Length(8),
                Constraint::Min(13),
                Constraint::Length(21),
                Constraint::Min(18),
                Constraint::Length(15),
                Constraint::Length(10),
                Constraint::Length(10),
                Constraint::Length(5),
                Constraint::Length(8),
                Constraint::Length(8),
                Constraint::Length(11),
                Constraint::Length(9),
                Constraint::Length(7),
            ],
        )
    } else {
        (
            vec![
                "Order", "PO", "Type", "Finish", "Days", "Tch", "Stu", "Status", "Renew",
            ],
            vec![
                Constraint::Length(8),
                Constraint::Min(8),
                Constraint::Length(6),
                Constraint::Length(10),
                Constraint::Length(5),
                Constraint::Length(4),
                Constraint::Length(5),
                Constraint::Length(11),
                Constraint::Length(6),
            ],
        )
    };
    let table = Table::new(rows, widths)
        .header(header_row(header))
        .block(Block::bordered().title(title(app)));
    frame.render_widget(table, area);
}

fn requests(app: &App, frame: &mut Frame, area: Rect) {
    let v = &app.inventory;
    let wide = area.width >= 120;
    let mut title = format!(" Pending requests ({})", v.requests.len());
    if v.requests_loading {
        title.push_str(" loading...");
    }
    if let Some(error) = &v.requests_error {
        title.push_str(&format!(" - {error}"));
    }
    title.push(' ');
    let height = body_height(area);
    let range = window(&v.requests_list, v.requests.len(), height);
    let own_org = app.me.as_ref().map(|m| m.org_id);
    let rows: Vec<Row> = v.requests[range.clone()]
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let style = if range.start + i == v.requests_list.cursor {
                app.theme.selected()
            } else if Some(r.org_id) == own_org {
                app.theme.dim()
            } else {
                Style::default()
            };
            let mut cells = vec![
                Cell::from(r.id.to_string()),
                Cell::from(match r.kind {
                    seatdesk_core::RequestKind::Renewal => "renewal",
                    seatdesk_core::RequestKind::NewLicense => "new",
                }),
                Cell::from(r.org_name.clone()),
                Cell::from(r.product_name.clone().unwrap_or_else(|| "-".into())),
                Cell::from(r.students.map_or("-".into(), |s| s.to_string())),
            ];
            if wide {
                cells.extend([
                    Cell::from(r.start_date.map_or("-".into(), |d| d.to_string())),
                    Cell::from(r.finish_date.map_or("-".into(), |d| d.to_string())),
                    Cell::from(r.purchase_order.clone()),
                    Cell::from(r.created_by.clone()),
                    Cell::from(r.comments.clone()),
                ]);
            }
            Row::new(cells).style(style)
        })
        .collect();
    let mut header = vec!["Id", "Kind", "Requested by", "Product", "Students"];
    let mut widths = vec![
        Constraint::Length(5),
        Constraint::Length(8),
        Constraint::Min(14),
        Constraint::Min(14),
        Constraint::Length(8),
    ];
    if wide {
        header.extend(["Start", "Finish", "PO", "By", "Comments"]);
        widths.extend([
            Constraint::Length(10),
            Constraint::Length(10),
            Constraint::Length(12),
            Constraint::Length(12),
            Constraint::Min(16),
        ]);
    }
    let table = Table::new(rows, widths)
        .header(header_row(header))
        .block(Block::bordered().title(title));
    frame.render_widget(table, area);
}
