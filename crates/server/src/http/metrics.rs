//! What `GET /metrics` reports (see [`crate::routes::metrics`]), with the
//! `prometheus-client` crate: the Prometheus project's own Rust client,
//! which keeps metrics in a registry value rather than a process-wide
//! recorder, so each server (and each test server in one process) has its
//! own, and writes the OpenMetrics text format Prometheus scrapes natively.
//!
//! The middleware here counts every request by method, route template
//! (`/v1/licenses/{id}`, never the raw path, so ids cannot blow up the
//! label space; unmatched paths are `(no route)`) and status, times it, and
//! counts 429 refusals. Database figures are read when scraped.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::db::Pool;
use crate::store::metrics::DatabaseFigures;

/// The content type of the scrape (OpenMetrics text 1.0).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: &'static str,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The server's metrics registry.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    rate_limited: Counter,
    pool: Family<StateLabel, Gauge>,
    pool_max: Gauge,
    feed_head: Gauge,
    deliveries: Family<StateLabel, Gauge>,
    alerts_raised: Gauge,
}

/// Latency buckets from 1 ms to about 16 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("seatdesk");
        let metrics = Metrics {
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
            rate_limited: Counter::default(),
            pool: Family::default(),
            pool_max: Gauge::default(),
            feed_head: Gauge::default(),
            deliveries: Family::default(),
            alerts_raised: Gauge::default(),
            registry: Registry::default(),
        };
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            metrics.requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template",
            metrics.latency.clone(),
        );
        registry.register(
            "rate_limited_requests",
            "Requests refused with 429 Too Many Requests",
            metrics.rate_limited.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database pool connections: in_use (lent to a request or worker) or idle",
            metrics.pool.clone(),
        );
        registry.register(
            "db_pool_max_connections",
            "Most connections the database pool opens; requests queue beyond it",
            metrics.pool_max.clone(),
        );
        registry.register(
            "feed_head",
            "The change feed's head: sequence number of the last audit event",
            metrics.feed_head.clone(),
        );
        registry.register(
            "webhook_deliveries",
            "Webhook deliveries by state: pending (awaiting a first try or a retry) or failed (gave up)",
            metrics.deliveries.clone(),
        );
        registry.register(
            "alerts_raised",
            "Alerts the sweepers of every replica have raised as audit events",
            metrics.alerts_raised.clone(),
        );
        Metrics {
            registry,
            ..metrics
        }
    }

    /// Counts one answered request.
    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let route = route.to_string();
        let method = method.to_string();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.clone(),
                route: route.clone(),
            })
            .observe(seconds);
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
        if status == 429 {
            self.rate_limited.inc();
        }
    }

    /// The scrape: the counters kept here and the database figures and
    /// pool state as of now.
    pub fn encode(&self, pool: &Pool, figures: &DatabaseFigures) -> String {
        let (size, idle, max) = pool_state(pool);
        let gauge = |family: &Family<StateLabel, Gauge>, state, value: i64| {
            family.get_or_create(&StateLabel { state }).set(value);
        };
        gauge(&self.pool, "in_use", size.saturating_sub(idle));
        gauge(&self.pool, "idle", idle);
        self.pool_max.set(max);
        self.feed_head.set(figures.feed_head);
        gauge(&self.deliveries, "pending", figures.deliveries_pending);
        gauge(&self.deliveries, "failed", figures.deliveries_failed);
        self.alerts_raised.set(figures.alerts_raised);
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// Open connections, idle ones, and the most the pool opens. (sqlx does not
/// tell how many callers wait for a connection; `in_use` at the maximum is
/// the sign they do.)
fn pool_state(pool: &Pool) -> (i64, i64, i64) {
    let (size, idle, max) = match pool {
        Pool::Sqlite(p) => (p.size(), p.num_idle(), p.options().get_max_connections()),
        Pool::Postgres(p) => (p.size(), p.num_idle(), p.options().get_max_connections()),
    };
    (i64::from(size), idle as i64, i64::from(max))
}

/// Times and counts each request (outermost layer, so refusals and panics
/// answered by inner layers count too). The time is to the response head:
/// a streamed body (an export) may go on after it.
pub async fn count_requests(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().as_str().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(no route)".to_string(), |p| p.as_str().to_string());
    let started = Instant::now();
    let response = next.run(request).await;
    state.metrics.record(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// The bearer token of `GET /metrics`, kept as its SHA-256 so comparing
/// takes the same time whatever the guess, and never printed by `Debug`.
#[derive(Clone)]
pub struct MetricsToken([u8; 32]);

impl MetricsToken {
    pub fn new(secret: &str) -> MetricsToken {
        MetricsToken(Sha256::digest(secret.as_bytes()).into())
    }

    /// Whether `given` is the token, in time independent of where it differs.
    pub fn matches(&self, given: &str) -> bool {
        let given: [u8; 32] = Sha256::digest(given.as_bytes()).into();
        self.0
            .iter()
            .zip(given)
            .fold(0, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_matches_only_itself_and_stays_out_of_debug() {
        let token = MetricsToken::new("s3cret");
        assert!(token.matches("s3cret"));
        assert!(!token.matches("s3cret "));
        assert!(!token.matches(""));
        assert!(!format!("{token:?}").contains("s3cret"));
    }

    #[test]
    fn requests_count_by_route_template_and_429s_are_refusals() {
        let metrics = Metrics::new();
        metrics.record("GET", "/v1/licenses/{id}", 200, 0.003);
        metrics.record("GET", "/v1/licenses/{id}", 200, 0.004);
        metrics.record("POST", "/v1/codes/redeem", 429, 0.001);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &metrics.registry).unwrap();
        assert!(text.contains(
            r#"seatdesk_http_requests_total{method="GET",route="/v1/licenses/{id}",status="200"} 2"#
        ), "{text}");
        assert!(text.contains(
            r#"seatdesk_http_request_duration_seconds_count{method="GET",route="/v1/licenses/{id}"} 2"#
        ), "{text}");
        assert!(
            text.contains("seatdesk_rate_limited_requests_total 1"),
            "{text}"
        );
    }
}
