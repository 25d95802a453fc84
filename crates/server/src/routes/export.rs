//! `GET /v1/export`: every license and claim of the token's subtree in one
//! streamed, compressed answer, for a client's first sync (the wire format
//! is [`seatdesk_core::api::export`]). The rows are read in keyset chunks
//! inside one snapshot transaction whose feed head leads the stream, so a
//! client continues with `/v1/changes?after=<head>` and misses nothing;
//! only a few chunks are in memory whatever the size of the export.

use std::io::Write as _;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use seatdesk_core::Permission;
use seatdesk_core::api::export::{
    EXPORT_CONTENT_TYPE, EXPORT_FORMAT, ExportEnd, ExportHead, ExportLine,
};
use seatdesk_core::api::seats::Claim;
use seatdesk_core::problem::ProblemResponses;
use tokio::sync::mpsc;
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::db::Conn;
use crate::domain::licenses::today;
use crate::domain::scope::Scope;
use crate::error::ApiResult;
use crate::http::auth::Auth;
use crate::store;

/// The header that repeats the head line's feed position.
pub const FEED_HEAD_HEADER: &str = "x-seatdesk-feed-head";

/// Claims per keyset step: one statement (one JSON value on SQLite) each.
const CHUNK: i64 = 5_000;
/// Encoded chunks queued ahead of a slow reader; past that the reads wait,
/// so memory stays flat however large the export.
const QUEUED: usize = 2;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export))
        // zstd or gzip, as the client's Accept-Encoding asks (none if it
        // asks for neither). Level 1 ("fastest"): on a fast link the
        // encoder, not the wire, is what the export waits for; zstd at
        // level 1 still shrinks the JSON about tenfold.
        .layer(
            CompressionLayer::new()
                .no_br()
                .no_deflate()
                .quality(CompressionLevel::Fastest),
        )
}

/// Every license and claim in the token's subtree, streamed as NDJSON: a
/// `head` line (format and the change-feed position the rows reflect), one
/// `license` line per license, one `claim` line per claim in id order, and
/// an `end` line with the counts. A stream that stops before its `end`
/// line was cut off and must be discarded. Compressed with zstd or gzip
/// when `Accept-Encoding` offers them.
#[utoipa::path(get, path = "/v1/export", tag = "seats", security(("bearer" = [])),
    responses(
        (status = 200,
         description = "Newline-delimited JSON, one ExportLine per line: head, licenses, claims, end",
         content((ExportLine = "application/x-ndjson")),
         headers(("x-seatdesk-feed-head" = i64,
                  description = "The change-feed position the rows reflect (as in the head line)"))),
        ProblemResponses))]
async fn export(State(state): State<AppState>, auth: Auth) -> ApiResult<Response> {
    auth.require(Permission::Read)?;
    let mut conn = state.db.pool.begin_snapshot().await?;
    // The first read fixes the snapshot: the head and every row after it
    // come from the same committed state.
    let feed_head = store::audit::feed_head(&mut conn).await?;
    let head = ExportHead {
        format: EXPORT_FORMAT,
        feed_head,
        at: chrono::Utc::now(),
    };
    let (sender, receiver) = mpsc::channel(QUEUED);
    tokio::spawn(produce(conn, auth.scope.clone(), head, sender));
    // Fused: the compression layer may poll again after the end.
    let stream = futures::StreamExt::fuse(futures::stream::unfold(
        receiver,
        |mut receiver| async move { receiver.recv().await.map(|chunk| (chunk, receiver)) },
    ));
    Ok((
        [
            (CONTENT_TYPE, EXPORT_CONTENT_TYPE.to_string()),
            (
                axum::http::HeaderName::from_static(FEED_HEAD_HEADER),
                feed_head.to_string(),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

type Chunk = Result<Bytes, std::io::Error>;

/// Reads and encodes the export chunk by chunk into `sender`. A failure
/// ends the body with an error, so the client sees a broken stream (never
/// an `end` line); a client that hangs up ends the reads.
async fn produce(mut conn: Conn, scope: Scope, head: ExportHead, sender: mpsc::Sender<Chunk>) {
    if let Err(error) = write_lines(&mut conn, &scope, head, &sender).await {
        match error {
            Stop::Gone => {}
            Stop::Failed(detail) => {
                tracing::error!(%detail, "the export stopped part way");
                let _ = sender.send(Err(std::io::Error::other(detail))).await;
            }
        }
    }
    // Read-only: rolling back just ends the snapshot.
    drop(conn);
}

enum Stop {
    /// The client went away.
    Gone,
    Failed(String),
}

impl From<sqlx::Error> for Stop {
    fn from(error: sqlx::Error) -> Stop {
        Stop::Failed(format!("database: {error}"))
    }
}

impl From<serde_json::Error> for Stop {
    fn from(error: serde_json::Error) -> Stop {
        Stop::Failed(format!("encoding: {error}"))
    }
}

async fn write_lines(
    conn: &mut Conn,
    scope: &Scope,
    head: ExportHead,
    sender: &mpsc::Sender<Chunk>,
) -> Result<(), Stop> {
    let send = async |buffer: Vec<u8>| {
        sender
            .send(Ok(Bytes::from(buffer)))
            .await
            .map_err(|_| Stop::Gone)
    };
    let mut buffer = serde_json::to_vec(&ExportLine::Head(head))?;
    buffer.push(b'\n');
    // At once: the client knows the stream is alive while licenses count.
    send(std::mem::take(&mut buffer)).await?;
    let today = today();
    let mut end = ExportEnd {
        licenses: 0,
        claims: 0,
    };
    let mut after = None;
    loop {
        let rows = store::export::licenses(conn, scope, today, after, CHUNK).await?;
        let Some(last) = rows.last() else { break };
        after = Some(last.id);
        for row in rows {
            buffer.extend_from_slice(b"{\"license\":");
            serde_json::to_writer(&mut buffer, &row.into_api(today))?;
            buffer.extend_from_slice(b"}\n");
            end.licenses += 1;
        }
    }
    send(std::mem::take(&mut buffer)).await?;
    let mut after = 0;
    loop {
        let rows = store::export::claims_after(conn, scope, after, CHUNK).await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        let mut buffer = Vec::with_capacity(rows.len() * 600);
        for row in rows {
            buffer.extend_from_slice(b"{\"claim\":");
            serde_json::to_writer(&mut buffer, &Claim::from(row))?;
            buffer.extend_from_slice(b"}\n");
            end.claims += 1;
        }
        send(buffer).await?;
    }
    let mut buffer = serde_json::to_vec(&ExportLine::End(end))?;
    let _ = writeln!(buffer);
    send(buffer).await
}
