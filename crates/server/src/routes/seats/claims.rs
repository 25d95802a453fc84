//! The License Claims report: filter by several statuses at once, product,
//! license, user text and assignment dates; sort by assignment date, claim
//! date or name; keyset pagination. Pages are cached per subtree and query
//! string while the audit feed head stands still (see `feed_cache`).

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use seatdesk_core::api::Page;
use seatdesk_core::api::seats::{Claim, ClaimQuery, ClaimSort};
use seatdesk_core::problem::ProblemResponses;
use seatdesk_core::{Permission, SeatStatus};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::{Json, Query, decode_cursor, encode_cursor, page_size};
use crate::store::claims::{ClaimCursor, ClaimReport, claim_report};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_claims))
}

/// Parses `pending,active` into statuses, refusing unknown names.
pub fn parse_statuses(text: &str) -> ApiResult<Vec<SeatStatus>> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<SeatStatus>().map_err(ApiError::bad_request))
        .collect()
}

/// The claims report.
#[utoipa::path(get, path = "/v1/claims", tag = "seats", security(("bearer" = [])),
    params(ClaimQuery),
    responses((status = 200, description = "One page of claims", body = Page<Claim>), ProblemResponses))]
async fn list_claims(
    State(state): State<AppState>,
    auth: Auth,
    RawQuery(raw): RawQuery,
    Query(query): Query<ClaimQuery>,
) -> ApiResult<Response> {
    auth.require(Permission::Read)?;
    if !state.config.feed_cache {
        return Ok(Json(claims_page(&state, &auth, query).await?).into_response());
    }
    // The answer depends on the subtree, the query string and the data; the
    // head read with the token stands for the data (see `feed_cache`).
    let key = (auth.scope.path().to_string(), raw.unwrap_or_default());
    if let Some(body) = state.claim_pages.get(&key, auth.feed_head) {
        return Ok(json_body(body));
    }
    let page = claims_page(&state, &auth, query).await?;
    let body = Bytes::from(
        serde_json::to_vec(&page)
            .map_err(|e| ApiError::internal(format!("cannot encode the claims page: {e}")))?,
    );
    state.claim_pages.put(key, auth.feed_head, body.clone());
    Ok(json_body(body))
}

fn json_body(body: Bytes) -> Response {
    ([(CONTENT_TYPE, "application/json")], body).into_response()
}

/// One page of the report, from the database.
async fn claims_page(state: &AppState, auth: &Auth, query: ClaimQuery) -> ApiResult<Page<Claim>> {
    let limit = page_size(query.limit);
    let sort = query.sort.unwrap_or_default();
    let descending = match query.order.as_deref() {
        None => sort != ClaimSort::Name,
        Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "order must be asc or desc, not '{other}'"
            )));
        }
    };
    let statuses = match query.status.as_deref() {
        Some(statuses) => parse_statuses(statuses)?,
        None => Vec::new(),
    };
    let after = match &query.cursor {
        None => None,
        Some(cursor) => {
            let (key, id) = decode_cursor(cursor)?;
            if sort == ClaimSort::Name {
                Some(ClaimCursor::Text(key, id))
            } else {
                // A cursor of the name sort after the sort changed: the
                // first page of the new sort.
                key.parse().ok().map(|key| ClaimCursor::Number(key, id))
            }
        }
    };
    let report = ClaimReport {
        query: &query,
        statuses,
        descending,
        after,
        limit,
    };
    let rows = claim_report(&state.db.pool, &auth.scope, &report)
        .await?
        .into_rows()
        .map_err(|e| ApiError::internal(format!("the claims page did not parse: {e}")))?;
    let (rows, next_cursor) = crate::http::split_page(rows, limit, |r| {
        encode_cursor(r.sort_key.as_deref().unwrap_or_default(), r.id)
    });
    Ok(Page {
        items: rows.into_iter().map(Claim::from).collect(),
        next_cursor,
    })
}
