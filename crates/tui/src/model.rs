//! Data derived from the cached rows: per-product summaries for the
//! dashboard and the filtered, sorted row lists of each pane. Computed in
//! `update` when data or filters change, never while drawing.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use seatdesk_client::ClaimStats;
// The dashboard holds claims in their compact form; the name keeps the
// fuzzy matching below readable (its fields read as `&str` all the same).
use seatdesk_client::ClaimRow as Claim;
use seatdesk_client::cache::stats::day_of;
use seatdesk_core::SeatStatus;
use seatdesk_core::api::inventory::License;
use seatdesk_core::api::seats::ClaimSort;
use seatdesk_core::seats::{DateStanding, expires_within};

use crate::app::App;

/// Weeks of activations the dashboard chart covers.
pub const TREND_WEEKS: usize = 12;
/// A license finishing within this many days is "expiring soon".
pub const EXPIRING_SOON_DAYS: i64 = 30;

/// One product's line on the dashboard, over every license of it in scope.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductSummary {
    pub product_id: i64,
    pub name: String,
    pub licenses: usize,
    pub purchased: i64,
    pub consumed: i64,
    pub available: i64,
    pub usage_percent: f64,
    pub start: NaiveDate,
    pub finish: NaiveDate,
    pub remaining_days: i64,
    pub expiring_soon: bool,
    pub in_grace: bool,
    /// Claims per status, in `SeatStatus::ALL` order.
    pub by_status: [usize; 4],
    /// Claims activated per week, oldest first; the last is this week.
    pub weekly_activations: Vec<u64>,
}

/// The dashboard's lines, from the licenses in scope and the claim counts
/// (stored by the sync, or recounted from the claims in memory): the same
/// figures either way, and no walk over a million claims.
pub fn summarize(
    licenses: &[License],
    stats: &ClaimStats,
    now: DateTime<Utc>,
) -> Vec<ProductSummary> {
    let today = now.date_naive();
    let today_day = day_of(now);
    let mut by_product: BTreeMap<i64, ProductSummary> = BTreeMap::new();
    for license in licenses {
        let entry = by_product
            .entry(license.product_id)
            .or_insert_with(|| ProductSummary {
                product_id: license.product_id,
                name: license.product_name.clone(),
                licenses: 0,
                purchased: 0,
                consumed: 0,
                available: 0,
                usage_percent: 0.0,
                start: license.start_date,
                finish: license.finish_date,
                remaining_days: license.remaining_days,
                expiring_soon: false,
                in_grace: false,
                by_status: [0; 4],
                weekly_activations: vec![0; TREND_WEEKS],
            });
        entry.licenses += 1;
        entry.purchased += license.seats.purchased;
        entry.consumed += license.seats.consumed + license.seats.allocated;
        entry.available += license.seats_available;
        entry.start = entry.start.min(license.start_date);
        if license.finish_date > entry.finish {
            entry.finish = license.finish_date;
        }
        entry.remaining_days = (entry.finish - today).num_days();
        entry.expiring_soon |= expires_within(license.finish_date, today, EXPIRING_SOON_DAYS);
        entry.in_grace |= license.standing == DateStanding::InGrace;
        let Some(counts) = stats.licenses.get(&license.id) else {
            continue;
        };
        for (slot, n) in entry.by_status.iter_mut().zip(counts.by_status) {
            *slot += n as usize;
        }
        // Weeks by UTC day: this week is today and the six days before.
        let oldest = today_day - 7 * TREND_WEEKS as i64 + 1;
        for (&day, &n) in counts.activations.range(oldest..=today_day) {
            let weeks_ago = ((today_day - day) / 7) as usize;
            entry.weekly_activations[TREND_WEEKS - 1 - weeks_ago] += n;
        }
    }
    by_product
        .into_values()
        .map(|mut s| {
            s.usage_percent = if s.purchased > 0 {
                s.consumed as f64 * 100.0 / s.purchased as f64
            } else {
                0.0
            };
            s
        })
        .collect()
}

pub fn status_index(status: SeatStatus) -> usize {
    SeatStatus::ALL
        .iter()
        .position(|s| *s == status)
        .unwrap_or(0)
}

