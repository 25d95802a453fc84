//! Reclaim policies: rules an org sets to free seats nobody uses (pending
//! claims never accepted, seats of suspended, archived or idle users), their
//! dry runs, runs and history, and the products' "seen" reports that say a
//! seat is in use. The rules themselves are applied by the server only; the
//! client shows what a dry run or a run answered.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::{IntoParams, ToSchema};

use crate::api::ItemResult;
use crate::vocab::{SeatStatus, string_enum};

/// Most seats one run (or its dry run) frees; the rest wait for the next run
/// and are counted in [`ReclaimReport::remaining`].
pub const MAX_SEATS_PER_RUN: usize = 5_000;
/// Largest `days` a policy may name (ten years).
pub const MAX_POLICY_DAYS: i64 = 3650;
/// Shortest and longest time between scheduled runs, in minutes.
pub const MIN_INTERVAL_MINUTES: i64 = 5;
pub const MAX_INTERVAL_MINUTES: i64 = 7 * 24 * 60;
/// Time between scheduled runs when a new policy does not say.
pub const DEFAULT_INTERVAL_MINUTES: i64 = 24 * 60;
/// Most seat ids one `POST /v1/seats/seen` may carry.
pub const MAX_SEEN_ITEMS: usize = 20_000;

string_enum!(
    /// Which seats a policy frees.
    ReclaimRule {
        /// Pending (assigned, never claimed) for more than `days` days.
        PendingOverDays => "pending_over_days",
        /// Live, held by a user suspended for more than `days` days.
        SuspendedOverDays => "suspended_over_days",
        /// Live, held by an archived user (no `days`).
        ArchivedUser => "archived_user",
        /// Active, last used more than `days` days ago; a use is the claim
        /// itself or a `seen` report from a product.
        UnusedOverDays => "unused_over_days",
    }
);

impl ReclaimRule {
    /// Whether the rule needs `days`.
    pub fn takes_days(self) -> bool {
        !matches!(self, ReclaimRule::ArchivedUser)
    }
}

string_enum!(
    /// What started a run.
    RunTrigger {
        /// The scheduler inside a `serve` replica.
        Schedule => "schedule",
        /// `POST /v1/reclaim/policies/{id}/run` (CLI `seatdesk reclaim run`, TUI).
        Manual => "manual",
    }
);

/// `POST /v1/reclaim/policies`.
///
/// Its schema is written out below ([`NewReclaimPolicy::schema`]): one
/// object per kind of rule, so that `days` is required exactly where the
/// server requires it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewReclaimPolicy {
    pub name: String,
    /// The policy applies to this org's subtree; it must be inside the
    /// caller's.
    pub org_id: i64,
    /// Narrow to one product's seats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<i64>,
    /// Narrow to one license's seats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_id: Option<i64>,
    pub rule: ReclaimRule,
    /// Required by every rule but `archived_user`, which refuses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<i64>,
    /// Minutes between scheduled runs ([`DEFAULT_INTERVAL_MINUTES`] if absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_minutes: Option<i64>,
    /// Create it paused (no scheduled runs until resumed).
    #[serde(default)]
    pub paused: bool,
}

/// The fields of [`NewReclaimPolicy`] as the schema describes them (the
/// derive's object, which [`NewReclaimPolicy::schema`] splits by rule).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct PolicyFields {
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    name: String,
    /// The policy applies to this org's subtree; it must be inside the
    /// caller's.
    org_id: i64,
    /// Narrow to one product's seats.
    product_id: Option<i64>,
    /// Narrow to one license's seats.
    license_id: Option<i64>,
    rule: ReclaimRule,
    /// Days the rule measures (more than this many days pending, suspended
    /// or unused).
    #[schema(minimum = 1, maximum = 3650)]
    days: i64,
    /// Minutes between scheduled runs (1440, a day, if absent).
    #[schema(minimum = 5, maximum = 10080)]
    interval_minutes: Option<i64>,
    /// Create it paused (no scheduled runs until resumed).
    #[serde(default)]
    paused: bool,
}

