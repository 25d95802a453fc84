//! `render`: a pure function of `&App` onto a frame. Lists build only the
//! rows on screen, so a frame costs the same whatever the cache holds.

mod alerts;
mod codes;
mod columns;
mod forms;
mod hints;
mod inventory;
mod overlays;
mod panes;
mod reclaim;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row};

use crate::app::{App, Input, ListState, Pane};

pub(crate) const SPINNER: [&str; 4] = ["|", "/", "-", "\\"];

pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    let banner = banner_text(app);
    let [tabs, banner_area, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(u16::from(banner.is_some())),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    render_tabs(app, frame, tabs);
    if let Some(text) = banner {
        frame.render_widget(Paragraph::new(text).style(app.theme.banner()), banner_area);
    }
    match app.pane {
        Pane::Dashboard => panes::dashboard(app, frame, body),
        Pane::Claims => panes::claims(app, frame, body),
        Pane::Teachers => panes::teachers(app, frame, body),
        Pane::Audit => panes::audit(app, frame, body),
        Pane::Codes => codes::render(app, frame, body),
        Pane::Inventory => inventory::render(app, frame, body),
        Pane::Reclaim => reclaim::render(app, frame, body),
    }
    render_status(app, frame, status);
    if app.input == Some(Input::Palette) {
        overlays::palette(app, frame, body);
    }
    match &app.dialog {
        Some(crate::app::Dialog::Form(form)) => forms::form(app, form, frame, area),
        Some(crate::app::Dialog::Access {
            user,
            product,
            result,
        }) => forms::access(app, user, product, result.as_ref(), frame, area),
        Some(crate::app::Dialog::Confirm { title, lines, .. }) => {
            forms::confirm(app, title, lines, frame, area);
        }
        Some(dialog) => overlays::dialog(app, dialog, frame, area),
        None => {}
    }
    if let Some(picker) = &app.picker {
        overlays::picker(app, picker, frame, area);
    }
    if let Some(scroll) = app.help {
        overlays::help(app, scroll, frame, area);
    }
}

/// How many rows a bordered table with a header row shows in `area`.
pub(crate) fn body_height(area: Rect) -> usize {
    usize::from(area.height.saturating_sub(3)).max(1)
}

/// A table's header row: the titles in bold.
pub(crate) fn header_row<'a, T: Into<ratatui::text::Text<'a>>>(titles: Vec<T>) -> Row<'a> {
    Row::new(titles).style(Style::default().add_modifier(Modifier::BOLD))
}

/// " 12/480 ": where the cursor is, for the bottom right of a list's border.
pub(crate) fn list_position(list: &ListState, len: usize) -> Line<'static> {
    let at = if len == 0 { 0 } else { list.cursor + 1 };
    Line::from(format!(" {at}/{len} ")).right_aligned()
}

