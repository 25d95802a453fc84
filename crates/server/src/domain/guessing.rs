//! Limits on failed code redemptions, so codes cannot be guessed and one
//! guesser cannot lock others out.
//!
//! A failure that says something about a code ([`counts_as_guess`]) is
//! logged in `redeem_failures` under several keys: the client address
//! (an IPv6 address by its /64, the block one host usually gets), the
//! token, the redeemed-for email and the code's family (the code without
//! its last four characters, so guesses at one code's ending count
//! together). A redemption is refused with 429 while any key has used up
//! its limit within the window. The counts live in the database, so every
//! replica sees them.
//!
//! The address is the narrow key: each address may charge the wide keys
//! (token, email, code) with at most [`RedeemLimits::per_address`]
//! failures per window. Its own further failures, which concurrent
//! requests can add before the first of them is counted, are logged
//! against the address alone. So while every wide limit is above the
//! address limit, one address can never lock out a token, an email or a
//! code for the other addresses; it takes that many addresses together.
//!
//! A failure is counted after the redemption that failed, so a burst of
//! concurrent attempts would all pass the check before the first is
//! counted. [`InFlight`] keeps at most the address limit of one address's
//! attempts running at once on a replica (the rest wait their turn, then
//! meet the count): a burst gets at most `limit − 1` counted tries plus
//! `limit` running per replica, and an honest caller's burst only waits.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use seatdesk_core::codes::{CodeShape, normalize};
use seatdesk_core::problem::kinds;

use crate::db::types::Stamp;
use crate::db::{Db, Pool};
use crate::error::{ApiError, ApiResult};
use crate::store::codes as store;

/// Failed redemptions allowed per key within `window`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedeemLimits {
    pub window: Duration,
    /// From one client address, whatever the token.
    pub per_address: i64,
    /// By one token, from all its addresses together.
    pub per_token: i64,
    /// For one email, whoever asks.
    pub per_email: i64,
    /// At one code's family, whoever asks.
    pub per_code: i64,
}

impl RedeemLimits {
    /// The defaults of `seatdesk serve`.
    pub const DEFAULT: RedeemLimits = RedeemLimits {
        window: Duration::from_secs(15 * 60),
        per_address: 10,
        per_token: 100,
        per_email: 20,
        per_code: 20,
    };

    /// Limits so high that no test story meets them.
    pub const UNLIMITED: RedeemLimits = RedeemLimits {
        window: Duration::from_secs(60),
        per_address: i64::MAX,
        per_token: i64::MAX,
        per_email: i64::MAX,
        per_code: i64::MAX,
    };

    /// Wide limits that one address alone could reach, defeating the
    /// promise that it cannot lock the others out (for the start-up log).
    pub fn lockout_warnings(&self) -> Vec<String> {
        [
            ("token", self.per_token),
            ("email", self.per_email),
            ("code", self.per_code),
        ]
        .into_iter()
        .filter(|(_, max)| *max <= self.per_address)
        .map(|(what, max)| {
            format!(
                "the per-{what} redemption failure limit ({max}) is not above the per-address \
                 limit ({}): one address can lock a {what} out for every other address",
                self.per_address
            )
        })
        .collect()
    }

    /// The keys one redemption attempt is counted under.
    pub fn attempt(&self, token_id: i64, addr: Option<IpAddr>, email: &str, code: &str) -> Attempt {
        let address = addr.map_or_else(|| "addr:unknown".to_string(), address_key);
        let mut wide = vec![
            (Limit::Token, format!("token:{token_id}"), self.per_token),
            (Limit::Email, format!("email:{email}"), self.per_email),
        ];
        if let Some(family) = code_family(code) {
            wide.push((Limit::Code, format!("code:{family}"), self.per_code));
        }
        Attempt {
            address: (address, self.per_address),
            wide,
            window: self.window,
        }
    }
}

impl Default for RedeemLimits {
    fn default() -> Self {
        RedeemLimits::DEFAULT
    }
}

/// Which limit refused a redemption (named in the 429's detail, so a
/// legitimate caller knows whether it is its address or the token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Address,
    Token,
    Email,
    Code,
}

impl Limit {
    fn describe(self) -> &'static str {
        match self {
            Limit::Address => "from your address",
            Limit::Token => "with this token",
            Limit::Email => "for this email",
            Limit::Code => "at this code",
        }
    }
}

/// One redemption attempt's rate keys and their limits.
#[derive(Debug, Clone)]
pub struct Attempt {
    address: (String, i64),
    wide: Vec<(Limit, String, i64)>,
    window: Duration,
}

/// A refusal: which limit, and the seconds until it frees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub limit: Limit,
    pub retry_after_secs: i64,
}

impl Refusal {
    /// The problem detail of the 429 answer.
    pub fn detail(&self) -> String {
        format!(
            "too many failed code redemptions {}; try again in {} seconds",
            self.limit.describe(),
            self.retry_after_secs
        )
    }
}

impl Attempt {
    /// Waits until fewer than the address limit of this address's attempts
    /// are running on this replica; the slot is held until dropped (after
    /// the failure, if any, is counted).
    pub async fn enter(&self, in_flight: &InFlight) -> OwnedSemaphorePermit {
        in_flight.enter(&self.address.0, self.address.1).await
    }

    fn keys(&self) -> impl Iterator<Item = (Limit, &str, i64)> {
        std::iter::once((Limit::Address, self.address.0.as_str(), self.address.1)).chain(
            self.wide
                .iter()
                .map(|(limit, key, max)| (*limit, key.as_str(), *max)),
        )
    }

