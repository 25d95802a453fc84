//! `GET /v1/export`: every license and claim of the token's subtree in one
//! streamed answer, for a client's first sync. One JSON value per line
//! (NDJSON): a [`ExportLine::Head`] first, then licenses, then claims in id
//! order, then [`ExportLine::End`]. A stream without its end line was cut
//! short and must not be used.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::inventory::License;
use super::seats::Claim;

/// The media type of the export: newline-delimited JSON.
pub const EXPORT_CONTENT_TYPE: &str = "application/x-ndjson";

/// Bumped when the lines change in a way an older client cannot read.
pub const EXPORT_FORMAT: u32 = 1;

/// One line of the export, tagged by its one key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportLine {
    Head(ExportHead),
    License(License),
    Claim(Claim),
    End(ExportEnd),
}

/// The first line: what the rows are consistent with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExportHead {
    /// [`EXPORT_FORMAT`] of the server that wrote the stream.
    pub format: u32,
    /// The change-feed position the rows reflect, read in the same
    /// snapshot: continue with `GET /v1/changes?after=<feed_head>`, and no
    /// change is missed or counted twice.
    pub feed_head: i64,
    /// When the snapshot was taken.
    pub at: DateTime<Utc>,
}

/// The last line: how many rows came before it. Only a stream that ends
/// with it is complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExportEnd {
    pub licenses: u64,
    pub claims: u64,
}
