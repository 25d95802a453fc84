//! The dashboard's whole state. `render` reads it; only `update` changes it.

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use seatdesk_client::ClaimRow;
use seatdesk_client::cache::CachedDashboard;
use seatdesk_core::api::Me;
use seatdesk_core::api::alerts::Alert;
use seatdesk_core::api::audit::AuditEvent;
use seatdesk_core::api::codes::{ExportFormat, NewCodeBatch};
use seatdesk_core::api::dashboard::{DashboardQuery, ProductSummary};
use seatdesk_core::api::inventory::{License, LicenseQuery, Product};
use seatdesk_core::api::requests::NewRequest;
use seatdesk_core::api::seats::ClaimSort;
use seatdesk_core::api::triage::AccessCheck;
use seatdesk_core::{Permission, SeatStatus, UserKind};

use crate::form::Form;
use crate::keymap::{Command, KeyMap};
use crate::theme::Theme;

mod codes;
mod inventory;
mod reclaim;
mod views;

pub use codes::{CODES_MAX, CodeTab, CodesData, CodesView};
pub use inventory::{
    INVENTORY_MAX, InventoryTab, InventoryView, ORDER_STATUSES, SearchField, inventory_type_label,
    order_status_label,
};
pub use reclaim::{
    Answer, POLICIES_MAX, RUNS_MAX, ReclaimEffect, ReclaimScreen, ReclaimTarget, ReclaimView,
    interval_label, minute, rule_label, rule_sentence,
};
pub use views::{Picker, SavedView};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Dashboard,
    Claims,
    Teachers,
    Codes,
    Inventory,
    Audit,
    /// The Reclaim view (`:reclaim`): not a numbered tab, it opens over the
    /// pane it came from and Esc returns there.
    Reclaim,
}

impl Pane {
    pub const ALL: [Pane; 6] = [
        Pane::Dashboard,
        Pane::Claims,
        Pane::Teachers,
        Pane::Codes,
        Pane::Inventory,
        Pane::Audit,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Dashboard => "Dashboard",
            Pane::Claims => "Claims",
            Pane::Teachers => "Teachers",
            Pane::Codes => "Codes",
            Pane::Inventory => "Inventory",
            Pane::Audit => "Audit",
            Pane::Reclaim => "Reclaim",
        }
    }

    pub fn index(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }
}

/// Cursor and scroll offset of a list; the offset keeps the cursor on screen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListState {
    pub cursor: usize,
    pub offset: usize,
}

impl ListState {
    /// Moves by `delta` within `len` rows, scrolling a window of `height`.
    pub fn step(&mut self, delta: isize, len: usize, height: usize) {
        if len == 0 {
            *self = ListState::default();
            return;
        }
        let target = self.cursor as isize + delta;
        self.cursor = target.clamp(0, len as isize - 1) as usize;
        self.scroll(len, height);
    }

    pub fn scroll(&mut self, len: usize, height: usize) {
        let height = height.max(1);
        self.cursor = self.cursor.min(len.saturating_sub(1));
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + height {
            self.offset = self.cursor + 1 - height;
        }
        self.offset = self.offset.min(len.saturating_sub(height.min(len)));
    }
}

#[derive(Debug, Clone, Default)]
pub struct SyncStatus {
    /// When the cached rows were last confirmed by the server.
    pub last_sync: Option<DateTime<Utc>>,
    pub in_flight: bool,
    /// Why the server could not be reached, while it cannot.
    pub offline: Option<String>,
    /// The last non-network failure (refused token, bad answer).
    pub error: Option<String>,
    pub next_at: Option<DateTime<Utc>>,
    /// When the server is probed next (between syncs, so losing it shows
    /// within seconds); None: at the next tick.
    pub probe_at: Option<DateTime<Utc>>,
    pub probing: bool,
    /// True once rows from the cache or the server have arrived.
    pub loaded: bool,
}

