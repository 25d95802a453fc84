//! Overlays drawn from their dialog's data: forms, the access check and
//! yes / no confirmations.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use seatdesk_core::api::triage::AccessCheck;

use super::overlays::{boxed, centered, wrapped_height};
use crate::app::App;
use crate::form::{FieldKind, Form};

/// Labels are padded to this many columns at most.
const LABEL_MAX: usize = 22;

fn bold() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

/// The form's lines and the index of the focused field's line.
fn form_lines(app: &App, form: &Form) -> (Vec<Line<'static>>, usize) {
    let pad = form
        .fields
        .iter()
        .filter(|f| matches!(f.kind, FieldKind::Text { .. } | FieldKind::Choice { .. }))
        .map(|f| f.label.chars().count())
        .max()
        .unwrap_or(0)
        .min(LABEL_MAX);
    let mut lines = Vec::new();
    let mut focus_line = 0;
    for (i, field) in form.fields.iter().enumerate() {
        let focused = i == form.focus && !form.submitting;
        if focused {
            focus_line = lines.len();
        }
        let marker = if focused { "> " } else { "  " };
        let label_style = if focused {
            app.theme.title()
        } else {
            Style::default()
        };
        let line = match &field.kind {
            FieldKind::Note => Line::from(Span::styled(field.label.clone(), app.theme.dim())),
            FieldKind::Fixed { checked } => Line::from(Span::styled(
                format!("  [{}] {}", if *checked { "x" } else { " " }, field.label),
                app.theme.dim(),
            )),
            FieldKind::Check { checked } => Line::from(vec![
                Span::raw(marker),
                Span::styled(
                    format!("[{}] {}", if *checked { "x" } else { " " }, field.label),
                    label_style,
                ),
            ]),
            FieldKind::Text { value, placeholder } => {
                let mut spans = vec![
                    Span::raw(marker),
                    Span::styled(format!("{:<pad$} ", field.label), label_style),
                ];
                if focused {
                    spans.extend(super::caret_spans(value, form.caret));
                } else {
                    spans.push(Span::raw(value.clone()));
                }
                if value.is_empty() && !placeholder.is_empty() {
                    spans.push(Span::styled(format!(" ({placeholder})"), app.theme.dim()));
                }
                Line::from(spans)
            }
            FieldKind::Choice { options, index } => {
                let shown = options
                    .get(*index)
                    .cloned()
                    .unwrap_or_else(|| "(none known yet)".into());
                let count = if options.len() > 1 {
                    format!(" ({} of {})", index + 1, options.len())
                } else {
                    String::new()
                };
                Line::from(vec![
                    Span::raw(marker),
                    Span::styled(format!("{:<pad$} ", field.label), label_style),
                    Span::raw(format!("< {shown} >")),
                    Span::styled(count, app.theme.dim()),
                ])
            }
        };
        lines.push(line);
        if let Some(error) = &field.error {
            lines.push(Line::from(Span::styled(
                format!("    ! {error}"),
                app.theme.danger(),
            )));
        }
    }
    if let Some(error) = &form.error {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            format!("! {error}"),
            app.theme.danger(),
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        if form.submitting {
            "sending... keys keep working; Esc closes and the answer shows below".to_string()
        } else {
            format!(
                "Enter {} · Tab/S-Tab move · Space toggle · Esc cancel",
                form.submit
            )
        },
        app.theme.dim(),
    )));
    (lines, focus_line)
}

pub fn form(app: &App, form: &Form, frame: &mut Frame, area: Rect) {
    let width = area.width.saturating_sub(4).min(96);
    let (lines, focus_line) = form_lines(app, form);
    let height = wrapped_height(&lines, width).min(area.height);
    let rect = centered(area, width, height);
    // Long forms on short terminals scroll to keep the focused field shown.
    let visible = usize::from(rect.height.saturating_sub(2));
    let scroll = (focus_line + 3).saturating_sub(visible);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll as u16, 0))
            .block(Block::bordered().title(Span::styled(format!(" {} ", form.title), bold()))),
        rect,
    );
}

fn check_lines(app: &App, check: &AccessCheck, wide: bool) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::from(format!(
            "{} - {} - as of {}",
            check.user_email, check.product_sku, check.today
        )),
        Line::from(Span::styled(
            if check.access {
                "ACCESS GRANTED".to_string()
            } else {
                format!(
                    "NO ACCESS: {}",
                    check.summary.trim_start_matches("no access: ")
                )
            },
            if check.access {
                app.theme.good().add_modifier(Modifier::BOLD)
            } else {
                app.theme.danger()
            },
        )),
        Line::from(""),
    ];
    for c in &check.conditions {
        let (symbol, style) = match (c.pass, c.warning) {
            (true, false) => ("✓", app.theme.good()),
            (true, true) => ("!", app.theme.warn()),
            (false, _) => ("✗", app.theme.danger()),
        };
        if wide {
            lines.push(Line::from(vec![
                Span::styled(format!("{symbol} {:<27}", c.name.label()), style),
                Span::raw(c.reason.clone()),
            ]));
        } else {
            lines.push(Line::from(Span::styled(
                format!("{symbol} {}", c.name.label()),
                style,
            )));
            lines.push(Line::from(format!("    {}", c.reason)));
        }
    }
    lines
}

pub fn access(
    app: &App,
    user: &str,
    product: &str,
    result: Option<&Result<AccessCheck, String>>,
    frame: &mut Frame,
    area: Rect,
) {
    let width = area.width.saturating_sub(4).min(110);
    let mut lines = match result {
        None => vec![Line::from(format!(
            "Checking {user} for product {product}... {}",
            super::SPINNER[app.spinner % super::SPINNER.len()]
        ))],
        Some(Err(error)) => vec![Line::from(Span::styled(
            format!("The check failed: {error}"),
            app.theme.danger(),
        ))],
        Some(Ok(check)) => check_lines(app, check, width >= 100),
    };
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "✓ pass  ! pass, needs attention  ✗ fail · Esc closes",
        app.theme.dim(),
    )));
    let height = wrapped_height(&lines, width);
    boxed(
        frame,
        centered(area, width, height),
        &format!("Access check: {user} for {product}"),
        lines,
    );
}

pub fn confirm(app: &App, title: &str, lines: &[String], frame: &mut Frame, area: Rect) {
    let width = area.width.saturating_sub(8).min(90);
    let mut shown: Vec<Line> = lines.iter().map(|l| Line::from(l.clone())).collect();
    shown.push(Line::from(""));
    shown.push(Line::from(Span::styled(
        "Enter/y yes · Esc/n no",
        app.theme.dim(),
    )));
    let height = wrapped_height(&shown, width);
    boxed(frame, centered(area, width, height), title, shown);
}
