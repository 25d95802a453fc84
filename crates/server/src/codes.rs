//! Minting codes that are unique across the database: master, resource,
//! redemption and activation codes live in `codes` (UNIQUE code); teacher
//! codes in `licenses.teacher_code`. A fresh code is checked against both.
//!
//! Collisions are astronomically rare (32^12 or 32^15 values) but possible,
//! so inserts use `ON CONFLICT (code) DO NOTHING` and draw again: a failed
//! statement would abort the whole transaction on PostgreSQL, a skipped
//! row does not.

use std::collections::HashSet;

use crate::db::Conn;
use seatdesk_core::CodeKind;
use seatdesk_core::codes::{CodeShape, generate};

use crate::db::sql::Sql;
use crate::error::{ApiError, ApiResult};

/// Draws before giving up on finding an unused code; reaching it means the
/// generator is broken, not unlucky.
const MAX_DRAWS: usize = 16;
/// Rows per multi-row INSERT (7 values each), well under both backends'
/// parameter limits.
const INSERT_CHUNK: usize = 500;

/// The shape codes of `kind` are minted in.
pub fn shape_of(kind: CodeKind) -> CodeShape {
    match kind {
        CodeKind::Master => CodeShape::Master,
        CodeKind::Resource | CodeKind::Redemption | CodeKind::Activation => CodeShape::Grouped,
    }
}

/// `count` distinct fresh codes from the OS-seeded CSPRNG. Kept out of async
/// code: the thread-local generator must not live across an `.await`.
fn draw(count: usize, shape: CodeShape) -> Vec<String> {
    let mut rng = rand::rng();
    let mut seen = HashSet::with_capacity(count);
    let mut codes = Vec::with_capacity(count);
    while codes.len() < count {
        let code = generate(&mut rng, shape);
        if seen.insert(code.clone()) {
            codes.push(code);
        }
    }
    codes
}

/// Which of `candidates` are already taken anywhere (codes or teacher codes).
async fn taken_among(conn: &mut Conn, candidates: &[String]) -> ApiResult<HashSet<String>> {
    let mut taken = HashSet::new();
    for chunk in candidates.chunks(INSERT_CHUNK) {
        let mut sql = Sql::new("SELECT code FROM codes WHERE code IN (");
        sql.bind_list(chunk.iter().cloned())
            .push(") UNION SELECT teacher_code AS code FROM licenses WHERE teacher_code IN (");
        sql.bind_list(chunk.iter().cloned()).push(")");
        let rows: Vec<String> = sql.query_scalar().fetch_all(&mut *conn).await?;
        taken.extend(rows);
    }
    Ok(taken)
}

/// A teacher code (`XXXXX-XXXX-XXXX`) no license or code uses yet.
pub async fn unused_teacher_code(conn: &mut Conn) -> ApiResult<String> {
    for _ in 0..MAX_DRAWS {
        let candidate = draw(1, CodeShape::Grouped);
        if taken_among(conn, &candidate).await?.is_empty() {
            return Ok(candidate.into_iter().next().unwrap_or_default());
        }
    }
    Err(ApiError::internal("could not find an unused teacher code"))
}

/// What a new row of `codes` carries besides its code.
#[derive(Debug, Clone, Default)]
pub struct CodeFields {
    pub license_id: i64,
    pub batch_id: Option<i64>,
    pub seat_id: Option<i64>,
    pub subject: Option<String>,
    /// 0 = limited only by the license's seats.
    pub max_uses: i64,
    pub expires_at: Option<i64>,
}

/// Inserts one fresh code of `kind`; returns its id and display form.
pub async fn insert_code(
    conn: &mut Conn,
    kind: CodeKind,
    fields: &CodeFields,
    now: i64,
) -> ApiResult<(i64, String)> {
    for _ in 0..MAX_DRAWS {
        let candidate = draw(1, shape_of(kind));
        if !taken_among(conn, &candidate).await?.is_empty() {
            continue;
        }
        let code = candidate.into_iter().next().unwrap_or_default();
        let id: Option<i64> = crate::db::query_scalar(
            "INSERT INTO codes (code, kind, license_id, batch_id, seat_id, subject, max_uses, \
             uses, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9) \
             ON CONFLICT (code) DO NOTHING RETURNING id",
        )
        .bind(code.clone())
        .bind(kind.as_str().to_string())
        .bind(fields.license_id)
        .bind(fields.batch_id)
        .bind(fields.seat_id)
        .bind(fields.subject.clone())
        .bind(fields.max_uses)
        .bind(fields.expires_at)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(id) = id {
            return Ok((id, code));
        }
    }
    Err(ApiError::internal(format!(
        "could not find an unused {kind} code"
    )))
}

/// Inserts `count` fresh activation codes of a batch, all distinct and
/// unused anywhere, in multi-row statements.
pub async fn insert_activation_codes(
    conn: &mut Conn,
    fields: &CodeFields,
    count: usize,
    now: i64,
) -> ApiResult<()> {
    let mut missing = count;
    for _ in 0..MAX_DRAWS {
        if missing == 0 {
            return Ok(());
        }
        let candidates = draw(missing, CodeShape::Grouped);
        let taken = taken_among(conn, &candidates).await?;
        let fresh: Vec<String> = candidates
            .into_iter()
            .filter(|c| !taken.contains(c))
            .collect();
        for chunk in fresh.chunks(INSERT_CHUNK) {
            let mut sql = Sql::new(
                "INSERT INTO codes (code, kind, license_id, batch_id, max_uses, expires_at, created_at) VALUES ",
            );
            for (i, code) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" });
                sql.bind(code.clone())
                    .push(", ")
                    .bind(CodeKind::Activation.as_str().to_string())
                    .push(", ")
                    .bind(fields.license_id)
                    .push(", ");
                sql.bind(fields.batch_id)
                    .push(", ")
                    .bind(fields.max_uses)
                    .push(", ")
                    .bind(fields.expires_at)
                    .push(", ")
                    .bind(now)
                    .push(")");
            }
            sql.push(" ON CONFLICT (code) DO NOTHING RETURNING id");
            let inserted: Vec<i64> = sql.query_scalar().fetch_all(&mut *conn).await?;
            missing -= inserted.len();
        }
    }
    if missing == 0 {
        Ok(())
    } else {
        Err(ApiError::internal(
            "could not find enough unused activation codes",
        ))
    }
}
