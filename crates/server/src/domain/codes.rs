//! Codes of a license and activation-code batches: a resource code per
//! subject, batches that only promise seats the license still has, batch
//! options, and the Download Codes sheet. Minting fresh codes is
//! [`crate::codes`]; the SQL is [`crate::store::codes`].

use axum::http::StatusCode;
use seatdesk_core::CodeKind;
use seatdesk_core::api::codes::{BatchOptions, Code, CodeBatch, CodeBatchPatch, NewCodeBatch};
use seatdesk_core::problem::kinds;

use crate::codes::{insert_activation_codes, insert_code};
use crate::db::{Backend, Conn};
use crate::domain::licenses::{load_license, today, unusable_reason};
use crate::domain::scope::Scope;
use crate::error::{ApiError, ApiResult};
use crate::export::CodeSheetRow;
use crate::mutation::Work;
use crate::store::audit::NewEvent;
use crate::store::codes::CodeFields;
use crate::store::codes::{self as store, BatchRow, NewBatch};

const DAY_MS: i64 = 86_400_000;

/// Longest subject name accepted.
const MAX_SUBJECT_LEN: usize = 100;

/// A resource code's subject, trimmed, if its length is accepted.
pub fn resource_subject(text: &str) -> ApiResult<String> {
    let subject = text.trim().to_string();
    // Counted as sent, as the schema's maxLength does.
    if subject.is_empty() || text.chars().count() > MAX_SUBJECT_LEN {
        return Err(ApiError::invalid(format!(
            "subject must be 1 to {MAX_SUBJECT_LEN} characters"
        )));
    }
    Ok(subject)
}

/// A batch as the API shows it; its codes expire `duration_days` after it
/// was made.
pub fn batch_api(row: &BatchRow) -> CodeBatch {
    CodeBatch {
        id: row.id,
        license_id: row.license_id,
        code_count: row.code_count,
        users_per_code: row.users_per_code,
        duration_days: row.duration_days,
        options: BatchOptions {
            enable_benchmark: row.enable_benchmark.0,
            enable_exercises: row.enable_exercises.0,
            enable_badges: row.enable_badges.0,
            require_teacher_link: row.require_teacher_link.0,
        },
        created_by: row.created_by.clone(),
        created_at: row.created_at.0,
        expires_at: row.created_at.0 + chrono::Duration::milliseconds(row.duration_days * DAY_MS),
        uses: row.uses,
    }
}

/// Loads a batch whose license lies in `scope`, or 404.
pub async fn load_batch(conn: &mut Conn, scope: &Scope, id: i64) -> ApiResult<BatchRow> {
    store::batch(conn, id)
        .await?
        .filter(|r| scope.contains(&r.org_path))
        .ok_or_else(|| ApiError::not_found(format!("code batch {id}")))
}

pub async fn load_code(conn: &mut Conn, id: i64) -> ApiResult<Code> {
    Ok(store::code(conn, id).await?.into())
}

/// Makes the resource code of `subject` (already validated) for a license
/// in `scope` whose product has them; one code per subject and license.
pub async fn create_resource_code(
    w: &mut Work,
    scope: &Scope,
    id: i64,
    subject: String,
) -> ApiResult<Code> {
    let license = load_license(w.conn(), scope, id).await?;
    let org_path = license.org_path.clone();
    let license = license.into_api(today());
    let has_resource_codes = store::has_resource_codes(w.conn(), license.product_id).await?;
    if !has_resource_codes {
        return Err(ApiError::conflict(format!(
            "{} has no resource codes; only products with per-subject classes \
             (ALEKS, Redbird) do",
            license.product_name
        )));
    }
    if let Some(code) = store::resource_code_for(w.conn(), id, &subject).await? {
        return Err(ApiError::conflict(format!(
            "license {id} already has resource code {code} for {subject}"
        )));
    }
    let fields = CodeFields {
        license_id: id,
        subject: Some(subject.clone()),
        ..CodeFields::default()
    };
    let now = w.now;
    let (code_id, _) = insert_code(w.conn(), CodeKind::Resource, &fields, now).await?;
    let code = load_code(w.conn(), code_id).await?;
    w.record(NewEvent {
        action: "code.create",
        target_type: "code",
        target_id: code_id,
        org_path,
        before: None,
        after: serde_json::to_value(&code).ok(),
    });
    Ok(code)
}

