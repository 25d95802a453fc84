//! The audit log's statements: appending events, reading the log and the
//! change feed, and the feed head.
//!
//! Sequence numbers come from the one-row `audit_head` table, bumped as the
//! last statement of each write transaction: its row lock is held until
//! commit, so a later seq can never become visible before an earlier one,
//! on SQLite or PostgreSQL, with any number of server processes. A reader
//! of `after=<seq>` never skips.

mod events;

pub use events::{EventRows, NewEvent, push_json_string};

use seatdesk_core::api::audit::{AuditEvent, AuditQuery};
use serde_json::Value;

use crate::db::sql::{Sql, Target, like_escape};
use crate::db::types::{JsonText, Stamp};
use crate::db::{Backend, Conn};
use crate::domain::scope::Scope;

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
    match conn.backend() {
        Backend::Sqlite => {
            let last: i64 = crate::db::query_scalar(
                "UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq",
            )
            .bind(count)
            .fetch_one(&mut *conn)
            .await?;
            insert_values(conn, rows, actor, request_id, at, last - count).await?;
            Ok(last)
        }
        Backend::Postgres => insert_json(conn, rows, actor, request_id, at).await,
    }
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

/// PostgreSQL: one statement that bumps `audit_head` and inserts all rows,
/// given as one JSON array bound as a single value and expanded by
/// `json_array_elements`. Binding ten values per row through sqlx (65,535
/// at most per statement, so many statements) cost most of a 10,000-seat
/// revocation's audit append; one parameter costs a parse, and one
/// statement one round trip. Returns the last seq.
async fn insert_json(
    conn: &mut Conn,
    rows: &EventRows,
    actor: &str,
    request_id: &str,
    at: Stamp,
) -> Result<i64, sqlx::Error> {
    // WITH ORDINALITY numbers the elements from 1, in array order; the
    // INSERT runs though the outer SELECT reads only the head.
    crate::db::query_scalar(
        "WITH head AS (UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq), \
         written AS (INSERT INTO audit_events (seq, at, actor, action, target_type, target_id, \
         org_path, before_json, after_json, request_id) \
         SELECT head.seq - $1 + e.n, $2, $3, e.value ->> 0, e.value ->> 1, \
         (e.value ->> 2)::bigint, e.value ->> 3, (e.value ->> 4)::jsonb, (e.value ->> 5)::jsonb, $4 \
         FROM head, json_array_elements($5::json) WITH ORDINALITY AS e(value, n)) \
         SELECT seq FROM head",
    )
    .bind(rows.len() as i64)
    .bind(at)
    .bind(actor.to_string())
    .bind(request_id.to_string())
    .bind(rows.json_array())
    .fetch_one(&mut *conn)
    .await
}
