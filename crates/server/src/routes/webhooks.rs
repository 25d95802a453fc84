//! Webhook registration: list, register (secret shown once), deactivate,
//! send a test ping, and see recent deliveries.

use crate::db::Conn;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use seatdesk_core::api::Page;
use seatdesk_core::api::webhooks::{
    CreatedWebhook, DeliveryStatus, NewWebhook, Webhook, WebhookDelivery, WebhookTestResult,
};
use seatdesk_core::{Permission, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::domain::orgs::org_path_in_scope;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json, Path, Query, page_size};
use crate::mutation;
use crate::store::audit::NewEvent;
use crate::store::webhooks::{self as store, NewWebhookRow, WebhookRow};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(delete_webhook))
        .routes(routes!(test_webhook))
        .routes(routes!(list_deliveries))
}

impl From<WebhookRow> for Webhook {
    fn from(r: WebhookRow) -> Webhook {
        Webhook {
            id: r.id,
            org_id: r.org_id,
            url: r.url,
            events: r
                .events
                .split(',')
                .filter(|e| !e.is_empty())
                .map(str::to_string)
                .collect(),
            active: r.active.0,
            last_seq: r.last_seq,
            last_status: r.last_status,
            last_delivery_at: r.last_delivery_at.map(|t| t.0),
            pending_deliveries: r.pending,
            failed_deliveries: r.failed,
            created_at: r.created_at.0,
        }
    }
}

async fn load_webhook(conn: &mut Conn, auth: &Auth, id: i64) -> ApiResult<WebhookRow> {
    let row = store::webhook(conn, id).await?;
    row.filter(|w| auth.in_scope(&w.org_path))
        .ok_or_else(|| ApiError::not_found(format!("webhook {id}")))
}

/// Webhooks of the caller's subtree.
#[utoipa::path(get, path = "/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    responses((status = 200, body = Vec<Webhook>), (status = "4XX", body = Problem)))]
async fn list_webhooks(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<Webhook>>> {
    auth.require(Permission::ManageWebhooks)?;
    let rows = store::webhooks_in(&state.db.pool, &auth.scope).await?;
    Ok(Json(rows.into_iter().map(Webhook::from).collect()))
}

/// Refuses anything but https, except plain http to a loopback host; no
/// credentials in the URL (they could smuggle another host past the check);
/// no private target unless allowed ([`crate::webhooks::target`]).
fn validate_url(url: &str, allow_private: bool) -> ApiResult<()> {
    let refuse = || ApiError::invalid("url must be https://… (plain http only to a loopback host)");
    if url.len() > 2000 {
        return Err(refuse());
    }
    let parsed = reqwest::Url::parse(url).map_err(|_| refuse())?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(ApiError::invalid(
            "url must not carry a user name or password",
        ));
    }
    let loopback = match parsed.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err(refuse()),
    };
    crate::webhooks::target::check_url_host(&parsed, allow_private)
        .map_err(|why| ApiError::invalid(format!("url {why}")))?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(refuse()),
    }
}

fn validate_events(events: &[String]) -> ApiResult<()> {
    let valid = |e: &String| {
        !e.is_empty()
            && e.len() <= 100
            && (e == "*"
                || e.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_'))
    };
    if events.is_empty() || events.len() > 50 || !events.iter().all(valid) {
        return Err(ApiError::invalid(
            "events must list 1 to 50 actions or prefixes such as seat.revoke, seat, request.approve or *",
        ));
    }
    Ok(())
}

/// Registers a webhook. Deliveries start from events after registration.
#[utoipa::path(post, path = "/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    request_body = NewWebhook,
    responses((status = 201, body = CreatedWebhook), (status = "4XX", body = Problem)))]
async fn create_webhook(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Json(body): Json<NewWebhook>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageWebhooks)?;
    validate_url(&body.url, state.config.webhook_allow_private)?;
    validate_events(&body.events)?;
    let fingerprint = mutation::fingerprint("create_webhook", &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let org_id = body.org_id.unwrap_or(auth.org_id);
        let org_path = org_path_in_scope(w.conn(), &auth.scope, org_id).await?;
        let head = crate::store::audit::feed_head(w.conn()).await?;
        let secret = crate::tokens::new_secret().replacen("sd_", "whsec_", 1);
        let at = w.now;
        let actor = w.actor.clone();
        let new = NewWebhookRow {
            org_id,
            org_path: &org_path,
            url: &body.url,
            events: body.events.join(","),
            secret: &secret,
            last_seq: head,
            created_by: &actor,
            created_at: at,
        };
        let id = store::insert_webhook(w.conn(), new).await?;
        let webhook: Webhook = load_webhook(w.conn(), &auth, id).await?.into();
        w.answer_is_secret(format!(
            "webhook {id} was already registered with this Idempotency-Key; its secret was shown once"
        ));
        w.record(NewEvent {
            action: "webhook.create",
            target_type: "webhook",
            target_id: id,
            org_path,
            before: None,
            after: Some(serde_json::json!({"url": body.url, "events": body.events})),
        });
        Ok((StatusCode::CREATED, CreatedWebhook { webhook, secret }))
    })
    .await
}

