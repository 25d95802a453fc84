//! One render function per pane.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Cell, Gauge, Paragraph, Row, Table, Wrap};
use seatdesk_core::SeatStatus;
use seatdesk_core::api::seats::ClaimSort;

use crate::app::{App, LONG_PENDING_DAYS};
use crate::model::{self, ProductSummary, TREND_WEEKS};

use super::{body_height, day, header_row, window};

fn bar(percent: f64, width: usize) -> String {
    let filled = ((percent.clamp(0.0, 100.0) / 100.0) * width as f64).round() as usize;
    format!("{}{}", "#".repeat(filled), ".".repeat(width - filled))
}

pub fn dashboard(app: &App, frame: &mut Frame, area: Rect) {
    if app.dashboard.is_empty() {
        let text = if app.sync.loaded {
            "No licenses in this token's organization yet."
        } else {
            "Loading licenses from the cache..."
        };
        frame.render_widget(
            Paragraph::new(text).block(Block::bordered().title(" Products ")),
            area,
        );
        return;
    }
    let table_rows = (app.dashboard.len() as u16 + 3).min(area.height / 2).max(4);
    let alert_rows = super::alerts::rows(app, area.height);
    let [top, alerts, bottom] = Layout::vertical([
        Constraint::Length(table_rows),
        Constraint::Length(alert_rows),
        Constraint::Min(0),
    ])
    .areas(area);
    super::alerts::render(app, frame, alerts);
    let wide = area.width >= 120;
    let height = body_height(top);
    let range = window(&app.dash_list, app.dashboard.len(), height);
    let rows: Vec<Row> = app.dashboard[range.clone()]
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut flags = Vec::new();
            if s.in_grace {
                flags.push("IN GRACE");
            }
            if s.expiring_soon {
                flags.push("EXPIRING");
            }
            let style = if range.start + i == app.dash_list.cursor {
                app.theme.selected()
            } else if s.in_grace {
                app.theme.danger()
            } else if s.expiring_soon {
                app.theme.warn()
            } else {
                Style::default()
            };
            let mut cells = vec![
                Cell::from(s.name.clone()),
                Cell::from(s.purchased.to_string()),
                Cell::from(s.consumed.to_string()),
                Cell::from(s.available.to_string()),
                Cell::from(format!(
                    "{} {:>3.0}%",
                    bar(s.usage_percent, 8),
                    s.usage_percent
                )),
                Cell::from(s.remaining_days.to_string()),
                Cell::from(flags.join(" ")),
            ];
            if wide {
                cells.insert(5, Cell::from(s.start.to_string()));
                cells.insert(6, Cell::from(s.finish.to_string()));
            }
            Row::new(cells).style(style)
        })
        .collect();
    let mut header = vec![
        "Product", "Purch", "Used", "Avail", "Usage", "Days", "Flags",
    ];
    let mut widths = vec![
        Constraint::Min(14),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(13),
        Constraint::Length(5),
        Constraint::Length(17),
    ];
    if wide {
        header.insert(5, "Start");
        header.insert(6, "Finish");
        widths.insert(5, Constraint::Length(10));
        widths.insert(6, Constraint::Length(10));
    }
    let table = Table::new(rows, widths)
        .header(header_row(header))
        .block(Block::bordered().title(format!(
            " Products ({}) - {} ",
            app.dashboard.len(),
            app.account_label()
        )));
    frame.render_widget(table, top);
    if let Some(summary) = app.dashboard.get(app.dash_list.cursor) {
        product_detail(app, summary, frame, bottom);
    }
}

