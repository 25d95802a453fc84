//! Batches of cache writes, each one transaction. The claim total the
//! start-up load is sized by is written in the same transaction as the rows.

use chrono::{DateTime, Utc};
use seatdesk_core::api::inventory::License;
use seatdesk_core::api::seats::Claim;
use sqlx::{AssertSqlSafe, Sqlite, Transaction};

use super::rows::{
    SELECT_CLAIMS, UPSERT_CLAIM, bind_claim, bind_claim_owned, claim_from_row, insert_claims_sql,
};

/// Rows per multi-row INSERT: 22 values a row keeps a statement at 11,000
/// values, under SQLite's 32,766; a full sync of a million claims runs
/// 2,000 statements instead of a million.
pub const INSERT_BATCH: usize = 500;
use super::set_meta;

/// One transaction of cache writes.
pub struct CacheWrite {
    pub(super) tx: Transaction<'static, Sqlite>,
}

impl CacheWrite {
    pub(super) fn new(tx: Transaction<'static, Sqlite>) -> CacheWrite {
        CacheWrite { tx }
    }

    /// Forgets every row (before a full reload).
    pub async fn clear(&mut self) -> Result<(), sqlx::Error> {
        for table in ["claims", "licenses", "dashboards"] {
            sqlx::query(AssertSqlSafe(format!("DELETE FROM {table}")))
                .execute(&mut *self.tx)
                .await?;
        }
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
        bind_claim(sqlx::query(UPSERT_CLAIM), claim)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Inserts `claims` (none of them in the cache yet, as after
    /// [`CacheWrite::clear`]) with multi-row statements of
    /// [`INSERT_BATCH`] rows, each prepared once and reused.
    pub async fn insert_claims(&mut self, claims: Vec<Claim>) -> Result<(), sqlx::Error> {
        let mut claims = claims.into_iter().peekable();
        while claims.peek().is_some() {
            let batch: Vec<Claim> = claims.by_ref().take(INSERT_BATCH).collect();
            let mut query = sqlx::query(AssertSqlSafe(insert_claims_sql(batch.len())));
            for claim in batch {
                query = bind_claim_owned(query, claim);
            }
            query.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// The transaction's connection, for the benchmark's floor (one
    /// prepared statement per row, see `seatdesk-bench sync`).
    pub fn connection(&mut self) -> &mut sqlx::SqliteConnection {
        &mut self.tx
    }

    /// Drops the claims of `license_id` (before re-fetching them).
    pub async fn clear_claims_of(&mut self, license_id: i64) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM claims WHERE license_id = $1")
            .bind(license_id)
            .execute(&mut *self.tx)
            .await?;
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

    /// Records how many claims the cache holds, then commits it all.
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO meta (key, value) SELECT 'claims', COUNT(*) FROM claims WHERE true \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .execute(&mut *self.tx)
        .await?;
        self.tx.commit().await
    }
}
