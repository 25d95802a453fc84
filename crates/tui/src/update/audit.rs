//! The Audit pane's Enter: an event's whole record (before and after),
//! or a bulk operation's items opened and closed.

use crate::app::{App, AuditRow, Dialog};
use crate::model;

/// Enter on an Audit row: a bulk operation (one request, many events)
/// opens to its items or closes again; a single event shows its detail.
pub(super) fn open(app: &mut App) {
    let Some(row) = app.audit.rows.get(app.audit.list.cursor).cloned() else {
        return;
    };
    match row {
        AuditRow::Group { request_id, .. } => {
            if !app.audit.expanded.remove(&request_id) {
                app.audit.expanded.insert(request_id);
            }
            model::rebuild_audit(app);
        }
        AuditRow::Event { index, .. } => {
            let Some(e) = app.audit.events.get(index) else {
                return;
            };
            let json = |v: &Option<serde_json::Value>| {
                v.as_ref().map_or_else(
                    || "(none)".to_string(),
                    |v| serde_json::to_string_pretty(v).unwrap_or_default(),
                )
            };
            let mut lines = vec![
                format!(
                    "Event {} at {}",
                    e.seq,
                    e.at.format("%Y-%m-%d %H:%M:%S UTC")
                ),
                format!("Actor:   {}", e.actor),
                format!("Action:  {}", e.action),
                format!("Target:  {} {}", e.target_type, e.target_id),
                format!("Request: {}", e.request_id),
                "Before:".to_string(),
            ];
            lines.extend(json(&e.before).lines().map(|l| format!("  {l}")));
            lines.push("After:".to_string());
            lines.extend(json(&e.after).lines().map(|l| format!("  {l}")));
            app.dialog = Some(Dialog::Detail {
                title: format!("Audit event {}", e.seq),
                lines,
            });
        }
    }
}
