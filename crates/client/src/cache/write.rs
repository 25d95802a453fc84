//! Batches of cache writes. Each batch also refreshes the claim counts of
//! the licenses it touched, inside the same transaction, so the counts the
//! dashboard paints from never disagree with the rows.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use seatdesk_core::api::inventory::License;
use seatdesk_core::api::seats::Claim;
use sqlx::{AssertSqlSafe, Sqlite, Transaction};

use super::rows::{SELECT_CLAIMS, UPSERT_CLAIM, bind_claim, claim_from_row};
use super::set_meta;

/// One transaction of cache writes.
pub struct CacheWrite {
    pub(super) tx: Transaction<'static, Sqlite>,
    /// Licenses whose claims changed; their counts are rebuilt at commit.
    dirty: BTreeSet<i64>,
    /// Every row went (a full reload): all counts are rebuilt at commit.
    cleared: bool,
}

impl CacheWrite {
    pub(super) fn new(tx: Transaction<'static, Sqlite>) -> CacheWrite {
        CacheWrite {
            tx,
            dirty: BTreeSet::new(),
            cleared: false,
        }
    }

    /// Forgets every row (before a full reload).
    pub async fn clear(&mut self) -> Result<(), sqlx::Error> {
        for table in ["claims", "licenses", "claim_counts", "claim_days"] {
            sqlx::query(AssertSqlSafe(format!("DELETE FROM {table}")))
                .execute(&mut *self.tx)
                .await?;
        }
        self.cleared = true;
        self.dirty.clear();
        Ok(())
    }

    pub async fn upsert_license(&mut self, license: &License) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO licenses (id, product_id, body) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET product_id = excluded.product_id, body = excluded.body",
        )
        .bind(license.id)
        .bind(license.product_id)
        .bind(serde_json::to_string(license).unwrap_or_default())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn delete_license(&mut self, id: i64) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM licenses WHERE id = $1")
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        self.clear_claims_of(id).await
    }

    pub async fn upsert_claim(&mut self, claim: &Claim) -> Result<(), sqlx::Error> {
        if !self.cleared {
            // A claim that moved licenses changes the old one's counts too.
            let before: Option<i64> =
                sqlx::query_scalar("SELECT license_id FROM claims WHERE id = $1")
                    .bind(claim.id)
                    .fetch_optional(&mut *self.tx)
                    .await?;
            self.dirty.extend(before);
            self.dirty.insert(claim.license_id);
        }
        bind_claim(sqlx::query(UPSERT_CLAIM), claim)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Drops the claims of `license_id` (before re-fetching them).
    pub async fn clear_claims_of(&mut self, license_id: i64) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM claims WHERE license_id = $1")
            .bind(license_id)
            .execute(&mut *self.tx)
            .await?;
        if !self.cleared {
            self.dirty.insert(license_id);
        }
        Ok(())
    }

    pub async fn claim(&mut self, id: i64) -> Result<Option<Claim>, sqlx::Error> {
        let row = sqlx::query(AssertSqlSafe(format!("{SELECT_CLAIMS} WHERE id = $1")))
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(match row {
            Some(row) => claim_from_row(&row)?,
            None => None,
        })
    }

    /// Records the feed position these writes bring the cache to.
    pub async fn set_synced(
        &mut self,
        last_seq: i64,
        at: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        set_meta(&mut self.tx, "last_seq", &last_seq.to_string()).await?;
        set_meta(
            &mut self.tx,
            "last_sync_ms",
            &at.timestamp_millis().to_string(),
        )
        .await
    }

    /// Refreshes the counts of what changed, then commits rows and counts
    /// together.
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        if self.cleared {
            self.recount(None).await?;
        }
        for id in std::mem::take(&mut self.dirty) {
            self.recount(Some(id)).await?;
        }
        self.tx.commit().await
    }

    /// Recounts one license's claims, or every license's.
    async fn recount(&mut self, license_id: Option<i64>) -> Result<(), sqlx::Error> {
        let only = if license_id.is_some() {
            "license_id = $1"
        } else {
            "$1 IS NULL"
        };
        let statements = [
            format!("DELETE FROM claim_counts WHERE {only}"),
            format!(
                "INSERT INTO claim_counts (license_id, status, n) SELECT license_id, status, COUNT(*) \
                 FROM claims WHERE {only} GROUP BY license_id, status"
            ),
            format!("DELETE FROM claim_days WHERE {only}"),
            format!(
                "INSERT INTO claim_days (license_id, day, n) SELECT license_id, claimed_at / {day}, COUNT(*) \
                 FROM claims WHERE claimed_at IS NOT NULL AND {only} GROUP BY license_id, claimed_at / {day}",
                day = super::stats::DAY_MICROS
            ),
        ];
        for statement in &statements {
            sqlx::query(AssertSqlSafe(statement.as_str()))
                .bind(license_id)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }
}
