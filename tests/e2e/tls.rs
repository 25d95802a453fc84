//! `serve --tls-cert --tls-key`, and serving behind a reverse proxy: a
//! client trusting the test CA is served over HTTPS; the certificate files
//! replaced (renamed into place, as renewers do) are picked up by the next
//! connection without a restart; SIGTERM still stops it cleanly; files
//! that do not fit refuse the start; a request in flight over TLS is
//! finished on SIGTERM; `--trust-forwarded-for` puts the
//! proxy-appended address in the access log.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, SerialNumber,
};
use serde_json::Value;
use tokio::net::TcpStream;

use crate::helpers::BIN;
use crate::helpers::process::{
    Running, cli_token, free_port, get_ok, sigterm_during_a_request, start_serve, start_serve_via,
    terminate,
};

/// A test certificate authority; the clients trust only it.
fn authority() -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "seatdesk test CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

/// A server certificate for 127.0.0.1 issued by `ca`.
struct Leaf {
    cert_pem: String,
    key_pem: String,
    der: Vec<u8>,
}

fn leaf(ca: &CertifiedIssuer<'static, KeyPair>, name: &str, serial: u8) -> Leaf {
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.serial_number = Some(SerialNumber::from(vec![serial]));
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, ca).unwrap();
    Leaf {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        der: cert.der().to_vec(),
    }
}

/// Writes `text` to a sibling file and renames it over `path`: readers see
/// the old file or the new one, never half of one.
fn replace(path: &Path, text: &str) {
    let fresh = path.with_extension("new");
    std::fs::write(&fresh, text).unwrap();
    std::fs::rename(&fresh, path).unwrap();
}

/// A client with a fresh connection pool that trusts only `ca` and reports
/// the server's certificate.
fn client(ca: &CertifiedIssuer<'static, KeyPair>) -> reqwest::Client {
    seatdesk_client::install_crypto();
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca.pem().as_bytes()).unwrap()])
        .tls_info(true)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// The certificate the server presented on a new connection.
async fn presented(ca: &CertifiedIssuer<'static, KeyPair>, url: &str) -> Vec<u8> {
    let response = client(ca)
        .get(format!("{url}/healthz"))
        .send()
        .await
        .expect("an HTTPS request the test CA vouches for");
    assert_eq!(response.status(), 200);
    response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|info| info.peer_certificate())
        .expect("the peer certificate")
        .to_vec()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// `seatdesk serve` over HTTPS with a leaf certificate of a fresh test CA,
/// its files in a temporary directory the test may replace.
struct TlsServer {
    _dir: tempfile::TempDir,
    token: String,
    ca: CertifiedIssuer<'static, KeyPair>,
    leaf: Leaf,
    cert: PathBuf,
    key: PathBuf,
    port: u16,
    child: Running,
    url: String,
}

