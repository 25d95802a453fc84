//! Boxes drawn over the panes: dialogs, the help overlay, the palette.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Gauge, Paragraph, Wrap};

use crate::app::{App, Dialog};
use crate::keymap::{Command, Scope};

/// Failures listed in a dialog before "and N more".
const LIST_MAX: usize = 8;

pub(super) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// Rows `lines` take when wrapped inside a box `width` wide, borders included.
pub(super) fn wrapped_height(lines: &[Line], width: u16) -> u16 {
    let inner = usize::from(width.saturating_sub(2)).max(1);
    // Word wrapping can take one row more than the raw division says.
    let rows: usize = lines
        .iter()
        .map(|l| {
            let w = l.width().max(1);
            w.div_ceil(inner) + usize::from(w > inner)
        })
        .sum();
    rows as u16 + 2
}

pub(super) fn boxed(frame: &mut Frame, area: Rect, title: &str, lines: Vec<Line>) {
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(format!(" {title} "))),
        area,
    );
}

fn list_lines<'a>(app: &App, items: &'a [(i64, String)]) -> Vec<Line<'a>> {
    let mut lines: Vec<Line> = items
        .iter()
        .take(LIST_MAX)
        .map(|(id, why)| {
            Line::from(vec![
                Span::styled(format!("  seat {id}: "), app.theme.warn()),
                Span::raw(why.as_str()),
            ])
        })
        .collect();
    if items.len() > LIST_MAX {
        lines.push(Line::from(format!(
            "  ...and {} more",
            items.len() - LIST_MAX
        )));
    }
    lines
}

pub fn dialog(app: &App, dialog: &Dialog, frame: &mut Frame, area: Rect) {
    let width = area.width.saturating_sub(8).min(100);
    match dialog {
        Dialog::ConfirmRevoke {
            ids,
            hidden,
            checking,
            check_error,
            refusals,
            typed,
            needs_word,
            policy,
        } => {
            let question = match policy {
                Some(p) => format!("Run reclaim policy '{}' now?", p.name),
                None => format!(
                    "Revoke {} marked seat{}?",
                    ids.len(),
                    if ids.len() == 1 { "" } else { "s" }
                ),
            };
            let mut lines = vec![Line::from(Span::styled(
                question,
                Style::default().add_modifier(Modifier::BOLD),
            ))];
            if *hidden > 0 {
                lines.push(Line::from(Span::styled(
                    format!(
                        "{hidden} of them are hidden by the current filter (they are included)."
                    ),
                    app.theme.warn(),
                )));
            }
            if *checking {
                lines.push(Line::from(format!(
                    "{} asking the server what it would do (dry run)...",
                    super::SPINNER[app.spinner % super::SPINNER.len()]
                )));
            } else if let Some(error) = check_error {
                lines.push(Line::from(Span::styled(
                    format!("The server's dry run failed: {error}"),
                    app.theme.danger(),
                )));
                lines.push(Line::from("Nothing can be revoked until it answers."));
            } else {
                let will = ids.len() - refusals.len();
                lines.push(Line::from(format!(
                    "The server's dry run: {will} will be revoked."
                )));
                if !refusals.is_empty() {
                    lines.push(Line::from(format!("{} will be refused:", refusals.len())));
                    lines.extend(list_lines(app, refusals));
                }
                if let Some(p) = policy.as_ref().filter(|p| p.remaining > 0) {
                    lines.push(Line::from(format!(
                        "{} more match and are left for later runs.",
                        p.remaining
                    )));
                }
            }
            lines.push(Line::from(""));
            if *checking || check_error.is_some() {
                lines.push(Line::from(Span::styled("Esc/n cancel", app.theme.dim())));
            } else if *needs_word {
                let mut prompt = vec![Span::styled(
                    format!("Type {} (the number of seats) to confirm: ", ids.len()),
                    app.theme.danger(),
                )];
                prompt.extend(super::caret_spans(typed, app.caret));
                lines.push(Line::from(prompt));
                lines.push(Line::from(Span::styled(
                    "Enter confirm · Esc cancel",
                    app.theme.dim(),
                )));
            } else {
                lines.push(Line::from(Span::styled(
                    if policy.is_some() {
                        "Enter/y run · Esc/n cancel"
                    } else {
                        "Enter/y revoke · Esc/n cancel"
                    },
                    app.theme.dim(),
                )));
            }
            let height = wrapped_height(&lines, width);
            let title = if policy.is_some() {
                "Confirm reclaim run"
            } else {
                "Confirm revocation"
            };
            boxed(frame, centered(area, width, height), title, lines);
        }
        Dialog::Progress {
            title,
            total,
            answered,
        } => {
            let rect = centered(area, width, 5);
            frame.render_widget(Clear, rect);
            let block = Block::bordered().title(format!(" {title} "));
            let inner = block.inner(rect);
            frame.render_widget(block, rect);
            let [gauge, note] =
                Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(inner);
            let ratio = if *total == 0 {
                1.0
            } else {
                *answered as f64 / *total as f64
            };
            frame.render_widget(
                Gauge::default()
                    .gauge_style(app.theme.gauge())
                    .ratio(ratio.clamp(0.0, 1.0))
                    .label(format!("{answered} of {total} answered")),
                gauge,
            );
            frame.render_widget(
                Paragraph::new("keys keep working; results follow").style(app.theme.dim()),
                note,
            );
        }
        Dialog::Summary {
            title,
            done,
            failures,
        } => {
            let mut lines = vec![Line::from(Span::styled(
                format!("{done} done, {} failed.", failures.len()),
                Style::default().add_modifier(Modifier::BOLD),
            ))];
            if !failures.is_empty() {
                lines.push(Line::from("Failures:"));
                lines.extend(list_lines(app, failures));
            }
            lines.push(Line::from(""));
            let undo = app.keymap.keys_for(Command::Undo);
            lines.push(Line::from(Span::styled(
                if app.teachers.last_revoked.is_empty() {
                    "Enter closes".to_string()
                } else {
                    format!("Enter closes · {undo} undoes this revocation while the server allows")
                },
                app.theme.dim(),
            )));
            let height = wrapped_height(&lines, width);
            boxed(frame, centered(area, width, height), title, lines);
        }
        Dialog::Detail { title, lines } => {
            let lines: Vec<Line> = lines.iter().map(|l| Line::from(l.as_str())).collect();
            let height = (lines.len() as u16 + 3).min(area.height);
            let mut shown = lines;
            let room = usize::from(height.saturating_sub(3));
            if shown.len() > room {
                shown.truncate(room.saturating_sub(1));
                shown.push(Line::from("  ..."));
            }
            shown.push(Line::from(Span::styled(
                "Enter/Esc closes",
                app.theme.dim(),
            )));
            boxed(frame, centered(area, width, height), title, shown);
        }
        // Drawn by `view::forms`.
        Dialog::Form(_) | Dialog::Access { .. } | Dialog::Confirm { .. } => {}
    }
}

