//! Data derived from the cached rows: per-product summaries for the
//! dashboard and the filtered, sorted row lists of each pane. Computed in
//! `update` when data or filters change, never while drawing.

use std::sync::Arc;

use chrono::Duration;
// The dashboard holds claims in their compact form; the name keeps the
// fuzzy matching below readable (its fields read as `&str` all the same).
use seatdesk_client::ClaimRow as Claim;
use seatdesk_core::api::inventory::License;
use seatdesk_core::api::seats::ClaimSort;
use seatdesk_core::seats::DateStanding;

use crate::app::App;

mod filter;

pub use filter::{
    ClaimFilter, Masks, Progress, RANK_MAX, SearchJob, fuzzy_match, fuzzy_match_until,
    fuzzy_match_within, narrows, ranked, ranks, tier,
};

/// The Claims pane's filters other than the text query.
pub fn claim_filter(app: &App) -> ClaimFilter {
    let view = &app.claims_view;
    ClaimFilter {
        statuses: view.statuses,
        product: view.product,
        since: view
            .assigned_within
            .map(|days| app.now - Duration::days(days)),
        until: view.older_than.map(|days| app.now - Duration::days(days)),
        scope: app
            .account
            .map(|_| Arc::new(app.license_ids().into_iter().collect())),
    }
}

/// The search for the Claims pane's query, over the claims in display
/// order: every claim, or with `narrow` only the last complete result when
/// the query extends its query (typing narrows).
pub fn search_job(app: &App, narrow: bool) -> SearchJob {
    let view = &app.claims_view;
    let candidates = match &view.matched {
        Some(m) if narrow && m.order == view.order_version && narrows(&m.query, &view.query) => {
            m.indices.clone()
        }
        _ => view.order.clone(),
    };
    SearchJob {
        query: view.query.clone(),
        claims: app.claims.clone(),
        candidates,
        filter: claim_filter(app),
        screen: app.list_height(),
        masks: view.masks.clone(),
    }
}

/// Recomputes the claims pane's rows from its filters.
pub fn rebuild_claims(app: &mut App) {
    let view = &mut app.claims_view;
    // `order_sort` is cleared whenever the rows change (see `replace_data`).
    let new_data = view.order_sort.is_none() || view.order.len() != app.claims.len();
    if new_data || view.order_sort != Some(view.sort) {
        let mut all: Vec<u32> = (0..app.claims.len() as u32).collect();
        sort_claims(&app.claims, view.sort, &mut all);
        view.order = Arc::new(all);
        view.order_sort = Some(view.sort);
        view.order_version += 1;
        // A first screen in the old order would show rows out of place.
        view.partial = None;
        if new_data {
            view.masks = Arc::new(Masks::new(app.claims.len()));
        }
    }
    // A complete result found in another order (before a new sort or new
    // rows): the same set, placed in today's order by one pass.
    if let Some(m) = view.matched.as_mut()
        && m.order != view.order_version
    {
        let mut hit = vec![false; app.claims.len()];
        for &i in m.indices.iter() {
            if let Some(slot) = hit.get_mut(i as usize) {
                *slot = true;
            }
        }
        m.indices = Arc::new(
            view.order
                .iter()
                .copied()
                .filter(|&i| hit[i as usize])
                .collect(),
        );
        m.order = view.order_version;
    }
    let filter = claim_filter(app);
    let view = &app.claims_view;
    let claims = &app.claims;
    // While a query is searched: its first screen once found, else the
    // last complete result (a key behind) until then.
    let source: &[u32] = if view.query.trim().is_empty() {
        &view.order
    } else if let Some(partial) = view.partial.as_ref().filter(|_| view.searching) {
        partial
    } else if let Some(m) = &view.matched {
        &m.indices
    } else {
        &view.order
    };
    let rows: Vec<u32> = if filter.is_all() {
        source.to_vec()
    } else {
        source
            .iter()
            .copied()
            .filter(|&i| claims.get(i as usize).is_some_and(|c| filter.keep(c)))
            .collect()
    };
    // Exact and substring matches first (fzf-style), then the fuzzy ones.
    let rows = if view.query.trim().is_empty() {
        rows
    } else if view.searching && view.partial.is_some() {
        match ranks(claims, &view.query, &rows) {
            Some(ranks) => ranked(rows, &ranks),
            None => rows,
        }
    } else {
        match view.matched.as_ref().and_then(|m| m.ranks.as_ref()) {
            Some(ranks) => ranked(rows, ranks),
            None => rows,
        }
    };
    let height = app.list_height();
    app.claims_view.rows = rows;
    let len = app.claims_view.rows.len();
    app.claims_view.list.scroll(len, height);
}