fn product_detail(app: &App, s: &ProductSummary, frame: &mut Frame, area: Rect) {
    if area.height < 5 {
        return;
    }
    let block = Block::bordered().title(format!(" {} ", s.name));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [gauge, info, chart] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Min(0),
    ])
    .areas(inner);
    frame.render_widget(
        Gauge::default()
            .gauge_style(app.theme.gauge())
            .ratio((s.usage_percent / 100.0).clamp(0.0, 1.0))
            .label(format!(
                "{} of {} seats used ({:.0}%), {} available",
                s.consumed, s.purchased, s.usage_percent, s.available
            )),
        gauge,
    );
    let statuses: Vec<String> = SeatStatus::ALL
        .iter()
        .map(|st| format!("{} {}", st, s.by_status[st.index()]))
        .collect();
    let standing = if s.in_grace {
        " - IN GRACE PERIOD"
    } else if s.expiring_soon {
        " - EXPIRING SOON"
    } else {
        ""
    };
    let lines = vec![
        Line::from(format!(
            "{} license(s), {} to {}, {} days left{standing}",
            s.licenses, s.start, s.finish, s.remaining_days
        )),
        Line::from(format!("Claims: {}", statuses.join(" · "))),
    ];
    frame.render_widget(Paragraph::new(lines), info);
    if chart.height >= 3 {
        let bars: Vec<Bar> = s
            .weekly_activations
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let weeks_ago = TREND_WEEKS - 1 - i;
                Bar::default()
                    .value(*v)
                    .label(Line::from(if weeks_ago == 0 {
                        "now".to_string()
                    } else {
                        format!("-{weeks_ago}")
                    }))
            })
            .collect();
        let bar_width =
            (chart.width.saturating_sub(TREND_WEEKS as u16) / TREND_WEEKS as u16).clamp(1, 6);
        frame.render_widget(
            BarChart::default()
                .block(Block::new().title("Activations per week"))
                .data(BarGroup::default().bars(&bars))
                .bar_width(bar_width)
                .bar_gap(1)
                .bar_style(app.theme.gauge()),
            chart,
        );
    }
}

/// "loading from the cache, 412,000 of 1,000,000 (41%)" while the claims
/// stream in after the first paint.
fn loading(app: &App) -> Option<String> {
    let load = app.claims_load.as_ref()?;
    let percent = (load.rows.len() * 100)
        .checked_div(load.expected)
        .unwrap_or(0)
        .min(100);
    Some(format!(
        "loading from the cache, {} of {} ({percent}%)",
        load.rows.len(),
        load.expected
    ))
}

pub fn claims(app: &App, frame: &mut Frame, area: Rect) {
    let view = &app.claims_view;
    let [info, list] = Layout::vertical([Constraint::Length(2), Constraint::Min(1)]).areas(area);
    let mut spans = vec![Span::raw("Status ")];
    for status in SeatStatus::ALL {
        let on = view.shows(*status);
        spans.push(Span::styled(
            format!("[{}]{} ", if on { "x" } else { " " }, status),
            if on {
                app.theme.title()
            } else {
                app.theme.dim()
            },
        ));
    }
    let product = view
        .product
        .and_then(|p| app.dashboard.iter().find(|s| s.product_id == p))
        .map_or("all".to_string(), |s| s.name.clone());
    let range = view
        .assigned_within
        .map_or("any time".to_string(), |d| format!("last {d}d"));
    let sort = match view.sort {
        ClaimSort::ClaimedAt => "claim date",
        _ => "assignment date",
    };
    let second = Line::from(format!(
        "Product {product} | assigned {range} | newest {sort} first"
    ));
    if !view.query.is_empty() {
        spans.push(Span::styled(
            format!(
                " | /{}{}",
                view.query,
                if view.searching {
                    " (searching...)"
                } else {
                    ""
                }
            ),
            app.theme.warn(),
        ));
    }
    frame.render_widget(Paragraph::new(vec![Line::from(spans), second]), info);
    let height = body_height(list);
    let range = window(&view.list, view.rows.len(), height);
    let long_ago = app.now - chrono::Duration::days(LONG_PENDING_DAYS);
    let rows: Vec<Row> = view.rows[range.clone()]
        .iter()
        .enumerate()
        .map(|(i, &index)| {
            let c = &app.claims[index as usize];
            let long_pending = c.status == SeatStatus::Pending && c.assigned_at < long_ago;
            let style = if range.start + i == view.list.cursor {
                app.theme.selected()
            } else if long_pending {
                app.theme.warn()
            } else {
                Style::default()
            };
            Row::new(vec![
                Cell::from(if long_pending { "!" } else { " " }),
                Cell::from(&*c.user_name),
                Cell::from(&*c.user_email),
                Cell::from(&*c.product_name),
                Cell::from(c.status.as_str()),
                Cell::from(day(c.assigned_at)),
                Cell::from(c.claimed_at.map(day).unwrap_or_else(|| "-".into())),
            ])
            .style(style)
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(1),
            Constraint::Min(12),
            Constraint::Min(16),
            Constraint::Min(10),
            Constraint::Length(8),
            Constraint::Length(10),
            Constraint::Length(10),
        ],
    )
    .header(header_row(vec![
        "", "Name", "Email", "Product", "Status", "Assigned", "Claimed",
    ]))
    .block(Block::bordered().title(match loading(app) {
        Some(progress) => format!(" Claims: {progress} "),
        None => format!(
            " Claims {} of {}{} {} (! pending > {LONG_PENDING_DAYS} days) ",
            match (view.searching, &view.partial) {
                // Only a first screen so far: the count is still growing.
                (true, Some(_)) => view.found.max(view.rows.len()),
                _ => view.rows.len(),
            },
            app.claims.len(),
            if view.searching && view.partial.is_some() {
                " so far, searching..."
            } else {
                ""
            },
            position(&view.list, view.rows.len()),
        ),
    }));
    frame.render_widget(table, list);
}