#[derive(Debug, Clone)]
pub struct ClaimsView {
    /// Shown statuses, in `SeatStatus::ALL` order.
    pub statuses: [bool; 4],
    pub product: Option<i64>,
    /// Only claims assigned within this many days of now.
    pub assigned_within: Option<i64>,
    /// Only claims assigned more than this many days ago (`:older N`).
    pub older_than: Option<i64>,
    pub sort: ClaimSort,
    pub query: String,
    /// Bumped per query so late results of an older query are dropped.
    pub generation: u64,
    /// The last complete search result (None without a query).
    pub matched: Option<Matched>,
    /// True while the search for `query` runs.
    pub searching: bool,
    /// The running search's first screenful of matches, in display order;
    /// shown until its complete result replaces it.
    pub partial: Option<Arc<Vec<u32>>>,
    /// Shown matches the running search has found so far.
    pub found: usize,
    /// `order_version` the running search scans in.
    pub search_order: u64,
    /// Indices into `App::claims` after every filter, in display order.
    pub rows: Vec<u32>,
    pub list: ListState,
    /// Every claim index in `order_sort` order, so filtering a million rows
    /// places them by one pass instead of a sort, and searches scan in
    /// display order. `order_sort` is None when the rows changed since.
    pub order: Arc<Vec<u32>>,
    pub order_sort: Option<ClaimSort>,
    /// Bumped whenever `order` is rebuilt.
    pub order_version: u64,
    /// Per-claim character masks the search fills in and reuses.
    pub masks: Arc<crate::model::Masks>,
}

/// A complete search result: every claim matching `query`.
#[derive(Debug, Clone)]
pub struct Matched {
    pub query: String,
    /// Claim indices, in `order` order when `order` equals the view's
    /// `order_version` (any other value: not yet placed).
    pub indices: Arc<Vec<u32>>,
    pub order: u64,
    /// Exact (0) and substring (1) matches by claim index, shown before
    /// the fuzzy ones; None when the result is too large to rank.
    pub ranks: Option<Arc<std::collections::HashMap<u32, u8>>>,
}

impl Default for ClaimsView {
    fn default() -> Self {
        ClaimsView {
            statuses: [true; 4],
            product: None,
            assigned_within: None,
            older_than: None,
            sort: ClaimSort::AssignedAt,
            query: String::new(),
            generation: 0,
            matched: None,
            searching: false,
            partial: None,
            found: 0,
            search_order: 0,
            rows: Vec::new(),
            list: ListState::default(),
            order: Arc::default(),
            order_sort: None,
            order_version: 0,
            masks: Arc::default(),
        }
    }
}

impl ClaimsView {
    pub fn shows(&self, status: SeatStatus) -> bool {
        self.statuses[status.index()]
    }
}

#[derive(Debug, Clone, Default)]
pub struct TeachersView {
    pub license: Option<i64>,
    pub query: String,
    /// Live teacher seats of the license that pass the filter.
    pub rows: Vec<u32>,
    /// Seat ids of `rows`, so a frame counts hidden marks without walking
    /// every row of the license.
    pub shown: HashSet<i64>,
    /// The license's live teacher seats (claim indices), so a key typed
    /// into the filter does not walk every claim. None after rows change.
    pub seats: Option<(i64, Vec<u32>)>,
    pub list: ListState,
    /// Marked seat ids; they survive refreshes and filter changes.
    pub marks: BTreeSet<i64>,
    /// Where the last mark was made, for `v` ranges.
    pub anchor: Option<i64>,
    /// Seat ids of the last bulk revocation that went through, for undo.
    pub last_revoked: Vec<i64>,
    /// Answers gathered while a bulk request's chunks come back.
    pub pending_done: Vec<i64>,
    pub pending_failures: Vec<(i64, String)>,
}

