//! Live seats: the statuses that hold a seat of a license (pending and
//! active, [`SeatStatus::consumes_seat`]). Every count of seats in use,
//! every "does the user already hold one" and every report of holders goes
//! through [`live_seat`], so SQL and Rust agree on one definition.

use std::sync::LazyLock;

use seatdesk_core::SeatStatus;

/// `('pending', 'active')`, built from [`SeatStatus::consumes_seat`].
static LIVE_LIST: LazyLock<String> = LazyLock::new(|| {
    let names: Vec<String> = SeatStatus::ALL
        .iter()
        .filter(|s| s.consumes_seat())
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("({})", names.join(", "))
});

/// `column IN ('pending', 'active')`: the SQL test for a live seat status.
pub fn live_seat(column: &str) -> String {
    format!("{column} IN {}", LIVE_LIST.as_str())
}

/// Whether a stored seat status is live; an unknown status is not.
pub fn is_live(status: &str) -> bool {
    SeatStatus::parse(status).is_some_and(SeatStatus::consumes_seat)
}

#[cfg(test)]
mod tests {
    use super::{is_live, live_seat};

    #[test]
    fn pending_and_active_seats_are_live() {
        assert_eq!(live_seat("s.status"), "s.status IN ('pending', 'active')");
        assert!(is_live("pending") && is_live("active"));
        assert!(!is_live("revoked") && !is_live("expired") && !is_live("bogus"));
    }
}
