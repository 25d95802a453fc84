//! Reclaim policies below HTTP, each rule in one place: which seats a
//! policy selects at a given time ([`Selection`]), what a new policy must
//! satisfy ([`check_new_policy`], [`resolve_new_policy`]), a run and its
//! dry run ([`run_policy`]: the candidates in seat id order, revoked through
//! the bulk revocation's own [`revoke_seats`], so the same refusals apply),
//! the "seen" reports that say a seat is in use ([`record_seen`]) and the
//! dashboard's count of reclaimable seats ([`summary`]).
//!
//! A policy never reaches outside its org's subtree: every selection is
//! scoped to the policy org's path, and the revocation itself runs with that
//! org as its scope.

use std::collections::HashSet;

use chrono::TimeDelta;
use seatdesk_core::api::reclaim::{
    MAX_INTERVAL_MINUTES, MAX_POLICY_DAYS, MAX_SEATS_PER_RUN, MAX_SEEN_ITEMS, MIN_INTERVAL_MINUTES,
    NewReclaimPolicy, PolicyCandidates, ReclaimCandidate, ReclaimPolicy, ReclaimReport,
    ReclaimRule, ReclaimSummary, RunTrigger, SeenReport, SeenResult, SummaryQuery,
};
use seatdesk_core::api::{ItemOutcome, ItemResult};
use seatdesk_core::{SeatStatus, UserStatus};

use crate::db::sql::Sql;
use crate::db::types::Stamp;
use crate::db::{Backend, Conn, Db};
use crate::domain::live::live_seat;
use crate::domain::orgs::org_path_in_scope;
use crate::domain::revocation::revoke_seats;
use crate::domain::scope::Scope;
use crate::error::{ApiError, ApiResult, validate};
use crate::store::audit::EventRows;
use crate::store::reclaim::{self as store, CandidateRow, NewRunRow, PolicyRow};

/// The actor of the seats a policy frees (audit events, `revoked_by`).
pub fn policy_actor(id: i64) -> String {
    format!("policy:{id}")
}

/// The actor of scheduled runs in a policy's history.
pub const SCHEDULER_ACTOR: &str = "system";

/// Most policies [`summary`] counts (an org has a handful; the bound keeps
/// the dashboard's statement bounded whatever is stored).
pub const MAX_SUMMARY_POLICIES: i64 = 200;

impl From<PolicyRow> for ReclaimPolicy {
    fn from(r: PolicyRow) -> ReclaimPolicy {
        ReclaimPolicy {
            id: r.id,
            name: r.name,
            org_id: r.org_id,
            product_id: r.product_id,
            license_id: r.license_id,
            rule: r.rule.0,
            days: r.days,
            interval_minutes: r.interval_minutes,
            paused: r.paused.0,
            created_at: r.created_at.0,
            created_by: r.created_by,
            last_run_at: r.last_run_at.map(|t| t.0),
            next_run_at: r.next_run_at.map(|t| t.0),
            seats_freed: r.seats_freed,
        }
    }
}

/// The seats one policy selects at one instant, optionally narrowed further
/// (the dashboard's org, account and product).
#[derive(Debug, Clone)]
pub struct Selection {
    rule: ReclaimRule,
    /// `as_of` less the policy's days: what the rule measures must be older.
    cutoff: Stamp,
    /// The policy org's subtree.
    scope: Scope,
    product_id: Option<i64>,
    license_id: Option<i64>,
    within: Option<Scope>,
    account_id: Option<i64>,
    narrow_product_id: Option<i64>,
}

impl Selection {
    /// What `policy` selects at `as_of`.
    pub fn of(policy: &PolicyRow, as_of: Stamp) -> ApiResult<Selection> {
        let days = policy.days.unwrap_or(0);
        Ok(Selection {
            rule: policy.rule.0,
            cutoff: as_of.saturating_sub(TimeDelta::days(days)),
            scope: Scope::new(&policy.org_path)?,
            product_id: policy.product_id,
            license_id: policy.license_id,
            within: None,
            account_id: None,
            narrow_product_id: None,
        })
    }