#[derive(Debug, Clone, Default)]
pub struct AuditView {
    pub events: Vec<AuditEvent>,
    pub loading: bool,
    pub loaded: bool,
    pub error: Option<String>,
    pub query: String,
    pub rows: Vec<AuditRow>,
    pub list: ListState,
    /// Request ids of bulk operations opened to their items.
    pub expanded: HashSet<String>,
}

/// A line of the Audit pane: one event, or one bulk operation (the events
/// of one request) that Enter opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditRow {
    /// `index` into `AuditView::events`; `item` when shown inside an open
    /// bulk operation.
    Event { index: usize, item: bool },
    /// `first` is the newest event of the request; `count` events share it.
    Group {
        request_id: String,
        first: usize,
        count: usize,
        open: bool,
    },
}

/// The Dashboard pane: the server's own figures (`GET /v1/dashboard`) for
/// the view the switcher selects, kept in the cache for offline use. The
/// dashboard never recomputes them from claims.
#[derive(Debug, Clone, Default)]
pub struct DashboardView {
    /// The view `data` answers.
    pub query: DashboardQuery,
    pub data: Option<CachedDashboard>,
    /// True while `data` is the cache's copy and no fresher answer came.
    pub from_cache: bool,
    /// The view a fetch is running for.
    pub loading: Option<DashboardQuery>,
    /// Why the last fetch failed (not for being offline: the banner says that).
    pub error: Option<String>,
}

impl DashboardView {
    /// Product lines of the shown view, by SKU.
    pub fn products(&self) -> &[ProductSummary] {
        self.data
            .as_ref()
            .map_or(&[], |d| d.dashboard.products.as_slice())
    }

    /// True once any answer (fresh or cached) for `query` is shown.
    pub fn shows(&self, query: &DashboardQuery) -> bool {
        self.data.is_some() && self.query == *query
    }
}

/// Alerts shown on the Dashboard (GET /v1/alerts), most severe first.
#[derive(Debug, Clone, Default)]
pub struct AlertsView {
    pub items: Vec<Alert>,
    pub truncated: bool,
    pub loading: bool,
    pub loaded: bool,
    pub error: Option<String>,
    pub fetched_at: Option<DateTime<Utc>>,
}

/// Alerts are fetched again after a sync that changed data, or this often.
pub const ALERTS_EVERY: Duration = Duration::seconds(60);

/// What a yes in a [`Dialog::Confirm`] does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmed {
    SetLicenseActive { license_id: i64, active: bool },
}

/// A modal box over the panes.
#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    /// A form: code batch, export path, renewal, new license, approve, reject.
    Form(Form),
    /// The help-desk access check; `result` is None while it runs.
    Access {
        user: String,
        product: String,
        result: Option<Result<AccessCheck, String>>,
    },
    /// A yes / no question before a change on the server.
    Confirm {
        title: String,
        lines: Vec<String>,
        confirm: Confirmed,
    },
    /// Revocation awaiting confirmation. What will happen is the server's
    /// own dry run of the same ids, never a rule restated here.
    ConfirmRevoke {
        ids: Vec<i64>,
        /// Marked rows the current filter hides (they are included).
        hidden: usize,
        /// True until the server's dry run has answered.
        checking: bool,
        /// Why the dry run could not be had; nothing can be confirmed then.
        check_error: Option<String>,
        /// Rows the server's dry run refused, with the reason it gave.
        refusals: Vec<(i64, String)>,
        /// What the user typed, when a confirmation word is required.
        typed: String,
        needs_word: bool,
        /// Set when this is a reclaim policy's run: `ids` are then the
        /// seats its dry run matched (freed and refused alike).
        policy: Option<ReclaimTarget>,
    },
    Progress {
        title: String,
        total: usize,
        answered: usize,
    },
    /// Read-only facts (an audit event); Enter or Esc closes.
    Detail { title: String, lines: Vec<String> },
    Summary {
        title: String,
        done: usize,
        /// Each failure: seat id, who, why.
        failures: Vec<(i64, String)>,
    },
}

