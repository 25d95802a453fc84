//! Claims as table columns: reading a million rows builds each `Claim`
//! straight from its columns, with no JSON to parse.

use chrono::{DateTime, Utc};
use seatdesk_core::api::seats::Claim;
use seatdesk_core::{SeatStatus, UserKind};
use sqlx::Row as _;
use sqlx::sqlite::SqliteRow;

use crate::claim_row::{ClaimRow, Interner};

/// The claims table's columns, in the order `SELECT_CLAIMS` reads them.
pub const CLAIMS_TABLE: &str = "CREATE TABLE claims (id INTEGER PRIMARY KEY, license_id INTEGER NOT NULL, \
     product_id INTEGER NOT NULL, product_name TEXT NOT NULL, user_id INTEGER NOT NULL, user_name TEXT NOT NULL, \
     user_email TEXT NOT NULL, user_kind TEXT NOT NULL, org_id INTEGER NOT NULL, org_name TEXT NOT NULL, \
     status TEXT NOT NULL, assigned_at INTEGER NOT NULL, assigned_by TEXT NOT NULL, claimed_at INTEGER, \
     claimed_by TEXT, expired_at INTEGER, expired_by TEXT, revoked_at INTEGER, revoked_by TEXT, \
     redemption_code TEXT, students_assigned INTEGER NOT NULL, updated_at INTEGER NOT NULL)";

pub const SELECT_CLAIMS: &str = "SELECT id, license_id, product_id, product_name, user_id, user_name, user_email, \
     user_kind, org_id, org_name, status, assigned_at, assigned_by, claimed_at, claimed_by, expired_at, \
     expired_by, revoked_at, revoked_by, redemption_code, students_assigned, updated_at FROM claims";

pub const UPSERT_CLAIM: &str = "INSERT OR REPLACE INTO claims (id, license_id, product_id, product_name, user_id, \
     user_name, user_email, user_kind, org_id, org_name, status, assigned_at, assigned_by, claimed_at, claimed_by, \
     expired_at, expired_by, revoked_at, revoked_by, redemption_code, students_assigned, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)";

/// The head of a multi-row insert of claims into an emptied table; one
/// [`CLAIM_VALUES`] group per row follows.
pub const INSERT_CLAIMS: &str = "INSERT INTO claims (id, license_id, product_id, product_name, user_id, \
     user_name, user_email, user_kind, org_id, org_name, status, assigned_at, assigned_by, claimed_at, claimed_by, \
     expired_at, expired_by, revoked_at, revoked_by, redemption_code, students_assigned, updated_at) VALUES ";

/// One row's placeholders. Anonymous `?`: sqlx looks a `$N` name up by a
/// linear scan per value, which makes a statement of thousands of `$N`
/// values cost O(N²) to bind.
pub const CLAIM_VALUES: &str = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/// [`INSERT_CLAIMS`] for `rows` rows.
pub fn insert_claims_sql(rows: usize) -> String {
    let mut sql = String::with_capacity(INSERT_CLAIMS.len() + rows * (CLAIM_VALUES.len() + 2));
    sql.push_str(INSERT_CLAIMS);
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(CLAIM_VALUES);
    }
    sql
}

/// Binds `claim`'s 22 values in [`INSERT_CLAIMS`]'s order, moving its text
/// rather than copying it.
pub fn bind_claim_owned<'q>(
    query: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
    claim: Claim,
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
    let micros = |t: Option<DateTime<Utc>>| t.map(|t| t.timestamp_micros());
    query
        .bind(claim.id)
        .bind(claim.license_id)
        .bind(claim.product_id)
        .bind(claim.product_name)
        .bind(claim.user_id)
        .bind(claim.user_name)
        .bind(claim.user_email)
        .bind(claim.user_kind.as_str())
        .bind(claim.org_id)
        .bind(claim.org_name)
        .bind(claim.status.as_str())
        .bind(claim.assigned_at.timestamp_micros())
        .bind(claim.assigned_by)
        .bind(micros(claim.claimed_at))
        .bind(claim.claimed_by)
        .bind(micros(claim.expired_at))
        .bind(claim.expired_by)
        .bind(micros(claim.revoked_at))
        .bind(claim.revoked_by)
        .bind(claim.redemption_code)
        .bind(claim.students_assigned)
        .bind(claim.updated_at.timestamp_micros())
}