impl utoipa::PartialSchema for NewReclaimPolicy {
    fn schema() -> RefOr<Schema> {
        let with_days: Vec<&str> = ReclaimRule::ALL
            .iter()
            .filter(|r| r.takes_days())
            .map(|r| r.as_str())
            .collect();
        OneOfBuilder::new()
            .item(rule_branch(&with_days, true))
            .item(rule_branch(&[ReclaimRule::ArchivedUser.as_str()], false))
            .description(Some(
                "A new reclaim policy: `days` is required by every rule but `archived_user`, which refuses it.",
            ))
            .into()
    }
}

impl ToSchema for NewReclaimPolicy {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        PolicyFields::schemas(schemas);
    }
}

/// [`PolicyFields`]' object for the rules `rules`, with `days` required
/// (`days`) or absent (and so refused, the object taking no other fields).
fn rule_branch(rules: &[&str], days: bool) -> RefOr<Schema> {
    let RefOr::T(Schema::Object(mut object)) = <PolicyFields as utoipa::PartialSchema>::schema()
    else {
        unreachable!("PolicyFields is a struct, so its schema is an object")
    };
    let rule = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(rules.iter().copied()))
        .build();
    object.properties.insert("rule".to_string(), rule.into());
    object.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
    if !days {
        object.properties.remove("days");
        object.required.retain(|name| name != "days");
    }
    object.into()
}

/// A stored policy with its schedule and running totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReclaimPolicy {
    pub id: i64,
    pub name: String,
    pub org_id: i64,
    pub product_id: Option<i64>,
    pub license_id: Option<i64>,
    pub rule: ReclaimRule,
    pub days: Option<i64>,
    pub interval_minutes: i64,
    pub paused: bool,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub last_run_at: Option<DateTime<Utc>>,
    /// When a replica's scheduler runs it next (absent while paused).
    pub next_run_at: Option<DateTime<Utc>>,
    /// Seats freed by all its runs so far.
    pub seats_freed: i64,
}

/// `GET /v1/reclaim/policies`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PolicyQuery {
    /// Only policies of this org's subtree.
    #[serde(default, deserialize_with = "whole::option")]
    pub org_id: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^([0-9a-f]{2})*\\.[0-9]{1,18}$")]
    pub cursor: Option<String>,
    #[serde(default, deserialize_with = "whole::option")]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// A seat a policy frees (or would free), and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReclaimCandidate {
    pub seat_id: i64,
    pub license_id: i64,
    pub order_number: String,
    pub product_sku: String,
    pub user_id: i64,
    pub user_name: String,
    pub user_email: String,
    /// The seat's status before the run.
    pub status: SeatStatus,
    /// What the rule measured from: assigned (pending), suspended,
    /// archived, or last used.
    pub since: DateTime<Utc>,
    /// One line for people, e.g. "pending for 63 days (assigned 2026-10-01)".
    pub reason: String,
}

/// The answer of a run and of its dry run (the same shape and, for the same
/// data and time, the same seats).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReclaimReport {
    pub policy_id: i64,
    /// The run's id in the history; absent for a dry run.
    pub run_id: Option<i64>,
    pub dry_run: bool,
    /// The time the rule was evaluated at.
    pub as_of: DateTime<Utc>,
    /// Seats freed (or that would be), at most [`MAX_SEATS_PER_RUN`], in seat id order.
    pub freed: Vec<ReclaimCandidate>,
    /// Matching seats the revocation rules refuse (e.g. a student-edition
    /// seat with students assigned), with the reason.
    pub refused: Vec<ItemResult>,
    /// Matching seats left for later runs beyond this run's limit.
    pub remaining: i64,
}

/// One run in a policy's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReclaimRun {
    pub id: i64,
    pub policy_id: i64,
    pub trigger: RunTrigger,
    /// Who ran it: the token's name for manual runs, `system` for the scheduler.
    pub actor: String,
    pub started_at: DateTime<Utc>,
    pub freed: i64,
    pub refused: i64,
    pub remaining: i64,
}

/// `GET /v1/reclaim/policies/{id}/runs`: newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunQuery {
    /// `next_cursor` of the previous page.
    #[param(pattern = "^([0-9a-f]{2})*\\.[0-9]{1,18}$")]
    pub cursor: Option<String>,
    #[serde(default, deserialize_with = "whole::option")]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// How many seats one policy could reclaim now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PolicyCandidates {
    pub policy_id: i64,
    pub name: String,
    pub paused: bool,
    pub candidates: i64,
}

