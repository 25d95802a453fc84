//! The audit log, which doubles as the change feed clients sync from.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// One append-only audit event. `seq` numbers are handed out in commit
/// order, so a reader of `after=<seq>` never misses an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditEvent {
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// Who did it: a token name, `system`, or a redeeming user's email.
    pub actor: String,
    /// e.g. `seat.revoke`, `license.deactivate`, `code_batch.create`.
    pub action: String,
    pub target_type: String,
    pub target_id: i64,
    /// The target as it was; null when the change created it.
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The target as it became; null when the change removed it.
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    /// Shared by all events of one request (e.g. one bulk revocation).
    pub request_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub action: Option<String>,
    pub actor: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<i64>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Newest first: return events with `seq` below this.
    pub before: Option<i64>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// Return events with `seq` above this, oldest first.
    pub after: Option<i64>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// `GET /v1/changes`: events after the given seq, and the seq to ask from next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Changes {
    pub events: Vec<AuditEvent>,
    /// Pass as `after` next time. Lower than the `after` asked with when
    /// the server's feed is behind it (its database was restored from a
    /// backup): a client must then reload instead of applying changes.
    pub next_after: i64,
    /// True when more events are waiting beyond this page.
    pub more: bool,
}
