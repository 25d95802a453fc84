//! The org tree, purchasing accounts and the product catalogue.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use seatdesk_core::api::inventory::{
    NewOrg, NewProduct, NewPurchasingAccount, Org, Product, PurchasingAccount,
};
use seatdesk_core::{Edition, Module, OrgKind, Permission, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::audit::NewEvent;
use crate::db::flag;
use crate::db::types::Named;
use crate::domain::orgs::org_path_in_scope;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json};
use crate::mutation;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_orgs, create_org))
        .routes(routes!(list_accounts, create_account))
        .routes(routes!(list_products, create_product))
}

/// An org as listed: id, parent, kind, name, path.
type OrgRow = (i64, Option<i64>, Named<OrgKind>, String, String);

/// Orgs of the caller's subtree, in tree order. Trees are small (thousands),
/// so this list is not paginated.
#[utoipa::path(get, path = "/v1/orgs", tag = "orgs", security(("bearer" = [])),
    responses((status = 200, body = Vec<Org>), (status = "4XX", body = Problem)))]
async fn list_orgs(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<Org>>> {
    auth.require(Permission::Read)?;
    let rows: Vec<OrgRow> = crate::db::query_as(format!(
        "SELECT id, parent_id, kind, name, path FROM orgs WHERE {} ORDER BY path LIMIT 100000",
        auth.scope.sql("path")
    ))
    .fetch_all(&state.db.pool)
    .await?;
    Ok(Json(
        rows.into_iter()
            .map(|(id, parent_id, kind, name, path)| Org {
                id,
                parent_id,
                kind: kind.0,
                name,
                path,
            })
            .collect(),
    ))
}

/// Adds a child org under an org of the caller's subtree.
#[utoipa::path(post, path = "/v1/orgs", tag = "orgs", security(("bearer" = [])),
    request_body = NewOrg,
    responses((status = 201, body = Org), (status = "4XX", body = Problem)))]
async fn create_org(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Json(body): Json<NewOrg>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageInventory)?;
    let name = body.name.trim().to_string();
    if name.is_empty() || name.len() > 200 {
        return Err(ApiError::invalid("name must be 1 to 200 characters"));
    }
    let fingerprint = mutation::fingerprint("create_org", &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let parent_path = org_path_in_scope(w.conn(), &auth.scope, body.parent_id).await?;
        let id: i64 = crate::db::query_scalar(
            "INSERT INTO orgs (parent_id, kind, name, path, created_at) VALUES ($1, $2, $3, '', $4) RETURNING id",
        )
        .bind(body.parent_id)
        .bind(body.kind.as_str())
        .bind(name.clone())
        .bind(w.now)
        .fetch_one(w.conn())
        .await?;
        let path = format!("{parent_path}{id}/");
        crate::db::query("UPDATE orgs SET path = $1 WHERE id = $2")
            .bind(path.clone())
            .bind(id)
            .execute(w.conn())
            .await?;
        let org = Org {
            id,
            parent_id: Some(body.parent_id),
            kind: body.kind,
            name: name.clone(),
            path: path.clone(),
        };
        w.record(NewEvent {
            action: "org.create",
            target_type: "org",
            target_id: id,
            org_path: path,
            before: None,
            after: serde_json::to_value(&org).ok(),
        });
        Ok((StatusCode::CREATED, org))
    })
    .await
}

/// Purchasing accounts of the caller's subtree (the seeds' drop-down).
#[utoipa::path(get, path = "/v1/accounts", tag = "orgs", security(("bearer" = [])),
    responses((status = 200, body = Vec<PurchasingAccount>), (status = "4XX", body = Problem)))]
async fn list_accounts(
    State(state): State<AppState>,
    auth: Auth,
) -> ApiResult<Json<Vec<PurchasingAccount>>> {
    auth.require(Permission::Read)?;
    let rows: Vec<(i64, i64, String, String)> = crate::db::query_as(format!(
        "SELECT a.id, a.org_id, a.name, a.number FROM accounts a JOIN orgs o ON o.id = a.org_id \
         WHERE {} ORDER BY a.name, a.id LIMIT 100000",
        auth.scope.sql("o.path")
    ))
    .fetch_all(&state.db.pool)
    .await?;
    Ok(Json(
        rows.into_iter()
            .map(|(id, org_id, name, number)| PurchasingAccount {
                id,
                org_id,
                name,
                number,
            })
            .collect(),
    ))
}

