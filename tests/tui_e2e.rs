//! End to end in a real terminal: tmux runs the `seatdesk` binary against a
//! server started in this process; the test filters the teacher list, marks
//! the rows shown, revokes them, confirms, and then checks on the server
//! over HTTP that exactly those seats were revoked (the one with students
//! refused) and the rest untouched, and that the dashboard shows the new
//! counts. Skipped with a note when tmux is not installed.

mod common;

use common::tmux::Tmux;

use seatdesk_core::api::Page;
use seatdesk_core::api::seats::Claim;
use seatdesk_core::{OrgKind, Role, SeatStatus};
use seatdesk_server::{AppState, Db, ServerConfig};
use serde_json::{Value, json};

/// Waits for `text` on the screen without stalling the runtime the
/// server runs on.
fn wait_for(tmux: &Tmux, text: &str) -> String {
    tokio::task::block_in_place(|| tmux.wait_for(text))
}

async fn post(http: &reqwest::Client, url: &str, token: &str, body: Value) -> Value {
    let response = http
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "POST {url}: {}",
        response.status()
    );
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn filter_mark_revoke_confirm_in_a_real_terminal() {
    if !Tmux::available() {
        eprintln!("tmux is not installed; skipping the terminal test");
        return;
    }
    seatdesk_client::install_crypto();
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&format!(
        "sqlite://{}",
        dir.path().join("server.db").display()
    ))
    .await
    .unwrap();
    let root = seatdesk_server::tokens::create_root_org(&db, "CCI Learning", OrgKind::Distributor)
        .await
        .unwrap();
    let mut conn = db.pool.acquire().await.unwrap();
    let (_, token) =
        seatdesk_server::tokens::insert_token(&mut conn, "ops", Role::SystemAdmin, root)
            .await
            .unwrap();
    drop(conn);
    let server = seatdesk_server::spawn(
        AppState::new(db.clone(), ServerConfig::default()),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let base = server.url();
    let http = reqwest::Client::new();
    let org = post(
        &http,
        &format!("{base}/v1/orgs"),
        &token,
        json!({"parent_id": root, "kind": "district", "name": "Lincoln USD"}),
    )
    .await;
    let org_id = org["id"].as_i64().unwrap();
    let account = post(
        &http,
        &format!("{base}/v1/accounts"),
        &token,
        json!({"org_id": org_id, "name": "Main", "number": "PA-1"}),
    )
    .await;
    let product = post(&http, &format!("{base}/v1/products"), &token, json!({"sku": "CE-S", "name": "ConnectED student edition", "family": "ConnectED", "edition": "student", "module": "none"})).await;
    let license = post(&http, &format!("{base}/v1/licenses"), &token, json!({
        "account_id": account["id"], "product_id": product["id"], "order_number": "ORD-1", "purchase_order": "PO-1",
        "inventory_type": "seat_pool", "seats_purchased": 50, "start_date": "2020-01-01", "finish_date": "2099-12-31", "grace_days": 30
    }))
    .await;
    let license_id = license["id"].as_i64().unwrap();
    let path: String = seatdesk_server::db::query_scalar("SELECT path FROM orgs WHERE id = $1")
        .bind(org_id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let people = [
        ("Ann", "Smith"),
        ("Bo", "Jones"),
        ("Cy", "Smith"),
        ("Di", "Park"),
        ("Ed", "Smith"),
        ("Flo", "Reyes"),
        ("Gus", "Smith"),
        ("Hana", "Ito"),
    ];
    let mut seats = Vec::new();
    for (given, family) in people {
        let email = format!("{}@lincoln.test", given.to_lowercase());
        let user: i64 = seatdesk_server::db::query_scalar(
            "INSERT INTO users (org_id, org_path, email, given_name, family_name, kind, roles, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'teacher', '', 'active', 1, 1) RETURNING id",
        )
        .bind(org_id)
        .bind(path.clone())
        .bind(email)
        .bind(given.to_string())
        .bind(family.to_string())
        .fetch_one(&db.pool)
        .await
        .unwrap();
        let seat = post(
            &http,
            &format!("{base}/v1/seats"),
            &token,
            json!({"license_id": license_id, "user_id": user}),
        )
        .await;
        seats.push((family, seat["id"].as_i64().unwrap()));
    }
    // Cy Smith still has students: that revocation must be refused.
    let cy = seats[2].1;
    seatdesk_server::db::query("UPDATE seats SET students_assigned = 2 WHERE id = $1")
        .bind(cy)
        .execute(&db.pool)
        .await
        .unwrap();

    let config = dir.path().join("config");
    seatdesk_client::config::write_login(&config.join("config.toml"), "e2e", &base, &token)
        .unwrap();
    let command = format!(
        "env SEATDESK_CONFIG_DIR={} SEATDESK_CACHE_DIR={} NO_COLOR=1 {} tui --profile e2e",
        config.display(),
        dir.path().join("cache").display(),
        env!("CARGO_BIN_EXE_seatdesk")
    );
    let tmux = Tmux::start("e2e", 100, 30, &command);
    wait_for(&tmux, "8 of 50 seats used");
    tmux.send(&["3"]);
    wait_for(&tmux, "Teachers (8)");
    tmux.send(&["/", "smith", "Enter"]);
    wait_for(&tmux, "Teachers (4)");
    tmux.send(&["A"]);
    wait_for(&tmux, "Marked: 4");
    tmux.send(&["D"]);
    let confirm = wait_for(&tmux, "Confirm revocation");
    assert!(confirm.contains("3 will be revoked"), "{confirm}");
    assert!(
        confirm.contains("Cy Smith") && confirm.contains("2 students"),
        "{confirm}"
    );
    tmux.send(&["y"]);
    let summary = wait_for(&tmux, "Revoked 3 of 4 seats");
    assert!(summary.contains("1 failed"), "{summary}");
    tmux.send(&["Enter", "1"]);
    wait_for(&tmux, "5 of 50 seats used");

    let page: Page<Claim> = http
        .get(format!(
            "{base}/v1/claims?license_id={license_id}&limit=100"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (family, seat) in &seats {
        let claim = page.items.iter().find(|c| c.id == *seat).unwrap();
        let expect_revoked = *family == "Smith" && *seat != cy;
        assert_eq!(
            claim.status == SeatStatus::Revoked,
            expect_revoked,
            "{} ({}) is {}",
            claim.user_name,
            seat,
            claim.status
        );
    }
    // The Inventory pane lists the order from the server; Enter opens its codes.
    tmux.send(&["5"]);
    let inventory = wait_for(&tmux, "License Inventory (1)");
    assert!(
        inventory.contains("ORD-1") && inventory.contains("PO-1"),
        "{inventory}"
    );
    tmux.send(&["Enter"]);
    wait_for(&tmux, "[Master codes]");
    tmux.send(&["q"]);
    server.handle.abort();
}