/// Create Codes: a batch of activation codes (`body` already validated)
/// for a license in `scope`. The codes' users must fit in the seats still
/// available and not already promised to earlier batches, so every code
/// handed out can be honoured.
pub async fn create_batch(
    w: &mut Work,
    backend: Backend,
    scope: &Scope,
    id: i64,
    body: &NewCodeBatch,
) -> ApiResult<CodeBatch> {
    if backend == Backend::Postgres {
        // Serialises batch creation per license, so two batches cannot
        // both count the same free seats.
        crate::store::seats::lock_licenses(w.conn(), &[id]).await?;
    }
    let license = load_license(w.conn(), scope, id).await?;
    let org_path = license.org_path.clone();
    let license = license.into_api(today());
    if let Some(reason) = unusable_reason(&license) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            kinds::LICENSE_NOT_USABLE,
            reason,
        ));
    }
    let now = w.now;
    let promised = store::promised_seats(w.conn(), id, now).await?;
    let needed = body.count * body.users_per_code;
    let free = license.seats_available - promised;
    if needed > free {
        return Err(ApiError::no_seats_left(format!(
            "{} codes for {} user(s) each need {needed} seats; license {id} has {} seats \
             available, {promised} of them promised to earlier unredeemed codes",
            body.count, body.users_per_code, license.seats_available
        )));
    }
    let options = body.options();
    let actor = w.actor.clone();
    let new = NewBatch {
        license_id: id,
        code_count: body.count,
        users_per_code: body.users_per_code,
        duration_days: body.duration_days,
        options: &options,
        created_by: &actor,
    };
    let batch_id = store::insert_batch(w.conn(), &new, now).await?;
    let fields = CodeFields {
        license_id: id,
        batch_id: Some(batch_id),
        max_uses: body.users_per_code,
        expires_at: Some(now.saturating_add(chrono::TimeDelta::days(body.duration_days))),
        ..CodeFields::default()
    };
    insert_activation_codes(w.conn(), &fields, body.count as usize, now).await?;
    let batch = batch_api(&load_batch(w.conn(), scope, batch_id).await?);
    // One event for the batch; its codes are read from the batch.
    w.record(NewEvent {
        action: "code_batch.create",
        target_type: "code_batch",
        target_id: batch_id,
        org_path,
        before: None,
        after: serde_json::to_value(&batch).ok(),
    });
    Ok(batch)
}

/// Save: changes a batch's options after its codes were created; options
/// left out keep their value.
pub async fn patch_batch(
    w: &mut Work,
    scope: &Scope,
    id: i64,
    body: &CodeBatchPatch,
) -> ApiResult<CodeBatch> {
    let row = load_batch(w.conn(), scope, id).await?;
    let before = batch_api(&row).options;
    let after = BatchOptions {
        enable_benchmark: body.enable_benchmark.unwrap_or(before.enable_benchmark),
        enable_exercises: body.enable_exercises.unwrap_or(before.enable_exercises),
        enable_badges: body.enable_badges.unwrap_or(before.enable_badges),
        require_teacher_link: body
            .require_teacher_link
            .unwrap_or(before.require_teacher_link),
    };
    store::update_batch_options(w.conn(), id, &after).await?;
    let batch = batch_api(&load_batch(w.conn(), scope, id).await?);
    w.record(NewEvent {
        action: "code_batch.update",
        target_type: "code_batch",
        target_id: id,
        org_path: row.org_path.clone(),
        before: serde_json::to_value(before).ok(),
        after: serde_json::to_value(after).ok(),
    });
    Ok(batch)
}

/// The Download Codes sheet of a batch in `scope`: name and email are
/// filled only for single-user codes that were redeemed.
pub async fn batch_sheet(conn: &mut Conn, scope: &Scope, id: i64) -> ApiResult<Vec<CodeSheetRow>> {
    load_batch(conn, scope, id).await?;
    let lines = store::sheet_lines(conn, id).await?;
    Ok(lines
        .into_iter()
        .map(|(code, users_per_code, name, last_name, email)| {
            let single = users_per_code == 1;
            let fill = |value: Option<String>| value.filter(|_| single).unwrap_or_default();
            CodeSheetRow {
                code,
                users_per_code,
                name: fill(name),
                last_name: fill(last_name),
                email: fill(email),
            }
        })
        .collect())
}
