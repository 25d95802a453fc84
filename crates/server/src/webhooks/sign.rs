//! Delivery signatures: `Seatdesk-Signature: t=<unix seconds>,v1=<hex>` where
//! hex is HMAC-SHA256 of `"<t>.<body>"` under the webhook's secret. The
//! timestamp lets receivers refuse replays of old deliveries.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const HEADER: &str = "Seatdesk-Signature";

pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Checks a header value against `body`, as a receiver would.
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64, tolerance_secs: i64) -> bool {
    let mut timestamp = None;
    let mut given = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v)) => given = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (Some(timestamp), Some(given)) = (timestamp, given) else {
        return false;
    };
    if (now - timestamp).abs() > tolerance_secs {
        return false;
    }
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_body_secret_and_time() {
        let header = signature("s3cret", 1_700_000_000, b"{\"a\":1}");
        assert!(verify("s3cret", &header, b"{\"a\":1}", 1_700_000_010, 300));
        assert!(!verify("s3cret", &header, b"{\"a\":2}", 1_700_000_010, 300));
        assert!(!verify("other", &header, b"{\"a\":1}", 1_700_000_010, 300));
        assert!(!verify("s3cret", &header, b"{\"a\":1}", 1_700_001_000, 300));
    }
}
