//! One render function per pane.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Cell, Gauge, Paragraph, Row, Table, Wrap};
use seatdesk_core::SeatStatus;
use seatdesk_core::api::seats::ClaimSort;

use crate::app::{App, LONG_PENDING_DAYS};
use seatdesk_core::api::dashboard::ProductSummary;

use crate::model;

use super::columns::{self, Col};
use super::{body_height, day, header_row, window};

fn bar(percent: f64, width: usize) -> String {
    let filled = ((percent.clamp(0.0, 100.0) / 100.0) * width as f64).round() as usize;
    format!("{}{}", "#".repeat(filled), ".".repeat(width - filled))
}

/// "IN GRACE EXPIRING" for a product with licenses in either state.
fn flags(s: &ProductSummary) -> String {
    let mut flags = Vec::new();
    if s.in_grace > 0 {
        flags.push("IN GRACE");
    }
    if s.expiring_30 > 0 {
        flags.push("EXPIRING");
    }
    flags.join(" ")
}

fn or_dash<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_string(), |v| v.to_string())
}

pub fn dashboard(app: &App, frame: &mut Frame, area: Rect) {
    let view = &app.dashboard;
    let products = view.products();
    if !view.shows(&app.dashboard_query()) || products.is_empty() {
        let text = if view.shows(&app.dashboard_query()) {
            "No licenses in this view.".to_string()
        } else if let Some(error) = &view.error {
            format!("The server could not compute the dashboard: {error}")
        } else if app.sync.offline.is_some() {
            "No dashboard cached for this view; it will load when the server answers.".to_string()
        } else {
            "Loading the dashboard from the server...".to_string()
        };
        // Alerts come from their own request: they show whatever the figures do.
        let alert_rows = super::alerts::rows(app, area.height);
        let [top, alerts] =
            Layout::vertical([Constraint::Length(4), Constraint::Length(alert_rows)]).areas(area);
        frame.render_widget(
            Paragraph::new(text)
                .wrap(Wrap { trim: true })
                .block(Block::bordered().title(format!(" Products - {} ", app.account_label()))),
            top,
        );
        super::alerts::render(app, frame, alerts);
        return;
    }
    let table_rows = (products.len() as u16 + 3).min(area.height / 2).max(4);
    let alert_rows = super::alerts::rows(app, area.height);
    let [top, alerts, bottom] = Layout::vertical([
        Constraint::Length(table_rows),
        Constraint::Length(alert_rows),
        Constraint::Min(0),
    ])
    .areas(area);
    super::alerts::render(app, frame, alerts);
    let height = body_height(top);
    let range = window(&app.dash_list, products.len(), height);
    let shown = &products[range.clone()];
    // Drop order when narrow: flags, dates, usage bar go before the figures.
    let mut cols = [
        Col::text("Product", 10, 0),
        Col::number("Purch", 0),
        Col::number("Used", 0),
        Col::number("Avail", 0),
        Col::fixed("Usage", 4),
        Col::number("Days", 1),
        Col::fixed("Start", 6),
        Col::fixed("Finish", 5),
        Col::fixed("Flags", 3),
    ];
    for s in shown {
        let cells = [
            s.name.clone(),
            s.seats.purchased.to_string(),
            s.seats.consumed.to_string(),
            s.seats_available.to_string(),
            format!("{} {:>3.0}%", bar(s.usage_percent, 8), s.usage_percent),
            or_dash(s.min_remaining_days),
            or_dash(s.earliest_start),
            or_dash(s.latest_finish),
            flags(s),
        ];
        for (col, cell) in cols.iter_mut().zip(cells) {
            col.cells.push(cell);
        }
    }
    let fitted = columns::fit(&cols, top.width.saturating_sub(2));
    let rows: Vec<Row> = shown
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let style = if range.start + i == app.dash_list.cursor {
                app.theme.selected()
            } else if s.in_grace > 0 {
                app.theme.danger()
            } else if s.expiring_30 > 0 {
                app.theme.warn()
            } else {
                Style::default()
            };
            Row::new(fitted.cells(&cols, i)).style(style)
        })
        .collect();
    let position = format!("{}/{}", app.dash_list.cursor + 1, products.len());
    let table = Table::new(rows, fitted.widths())
        .header(header_row(fitted.header(&cols)))
        .block(
            Block::bordered()
                .title(format!(" Products - {} ", app.account_label()))
                .title_bottom(Line::from(format!(" {position} ")).right_aligned()),
        );
    frame.render_widget(table, top);
    if let Some(summary) = products.get(app.dash_list.cursor) {
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
    let handed_down = if s.seats.allocated > 0 {
        format!(", {} handed down", s.seats.allocated)
    } else {
        String::new()
    };
    frame.render_widget(
        Gauge::default()
            .gauge_style(app.theme.gauge())
            .ratio((s.usage_percent / 100.0).clamp(0.0, 1.0))
            .label(format!(
                "{} of {} seats used ({:.0}%){handed_down}, {} available",
                s.seats.consumed, s.seats.purchased, s.usage_percent, s.seats_available
            )),
        gauge,
    );
    let claims = &s.claims;
    let counts = [
        claims.pending,
        claims.active,
        claims.expired,
        claims.revoked,
    ];
    let statuses: Vec<String> = SeatStatus::ALL
        .iter()
        .zip(counts)
        .map(|(st, n)| format!("{st} {n}"))
        .collect();
    let standing = if s.in_grace > 0 {
        " - IN GRACE PERIOD"
    } else if s.expiring_30 > 0 {
        " - EXPIRING SOON"
    } else {
        ""
    };
    let soonest = match s.min_remaining_days {
        Some(days) => format!("soonest finish in {days} days{standing}"),
        None => "no live license".to_string(),
    };
    let lines = vec![
        Line::from(format!(
            "{} license(s), {} to {}, {soonest}",
            s.licenses,
            or_dash(s.earliest_start),
            or_dash(s.latest_finish),
        )),
        Line::from(format!("Claims: {}", statuses.join(" · "))),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), info);
    if chart.height >= 3 {
        let weeks = s.activations_per_week.len();
        let bars: Vec<Bar> = s
            .activations_per_week
            .iter()
            .enumerate()
            .map(|(i, week)| {
                let weeks_ago = weeks - 1 - i;
                Bar::default()
                    .value(u64::try_from(week.count).unwrap_or(0))
                    .label(Line::from(if weeks_ago == 0 {
                        "now".to_string()
                    } else {
                        format!("-{weeks_ago}")
                    }))
            })
            .collect();
        let weeks = weeks.max(1) as u16;
        let bar_width = (chart.width.saturating_sub(weeks) / weeks).clamp(1, 6);
        frame.render_widget(
            BarChart::default()
                .block(Block::new().title(match &app.dashboard.data {
                    Some(d) if app.dashboard.from_cache => format!(
                        "Activations per week (cached {})",
                        crate::model::humanize_age(app.now - d.fetched_at)
                    ),
                    _ => "Activations per week".to_string(),
                }))
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
        .and_then(|p| {
            app.dashboard
                .products()
                .iter()
                .find(|s| s.product_id == Some(p))
        })
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
