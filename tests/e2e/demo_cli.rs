//! The demo commands through the real binary: `seatdesk demo --print-env`
//! serves a loaded database its token can read, and `seatdesk serve
//! --demo-data` refuses a database that already holds data.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{BIN, Running};

/// A plain HTTP/1.1 GET; returns the status line and the body.
fn get(url: &str, token: &str, path: &str) -> (String, String) {
    let host = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read");
    let (head, body) = reply.split_once("\r\n\r\n").unwrap_or((&reply, ""));
    (
        head.lines().next().unwrap_or_default().to_string(),
        body.to_string(),
    )
}

#[test]
fn demo_print_env_serves_a_loaded_database() {
    let data = tempfile::tempdir().unwrap();
    let child = Command::new(BIN)
        .args(["demo", "--claims", "600", "--print-env"])
        .env("SEATDESK_DATA_DIR", data.path())
        // The demo database goes under TMPDIR: keep it in this test's dir.
        .env("TMPDIR", data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start seatdesk demo");
    let mut child = Running(child);
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("read the env line");
    let mut url = "";
    let mut token = "";
    for pair in line.split_whitespace() {
        match pair.split_once('=') {
            Some(("SEATDESK_URL", value)) => url = value,
            Some(("SEATDESK_TOKEN", value)) => token = value,
            _ => panic!("unexpected output {line:?}"),
        }
    }
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    let (status, body) = get(url, token, "/v1/licenses?limit=5");
    assert!(status.contains("200"), "{status} {body}");
    assert!(body.contains("\"order_number\""), "{body}");
    let (status, _) = get(url, "sd_wrong", "/v1/licenses");
    assert!(status.contains("401"), "{status}");
}

#[test]
fn serve_demo_data_refuses_a_database_with_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("full.db").display());
    let serve = |claims: &str| {
        Command::new(BIN)
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--db",
                &db,
                "--demo-data",
                claims,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start seatdesk serve")
    };
    // The first run loads and starts serving; stop it once it listens.
    let mut first = Running(serve("300"));
    let mut log = BufReader::new(first.0.stderr.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut line = String::new();
    while !line.contains("listening") {
        line.clear();
        assert!(
            log.read_line(&mut line).unwrap() > 0,
            "server exited before listening"
        );
        assert!(Instant::now() < deadline, "no 'listening' line");
    }
    drop(first);
    let second = serve("300").wait_with_output().expect("second run");
    assert!(!second.status.success(), "a second load must be refused");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("not empty") && stderr.contains("fresh database"),
        "{stderr}"
    );
}