/// Revocations above this many seats ask to type the seat count.
pub const TYPE_TO_CONFIRM_OVER: usize = 50;
/// Seat ids per revoke request.
pub const CHUNK: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Filter(Pane),
    Palette,
    /// Narrowing the help overlay.
    HelpSearch,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub text: String,
    pub error: bool,
}

/// How long a status message stays before the key hints return.
pub const MESSAGE_FOR: Duration = Duration::seconds(6);
/// Errors stay longer: they are read, not glanced at.
pub const ERROR_FOR: Duration = Duration::seconds(12);

/// Background work `update` asks the loop to start.
#[derive(Debug, Clone)]
pub enum Effect {
    Sync,
    /// The cached answer for the view (when there is one), then the server's.
    LoadDashboard {
        query: DashboardQuery,
    },
    LoadMe,
    LoadAccounts,
    /// The Claims filter's search, streamed: a first screen, then the rest.
    Search {
        generation: u64,
        job: crate::model::SearchJob,
    },
    /// The server's dry run of a revocation, in the chunks it would be sent in.
    RevokeDryRun {
        chunks: Vec<Vec<i64>>,
    },
    Revoke {
        chunks: Vec<Vec<i64>>,
    },
    Restore {
        ids: Vec<i64>,
    },
    LoadAudit,
    Export {
        path: PathBuf,
        csv: String,
    },
    LoadInventory {
        generation: u64,
        query: LicenseQuery,
    },
    LoadRequests,
    LoadProducts,
    LoadCodes {
        generation: u64,
        license_id: i64,
        tab: CodeTab,
    },
    /// Change a batch's options.
    PatchBatch {
        batch_id: i64,
        patch: seatdesk_core::api::codes::CodeBatchPatch,
    },
    CreateBatch {
        license_id: i64,
        batch: NewCodeBatch,
    },
    ExportBatch {
        batch_id: i64,
        format: ExportFormat,
        path: PathBuf,
    },
    SetLicenseActive {
        license_id: i64,
        active: bool,
    },
    SubmitRequest(NewRequest),
    Decide {
        request_id: i64,
        approve: bool,
        comments: String,
        seats: Option<i64>,
    },
    AccessCheck {
        user: String,
        product: String,
    },
    LoadAlerts,
    /// Ask whether the server answers at all.
    Probe,
    /// Write the saved Claims views to `path`.
    SaveViews {
        path: PathBuf,
        views: Vec<SavedView>,
    },
    /// Stream the cached claims in as load `generation`.
    LoadClaims {
        generation: u64,
    },
    /// Run the cache's full integrity check (after the first paint).
    VerifyCache,
    ClearTerminal,
    Reclaim(ReclaimEffect),
}

/// Claims arriving from the cache in chunks after the first paint. They
/// replace `App::claims` in one go when the last chunk is in, so the lists
/// are sorted once, not per chunk.
#[derive(Debug, Clone, Default)]
pub struct ClaimsLoad {
    pub generation: u64,
    /// How many the cache's counts promise (for progress).
    pub expected: usize,
    pub rows: Vec<ClaimRow>,
}

