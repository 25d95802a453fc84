//! `seatdesk token create|list|revoke|rotate`, over the API and straight
//! against the database (`--db`): listing shows expiry and revocation,
//! rotation and revocation take effect at once.

use serde_json::Value;

use crate::helpers::Server;

fn run(cmd: &mut assert_cmd::Command) -> String {
    let out = cmd
        .env_remove("SEATDESK_DB")
        .output()
        .expect("seatdesk runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn listed(json: &str, id: i64) -> Value {
    let all: Value = serde_json::from_str(json).expect("a JSON list");
    all.as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("token {id} in {json}"))
}

#[test]
fn tokens_are_listed_rotated_and_revoked_over_the_api_and_in_the_database() {
    let server = Server::start();
    let db = server.db_url();
    let root = server.root_org.to_string();
    let secret = run(server.cmd().args([
        "token",
        "create",
        "--db",
        &db,
        "--org",
        &root,
        "--role",
        "reporter",
        "--name",
        "ci-e2e",
        "--expires-in",
        "30",
    ]));
    assert!(secret.trim().starts_with("sd_"));

    // Over the API (SEATDESK_URL / SEATDESK_TOKEN).
    let json = run(server.cmd().args(["token", "list", "-o", "json"]));
    let all: Value = serde_json::from_str(&json).unwrap();
    let made = all
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "ci-e2e")
        .cloned()
        .expect("the new token is listed");
    let id = made["id"].as_i64().unwrap();
    assert!(!made["expires_at"].is_null(), "{made}");
    assert!(!json.contains(secret.trim()), "never a secret");
    let table = run(server.cmd().args(["token", "list"]));
    assert!(table.starts_with("ID\tNAME\tROLE\tORG\tCREATED\tLAST USED\tEXPIRES\tREVOKED"));

    let rotated = run(server.cmd().args(["token", "rotate", &id.to_string()]));
    let new_secret = rotated.trim();
    assert!(new_secret.starts_with("sd_") && new_secret != secret.trim());
    let json = run(server
        .cmd()
        .args(["token", "list", "--db", &db, "-o", "json"]));
    assert!(
        !listed(&json, id)["revoked_at"].is_null(),
        "rotation revoked the old token"
    );
    let all: Value = serde_json::from_str(&json).unwrap();
    let new_id = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["name"] == "ci-e2e" && t["revoked_at"].is_null())
        .map(|t| t["id"].as_i64().unwrap())
        .next()
        .expect("the replacement");

    // Straight in the database.
    run(server
        .cmd()
        .args(["token", "revoke", &new_id.to_string(), "--db", &db]));
    let json = run(server.cmd().args(["token", "list", "-o", "json"]));
    assert!(!listed(&json, new_id)["revoked_at"].is_null());
    let again = server
        .cmd()
        .env_remove("SEATDESK_DB")
        .args(["token", "revoke", &new_id.to_string(), "--db", &db])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already revoked"));
    let stale = server
        .cmd()
        .env_remove("SEATDESK_DB")
        .args(["token", "rotate", &id.to_string(), "--db", &db])
        .output()
        .unwrap();
    assert!(!stale.status.success(), "a revoked token is not rotated");
}