/// Recomputes the claims pane's rows from its filters.
pub fn rebuild_claims(app: &mut App) {
    let stale = app.claims_view.order_sort != Some(app.claims_view.sort)
        || app.claims_view.order.len() != app.claims.len();
    if stale {
        let mut all: Vec<u32> = (0..app.claims.len() as u32).collect();
        sort_claims(&app.claims, app.claims_view.sort, &mut all);
        app.claims_view.order = all;
        app.claims_view.order_sort = Some(app.claims_view.sort);
    }
    let view = &app.claims_view;
    let claims = &app.claims;
    let since = view
        .assigned_within
        .map(|days| app.now - Duration::days(days));
    let scope: Option<HashSet<i64>> = app.account.map(|_| app.license_ids().into_iter().collect());
    let keep = |i: u32| {
        let claim = &claims[i as usize];
        view.shows(claim.status)
            && view.product.is_none_or(|p| claim.product_id == p)
            && since.is_none_or(|since| claim.assigned_at >= since)
            && scope
                .as_ref()
                .is_none_or(|ids| ids.contains(&claim.license_id))
    };
    let filtering = view.statuses.iter().any(|on| !on)
        || view.product.is_some()
        || since.is_some()
        || scope.is_some();
    let order = &view.order;
    let rows: Vec<u32> = match &view.matched {
        // A few matches: sorting them beats a pass over every row.
        Some(matched) if matched.len() < claims.len() / 16 => {
            let mut rows: Vec<u32> = matched
                .iter()
                .copied()
                .filter(|&i| (i as usize) < claims.len() && keep(i))
                .collect();
            sort_claims(claims, view.sort, &mut rows);
            rows
        }
        Some(matched) => {
            let mut hit = vec![false; claims.len()];
            for &i in matched.iter().filter(|&&i| (i as usize) < claims.len()) {
                hit[i as usize] = true;
            }
            order
                .iter()
                .copied()
                .filter(|&i| hit[i as usize] && (!filtering || keep(i)))
                .collect()
        }
        None if !filtering => order.clone(),
        None => order.iter().copied().filter(|&i| keep(i)).collect(),
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
/// license that pass the text filter).
pub fn rebuild_teachers(app: &mut App) {
    if app
        .teachers
        .license
        .is_none_or(|id| app.license(id).is_none())
    {
        app.teachers.license = app.license_ids().first().copied();
    }
    let query = app.teachers.query.to_lowercase();
    let rows: Vec<u32> = match app.teachers.license {
        Some(license) => app
            .teacher_seats(license)
            .filter(|(_, c)| {
                query.is_empty()
                    || c.user_name.to_lowercase().contains(&query)
                    || c.user_email.to_lowercase().contains(&query)
                    || c.redemption_code
                        .as_deref()
                        .is_some_and(|code| code.to_lowercase().contains(&query))
            })
            .map(|(i, _)| i)
            .collect(),
        None => Vec::new(),
    };
    let height = app.list_height();
    app.teachers.shown = rows.iter().map(|&i| app.claims[i as usize].id).collect();
    app.teachers.rows = rows;
    let len = app.teachers.rows.len();
    app.teachers.list.scroll(len, height);
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

pub fn rebuild_audit(app: &mut App) {
    let query = app.audit.query.to_lowercase();
    app.audit.rows = app
        .audit
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            query.is_empty()
                || e.action.to_lowercase().contains(&query)
                || e.actor.to_lowercase().contains(&query)
                || e.target_type.to_lowercase().contains(&query)
        })
        .map(|(i, _)| i)
        .collect();
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

/// Runs nucleo's fuzzy matcher over each claim's name, email, school and
/// product; returns the indices of matching claims in list order. Called on
/// a blocking worker thread.
pub fn fuzzy_match(claims: &[Claim], query: &str) -> Vec<u32> {
    fuzzy_match_until(claims, query, || false).unwrap_or_default()
}

/// Rows checked between two looks at `stale`.
const SEARCH_STRIDE: usize = 16_384;

/// Like [`fuzzy_match`], but gives up (None) as soon as `stale` says a newer
/// query has been typed, so fast typing over a million rows does not queue
/// up whole searches nobody will see.
pub fn fuzzy_match_until(
    claims: &[Claim],
    query: &str,
    stale: impl Fn() -> bool + Sync,
) -> Option<Vec<u32>> {
    fuzzy_match_within(claims, None, query, stale)
}

/// Searches only the claims at `within` (ascending indices, e.g. the
/// matches of a shorter query this one extends), or all of them. Large
/// searches are split over the machine's cores.
pub fn fuzzy_match_within(
    claims: &[Claim],
    within: Option<&[u32]>,
    query: &str,
    stale: impl Fn() -> bool + Sync,
) -> Option<Vec<u32>> {
    let len = within.map_or(claims.len(), <[u32]>::len);
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(len / SEARCH_STRIDE)
        .max(1);
    let part = len.div_ceil(threads);
    let search = |range: std::ops::Range<usize>| match within {
        Some(indices) => match_rows(claims, indices[range].iter().copied(), query, &stale),
        None => match_rows(claims, range.start as u32..range.end as u32, query, &stale),
    };
    if threads == 1 {
        return search(0..len);
    }
    let parts: Vec<Option<Vec<u32>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let range = (t * part).min(len)..((t + 1) * part).min(len);
                let search = &search;
                scope.spawn(move || search(range))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().ok().flatten())
            .collect()
    });
    let mut found = Vec::new();
    for part in parts {
        found.extend(part?);
    }
    Some(found)
}

