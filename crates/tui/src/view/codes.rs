//! The Codes pane: one license's codes by kind (tabs), or its
//! activation-code batches, with the keys that generate and export.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use seatdesk_core::Permission;

use super::columns::{self, Col};
use super::hints::{Hint, hint_lines};
use super::{body_height, day, list_position, window};
use crate::app::{App, CodeTab};
use crate::keymap::Command;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let lines = info_lines(app, area.width);
    let [info, list] =
        Layout::vertical([Constraint::Length(lines.len() as u16), Constraint::Min(1)]).areas(area);
    frame.render_widget(Paragraph::new(lines), info);
    if app.codes.tab == CodeTab::Batches {
        batches(app, frame, list);
    } else {
        codes(app, frame, list);
    }
}

fn info_lines(app: &App, width: u16) -> Vec<Line<'static>> {
    let v = &app.codes;
    let ids = app.license_ids();
    let keys = format!(
        "{} {}",
        app.keymap.keys_for(Command::PrevLicense),
        app.keymap.keys_for(Command::NextLicense)
    );
    let (head, about) = match v.license.and_then(|id| app.find_license(id)) {
        Some(l) => {
            let position = ids
                .iter()
                .position(|&x| x == l.id)
                .map_or(String::new(), |p| format!("{}/{} ", p + 1, ids.len()));
            let po = if l.purchase_order.is_empty() {
                "-"
            } else {
                &l.purchase_order
            };
            (
                format!(
                    "License {position}({keys}): order {} - {} - PO {po}",
                    l.order_number, l.product_name
                ),
                format!(
                    "Master code {} - teacher code {} - {} seats available",
                    l.master_code.as_deref().unwrap_or("-"),
                    l.teacher_code.as_deref().unwrap_or("-"),
                    l.seats_available
                ),
            )
        }
        None => ("No license to show.".to_string(), String::new()),
    };
    let mut tabs = Vec::new();
    for tab in CodeTab::ALL {
        if tab == v.tab {
            tabs.push(Span::styled(
                format!("[{}]", tab.title()),
                app.theme.selected(),
            ));
        } else {
            tabs.push(Span::raw(format!(" {} ", tab.title())));
        }
    }
    let export_blocked = (v.tab == CodeTab::Batches)
        .then(|| app.lacks(Permission::ManageCodes))
        .flatten();
    let mut hints = vec![
        Hint::new(app, Command::NextTab, "kind"),
        Hint::new(app, Command::NewBatch, "new batch"),
        Hint::new(
            app,
            Command::Export,
            if v.tab == CodeTab::Batches {
                "export batch"
            } else {
                "CSV"
            },
        )
        .or_blocked(export_blocked),
        Hint::new(app, Command::Filter, "filter"),
    ];
    if v.tab == CodeTab::Batches {
        hints.push(Hint::new(app, Command::EditBatch, "options"));
    }
    let mut lines = vec![
        Line::from(head),
        Line::from(Span::styled(about, app.theme.dim())),
        Line::from(tabs),
    ];
    lines.extend(hint_lines(app, &hints, width));
    lines
}

fn title(app: &App, what: &str, shown: usize, total: usize) -> String {
    let v = &app.codes;
    let mut title = format!(" {what} ({shown}");
    if shown != total {
        title.push_str(&format!(" of {total}"));
    }
    if v.truncated {
        title.push_str(", more on the server");
    }
    title.push(')');
    if !v.query.is_empty() {
        title.push_str(&format!(" /{}", v.query));
    }
    if v.loading {
        title.push_str(" loading...");
    }
    if v.exporting {
        title.push_str(" exporting...");
    }
    if let Some(error) = &v.error {
        title.push_str(&format!(" - {error}"));
    }
    title.push(' ');
    title
}

