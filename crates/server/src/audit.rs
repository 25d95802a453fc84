//! Writing audit events. Sequence numbers come from the one-row
//! `audit_head` table, bumped as the last statement of each write
//! transaction: its row lock is held until commit, so a later seq can never
//! become visible before an earlier one, on SQLite or PostgreSQL, with any
//! number of server processes. A reader of `after=<seq>` never skips.

use serde_json::Value;
use sqlx::AnyConnection;

use crate::db::Backend;
use crate::db::sql::Sql;

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

/// Rows per multi-row INSERT: 10 values a row keeps a statement at 10,000
/// values, under SQLite's 32,766 and PostgreSQL's 65,535.
const CHUNK: usize = 1_000;

/// Allocates seq numbers and inserts `events`; returns the last seq.
pub async fn append(
    conn: &mut AnyConnection,
    events: &[NewEvent],
    actor: &str,
    request_id: &str,
    at: i64,
) -> Result<i64, sqlx::Error> {
    if events.is_empty() {
        return Ok(0);
    }
    let last: i64 =
        sqlx::query_scalar("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq")
            .bind(events.len() as i64)
            .fetch_one(&mut *conn)
            .await?;
    let mut seq = last - events.len() as i64;
    let backend = Backend::of(conn);
    for chunk in events.chunks(CHUNK) {
        let mut sql = Sql::new_for(
            backend,
            "INSERT INTO audit_events (seq, at, actor, action, target_type, target_id, \
             org_path, before_json, after_json, request_id) VALUES ",
        );
        for (i, event) in chunk.iter().enumerate() {
            seq += 1;
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(seq)
                .push(", ")
                .bind(at)
                .push(", ")
                .bind(actor.to_string())
                .push(", ");
            sql.bind(event.action.to_string())
                .push(", ")
                .bind(event.target_type.to_string())
                .push(", ");
            sql.bind(event.target_id)
                .push(", ")
                .bind(event.org_path.clone())
                .push(", ");
            sql.bind(event.before.as_ref().map(Value::to_string))
                .push(", ");
            sql.bind(event.after.as_ref().map(Value::to_string))
                .push(", ");
            sql.bind(request_id.to_string()).push(")");
        }
        sql.query().execute(&mut *conn).await?;
    }
    Ok(last)
}
