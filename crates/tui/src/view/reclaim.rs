//! The Reclaim view: the policies with the seats each could free now, one
//! policy's preview (the server's dry run: each seat and why, the refused,
//! what is left for later runs) or history; and the Dashboard's line.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::columns::{self, Col};
use super::hints::{Hint, hint_lines};
use super::{body_height, day, list_position, window};
use crate::app::{App, ReclaimScreen, interval_label, minute, rule_label, rule_sentence};
use crate::keymap::Command;

/// "412 seats could be reclaimed by your policies" for the Dashboard's
/// view, at the foot of its products table; empty (nothing drawn) while
/// there is no answer or no policy.
pub fn dashboard_line(app: &App) -> Line<'static> {
    let query = crate::update::reclaim_summary_query(app);
    match app.reclaim.dashboard_line(&query) {
        Some(text) => Line::from(Span::styled(format!(" {text} "), app.theme.warn())),
        None => Line::default(),
    }
}

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    match app.reclaim.screen {
        ReclaimScreen::Policies => policies(app, frame, area),
        ReclaimScreen::Preview => preview(app, frame, area),
        ReclaimScreen::History => history(app, frame, area),
    }
}

/// Lines above a list, then the list's area.
fn split(area: Rect, lines: &[Line]) -> (Rect, Rect) {
    let [info, list] =
        Layout::vertical([Constraint::Length(lines.len() as u16), Constraint::Min(1)]).areas(area);
    (info, list)
}

fn back_hint(app: &App) -> Hint {
    Hint::new(app, Command::Back, "back")
}

fn policies(app: &App, frame: &mut Frame, area: Rect) {
    let v = &app.reclaim;
    let about = match &v.summary {
        Some(s) if !s.policies.is_empty() => format!(
            "{} {} could be reclaimed by these policies now (each seat counted once)",
            s.reclaimable,
            if s.reclaimable == 1 { "seat" } else { "seats" }
        ),
        _ => "Seats nobody uses, freed by rules: pending, suspended, archived, unused".into(),
    };
    let mut lines = vec![Line::from(Span::styled(about, app.theme.title()))];
    let hints = [
        Hint::new(app, Command::ReclaimPreview, "preview"),
        Hint::new(app, Command::ReclaimRun, "run now"),
        Hint::new(app, Command::ReclaimPause, "pause/resume"),
        Hint::new(app, Command::ReclaimHistory, "history"),
        back_hint(app),
    ];
    lines.extend(hint_lines(app, &hints, area.width));
    let (info, rest) = split(area, &lines);
    frame.render_widget(Paragraph::new(lines), info);

    let detail_rows = if rest.height >= 16 && !v.policies.is_empty() {
        7
    } else {
        0
    };
    let [list, detail] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(detail_rows)]).areas(rest);
    let mut title = format!(" Reclaim policies ({}", v.policies.len());
    if v.truncated {
        title.push_str(", more not shown");
    }
    title.push(')');
    if v.loading {
        title.push_str(" loading...");
    }
    if let Some(error) = &v.error {
        title.push_str(&format!(" - {error}"));
    }
    title.push(' ');
    let block = Block::bordered()
        .title(title)
        .title_bottom(list_position(&v.list, v.policies.len()));
    if v.policies.is_empty() {
        let text = if v.loaded {
            "No reclaim policies in your organization. Create one with\n`seatdesk reclaim add --name NAME --rule pending_over_days --days 30`."
        } else if v.error.is_some() {
            "The policies could not be loaded; r tries again."
        } else {
            "Loading the policies from the server..."
        };
        frame.render_widget(
            Paragraph::new(text).wrap(Wrap { trim: true }).block(block),
            list,
        );
        return;
    }
    let height = body_height(list);
    let range = window(&v.list, v.policies.len(), height);
    let shown = &v.policies[range.clone()];
    let mut cols = [
        Col::number("Id", 3),
        Col::text("Name", 8, 0),
        Col::fixed("Rule", 0),
        Col::number("Now", 0),
        Col::fixed("Status", 0),
        Col::fixed("Last run", 1),
        Col::number("Freed", 2),
    ];
    for p in shown {
        let status = if v.toggling.contains(&p.id) {
            "changing"
        } else if p.paused {
            "PAUSED"
        } else {
            "on"
        };
        let cells = [
            p.id.to_string(),
            p.name.clone(),
            rule_label(p.rule, p.days),
            v.candidates(p.id)
                .map_or_else(|| "-".into(), |n| n.to_string()),
            status.to_string(),
            p.last_run_at.map_or_else(|| "never".into(), day),
            p.seats_freed.to_string(),
        ];
        for (col, cell) in cols.iter_mut().zip(cells) {
            col.push(cell);
        }
    }
    let table = columns::table(&cols, list.width.saturating_sub(2), |i| {
        let p = &shown[i];
        if range.start + i == v.list.cursor {
            app.theme.selected()
        } else if p.paused {
            app.theme.dim()
        } else if v.candidates(p.id).is_some_and(|n| n > 0) {
            app.theme.warn()
        } else {
            Style::default()
        }
    })
    .block(block);
    frame.render_widget(table, list);
    if detail_rows > 0
        && let Some(p) = v.selected()
    {
        let scope = [
            Some(format!("org {}", p.org_id)),
            p.product_id.map(|id| format!("product {id}")),
            p.license_id.map(|id| format!("license {id}")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        let schedule = if p.paused {
            "paused: no scheduled runs".to_string()
        } else {
            format!(
                "runs {}; next {}",
                interval_label(p.interval_minutes),
                p.next_run_at.map_or_else(|| "-".into(), minute)
            )
        };
        let last = match p.last_run_at {
            Some(at) => format!(
                "last run {}; {} seats freed in all",
                minute(at),
                p.seats_freed
            ),
            None => "never run".to_string(),
        };
        let lines = vec![
            Line::from(format!(
                "{} in {scope}",
                capitalize(&rule_sentence(p.rule, p.days))
            )),
            Line::from(format!("{schedule}; {last}")),
            Line::from(format!(
                "Created {} by {}",
                minute(p.created_at),
                p.created_by
            )),
            Line::from(match v.candidates(p.id) {
                Some(n) => format!("{n} seats match it now; Enter lists them and why"),
                None => "Enter lists the seats it would free now, and why".into(),
            }),
        ];
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: true })
                .block(Block::bordered().title(format!(" {} ", p.name))),
            detail,
        );
    }
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().collect::<String>() + chars.as_str()
    })
}