fn codes(app: &App, frame: &mut Frame, area: Rect) {
    let v = &app.codes;
    let height = body_height(area);
    let range = window(&v.list, v.rows.len(), height);
    let about = match v.tab {
        CodeTab::Resource => "Subject",
        _ => "Teacher / user",
    };
    let mut cols = [
        Col::fixed("Code", 0),
        Col::text(about, 8, 1),
        Col::fixed("Uses", 0),
        Col::fixed("Created", 2),
        Col::fixed("Expires", 3),
        Col::number("Seat", 4),
    ];
    let shown: Vec<_> = v.rows[range.clone()]
        .iter()
        .filter_map(|&index| v.codes.get(index))
        .collect();
    for c in &shown {
        let cells = [
            c.code.clone(),
            c.subject
                .clone()
                .or_else(|| c.user_email.clone())
                .unwrap_or_else(|| "-".into()),
            match c.max_uses {
                Some(max) => format!("{}/{max}", c.uses),
                None => c.uses.to_string(),
            },
            day(c.created_at),
            c.expires_at.map_or("-".into(), day),
            c.seat_id.map_or("-".into(), |s| s.to_string()),
        ];
        for (col, cell) in cols.iter_mut().zip(cells) {
            col.push(cell);
        }
    }
    let table = columns::table(&cols, area.width.saturating_sub(2), |i| {
        if range.start + i == v.list.cursor {
            app.theme.selected()
        } else {
            Style::default()
        }
    })
    .block(
        Block::bordered()
            .title(title(app, v.tab.title(), v.rows.len(), v.codes.len()))
            .title_bottom(list_position(&v.list, v.rows.len())),
    );
    frame.render_widget(table, area);
}

fn flag(on: bool, label: &'static str) -> &'static str {
    if on { label } else { "" }
}

fn batches(app: &App, frame: &mut Frame, area: Rect) {
    let v = &app.codes;
    let wide = area.width >= 120;
    let height = body_height(area);
    let range = window(&v.list, v.rows.len(), height);
    let mut cols = [
        Col::number("Batch", 0),
        Col::number("Codes", 0),
        Col::number("Users", 2),
        Col::number("Days", 3),
        Col::fixed("Redeemed", 0),
        Col::fixed("Options", 1),
        Col::fixed("Until", 4),
        Col::text("Codes Created By", 8, 6),
        Col::fixed("Created", 5),
    ];
    let mut styles = Vec::new();
    for (i, b) in v.rows[range.clone()]
        .iter()
        .filter_map(|&index| v.batches.get(index))
        .enumerate()
    {
        styles.push(if range.start + i == v.list.cursor {
            app.theme.selected()
        } else if b.expires_at < app.now {
            app.theme.dim()
        } else {
            Style::default()
        });
        let o = &b.options;
        let options = if wide {
            [
                flag(o.enable_benchmark, "benchmark"),
                flag(o.enable_exercises, "exercises"),
                flag(o.enable_badges, "badges"),
                flag(o.require_teacher_link, "teacher link"),
            ]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", ")
        } else {
            [
                flag(o.enable_benchmark, "B"),
                flag(o.enable_exercises, "E"),
                flag(o.enable_badges, "G"),
                flag(o.require_teacher_link, "T"),
            ]
            .concat()
        };
        let cells = [
            b.id.to_string(),
            b.code_count.to_string(),
            b.users_per_code.to_string(),
            b.duration_days.to_string(),
            format!("{}/{}", b.uses, b.code_count * b.users_per_code),
            if options.is_empty() {
                "-".into()
            } else {
                options
            },
            day(b.expires_at),
            b.created_by.clone(),
            day(b.created_at),
        ];
        for (col, cell) in cols.iter_mut().zip(cells) {
            col.push(cell);
        }
    }
    let mut block = Block::bordered()
        .title(title(
            app,
            "Activation batches",
            v.rows.len(),
            v.batches.len(),
        ))
        .title_bottom(list_position(&v.list, v.rows.len()));
    if !wide {
        block = block.title_bottom(
            Line::from(" B benchmark  E exercises  G badges  T teacher link ").left_aligned(),
        );
    }
    let table = columns::table(&cols, area.width.saturating_sub(2), |i| styles[i]).block(block);
    frame.render_widget(table, area);
}
