//! SIGTERM, as systemd or a container runtime sends it: the server stops
//! taking connections, finishes the request in flight, closes its pool and
//! exits 0.

use std::process::Stdio;

use tokio::net::TcpStream;

use crate::helpers::process::{cli_token, free_port, sigterm_during_a_request, start_serve};

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_finishes_the_request_in_flight_and_takes_no_new_ones() {
    seatdesk_client::install_crypto();
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}", dir.path().join("grace.db").display());
    let token = cli_token(&db_url, "Grace Org");
    let port = free_port();
    let (child, _url) = start_serve(port, &db_url, &[], Stdio::null()).await;

    let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    sigterm_during_a_request(stream, child, port, &token, 424242).await;
}