/// Newest first by the pane's sort key, ties by id.
fn sort_claims(claims: &[Claim], sort: ClaimSort, rows: &mut [u32]) {
    match sort {
        ClaimSort::ClaimedAt => rows.sort_unstable_by_key(|&i| {
            let c = &claims[i as usize];
            std::cmp::Reverse((c.claimed_at, c.id))
        }),
        _ => rows.sort_unstable_by_key(|&i| {
            let c = &claims[i as usize];
            std::cmp::Reverse((c.assigned_at, c.id))
        }),
    }
}

/// Recomputes the Teachers pane's rows (live teacher seats of the chosen
/// license that pass the text filter). The license's seats are found by
/// one walk over every claim when the license or the rows change; a key
/// typed into the filter looks at those seats only.
pub fn rebuild_teachers(app: &mut App) {
    if app
        .teachers
        .license
        .is_none_or(|id| app.license(id).is_none())
    {
        app.teachers.license = app.license_ids().first().copied();
    }
    let license = app.teachers.license;
    if app
        .teachers
        .seats
        .as_ref()
        .is_none_or(|(l, _)| Some(*l) != license)
    {
        app.teachers.seats = license.map(|l| (l, app.teacher_seats(l).map(|(i, _)| i).collect()));
    }
    let filter = TeacherFilter::parse(&app.teachers.query);
    let claims = &app.claims;
    let rows: Vec<u32> = match &app.teachers.seats {
        Some((_, seats)) => seats
            .iter()
            .copied()
            .filter(|&i| claims.get(i as usize).is_some_and(|c| filter.keep(c)))
            .collect(),
        None => Vec::new(),
    };
    let height = app.list_height();
    app.teachers.shown = rows.iter().map(|&i| app.claims[i as usize].id).collect();
    app.teachers.rows = rows;
    let len = app.teachers.rows.len();
    app.teachers.list.scroll(len, height);
}

/// The Teachers pane's text filter. A list of email addresses (pasted
/// from a ticket: separated by spaces, commas, semicolons or new lines)
/// keeps exactly those users; any other text keeps the rows whose name,
/// email, school, status or redemption code contains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TeacherFilter {
    All,
    Emails(std::collections::HashSet<String>),
    Text(String),
}

impl TeacherFilter {
    pub fn parse(query: &str) -> TeacherFilter {
        let query = query.trim();
        if query.is_empty() {
            return TeacherFilter::All;
        }
        let words: Vec<&str> = query
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .map(|w| w.trim_matches(|c: char| matches!(c, '<' | '>' | '"' | '\'')))
            .filter(|w| !w.is_empty())
            .collect();
        if words.len() > 1 && words.iter().all(|w| w.contains('@')) {
            return TeacherFilter::Emails(words.iter().map(|w| w.to_lowercase()).collect());
        }
        TeacherFilter::Text(query.to_lowercase())
    }

    pub fn keep(&self, c: &Claim) -> bool {
        match self {
            TeacherFilter::All => true,
            TeacherFilter::Emails(emails) => emails.contains(&c.user_email.to_lowercase()),
            TeacherFilter::Text(query) => {
                contains_folded(&c.user_name, query)
                    || contains_folded(&c.user_email, query)
                    || contains_folded(&c.org_name, query)
                    || c.status.as_str() == query
                    || c.redemption_code
                        .as_deref()
                        .is_some_and(|code| contains_folded(code, query))
            }
        }
    }
}

/// Whether `text` contains `lowered` (already lowercase) ignoring case,
/// without allocating for ASCII text.
pub(crate) fn contains_folded(text: &str, lowered: &str) -> bool {
    if text.is_ascii() && lowered.is_ascii() {
        let (text, needle) = (text.as_bytes(), lowered.as_bytes());
        needle.is_empty()
            || text
                .windows(needle.len())
                .any(|w| w.eq_ignore_ascii_case(needle))
    } else {
        text.to_lowercase().contains(lowered)
    }
}

/// Marked seats the Teachers filter currently hides. Drawn every frame, so
/// it costs one lookup per mark, not a walk over the license's rows.
pub fn hidden_marks(app: &App) -> usize {
    app.teachers
        .marks
        .iter()
        .filter(|id| !app.teachers.shown.contains(id))
        .count()
}

