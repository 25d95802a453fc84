//! One render function per pane.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Gauge, Paragraph, Wrap};
use seatdesk_core::SeatStatus;
use seatdesk_core::api::seats::ClaimSort;

use crate::app::{App, LONG_PENDING_DAYS};
use seatdesk_core::api::dashboard::ProductSummary;

use crate::model;

use super::columns::{self, Col};
use super::{body_height, day, list_position, window};

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

/// The server's forecast in the words of the table: "~44 days", "now",
/// "not at this rate"; "-" when the server sent none (no seats bought, or
/// a server from before forecasts).
pub(super) fn full_in(forecast: Option<seatdesk_core::forecast::PoolForecast>) -> String {
    match forecast {
        Some(f) => match f.full_in_days {
            Some(0) => "now".to_string(),
            Some(1) => "~1 day".to_string(),
            Some(days) => format!("~{days} days"),
            None => "not at this rate".to_string(),
        },
        None => "-".to_string(),
    }
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
        Col::fixed("Full in", 2),
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
            full_in(s.forecast),
            or_dash(s.min_remaining_days),
            or_dash(s.earliest_start),
            or_dash(s.latest_finish),
            flags(s),
        ];
        for (col, cell) in cols.iter_mut().zip(cells) {
            col.cells.push(cell);
        }
    }
    let table = columns::table(&cols, top.width.saturating_sub(2), |i| {
        let s = &shown[i];
        if range.start + i == app.dash_list.cursor {
            app.theme.selected()
        } else if s.in_grace > 0 {
            app.theme.danger()
        } else if s.expiring_30 > 0 {
            app.theme.warn()
        } else {
            Style::default()
        }
    })
    .block(
        Block::bordered()
            .title(products_title(app, top.width))
            .title_bottom(super::reclaim::dashboard_line(app))
            .title_bottom(list_position(&app.dash_list, products.len())),
    );
    frame.render_widget(table, top);
    if let Some(summary) = products.get(app.dash_list.cursor) {
        product_detail(app, summary, frame, bottom);
    }
}

/// " Products - all accounts · total full in ~91 days ": the totals'
/// forecast rides in the title, where it costs no row at 80x24; left out
/// when it would not fit whole in `width` columns.
fn products_title(app: &App, width: u16) -> String {
    let plain = format!(" Products - {} ", app.account_label());
    let total = app
        .dashboard
        .data
        .as_ref()
        .and_then(|d| d.dashboard.totals.forecast);
    match total {
        Some(f) => {
            let full = format!("{plain}· total {} ", f.describe());
            if full.chars().count() + 2 <= usize::from(width) {
                full
            } else {
                plain
            }
        }
        None => plain,
    }
}