/// The name of the policy a preview or history is of.
fn policy_name(app: &App) -> String {
    let v = &app.reclaim;
    v.policy.map_or_else(String::new, |id| {
        v.find(id)
            .map_or_else(|| format!("policy {id}"), |p| format!("'{}'", p.name))
    })
}

fn preview(app: &App, frame: &mut Frame, area: Rect) {
    let v = &app.reclaim;
    let answer = &v.preview;
    let name = policy_name(app);
    let head = match (&answer.data, answer.loading) {
        // The figures first: a narrow screen cuts the end of the line.
        (Some(r), _) => {
            let mut text = format!(
                "{} would be freed, {} refused",
                r.freed.len(),
                r.refused.len()
            );
            if r.remaining > 0 {
                text.push_str(&format!(", {} left for later runs", r.remaining));
            }
            text.push_str(&format!(
                " - dry run of {name} at {}",
                r.as_of.format("%H:%M")
            ));
            text
        }
        (None, true) => format!("Preview of {name}: asking the server (dry run)..."),
        (None, false) => format!("Preview of {name}"),
    };
    let mut lines = vec![Line::from(Span::styled(head, app.theme.title()))];
    let hints = [
        Hint::new(app, Command::ReclaimRun, "run now"),
        Hint::new(app, Command::ReclaimHistory, "history"),
        Hint::new(app, Command::Refresh, "again"),
        back_hint(app),
    ];
    lines.extend(hint_lines(app, &hints, area.width));
    let (info, list) = split(area, &lines);
    frame.render_widget(Paragraph::new(lines), info);
    let len = answer
        .data
        .as_ref()
        .map_or(0, |r| r.freed.len() + r.refused.len());
    let mut title = format!(" Seats ({len})");
    if answer.loading && answer.data.is_some() {
        title.push_str(" refreshing...");
    }
    if let Some(error) = &answer.error {
        title.push_str(&format!(" - {error}"));
    }
    title.push(' ');
    let block = Block::bordered()
        .title(title)
        .title_bottom(list_position(&answer.list, len));
    let Some(report) = &answer.data else {
        let text = if answer.error.is_some() {
            "The dry run failed; r tries again."
        } else {
            "Waiting for the server's dry run..."
        };
        frame.render_widget(Paragraph::new(text).block(block), list);
        return;
    };
    if len == 0 {
        frame.render_widget(
            Paragraph::new("No seat matches this policy now: a run would free nothing.")
                .block(block),
            list,
        );
        return;
    }
    // The row under the cursor in full below the table: its reason is
    // what a narrow table cuts.
    let [list, full] = Layout::vertical([Constraint::Min(3), Constraint::Length(2)]).areas(list);
    let freed = report.freed.len();
    let cursor = answer.list.cursor.min(len - 1);
    let detail = match report.freed.get(cursor) {
        Some(c) => format!(
            "seat {}: {} <{}>, order {}: {}",
            c.seat_id, c.user_name, c.user_email, c.order_number, c.reason
        ),
        None => {
            let r = &report.refused[cursor - freed];
            format!(
                "seat {} refused: {}",
                r.id,
                r.reason.as_deref().unwrap_or("refused")
            )
        }
    };
    frame.render_widget(
        Paragraph::new(detail)
            .style(if cursor >= freed {
                app.theme.danger()
            } else {
                Style::default()
            })
            .wrap(Wrap { trim: true }),
        full,
    );
    let height = body_height(list);
    let range = window(&answer.list, len, height);
    let mut cols = [
        Col::number("Seat", 0),
        Col::text("User", 8, 0),
        Col::fixed("Product", 3),
        Col::fixed("Status", 1),
        Col::fixed("Since", 2),
        Col::text("Why", 12, 0),
    ];
    for i in range.clone() {
        let cells = match report.freed.get(i) {
            Some(c) => [
                c.seat_id.to_string(),
                c.user_email.clone(),
                c.product_sku.clone(),
                c.status.to_string(),
                day(c.since),
                c.reason.clone(),
            ],
            None => {
                let r = &report.refused[i - freed];
                [
                    r.id.to_string(),
                    "-".into(),
                    "-".into(),
                    "REFUSED".into(),
                    "-".into(),
                    r.reason.clone().unwrap_or_else(|| "refused".into()),
                ]
            }
        };
        for (col, cell) in cols.iter_mut().zip(cells) {
            col.push(cell);
        }
    }
    let table = columns::table(&cols, list.width.saturating_sub(2), |row| {
        let i = range.start + row;
        if i == answer.list.cursor {
            app.theme.selected()
        } else if i >= freed {
            app.theme.danger()
        } else {
            Style::default()
        }
    })
    .block(block);
    frame.render_widget(table, list);
}