pub struct App {
    pub profile: String,
    pub readonly: bool,
    pub keymap: KeyMap,
    pub theme: Theme,
    pub now: DateTime<Utc>,
    pub size: (u16, u16),
    pub pane: Pane,
    pub licenses: Vec<License>,
    pub claims: Arc<Vec<ClaimRow>>,
    /// Set while claims stream in from the cache.
    pub claims_load: Option<ClaimsLoad>,
    /// Generation of the newest cache load asked for.
    pub load_generation: u64,
    pub me: Option<Me>,
    /// Purchasing accounts for the switcher: id and label.
    pub accounts: Vec<(i64, String)>,
    /// The account every pane is narrowed to; None shows all.
    pub account: Option<i64>,
    /// The org subtree the Dashboard's figures cover; None is the token's.
    pub org: Option<i64>,
    pub sync: SyncStatus,
    pub dashboard: DashboardView,
    pub dash_list: ListState,
    pub claims_view: ClaimsView,
    pub teachers: TeachersView,
    pub audit: AuditView,
    pub inventory: InventoryView,
    pub codes: CodesView,
    pub alerts: AlertsView,
    pub reclaim: ReclaimView,
    /// The product catalogue, for the new-license request form.
    pub products: Vec<Product>,
    pub dialog: Option<Dialog>,
    pub input: Option<Input>,
    pub palette: String,
    /// The highlighted palette entry (Up/Down move it).
    pub palette_pick: usize,
    /// Caret of the focused text input, in characters.
    pub caret: usize,
    pub help: Option<usize>,
    pub help_query: String,
    pub message: Option<Message>,
    /// When `message` goes away.
    pub message_until: Option<DateTime<Utc>>,
    /// Saved Claims views (`:save NAME`, `:view NAME`).
    pub views: Vec<SavedView>,
    /// Where the saved views are kept; None: not kept (tests).
    pub views_path: Option<PathBuf>,
    /// The account picker, while open.
    pub picker: Option<Picker>,
    pub spinner: usize,
    pub bulk_running: bool,
    pub export_dir: PathBuf,
    /// The user's home, for `~` in typed paths; None where unknown.
    pub home: Option<PathBuf>,
    pub dirty: bool,
    pub quit: bool,
}

/// What a permission lets one do, for "the reporter role may not ...".
pub fn permission_phrase(permission: Permission) -> &'static str {
    match permission {
        Permission::Read => "read",
        Permission::Triage => "run access checks",
        Permission::ManageSeats => "revoke or restore seats",
        Permission::ManageCodes => "generate or export codes",
        Permission::ManageUsers => "manage users",
        Permission::ManageInventory => "manage inventory",
        Permission::ToggleLicense => "activate or deactivate licenses",
        Permission::SubmitRequest => "submit license requests",
        Permission::DecideRequest => "approve or reject requests",
        Permission::ManageTokens => "manage tokens",
        Permission::ManageCatalog => "manage the product catalogue",
        Permission::ManageWebhooks => "manage webhooks",
    }
}

/// How often the cache is synced while the server answers, and retried
/// while it does not.
pub const SYNC_EVERY: Duration = Duration::seconds(10);
pub const RETRY_EVERY: Duration = Duration::seconds(5);
/// How often the server is probed between syncs.
pub const PROBE_EVERY: Duration = Duration::seconds(2);
/// Pending this long counts as "long pending" in the claims list.
pub const LONG_PENDING_DAYS: i64 = 14;

impl App {
    pub fn new(
        profile: &str,
        readonly: bool,
        keymap: KeyMap,
        theme: Theme,
        now: DateTime<Utc>,
    ) -> App {
        App {
            profile: profile.to_string(),
            readonly,
            keymap,
            theme,
            now,
            size: (80, 24),
            pane: Pane::Dashboard,
            licenses: Vec::new(),
            claims: Arc::new(Vec::new()),
            claims_load: None,
            load_generation: 0,
            me: None,
            accounts: Vec::new(),
            account: None,
            org: None,
            sync: SyncStatus::default(),
            dashboard: DashboardView::default(),
            dash_list: ListState::default(),
            claims_view: ClaimsView::default(),
            teachers: TeachersView::default(),
            audit: AuditView::default(),
            inventory: InventoryView::default(),
            codes: CodesView::default(),
            alerts: AlertsView::default(),
            reclaim: ReclaimView::default(),
            products: Vec::new(),
            dialog: None,
            input: None,
            palette: String::new(),
            palette_pick: 0,
            caret: 0,
            help: None,
            help_query: String::new(),
            message: None,
            message_until: None,
            views: Vec::new(),
            views_path: None,
            picker: None,
            spinner: 0,
            bulk_running: false,
            export_dir: PathBuf::from("."),
            home: None,
            dirty: true,
            quit: false,
        }
    }

