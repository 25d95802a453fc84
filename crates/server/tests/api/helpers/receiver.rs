//! A webhook receiver on a loopback port that records every delivery, and a
//! wait for what it records.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};

#[derive(Default)]
pub struct Receiver {
    pub received: Mutex<Vec<(HeaderMap, String)>>,
    /// Answer 500 to this many requests first.
    fail_first: Mutex<usize>,
}

/// Starts a receiver at `<url>` that fails the first `fail_first` deliveries.
pub async fn start_receiver(fail_first: usize) -> (String, Arc<Receiver>) {
    let receiver = Arc::new(Receiver {
        fail_first: Mutex::new(fail_first),
        ..Receiver::default()
    });
    let shared = receiver.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let shared = shared.clone();
            async move {
                shared.received.lock().unwrap().push((headers, body));
                let mut fail = shared.fail_first.lock().unwrap();
                if *fail > 0 {
                    *fail -= 1;
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, receiver)
}

/// Polls `check` until it holds; fails with `what` after 20 s.
pub async fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