async fn tls_server(org: &str, leaf_name: &str) -> TlsServer {
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}", dir.path().join("tls.db").display());
    let token = cli_token(&db_url, org);
    let ca = authority();
    let first = leaf(&ca, leaf_name, 1);
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, &first.cert_pem).unwrap();
    std::fs::write(&key, &first.key_pem).unwrap();
    let port = free_port();
    let args = [
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ];
    let (child, url) =
        start_serve_via(&client(&ca), "https", port, &db_url, &args, Stdio::null()).await;
    TlsServer {
        _dir: dir,
        token,
        ca,
        leaf: first,
        cert,
        key,
        port,
        child,
        url,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn https_serves_and_a_replaced_certificate_is_used_without_a_restart() {
    let TlsServer {
        _dir,
        token,
        ca,
        leaf: first,
        cert,
        key,
        port,
        mut child,
        url,
    } = tls_server("TLS Org", "seatdesk first").await;
    assert!(url.starts_with("https://"), "{url}");

    // An authenticated API call over TLS, and the certificate it came with.
    let me: Value = get_ok(&client(&ca), &format!("{url}/v1/me"), &token).await;
    assert_eq!(me["role"], "system_admin", "{me}");
    assert_eq!(presented(&ca, &url).await, first.der);
    // Plain HTTP on the TLS port gets no answer.
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert!(
        plain.is_err() || !plain.unwrap().status().is_success(),
        "plain HTTP must not be served on the TLS port"
    );

    // A connection opened before the renewal, kept alive across it.
    let kept = client(&ca);
    assert!(
        kept.get(format!("{url}/healthz"))
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );

    // The renewal: a new key and certificate (another serial and subject).
    let second = leaf(&ca, "seatdesk second", 2);
    assert_ne!(first.der, second.der);
    replace(&key, &second.key_pem);
    replace(&cert, &second.cert_pem);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let der = presented(&ca, &url).await;
        if der == second.der {
            break;
        }
        assert_eq!(der, first.der, "only the old or the new certificate");
        assert!(
            Instant::now() < deadline,
            "the new certificate was not picked up"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let der = presented(&ca, &url).await;
    assert!(contains(&der, b"seatdesk second"), "the new subject");
    assert!(!contains(&der, b"seatdesk first"), "not the old subject");
    // The same process still serves: the earlier connection too.
    assert!(
        kept.get(format!("{url}/healthz"))
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );

    // A half-written renewal (a key that does not fit) is not loaded: the
    // server keeps the certificate it has.
    let stray = leaf(&ca, "seatdesk stray", 3);
    replace(&key, &stray.key_pem);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(presented(&ca, &url).await, second.der);

    let status = terminate(&mut child).await;
    assert!(
        status.success(),
        "a clean shutdown over TLS exits 0: {status}"
    );
}

#[test]
fn files_that_do_not_make_a_certificate_refuse_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}", dir.path().join("bad.db").display());
    let ca = authority();
    let (one, two) = (leaf(&ca, "one", 1), leaf(&ca, "two", 2));
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, &one.cert_pem).unwrap();
    std::fs::write(&key, &two.key_pem).unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--listen", &format!("127.0.0.1:{}", free_port())])
        .args(["--db", &db_url, "--tls-cert", cert.to_str().unwrap()])
        .args(["--tls-key", key.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("key.pem"),
        "names the file at fault: {stderr}"
    );

    // --tls-cert alone is a usage error.
    let out = Command::new(BIN)
        .args([
            "serve",
            "--db",
            &db_url,
            "--tls-cert",
            cert.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The `client` of each access line of `log`, for requests to `route`.
fn clients_in_log(log: &Path, route: &str) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["route"] == route)
        .map(|line| line["client"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn forwarded_for_names_the_client_only_when_trusted() {
    seatdesk_client::install_crypto();
    let dir = tempfile::tempdir().unwrap();
    for (trusted, expected) in [(false, "127.0.0.1"), (true, "198.51.100.7")] {
        let db_url = format!(
            "sqlite://{}",
            dir.path().join(format!("xff{trusted}.db")).display()
        );
        let log = dir.path().join(format!("xff{trusted}.jsonl"));
        let stderr = Stdio::from(std::fs::File::create(&log).unwrap());
        let mut args = vec!["--log-format", "json"];
        if trusted {
            args.push("--trust-forwarded-for");
        }
        let (mut child, url) = start_serve(free_port(), &db_url, &args, stderr).await;
        // What a client wrote, then what the proxy appended.
        let response = reqwest::Client::new()
            .get(format!("{url}/readyz"))
            .header("X-Forwarded-For", "10.9.9.9, 198.51.100.7")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(terminate(&mut child).await.success());
        assert_eq!(
            clients_in_log(&log, "/readyz"),
            [expected],
            "trusted: {trusted}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_over_tls_finishes_the_request_in_flight_and_takes_no_new_ones() {
    seatdesk_client::install_crypto();
    let TlsServer {
        _dir,
        token,
        ca,
        port,
        child,
        ..
    } = tls_server("Drain Org", "seatdesk drain").await;

    // HTTP/1.1 by hand over TLS, so the body can stop half way.
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let name = rustls::pki_types::ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into());
    let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .expect("a TLS handshake with the test CA's certificate");
    sigterm_during_a_request(stream, child, port, &token, 535353).await;
}
