//! The audit log's statements: appending events, reading the log and the
//! change feed, and the feed head.
//!
//! Sequence numbers come from the one-row `audit_head` table, bumped as the
//! last statement of each write transaction: its row lock is held until
//! commit, so a later seq can never become visible before an earlier one,
//! on SQLite or PostgreSQL, with any number of server processes. A reader
//! of `after=<seq>` never skips.

use std::fmt::Write;

use seatdesk_core::api::audit::{AuditEvent, AuditQuery};
use serde_json::Value;

use crate::db::sql::{Sql, Target, like_escape};
use crate::db::types::{JsonText, Stamp};
use crate::db::{Backend, Conn};
use crate::domain::scope::Scope;

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
    rows: Vec<PendingRow>,
}

#[derive(Debug, Clone)]
struct PendingRow {
    action: &'static str,
    target_type: &'static str,
    target_id: i64,
    org_path: String,
    before: Option<String>,
    after: Option<String>,
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
    fn json_array(&self) -> String {
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

/// Allocates seq numbers and inserts `events`; returns the last seq.
pub async fn append(
    conn: &mut Conn,
    events: &[NewEvent],
    actor: &str,
    request_id: &str,
    at: Stamp,
) -> Result<i64, sqlx::Error> {
    let mut rows = EventRows::default();
    for event in events {
        rows.push(event);
    }
    append_rows(conn, &rows, actor, request_id, at).await
}

/// Allocates seq numbers and inserts `rows`, in order; returns the last seq.
pub async fn append_rows(
    conn: &mut Conn,
    rows: &EventRows,
    actor: &str,
    request_id: &str,
    at: Stamp,
) -> Result<i64, sqlx::Error> {
    if rows.is_empty() {
        return Ok(0);
    }
    let count = rows.len() as i64;
    let last: i64 =
        crate::db::query_scalar("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq")
            .bind(count)
            .fetch_one(&mut *conn)
            .await?;
    match conn.backend() {
        Backend::Sqlite => insert_values(conn, rows, actor, request_id, at, last - count).await,
        Backend::Postgres => insert_json(conn, rows, actor, request_id, at, last - count).await,
    }?;
    Ok(last)
}

/// The current audit feed head: the seq of the last committed event (or,
/// inside a write transaction, of the last event that transaction saw).
pub async fn feed_head<'c>(target: impl Into<Target<'c>>) -> Result<i64, sqlx::Error> {
    crate::db::query_scalar("SELECT seq FROM audit_head WHERE id = 1")
        .fetch_one(target)
        .await
}

/// An audit event as stored.
#[derive(sqlx::FromRow)]
pub struct EventRow {
    pub seq: i64,
    pub at: Stamp,
    pub actor: String,
    pub action: String,
    pub target_type: String,
    pub target_id: i64,
    pub before_json: Option<JsonText<Value>>,
    pub after_json: Option<JsonText<Value>>,
    pub request_id: String,
}

impl From<EventRow> for AuditEvent {
    fn from(r: EventRow) -> AuditEvent {
        AuditEvent {
            seq: r.seq,
            at: r.at.0,
            actor: r.actor,
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
            before: r.before_json.map(|j| j.0),
            after: r.after_json.map(|j| j.0),
            request_id: r.request_id,
        }
    }
}

const EVENT_SELECT: &str = "SELECT seq, at, actor, action, target_type, target_id, before_json, \
    after_json, request_id FROM audit_events";

/// Events visible to `scope`: its subtree, plus catalogue-wide events.
fn scoped(scope: &Scope) -> Sql {
    let mut sql = Sql::new(EVENT_SELECT);
    sql.push(" WHERE (")
        .push(&scope.sql("org_path"))
        .push(" OR org_path = '/')");
    sql
}

/// Events of `scope` matching `query`, newest first, at most `limit + 1`
/// (the extra row only says there is a next page).
pub async fn list_events(
    pool: &crate::db::Pool,
    scope: &Scope,
    query: &AuditQuery,
    limit: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    let mut sql = scoped(scope);
    if let Some(action) = query.action.as_deref().filter(|a| !a.is_empty()) {
        // `seat` matches every seat.* action; `seat.revoke` matches exactly.
        if action.contains('.') {
            sql.push(" AND action = ").bind(action.to_string());
        } else {
            sql.push(" AND action LIKE ")
                .bind_like(format!("{}.%", like_escape(action)));
        }
    }
    if let Some(actor) = query.actor.as_deref().filter(|a| !a.is_empty()) {
        sql.push(" AND actor LIKE ")
            .bind_like(format!("%{}%", like_escape(actor)));
    }
    if let Some(kind) = query.target_type.as_deref().filter(|a| !a.is_empty()) {
        sql.push(" AND target_type = ").bind(kind.to_string());
    }
    if let Some(id) = query.target_id {
        sql.push(" AND target_id = ").bind(id);
    }
    if let Some(from) = query.from {
        sql.push(" AND at >= ").bind(Stamp(from));
    }
    if let Some(to) = query.to {
        sql.push(" AND at < ").bind(Stamp(to));
    }
    if let Some(before) = query.before {
        sql.push(" AND seq < ").bind(before);
    }
    sql.push(" ORDER BY seq DESC LIMIT ").bind(limit + 1);
    sql.query_as().fetch_all(pool).await
}

/// Events of `scope` with `after < seq <= head`, oldest first, at most
/// `limit + 1`.
pub async fn events_after(
    pool: &crate::db::Pool,
    scope: &Scope,
    after: i64,
    head: i64,
    limit: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    let mut sql = scoped(scope);
    sql.push(" AND seq > ")
        .bind(after)
        .push(" AND seq <= ")
        .bind(head);
    sql.push(" ORDER BY seq LIMIT ").bind(limit + 1);
    sql.query_as().fetch_all(pool).await
}

/// The event numbered `seq`.
pub async fn event(pool: &crate::db::Pool, seq: i64) -> Result<EventRow, sqlx::Error> {
    crate::db::query_as(format!("{EVENT_SELECT} WHERE seq = $1"))
        .bind(seq)
        .fetch_one(pool)
        .await
}

/// Rows per multi-row INSERT on SQLite: 10 values a row keeps a statement
/// at 10,000 values, under SQLite's 32,766.
const CHUNK: usize = 1_000;

/// SQLite: multi-row INSERTs with `?` placeholders. Measured against
/// expanding one JSON parameter with `json_each` (as PostgreSQL does
/// below), this was as fast or faster: SQLite binds values cheaply.
async fn insert_values(
    conn: &mut Conn,
    rows: &EventRows,
    actor: &str,
    request_id: &str,
    at: Stamp,
    mut seq: i64,
) -> Result<(), sqlx::Error> {
    for chunk in rows.rows.chunks(CHUNK) {
        let mut sql = Sql::new_for(
            Backend::Sqlite,
            "INSERT INTO audit_events (seq, at, actor, action, target_type, target_id, \
             org_path, before_json, after_json, request_id) VALUES ",
        );
        for (i, row) in chunk.iter().enumerate() {
            seq += 1;
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(seq)
                .push(", ")
                .bind(at)
                .push(", ")
                .bind(actor.to_string())
                .push(", ");
            sql.bind(row.action.to_string())
                .push(", ")
                .bind(row.target_type.to_string())
                .push(", ");
            sql.bind(row.target_id)
                .push(", ")
                .bind(row.org_path.clone())
                .push(", ");
            sql.bind(row.before.clone()).push(", ");
            sql.bind(row.after.clone()).push(", ");
            sql.bind(request_id.to_string()).push(")");
        }
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// PostgreSQL: all rows as one JSON array bound as a single value and
/// expanded by `json_array_elements`. Binding ten values per row through
/// sqlx (65,535 at most per statement, so many statements)
/// cost most of a 10,000-seat revocation's audit append; one parameter
/// costs a parse.
async fn insert_json(
    conn: &mut Conn,
    rows: &EventRows,
    actor: &str,
    request_id: &str,
    at: Stamp,
    before_first: i64,
) -> Result<(), sqlx::Error> {
    // WITH ORDINALITY numbers the elements from 1, in array order.
    crate::db::query(
        "INSERT INTO audit_events (seq, at, actor, action, target_type, target_id, \
         org_path, before_json, after_json, request_id) \
         SELECT $1 + e.n, $2, $3, e.value ->> 0, e.value ->> 1, \
         (e.value ->> 2)::bigint, e.value ->> 3, e.value ->> 4, e.value ->> 5, $4 \
         FROM json_array_elements($5::json) WITH ORDINALITY AS e(value, n)",
    )
    .bind(before_first)
    .bind(at)
    .bind(actor.to_string())
    .bind(request_id.to_string())
    .bind(rows.json_array())
    .execute(&mut *conn)
    .await?;
    Ok(())
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
