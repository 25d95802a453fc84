//! The Dashboard's alerts: licenses nearing their finish date or in grace,
//! pools nearly full, activation codes redeemed suspiciously fast.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use seatdesk_core::api::alerts::{Alert, AlertKind, AlertSeverity};

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

/// The alert in one short line that leads with its figures ("ends in 19
/// days (2026-03-20)"), then says which license: at 80 columns the server's
/// full sentence would be cut before its point, and a cut falls on the
/// names, not the numbers.
fn headline(a: &Alert) -> String {
    let f = &a.figures;
    let what = match a.kind {
        AlertKind::LicenseExpiring => f.remaining_days.map(|days| {
            let on = f.finish_date.map(|d| format!(" ({d})")).unwrap_or_default();
            format!("ends in {days} days{on}")
        }),
        AlertKind::LicenseInGrace => f.grace_until.map(|until| format!("grace ends {until}")),
        AlertKind::PoolNearlyFull => match (f.seats_used, f.seats_purchased) {
            (Some(used), Some(purchased)) => Some(format!("{used} of {purchased} seats used")),
            _ => None,
        },
        AlertKind::PoolFullForecast => match (f.full_in_days, f.full_on) {
            (Some(days), Some(on)) => Some(format!("full in ~{days} days ({on})")),
            _ => None,
        },
        AlertKind::CodeRedeemedFast => match (f.redemptions, f.window_minutes) {
            (Some(n), Some(minutes)) => Some(format!(
                "{n} seats in {minutes} min from code {}",
                a.code.as_deref().unwrap_or("?")
            )),
            _ => None,
        },
    };
    match what {
        Some(what) => format!(
            "{what} · {} license {} · {}",
            a.product, a.license_id, a.org
        ),
        None => a.message.clone(),
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
            let text = super::columns::ellipsize(&headline(a), area.width.saturating_sub(9));
            Line::from(vec![
                Span::styled(format!("{} ", tag(a.severity)), style),
                Span::raw(text),
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
