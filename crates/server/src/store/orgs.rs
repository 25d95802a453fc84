//! The org tree, purchasing accounts and the product catalogue as stored.
//! An org's materialised path (`/1/4/9/`) holds its own id, so an org is
//! written in two statements: [`insert`], then [`set_path`].

use seatdesk_core::api::inventory::{NewProduct, Org, Product, PurchasingAccount};
use seatdesk_core::{Edition, Module, OrgKind};

use crate::db::sql::Target;
use crate::db::types::{Flag, Named, Stamp};
use crate::db::{Conn, Pool};
use crate::domain::scope::Scope;

/// An org as listed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgRow {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub kind: Named<OrgKind>,
    pub name: String,
    pub path: String,
}

impl OrgRow {
    pub fn to_api(&self) -> Org {
        Org {
            id: self.id,
            parent_id: self.parent_id,
            kind: self.kind.0,
            name: self.name.clone(),
            path: self.path.clone(),
        }
    }
}

/// The orgs of `scope`, in tree order.
pub async fn list(pool: &Pool, scope: &Scope) -> Result<Vec<OrgRow>, sqlx::Error> {
    crate::db::query_as(format!(
        "SELECT id, parent_id, kind, name, path FROM orgs WHERE {} ORDER BY path LIMIT 100000",
        scope.sql("path")
    ))
    .fetch_all(pool)
    .await
}

/// The path of org `id`, if it exists.
pub async fn path(conn: &mut Conn, id: i64) -> Result<Option<String>, sqlx::Error> {
    crate::db::query_scalar("SELECT path FROM orgs WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Org `id`'s id, if it exists.
pub async fn id_if_exists<'c>(
    target: impl Into<Target<'c>>,
    id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    crate::db::query_scalar("SELECT id FROM orgs WHERE id = $1")
        .bind(id)
        .fetch_optional(target)
        .await
}

/// The oldest org named exactly `name`.
pub async fn id_by_name<'c>(
    target: impl Into<Target<'c>>,
    name: &str,
) -> Result<Option<i64>, sqlx::Error> {
    crate::db::query_scalar("SELECT id FROM orgs WHERE name = $1 ORDER BY id LIMIT 1")
        .bind(name)
        .fetch_optional(target)
        .await
}

pub async fn count<'c>(target: impl Into<Target<'c>>) -> Result<i64, sqlx::Error> {
    crate::db::query_scalar("SELECT COUNT(*) FROM orgs")
        .fetch_one(target)
        .await
}

/// An org to insert; its path is set afterwards with [`set_path`].
pub struct NewOrgRow<'a> {
    /// `None` for the root of a tree.
    pub parent_id: Option<i64>,
    pub kind: OrgKind,
    pub name: &'a str,
    /// The roster's id of an imported org.
    pub sourced_id: Option<&'a str>,
}

/// Inserts an org with an empty path and returns its id.
pub async fn insert(conn: &mut Conn, org: &NewOrgRow<'_>, now: Stamp) -> Result<i64, sqlx::Error> {
    crate::db::query_scalar(
        "INSERT INTO orgs (parent_id, kind, name, path, sourced_id, created_at) \
         VALUES ($1, $2, $3, '', $4, $5) RETURNING id",
    )
    .bind(org.parent_id)
    .bind(org.kind.as_str())
    .bind(org.name)
    .bind(org.sourced_id)
    .bind(now)
    .fetch_one(conn)
    .await
}

pub async fn set_path(conn: &mut Conn, id: i64, path: &str) -> Result<(), sqlx::Error> {
    crate::db::query("UPDATE orgs SET path = $1 WHERE id = $2")
        .bind(path)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The purchasing accounts of orgs of `scope`, by name.
pub async fn accounts(pool: &Pool, scope: &Scope) -> Result<Vec<PurchasingAccount>, sqlx::Error> {
    let rows: Vec<(i64, i64, String, String)> = crate::db::query_as(format!(
        "SELECT a.id, a.org_id, a.name, a.number FROM accounts a JOIN orgs o ON o.id = a.org_id \
         WHERE {} ORDER BY a.name, a.id LIMIT 100000",
        scope.sql("o.path")
    ))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, org_id, name, number)| PurchasingAccount {
            id,
            org_id,
            name,
            number,
        })
        .collect())
}

/// Inserts an account (`name` and `number` already trimmed) and returns its id.
pub async fn insert_account(
    conn: &mut Conn,
    org_id: i64,
    name: &str,
    number: &str,
    now: Stamp,
) -> Result<i64, sqlx::Error> {
    crate::db::query_scalar(
        "INSERT INTO accounts (org_id, name, number, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(org_id)
    .bind(name)
    .bind(number)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// A product as stored: id, sku, name, family, edition, module, whether it
/// has resource codes, training prerequisite.
pub type ProductRow = (
    i64,
    String,
    String,
    String,
    Named<Edition>,
    Named<Module>,
    Flag,
    Option<String>,
);

pub fn product_from_row(row: ProductRow) -> Product {
    let (id, sku, name, family, edition, module, has_resource_codes, training_prerequisite) = row;
    Product {
        id,
        sku,
        name,
        family,
        edition: edition.0,
        module: module.0,
        has_resource_codes: has_resource_codes.0,
        training_prerequisite,
    }
}

/// The whole catalogue, by family and name.
pub async fn products(pool: &Pool) -> Result<Vec<Product>, sqlx::Error> {
    let rows: Vec<ProductRow> = crate::db::query_as(
        "SELECT id, sku, name, family, edition, module, has_resource_codes, training_prerequisite \
         FROM products ORDER BY family, name LIMIT 100000",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(product_from_row).collect())
}

/// Product `id`'s id, if it exists.
pub async fn product_id_if_exists(conn: &mut Conn, id: i64) -> Result<Option<i64>, sqlx::Error> {
    crate::db::query_scalar("SELECT id FROM products WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Inserts a product (`sku` and `name` already trimmed) and returns its id.
pub async fn insert_product(
    conn: &mut Conn,
    sku: &str,
    name: &str,
    body: &NewProduct,
) -> Result<i64, sqlx::Error> {
    crate::db::query_scalar(
        "INSERT INTO products (sku, name, family, edition, module, has_resource_codes, training_prerequisite) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(sku)
    .bind(name)
    .bind(body.family.as_str())
    .bind(body.edition.as_str())
    .bind(body.module.as_str())
    .bind(body.has_resource_codes)
    .bind(body.training_prerequisite.as_deref())
    .fetch_one(conn)
    .await
}

/// Whether `scope` is the whole tree: `/`, or the only root org.
pub async fn covers_every_org<'c>(
    target: impl Into<crate::db::sql::Target<'c>>,
    scope: &Scope,
) -> Result<bool, sqlx::Error> {
    if scope.path() == "/" {
        return Ok(true);
    }
    let mut sql =
        crate::db::sql::Sql::new("SELECT COUNT(*) FROM orgs WHERE parent_id IS NULL AND path <> ");
    sql.bind(scope.path());
    let other_roots: i64 = sql.query_scalar().fetch_one(target).await?;
    Ok(other_roots == 0 && scope.path().matches('/').count() == 2)
}