pub fn teachers(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.teachers;
    let [info, list] = Layout::vertical([Constraint::Length(2), Constraint::Min(1)]).areas(area);
    let ids = app.license_ids();
    let license = t.license.and_then(|id| app.license(id));
    let license_at = t
        .license
        .and_then(|l| ids.iter().position(|&x| x == l))
        .map_or(0, |p| p + 1);
    let prev = app.keymap.keys_for(crate::keymap::Command::PrevLicense);
    let next = app.keymap.keys_for(crate::keymap::Command::NextLicense);
    let head = match license {
        Some(l) => format!(
            "License {license_at} of {} ({prev} {next} switch): {} {} - PO {} - {} of {} seats used",
            ids.len(),
            l.order_number,
            l.product_name,
            l.purchase_order,
            l.seats.consumed,
            l.seats.purchased
        ),
        None => "No license to show.".to_string(),
    };
    let hidden = model::hidden_marks(app);
    let mut marks = vec![Span::styled(
        format!("Marked: {}", t.marks.len()),
        app.theme.marked(),
    )];
    if hidden > 0 {
        marks.push(Span::styled(
            format!(" ({hidden} hidden by the filter)"),
            app.theme.warn(),
        ));
    }
    if !t.query.is_empty() {
        marks.push(Span::raw(format!("  filter: /{}", t.query)));
    }
    if !t.last_revoked.is_empty() {
        marks.push(Span::styled(
            format!(
                "  {} undoes the last revocation ({} seats)",
                app.keymap.keys_for(crate::keymap::Command::Undo),
                t.last_revoked.len()
            ),
            app.theme.dim(),
        ));
    }
    frame.render_widget(
        Paragraph::new(vec![Line::from(head), Line::from(marks)]).wrap(Wrap { trim: false }),
        info,
    );
    let height = body_height(list);
    let range = window(&t.list, t.rows.len(), height);
    let rows: Vec<Row> = t.rows[range.clone()]
        .iter()
        .enumerate()
        .map(|(i, &index)| {
            let c = &app.claims[index as usize];
            let marked = t.marks.contains(&c.id);
            let style = if range.start + i == t.list.cursor {
                app.theme.selected()
            } else if marked {
                app.theme.marked()
            } else if c.students_assigned > 0 {
                app.theme.warn()
            } else {
                Style::default()
            };
            Row::new(vec![
                Cell::from(if marked { "*" } else { " " }),
                Cell::from(&*c.user_name),
                Cell::from(&*c.user_email),
                Cell::from(c.status.as_str()),
                Cell::from(c.redemption_code.as_deref().unwrap_or("-")),
                Cell::from(c.students_assigned.to_string()),
            ])
            .style(style)
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(1),
            Constraint::Min(12),
            Constraint::Min(16),
            Constraint::Length(8),
            Constraint::Length(16),
            Constraint::Length(8),
        ],
    )
    .header(header_row(vec![
        "",
        "Teacher",
        "Email",
        "Status",
        "Redemption code",
        "Students",
    ]))
    .block(Block::bordered().title(match loading(app) {
        Some(progress) => format!(" Teachers: {progress} "),
        // Position and marks in the frame, where no header wrap can push
        // them out of sight.
        None => format!(
            " Teachers ({}) {} · Marked: {}{} ",
            t.rows.len(),
            position(&t.list, t.rows.len()),
            t.marks.len(),
            if hidden > 0 {
                format!(" ({hidden} hidden)")
            } else {
                String::new()
            }
        ),
    }));
    frame.render_widget(table, list);
}