    /// Only seats of licenses in `within`, of `account_id` and of
    /// `product_id` (each when given).
    pub fn narrowed(
        mut self,
        within: Option<Scope>,
        account_id: Option<i64>,
        product_id: Option<i64>,
    ) -> Selection {
        self.within = within;
        self.account_id = account_id;
        self.narrow_product_id = product_id;
        self
    }

    /// SQL for the instant the rule measures from (seat `s`, user `u`,
    /// reported use `su`).
    pub fn since_sql(&self) -> &'static str {
        match self.rule {
            ReclaimRule::PendingOverDays => "s.assigned_at",
            ReclaimRule::SuspendedOverDays | ReclaimRule::ArchivedUser => {
                "COALESCE(u.status_changed_at, u.created_at)"
            }
            ReclaimRule::UnusedOverDays => {
                "CASE WHEN su.last_seen_at > COALESCE(s.claimed_at, s.assigned_at) \
                 THEN su.last_seen_at ELSE COALESCE(s.claimed_at, s.assigned_at) END"
            }
        }
    }

    /// Appends ` FROM … WHERE …`: seats `s` with their license `l`, product
    /// `p`, holder `u` and reported use `su`, that the rule selects.
    pub fn push_from(&self, sql: &mut Sql) {
        sql.push(
            " FROM seats s JOIN licenses l ON l.id = s.license_id \
             JOIN products p ON p.id = l.product_id JOIN users u ON u.id = s.user_id",
        );
        if self.rule == ReclaimRule::UnusedOverDays {
            sql.push(" LEFT JOIN seat_uses su ON su.seat_id = s.id");
        }
        sql.push(" WHERE ").push(&self.scope.sql("l.org_path"));
        if let Some(within) = &self.within {
            sql.push(" AND ").push(&within.sql("l.org_path"));
        }
        for (column, id) in [
            ("l.product_id", self.product_id),
            ("l.id", self.license_id),
            ("l.account_id", self.account_id),
            ("l.product_id", self.narrow_product_id),
        ] {
            if let Some(id) = id {
                sql.push(&format!(" AND {column} = ")).bind(id);
            }
        }
        match self.rule {
            ReclaimRule::PendingOverDays => {
                sql.push(&format!(
                    " AND s.status = '{}' AND s.assigned_at < ",
                    SeatStatus::Pending.as_str()
                ))
                .bind(self.cutoff);
            }
            ReclaimRule::SuspendedOverDays => {
                sql.push(&format!(
                    " AND {} AND u.status = '{}' AND COALESCE(u.status_changed_at, u.created_at) < ",
                    live_seat("s.status"),
                    UserStatus::Suspended.as_str()
                ))
                .bind(self.cutoff);
            }
            ReclaimRule::ArchivedUser => {
                sql.push(&format!(
                    " AND {} AND u.status = '{}'",
                    live_seat("s.status"),
                    UserStatus::Archived.as_str()
                ));
            }
            ReclaimRule::UnusedOverDays => {
                sql.push(&format!(
                    " AND s.status = '{}' AND COALESCE(s.claimed_at, s.assigned_at) < ",
                    SeatStatus::Active.as_str()
                ))
                .bind(self.cutoff)
                .push(" AND (su.last_seen_at IS NULL OR su.last_seen_at < ")
                .bind(self.cutoff)
                .push(")");
            }
        }
    }
}

/// One line for people saying why `rule` selected a seat, measured from
/// `since` at `as_of`.
pub fn reason(rule: ReclaimRule, since: Stamp, as_of: Stamp) -> String {
    let days = (as_of.0 - since.0).num_days().max(0);
    let plural = if days == 1 { "" } else { "s" };
    let date = since.0.date_naive();
    match rule {
        ReclaimRule::PendingOverDays => {
            format!("pending for {days} day{plural} (assigned {date})")
        }
        ReclaimRule::SuspendedOverDays => {
            format!("held by a user suspended for {days} day{plural} (since {date})")
        }
        ReclaimRule::ArchivedUser => format!("held by an archived user (since {date})"),
        ReclaimRule::UnusedOverDays => {
            format!("not used for {days} day{plural} (last used {date})")
        }
    }
}

