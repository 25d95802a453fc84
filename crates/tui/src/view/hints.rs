//! The key hints a pane shows above its list, with actions this token may
//! not take set apart and the reason given, rather than left to fail.

use ratatui::text::{Line, Span};

use crate::app::App;
use crate::keymap::Command;

pub struct Hint {
    keys: String,
    label: &'static str,
    blocked: Option<String>,
}

impl Hint {
    pub fn new(app: &App, command: Command, label: &'static str) -> Hint {
        Hint {
            keys: app.keymap.keys_for(command),
            label,
            blocked: app.blocked(command),
        }
    }

    /// Blocked for `reason` too, when the command itself is not.
    pub fn or_blocked(mut self, reason: Option<String>) -> Hint {
        if self.blocked.is_none() {
            self.blocked = reason;
        }
        self
    }
}

/// "s status  t type ...", then, when some are off, a second line
/// "off: n new - why" with the first reason only, as they are usually one
/// and the same. Narrow screens name the keys alone.
pub fn hint_lines(app: &App, hints: &[Hint], width: u16) -> Vec<Line<'static>> {
    let mut spans = Vec::new();
    let on = hints
        .iter()
        .filter(|h| h.blocked.is_none() && !h.keys.is_empty());
    for hint in on {
        spans.push(Span::styled(format!("{} ", hint.keys), app.theme.title()));
        spans.push(Span::raw(format!("{}  ", hint.label)));
    }
    let mut lines = vec![Line::from(spans)];
    let off: Vec<&Hint> = hints.iter().filter(|h| h.blocked.is_some()).collect();
    if let Some(first) = off.first() {
        let names: Vec<String> = off
            .iter()
            .map(|h| {
                if width >= 120 {
                    format!("{} {}", h.keys, h.label)
                } else {
                    h.keys.clone()
                }
            })
            .collect();
        lines.push(Line::from(Span::styled(
            format!(
                "off: {} - {}",
                names.join(", "),
                first.blocked.as_deref().unwrap_or("")
            ),
            app.theme.dim(),
        )));
    }
    lines
}
