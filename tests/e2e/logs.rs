//! What an operator reads: every answer carries its request id (header and
//! problem body, and the audit events it wrote), and `serve` logs one access
//! line per request, as JSON lines with `--log-format json`, or as text
//! without colour codes when stderr is not a terminal.

use std::process::Stdio;

use serde_json::{Value, json};

use crate::helpers::process::{Running, cli_token, free_port, get_ok, start_serve, terminate};

/// `seatdesk serve` with `format`, its stderr in `log`; answers once up.
async fn serve(db_url: &str, format: &str, log: &std::path::Path) -> (Running, String) {
    let stderr = Stdio::from(std::fs::File::create(log).unwrap());
    start_serve(free_port(), db_url, &["--log-format", format], stderr).await
}

/// Stops the server (the log is then complete).
async fn stop(mut child: Running) {
    assert!(terminate(&mut child).await.success());
}

fn request_id(response: &reqwest::Response) -> String {
    response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn request_ids_reach_the_answer_the_audit_and_one_json_log_line() {
    seatdesk_client::install_crypto();
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}", dir.path().join("logs.db").display());
    let token = cli_token(&db_url, "Log Org");
    let log = dir.path().join("serve.jsonl");
    let (child, url) = serve(&db_url, "json", &log).await;
    let http = reqwest::Client::new();

    let me = http
        .get(format!("{url}/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let me_id = request_id(&me);
    assert!(me_id.starts_with("req-"), "{me_id}");
    let me: Value = me.json().await.unwrap();

    let missing = http
        .get(format!("{url}/v1/licenses/999999"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let missing_id = request_id(&missing);
    let problem: Value = missing.json().await.unwrap();
    assert_eq!(problem["request_id"], json!(missing_id), "{problem}");

    // A plain incoming id is kept, and the audit event of the write has it.
    let created = http
        .post(format!("{url}/v1/orgs"))
        .bearer_auth(&token)
        .header("X-Request-Id", "ticket-4711")
        .json(&json!({"parent_id": me["org_id"], "kind": "district", "name": "Logged District"}))
        .send()
        .await
        .unwrap();
    assert!(created.status().is_success());
    assert_eq!(request_id(&created), "ticket-4711");
    let audit: Value = get_ok(&http, &format!("{url}/v1/audit?limit=1"), &token).await;
    assert_eq!(
        audit["items"][0]["request_id"],
        json!("ticket-4711"),
        "{audit}"
    );
    // One that is not plain is replaced.
    let odd = http
        .get(format!("{url}/healthz"))
        .header("X-Request-Id", "a b<script>")
        .send()
        .await
        .unwrap();
    assert!(request_id(&odd).starts_with("req-"));

    stop(child).await;
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let access = |id: &str| {
        lines
            .iter()
            .find(|l| l["request_id"] == json!(id))
            .unwrap_or_else(|| panic!("no line for {id}:\n{text}"))
            .clone()
    };
    let line = access(&me_id);
    assert_eq!(line["route"], json!("/v1/me"));
    assert_eq!(line["method"], json!("GET"));
    assert_eq!(line["status"], json!(200));
    assert_eq!(line["level"], json!("INFO"));
    assert!(line["latency_ms"].as_f64().is_some(), "{line}");
    assert!(line["timestamp"].is_string(), "{line}");
    assert!(
        line["actor"].as_str().unwrap().starts_with("token:"),
        "{line}"
    );
    let line = access(&missing_id);
    assert_eq!(line["route"], json!("/v1/licenses/{id}"));
    assert_eq!(line["status"], json!(404));
    assert_eq!(access("ticket-4711")["method"], json!("POST"));

    // Text logs carry no colour codes when stderr is a file.
    let log = dir.path().join("serve.txt");
    let (child, url) = serve(&db_url, "text", &log).await;
    reqwest::get(format!("{url}/healthz")).await.unwrap();
    stop(child).await;
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("request_id="), "{text}");
    assert!(!text.contains('\u{1b}'), "{text}");
}
