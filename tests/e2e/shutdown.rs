//! SIGTERM, as systemd or a container runtime sends it: the server stops
//! taking connections, finishes the request in flight, closes its pool and
//! exits 0.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::process::{cli_token, free_port, start_serve, terminate};

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_finishes_the_request_in_flight_and_takes_no_new_ones() {
    seatdesk_client::install_crypto();
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}", dir.path().join("grace.db").display());
    let token = cli_token(&db_url, "Grace Org");
    let port = free_port();
    let (mut child, _url) = start_serve(port, &db_url, &[], Stdio::null()).await;

    // A request whose body is still arriving when the signal comes.
    let body = br#"{"seat_ids":[424242]}"#;
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let head = format!(
        "POST /v1/seats/revoke HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..8]).await.unwrap();
    stream.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    // The signal, and the exit it leads to, run while the request waits.
    let stopped = tokio::spawn(async move { terminate(&mut child).await });
    // No new connections once the signal is taken.
    let refused = async {
        loop {
            if TcpStream::connect(("127.0.0.1", port)).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), refused)
        .await
        .expect("the listener closes on SIGTERM");

    stream.write_all(&body[8..]).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut answer))
        .await
        .expect("the request in flight is answered")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("424242"), "one result per id: {answer}");

    let status = stopped.await.unwrap();
    assert!(status.success(), "a clean shutdown exits 0: {status}");
}
