//! Errors of the client crate, each worded for the person at the terminal.

use std::path::PathBuf;

use seatdesk_core::Problem;

/// A request that did not produce the expected answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach the server at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("the server at {url} did not answer within {seconds} s")]
    Timeout { url: String, seconds: u64 },
    /// A 401. The problem's line already names the status; the hint says
    /// how to get a token the server accepts.
    #[error("{0}; log in again with `seatdesk login`")]
    Unauthorized(Problem),
    #[error("{0}")]
    Problem(Problem),
    #[error("unexpected answer from {url}: {detail}")]
    Decode { url: String, detail: String },
    #[error("'{0}' is not a usable server URL (expected http://HOST:PORT or https://HOST)")]
    BadUrl(String),
    #[error("local cache: {0}")]
    Cache(#[from] sqlx::Error),
}

impl ClientError {
    /// True when the server could not be reached at all: the dashboard then
    /// keeps painting from the cache and shows how old the data is.
    pub fn is_offline(&self) -> bool {
        matches!(
            self,
            ClientError::Unreachable { .. } | ClientError::Timeout { .. }
        )
    }

    /// The problem details, when the server answered with one.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            ClientError::Unauthorized(p) | ClientError::Problem(p) => Some(p),
            _ => None,
        }
    }
}

/// A profile that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "no profile named '{name}' in {path}{}; run `seatdesk login --url URL --token-file FILE --profile {name}`",
        if available.is_empty() { String::new() } else { format!(" (profiles: {})", available.join(", ")) }
    )]
    MissingProfile {
        name: String,
        path: PathBuf,
        available: Vec<String>,
    },
    #[error("profile '{name}' has no server URL; set url in {path} or SEATDESK_URL")]
    MissingUrl { name: String, path: PathBuf },
    #[error("profile '{name}' has no token; set token_file in {path} or SEATDESK_TOKEN")]
    MissingToken { name: String, path: PathBuf },
    #[error(
        "profile '{name}': '{url}' is not a usable server URL (expected http://HOST:PORT or https://HOST)"
    )]
    BadUrl { name: String, url: String },
    #[error("cannot read the token file {path}: {detail}")]
    TokenFile { path: PathBuf, detail: String },
    #[error("{path} is not valid seatdesk config: {detail}")]
    Parse { path: PathBuf, detail: String },
    #[error("cannot write {path}: {detail}")]
    Write { path: PathBuf, detail: String },
}
