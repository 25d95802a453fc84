//! Everything that can happen to the dashboard, as data: keys (already
//! mapped through the key map), ticks, and results of background work.
//! `update` turns each into state changes plus [`Effect`]s to run.

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use seatdesk_client::ClaimRow;
use seatdesk_client::cache::CachedDashboard;
use seatdesk_client::{Head, Patch, Snapshot};
use seatdesk_core::api::alerts::Alerts;
use seatdesk_core::api::audit::AuditEvent;
use seatdesk_core::api::codes::CodeBatch;
use seatdesk_core::api::dashboard::DashboardQuery;
use seatdesk_core::api::inventory::{License, Product};
use seatdesk_core::api::reclaim::{
    ReclaimPolicy, ReclaimReport, ReclaimRun, ReclaimSummary, SummaryQuery,
};
use seatdesk_core::api::requests::LicenseRequest;
use seatdesk_core::api::triage::AccessCheck;
use seatdesk_core::api::{BulkResult, Me};

use crate::app::CodesData;
use crate::keymap::Command;

#[derive(Debug, Clone)]
pub enum Action {
    /// A command from the key map or the palette.
    Run(Command),
    /// A key typed while a text field (filter, palette, confirmation) has focus.
    Text(KeyEvent),
    /// Text pasted into the terminal (bracketed paste), whole.
    Paste(String),
    /// Confirms the open dialog or text field.
    Submit,
    /// The clock moved on; drives the spinner, the cache age and syncs.
    Tick(DateTime<Utc>),
    Resize {
        width: u16,
        height: u16,
    },
    /// Ctrl-C or SIGINT: leave at once.
    Interrupt,
    Sync(SyncAction),
    Search(SearchAction),
    Bulk(BulkAction),
    Audit(AuditAction),
    Me(Result<Me, String>),
    /// Purchasing accounts in scope, labelled "Org / Account (number)".
    Accounts(Result<Vec<(i64, String)>, String>),
    /// A background job finished with a message for the status line.
    Notice(Result<String, String>),
    Inventory(InventoryAction),
    Codes(CodesAction),
    /// The answer of an access check of `user` for `product`.
    Access {
        user: String,
        product: String,
        result: Result<AccessCheck, String>,
    },
    Alerts(Result<Alerts, String>),
    /// Whether the server answered the liveness probe; Err says why not.
    Probed(Result<(), String>),
    Dashboard(DashboardAction),
    Reclaim(ReclaimAction),
}

/// Answers for the Reclaim view and the Dashboard's reclaim line.
#[derive(Debug, Clone)]
pub enum ReclaimAction {
    /// The policies (and whether there were more than were loaded), with
    /// the unfiltered summary of their candidates.
    Loaded(Result<(Vec<ReclaimPolicy>, bool, ReclaimSummary), String>),
    /// The summary for the Dashboard view `query`.
    Summary {
        query: SummaryQuery,
        result: Result<ReclaimSummary, String>,
    },
    /// A dry run of `policy_id` for the preview.
    Previewed {
        policy_id: i64,
        result: Result<ReclaimReport, String>,
    },
    /// A dry run of `policy_id` for the confirmation of a run.
    Checked {
        policy_id: i64,
        result: Result<ReclaimReport, String>,
    },
    /// A run of `policy_id` answered.
    Ran {
        policy_id: i64,
        result: Result<ReclaimReport, String>,
    },
    Toggled {
        policy_id: i64,
        result: Result<ReclaimPolicy, String>,
    },
    Runs {
        policy_id: i64,
        result: Result<Vec<ReclaimRun>, String>,
    },
}

#[derive(Debug, Clone)]
pub enum DashboardAction {
    /// The cache's copy for `query`'s view (None when it has none).
    Cached {
        query: DashboardQuery,
        cached: Option<CachedDashboard>,
    },
    /// The server's answer for `query`'s view; `offline` when unreachable.
    Fetched {
        query: DashboardQuery,
        result: Result<CachedDashboard, String>,
        offline: bool,
    },
}

#[derive(Debug, Clone)]
pub enum InventoryAction {
    /// One page of licenses for search `generation`; `last` when no more follow.
    Page {
        generation: u64,
        items: Vec<License>,
        last: bool,
        truncated: bool,
    },
    Failed {
        generation: u64,
        error: String,
        offline: bool,
    },
    Requests(Result<Vec<LicenseRequest>, String>),
    Products(Result<Vec<Product>, String>),
    /// Activation or deactivation of `license_id` answered.
    Toggled {
        license_id: i64,
        result: Result<License, String>,
    },
    Submitted(Result<LicenseRequest, String>),
    Decided {
        request_id: i64,
        result: Result<LicenseRequest, String>,
    },
}

#[derive(Debug, Clone)]
pub enum CodesAction {
    Loaded {
        generation: u64,
        result: Result<(CodesData, bool), String>,
    },
    BatchCreated(Result<CodeBatch, String>),
    /// A batch's options changed (or why not).
    BatchUpdated(Result<CodeBatch, String>),
    /// An export finished: the message names the file, or why it failed.
    Exported(Result<String, String>),
}

#[derive(Debug, Clone)]
pub enum SyncAction {
    /// Everything but the claims, read from the cache at start-up: enough
    /// to paint the dashboard. The claims follow in chunks.
    Opened(Box<Head>),
    /// The next claims of cache load `generation`, in id order.
    Claims {
        generation: u64,
        chunk: Vec<ClaimRow>,
    },
    /// Cache load `generation` has sent every chunk (or failed).
    ClaimsDone {
        generation: u64,
        result: Result<usize, String>,
    },
    /// The background integrity check found the cache damaged; it has been
    /// emptied and needs a full sync.
    CacheRebuilt(String),
    /// Rows read from the cache (after a full sync).
    Loaded(Box<Snapshot>),
    /// Only the rows a delta sync changed.
    Patched(Box<Patch>),
    /// A sync finished; `changed` rows or events were applied.
    Done { changed: usize, at: DateTime<Utc> },
    /// A sync failed; `offline` when the server was unreachable.
    Failed { error: String, offline: bool },
}

#[derive(Debug, Clone)]
pub enum SearchAction {
    /// The first screenful of matches of query `generation`, in display
    /// order, while the search goes on; `found` shown matches so far.
    FirstScreen {
        generation: u64,
        indices: Vec<u32>,
        found: usize,
    },
    /// How many shown matches the running search has found so far.
    Progress { generation: u64, found: usize },
    /// The complete result of query `generation`: claim indices, in the
    /// display order the search scanned.
    Matched { generation: u64, indices: Vec<u32> },
}

#[derive(Debug, Clone)]
pub enum BulkAction {
    /// The server's dry run of the revocation being confirmed, every chunk.
    RevokeChecked(Result<BulkResult, String>),
    /// One chunk of a revocation answered (or failed, with the ids it carried).
    RevokeChunk(Result<BulkResult, (Vec<i64>, String)>),
    /// Every chunk has been sent.
    RevokeFinished,
    Restored(Result<BulkResult, String>),
}

#[derive(Debug, Clone)]
pub enum AuditAction {
    Loaded(Result<Vec<AuditEvent>, String>),
}