/// The checks of a new policy that need no database: the name, `days` as
/// the rule wants it, the interval's range.
pub fn check_new_policy(body: &NewReclaimPolicy) -> ApiResult<()> {
    let days = match (body.rule.takes_days(), body.days) {
        (true, None) => Some(format!("days is required by the {} rule", body.rule)),
        (false, Some(_)) => Some(format!("the {} rule takes no days", body.rule)),
        (_, Some(days)) if !(1..=MAX_POLICY_DAYS).contains(&days) => {
            Some(format!("days must be 1 to {MAX_POLICY_DAYS}"))
        }
        _ => None,
    };
    let interval = body
        .interval_minutes
        .filter(|m| !(MIN_INTERVAL_MINUTES..=MAX_INTERVAL_MINUTES).contains(m))
        .map(|_| {
            format!("interval_minutes must be {MIN_INTERVAL_MINUTES} to {MAX_INTERVAL_MINUTES}")
        });
    validate([
        seatdesk_core::api::limits::text_error("name", &body.name, 100),
        days,
        interval,
    ])
}

/// The org path a new policy applies to, after checking that its org lies
/// in `scope`, its product exists and its license lies in the org's
/// subtree (and is of its product, when both are named). Each refusal is
/// a 404: what is outside the caller's reach is not revealed.
pub async fn resolve_new_policy(
    conn: &mut Conn,
    scope: &Scope,
    body: &NewReclaimPolicy,
) -> ApiResult<String> {
    let org_path = org_path_in_scope(conn, scope, body.org_id).await?;
    if let Some(product) = body.product_id
        && !store::product_exists(conn, product).await?
    {
        return Err(ApiError::not_found(format!("product {product}")));
    }
    if let Some(license) = body.license_id {
        let found = store::license_path_and_product(conn, license).await?;
        let fits = found.is_some_and(|(path, product)| {
            path.starts_with(&org_path) && body.product_id.is_none_or(|p| p == product)
        });
        if !fits {
            let what = match body.product_id {
                Some(product) => {
                    format!(
                        "license {license} of product {product} under org {}",
                        body.org_id
                    )
                }
                None => format!("license {license} under org {}", body.org_id),
            };
            return Err(ApiError::not_found(what));
        }
    }
    Ok(org_path)
}

/// A policy of `scope` by id, else 404.
pub async fn policy_in_scope(conn: &mut Conn, scope: &Scope, id: i64) -> ApiResult<PolicyRow> {
    store::policy(conn, id)
        .await?
        .filter(|p| scope.contains(&p.org_path))
        .ok_or_else(|| ApiError::not_found(format!("reclaim policy {id}")))
}

/// Whether a run changes anything, and who started it.
#[derive(Debug, Clone)]
pub enum RunMode {
    /// Computes the same answer, to be rolled back by the caller; not
    /// recorded in the history.
    Dry,
    Real {
        trigger: RunTrigger,
        actor: String,
    },
}

