//! The Inventory pane: the License Inventory table (or the pending
//! requests) under a line of filters and the keys that act on a row.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use seatdesk_core::{InventoryType, LicenseStatus, Permission};

use super::columns::{self, Col};
use super::hints::{Hint, hint_lines};
use super::{body_height, list_position, window};
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
    let mut second = vec![
        Span::styled("Status ", app.theme.dim()),
        Span::styled(status.to_string(), app.theme.title()),
        Span::styled(" | Type ", app.theme.dim()),
        Span::styled(kind.to_string(), app.theme.title()),
        Span::styled(" | Search ", app.theme.dim()),
        Span::styled(search, app.theme.warn()),
    ];
    // The Dashboard's drill-down: one product's licenses (Esc: all).
    if let Some((_, name)) = &v.product {
        second.push(Span::styled(" | Product ", app.theme.dim()));
        second.push(Span::styled(name.clone(), app.theme.warn()));
    }
    let second = Line::from(second);
    let hints: Vec<Hint> = match v.tab {
        InventoryTab::Licenses => vec![
            Hint::new(app, Command::CycleOrderStatus, "status"),
            Hint::new(app, Command::CycleInventoryType, "type"),
            Hint::new(app, Command::Filter, "search"),
            Hint::new(app, Command::Open, "codes"),
            Hint::new(app, Command::ToggleLicense, "(de)activate"),
            Hint::new(app, Command::Renew, "renew"),
            Hint::new(app, Command::RequestLicense, "new"),
            // Last: the first to go when the line is too narrow.
            Hint::new(app, Command::OpenTeachers, "teachers"),
            Hint::new(app, Command::EditOrder, "order"),
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

fn licenses(app: &App, frame: &mut Frame, area: Rect) {
    let v = &app.inventory;
    let wide = area.width >= 120;
    let height = body_height(area);
    let range = window(&v.list, v.rows.len(), height);
    let mut cols = [
        Col::fixed("Order #", 0),
        Col::text("Purchase Order", 6, 4),
        Col::fixed("Inventory Type", 6),
        Col::text("Product", 10, 2),
        Col::fixed("Teacher Code", 8),
        Col::fixed("Start", 7),
        Col::fixed("Finish", 1),
        Col::number("Days", 0),
        Col::fixed("Full in", 4),
        Col::number("Teachers", 3),
        Col::number("Students", 3),
        Col::fixed("Status", 0),
        Col::fixed("Renewal", 5),
    ];
    let mut styles = Vec::new();
    for (i, l) in v.rows[range.clone()].iter().enumerate() {
        styles.push(if range.start + i == v.list.cursor {
            app.theme.selected()
        } else if l.status != LicenseStatus::Active {
            app.theme.dim()
        } else if l.remaining_days < 0 {
            app.theme.danger()
        } else if l.remaining_days <= 30 {
            app.theme.warn()
        } else {
            Style::default()
        });
        let status = if v.toggling.contains(&l.id) {
            "...".to_string()
        } else {
            l.status.to_string()
        };
        let renewal = match (l.renewal_requested, l.renewed) {
            (_, true) => "renewed",
            (true, false) => "requested",
            (false, false) => "-",
        };
        let cells = [
            l.order_number.clone(),
            l.purchase_order.clone(),
            inventory_type_label(l.inventory_type, wide).to_string(),
            l.product_name.clone(),
            l.teacher_code.clone().unwrap_or_else(|| "-".into()),
            l.start_date.to_string(),
            l.finish_date.to_string(),
            l.remaining_days.to_string(),
            super::panes::full_in(l.forecast),
            l.teachers.to_string(),
            l.students.to_string(),
            status,
            renewal.to_string(),
        ];
        for (col, cell) in cols.iter_mut().zip(cells) {
            col.push(cell);
        }
    }
    let table = columns::table(&cols, area.width.saturating_sub(2), |i| styles[i]).block(
        Block::bordered()
            .title(title(app))
            .title_bottom(list_position(&v.list, v.rows.len())),
    );
    frame.render_widget(table, area);
}

fn requests(app: &App, frame: &mut Frame, area: Rect) {
    let v = &app.inventory;
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
    let mut cols = [
        Col::number("Id", 0),
        Col::fixed("Kind", 0),
        Col::text("Requested by", 10, 0),
        Col::text("Product", 10, 1),
        Col::number("Students", 2),
        Col::fixed("Start", 5),
        Col::fixed("Finish", 4),
        Col::text("PO", 6, 6),
        Col::text("By", 6, 7),
        Col::text("Comments", 8, 3),
    ];
    let mut styles = Vec::new();
    for (i, r) in v.requests[range.clone()].iter().enumerate() {
        styles.push(if range.start + i == v.requests_list.cursor {
            app.theme.selected()
        } else if Some(r.org_id) == own_org {
            app.theme.dim()
        } else {
            Style::default()
        });
        let cells = [
            r.id.to_string(),
            match r.kind {
                seatdesk_core::RequestKind::Renewal => "renewal",
                seatdesk_core::RequestKind::NewLicense => "new",
            }
            .to_string(),
            r.org_name.clone(),
            r.product_name.clone().unwrap_or_else(|| "-".into()),
            r.students.map_or("-".into(), |s| s.to_string()),
            r.start_date.map_or("-".into(), |d| d.to_string()),
            r.finish_date.map_or("-".into(), |d| d.to_string()),
            r.purchase_order.clone(),
            r.created_by.clone(),
            r.comments.clone(),
        ];
        for (col, cell) in cols.iter_mut().zip(cells) {
            col.push(cell);
        }
    }
    let table = columns::table(&cols, area.width.saturating_sub(2), |i| styles[i]).block(
        Block::bordered()
            .title(title)
            .title_bottom(list_position(&v.requests_list, v.requests.len())),
    );
    frame.render_widget(table, area);
}
