//! The dashboard's connection to a seatdesk server: a typed async API client,
//! the profiles config, and the per-profile SQLite cache kept current from
//! the server's change feed.

pub mod api;
pub mod cache;
pub mod claim_row;
pub mod config;
pub mod error;
pub mod export;
pub mod pages;
pub mod sync;

pub use api::{ApiClient, new_idempotency_key};
pub use cache::{Cache, Head, Patch, Snapshot};
pub use claim_row::{ClaimRow, Interner};
pub use config::{Overrides, Profile, ResolvedProfile};
pub use error::{ClientError, ConfigError};
pub use pages::collect_pages;

/// rustls needs one process-wide crypto provider; the workspace builds ring.
/// Safe to call any number of times.
pub fn install_crypto() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
