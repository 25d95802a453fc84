//! The org tree, purchasing accounts and the product catalogue.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use seatdesk_core::Permission;
use seatdesk_core::api::inventory::{
    NewOrg, NewProduct, NewPurchasingAccount, Org, Product, PurchasingAccount,
};
use seatdesk_core::problem::ProblemResponses;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::domain::orgs;
use crate::error::ApiResult;
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json};
use crate::mutation;
use crate::store;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_orgs, create_org))
        .routes(routes!(list_accounts, create_account))
        .routes(routes!(list_products, create_product))
}

/// Orgs of the caller's subtree, in tree order. Trees are small (thousands),
/// so this list is not paginated.
#[utoipa::path(get, path = "/v1/orgs", tag = "orgs", security(("bearer" = [])),
    responses((status = 200, description = "The orgs of the token's subtree", body = Vec<Org>), ProblemResponses))]
async fn list_orgs(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<Org>>> {
    auth.require(Permission::Read)?;
    let rows = store::orgs::list(&state.db.pool, &auth.scope).await?;
    Ok(Json(rows.iter().map(store::orgs::OrgRow::to_api).collect()))
}

/// Adds a child org under an org of the caller's subtree.
#[utoipa::path(post, path = "/v1/orgs", tag = "orgs", security(("bearer" = [])),
    request_body = NewOrg,
    responses((status = 201, description = "The new org", body = Org), ProblemResponses))]
async fn create_org(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Json(body): Json<NewOrg>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageInventory)?;
    orgs::check_org(&body)?;
    let fingerprint = mutation::fingerprint("create_org", &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let org = orgs::create_org(w, &auth.scope, &body).await?;
        Ok((StatusCode::CREATED, org))
    })
    .await
}

/// Purchasing accounts of the caller's subtree (the seeds' drop-down).
#[utoipa::path(get, path = "/v1/accounts", tag = "orgs", security(("bearer" = [])),
    responses((status = 200, description = "The purchasing accounts of the token's subtree", body = Vec<PurchasingAccount>), ProblemResponses))]
async fn list_accounts(
    State(state): State<AppState>,
    auth: Auth,
) -> ApiResult<Json<Vec<PurchasingAccount>>> {
    auth.require(Permission::Read)?;
    Ok(Json(
        store::orgs::accounts(&state.db.pool, &auth.scope).await?,
    ))
}

#[utoipa::path(post, path = "/v1/accounts", tag = "orgs", security(("bearer" = [])),
    request_body = NewPurchasingAccount,
    responses((status = 201, description = "The new purchasing account", body = PurchasingAccount), ProblemResponses))]
async fn create_account(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Json(body): Json<NewPurchasingAccount>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageInventory)?;
    orgs::check_account(&body)?;
    let fingerprint = mutation::fingerprint("create_account", &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let account = orgs::create_account(w, &auth.scope, &body).await?;
        Ok((StatusCode::CREATED, account))
    })
    .await
}

/// The product catalogue, shared by every org.
#[utoipa::path(get, path = "/v1/products", tag = "orgs", security(("bearer" = [])),
    responses((status = 200, description = "Every product", body = Vec<Product>), ProblemResponses))]
async fn list_products(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<Product>>> {
    auth.require(Permission::Read)?;
    Ok(Json(store::orgs::products(&state.db.pool).await?))
}

#[utoipa::path(post, path = "/v1/products", tag = "orgs", security(("bearer" = [])),
    request_body = NewProduct,
    responses((status = 201, description = "The new product", body = Product), ProblemResponses))]
async fn create_product(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Json(body): Json<NewProduct>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageCatalog)?;
    orgs::check_product(&body)?;
    let fingerprint = mutation::fingerprint("create_product", &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let product = orgs::create_product(w, &body).await?;
        Ok((StatusCode::CREATED, product))
    })
    .await
}
