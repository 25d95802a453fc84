//! Reclaim policies over HTTP: list, create, pause, resume, run (or dry
//! run) and their history; the reclaimable-seat summary; and the products'
//! "seen" reports. The rules live in [`crate::domain::reclaim`]; scheduled
//! runs in [`crate::reclaim`].

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::TimeDelta;
use seatdesk_core::Permission;
use seatdesk_core::api::Page;
use seatdesk_core::api::reclaim::{
    DEFAULT_INTERVAL_MINUTES, NewReclaimPolicy, PolicyQuery, ReclaimPolicy, ReclaimReport,
    ReclaimRun, ReclaimSummary, RunQuery, RunTrigger, SeenReport, SeenResult, SummaryQuery,
};
use seatdesk_core::problem::ProblemResponses;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::domain::orgs::org_path_in_scope;
use crate::domain::reclaim::{
    RunMode, check_new_policy, policy_actor, policy_in_scope, record_seen, resolve_new_policy,
    run_policy, summary as reclaimable,
};
use crate::domain::scope::Scope;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json, Path, Query, decode_cursor, encode_cursor, page_size};
use crate::mutation::{self, Work};
use crate::routes::seats::BulkOptions;
use crate::store::audit::NewEvent;
use crate::store::reclaim::{self as store, NewPolicyRow};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_policies, create_policy))
        .routes(routes!(get_policy))
        .routes(routes!(pause_policy))
        .routes(routes!(resume_policy))
        .routes(routes!(run))
        .routes(routes!(list_runs))
        .routes(routes!(summary))
        .routes(routes!(seen))
        .routes(routes!(seen_one))
}

/// The id after the one a `cursor` names (none: from the start).
fn cursor_id(cursor: Option<&str>) -> ApiResult<Option<i64>> {
    cursor
        .map(|c| decode_cursor(c).map(|(_, id)| id))
        .transpose()
}

/// Reclaim policies of the token's subtree (or of `org_id`'s), by id.
#[utoipa::path(get, path = "/v1/reclaim/policies", tag = "reclaim", security(("bearer" = [])),
    params(PolicyQuery),
    responses((status = 200, description = "One page of reclaim policies, by id", body = Page<ReclaimPolicy>), ProblemResponses))]
async fn list_policies(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<PolicyQuery>,
) -> ApiResult<Json<Page<ReclaimPolicy>>> {
    auth.require(Permission::Read)?;
    let mut conn = state.db.pool.acquire().await?;
    let scope = match query.org_id {
        Some(org) => Scope::new(&org_path_in_scope(&mut conn, &auth.scope, org).await?)?,
        None => auth.scope.clone(),
    };
    let limit = page_size(query.limit);
    let after = cursor_id(query.cursor.as_deref())?.unwrap_or(0);
    let rows = store::policies_in(&mut conn, &scope, after, limit).await?;
    let (rows, next_cursor) = crate::http::split_page(rows, limit, |r| encode_cursor("", r.id));
    Ok(Json(Page {
        items: rows.into_iter().map(ReclaimPolicy::from).collect(),
        next_cursor,
    }))
}

/// Adds a reclaim policy to an org of the token's subtree. Its first
/// scheduled run comes one interval later (dry-run it first); `days` is
/// required by every rule but `archived_user`.
#[utoipa::path(post, path = "/v1/reclaim/policies", tag = "reclaim", security(("bearer" = [])),
    request_body = NewReclaimPolicy,
    responses((status = 201, description = "The new policy", body = ReclaimPolicy), ProblemResponses))]
async fn create_policy(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Json(body): Json<NewReclaimPolicy>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageSeats)?;
    check_new_policy(&body)?;
    let fingerprint = mutation::fingerprint("create_reclaim_policy", &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let org_path = resolve_new_policy(w.conn(), &auth.scope, &body).await?;
        let now = state.config.clock.now();
        let interval = body.interval_minutes.unwrap_or(DEFAULT_INTERVAL_MINUTES);
        let actor = w.actor.clone();
        let name = body.name.trim();
        let new = NewPolicyRow {
            name,
            org_id: body.org_id,
            org_path: &org_path,
            product_id: body.product_id,
            license_id: body.license_id,
            rule: body.rule,
            days: body.days,
            interval_minutes: interval,
            paused: body.paused,
            created_at: now,
            created_by: &actor,
            next_run_at: (!body.paused).then(|| now.saturating_add(TimeDelta::minutes(interval))),
        };
        let id = store::insert_policy(w.conn(), &new).await?;
        let policy = load(w, &auth, id).await?;
        w.record(NewEvent {
            action: "reclaim_policy.create",
            target_type: "reclaim_policy",
            target_id: id,
            org_path,
            before: None,
            after: serde_json::to_value(&policy).ok(),
        });
        Ok((StatusCode::CREATED, policy))
    })
    .await
}