/// Recomputes the Audit rows: events passing the filter, the events of
/// one request (a bulk operation) folded into one row unless opened.
pub fn rebuild_audit(app: &mut App) {
    use crate::app::AuditRow;
    let query = app.audit.query.to_lowercase();
    let events = &app.audit.events;
    let kept: Vec<usize> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            query.is_empty()
                || e.action.to_lowercase().contains(&query)
                || e.actor.to_lowercase().contains(&query)
                || e.target_type.to_lowercase().contains(&query)
                || e.request_id.to_lowercase() == query
        })
        .map(|(i, _)| i)
        .collect();
    let mut by_request: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for &i in &kept {
        by_request
            .entry(events[i].request_id.as_str())
            .or_default()
            .push(i);
    }
    let mut rows = Vec::with_capacity(kept.len());
    let mut placed = std::collections::HashSet::new();
    for &i in &kept {
        let request = events[i].request_id.as_str();
        let members = &by_request[request];
        if members.len() < 2 || request.is_empty() {
            rows.push(AuditRow::Event {
                index: i,
                item: false,
            });
            continue;
        }
        if !placed.insert(request) {
            continue;
        }
        let open = app.audit.expanded.contains(request);
        rows.push(AuditRow::Group {
            request_id: request.to_string(),
            first: i,
            count: members.len(),
            open,
        });
        if open {
            rows.extend(
                members
                    .iter()
                    .map(|&index| AuditRow::Event { index, item: true }),
            );
        }
    }
    app.audit.rows = rows;
    let height = app.list_height();
    let len = app.audit.rows.len();
    app.audit.list.scroll(len, height);
}

/// "just now", "3 min ago", "2 h ago", "4 days ago".
pub fn humanize_age(age: Duration) -> String {
    let secs = age.num_seconds().max(0);
    match secs {
        0..=59 => "just now".into(),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=172_799 => format!("{} h ago", secs / 3600),
        _ => format!("{} days ago", secs / 86_400),
    }
}

/// The cached licenses that pass the Inventory pane's filters, as a
/// stand-in until (or while) the server cannot answer. Mirrors the
/// server's rules closely enough for a preview.
pub fn local_inventory(app: &App) -> Vec<License> {
    use seatdesk_core::LicenseStatus;
    use seatdesk_core::api::inventory::OrderStatusFilter as S;

    use crate::app::SearchField;
    let view = &app.inventory;
    let search = view.searched.trim().to_lowercase();
    let matches_search = |l: &License| {
        search.is_empty()
            || match view.field {
                SearchField::OrderNumber => l.order_number.to_lowercase() == search,
                SearchField::PurchaseOrder => l.purchase_order.to_lowercase().contains(&search),
                SearchField::Code => {
                    let plain = |code: &str| code.replace(['-', ' '], "").to_lowercase();
                    let wanted = plain(&search);
                    [&l.teacher_code, &l.master_code]
                        .into_iter()
                        .flatten()
                        .any(|c| plain(c) == wanted)
                }
            }
    };
    let matches_status = |l: &License| match view.order_status.unwrap_or(S::All) {
        S::All => true,
        S::Available => {
            l.status == LicenseStatus::Active
                && l.standing != DateStanding::Lapsed
                && l.seats_available > 0
        }
        S::Expired => l.status == LicenseStatus::Expired || l.standing == DateStanding::Lapsed,
        S::Requested => l.status == LicenseStatus::Requested,
        S::WithRenewalRequest => l.renewal_requested,
    };
    app.scoped_licenses()
        .into_iter()
        .filter(|l| {
            view.inventory_type.is_none_or(|t| l.inventory_type == t)
                && view
                    .product
                    .as_ref()
                    .is_none_or(|(p, _)| l.product_id == *p)
                && matches_status(l)
                && matches_search(l)
        })
        .collect()
}

/// Recomputes the Codes pane's rows from its text filter.
pub fn rebuild_codes(app: &mut App) {
    let view = &app.codes;
    let query = view.query.to_lowercase();
    let has = |text: &str| text.to_lowercase().contains(&query);
    app.codes.rows = if view.tab == crate::app::CodeTab::Batches {
        view.batches
            .iter()
            .enumerate()
            .filter(|(_, b)| query.is_empty() || has(&b.created_by) || b.id.to_string() == query)
            .map(|(i, _)| i)
            .collect()
    } else {
        view.codes
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                query.is_empty()
                    || has(&c.code)
                    || c.user_email.as_deref().is_some_and(has)
                    || c.subject.as_deref().is_some_and(has)
            })
            .map(|(i, _)| i)
            .collect()
    };
    let height = app.list_height();
    let len = app.codes.rows.len();
    app.codes.list.scroll(len, height);
}