fn history(app: &App, frame: &mut Frame, area: Rect) {
    let v = &app.reclaim;
    let answer = &v.runs;
    let name = policy_name(app);
    let runs = answer.data.as_deref().unwrap_or(&[]);
    let head = match &answer.data {
        Some(runs) => {
            let freed: i64 = runs.iter().map(|r| r.freed).sum();
            format!(
                "History of {name}: {} runs shown, {freed} seats freed by them",
                runs.len()
            )
        }
        None => format!("History of {name}"),
    };
    let mut lines = vec![Line::from(Span::styled(head, app.theme.title()))];
    let hints = [
        Hint::new(app, Command::ReclaimPreview, "preview"),
        Hint::new(app, Command::ReclaimRun, "run now"),
        back_hint(app),
    ];
    lines.extend(hint_lines(app, &hints, area.width));
    let (info, list) = split(area, &lines);
    frame.render_widget(Paragraph::new(lines), info);
    let mut title = format!(" Runs, newest first ({})", runs.len());
    if answer.loading {
        title.push_str(" loading...");
    }
    if let Some(error) = &answer.error {
        title.push_str(&format!(" - {error}"));
    }
    title.push(' ');
    let block = Block::bordered()
        .title(title)
        .title_bottom(list_position(&answer.list, runs.len()));
    if runs.is_empty() {
        let text = if answer.data.is_some() {
            "This policy has not run yet."
        } else if answer.error.is_some() {
            "The history could not be loaded; r tries again."
        } else {
            "Loading the runs..."
        };
        frame.render_widget(Paragraph::new(text).block(block), list);
        return;
    }
    let height = body_height(list);
    let range = window(&answer.list, runs.len(), height);
    let mut cols = [
        Col::fixed("Started", 0),
        Col::fixed("Trigger", 2),
        Col::text("By", 6, 1),
        Col::number("Freed", 0),
        Col::number("Refused", 0),
        Col::number("Left", 0),
    ];
    for r in &runs[range.clone()] {
        let cells = [
            minute(r.started_at),
            r.trigger.to_string(),
            r.actor.clone(),
            r.freed.to_string(),
            r.refused.to_string(),
            r.remaining.to_string(),
        ];
        for (col, cell) in cols.iter_mut().zip(cells) {
            col.push(cell);
        }
    }
    let table = columns::table(&cols, list.width.saturating_sub(2), |row| {
        if range.start + row == answer.list.cursor {
            app.theme.selected()
        } else {
            Style::default()
        }
    })
    .block(block);
    frame.render_widget(table, list);
}
