//! Users (teachers, students, staff): list, show with their seats, create
//! and change. Role rules run in the same transaction as each change, and
//! archiving a user frees their seats.

pub mod role_rules;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use seatdesk_core::api::Page;
use seatdesk_core::api::seats::Claim;
use seatdesk_core::api::users::{NewUser, User, UserChange, UserDetail, UserPatch, UserQuery};
use seatdesk_core::problem::ProblemResponses;
use seatdesk_core::{Permission, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::domain::users::{self, load_user};
use crate::error::ApiResult;
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json, Path, Query, decode_cursor, encode_cursor, page_size};
use crate::mutation;
use crate::store;
use crate::store::users::UserRow;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, patch_user))
        .merge(role_rules::routes())
}

/// Most live seats listed with one user.
const MAX_SEATS_SHOWN: i64 = 1000;

/// Users of the caller's subtree, by id.
#[utoipa::path(get, path = "/v1/users", tag = "users", security(("bearer" = [])),
    params(UserQuery),
    responses((status = 200, description = "One page of users", body = Page<User>), ProblemResponses))]
async fn list_users(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<UserQuery>,
) -> ApiResult<Json<Page<User>>> {
    auth.require(Permission::Read)?;
    crate::domain::users::check_query(&query)?;
    let limit = page_size(query.limit);
    let after = match &query.cursor {
        Some(cursor) => Some(decode_cursor(cursor)?.1),
        None => None,
    };
    let rows = store::users::list(&state.db.pool, &auth.scope, &query, after, limit).await?;
    let (rows, next_cursor) = crate::http::split_page(rows, limit, |r| encode_cursor("", r.id));
    Ok(Json(Page {
        items: rows.into_iter().map(UserRow::into_api).collect(),
        next_cursor,
    }))
}

/// One user with the live (pending or active) seats they hold.
#[utoipa::path(get, path = "/v1/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id")),
    responses((status = 200, description = "The user with their seats", body = UserDetail), ProblemResponses))]
async fn get_user(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<UserDetail>> {
    auth.require(Permission::Read)?;
    let mut conn = state.db.pool.acquire().await?;
    let user = load_user(&mut conn, &auth.scope, id, false)
        .await?
        .into_api();
    let seats = store::users::live_claims(&mut conn, id, &auth.scope, MAX_SEATS_SHOWN).await?;
    Ok(Json(UserDetail {
        user,
        seats: seats.into_iter().map(Claim::from).collect(),
    }))
}

/// Adds a user to an org of the caller's subtree and applies the role rules.
#[utoipa::path(post, path = "/v1/users", tag = "users", security(("bearer" = [])),
    request_body = NewUser,
    responses((status = 201, description = "The new user and the seats the role rules gave them", body = UserChange),
              (status = 409, description = "The email is already taken", body = Problem, content_type = "application/problem+json"),
              ProblemResponses))]
async fn create_user(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Json(body): Json<NewUser>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageUsers)?;
    let checked = users::check_new(&body)?;
    let fingerprint = mutation::fingerprint("create_user", &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let change = users::create_user(w, &auth.scope, &body, &checked).await?;
        Ok((StatusCode::CREATED, change))
    })
    .await
}

/// Changes a user's names, roles, status or trainings. Archiving revokes
/// the user's live seats; role and status changes re-apply the role rules.
#[utoipa::path(patch, path = "/v1/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id")),
    request_body = UserPatch,
    responses((status = 200, description = "The user after the change and the seats it took or freed", body = UserChange), ProblemResponses))]
async fn patch_user(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Path(id): Path<i64>,
    Json(body): Json<UserPatch>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageUsers)?;
    let trainings = users::check_patch(&body)?;
    let fingerprint = mutation::fingerprint(&format!("patch_user:{id}"), &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let change = users::patch_user(w, &auth.scope, id, &body, trainings.as_deref()).await?;
        Ok((StatusCode::OK, change))
    })
    .await
}