/// Binds `claim` to [`UPSERT_CLAIM`].
pub fn bind_claim<'q>(
    query: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
    claim: &Claim,
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
    let micros = |t: Option<DateTime<Utc>>| t.map(|t| t.timestamp_micros());
    query
        .bind(claim.id)
        .bind(claim.license_id)
        .bind(claim.product_id)
        .bind(claim.product_name.clone())
        .bind(claim.user_id)
        .bind(claim.user_name.clone())
        .bind(claim.user_email.clone())
        .bind(claim.user_kind.as_str())
        .bind(claim.org_id)
        .bind(claim.org_name.clone())
        .bind(claim.status.as_str())
        .bind(claim.assigned_at.timestamp_micros())
        .bind(claim.assigned_by.clone())
        .bind(micros(claim.claimed_at))
        .bind(claim.claimed_by.clone())
        .bind(micros(claim.expired_at))
        .bind(claim.expired_by.clone())
        .bind(micros(claim.revoked_at))
        .bind(claim.revoked_by.clone())
        .bind(claim.redemption_code.clone())
        .bind(claim.students_assigned)
        .bind(claim.updated_at.timestamp_micros())
}

/// One row of [`SELECT_CLAIMS`]; None for a row this build cannot read
/// (an unknown status), which is skipped rather than failing the load.
pub fn claim_from_row(row: &SqliteRow) -> Result<Option<Claim>, sqlx::Error> {
    let time = |i: usize| -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        Ok(row
            .try_get::<Option<i64>, _>(i)?
            .and_then(DateTime::from_timestamp_micros))
    };
    let (Some(user_kind), Some(status)) = (
        UserKind::parse(row.try_get::<&str, _>(7)?),
        SeatStatus::parse(row.try_get::<&str, _>(10)?),
    ) else {
        return Ok(None);
    };
    let (Some(assigned_at), Some(updated_at)) = (time(11)?, time(21)?) else {
        return Ok(None);
    };
    Ok(Some(Claim {
        id: row.try_get(0)?,
        license_id: row.try_get(1)?,
        product_id: row.try_get(2)?,
        product_name: row.try_get(3)?,
        user_id: row.try_get(4)?,
        user_name: row.try_get(5)?,
        user_email: row.try_get(6)?,
        user_kind,
        org_id: row.try_get(8)?,
        org_name: row.try_get(9)?,
        status,
        assigned_at,
        assigned_by: row.try_get(12)?,
        claimed_at: time(13)?,
        claimed_by: row.try_get(14)?,
        expired_at: time(15)?,
        expired_by: row.try_get(16)?,
        revoked_at: time(17)?,
        revoked_by: row.try_get(18)?,
        redemption_code: row.try_get(19)?,
        students_assigned: row.try_get(20)?,
        updated_at,
    }))
}

/// Only the columns a [`ClaimRow`] keeps, in `claim_row_from_row`'s order.
pub const SELECT_CLAIM_ROWS: &str = "SELECT id, license_id, product_id, product_name, user_name, user_email, \
     user_kind, org_name, status, assigned_at, claimed_at, redemption_code, students_assigned FROM claims";

/// One row of [`SELECT_CLAIM_ROWS`], names shared through `names`; None
/// for a row this build cannot read.
pub fn claim_row_from_row(
    row: &SqliteRow,
    names: &mut Interner,
) -> Result<Option<ClaimRow>, sqlx::Error> {
    let (Some(user_kind), Some(status)) = (
        UserKind::parse(row.try_get::<&str, _>(6)?),
        SeatStatus::parse(row.try_get::<&str, _>(8)?),
    ) else {
        return Ok(None);
    };
    let Some(assigned_at) = DateTime::from_timestamp_micros(row.try_get(9)?) else {
        return Ok(None);
    };
    Ok(Some(ClaimRow {
        id: row.try_get(0)?,
        license_id: row.try_get(1)?,
        product_id: row.try_get(2)?,
        product_name: names.get(row.try_get::<&str, _>(3)?),
        user_name: row.try_get::<&str, _>(4)?.into(),
        user_email: row.try_get::<&str, _>(5)?.into(),
        org_name: names.get(row.try_get::<&str, _>(7)?),
        redemption_code: row.try_get::<Option<&str>, _>(11)?.map(Box::from),
        assigned_at,
        claimed_at: row
            .try_get::<Option<i64>, _>(10)?
            .and_then(DateTime::from_timestamp_micros),
        students_assigned: row.try_get(12)?,
        user_kind,
        status,
    }))
}