/// `GET /v1/reclaim/summary`: "412 seats could be reclaimed by your
/// policies". `reclaimable` counts each seat once even when several
/// policies match it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReclaimSummary {
    pub reclaimable: i64,
    pub policies: Vec<PolicyCandidates>,
}

impl ReclaimSummary {
    /// The Dashboard's sentence, shown by the TUI and `seatdesk dashboard`:
    /// "412 seats could be reclaimed by your policies".
    pub fn sentence(&self) -> String {
        let n = self.reclaimable;
        let noun = if n == 1 { "seat" } else { "seats" };
        format!("{n} {noun} could be reclaimed by your policies")
    }
}

/// `GET /v1/reclaim/summary` filters (the dashboard's view).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    #[serde(default, deserialize_with = "whole::option")]
    pub org_id: Option<i64>,
    #[serde(default, deserialize_with = "whole::option")]
    pub account_id: Option<i64>,
    #[serde(default, deserialize_with = "whole::option")]
    pub product_id: Option<i64>,
}

/// Whole numbers in a query string, where JSON Schema (and so the OpenAPI
/// document) also counts `2.0` as the integer 2.
mod whole {
    use serde::{Deserialize, Deserializer};

    /// `"12"` or `"12.0"` as a number of type `T`; anything else is an error.
    pub fn option<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: std::str::FromStr,
    {
        let Some(text) = Option::<String>::deserialize(deserializer)? else {
            return Ok(None);
        };
        let digits = match text.split_once('.') {
            Some((whole, fraction))
                if !fraction.is_empty() && fraction.bytes().all(|b| b == b'0') =>
            {
                whole
            }
            _ => text.as_str(),
        };
        digits.parse().map(Some).map_err(|_| {
            serde::de::Error::custom(format!("{text:?} is not a whole number in range"))
        })
    }
}

/// `POST /v1/seats/seen`: products report the seats used at launch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeenReport {
    #[schema(min_items = 1, max_items = 20000)]
    pub seat_ids: Vec<i64>,
    /// When they were used (default: now). Never later than the server's
    /// clock; an older time never moves a seat's last use back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_at: Option<DateTime<Utc>>,
}

/// The answer to `POST /v1/seats/seen`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SeenResult {
    /// Live seats whose last use was recorded.
    pub recorded: usize,
    /// Ids that are unknown, outside the caller's subtree or not live.
    pub ignored: Vec<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The written-out schema: one object per kind of rule, each listing
    /// exactly the fields the type reads and refusing others.
    #[test]
    fn the_policy_schema_requires_days_exactly_where_the_server_does() {
        let schema =
            serde_json::to_value(<NewReclaimPolicy as utoipa::PartialSchema>::schema()).unwrap();
        let branches = schema["oneOf"].as_array().expect("oneOf");
        assert_eq!(branches.len(), 2);
        let full = NewReclaimPolicy {
            name: "Idle".into(),
            org_id: 1,
            product_id: Some(2),
            license_id: Some(3),
            rule: ReclaimRule::UnusedOverDays,
            days: Some(90),
            interval_minutes: Some(60),
            paused: true,
        };
        let mut fields: Vec<String> = serde_json::to_value(&full)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        fields.sort();
        for (branch, days) in branches.iter().zip([true, false]) {
            assert_eq!(branch["additionalProperties"], false);
            let mut properties: Vec<String> = branch["properties"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            properties.sort();
            let expected: Vec<String> = fields
                .iter()
                .filter(|f| days || f.as_str() != "days")
                .cloned()
                .collect();
            assert_eq!(properties, expected);
            let required = branch["required"].as_array().unwrap();
            assert_eq!(required.contains(&serde_json::json!("days")), days);
            for rule in branch["properties"]["rule"]["enum"].as_array().unwrap() {
                let rule = ReclaimRule::parse(rule.as_str().unwrap()).unwrap();
                assert_eq!(rule.takes_days(), days);
            }
        }
    }
}
