//! Typed async client for the `/v1` API: bearer token, problem+json errors
//! parsed into [`Problem`], and an Idempotency-Key per mutation that is
//! reused when the mutation is retried, so a retry never acts twice.

use std::time::Duration;

use rand::Rng;
use reqwest::{Method, StatusCode, Url};
use seatdesk_core::Problem;
use seatdesk_core::api::audit::{AuditEvent, Changes};
use seatdesk_core::api::inventory::{License, Org, Product, PurchasingAccount};
use seatdesk_core::api::seats::{Claim, SeatIds, Teacher};
use seatdesk_core::api::{BulkResult, Me, Page};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ClientError;

mod admin;
mod codes;
mod listings;
mod reclaim;
mod requests;

/// How long one request may take before it counts as a timeout.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest a whole export may take (ten million claims on a slow
/// link); each chunk must still arrive within [`EXPORT_STALL`].
pub const EXPORT_TIMEOUT: Duration = Duration::from_secs(6 * 3600);
/// How long the export may go quiet before the server counts as gone: the
/// licenses come first, and counting their seats takes a while on a large
/// database.
pub const EXPORT_STALL: Duration = Duration::from_secs(120);
/// How long [`ApiClient::probe`] waits: a dashboard must say it is offline
/// within seconds, not after a sync's patience.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// Attempts for a mutation whose answer was lost to a connection error.
const MUTATION_ATTEMPTS: usize = 3;

/// A fresh random Idempotency-Key (128 bits, hex).
pub fn new_idempotency_key() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks that `text` is an http(s) URL with a host.
pub fn parse_base_url(text: &str) -> Result<Url, ClientError> {
    let url = Url::parse(text.trim()).map_err(|_| ClientError::BadUrl(text.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ClientError::BadUrl(text.to_string()));
    }
    Ok(url)
}

/// Filters for one page of `/v1/claims`.
#[derive(Debug, Clone, Default)]
pub struct ClaimFilter {
    pub statuses: Vec<seatdesk_core::SeatStatus>,
    pub license_id: Option<i64>,
    pub product_id: Option<i64>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

#[derive(Clone)]
pub struct ApiClient {
    base: Url,
    token: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token.
        f.debug_struct("ApiClient")
            .field("base", &self.base.as_str())
            .finish()
    }
}