/// "Forecast: full in ~44 days (2027-01-16), 1.0 seats a day net over 8
/// weeks": the server's figures, as sent.
fn forecast_line(s: &ProductSummary) -> String {
    let Some(f) = s.forecast else {
        return "Forecast: none (no seats purchased)".to_string();
    };
    let on = f.full_on.map(|d| format!(" ({d})")).unwrap_or_default();
    format!(
        "Forecast: {}{on}, {:.1} seats a day net over {} week(s)",
        f.describe(),
        f.seats_per_day,
        f.weeks
    )
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
        Constraint::Length(3),
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
        Line::from(forecast_line(s)),
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
    let range = match (view.assigned_within, view.older_than) {
        (None, None) => "any time".to_string(),
        (Some(d), None) => format!("last {d}d"),
        (None, Some(d)) => format!("over {d}d ago"),
        (Some(w), Some(o)) => format!("last {w}d, over {o}d ago"),
    };
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
    let mut cols = [
        Col::fixed("", 0),
        Col::text("Name", 8, 0),
        Col::text("Email", 10, 0),
        Col::text("Product", 8, 1),
        Col::fixed("Status", 0),
        Col::fixed("Assigned", 2),
        Col::fixed("Claimed", 3),
    ];
    let mut styles = Vec::new();
    for (i, &index) in view.rows[range.clone()].iter().enumerate() {
        let c = &app.claims[index as usize];
        let long_pending = c.status == SeatStatus::Pending && c.assigned_at < long_ago;
        styles.push(if range.start + i == view.list.cursor {
            app.theme.selected()
        } else if long_pending {
            app.theme.warn()
        } else {
            Style::default()
        });
        let cells = [
            if long_pending { "!" } else { " " }.to_string(),
            c.user_name.to_string(),
            c.user_email.to_string(),
            c.product_name.to_string(),
            c.status.as_str().to_string(),
            day(c.assigned_at),
            c.claimed_at.map(day).unwrap_or_else(|| "-".into()),
        ];
        for (col, cell) in cols.iter_mut().zip(cells) {
            col.push(cell);
        }
    }
    let table = columns::table(&cols, list.width.saturating_sub(2), |i| styles[i]).block(
        Block::bordered()
            .title(match loading(app) {
                Some(progress) => format!(" Claims: {progress} "),
                None => format!(
                    " Claims {} of {}{} (! pending > {LONG_PENDING_DAYS} days) ",
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
                ),
            })
            .title_bottom(list_position(&view.list, view.rows.len())),
    );
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
    // One line each, never wrapped: a long license name must not push the
    // marked count off the screen.
    let head = columns::ellipsize(&head, info.width);
    frame.render_widget(
        Paragraph::new(vec![Line::from(head), Line::from(marks)]),
        info,
    );
    let height = body_height(list);
    let range = window(&t.list, t.rows.len(), height);
    let mut cols = [
        Col::fixed("", 0),
        Col::text("Teacher", 8, 0),
        Col::text("Email", 10, 0),
        Col::fixed("Status", 0),
        // The school the filter matches too (dropped first when narrow).
        Col::text("School", 8, 3),
        Col::fixed("Redemption code", 2),
        Col::number("Students", 1),
    ];
    let mut styles = Vec::new();
    for (i, &index) in t.rows[range.clone()].iter().enumerate() {
        let c = &app.claims[index as usize];
        let marked = t.marks.contains(&c.id);
        styles.push(if range.start + i == t.list.cursor {
            app.theme.selected()
        } else if marked {
            app.theme.marked()
        } else if c.students_assigned > 0 {
            app.theme.warn()
        } else {
            Style::default()
        });
        let cells = [
            if marked { "*" } else { " " }.to_string(),
            c.user_name.to_string(),
            c.user_email.to_string(),
            c.status.as_str().to_string(),
            c.org_name.to_string(),
            c.redemption_code.as_deref().unwrap_or("-").to_string(),
            c.students_assigned.to_string(),
        ];
        for (col, cell) in cols.iter_mut().zip(cells) {
            col.push(cell);
        }
    }
    let table = columns::table(&cols, list.width.saturating_sub(2), |i| styles[i]).block(
        Block::bordered()
            .title(match loading(app) {
                Some(progress) => format!(" Teachers: {progress} "),
                None => format!(" Teachers ({}) ", t.rows.len()),
            })
            .title_bottom(list_position(&t.list, t.rows.len())),
    );
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
        " Audit log, newest first (Enter opens) ".to_string()
    };
    let height = body_height(area);
    let range = window(&a.list, a.rows.len(), height);
    let mut cols = [
        Col::number("Seq", 2),
        Col::fixed("At (UTC)", 1),
        Col::text("Actor", 6, 3),
        Col::fixed("Action", 0),
        Col::text("Target", 8, 0),
    ];
    let mut items = Vec::new();
    for row in &a.rows[range.clone()] {
        // A bulk operation (one request) is one row: "+" folded, "-" open.
        let (index, action, target, item) = match row {
            AuditRow::Event { index, item } => {
                let Some(e) = a.events.get(*index) else {
                    continue;
                };
                let action = if *item {
                    format!("  {}", e.action)
                } else {
                    e.action.clone()
                };
                (
                    *index,
                    action,
                    format!("{} {}", e.target_type, e.target_id),
                    *item,
                )
            }
            AuditRow::Group {
                first, count, open, ..
            } => {
                let Some(e) = a.events.get(*first) else {
                    continue;
                };
                (
                    *first,
                    format!("{} {} x{count}", if *open { "-" } else { "+" }, e.action),
                    format!("{count} {}s", e.target_type),
                    false,
                )
            }
        };
        let e = &a.events[index];
        let cells = [
            e.seq.to_string(),
            e.at.format("%Y-%m-%d %H:%M").to_string(),
            e.actor.clone(),
            action,
            target,
        ];
        for (col, cell) in cols.iter_mut().zip(cells) {
            col.push(cell);
        }
        items.push(item);
    }
    let table = columns::table(&cols, area.width.saturating_sub(2), |i| {
        if range.start + i == a.list.cursor {
            app.theme.selected()
        } else if items.get(i).copied().unwrap_or(false) {
            app.theme.dim()
        } else {
            Style::default()
        }
    })
    .block(
        Block::bordered()
            .title(title)
            .title_bottom(list_position(&a.list, a.rows.len())),
    );
    frame.render_widget(table, area);
}
