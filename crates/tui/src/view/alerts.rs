//! The Dashboard's alerts: licenses nearing their finish date or in grace,
//! pools nearly full, activation codes redeemed suspiciously fast.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use seatdesk_core::api::alerts::{Alert, AlertSeverity};

use crate::app::App;

/// Alerts of the chosen purchasing account (all without one).
pub fn shown(app: &App) -> Vec<&Alert> {
    app.alerts
        .items
        .iter()
        .filter(|a| app.account.is_none_or(|id| a.account_id == id))
        .collect()
}

/// Rows the alerts box takes in a body `height` tall: none before the
/// first answer, a few on a small terminal.
pub fn rows(app: &App, height: u16) -> u16 {
    if !app.alerts.loaded && app.alerts.error.is_none() {
        return 0;
    }
    let most = if height < 30 { 5 } else { 9 };
    (shown(app).len().max(1) as u16 + 2).min(most)
}

fn tag(severity: AlertSeverity) -> &'static str {
    match severity {
        AlertSeverity::Critical => "[crit]",
        AlertSeverity::Warning => "[warn]",
        AlertSeverity::Info => "[info]",
    }
}

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    if area.height == 0 {
        return;
    }
    let alerts = shown(app);
    let capacity = usize::from(area.height.saturating_sub(2));
    let mut lines: Vec<Line> = alerts
        .iter()
        .take(capacity)
        .map(|a| {
            let style = match a.severity {
                AlertSeverity::Critical => app.theme.danger(),
                AlertSeverity::Warning => app.theme.warn(),
                AlertSeverity::Info => Style::default(),
            };
            Line::from(vec![
                Span::styled(format!("{} ", tag(a.severity)), style),
                Span::raw(a.message.clone()),
            ])
        })
        .collect();
    if alerts.is_empty() {
        lines.push(Line::from(Span::styled(
            match &app.alerts.error {
                Some(_) => "Alerts could not be loaded.",
                None => {
                    "No alerts: nothing expiring soon, in grace, nearly full or redeemed too fast."
                }
            },
            app.theme.dim(),
        )));
    }
    let mut title = format!(" Alerts ({})", alerts.len());
    if alerts.len() > capacity {
        title.push_str(&format!(", {} not shown", alerts.len() - capacity));
    }
    if app.alerts.truncated {
        title.push_str(", truncated");
    }
    if let Some(error) = &app.alerts.error {
        title.push_str(&format!(" - {error}"));
    }
    title.push(' ');
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(title)),
        area,
    );
}