async fn load(w: &mut Work, auth: &Auth, id: i64) -> ApiResult<ReclaimPolicy> {
    Ok(policy_in_scope(w.conn(), &auth.scope, id).await?.into())
}

/// One reclaim policy with its schedule and totals.
#[utoipa::path(get, path = "/v1/reclaim/policies/{id}", tag = "reclaim", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Policy id")),
    responses((status = 200, description = "The policy", body = ReclaimPolicy), ProblemResponses))]
async fn get_policy(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<ReclaimPolicy>> {
    auth.require(Permission::Read)?;
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(
        policy_in_scope(&mut conn, &auth.scope, id).await?.into(),
    ))
}

/// Pauses or resumes policy `id`: paused, it has no next run; resumed,
/// its next run is one interval from now. Asking for the state it is in
/// changes nothing and answers the policy as it is.
async fn set_paused(
    state: &AppState,
    auth: &Auth,
    key: &IdempotencyKey,
    id: i64,
    paused: bool,
) -> ApiResult<Response> {
    auth.require(Permission::ManageSeats)?;
    let route = if paused { "pause" } else { "resume" };
    let fingerprint = mutation::fingerprint(&format!("{route}_reclaim_policy:{id}"), &());
    mutation::run(state, auth, key, fingerprint, async |w| {
        let row = policy_in_scope(w.conn(), &auth.scope, id).await?;
        if row.paused.0 == paused {
            return Ok((StatusCode::OK, ReclaimPolicy::from(row)));
        }
        let next = (!paused).then(|| {
            state
                .config
                .clock
                .now()
                .saturating_add(TimeDelta::minutes(row.interval_minutes))
        });
        store::set_paused(w.conn(), id, paused, next).await?;
        let policy = load(w, auth, id).await?;
        w.record(NewEvent {
            action: if paused {
                "reclaim_policy.pause"
            } else {
                "reclaim_policy.resume"
            },
            target_type: "reclaim_policy",
            target_id: id,
            org_path: row.org_path,
            before: Some(serde_json::json!({ "paused": !paused })),
            after: Some(serde_json::json!({ "paused": paused, "next_run_at": policy.next_run_at })),
        });
        Ok((StatusCode::OK, policy))
    })
    .await
}

/// Stops a policy's scheduled runs (manual runs still work).
#[utoipa::path(post, path = "/v1/reclaim/policies/{id}/pause", tag = "reclaim", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Policy id")),
    responses((status = 200, description = "The policy, paused", body = ReclaimPolicy), ProblemResponses))]
async fn pause_policy(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    set_paused(&state, &auth, &key, id, true).await
}

/// Restarts a paused policy's scheduled runs, the next one interval from now.
#[utoipa::path(post, path = "/v1/reclaim/policies/{id}/resume", tag = "reclaim", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Policy id")),
    responses((status = 200, description = "The policy, running on its schedule again", body = ReclaimPolicy), ProblemResponses))]
async fn resume_policy(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    set_paused(&state, &auth, &key, id, false).await
}

/// Runs a policy now: frees the seats its rule selects (at most 5,000, in
/// seat id order), each revoked as by `POST /v1/seats/revoke` with the
/// policy as actor, restorable within the restore window. With
/// `?dry_run=true` nothing changes and the answer is exactly what a run
/// would free now.
#[utoipa::path(post, path = "/v1/reclaim/policies/{id}/run", tag = "reclaim", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Policy id"), BulkOptions),
    responses((status = 200, description = "The seats freed (or that a run would free) and those refused, with why", body = ReclaimReport), ProblemResponses))]
