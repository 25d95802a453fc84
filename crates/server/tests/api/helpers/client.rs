//! A thin JSON client with a bearer token that checks every answer's shape:
//! no 5xx, and every 4xx is `application/problem+json`.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::install_crypto;

/// A thin JSON client with a bearer token.
#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub token: String,
    pub http: reqwest::Client,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The problem `type` suffix, for error replies.
    pub fn problem_kind(&self) -> String {
        self.body["type"]
            .as_str()
            .unwrap_or_default()
            .trim_start_matches("urn:seatdesk:problem:")
            .to_string()
    }
}

impl Client {
    pub fn new(base: &str, token: &str) -> Client {
        install_crypto();
        Client {
            base: base.to_string(),
            token: token.to_string(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .unwrap(),
        }
    }

    /// The same token with every request coming from `addr`, as the
    /// proxy in front would say in `X-Forwarded-For` (for a server started
    /// with `trust_forwarded_for`).
    pub fn coming_from(&self, addr: &str) -> Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-forwarded-for", addr.parse().expect("header value"));
        Client {
            base: self.base.clone(),
            token: self.token.clone(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .default_headers(headers)
                .build()
                .unwrap(),
        }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        idem: Option<&str>,
    ) -> Reply {
        let mut request = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(key) = idem {
            request = request.header("Idempotency-Key", key);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if status.is_server_error() {
            panic!("{path} answered {status}: {body}");
        }
        if status.is_client_error() {
            let content_type = headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            assert_eq!(
                content_type, "application/problem+json",
                "{path} {status} is not problem+json: {body}"
            );
        }
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::POST, path, Some(body), None).await
    }

    pub async fn get_ok<T: DeserializeOwned>(&self, path: &str) -> T {
        let reply = self.get(path).await;
        assert!(
            reply.status.is_success(),
            "GET {path}: {} {}",
            reply.status,
            reply.body
        );
        serde_json::from_value(reply.body).expect("decode")
    }

    pub async fn post_ok<T: DeserializeOwned>(&self, path: &str, body: &Value) -> T {
        let reply = self.post(path, body).await;
        assert!(
            reply.status.is_success(),
            "POST {path}: {} {}",
            reply.status,
            reply.body
        );
        serde_json::from_value(reply.body).expect("decode")
    }
}