/// Help lines generated from the key map in force: every binding, what it
/// does, and why it is disabled when it is.
pub fn help_lines(app: &App) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if app.readonly {
        lines.push(Line::from(Span::styled(
            "Read-only profile (--readonly): keys that change data do nothing.",
            app.theme.warn(),
        )));
    }
    let query = app.help_query.to_lowercase();
    // This pane's own keys first, then those that work everywhere.
    let mut bindings: Vec<Command> = app.keymap.bindings.iter().map(|(c, _)| *c).collect();
    bindings.sort_by_key(|c| match c.scope() {
        Scope::Panes(panes) if panes.contains(&app.pane) => 0,
        Scope::Global => 1,
        Scope::Panes(_) => 2,
    });
    let mut heading = None;
    for command in &bindings {
        let keys = app.keymap.keys_for(*command);
        if keys.is_empty() {
            continue;
        }
        let searched =
            format!("{keys} {} {}", command.name(), command.description()).to_lowercase();
        if !query.is_empty() && !searched.contains(&query) {
            continue;
        }
        let group = match command.scope() {
            Scope::Panes(panes) if panes.contains(&app.pane) => 0,
            Scope::Global => 1,
            Scope::Panes(_) => 2,
        };
        if heading != Some(group) {
            heading = Some(group);
            lines.push(Line::from(Span::styled(
                match group {
                    0 => format!("{} pane", app.pane.title()),
                    1 => "Everywhere".to_string(),
                    _ => "Other panes".to_string(),
                },
                Style::default().add_modifier(Modifier::BOLD),
            )));
        }
        let scope = match command.scope() {
            Scope::Global => String::new(),
            Scope::Panes(panes) if panes.len() > 3 => {
                let names: Vec<&str> = crate::app::Pane::ALL
                    .iter()
                    .filter(|p| !panes.contains(p))
                    .map(|p| p.title())
                    .collect();
                format!(" (all but {})", names.join(", "))
            }
            Scope::Panes(panes) => {
                let names: Vec<&str> = panes.iter().map(|p| p.title()).collect();
                format!(" ({})", names.join(", "))
            }
        };
        let mut spans = vec![
            Span::styled(format!("{keys:>12}  "), app.theme.title()),
            Span::raw(format!("{}{scope}", command.description())),
        ];
        if let Some(reason) = app.blocked(*command) {
            spans.push(Span::styled(
                format!(" - disabled: {reason}"),
                app.theme.danger(),
            ));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::from(Span::styled(
        "Ctrl-C quits at once. Rebind keys under [profiles.NAME.keys] in config.toml.",
        app.theme.dim(),
    )));
    lines
}

