//! `seatdesk` as a child process: a server that tests SIGKILL, the
//! `token create` command that seeds its database, and plain JSON posts to it.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::BIN;

/// A loopback port free a moment ago (the OS picks it; nothing holds it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Kills the child when the test ends, however it ends.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `seatdesk serve` on `port` over `db_url`, up once `/healthz` answers.
pub struct ServerProcess {
    child: Running,
    pub url: String,
}

impl ServerProcess {
    pub async fn start(port: u16, db_url: &str) -> ServerProcess {
        let (child, url) = start_serve(port, db_url, &[], Stdio::null()).await;
        ServerProcess { child, url }
    }

    /// SIGKILL: no shutdown code runs, and every connection it held is gone at once.
    pub fn kill(mut self) {
        self.child.0.kill().unwrap();
        self.child.0.wait().unwrap();
    }
}

/// `seatdesk serve` on `port` over `db_url` with `args` added, its stderr
/// to `stderr`; returns once `/healthz` answers.
pub async fn start_serve(
    port: u16,
    db_url: &str,
    args: &[&str],
    stderr: Stdio,
) -> (Running, String) {
    start_serve_via(&reqwest::Client::new(), "http", port, db_url, args, stderr).await
}

/// [`start_serve`] answering over `scheme` ("https" with `--tls-cert`),
/// polled with `client` (one that trusts the test certificate).
pub async fn start_serve_via(
    client: &reqwest::Client,
    scheme: &str,
    port: u16,
    db_url: &str,
    args: &[&str],
    stderr: Stdio,
) -> (Running, String) {
    let child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--db",
            db_url,
        ])
        .args(args)
        .env(
            "RUST_LOG",
            if args.contains(&"--log-format") {
                "info"
            } else {
                "warn"
            },
        )
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("start seatdesk serve");
    let child = Running(child);
    let url = format!("{scheme}://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.get(format!("{url}/healthz")).send().await.is_err() {
        assert!(
            Instant::now() < deadline,
            "server did not come up on port {port}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (child, url)
}

/// SIGTERM, as systemd sends it; the exit status once the process ends.
pub async fn terminate(child: &mut Running) -> std::process::ExitStatus {
    let pid = child.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "the server did not exit");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A system_admin token of a new root org `org`, made by `seatdesk token create`.
pub fn cli_token(db_url: &str, org: &str) -> String {
    let out = Command::new(BIN)
        .args([
            "token",
            "create",
            "--db",
            db_url,
            "--org",
            org,
            "--role",
            "system_admin",
        ])
        .output()
        .expect("token create");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// POSTs `body` to `url` and returns the JSON answer, which must be a success.
pub async fn post_ok(http: &reqwest::Client, url: &str, token: &str, body: Value) -> Value {
    let response = http
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert!(status.is_success(), "POST {url}: {status} {body}");
    body
}