async fn run(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Path(id): Path<i64>,
    Query(options): Query<BulkOptions>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageSeats)?;
    let fingerprint = mutation::fingerprint(&format!("run_reclaim_policy:{id}"), &());
    let mode = options.mode();
    mutation::run_mode(&state, &auth, &key, fingerprint, mode, async |w| {
        let policy = policy_in_scope(w.conn(), &auth.scope, id).await?;
        let as_of = state.config.clock.now();
        let run_mode = if options.dry_run {
            RunMode::Dry
        } else {
            RunMode::Real {
                trigger: RunTrigger::Manual,
                actor: w.actor.clone(),
            }
        };
        let now = w.now;
        let (report, events) = run_policy(w.conn(), &policy, as_of, now, run_mode).await?;
        // The seats are the policy's doing, whoever asked for the run.
        w.actor = policy_actor(id);
        w.record_rows(&events);
        Ok((StatusCode::OK, report))
    })
    .await
}

/// A policy's runs, newest first.
#[utoipa::path(get, path = "/v1/reclaim/policies/{id}/runs", tag = "reclaim", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Policy id"), RunQuery),
    responses((status = 200, description = "One page of the policy's runs, newest first", body = Page<ReclaimRun>), ProblemResponses))]
async fn list_runs(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(query): Query<RunQuery>,
) -> ApiResult<Json<Page<ReclaimRun>>> {
    auth.require(Permission::Read)?;
    let mut conn = state.db.pool.acquire().await?;
    policy_in_scope(&mut conn, &auth.scope, id).await?;
    let limit = page_size(query.limit);
    let before = cursor_id(query.cursor.as_deref())?.unwrap_or(i64::MAX);
    let rows = store::runs(&mut conn, id, before, limit).await?;
    let (rows, next_cursor) = crate::http::split_page(rows, limit, |r| encode_cursor("", r.id));
    let items = rows
        .into_iter()
        .map(|r| ReclaimRun {
            id: r.id,
            policy_id: r.policy_id,
            trigger: r.run_trigger.0,
            actor: r.actor,
            started_at: r.started_at.0,
            freed: r.freed,
            refused: r.refused,
            remaining: r.remaining,
        })
        .collect();
    Ok(Json(Page { items, next_cursor }))
}

/// How many seats the token's policies could reclaim now, each seat
/// counted once, within the dashboard's view (org, account, product);
/// `reclaimable` counts the policies not paused.
#[utoipa::path(get, path = "/v1/reclaim/summary", tag = "reclaim", security(("bearer" = [])),
    params(SummaryQuery),
    responses((status = 200, description = "Reclaimable seats, in all and per policy", body = ReclaimSummary), ProblemResponses))]
async fn summary(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<SummaryQuery>,
) -> ApiResult<Json<ReclaimSummary>> {
    auth.require(Permission::Read)?;
    let mut conn = state.db.pool.begin_snapshot().await?;
    let as_of = state.config.clock.now();
    Ok(Json(
        reclaimable(&mut conn, &auth.scope, &query, as_of).await?,
    ))
}

/// Products report the seats in use (e.g. at each launch): the last use of
/// each live seat of the token's subtree becomes `seen_at` (default now;
/// never later than the server's clock, never earlier than the use already
/// recorded). Any token may report. Repeating a report changes nothing
/// more, so it takes no Idempotency-Key.
#[utoipa::path(post, path = "/v1/seats/seen", tag = "reclaim", security(("bearer" = [])),
    request_body = SeenReport,
    responses((status = 200, description = "How many seats were recorded, and the ids ignored", body = SeenResult), ProblemResponses))]
async fn seen(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<SeenReport>,
) -> ApiResult<Json<SeenResult>> {
    auth.require(Permission::Read)?;
    let now = state.config.clock.now();
    Ok(Json(record_seen(&state.db, &auth.scope, &body, now).await?))
}

/// Reports one seat in use now (see `POST /v1/seats/seen`).
#[utoipa::path(post, path = "/v1/seats/{id}/seen", tag = "reclaim", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Seat id")),
    responses((status = 204, description = "The seat's use was recorded"), ProblemResponses))]
async fn seen_one(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    auth.require(Permission::Read)?;
    let now = state.config.clock.now();
    let report = SeenReport {
        seat_ids: vec![id],
        seen_at: None,
    };
    let result = record_seen(&state.db, &auth.scope, &report, now).await?;
    if result.recorded == 0 {
        return Err(ApiError::not_found(format!("live seat {id}")));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
