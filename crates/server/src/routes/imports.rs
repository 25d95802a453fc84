//! Roster imports over HTTP: `POST /v1/imports/oneroster`.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::Response;
use seatdesk_core::api::imports::{ImportReport, OneRosterImport};
use seatdesk_core::problem::ProblemResponses;
use seatdesk_core::{Permission, Problem};
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::http::auth::Auth;
use crate::http::{IdempotencyKey, Json};
use crate::mutation::{self, Mode};
use crate::oneroster;

/// Largest import body: a district's full roster is far above the API's
/// default limit, so this route alone accepts more.
pub const IMPORT_BODY_LIMIT: usize = 64 * 1024 * 1024;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_oneroster))
        .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT))
}

/// Imports a OneRoster 1.1 CSV roster into the caller's org subtree: orgs
/// and users created or updated, role rules applied, users missing from a
/// bulk users.csv archived. Bad rows are reported and skipped; `dry_run`
/// answers the same report and changes nothing.
#[utoipa::path(post, path = "/v1/imports/oneroster", tag = "users", security(("bearer" = [])),
    request_body = OneRosterImport,
    responses((status = 200, description = "What the import did (or would do, on a dry run), row by row", body = ImportReport),
              (status = 422, description = "A file is missing or unreadable", body = Problem, content_type = "application/problem+json"),
              ProblemResponses))]
async fn import_oneroster(
    State(state): State<AppState>,
    auth: Auth,
    key: IdempotencyKey,
    Json(body): Json<OneRosterImport>,
) -> ApiResult<Response> {
    auth.require(Permission::ManageUsers)?;
    let roster = oneroster::parse(&body.files).map_err(|e| ApiError::invalid(e.0))?;
    // The body may be megabytes; its hash identifies it well enough.
    let digest = Sha256::digest(serde_json::to_vec(&body).unwrap_or_default());
    let fingerprint = format!("import_oneroster:{}", hex::encode(digest));
    let mode = if body.dry_run {
        Mode::DryRun
    } else {
        Mode::Commit
    };
    mutation::run_mode(&state, &auth, &key, fingerprint, mode, async |w| {
        let mut report = oneroster::apply(w, &auth, &roster).await?;
        report.dry_run = body.dry_run;
        Ok((StatusCode::OK, report))
    })
    .await
}