/// Deactivates a webhook; its delivery history stays visible.
#[utoipa::path(delete, path = "/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Webhook id")),
    responses((status = 200, body = Webhook), (status = "4XX", body = Problem)))]
async fn delete_webhook(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageWebhooks)?;
    let fingerprint = mutation::fingerprint(&format!("delete_webhook:{id}"), &());
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let row = load_webhook(w.conn(), &auth, id).await?;
        if !row.active.0 {
            return Err(ApiError::conflict(format!(
                "webhook {id} is already inactive"
            )));
        }
        let org_path = row.org_path.clone();
        store::deactivate(w.conn(), id).await?;
        let webhook: Webhook = load_webhook(w.conn(), &auth, id).await?.into();
        w.record(NewEvent {
            action: "webhook.deactivate",
            target_type: "webhook",
            target_id: id,
            org_path,
            before: Some(serde_json::json!({"active": true})),
            after: Some(serde_json::json!({"active": false})),
        });
        Ok((StatusCode::OK, webhook))
    })
    .await
}

/// Sends a signed `webhook.ping` right now and reports the answer.
#[utoipa::path(post, path = "/v1/webhooks/{id}/test", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Webhook id")),
    responses((status = 200, body = WebhookTestResult), (status = "4XX", body = Problem)))]
async fn test_webhook(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<WebhookTestResult>> {
    auth.require(Permission::ManageWebhooks)?;
    let mut conn = state.db.pool.acquire().await?;
    load_webhook(&mut conn, &auth, id).await?;
    let (url, secret) = store::url_and_secret(&mut conn, id).await?;
    drop(conn);
    let allow_private = state.config.webhook_allow_private;
    let http = crate::webhooks::deliver::http_client(allow_private);
    Ok(Json(
        crate::webhooks::deliver::ping(&http, allow_private, &url, &secret, id).await,
    ))
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct DeliveryQuery {
    /// Newest first: deliveries with id below this.
    before: Option<i64>,
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
}

/// Recent deliveries of one webhook, newest first.
#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Webhook id"), DeliveryQuery),
    responses((status = 200, body = Page<WebhookDelivery>), (status = "4XX", body = Problem)))]
async fn list_deliveries(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(query): Query<DeliveryQuery>,
) -> ApiResult<Json<Page<WebhookDelivery>>> {
    auth.require(Permission::ManageWebhooks)?;
    let mut conn = state.db.pool.acquire().await?;
    load_webhook(&mut conn, &auth, id).await?;
    let limit = page_size(query.limit);
    let before = query.before.unwrap_or(i64::MAX);
    let rows = store::deliveries(&mut conn, id, before, limit).await?;
    let (rows, next_cursor) = crate::http::split_page(rows, limit, |r| r.id.to_string());
    let items = rows
        .into_iter()
        .map(|r| {
            Ok(WebhookDelivery {
                id: r.id,
                webhook_id: id,
                seq: r.seq,
                status: match r.status.as_str() {
                    "pending" => DeliveryStatus::Pending,
                    "delivered" => DeliveryStatus::Delivered,
                    "failed" => DeliveryStatus::Failed,
                    other => {
                        return Err(ApiError::corrupt(format!(
                            "webhook delivery {} has status {other:?}, not pending, delivered or failed",
                            r.id
                        )));
                    }
                },
                action: r.action,
                attempts: r.attempts,
                next_attempt_at: r.next_attempt_at.0,
                last_status_code: r.last_status_code,
                last_error: r.last_error,
                created_at: r.created_at.0,
                delivered_at: r.delivered_at.map(|t| t.0),
            })
        })
        .collect::<ApiResult<_>>()?;
    Ok(Json(Page { items, next_cursor }))
}
