//! The client's address, for the access log and the redemption limits
//! (`domain::guessing`):
//! the TCP peer, or, with `serve --trust-forwarded-for`, the right-most
//! `X-Forwarded-For` entry.
//!
//! Only the right-most entry is trusted because it is the one the proxy in
//! front of us appended (nginx's `$proxy_add_x_forwarded_for`); entries to
//! its left came from the client and may be anything. So the flag is right
//! only when exactly one trusted proxy stands in front and every request
//! comes through it: with it on and the port reachable directly, any client
//! can name any address. Off by default.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

/// The client address of a request, as a request extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// Sets [`ClientAddr`] for the layers and handlers inside this one.
pub async fn client_addr(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let forwarded = if state.config.trust_forwarded_for {
        forwarded_for(request.headers())
    } else {
        None
    };
    if let Some(addr) = forwarded.or(peer) {
        request.extensions_mut().insert(ClientAddr(addr));
    }
    next.run(request).await
}

/// The right-most address of the `X-Forwarded-For` headers (several
/// headers count as one list, in order). None when absent or not an
/// address, and then the peer address is used.
fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    let last = headers
        .get_all("x-forwarded-for")
        .iter()
        .next_back()?
        .to_str()
        .ok()?
        .rsplit(',')
        .next()?
        .trim();
    last.parse().ok().or_else(|| {
        // `1.2.3.4:5678` or `[::1]:5678`, as some proxies write.
        last.parse::<SocketAddr>().ok().map(|a| a.ip())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append("x-forwarded-for", v.parse().unwrap());
        }
        headers
    }

    #[test]
    fn the_right_most_entry_is_the_one_the_proxy_appended() {
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert_eq!(forwarded_for(&headers(&["203.0.113.7"])), ip("203.0.113.7"));
        assert_eq!(
            forwarded_for(&headers(&["1.1.1.1, 10.0.0.1,  198.51.100.2 "])),
            ip("198.51.100.2"),
            "a client-written prefix is ignored"
        );
        assert_eq!(
            forwarded_for(&headers(&["1.1.1.1", "2001:db8::1"])),
            ip("2001:db8::1"),
            "the last of several headers"
        );
        assert_eq!(
            forwarded_for(&headers(&["[2001:db8::2]:443"])),
            ip("2001:db8::2")
        );
        assert_eq!(forwarded_for(&headers(&["1.1.1.1, unknown"])), None);
        assert_eq!(forwarded_for(&headers(&[])), None);
    }
}
