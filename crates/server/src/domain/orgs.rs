//! Orgs below HTTP: resolving an org id inside a caller's subtree, and
//! adding orgs, purchasing accounts and products with their audit events.

use seatdesk_core::api::inventory::{
    NewOrg, NewProduct, NewPurchasingAccount, Org, Product, PurchasingAccount,
};
use seatdesk_core::api::limits::{LABEL_MAX, NAME_MAX, id_error, text_error};

use crate::db::Conn;
use crate::db::types::Stamp;
use crate::domain::scope::Scope;
use crate::error::{ApiError, ApiResult, validate};
use crate::mutation::Work;
use crate::store::audit::NewEvent;
use crate::store::orgs::{self as store, NewOrgRow};

/// The path of org `id` if it lies in `scope`, else 404 (an org outside
/// the subtree is not revealed).
pub async fn org_path_in_scope(conn: &mut Conn, scope: &Scope, id: i64) -> ApiResult<String> {
    let path = store::path(conn, id).await?;
    path.filter(|p| scope.contains(p))
        .ok_or_else(|| ApiError::not_found(format!("org {id}")))
}

/// Inserts `org` below the org at `parent_path` (`/` for the root of a
/// tree) and gives it its materialised path, which ends with its own id,
/// so it takes two statements. Returns the id and path.
pub async fn insert_org(
    conn: &mut Conn,
    org: &NewOrgRow<'_>,
    parent_path: &str,
    now: Stamp,
) -> Result<(i64, String), sqlx::Error> {
    let id = store::insert(conn, org, now).await?;
    let path = format!("{parent_path}{id}/");
    store::set_path(conn, id, &path).await?;
    Ok((id, path))
}

/// Refuses an org whose name is empty or too long, or whose parent is no id.
pub fn check_org(body: &NewOrg) -> ApiResult<()> {
    validate([
        id_error("parent_id", body.parent_id),
        text_error("name", &body.name, NAME_MAX),
    ])
}

/// Adds a child org under an org of `scope`.
pub async fn create_org(w: &mut Work, scope: &Scope, body: &NewOrg) -> ApiResult<Org> {
    let name = body.name.trim().to_string();
    let parent_path = org_path_in_scope(w.conn(), scope, body.parent_id).await?;
    let now = w.now;
    let new = NewOrgRow {
        parent_id: Some(body.parent_id),
        kind: body.kind,
        name: &name,
        sourced_id: None,
    };
    let (id, path) = insert_org(w.conn(), &new, &parent_path, now).await?;
    let org = Org {
        id,
        parent_id: Some(body.parent_id),
        kind: body.kind,
        name,
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
    Ok(org)
}

/// Refuses an account whose name or number is empty or too long, or
/// whose org is no id.
pub fn check_account(body: &NewPurchasingAccount) -> ApiResult<()> {
    validate([
        id_error("org_id", body.org_id),
        text_error("name", &body.name, NAME_MAX),
        text_error("number", &body.number, LABEL_MAX),
    ])
}

/// Adds a purchasing account to an org of `scope`.
pub async fn create_account(
    w: &mut Work,
    scope: &Scope,
    body: &NewPurchasingAccount,
) -> ApiResult<PurchasingAccount> {
    let org_path = org_path_in_scope(w.conn(), scope, body.org_id).await?;
    let (name, number) = (body.name.trim(), body.number.trim());
    let now = w.now;
    let id = store::insert_account(w.conn(), body.org_id, name, number, now).await?;
    let account = PurchasingAccount {
        id,
        org_id: body.org_id,
        name: name.to_string(),
        number: number.to_string(),
    };
    w.record(NewEvent {
        action: "account.create",
        target_type: "account",
        target_id: id,
        org_path,
        before: None,
        after: serde_json::to_value(&account).ok(),
    });
    Ok(account)
}

/// Refuses a product whose sku, name, family or training prerequisite is
/// empty or too long.
pub fn check_product(body: &NewProduct) -> ApiResult<()> {
    validate([
        text_error("sku", &body.sku, LABEL_MAX),
        text_error("name", &body.name, NAME_MAX),
        text_error("family", &body.family, LABEL_MAX),
        body.training_prerequisite
            .as_deref()
            .and_then(|t| text_error("training_prerequisite", t, LABEL_MAX)),
    ])
}

/// Adds a product to the catalogue every org shares.
pub async fn create_product(w: &mut Work, body: &NewProduct) -> ApiResult<Product> {
    let (sku, name) = (body.sku.trim(), body.name.trim());
    let id = store::insert_product(w.conn(), sku, name, body).await?;
    let product = Product {
        id,
        sku: sku.to_string(),
        name: name.to_string(),
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
    Ok(product)
}