#[utoipa::path(post, path = "/v1/accounts", tag = "orgs", security(("bearer" = [])),
    request_body = NewPurchasingAccount,
    responses((status = 201, body = PurchasingAccount), (status = "4XX", body = Problem)))]
async fn create_account(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Json(body): Json<NewPurchasingAccount>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageInventory)?;
    if body.name.trim().is_empty() || body.number.trim().is_empty() {
        return Err(ApiError::invalid("name and number must not be empty"));
    }
    let fingerprint = mutation::fingerprint("create_account", &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let org_path = org_path_in_scope(w.conn(), &auth.scope, body.org_id).await?;
        let id: i64 = crate::db::query_scalar(
            "INSERT INTO accounts (org_id, name, number, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(body.org_id)
        .bind(body.name.trim().to_string())
        .bind(body.number.trim().to_string())
        .bind(w.now)
        .fetch_one(w.conn())
        .await?;
        let account = PurchasingAccount {
            id,
            org_id: body.org_id,
            name: body.name.trim().to_string(),
            number: body.number.trim().to_string(),
        };
        w.record(NewEvent {
            action: "account.create",
            target_type: "account",
            target_id: id,
            org_path,
            before: None,
            after: serde_json::to_value(&account).ok(),
        });
        Ok((StatusCode::CREATED, account))
    })
    .await
}

pub type ProductRow = (
    i64,
    String,
    String,
    String,
    Named<Edition>,
    Named<Module>,
    i64,
    Option<String>,
);

pub const PRODUCT_COLUMNS: &str =
    "id, sku, name, family, edition, module, has_resource_codes, training_prerequisite";

pub fn product_from_row(row: ProductRow) -> Product {
    let (id, sku, name, family, edition, module, has_resource_codes, training_prerequisite) = row;
    Product {
        id,
        sku,
        name,
        family,
        edition: edition.0,
        module: module.0,
        has_resource_codes: flag(has_resource_codes),
        training_prerequisite,
    }
}

/// The product catalogue, shared by every org.
#[utoipa::path(get, path = "/v1/products", tag = "orgs", security(("bearer" = [])),
    responses((status = 200, body = Vec<Product>), (status = "4XX", body = Problem)))]
async fn list_products(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<Product>>> {
    auth.require(Permission::Read)?;
    let rows: Vec<ProductRow> = crate::db::query_as(
        "SELECT id, sku, name, family, edition, module, has_resource_codes, training_prerequisite \
         FROM products ORDER BY family, name LIMIT 100000",
    )
    .fetch_all(&state.db.pool)
    .await?;
    Ok(Json(rows.into_iter().map(product_from_row).collect()))
}

#[utoipa::path(post, path = "/v1/products", tag = "orgs", security(("bearer" = [])),
    request_body = NewProduct,
    responses((status = 201, body = Product), (status = "4XX", body = Problem)))]
async fn create_product(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Json(body): Json<NewProduct>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageCatalog)?;
    if body.sku.trim().is_empty() || body.name.trim().is_empty() {
        return Err(ApiError::invalid("sku and name must not be empty"));
    }
    let fingerprint = mutation::fingerprint("create_product", &body);
    mutation::run(&state, &auth, &key, fingerprint, async |w| {
        let id: i64 = crate::db::query_scalar(
            "INSERT INTO products (sku, name, family, edition, module, has_resource_codes, training_prerequisite) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(body.sku.trim().to_string())
        .bind(body.name.trim().to_string())
        .bind(body.family.clone())
        .bind(body.edition.as_str())
        .bind(body.module.as_str())
        .bind(i64::from(body.has_resource_codes))
        .bind(body.training_prerequisite.clone())
        .fetch_one(w.conn())
        .await?;
        let product = Product {
            id,
            sku: body.sku.trim().to_string(),
            name: body.name.trim().to_string(),
            family: body.family.clone(),
            edition: body.edition,
            module: body.module,
            has_resource_codes: body.has_resource_codes,
            training_prerequisite: body.training_prerequisite.clone(),
        };
        w.record(NewEvent {
            action: "product.create",
            target_type: "product",
            target_id: id,
            org_path: "/".into(),
            before: None,
            after: serde_json::to_value(&product).ok(),
        });
        Ok((StatusCode::CREATED, product))
    })
    .await
}