    /// Rows a list pane can show at the current size (tabs, banner, header,
    /// borders and status line take the rest).
    pub fn list_height(&self) -> usize {
        usize::from(self.size.1).saturating_sub(8).max(1)
    }

    /// True while anything runs in the background (the spinner turns).
    pub fn busy(&self) -> bool {
        self.sync.in_flight
            || self.claims_load.is_some()
            || self.bulk_running
            || self.audit.loading
            || self.claims_view.searching
            || self.inventory.loading
            || self.inventory.requests_loading
            || !self.inventory.toggling.is_empty()
            || self.codes.loading
            || self.codes.exporting
            || self.alerts.loading
            || self.reclaim.loading
            || self.reclaim.preview.loading
            || self.reclaim.runs.loading
            || !self.reclaim.toggling.is_empty()
            || match &self.dialog {
                Some(Dialog::Form(form)) => form.submitting,
                Some(Dialog::Access { result, .. }) => result.is_none(),
                _ => false,
            }
    }

    pub fn license(&self, id: i64) -> Option<&License> {
        self.licenses.iter().find(|l| l.id == id)
    }

    /// A license from the cache or, failing that, from the Inventory rows
    /// the server sent.
    pub fn find_license(&self, id: i64) -> Option<&License> {
        self.license(id)
            .or_else(|| self.inventory.rows.iter().find(|l| l.id == id))
    }

    /// Why `command` cannot run now, if it cannot.
    pub fn blocked(&self, command: Command) -> Option<String> {
        if command.mutates() && self.readonly {
            return Some("read-only profile: nothing on the server can be changed".into());
        }
        if command.needs_server() && self.sync.offline.is_some() {
            return Some("offline: the server cannot be reached".into());
        }
        command.permission().and_then(|p| self.lacks(p))
    }

    /// Why this token may not do what `permission` covers, if it may not.
    pub fn lacks(&self, permission: Permission) -> Option<String> {
        match &self.me {
            None => Some("waiting for the server to say what this token may do".into()),
            Some(me) if !me.permissions.contains(&permission) => Some(format!(
                "the {} role may not {}",
                me.role,
                permission_phrase(permission)
            )),
            Some(_) => None,
        }
    }

    /// Live teacher seats of `license`, before the text filter.
    pub fn teacher_seats(&self, license: i64) -> impl Iterator<Item = (u32, &ClaimRow)> {
        self.claims.iter().enumerate().filter_map(move |(i, c)| {
            (c.license_id == license
                && c.user_kind == UserKind::Teacher
                && c.status.consumes_seat())
            .then_some((i as u32, c))
        })
    }

    /// Licenses offered in the Teachers pane, in id order.
    pub fn license_ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .licenses
            .iter()
            .filter(|l| self.account.is_none_or(|a| l.account_id == a))
            .map(|l| l.id)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// The Dashboard view the switcher selects.
    pub fn dashboard_query(&self) -> DashboardQuery {
        DashboardQuery {
            account_id: self.account,
            org_id: self.org,
            product_id: None,
        }
    }

    /// Label of the account switcher's choice.
    pub fn account_label(&self) -> String {
        match self.account {
            None => "all accounts".into(),
            Some(id) => self
                .accounts
                .iter()
                .find(|(a, _)| *a == id)
                .map_or_else(|| format!("account {id}"), |(_, label)| label.clone()),
        }
    }

    /// Licenses of the chosen account (all without one).
    pub fn scoped_licenses(&self) -> Vec<License> {
        self.licenses
            .iter()
            .filter(|l| self.account.is_none_or(|a| l.account_id == a))
            .cloned()
            .collect()
    }

    /// "5 min ago"-style age of the cached data.
    pub fn cache_age(&self) -> String {
        match self.sync.last_sync {
            None => "never synced".into(),
            Some(at) => format!("synced {}", crate::model::humanize_age(self.now - at)),
        }
    }
}