/// Runs `policy` as of `as_of` inside the caller's write transaction: the
/// seats its rule selects, in seat id order, at most [`MAX_SEATS_PER_RUN`],
/// revoked by [`revoke_seats`] with the policy as actor (`now` stamps the
/// revocations, as any revocation, so the restore window counts from it).
/// A real run is recorded in the history and adds to the policy's total.
/// Returns the report and the audit events to append (actor:
/// [`policy_actor`]).
pub async fn run_policy(
    conn: &mut Conn,
    policy: &PolicyRow,
    as_of: Stamp,
    now: Stamp,
    mode: RunMode,
) -> ApiResult<(ReclaimReport, EventRows)> {
    let selection = Selection::of(policy, as_of)?;
    let limit = MAX_SEATS_PER_RUN as i64;
    let mut rows = store::candidates(conn, &selection, limit + 1).await?;
    let remaining = if rows.len() as i64 > limit {
        rows.truncate(MAX_SEATS_PER_RUN);
        (store::count(conn, &selection).await? - limit).max(0)
    } else {
        0
    };
    let ids: Vec<i64> = rows.iter().map(|r| r.seat_id).collect();
    let actor = policy_actor(policy.id);
    let (results, events) = if ids.is_empty() {
        (Vec::new(), EventRows::default())
    } else {
        revoke_seats(conn, &Scope::new(&policy.org_path)?, &ids, &actor, now).await?
    };
    let freed_ids: HashSet<i64> = results
        .iter()
        .filter(|r| r.outcome == ItemOutcome::Done)
        .map(|r| r.id)
        .collect();
    let refused: Vec<ItemResult> = results
        .into_iter()
        .filter(|r| r.outcome == ItemOutcome::Refused)
        .collect();
    let freed: Vec<ReclaimCandidate> = rows
        .into_iter()
        .filter(|r| freed_ids.contains(&r.seat_id))
        .map(|r| candidate(policy.rule.0, r, as_of))
        .collect();
    let run_id = match mode {
        RunMode::Dry => None,
        RunMode::Real { trigger, actor } => Some(
            store::record_run(
                conn,
                &NewRunRow {
                    policy_id: policy.id,
                    trigger,
                    actor: &actor,
                    started_at: as_of,
                    freed: freed.len() as i64,
                    refused: refused.len() as i64,
                    remaining,
                },
            )
            .await?,
        ),
    };
    let report = ReclaimReport {
        policy_id: policy.id,
        run_id,
        dry_run: run_id.is_none(),
        as_of: as_of.0,
        freed,
        refused,
        remaining,
    };
    Ok((report, events))
}

fn candidate(rule: ReclaimRule, r: CandidateRow, as_of: Stamp) -> ReclaimCandidate {
    ReclaimCandidate {
        seat_id: r.seat_id,
        license_id: r.license_id,
        order_number: r.order_number,
        product_sku: r.product_sku,
        user_id: r.user_id,
        user_name: r.user_name,
        user_email: r.user_email,
        status: r.status.0,
        since: r.since.0,
        reason: reason(rule, r.since, as_of),
    }
}

/// Records a product's report that the seats of `report` were used, at its
/// `seen_at` (never later than `now`, the server's clock: a product's clock
/// running ahead is cut back to it). One statement for the whole batch; an
/// older time never moves a seat's last use back. Seats unknown, outside
/// `scope` or not live are listed as ignored, in request order.
pub async fn record_seen(
    db: &Db,
    scope: &Scope,
    report: &SeenReport,
    now: Stamp,
) -> ApiResult<SeenResult> {
    if report.seat_ids.is_empty() {
        return Err(ApiError::invalid("seat_ids must list at least one seat"));
    }
    if report.seat_ids.len() > MAX_SEEN_ITEMS {
        return Err(ApiError::batch_too_large(
            report.seat_ids.len(),
            MAX_SEEN_ITEMS,
        ));
    }
    let at = report.seen_at.map_or(now, |at| Stamp::at(at).min(now));
    let mut ids = report.seat_ids.clone();
    ids.sort_unstable();
    ids.dedup();
    let recorded: HashSet<i64> = match db.backend {
        // One statement, committed on its own: no BEGIN and COMMIT round trips.
        Backend::Postgres => {
            let mut conn = db.pool.acquire().await?;
            store::record_seen(&mut conn, scope, &ids, at).await?
        }
        // In the process's writer queue, as every SQLite write.
        Backend::Sqlite => {
            let mut tx = db.begin_write().await?;
            let recorded = store::record_seen(&mut tx.tx, scope, &ids, at).await?;
            tx.commit().await?;
            recorded
        }
    }
    .into_iter()
    .collect();
    let mut listed = HashSet::new();
    let ignored = report
        .seat_ids
        .iter()
        .copied()
        .filter(|id| !recorded.contains(id) && listed.insert(*id))
        .collect();
    Ok(SeenResult {
        recorded: recorded.len(),
        ignored,
    })
}

