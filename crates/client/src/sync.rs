//! Keeps the cache current: one full load the first time, then deltas from
//! the change feed (`/v1/changes?after=SEQ`), never full reloads.

use std::collections::BTreeSet;

use chrono::Utc;
use seatdesk_core::SeatStatus;
use seatdesk_core::api::MAX_PAGE_SIZE;
use seatdesk_core::api::audit::AuditEvent;
use seatdesk_core::api::changes::Change;
use seatdesk_core::api::seats::Claim;

use crate::api::{ApiClient, ClaimFilter};
use crate::cache::{Cache, CacheWrite};
use crate::error::ClientError;
use crate::pages::collect_pages;

/// What one sync did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    /// True when the cache was loaded from scratch.
    pub full: bool,
    /// Events applied (delta) or rows loaded (full).
    pub changed: usize,
    pub last_seq: i64,
    /// Rows a delta changed, so a reader can reload just those.
    pub touched: Refetch,
}

/// Brings `cache` up to date with the server.
pub async fn sync(api: &ApiClient, cache: &Cache) -> Result<SyncReport, ClientError> {
    if cache.last_sync().await?.is_none() {
        full_sync(api, cache).await
    } else {
        delta_sync(api, cache).await
    }
}

/// Pages every license and claim into an emptied cache. The feed position
/// is read first, so a change made during the load is re-applied by the
/// next delta rather than lost (applying an event twice is harmless).
pub async fn full_sync(api: &ApiClient, cache: &Cache) -> Result<SyncReport, ClientError> {
    let head = api.audit(None, 1).await?.items.first().map_or(0, |e| e.seq);
    let (licenses, _) = collect_pages(None, |cursor| async move {
        api.licenses_page(cursor.as_deref(), MAX_PAGE_SIZE).await
    })
    .await?;
    let claims = all_claims(api, None).await?;
    let mut write = cache.begin().await?;
    write.clear().await?;
    for license in &licenses {
        write.upsert_license(license).await?;
    }
    for claim in &claims {
        write.upsert_claim(claim).await?;
    }
    write.set_synced(head, Utc::now()).await?;
    write.commit().await?;
    Ok(SyncReport {
        full: true,
        changed: licenses.len() + claims.len(),
        last_seq: head,
        touched: Refetch::default(),
    })
}

async fn all_claims(api: &ApiClient, license_id: Option<i64>) -> Result<Vec<Claim>, ClientError> {
    let (claims, _) = collect_pages(None, |cursor| async move {
        let filter = ClaimFilter {
            statuses: SeatStatus::ALL.to_vec(),
            license_id,
            limit: Some(MAX_PAGE_SIZE),
            cursor,
            ..ClaimFilter::default()
        };
        api.claims_page(&filter).await
    })
    .await?;
    Ok(claims)
}

/// Applies every event after the cache's position, page by page; each page
/// lands in one transaction together with its new position.
pub async fn delta_sync(api: &ApiClient, cache: &Cache) -> Result<SyncReport, ClientError> {
    let mut after = cache.last_seq().await?;
    let mut applied = 0;
    let mut touched = Refetch::default();
    loop {
        let changes = api.changes(after, MAX_PAGE_SIZE).await?;
        if changes.next_after < after {
            // The server's feed is behind what this cache applied: its
            // database was restored from a backup. Sequence numbers above
            // its head will be reused, so only a full load is right.
            return full_sync(api, cache).await;
        }
        let mut refetch = Refetch::default();
        let mut write = cache.begin().await?;
        for event in &changes.events {
            apply_event(&mut write, event, &mut refetch).await?;
        }
        refetch.run(api, &mut write).await?;
        touched.licenses.extend(&refetch.licenses);
        touched.claims_of.extend(&refetch.claims_of);
        touched.claims.extend(&refetch.claims);
        applied += changes.events.len();
        after = after.max(changes.next_after);
        write.set_synced(after, Utc::now()).await?;
        write.commit().await?;
        if !changes.more || changes.events.is_empty() {
            break;
        }
    }
    Ok(SyncReport {
        full: false,
        changed: applied,
        last_seq: after,
        touched,
    })
}

/// Licenses whose row, or whose claims, must be fetched again because an
/// event did not carry enough to patch the cache.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Refetch {
    pub licenses: BTreeSet<i64>,
    pub claims_of: BTreeSet<i64>,
    /// Claims patched in place (no re-fetch needed, but readers reload them).
    pub claims: BTreeSet<i64>,
}

impl Refetch {
    async fn run(&self, api: &ApiClient, write: &mut CacheWrite) -> Result<(), ClientError> {
        for &id in &self.licenses {
            match api.license(id).await {
                Ok(license) => write.upsert_license(&license).await?,
                Err(ClientError::Problem(p)) if p.status == 404 => write.delete_license(id).await?,
                Err(error) => return Err(error),
            }
        }
        for &id in &self.claims_of {
            let claims = all_claims(api, Some(id)).await?;
            write.clear_claims_of(id).await?;
            for claim in &claims {
                write.upsert_claim(claim).await?;
            }
        }
        Ok(())
    }
}

/// Patches the cache from one event, or notes what to re-fetch. What the
/// event means is read by [`Change::of`], the feed's one decoder.
pub async fn apply_event(
    write: &mut CacheWrite,
    event: &AuditEvent,
    refetch: &mut Refetch,
) -> Result<(), sqlx::Error> {
    match Change::of(event) {
        Change::Claim(claim) => {
            write.upsert_claim(&claim).await?;
            refetch.claims.insert(claim.id);
            refetch.licenses.insert(claim.license_id);
        }
        Change::SeatMoved {
            seat_id,
            transition,
        } => {
            // Seat counts of the license moved too.
            refetch.licenses.insert(transition.license_id);
            match write.claim(seat_id).await? {
                Some(mut claim) => {
                    transition.apply(&mut claim, event.at);
                    write.upsert_claim(&claim).await?;
                    refetch.claims.insert(claim.id);
                }
                None => {
                    refetch.claims_of.insert(transition.license_id);
                }
            }
        }
        Change::SeatTouched { seat_id } => {
            // Read the seat's license's claims again (a teacher's student
            // count, say); a seat the cache never had needs nothing.
            if let Some(claim) = write.claim(seat_id).await? {
                refetch.claims_of.insert(claim.license_id);
            }
        }
        Change::License { license_id } => {
            refetch.licenses.insert(license_id);
        }
        Change::Elsewhere => {}
    }
    Ok(())
}
