//! TLS for `seatdesk serve --tls-cert --tls-key`: rustls with the ring
//! provider (the one the rest of the tree uses), and the certificate
//! reloaded without a restart when its files change.
//!
//! Reloading polls the two files' metadata every [`POLL`] (modification
//! time, size and, on Unix, inode, so a file renamed into place counts)
//! rather than waiting for SIGHUP: certificate renewers (certbot,
//! cert-manager, a mounted Kubernetes secret) replace files and most
//! signal nobody. A
//! change is loaded once both files parse and the key matches the
//! certificate; until then (say, between the writes of the certificate and
//! of the key) the previous certificate stays in use and the failure is
//! logged once per change. Connections already open keep their session;
//! new handshakes get the new certificate.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum_server::tls_rustls::RustlsConfig;
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// How often the certificate files are checked for a change.
pub const POLL: Duration = Duration::from_secs(1);

/// The PEM files of the server's certificate chain and private key.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The certificate, then any intermediates, PEM.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1), PEM.
    pub key: PathBuf,
}

impl TlsFiles {
    /// Reads both files into a rustls configuration (HTTP/2 and HTTP/1.1
    /// offered by ALPN). Errors name the file at fault.
    pub fn load(&self) -> io::Result<ServerConfig> {
        let invalid = |path: &Path, what: String| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: {what}", path.display()),
            )
        };
        let certs = CertificateDer::pem_file_iter(&self.cert)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| invalid(&self.cert, format!("not a PEM certificate chain: {e}")))?;
        if certs.is_empty() {
            return Err(invalid(&self.cert, "holds no certificate".into()));
        }
        let key = PrivateKeyDer::from_pem_file(&self.key)
            .map_err(|e| invalid(&self.key, format!("not a PEM private key: {e}")))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| invalid(&self.key, format!("does not fit the certificate: {e}")))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }

    /// What identifies the files' current contents without reading them.
    fn stamp(&self) -> Option<[FileStamp; 2]> {
        Some([FileStamp::of(&self.cert)?, FileStamp::of(&self.key)?])
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    modified: SystemTime,
    len: u64,
    inode: u64,
}

impl FileStamp {
    fn of(path: &Path) -> Option<FileStamp> {
        let meta = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let inode = 0;
        Some(FileStamp {
            modified: meta.modified().ok()?,
            len: meta.len(),
            inode,
        })
    }
}

/// The live configuration of a TLS listener and the files it came from.
pub struct Reloading {
    files: TlsFiles,
    config: RustlsConfig,
    loaded: Option<[FileStamp; 2]>,
    /// The last change that failed to load, so it is logged once.
    failed: Option<[FileStamp; 2]>,
}

impl Reloading {
    /// Loads the files; fails when they do not make a configuration.
    pub fn start(files: TlsFiles) -> io::Result<Reloading> {
        let loaded = files.stamp();
        let config = RustlsConfig::from_config(Arc::new(files.load()?));
        Ok(Reloading {
            files,
            config,
            loaded,
            failed: None,
        })
    }

    /// The configuration handed to the acceptor; [`Reloading::run`] swaps
    /// what it holds.
    pub fn config(&self) -> RustlsConfig {
        self.config.clone()
    }

    /// Checks the files every [`POLL`] until the task is aborted.
    pub async fn run(mut self) {
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            self.check();
        }
    }

    /// Reloads when the files changed since the last load; true if it did.
    pub fn check(&mut self) -> bool {
        let stamp = self.files.stamp();
        if stamp.is_none() || stamp == self.loaded {
            return false;
        }
        match self.files.load() {
            Ok(config) => {
                self.config.reload_from_config(Arc::new(config));
                self.loaded = stamp;
                self.failed = None;
                tracing::info!(cert = %self.files.cert.display(), "TLS certificate reloaded");
                true
            }
            Err(error) => {
                if self.failed != stamp {
                    tracing::warn!(
                        %error,
                        "the TLS files changed but do not load; still serving the previous certificate"
                    );
                    self.failed = stamp;
                }
                false
            }
        }
    }
}
