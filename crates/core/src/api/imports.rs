//! Roster imports: the OneRoster 1.1 CSV request and the report of what it
//! did (or, on a dry run, what it would do).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::users::AssignmentOutcome;

/// `POST /v1/imports/oneroster`: the bulk files by name, e.g.
/// `{"manifest.csv": "...", "orgs.csv": "...", "users.csv": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OneRosterImport {
    pub files: BTreeMap<String, String>,
    /// Run the import and roll it back: the report says exactly what a real
    /// run would do, and nothing changes.
    #[serde(default)]
    pub dry_run: bool,
}

/// What an import did to one kind of entity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EntityCounts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub archived: usize,
}

/// A row that was not imported, and why. `line` is the CSV line (the
/// header is line 1).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
pub struct BadRow {
    pub file: String,
    pub line: u64,
    pub reason: String,
}

/// What a role rule did for one imported user. Seat ids are left out so a
/// dry run's report equals the real run's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ImportAssignment {
    /// The user's OneRoster sourcedId.
    pub user: String,
    pub product_id: i64,
    pub product_name: String,
    pub outcome: AssignmentOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The answer of a roster import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    /// True when nothing was written.
    pub dry_run: bool,
    pub orgs: EntityCounts,
    pub users: EntityCounts,
    /// Valid class rows (classes are checked, not stored).
    pub classes: usize,
    /// Valid enrollment rows (checked, not stored).
    pub enrollments: usize,
    pub bad_rows: Vec<BadRow>,
    pub assignments: Vec<ImportAssignment>,
    /// Files ignored, rows skipped on purpose, and similar remarks.
    pub notes: Vec<String>,
}