/// One thread's share: the claims at `indices` that match `query`.
fn match_rows(
    claims: &[Claim],
    indices: impl Iterator<Item = u32>,
    query: &str,
    stale: &(impl Fn() -> bool + Sync),
) -> Option<Vec<u32>> {
    use nucleo::pattern::{CaseMatching, Normalization, Pattern};
    use nucleo::{Config, Matcher, Utf32Str};
    let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
    let mut config = Config::DEFAULT;
    config.ignore_case = true;
    let mut matcher = Matcher::new(config);
    let mut buf = Vec::new();
    let mut found = Vec::new();
    let mut haystack = String::new();
    for (n, i) in indices.enumerate() {
        if n % SEARCH_STRIDE == 0 && stale() {
            return None;
        }
        let c = &claims[i as usize];
        haystack.clear();
        for field in [&c.user_name, &c.user_email, &c.org_name, &c.product_name] {
            haystack.push_str(field);
            haystack.push(' ');
        }
        if matches(&pattern, Utf32Str::new(&haystack, &mut buf), &mut matcher) {
            found.push(i);
        }
    }
    Some(found)
}

/// Whether `haystack` passes every atom of `pattern`. A filter needs only a
/// yes or no, so fuzzy atoms use nucleo's linear greedy match instead of
/// the optimal alignment `Pattern::score` computes for ranking: both find
/// a match exactly when the atom's characters occur in order.
fn matches(
    pattern: &nucleo::pattern::Pattern,
    haystack: nucleo::Utf32Str<'_>,
    matcher: &mut nucleo::Matcher,
) -> bool {
    use nucleo::pattern::AtomKind;
    pattern.atoms.iter().all(|atom| {
        let needle = atom.needle_text();
        let hit = match atom.kind {
            AtomKind::Fuzzy => matcher.fuzzy_match_greedy(haystack, needle),
            AtomKind::Substring => matcher.substring_match(haystack, needle),
            AtomKind::Prefix => matcher.prefix_match(haystack, needle),
            AtomKind::Postfix => matcher.postfix_match(haystack, needle),
            _ => matcher.exact_match(haystack, needle),
        };
        hit.is_some() != atom.negative
    })
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

/// True when every match of `query` is also a match of `previous`, so the
/// search can look only at `previous`'s matches: `query` extends it and
/// neither uses nucleo's operators (a longer `!term` matches more rows).
pub fn narrows(previous: &str, query: &str) -> bool {
    let plain = |q: &str| !q.contains(['!', '^', '$', '\'', '\\']);
    !previous.trim().is_empty() && query.starts_with(previous) && plain(previous) && plain(query)
}