impl ApiClient {
    pub fn new(base: &str, token: &str) -> Result<ApiClient, ClientError> {
        crate::install_crypto();
        let base = parse_base_url(base)?;
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("seatdesk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Unreachable {
                url: base.to_string(),
                detail: e.to_string(),
            })?;
        Ok(ApiClient {
            base,
            token: token.trim().to_string(),
            http,
        })
    }

    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    fn url(&self, path: &str, query: &[(&str, String)]) -> Url {
        let mut url = self.base.clone();
        let prefix = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{prefix}{path}"));
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (key, value) in query {
                pairs.append_pair(key, value);
            }
        }
        url
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<String>,
        key: Option<&str>,
    ) -> Result<T, ClientError> {
        let text = self.send_raw(method, url.clone(), body, key).await?;
        serde_json::from_slice(&text).map_err(|e| ClientError::Decode {
            url: url.to_string(),
            detail: e.to_string(),
        })
    }

    /// Sends one request and returns the body of a 2xx answer as bytes;
    /// anything else becomes a [`ClientError`].
    async fn send_raw(
        &self,
        method: Method,
        url: Url,
        body: Option<String>,
        key: Option<&str>,
    ) -> Result<Vec<u8>, ClientError> {
        let mut request = self
            .http
            .request(method, url.clone())
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request
            .send()
            .await
            .map_err(|e| transport_error(&url, &e))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| transport_error(&url, &e))?;
        if !status.is_success() {
            return Err(problem_error(status, &String::from_utf8_lossy(&bytes)));
        }
        Ok(bytes.to_vec())
    }

    /// GET with the query taken from a serde struct (`None` fields left out).
    async fn get_with<Q: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        query: &Q,
    ) -> Result<T, ClientError> {
        let url = self.url_with(path, query)?;
        self.send(Method::GET, url, None, None).await
    }

    fn url_with<Q: Serialize>(&self, path: &str, query: &Q) -> Result<Url, ClientError> {
        let mut url = self.url(path, &[]);
        let encoded = serde_urlencoded::to_string(query).map_err(|e| ClientError::Decode {
            url: url.to_string(),
            detail: format!("cannot encode the query: {e}"),
        })?;
        if !encoded.is_empty() {
            url.set_query(Some(&encoded));
        }
        Ok(url)
    }

    /// A mutation other than POST (PATCH, DELETE), with the same retry rule.
    async fn mutate<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        key: &str,
    ) -> Result<T, ClientError> {
        let body = body.map(|b| serde_json::to_string(b).unwrap_or_default());
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self
                .send(method.clone(), self.url(path, &[]), body.clone(), Some(key))
                .await
            {
                Err(error) if error.is_offline() && attempt < MUTATION_ATTEMPTS => {
                    tokio::time::sleep(Duration::from_millis(300 * attempt as u64)).await;
                }
                other => return other,
            }
        }
    }

    /// A mutation whose answer has no body (204), POSTed as `{}` with the
    /// same retry rule as [`ApiClient::post`].
    async fn mutate_empty(&self, method: Method, path: &str, key: &str) -> Result<(), ClientError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self
                .send_raw(
                    method.clone(),
                    self.url(path, &[]),
                    Some("{}".to_string()),
                    Some(key),
                )
                .await
            {
                Err(error) if error.is_offline() && attempt < MUTATION_ATTEMPTS => {
                    tokio::time::sleep(Duration::from_millis(300 * attempt as u64)).await;
                }
                other => return other.map(drop),
            }
        }
    }

    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ClientError> {
        self.send(Method::GET, self.url(path, query), None, None)
            .await
    }

    /// POSTs `body` with `key`, retrying with the same key when the answer
    /// was lost in transit: the server answers a replay with its first reply.
    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        key: &str,
    ) -> Result<T, ClientError> {
        let body = serde_json::to_string(body).unwrap_or_default();
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self
                .send(
                    Method::POST,
                    self.url(path, &[]),
                    Some(body.clone()),
                    Some(key),
                )
                .await
            {
                Err(error) if error.is_offline() && attempt < MUTATION_ATTEMPTS => {
                    tracing::warn!(%error, attempt, "retrying mutation with the same key");
                    tokio::time::sleep(Duration::from_millis(300 * attempt as u64)).await;
                }
                other => return other,
            }
        }
    }

    /// Whether the server answers at all (any HTTP status will do), within
    /// [`PROBE_TIMEOUT`]. Cheap enough to ask every couple of seconds.
    pub async fn probe(&self) -> Result<(), ClientError> {
        let url = self.url("/healthz", &[]);
        match self
            .http
            .get(url.clone())
            .timeout(PROBE_TIMEOUT)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(error) if error.is_timeout() => Err(ClientError::Timeout {
                url: url.origin().ascii_serialization(),
                seconds: PROBE_TIMEOUT.as_secs(),
            }),
            Err(error) => Err(transport_error(&url, &error)),
        }
    }

    pub async fn me(&self) -> Result<Me, ClientError> {
        self.get("/v1/me", &[]).await
    }

    pub async fn orgs(&self) -> Result<Vec<Org>, ClientError> {
        self.get("/v1/orgs", &[]).await
    }

    pub async fn accounts(&self) -> Result<Vec<PurchasingAccount>, ClientError> {
        self.get("/v1/accounts", &[]).await
    }

    pub async fn products(&self) -> Result<Vec<Product>, ClientError> {
        self.get("/v1/products", &[]).await
    }

    pub async fn licenses_page(
        &self,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<License>, ClientError> {
        let mut query = vec![("limit", limit.to_string())];
        if let Some(cursor) = cursor {
            query.push(("cursor", cursor.to_string()));
        }
        self.get("/v1/licenses", &query).await
    }

    pub async fn license(&self, id: i64) -> Result<License, ClientError> {
        self.get(&format!("/v1/licenses/{id}"), &[]).await
    }

    pub async fn teachers(&self, license_id: i64) -> Result<Page<Teacher>, ClientError> {
        self.get(
            &format!("/v1/licenses/{license_id}/teachers"),
            &[("all", "true".to_string())],
        )
        .await
    }

    pub async fn claims_page(&self, filter: &ClaimFilter) -> Result<Page<Claim>, ClientError> {
        let mut query = Vec::new();
        if !filter.statuses.is_empty() {
            let list: Vec<&str> = filter.statuses.iter().map(|s| s.as_str()).collect();
            query.push(("status", list.join(",")));
        }
        if let Some(id) = filter.license_id {
            query.push(("license_id", id.to_string()));
        }
        if let Some(id) = filter.product_id {
            query.push(("product_id", id.to_string()));
        }
        if let Some(cursor) = &filter.cursor {
            query.push(("cursor", cursor.clone()));
        }
        if let Some(limit) = filter.limit {
            query.push(("limit", limit.to_string()));
        }
        self.get("/v1/claims", &query).await
    }

    /// Newest audit events first; `before` pages further back.
    pub async fn audit(
        &self,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Page<AuditEvent>, ClientError> {
        let mut query = vec![("limit", limit.to_string())];
        if let Some(before) = before {
            query.push(("before", before.to_string()));
        }
        self.get("/v1/audit", &query).await
    }

    pub async fn changes(&self, after: i64, limit: u32) -> Result<Changes, ClientError> {
        self.get(
            "/v1/changes",
            &[("after", after.to_string()), ("limit", limit.to_string())],
        )
        .await
    }

    /// Opens `GET /v1/export` (every license and claim of the token's
    /// subtree, streamed; see [`crate::export`]). None when the server is
    /// too old to have it (404), so the caller pages instead.
    pub async fn export(&self) -> Result<Option<ExportBody>, ClientError> {
        let url = self.url("/v1/export", &[]);
        let response = self
            .http
            .get(url.clone())
            .bearer_auth(&self.token)
            // zstd first: as small as gzip at a fraction of its CPU (reqwest
            // decodes either).
            .header(reqwest::header::ACCEPT_ENCODING, "zstd, gzip;q=0.5")
            // The whole answer may take minutes; a stall is caught per chunk.
            .timeout(EXPORT_TIMEOUT)
            .send()
            .await
            .map_err(|e| transport_error(&url, &e))?;
        let status = response.status();
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            return Err(problem_error(status, &text));
        }
        Ok(Some(ExportBody { url, response }))
    }

    pub async fn revoke(&self, seat_ids: Vec<i64>, key: &str) -> Result<BulkResult, ClientError> {
        self.post("/v1/seats/revoke", &SeatIds { seat_ids }, key)
            .await
    }

    pub async fn restore(&self, seat_ids: Vec<i64>, key: &str) -> Result<BulkResult, ClientError> {
        self.post("/v1/seats/restore", &SeatIds { seat_ids }, key)
            .await
    }

    pub async fn set_license_active(
        &self,
        id: i64,
        active: bool,
        key: &str,
    ) -> Result<License, ClientError> {
        let verb = if active { "activate" } else { "deactivate" };
        self.post(
            &format!("/v1/licenses/{id}/{verb}"),
            &serde_json::json!({}),
            key,
        )
        .await
    }
}

