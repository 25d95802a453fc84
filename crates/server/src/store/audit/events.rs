//! Audit events as they are queued and inserted: before/after rendered
//! once as the exact JSON text stored, so a bulk path can write that text
//! directly instead of building and printing a value per row.

use std::fmt::Write;

use serde_json::Value;

/// An event to append when the transaction commits.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub action: &'static str,
    pub target_type: &'static str,
    pub target_id: i64,
    /// Org path of the thing changed; scopes who may read the event.
    pub org_path: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Events ready to insert, their before/after already rendered as the
/// exact text stored in `before_json`/`after_json`.
///
/// Bulk paths push rendered text straight in ([`EventRows::push_text`]):
/// building a `serde_json::Value` per seat and printing it is avoidable
/// work when the shape is fixed.
#[derive(Debug, Default, Clone)]
pub struct EventRows {
    pub(super) rows: Vec<PendingRow>,
}

#[derive(Debug, Clone)]
pub(super) struct PendingRow {
    pub(super) action: &'static str,
    pub(super) target_type: &'static str,
    pub(super) target_id: i64,
    pub(super) org_path: String,
    pub(super) before: Option<String>,
    pub(super) after: Option<String>,
}

impl EventRows {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn push(&mut self, event: &NewEvent) {
        self.rows.push(PendingRow {
            action: event.action,
            target_type: event.target_type,
            target_id: event.target_id,
            org_path: event.org_path.clone(),
            before: event.before.as_ref().map(Value::to_string),
            after: event.after.as_ref().map(Value::to_string),
        });
    }

    /// Appends an event whose before/after are already JSON text, written
    /// exactly as serde_json would write the value (compact, keys sorted).
    pub fn push_text(
        &mut self,
        action: &'static str,
        target_type: &'static str,
        target_id: i64,
        org_path: &str,
        before: Option<&str>,
        after: Option<&str>,
    ) {
        self.rows.push(PendingRow {
            action,
            target_type,
            target_id,
            org_path: org_path.to_string(),
            before: before.map(str::to_string),
            after: after.map(str::to_string),
        });
    }

    /// Appends `other`'s events after these.
    pub fn extend(&mut self, other: &EventRows) {
        self.rows.extend_from_slice(&other.rows);
    }

    /// `[[action, target_type, target_id, org_path, before, after], …]`,
    /// before and after as JSON strings holding the stored text (or null).
    pub(super) fn json_array(&self) -> String {
        let mut out = String::with_capacity(self.rows.len() * 256);
        out.push('[');
        for (i, row) in self.rows.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('[');
            push_json_string(&mut out, row.action);
            out.push(',');
            push_json_string(&mut out, row.target_type);
            // Writing to a String cannot fail.
            let _ = write!(out, ",{},", row.target_id);
            push_json_string(&mut out, &row.org_path);
            for text in [&row.before, &row.after] {
                out.push(',');
                match text {
                    Some(text) => push_json_string(&mut out, text),
                    None => out.push_str("null"),
                }
            }
            out.push(']');
        }
        out.push(']');
        out
    }
}

/// Appends `text` as a JSON string literal, the way serde_json escapes it
/// (so a value rendered by hand matches `Value::to_string`).
pub fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    let mut start = 0;
    for (i, byte) in text.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&text[start..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{byte:04x}");
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&text[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_does() {
        for text in [
            "plain",
            "q\"b\\s/t\tn\nr\r\u{8}\u{c}\u{1}\u{1f}",
            "Zoë 東京 😀",
            "",
        ] {
            let mut out = String::new();
            push_json_string(&mut out, text);
            assert_eq!(out, Value::String(text.into()).to_string());
        }
    }

    #[test]
    fn rows_are_one_json_array_in_order() {
        let mut rows = EventRows::default();
        let event = NewEvent {
            action: "seat.revoke",
            target_type: "seat",
            target_id: 7,
            org_path: "/1/".into(),
            before: Some(serde_json::json!({"status": "a\"b"})),
            after: None,
        };
        rows.push(&event);
        let mut more = EventRows::default();
        more.push_text("x", "y", -3, "/2/", None, Some("{}"));
        rows.extend(&more);
        rows.extend(&EventRows::default());
        let parsed: Value = serde_json::from_str(&rows.json_array()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            parsed,
            serde_json::json!([
                [
                    "seat.revoke",
                    "seat",
                    7,
                    "/1/",
                    "{\"status\":\"a\\\"b\"}",
                    null
                ],
                ["x", "y", -3, "/2/", null, "{}"]
            ])
        );
    }
}
