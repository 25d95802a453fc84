//! The change feed's payloads as types. An audit event's `after` holds, for
//! the targets a client keeps a copy of, one of the shapes below; the server
//! writes them through these types and a client reads an event through
//! [`Change::of`], so no client matches action names or JSON keys by hand.
//! The JSON of `/v1/changes` and of webhooks is unchanged by this: these
//! types describe exactly what was already sent.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::audit::AuditEvent;
use super::seats::Claim;
use crate::SeatStatus;

/// `target_type` of events about seats.
pub const SEAT: &str = "seat";
/// `target_type` of events about licenses.
pub const LICENSE: &str = "license";

/// A seat's move to `status` when the event does not carry the whole claim
/// (revoke, restore). Fields are in the order serde writes them, which is
/// also sorted order: bulk paths render the same text by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatTransition {
    #[serde(
        default,
        with = "chrono::serde::ts_milliseconds_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub expired_at: Option<DateTime<Utc>>,
    pub license_id: i64,
    #[serde(
        default,
        with = "chrono::serde::ts_milliseconds_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub revoked_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_by: Option<String>,
    pub status: SeatStatus,
    pub user_id: i64,
}

impl SeatTransition {
    /// Applies this move to the cached `claim`, as of the event's time `at`.
    pub fn apply(&self, claim: &mut Claim, at: DateTime<Utc>) {
        match self.status {
            SeatStatus::Revoked => {
                claim.revoked_at = Some(self.revoked_at.unwrap_or(at));
                claim.revoked_by = self.revoked_by.clone().or(claim.revoked_by.take());
            }
            SeatStatus::Active => {
                claim.claimed_at = claim.claimed_at.or(Some(at));
                claim.revoked_at = None;
                claim.revoked_by = None;
            }
            SeatStatus::Pending => {
                claim.revoked_at = None;
                claim.revoked_by = None;
            }
            SeatStatus::Expired => {
                claim.expired_at = Some(self.expired_at.unwrap_or(at));
                claim.revoked_at = None;
                claim.revoked_by = None;
            }
        }
        claim.license_id = self.license_id;
        claim.status = self.status;
        claim.updated_at = at;
    }
}

/// What one event means for a copy of the licenses and claims.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A seat's whole claim as it now stands (assign, claim, expire).
    Claim(Box<Claim>),
    /// A seat moved status (revoke, restore).
    SeatMoved {
        seat_id: i64,
        transition: SeatTransition,
    },
    /// Something else about a seat changed (its teacher's student count):
    /// the seat must be read again.
    SeatTouched { seat_id: i64 },
    /// A license changed (status, dates, seat counts, allocation).
    License { license_id: i64 },
    /// An event about something a copy of licenses and claims does not hold.
    Elsewhere,
}

impl Change {
    /// Reads `event` as the change it records.
    pub fn of(event: &AuditEvent) -> Change {
        fn decode<T: serde::de::DeserializeOwned>(value: &serde_json::Value) -> Option<T> {
            T::deserialize(value).ok()
        }
        let after = event.after.as_ref();
        match event.target_type.as_str() {
            SEAT => {
                if let Some(claim) = after.and_then(decode) {
                    return Change::Claim(Box::new(claim));
                }
                match after.and_then(decode) {
                    Some(transition) => Change::SeatMoved {
                        seat_id: event.target_id,
                        transition,
                    },
                    None => Change::SeatTouched {
                        seat_id: event.target_id,
                    },
                }
            }
            LICENSE => Change::License {
                license_id: event.target_id,
            },
            _ => Change::Elsewhere,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(target_type: &str, after: serde_json::Value) -> AuditEvent {
        AuditEvent {
            seq: 1,
            at: DateTime::from_timestamp_millis(1_700_000_000_000).unwrap(),
            actor: "ops".into(),
            action: "whatever".into(),
            target_type: target_type.into(),
            target_id: 9,
            before: None,
            after: Some(after),
            request_id: "r".into(),
        }
    }

    #[test]
    fn a_revocation_reads_as_a_move_and_writes_the_same_text_back() {
        // Exactly what the bulk revocation renders by hand.
        let text = r#"{"license_id":4,"revoked_at":1700000000123,"revoked_by":"ops","status":"revoked","user_id":77}"#;
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        let Change::SeatMoved {
            seat_id,
            transition,
        } = Change::of(&event(SEAT, value))
        else {
            panic!("not a move")
        };
        assert_eq!(seat_id, 9);
        assert_eq!(transition.status, SeatStatus::Revoked);
        assert_eq!(
            transition.revoked_at.unwrap().timestamp_millis(),
            1_700_000_000_123
        );
        assert_eq!(serde_json::to_string(&transition).unwrap(), text);
    }

    #[test]
    fn other_seat_events_ask_for_the_seat_and_unknown_targets_are_elsewhere() {
        assert_eq!(
            Change::of(&event(SEAT, json!({"students_assigned": 3}))),
            Change::SeatTouched { seat_id: 9 }
        );
        assert_eq!(
            Change::of(&event(LICENSE, json!({"status": "active"}))),
            Change::License { license_id: 9 }
        );
        assert_eq!(
            Change::of(&event("code_batch", json!({}))),
            Change::Elsewhere
        );
    }
}
