//! Claims (seat assignments as the License Claims report shows them): every
//! operation that answers with a claim reads it here. The row shape and
//! its SQL live in [`crate::store::claims`].

use seatdesk_core::api::seats::Claim;

use crate::db::Conn;
use crate::error::ApiResult;

/// One claim by seat id (no scope check: callers have checked the seat).
pub async fn load_claim(conn: &mut Conn, seat_id: i64) -> ApiResult<Claim> {
    Ok(crate::store::claims::claim(conn, seat_id).await?.into())
}