/// The body of `GET /v1/export` as it arrives, decompressed.
pub struct ExportBody {
    url: Url,
    response: reqwest::Response,
}

impl ExportBody {
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The next piece of the body; None at its end. A server silent for
    /// [`EXPORT_STALL`] counts as gone.
    pub async fn chunk(&mut self) -> Result<Option<bytes::Bytes>, ClientError> {
        match tokio::time::timeout(EXPORT_STALL, self.response.chunk()).await {
            Err(_) => Err(ClientError::Timeout {
                url: self.url.origin().ascii_serialization(),
                seconds: EXPORT_STALL.as_secs(),
            }),
            Ok(Ok(chunk)) => Ok(chunk),
            Ok(Err(error)) => Err(match transport_error(&self.url, &error) {
                ClientError::Unreachable { url, detail } => ClientError::Unreachable {
                    url,
                    detail: format!("the export broke off: {detail}"),
                },
                other => other,
            }),
        }
    }
}

fn transport_error(url: &Url, error: &reqwest::Error) -> ClientError {
    let origin = url.origin().ascii_serialization();
    if error.is_timeout() {
        return ClientError::Timeout {
            url: origin,
            seconds: REQUEST_TIMEOUT.as_secs(),
        };
    }
    // reqwest's own line repeats the full URL; the innermost cause
    // ("Connection refused (os error 111)", a DNS or TLS failure) is what
    // the user can act on, and the origin is already in the message.
    let mut detail = error.to_string().replace(url.as_str(), &origin);
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        detail = inner.to_string();
        source = inner.source();
    }
    ClientError::Unreachable {
        url: origin,
        detail,
    }
}

fn problem_error(status: StatusCode, text: &str) -> ClientError {
    let problem = serde_json::from_str::<Problem>(text).unwrap_or_else(|_| Problem {
        kind: format!("http-{}", status.as_u16()),
        title: status
            .canonical_reason()
            .unwrap_or("HTTP error")
            .to_string(),
        status: status.as_u16(),
        detail: text.chars().take(300).collect(),
        errors: Vec::new(),
        request_id: None,
    });
    if status == StatusCode::UNAUTHORIZED {
        ClientError::Unauthorized(problem)
    } else {
        ClientError::Problem(problem)
    }
}
