//! The first sync streams `/v1/export`: the cache ends up with what the
//! paged reads give and continues with the feed from the export's head;
//! a stream that breaks off, is cut short or does not decode leaves the
//! cache exactly as it was and says what went wrong.

use seatdesk_client::sync::{full_sync, paged_full_sync, sync};
use seatdesk_client::{ApiClient, Cache, ClientError};
use seatdesk_core::SeatStatus;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

use crate::helpers::{Harness, start};

#[tokio::test]
async fn the_export_loads_what_the_pages_give_and_the_feed_follows() {
    let h = start().await;
    let (license_id, seats) = h.license_with_teachers(12).await;
    let dir = tempfile::tempdir().unwrap();

    let streamed = Cache::open(&dir.path().join("streamed.db")).await.unwrap();
    let report = full_sync(&h.admin, &streamed).await.unwrap();
    assert!(report.full);
    assert_eq!(report.changed, 1 + 12);
    let paged = Cache::open(&dir.path().join("paged.db")).await.unwrap();
    paged_full_sync(&h.admin, &paged).await.unwrap();
    let (a, b) = (streamed.load().await.unwrap(), paged.load().await.unwrap());
    assert_eq!(a.claims, b.claims);
    assert_eq!(a.licenses, b.licenses);
    assert_eq!(a.last_seq, b.last_seq, "both at the feed head");
    assert_eq!(streamed.head().await.unwrap().claims, 12);

    // The next sync is a delta from the export's position.
    h.admin
        .revoke(vec![seats[4]], &seatdesk_client::new_idempotency_key())
        .await
        .unwrap();
    let delta = sync(&h.admin, &streamed).await.unwrap();
    assert!(!delta.full);
    assert_eq!(delta.changed, 1);
    assert!(delta.touched.licenses.contains(&license_id));
    let revoked = streamed.claim(seats[4]).await.unwrap().unwrap();
    assert_eq!(revoked.status, SeatStatus::Revoked);
}

/// How a fake origin breaks the real export body it serves.
#[derive(Debug, Clone, Copy)]
enum Break {
    /// A clean end of the body half way through (no end line).
    CutShort,
    /// The connection dies half way through a declared length.
    Dies,
    /// One line replaced by something that is not an export line.
    Garbled,
}

#[tokio::test]
async fn a_broken_export_leaves_the_cache_as_it_was() {
    let h = start().await;
    let (_, seats) = h.license_with_teachers(40).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(&dir.path().join("p.db")).await.unwrap();
    sync(&h.admin, &cache).await.unwrap();
    let before = cache.load().await.unwrap();
    assert_eq!(before.claims.len(), 40);
    // The server moves on, so a complete reload would change the cache.
    h.admin
        .revoke(
            seats[..10].to_vec(),
            &seatdesk_client::new_idempotency_key(),
        )
        .await
        .unwrap();
    let body = plain_export(&h).await;

    for how in [Break::CutShort, Break::Dies, Break::Garbled] {
        let origin = broken_origin(body.clone(), how).await;
        let api = ApiClient::new(&origin, &h.secret).unwrap();
        let error = full_sync(&api, &cache).await.unwrap_err();
        let text = error.to_string();
        match how {
            Break::CutShort => assert!(
                matches!(error, ClientError::Decode { .. })
                    && text.contains("without its end line"),
                "{how:?}: {text}"
            ),
            Break::Dies => assert!(
                matches!(
                    error,
                    ClientError::Unreachable { .. } | ClientError::Decode { .. }
                ) && text.contains("export"),
                "{how:?}: {text}"
            ),
            Break::Garbled => assert!(
                matches!(error, ClientError::Decode { .. }) && text.contains("not readable"),
                "{how:?}: {text}"
            ),
        }
        let after = cache.load().await.unwrap();
        assert_eq!(after.claims, before.claims, "{how:?}: claims untouched");
        assert_eq!(after.licenses, before.licenses, "{how:?}");
        assert_eq!(
            after.last_seq, before.last_seq,
            "{how:?}: position untouched"
        );
        assert_eq!(cache.head().await.unwrap().claims, 40);
    }
    // The real server then brings everything.
    let report = full_sync(&h.admin, &cache).await.unwrap();
    assert!(report.full);
    let revoked = cache.load().await.unwrap();
    assert_eq!(
        revoked
            .claims
            .iter()
            .filter(|c| c.status == SeatStatus::Revoked)
            .count(),
        10
    );
}

/// The real export, uncompressed.
async fn plain_export(h: &Harness) -> Vec<u8> {
    let raw = reqwest::Client::builder()
        .no_gzip()
        .no_zstd()
        .build()
        .unwrap();
    let response = raw
        .get(format!("{}/v1/export", h.server.url()))
        .bearer_auth(&h.secret)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    response.bytes().await.unwrap().to_vec()
}

/// A loopback HTTP origin answering every request with `body`, broken as
/// `how` says.
async fn broken_origin(body: Vec<u8>, how: Break) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let half = body.len() / 2;
    let (declared, sent) = match how {
        Break::CutShort => (half, body[..half].to_vec()),
        Break::Dies => (body.len(), body[..half].to_vec()),
        Break::Garbled => {
            let text = String::from_utf8(body).unwrap();
            let mut lines: Vec<&str> = text.lines().collect();
            let middle = lines.len() / 2;
            lines[middle] = "{\"claim\": {\"id\": \"not a number\"}}";
            let garbled = lines.join("\n") + "\n";
            (garbled.len(), garbled.into_bytes())
        }
    };
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let sent = sent.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/x-ndjson\r\n\
                     content-length: {declared}\r\nconnection: close\r\n\r\n"
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&sent).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    url
}
