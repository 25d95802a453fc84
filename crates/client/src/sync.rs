//! Keeps the cache current: one full load the first time (one streamed
//! `/v1/export`), then deltas from the change feed
//! (`/v1/changes?after=SEQ`), never full reloads unless the feed went back.

use std::collections::BTreeSet;

use chrono::Utc;
use seatdesk_core::SeatStatus;
use seatdesk_core::api::MAX_PAGE_SIZE;
use seatdesk_core::api::audit::AuditEvent;
use seatdesk_core::api::changes::Change;
use seatdesk_core::api::seats::Claim;

use crate::api::{ApiClient, ClaimFilter};
use crate::cache::{Cache, CacheWrite, INSERT_BATCH};
use crate::error::ClientError;
use crate::export::{self, Piece};
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

/// Loads every license and claim into an emptied cache from one streamed
/// `GET /v1/export`, decoded as it arrives and written with multi-row
/// inserts, all in one transaction: a stream that breaks off, does not
/// decode or does not add up leaves the cache exactly as it was. The
/// export's head line names the feed position its rows reflect, so the
/// next delta continues from there without a gap. A server without the
/// export is paged instead ([`paged_full_sync`]).
pub async fn full_sync(api: &ApiClient, cache: &Cache) -> Result<SyncReport, ClientError> {
    let Some(body) = api.export().await? else {
        return paged_full_sync(api, cache).await;
    };
    let url = body.url().to_string();
    let mut pieces = export::decode(body, INSERT_BATCH);
    let mut write = cache.begin().await?;
    write.clear().await?;
    let mut head = None;
    while let Some(piece) = pieces.recv().await {
        match piece? {
            Piece::Head(h) => head = Some(h.feed_head),
            Piece::Licenses(licenses) => {
                for license in &licenses {
                    write.upsert_license(license).await?;
                }
            }
            Piece::Claims(claims) => write.insert_claims(claims).await?,
            Piece::End(end) => {
                // The decoder only ends after a head line.
                let head = head.unwrap_or_default();
                write.set_synced(head, Utc::now()).await?;
                write.commit().await?;
                return Ok(SyncReport {
                    full: true,
                    changed: (end.licenses + end.claims) as usize,
                    last_seq: head,
                    touched: Refetch::default(),
                });
            }
        }
    }
    // Dropping `write` rolls the transaction back.
    Err(ClientError::Decode {
        url,
        detail: "the export stopped without its end line".to_string(),
    })
}

/// Pages every license and claim into an emptied cache (servers without
/// `/v1/export`). The feed position is read first, so a change made during
/// the load is re-applied by the next delta rather than lost (applying an
/// event twice is harmless).
pub async fn paged_full_sync(api: &ApiClient, cache: &Cache) -> Result<SyncReport, ClientError> {
    let head = api.audit(None, 1).await?.items.first().map_or(0, |e| e.seq);
    let (licenses, _) = collect_pages(None, |cursor| async move {
        api.licenses_page(cursor.as_deref(), MAX_PAGE_SIZE).await
    })
    .await?;
    let claims = all_claims(api, None).await?;
    let changed = licenses.len() + claims.len();
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
        changed,
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
