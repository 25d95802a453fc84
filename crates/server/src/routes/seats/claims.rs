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
use seatdesk_core::{Permission, Problem, SeatStatus};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::db::Backend;
use crate::db::sql::Sql;
use crate::domain::claims::{ClaimRow, claim_columns, claim_from};
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::{Json, Query, decode_cursor, encode_cursor, page_size};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_claims))
}

/// The head of a SQLite query that folds the page's rows (an inner `SELECT`
/// of [`claim_columns!`], `sort_key` and `sort_raw`, closed by `) page`)
/// into one JSON array of arrays, in page order. One value crosses the
/// driver instead of a hundred rows: each row would be a message from the
/// connection's thread (measured before the typed drivers; kept, as
/// SQLite still hands rows over one message each).
fn page_as_json(dir: &str) -> String {
    let fields = "page.id, page.license_id, page.product_id, page.product_name, page.user_id, \
        page.user_name, page.user_email, page.user_kind, page.org_id, page.org_name, page.status, \
        page.assigned_at, page.assigned_by, page.claimed_at, page.claimed_by, page.expired_at, \
        page.expired_by, page.revoked_at, page.revoked_by, page.redemption_code, \
        page.students_assigned, page.updated_at, page.sort_key";
    // SQLite 3.44+ orders an aggregate's input by its own ORDER BY.
    format!(
        "SELECT json_group_array(json_array({fields}) ORDER BY page.sort_raw {dir}, page.id {dir}) FROM ("
    )
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
    responses((status = 200, body = Page<Claim>), (status = "4XX", body = Problem)))]
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
    // Keyset: (key, id) strictly past the cursor in the sort direction.
    let (key_sql, text_key) = match sort {
        ClaimSort::AssignedAt => ("s.assigned_at", false),
        // Unclaimed seats sort as 0 (oldest).
        ClaimSort::ClaimedAt => ("COALESCE(s.claimed_at, 0)", false),
        ClaimSort::Name => ("LOWER(u.family_name || ' ' || u.given_name)", true),
    };
    let dir = if descending { "DESC" } else { "ASC" };
    // PostgreSQL sends rows in one buffer and is slower building JSON than
    // the driver is decoding rows (measured), so only SQLite folds them.
    let fold = state.db.backend == Backend::Sqlite;
    let mut sql = Sql::new(
        if fold {
            page_as_json(dir)
        } else {
            String::new()
        }
        .as_str(),
    );
    sql.push(&format!(
        "SELECT {}, CAST({key_sql} AS TEXT) AS sort_key, {key_sql} AS sort_raw {}",
        claim_columns!(),
        claim_from!()
    ));
    sql.push(" WHERE ").push(&auth.scope.sql("l.org_path"));
    if let Some(statuses) = query.status.as_deref() {
        let statuses = parse_statuses(statuses)?;
        // Every status is no filter; saying so in SQL would cost the
        // keyset walk its index (each page would sort every claim).
        let all = SeatStatus::ALL.iter().all(|s| statuses.contains(s));
        if !statuses.is_empty() && !all {
            sql.push(" AND s.status IN (")
                .bind_list(statuses.iter().map(|s| s.as_str().to_string()))
                .push(")");
        }
    }
    if let Some(id) = query.product_id {
        sql.push(" AND l.product_id = ").bind(id);
    }
    if let Some(id) = query.license_id {
        sql.push(" AND s.license_id = ").bind(id);
    }
    if let Some(id) = query.account_id {
        sql.push(" AND l.account_id = ").bind(id);
    }
    if let Some(text) = query.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = crate::db::sql::contains_pattern(text);
        sql.push(" AND (LOWER(u.given_name || ' ' || u.family_name) LIKE ")
            .bind_like(pattern.clone())
            .push(" OR LOWER(u.email) LIKE ")
            .bind_like(pattern)
            .push(")");
    }
    if let Some(from) = query.from {
        sql.push(" AND s.assigned_at >= ")
            .bind(from.timestamp_millis());
    }
    if let Some(to) = query.to {
        sql.push(" AND s.assigned_at < ")
            .bind(to.timestamp_millis());
    }
    let cmp = if descending { "<" } else { ">" };
    if let Some(cursor) = &query.cursor {
        let (key, id) = decode_cursor(cursor)?;
        sql.push(" AND (").push(key_sql).push(&format!(" {cmp} "));
        if text_key {
            sql.bind(key.clone())
                .push(" OR (")
                .push(key_sql)
                .push(" = ")
                .bind(key);
        } else {
            let key: i64 = key
                .parse()
                .map_err(|_| ApiError::bad_request("the cursor does not match this sort"))?;
            sql.bind(key)
                .push(" OR (")
                .push(key_sql)
                .push(" = ")
                .bind(key);
        }
        sql.push(&format!(" AND s.id {cmp} ")).bind(id).push("))");
    }
    sql.push(&format!(" ORDER BY {key_sql} {dir}, s.id {dir} LIMIT "))
        .bind(limit + 1);
    let rows: Vec<ClaimRow> = if fold {
        sql.push(") page");
        let text: String = sql.query_scalar().fetch_one(&state.db.pool).await?;
        serde_json::from_str(&text)
            .map_err(|e| ApiError::internal(format!("the claims page did not parse: {e}")))?
    } else {
        sql.query_as().fetch_all(&state.db.pool).await?
    };
    let (rows, next_cursor) = crate::http::split_page(rows, limit, |r| {
        encode_cursor(r.sort_key.as_deref().unwrap_or_default(), r.id)
    });
    Ok(Page {
        items: rows.into_iter().map(Claim::from).collect(),
        next_cursor,
    })
}