/// How many seats the policies visible in `scope` could reclaim at
/// `as_of`, each seat counted once however many policies select it, within
/// the dashboard's view (`query`'s org, account and product). Every policy
/// that reaches into the view is listed with its own count; `reclaimable`
/// counts those not paused. One `COUNT` per policy and one over their
/// union, with the rules' own predicates.
pub async fn summary(
    conn: &mut Conn,
    scope: &Scope,
    query: &SummaryQuery,
    as_of: Stamp,
) -> ApiResult<ReclaimSummary> {
    let within = match query.org_id {
        Some(org) => Scope::new(&org_path_in_scope(conn, scope, org).await?)?,
        None => scope.clone(),
    };
    if let Some(account) = query.account_id {
        let path = store::account_path(conn, account).await?;
        if !path.is_some_and(|p| scope.contains(&p)) {
            return Err(ApiError::not_found(format!("account {account}")));
        }
    }
    if let Some(product) = query.product_id
        && !store::product_exists(conn, product).await?
    {
        return Err(ApiError::not_found(format!("product {product}")));
    }
    let mut rows = store::policies_in(conn, scope, 0, MAX_SUMMARY_POLICIES).await?;
    rows.truncate(MAX_SUMMARY_POLICIES as usize);
    // Policies above the view cover it; those below it cover part of it.
    rows.retain(|p| within.contains(&p.org_path) || within.path().starts_with(&p.org_path));
    let mut policies = Vec::with_capacity(rows.len());
    let mut active = Vec::new();
    for row in &rows {
        let selection = Selection::of(row, as_of)?.narrowed(
            Some(within.clone()),
            query.account_id,
            query.product_id,
        );
        let candidates = store::count(conn, &selection).await?;
        policies.push(PolicyCandidates {
            policy_id: row.id,
            name: row.name.clone(),
            paused: row.paused.0,
            candidates,
        });
        if !row.paused.0 && candidates > 0 {
            active.push(selection);
        }
    }
    let reclaimable = match active.len() {
        0 => 0,
        1 => policies
            .iter()
            .filter(|p| !p.paused && p.candidates > 0)
            .map(|p| p.candidates)
            .sum(),
        _ => store::count_union(conn, &active).await?,
    };
    Ok(ReclaimSummary {
        reclaimable,
        policies,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(rule: ReclaimRule, days: Option<i64>) -> NewReclaimPolicy {
        NewReclaimPolicy {
            name: "Idle seats".into(),
            org_id: 1,
            product_id: None,
            license_id: None,
            rule,
            days,
            interval_minutes: None,
            paused: false,
        }
    }

    #[test]
    fn days_are_required_exactly_by_the_rules_that_measure_them() {
        assert!(check_new_policy(&body(ReclaimRule::PendingOverDays, Some(30))).is_ok());
        assert!(check_new_policy(&body(ReclaimRule::PendingOverDays, None)).is_err());
        assert!(check_new_policy(&body(ReclaimRule::UnusedOverDays, Some(0))).is_err());
        assert!(check_new_policy(&body(ReclaimRule::UnusedOverDays, Some(3651))).is_err());
        assert!(check_new_policy(&body(ReclaimRule::ArchivedUser, None)).is_ok());
        assert!(check_new_policy(&body(ReclaimRule::ArchivedUser, Some(5))).is_err());
        let mut fast = body(ReclaimRule::ArchivedUser, None);
        fast.interval_minutes = Some(4);
        assert!(check_new_policy(&fast).is_err());
        fast.interval_minutes = Some(MAX_INTERVAL_MINUTES + 1);
        assert!(check_new_policy(&fast).is_err());
        fast.interval_minutes = Some(MIN_INTERVAL_MINUTES);
        fast.name = "  ".into();
        assert!(check_new_policy(&fast).is_err());
    }

    #[test]
    fn reasons_name_the_age_and_the_date() {
        let as_of = Stamp::try_from(1_790_000_000_000).unwrap();
        let since = as_of.saturating_sub(TimeDelta::days(63));
        let text = reason(ReclaimRule::PendingOverDays, since, as_of);
        assert_eq!(
            text,
            format!("pending for 63 days (assigned {})", since.0.date_naive())
        );
        assert!(
            reason(ReclaimRule::UnusedOverDays, since, as_of).starts_with("not used for 63 days")
        );
    }
}