pub fn audit(app: &App, frame: &mut Frame, area: Rect) {
    use crate::app::AuditRow;
    let a = &app.audit;
    let title = if a.loading {
        " Audit log (loading...) ".to_string()
    } else if let Some(error) = &a.error {
        format!(" Audit log - {error} ")
    } else {
        format!(
            " Audit log, newest first {} (Enter opens) ",
            position(&a.list, a.rows.len())
        )
    };
    let height = body_height(area);
    let range = window(&a.list, a.rows.len(), height);
    // The action column is as wide as the longest action on screen, so no
    // action name is cut.
    let mut action_width = 6;
    let rows: Vec<(String, String, String, String, String, bool)> = a.rows[range.clone()]
        .iter()
        .filter_map(|row| {
            let (index, action, target, item) = match row {
                AuditRow::Event { index, item } => {
                    let e = a.events.get(*index)?;
                    (
                        *index,
                        e.action.clone(),
                        format!("{} {}", e.target_type, e.target_id),
                        *item,
                    )
                }
                AuditRow::Group {
                    first, count, open, ..
                } => {
                    let e = a.events.get(*first)?;
                    (
                        *first,
                        format!("{} {} x{count}", if *open { "-" } else { "+" }, e.action),
                        format!("{count} {}s, one request", e.target_type),
                        false,
                    )
                }
            };
            let e = &a.events[index];
            let action = if item { format!("  {action}") } else { action };
            action_width = action_width.max(action.chars().count() as u16);
            Some((
                e.seq.to_string(),
                e.at.format("%Y-%m-%d %H:%M").to_string(),
                e.actor.clone(),
                action,
                target,
                item,
            ))
        })
        .collect();
    let rows: Vec<Row> = rows
        .into_iter()
        .enumerate()
        .map(|(i, (seq, at, actor, action, target, item))| {
            let style = if range.start + i == a.list.cursor {
                app.theme.selected()
            } else if item {
                app.theme.dim()
            } else {
                Style::default()
            };
            Row::new(vec![
                Cell::from(seq),
                Cell::from(at),
                Cell::from(actor),
                Cell::from(action),
                Cell::from(target),
            ])
            .style(style)
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(6),
            Constraint::Length(16),
            Constraint::Min(8),
            Constraint::Length(action_width),
            Constraint::Min(10),
        ],
    )
    .header(header_row(vec![
        "Seq", "At (UTC)", "Actor", "Action", "Target",
    ]))
    .block(Block::bordered().title(title));
    frame.render_widget(table, area);
}

/// "12/200": the cursor's row of a list, for titles.
pub(crate) fn position(list: &crate::app::ListState, len: usize) -> String {
    if len == 0 {
        "0/0".to_string()
    } else {
        format!("{}/{len}", list.cursor.min(len - 1) + 1)
    }
}
