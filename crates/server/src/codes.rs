//! Minting codes that are unique across the database: master, resource,
//! redemption and activation codes live in `codes` (UNIQUE code); teacher
//! codes in `licenses.teacher_code`. A fresh code is checked against both.
//!
//! Collisions are astronomically rare (32^12 or 32^15 values) but possible,
//! so the store's inserts skip a taken code and this draws again. The SQL
//! is in [`crate::store::codes`].

use std::collections::HashSet;

use seatdesk_core::CodeKind;
use seatdesk_core::codes::{CodeShape, generate};

use crate::db::Conn;
use crate::db::types::Stamp;
use crate::error::{ApiError, ApiResult};
use crate::store::codes::CodeFields;
use crate::store::codes::{self as store, taken_among};

// The fields of a new code are the row's; kept reachable here for callers.

/// Draws before giving up on finding an unused code; reaching it means the
/// generator is broken, not unlucky.
const MAX_DRAWS: usize = 16;

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

/// Inserts one fresh code of `kind`; returns its id and display form.
pub async fn insert_code(
    conn: &mut Conn,
    kind: CodeKind,
    fields: &CodeFields,
    now: Stamp,
) -> ApiResult<(i64, String)> {
    for _ in 0..MAX_DRAWS {
        let candidate = draw(1, shape_of(kind));
        if !taken_among(conn, &candidate).await?.is_empty() {
            continue;
        }
        let code = candidate.into_iter().next().unwrap_or_default();
        let id = store::insert_code(conn, &code, kind, fields, now).await?;
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
    now: Stamp,
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
        missing -= store::insert_activation_codes(conn, &fresh, fields, now).await?;
    }
    if missing == 0 {
        Ok(())
    } else {
        Err(ApiError::internal(
            "could not find enough unused activation codes",
        ))
    }
}
