//! Fixture builders and database probes several test modules share: orgs,
//! accounts, products and licenses made through the API, and single-value
//! reads straight from the database.

use chrono::{Days, NaiveDate, Utc};
use serde_json::{Value, json};

use super::TestServer;

/// Today plus `days` (negative: in the past).
pub fn days_from_today(days: i64) -> NaiveDate {
    let today = Utc::now().date_naive();
    if days >= 0 {
        today + Days::new(days as u64)
    } else {
        today - Days::new(days.unsigned_abs())
    }
}

/// A new org of `kind` under `parent`.
pub async fn org(server: &TestServer, parent: i64, kind: &str, name: &str) -> i64 {
    let org: Value = server
        .admin
        .post_ok(
            "/v1/orgs",
            &json!({"parent_id": parent, "kind": kind, "name": name}),
        )
        .await;
    org["id"].as_i64().unwrap()
}

/// A purchasing account of `org`.
pub async fn account(server: &TestServer, org: i64) -> i64 {
    let account: Value = server
        .admin
        .post_ok(
            "/v1/accounts",
            &json!({"org_id": org, "name": "Main", "number": format!("PA-{org}")}),
        )
        .await;
    account["id"].as_i64().unwrap()
}

/// A ConnectED teacher-edition product with `module` and an optional
/// training prerequisite.
pub async fn product(server: &TestServer, sku: &str, module: &str, training: Option<&str>) -> i64 {
    let product: Value = server
        .admin
        .post_ok(
            "/v1/products",
            &json!({"sku": sku, "name": format!("Product {sku}"), "family": "ConnectED",
                    "edition": "teacher", "module": module, "training_prerequisite": training}),
        )
        .await;
    product["id"].as_i64().unwrap()
}

/// A seat-pool license of `seats` running from `start` to `finish`.
pub async fn license(
    server: &TestServer,
    account: i64,
    product: i64,
    seats: i64,
    (start, finish): (NaiveDate, NaiveDate),
    grace_days: i64,
) -> i64 {
    let license: Value = server
        .admin
        .post_ok(
            "/v1/licenses",
            &json!({"account_id": account, "product_id": product,
                    "order_number": format!("ORD-{account}-{product}-{seats}-{finish}"),
                    "inventory_type": "seat_pool", "seats_purchased": seats,
                    "start_date": start, "finish_date": finish, "grace_days": grace_days}),
        )
        .await;
    license["id"].as_i64().unwrap()
}

/// One integer read with `sql` (a `COUNT(*)` and the like).
pub async fn scalar(server: &TestServer, sql: &str) -> i64 {
    seatdesk_server::db::query_scalar(sql.to_string())
        .fetch_one(&server.db.pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The stored consumed-seat counter of `license`.
pub async fn consumed(server: &TestServer, license: i64) -> i64 {
    seatdesk_server::db::query_scalar("SELECT seats_consumed FROM licenses WHERE id = $1")
        .bind(license)
        .fetch_one(&server.db.pool)
        .await
        .unwrap()
}

/// The sequence number of the last audit event.
pub async fn audit_head(server: &TestServer) -> i64 {
    seatdesk_server::db::query_scalar("SELECT seq FROM audit_head WHERE id = 1")
        .fetch_one(&server.db.pool)
        .await
        .unwrap()
}
