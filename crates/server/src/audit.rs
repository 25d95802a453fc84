//! Audit events moved to [`crate::store::audit`]. What stays here keeps
//! other areas' imports compiling until their moves are merged; the lead
//! removes it then.

pub use crate::store::audit::{EventRows, NewEvent, push_json_string};

use crate::db::Conn;
use crate::db::types::Stamp;

/// [`crate::store::audit::append`] with the instant as unix milliseconds,
/// as callers not yet moved (the token bootstrap) pass it.
pub async fn append(
    conn: &mut Conn,
    events: &[NewEvent],
    actor: &str,
    request_id: &str,
    at: i64,
) -> Result<i64, sqlx::Error> {
    let at = Stamp::try_from(at).map_err(|e| sqlx::Error::Encode(e.into()))?;
    crate::store::audit::append(conn, events, actor, request_id, at).await
}