pub fn help(app: &App, scroll: usize, frame: &mut Frame, area: Rect) {
    let lines = help_lines(app);
    let rect = centered(
        area,
        area.width.saturating_sub(4).min(110),
        area.height.saturating_sub(2),
    );
    let visible = usize::from(rect.height.saturating_sub(2));
    let scroll = scroll.min(lines.len().saturating_sub(visible));
    let shown: Vec<Line> = lines.into_iter().skip(scroll).take(visible).collect();
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(shown).block(
            Block::bordered()
                .title(" Help - keys in force (/ search, j/k PgUp/PgDn scroll, Esc closes) "),
        ),
        rect,
    );
}

pub fn palette(app: &App, frame: &mut Frame, body: Rect) {
    let candidates = crate::update::palette_candidates(app, &app.palette);
    let room = usize::from(body.height.saturating_sub(2)).clamp(1, 10);
    let pick = app.palette_pick.min(candidates.len().saturating_sub(1));
    // Scrolls to keep the highlighted entry in view.
    let offset = (pick + 1).saturating_sub(room);
    let lines: Vec<Line> = candidates
        .iter()
        .enumerate()
        .skip(offset)
        .take(room)
        .map(|(i, c)| {
            let mut spans = vec![
                Span::styled(format!("{:<16} ", c.name), app.theme.title()),
                Span::raw(c.help.clone()),
            ];
            if let crate::update::Verb::Command(command) = c.verb
                && let Some(reason) = app.blocked(command)
            {
                spans.push(Span::styled(
                    format!(" (disabled: {reason})"),
                    app.theme.dim(),
                ));
            }
            let line = Line::from(spans);
            if i == pick {
                line.style(app.theme.selected())
            } else {
                line
            }
        })
        .collect();
    let height = (lines.len() as u16 + 2).min(body.height);
    let rect = Rect {
        x: body.x,
        y: body.y + body.height - height,
        width: body.width.min(100),
        height,
    };
    let title = format!(
        "Commands {}/{} (↑/↓ pick, Tab complete)",
        if candidates.is_empty() { 0 } else { pick + 1 },
        candidates.len()
    );
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(format!(" {title} "))),
        rect,
    );
}

/// The purchasing-account picker over the panes.
pub fn picker(app: &App, picker: &crate::app::Picker, frame: &mut Frame, area: Rect) {
    let rows = crate::update::picker_rows(app, &picker.query);
    let rect = centered(
        area,
        area.width.saturating_sub(4).min(90),
        area.height.saturating_sub(2).min(rows.len() as u16 + 3),
    );
    let room = usize::from(rect.height.saturating_sub(3)).max(1);
    let pick = picker.pick.min(rows.len().saturating_sub(1));
    let offset = (pick + 1).saturating_sub(room);
    let (before, after) = crate::edit::split(&picker.query, app.caret);
    let mut lines = vec![Line::from(vec![
        Span::styled("search: ", app.theme.title()),
        Span::raw(format!("{before}_{after}")),
    ])];
    lines.extend(
        rows.iter()
            .enumerate()
            .skip(offset)
            .take(room)
            .map(|(i, (id, label))| {
                let current = if *id == app.account {
                    " (shown now)"
                } else {
                    ""
                };
                let line = Line::from(format!("{label}{current}"));
                if i == pick {
                    line.style(app.theme.selected())
                } else {
                    line
                }
            }),
    );
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(format!(
            " Purchasing account {}/{} (type to search, ↑/↓, Enter, Esc) ",
            if rows.is_empty() { 0 } else { pick + 1 },
            rows.len()
        ))),
        rect,
    );
}
