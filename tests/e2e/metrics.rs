//! `GET /metrics` of a real `seatdesk serve`: off without a metrics token,
//! 401 without the token, and a scrape whose request counters, latency
//! histogram and 429 count move with the requests made in between.

use std::process::Stdio;

use serde_json::json;

use crate::helpers::process::{cli_token, free_port, start_serve, terminate};

const SECRET: &str = "scrape-secret-0123";

/// The value of the sample `name` (with its labels, as written), 0 if absent.
fn sample(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .map_or(0.0, |value| value.trim().parse().unwrap())
}

async fn scrape(http: &reqwest::Client, url: &str) -> String {
    let response = http
        .get(format!("{url}/metrics"))
        .bearer_auth(SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let kind = response.headers()["content-type"].to_str().unwrap();
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    let text = response.text().await.unwrap();
    assert!(text.trim_end().ends_with("# EOF"), "{text}");
    text
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scrape_counts_requests_by_route_and_needs_the_metrics_token() {
    seatdesk_client::install_crypto();
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}", dir.path().join("metrics.db").display());
    let token = cli_token(&db_url, "Metrics Org");
    // A configured redemption limit, honoured by `serve` (default 10).
    let args = [
        "--metrics-token",
        SECRET,
        "--redeem-failures-per-address",
        "4",
    ];
    let (mut child, url) = start_serve(free_port(), &db_url, &args, Stdio::null()).await;
    let http = reqwest::Client::new();

    // No token, a wrong one, and an API token are all refused.
    for bearer in [None, Some("wrong"), Some(token.as_str())] {
        let mut request = http.get(format!("{url}/metrics"));
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "bearer {bearer:?}");
    }

    let me = r#"seatdesk_http_requests_total{method="GET",route="/v1/me",status="200"}"#;
    let me_count = r#"seatdesk_http_request_duration_seconds_count{method="GET",route="/v1/me"}"#;
    let me_fast =
        r#"seatdesk_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/v1/me"}"#;
    let limited = "seatdesk_rate_limited_requests_total";
    let refused = r#"seatdesk_http_requests_total{method="GET",route="/metrics",status="401"}"#;
    let before = scrape(&http, &url).await;
    assert_eq!(sample(&before, refused), 3.0, "{before}");
    for name in [
        r#"seatdesk_db_pool_connections{state="in_use"}"#,
        r#"seatdesk_db_pool_connections{state="idle"}"#,
        "seatdesk_db_pool_max_connections",
        "seatdesk_feed_head",
        r#"seatdesk_webhook_deliveries{state="pending"}"#,
        r#"seatdesk_webhook_deliveries{state="failed"}"#,
        "seatdesk_alerts_raised",
        limited,
    ] {
        assert!(
            before.lines().any(|l| l.starts_with(&format!("{name} "))),
            "{name} in:\n{before}"
        );
    }
    assert!(sample(&before, "seatdesk_db_pool_max_connections") >= 1.0);

    for _ in 0..3 {
        let response = http
            .get(format!("{url}/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    // A path with an id is counted under its template, not its raw path.
    let missing = http
        .get(format!("{url}/v1/licenses/987654"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    // A well-formed code that does not exist, guessed until redemption is
    // rate limited (4 failures allowed; mistyped codes do not count).
    let guess = seatdesk_core::codes::ALPHABET
        .chars()
        .map(|check| format!("23456789ABCDEFG{check}"))
        .find(|code| seatdesk_core::codes::validate(code).is_ok())
        .unwrap();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let response = http
            .post(format!("{url}/v1/redeem"))
            .bearer_auth(&token)
            .json(&json!({"code": guess, "email": "guess@example.org"}))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [404, 404, 404, 404, 429], "{statuses:?}");

    let after = scrape(&http, &url).await;
    assert_eq!(sample(&after, me) - sample(&before, me), 3.0, "{after}");
    assert_eq!(sample(&after, me_count) - sample(&before, me_count), 3.0);
    assert_eq!(sample(&after, me_fast) - sample(&before, me_fast), 3.0);
    assert!(sample(&after, &me_count.replace("_count", "_sum")) > 0.0);
    assert_eq!(sample(&after, limited) - sample(&before, limited), 1.0);
    assert_eq!(
        sample(
            &after,
            r#"seatdesk_http_requests_total{method="GET",route="/v1/licenses/{id}",status="404"}"#
        ),
        1.0,
        "{after}"
    );
    assert!(!after.contains("987654"), "no raw paths in labels");
    assert!(!after.contains(SECRET));

    assert!(terminate(&mut child).await.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_metrics_token_the_endpoint_is_off() {
    seatdesk_client::install_crypto();
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}", dir.path().join("off.db").display());
    let (mut child, url) = start_serve(free_port(), &db_url, &[], Stdio::null()).await;
    let response = reqwest::Client::new()
        .get(format!("{url}/metrics"))
        .bearer_auth(SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(terminate(&mut child).await.success());
}