    fn window(&self) -> chrono::TimeDelta {
        chrono::TimeDelta::from_std(self.window).unwrap_or(chrono::TimeDelta::MAX)
    }

    /// The refusal, when any key has used up its limit within the window;
    /// the one that frees last when several have.
    pub async fn refused(&self, pool: &Pool) -> ApiResult<Option<Refusal>> {
        let window = self.window();
        let now = Stamp::now();
        let since = now.saturating_sub(window);
        let keys: Vec<&str> = self.keys().map(|(_, key, _)| key).collect();
        let counts = store::failure_counts(pool, &keys, since).await?;
        let mut refusal: Option<Refusal> = None;
        for (limit, key, max) in self.keys() {
            let max = max.max(1);
            let count = counts.get(key).copied().unwrap_or(0);
            if count < max {
                continue;
            }
            // Allowed again once enough failures age out to fall below max.
            let freeing = store::failure_at(pool, key, since, count - max).await?;
            let wait_ms = freeing.unwrap_or(now).saturating_add(window).millis() - now.millis();
            let secs = (wait_ms.max(1000) + 999) / 1000;
            if refusal.is_none_or(|r| r.retry_after_secs < secs) {
                refusal = Some(Refusal {
                    limit,
                    retry_after_secs: secs,
                });
            }
        }
        Ok(refusal)
    }

    /// Counts a failed attempt, in its own transaction (the redemption's
    /// has rolled back). Not an audit event: nothing in the domain changed.
    /// The address's count and insert are one locked step, so concurrent
    /// failures of one address charge the wide keys at most its limit
    /// times per window (see the module doc). Failures of these keys
    /// older than the window are pruned on the way.
    pub async fn record_failure(&self, db: &Db) -> ApiResult<()> {
        let window = self.window();
        let at = Stamp::now();
        let since = at.saturating_sub(window);
        let (address, per_address) = (&self.address.0, self.address.1);
        let mut tx = db.begin_write().await?;
        store::lock_rate_key(&mut tx.tx, address).await?;
        let before = store::failures_since(&mut tx.tx, address, since).await?;
        store::log_failure(&mut tx.tx, address, since, at).await?;
        if before < per_address {
            for (_, key, _) in &self.wide {
                store::log_failure(&mut tx.tx, key, since, at).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Attempts running per address on this replica (see the module doc).
#[derive(Debug, Default)]
pub struct InFlight {
    /// Dead entries (no attempt running) are dropped as the map grows.
    slots: Mutex<HashMap<String, Weak<Semaphore>>>,
}

impl InFlight {
    /// More than any address limit that is meant as one.
    const MAX_SLOTS: i64 = 10_000;

    async fn enter(&self, key: &str, limit: i64) -> OwnedSemaphorePermit {
        let semaphore = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(live) = slots.get(key).and_then(Weak::upgrade) {
                live
            } else {
                if slots.len() >= 1024 {
                    slots.retain(|_, slot| slot.strong_count() > 0);
                }
                let permits = usize::try_from(limit.clamp(1, Self::MAX_SLOTS)).unwrap_or(1);
                let fresh = Arc::new(Semaphore::new(permits));
                slots.insert(key.to_string(), Arc::downgrade(&fresh));
                fresh
            }
        };
        // Never closed, so acquiring cannot fail.
        semaphore
            .acquire_owned()
            .await
            .unwrap_or_else(|_| unreachable!("the semaphore is never closed"))
    }
}

/// An IPv4 address as is; an IPv6 address by its /64 (one host or site
/// usually holds a whole /64, so its single addresses are free to change).
fn address_key(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(v4) => format!("addr:{v4}"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("addr:{v4}"),
            None => {
                let s = v6.segments();
                format!("addr:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// A code without its last four characters (its last random ones and the
/// check character), canonical; none for input of no code's length.
fn code_family(code: &str) -> Option<String> {
    let canonical = normalize(code);
    let len = canonical.chars().count();
    CodeShape::from_len(len)?;
    Some(canonical.chars().take(len - 4).collect())
}

/// Failures that say something about the code itself, so repeating them
/// is how someone would guess codes. A mistyped code (wrong length, a
/// character outside the alphabet, a failed check character) is not one:
/// the check is public, so it tells a guesser nothing, and counting it
/// would only lock out people who mistype.
pub fn counts_as_guess(error: &ApiError) -> bool {
    [
        kinds::CODE_UNKNOWN,
        kinds::CODE_EXPIRED,
        kinds::CODE_EXHAUSTED,
    ]
    .contains(&error.kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_address_counts_by_its_slash_64_and_a_mapped_ipv4_as_ipv4() {
        let key = |s: &str| address_key(s.parse().unwrap());
        assert_eq!(key("203.0.113.7"), "addr:203.0.113.7");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "addr:2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), key("2001:db8:1:2::1"));
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
        assert_eq!(key("::ffff:203.0.113.7"), "addr:203.0.113.7");
    }

    #[test]
    fn a_codes_family_leaves_out_its_last_four_characters() {
        assert_eq!(code_family("abcde-fghj-kmnp").as_deref(), Some("ABCDEFGHJ"));
        assert_eq!(
            code_family("23456789ABCDEFGH").as_deref(),
            Some("23456789ABCD")
        );
        assert_eq!(code_family("ABC"), None);
    }

    #[test]
    fn wide_limits_at_or_below_the_address_limit_are_warned_about() {
        assert!(RedeemLimits::DEFAULT.lockout_warnings().is_empty());
        let limits = RedeemLimits {
            per_token: 10,
            ..RedeemLimits::DEFAULT
        };
        let warnings = limits.lockout_warnings();
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("per-token"), "{warnings:?}");
    }
}
