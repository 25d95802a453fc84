//! `GET /v1/export`: the token's subtree streamed as NDJSON, compressed as
//! asked, headed by the feed position its snapshot reflects, so the change
//! feed continues from there without a gap.

use reqwest::StatusCode;
use seatdesk_core::Role;
use seatdesk_core::api::export::{EXPORT_FORMAT, ExportLine};
use serde_json::{Value, json};

use crate::helpers::{TestServer, audit_head, backends};

/// The export's lines, read through reqwest's own decompression.
fn lines(text: &str) -> Vec<ExportLine> {
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

#[tokio::test]
async fn the_export_streams_the_subtree_and_names_its_feed_position() {
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let a = server.license_fixture(50, "teacher").await;
        let b = server.license_fixture(50, "teacher").await;
        let a_seats = server.assign_many(&a, 7, "teacher").await;
        server.assign_many(&b, 3, "teacher").await;
        let district_a = server.client_for(Role::Reporter, a.org_id).await;
        let head = audit_head(&server).await;

        let reply = district_a.get("/v1/export").await;
        assert_eq!(reply.status, StatusCode::OK, "{backend:?}");
        assert_eq!(reply.headers["content-type"], "application/x-ndjson");
        assert_eq!(
            reply.headers["x-seatdesk-feed-head"].to_str().unwrap(),
            head.to_string()
        );
        let lines = lines(reply.body.as_str().unwrap());
        let ExportLine::Head(first) = &lines[0] else {
            panic!("{backend:?}: first line {:?}", lines[0]);
        };
        assert_eq!((first.format, first.feed_head), (EXPORT_FORMAT, head));
        let ExportLine::End(end) = lines.last().unwrap() else {
            panic!("{backend:?}: no end line");
        };
        assert_eq!((end.licenses, end.claims), (1, 7), "{backend:?}");
        let licenses: Vec<i64> = lines
            .iter()
            .filter_map(|l| match l {
                ExportLine::License(license) => Some(license.id),
                _ => None,
            })
            .collect();
        assert_eq!(licenses, vec![a.license_id]);
        let claims: Vec<i64> = lines
            .iter()
            .filter_map(|l| match l {
                ExportLine::Claim(claim) => Some(claim.id),
                _ => None,
            })
            .collect();
        assert_eq!(
            claims, a_seats,
            "{backend:?}: district A's claims in id order"
        );

        // The feed continues from the export's head: the next change, and
        // nothing the export already held.
        let revoked: Value = server
            .admin
            .post_ok("/v1/seats/revoke", &json!({"seat_ids": [a_seats[0]]}))
            .await;
        assert_eq!(revoked["done"], 1);
        let changes: Value = district_a
            .get_ok(&format!("/v1/changes?after={head}"))
            .await;
        let events = changes["events"].as_array().unwrap();
        assert_eq!(events.len(), 1, "{backend:?}: {changes}");
        assert_eq!(events[0]["seq"], head + 1);
        assert_eq!(events[0]["target_id"], a_seats[0]);
    }
}

#[tokio::test]
async fn the_export_is_compressed_as_the_client_asks() {
    let server = TestServer::start(backends()[0]).await;
    let fx = server.license_fixture(50, "teacher").await;
    server.assign_many(&fx, 20, "teacher").await;
    // No automatic decompression: the bytes as sent.
    let raw = reqwest::Client::builder()
        .no_gzip()
        .no_zstd()
        .build()
        .unwrap();
    let mut sizes = Vec::new();
    for (asked, answered) in [
        ("zstd", Some("zstd")),
        ("gzip", Some("gzip")),
        ("br;q=1, zstd;q=0.5", Some("zstd")),
        ("identity", None),
    ] {
        let response = raw
            .get(format!("{}/v1/export", server.url))
            .bearer_auth(&server.admin.token)
            .header("accept-encoding", asked)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let encoding = response
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_string());
        assert_eq!(encoding.as_deref(), answered, "asked {asked}");
        sizes.push(response.bytes().await.unwrap().len());
    }
    assert!(
        sizes[0] * 3 < sizes[3] && sizes[1] * 3 < sizes[3],
        "compressed {sizes:?}"
    );
}