/// A UTC timestamp as its date, the way every table shows dates.
pub(crate) fn day(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// The visible window of a list of `len` rows `height` high, from the
/// list's offset, always keeping the cursor inside and the range in bounds.
pub(crate) fn window(list: &ListState, len: usize, height: usize) -> std::ops::Range<usize> {
    if len == 0 {
        return 0..0;
    }
    let cursor = list.cursor.min(len - 1);
    let mut offset = list.offset.min(len - 1);
    if cursor >= offset + height {
        offset = cursor + 1 - height;
    }
    offset..(offset + height).min(len)
}

/// The stale-data banner: shown while the server cannot be reached.
pub fn banner_text(app: &App) -> Option<String> {
    let reason = app.sync.offline.as_ref()?;
    Some(format!(
        " OFFLINE: cached data, {}; read-only until the server answers. {reason}",
        app.cache_age()
    ))
}

fn render_tabs(app: &App, frame: &mut Frame, area: Rect) {
    let wide = area.width >= 120;
    let mut spans = Vec::new();
    if wide {
        spans.push(Span::styled(" seatdesk ", app.theme.title()));
    }
    // Below 60 columns every tab still shows, by its number and a hint.
    let narrow = area.width < 60;
    for (i, pane) in Pane::ALL.iter().enumerate() {
        let title = match (wide, pane) {
            _ if narrow => &pane.title()[..2],
            (false, Pane::Dashboard) => "Dash",
            (false, Pane::Inventory) => "Inv",
            _ => pane.title(),
        };
        let label = if narrow {
            format!(" {}{title}", i + 1)
        } else {
            format!(" {} {title} ", i + 1)
        };
        let style = if *pane == app.pane {
            app.theme.selected()
        } else {
            Style::default()
        };
        spans.push(Span::styled(label, style));
    }
    // The Reclaim view is no numbered tab: it shows while open.
    if app.pane == Pane::Reclaim {
        let label = if narrow { " Re" } else { " Reclaim " };
        spans.push(Span::styled(label, app.theme.selected()));
    }
    let left = Line::from(spans);
    let mut right = String::new();
    if app.busy() {
        right.push_str(SPINNER[app.spinner % SPINNER.len()]);
        right.push(' ');
    }
    if app.readonly {
        right.push_str(if wide { "[read-only] " } else { "[ro] " });
    }
    right.push_str(&app.profile);
    let right_width = right.chars().count() as u16 + 1;
    let [l, r] =
        Layout::horizontal([Constraint::Min(1), Constraint::Length(right_width)]).areas(area);
    frame.render_widget(Paragraph::new(left), l);
    frame.render_widget(Paragraph::new(right).style(app.theme.dim()), r);
}

/// `text` with the caret of a text input drawn at `caret`: the character
/// under it reversed, or `_` at the end.
pub(crate) fn caret_spans(text: &str, caret: usize) -> Vec<Span<'static>> {
    let (before, after) = crate::edit::split(text, caret);
    let mut rest = after.chars();
    let under = rest.next();
    vec![
        Span::raw(before.to_string()),
        match under {
            Some(c) => Span::styled(
                c.to_string(),
                Style::default().add_modifier(Modifier::REVERSED),
            ),
            None => Span::raw("_"),
        },
        Span::raw(rest.as_str().to_string()),
    ]
}

fn render_status(app: &App, frame: &mut Frame, area: Rect) {
    let input_line = |prompt: String, text: &str, help: &str| {
        let mut spans = vec![Span::styled(prompt, app.theme.title())];
        spans.extend(caret_spans(text, app.caret));
        spans.push(Span::styled(format!("  {help}"), app.theme.dim()));
        Line::from(spans)
    };
    let line = match &app.input {
        Some(Input::Filter(Pane::Inventory)) => input_line(
            format!("/ {}: ", app.inventory.field.label()),
            &app.inventory.search,
            "Tab field · Enter search · Esc clear",
        ),
        Some(Input::Filter(pane)) => {
            let text = match pane {
                Pane::Codes => &app.codes.query,
                Pane::Claims => &app.claims_view.query,
                Pane::Teachers => &app.teachers.query,
                _ => &app.audit.query,
            };
            input_line("/".into(), text, "Enter keep · Esc clear")
        }
        Some(Input::HelpSearch) => {
            input_line("help /".into(), &app.help_query, "Enter keep · Esc clear")
        }
        Some(Input::Palette) => input_line(
            ":".into(),
            &app.palette,
            "Tab complete · ↑/↓ pick · Enter run · Esc cancel",
        ),
        None => match &app.message {
            Some(message) => Line::from(Span::styled(
                message.text.clone(),
                if message.error {
                    app.theme.danger()
                } else {
                    app.theme.good()
                },
            )),
            None => {
                let keys = |c| app.keymap.keys_for(c);
                use crate::keymap::Command as C;
                // Offline, the line says so as the banner does: the age is
                // of the last sync that worked.
                let state = if app.sync.offline.is_some() {
                    format!("OFFLINE, last {}", app.cache_age())
                } else {
                    app.cache_age()
                };
                Line::from(Span::styled(
                    format!(
                        "{} help  {} palette  {} filter  {} refresh  {} quit   {state}",
                        keys(C::Help),
                        keys(C::Palette),
                        keys(C::Filter),
                        keys(C::Refresh),
                        keys(C::Quit),
                    ),
                    app.theme.dim(),
                ))
            }
        },
    };
    frame.render_widget(Paragraph::new(line), area);
}
