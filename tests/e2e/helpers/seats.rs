//! A license full of seats for the tests that stop, kill or copy a server
//! in the middle of a bulk revocation, and the check that such a database
//! is whole: every revoked seat has exactly one event, counters equal rows.

use std::time::Duration;

use seatdesk_server::Db;
use serde_json::{Value, json};

use super::free_port;

pub const PG_ENV: &str = "SEATDESK_TEST_PG_URL";

pub async fn fresh_db(backend: &str) -> (String, Option<tempfile::TempDir>) {
    if backend == "sqlite" {
        let dir = tempfile::tempdir().unwrap();
        (
            format!("sqlite://{}", dir.path().join("fault.db").display()),
            Some(dir),
        )
    } else {
        let base = std::env::var(PG_ENV).unwrap();
        let name = format!("seatdesk_fault_{}_{}", std::process::id(), free_port());
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&base)
            .await
            .unwrap();
        sqlx::Executor::execute(
            &mut conn,
            sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")),
        )
        .await
        .unwrap();
        let (prefix, _) = base.rsplit_once('/').unwrap();
        (format!("{prefix}/{name}"), None)
    }
}

pub fn backends() -> Vec<&'static str> {
    let mut all = vec!["sqlite"];
    if std::env::var(PG_ENV).is_ok_and(|v| !v.is_empty()) {
        all.push("postgres");
    }
    all
}

pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

pub async fn post(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    body: &Value,
    key: Option<&str>,
) -> reqwest::Result<(u16, Value)> {
    let mut request = http.post(url).bearer_auth(token).json(body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await?))
}

/// A license with `n` pending seats held by fresh users, inserted in bulk.
pub async fn seed_seats(
    db: &Db,
    http: &reqwest::Client,
    url: &str,
    token: &str,
    n: usize,
    tag: &str,
) -> (i64, Vec<i64>) {
    let me: Value = http
        .get(format!("{url}/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let org = me["org_id"].as_i64().unwrap();
    let (_, account) = post(
        http,
        &format!("{url}/v1/accounts"),
        token,
        &json!({"org_id": org, "name": tag, "number": format!("PA-{tag}")}),
        None,
    )
    .await
    .unwrap();
    let (_, product) = post(http, &format!("{url}/v1/products"), token, &json!({"sku": format!("SKU-{tag}"), "name": "ConnectED", "family": "ConnectED", "edition": "teacher", "module": "none"}), None).await.unwrap();
    let (_, license) = post(http, &format!("{url}/v1/licenses"), token, &json!({
        "account_id": account["id"], "product_id": product["id"], "order_number": tag, "inventory_type": "seat_pool",
        "seats_purchased": n, "start_date": "2020-01-01", "finish_date": "2099-01-01"})
    , None).await.unwrap();
    let license_id = license["id"].as_i64().unwrap();
    let path = format!("/{org}/");
    let now = seatdesk_server::db::types::Stamp::now();
    let mut tx = db.begin_write().await.unwrap();
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|i| format!("({org}, '{path}', 'u{i}-{tag}@fault.example', 'User{i}', 'Fault', 'teacher', '', 'active', $1, $1)"))
            .collect();
        seatdesk_server::db::query(format!(
            "INSERT INTO users (org_id, org_path, email, given_name, family_name, kind, roles, status, created_at, updated_at) VALUES {}",
            values.join(", ")
        ))
        .bind(now)
        .execute(&mut tx.tx)
        .await
        .unwrap();
    }
    seatdesk_server::db::query(format!(
        "INSERT INTO seats (license_id, user_id, status, source, assigned_at, assigned_by, updated_at) \
         SELECT {license_id}, id, 'pending', 'seed', $1, 'seed', $1 FROM users WHERE email LIKE '%-{tag}@fault.example'"
    ))
    .bind(now)
    .execute(&mut tx.tx)
    .await
    .unwrap();
    seatdesk_server::db::query(format!(
        "UPDATE licenses SET seats_consumed = {n} WHERE id = {license_id}"
    ))
    .execute(&mut tx.tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let ids: Vec<i64> = seatdesk_server::db::query_scalar(format!(
        "SELECT id FROM seats WHERE license_id = {license_id} ORDER BY id"
    ))
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(ids.len(), n);
    (license_id, ids)
}

/// Every seat of the license is either revoked with exactly one revoke event,
/// or untouched with none; the counter equals the live rows.
pub async fn assert_consistent(db: &Db, license_id: i64) -> (i64, i64) {
    let (revoked, pending): (i64, i64) = seatdesk_server::db::query_as(format!(
        "SELECT COALESCE(SUM(CASE WHEN status = 'revoked' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0) FROM seats WHERE license_id = {license_id}"
    ))
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let events: i64 = seatdesk_server::db::query_scalar(format!(
        "SELECT COUNT(*) FROM audit_events e JOIN seats s ON s.id = e.target_id \
         WHERE e.target_type = 'seat' AND e.action = 'seat.revoke' AND s.license_id = {license_id}"
    ))
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let unevented: i64 = seatdesk_server::db::query_scalar(format!(
        "SELECT COUNT(*) FROM seats s WHERE s.license_id = {license_id} AND s.status = 'revoked' AND \
         (SELECT COUNT(*) FROM audit_events e WHERE e.target_type = 'seat' AND e.target_id = s.id AND e.action = 'seat.revoke') <> 1"
    ))
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let consumed: i64 = seatdesk_server::db::query_scalar(format!(
        "SELECT seats_consumed FROM licenses WHERE id = {license_id}"
    ))
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        events, revoked,
        "every revoked seat has its event and no untouched seat has one"
    );
    assert_eq!(unevented, 0, "exactly one event per revoked seat");
    assert_eq!(consumed, pending, "counter equals live rows");
    (revoked, pending)
}
