//! The Claims pane's fuzzy filter: nucleo's matcher over each claim's name,
//! email, school and product. The top of the list is searched first, in
//! display order, so its first screenful can be painted long before the
//! rest is done on worker threads.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use seatdesk_client::ClaimRow as Claim;

/// Rows one worker takes at a time (and between two looks at `stale`).
const CHUNK: usize = 16_384;
/// Display-order rows scanned for the first screen before giving up on a
/// screenful and reporting what the top of the list holds.
const FIRST_BUDGET: usize = 32_768;
/// Rows between two looks at `stale` while looking for the first screen.
const FIRST_STEP: usize = 1_024;
/// How often a running search reports its count after the first screen.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// The Claims pane's filters other than the text query.
#[derive(Debug, Clone, Default)]
pub struct ClaimFilter {
    /// Shown statuses, in `SeatStatus::ALL` order.
    pub statuses: [bool; 4],
    pub product: Option<i64>,
    pub since: Option<DateTime<Utc>>,
    /// Only claims assigned before this (`:older N`).
    pub until: Option<DateTime<Utc>>,
    /// Licenses of the chosen purchasing account.
    pub scope: Option<Arc<HashSet<i64>>>,
}

impl ClaimFilter {
    /// True when the filter keeps every claim.
    pub fn is_all(&self) -> bool {
        self.statuses.iter().all(|on| *on)
            && self.product.is_none()
            && self.since.is_none()
            && self.until.is_none()
            && self.scope.is_none()
    }

    pub fn keep(&self, claim: &Claim) -> bool {
        self.statuses[claim.status.index()]
            && self.product.is_none_or(|p| claim.product_id == p)
            && self.since.is_none_or(|since| claim.assigned_at >= since)
            && self.until.is_none_or(|until| claim.assigned_at < until)
            && self
                .scope
                .as_ref()
                .is_none_or(|ids| ids.contains(&claim.license_id))
    }
}

/// One 64-bit summary per claim of which characters its four fields hold,
/// filled in the first time a search reads the row (0 = not yet). A query
/// character the row lacks rejects it without touching its strings, which
/// is what a query matching nothing spends its time on. 8 bytes a claim.
#[derive(Debug, Default)]
pub struct Masks(Vec<AtomicU64>);

/// Set in every computed mask, so 0 means "not computed yet".
const COMPUTED: u64 = 1 << 63;

impl Masks {
    pub fn new(claims: usize) -> Self {
        Masks((0..claims).map(|_| AtomicU64::new(0)).collect())
    }

    fn of(&self, index: usize, claim: &Claim) -> u64 {
        let Some(slot) = self.0.get(index) else {
            return u64::MAX;
        };
        match slot.load(Ordering::Relaxed) {
            0 => {
                let mask = row_mask(claim);
                slot.store(mask, Ordering::Relaxed);
                mask
            }
            mask => mask,
        }
    }
}

/// Bit of one ASCII character, case folded; other ASCII characters share
/// one bit.
const fn char_bit(c: u8) -> u64 {
    let bit = match c.to_ascii_lowercase() {
        c @ b'a'..=b'z' => c - b'a',
        c @ b'0'..=b'9' => 26 + c - b'0',
        b'.' => 36,
        b'@' => 37,
        b'-' => 38,
        b'_' => 39,
        b'\'' => 40,
        b',' => 41,
        b' ' => 42,
        _ => 43,
    };
    1 << bit
}

/// `char_bit` of every byte; a byte of a non-ASCII character sets every
/// bit (case folding and normalization of other scripts: never reject).
const BYTE_BITS: [u64; 256] = {
    let mut table = [u64::MAX; 256];
    let mut b = 0;
    while b < 128 {
        table[b] = char_bit(b as u8);
        b += 1;
    }
    table
};

fn row_mask(c: &Claim) -> u64 {
    let mut mask = COMPUTED | char_bit(b' ');
    for field in [
        &*c.user_name,
        &*c.user_email,
        &*c.org_name,
        &*c.product_name,
    ] {
        for b in field.bytes() {
            mask |= BYTE_BITS[b as usize];
        }
    }
    mask
}

/// Characters every match must contain: those of the atoms that are not
/// negated. Non-ASCII query characters add nothing (they may fold to ASCII).
fn query_mask(pattern: &nucleo::pattern::Pattern) -> u64 {
    let mut mask = 0;
    for atom in pattern.atoms.iter().filter(|a| !a.negative) {
        for c in atom.needle_text().chars() {
            if c.is_ascii() {
                mask |= char_bit(c as u8);
            }
        }
    }
    mask
}

/// A search the filter task runs: `candidates` in display order, matched
/// against `query`; the result keeps that order.
#[derive(Debug, Clone)]
pub struct SearchJob {
    pub query: String,
    pub claims: Arc<Vec<Claim>>,
    /// Claim indices to look at, in display order: every claim, or the
    /// complete result of a shorter query this one extends.
    pub candidates: Arc<Vec<u32>>,
    /// The pane's other filters: the first screen counts only rows it shows.
    pub filter: ClaimFilter,
    /// Shown matches that make a first screen; `usize::MAX`: no first
    /// screen, only the complete result.
    pub screen: usize,
    pub masks: Arc<Masks>,
}

/// What a running search reports before its complete answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// The first matches in display order (a screenful shown, or all that
    /// the top rows held) and how many of them the pane shows.
    FirstScreen { indices: Vec<u32>, shown: usize },
    /// Later: only the count of shown matches so far.
    Count { shown: usize },
}

impl SearchJob {
    /// Runs the search; see [`search`].
    pub fn run(
        &self,
        stale: impl Fn() -> bool + Sync,
        report: impl FnMut(Progress),
    ) -> Option<Vec<u32>> {
        let rows = Rows {
            claims: &self.claims,
            candidates: &self.candidates,
            filter: &self.filter,
            masks: &self.masks,
        };
        search(&rows, &self.query, self.screen, stale, report)
    }
}

/// What a search reads.
struct Rows<'a> {
    claims: &'a [Claim],
    candidates: &'a [u32],
    filter: &'a ClaimFilter,
    masks: &'a Masks,
}

/// Matches `rows.candidates` (display order) against `query`; the result
/// keeps their order. Two phases, because reading rows in display order
/// means a cache miss or several per row, while reading them in memory
/// order lets the hardware prefetch:
/// 1. this thread scans the candidates in display order until a screenful
///    of shown matches (or `FIRST_BUDGET` rows) and `report`s that prefix;
/// 2. workers on every core scan the rest in memory order, and one pass
///    places the matches in display order.
///
/// None when `stale` says a newer query was typed.
fn search(
    rows: &Rows<'_>,
    query: &str,
    screen: usize,
    stale: impl Fn() -> bool + Sync,
    mut report: impl FnMut(Progress),
) -> Option<Vec<u32>> {
    let pattern = nucleo::pattern::Pattern::parse(
        query,
        nucleo::pattern::CaseMatching::Ignore,
        nucleo::pattern::Normalization::Smart,
    );
    let len = rows.candidates.len();
    let all = rows.filter.is_all();
    let shown_of = |found: &[u32]| {
        if all {
            found.len()
        } else {
            let keep = |&&i: &&u32| rows.filter.keep(&rows.claims[i as usize]);
            found.iter().filter(keep).count()
        }
    };
    let mut reported = false;
    if screen < usize::MAX {
        let mut matcher = RowMatcher::new(rows, &pattern);
        let (mut first, mut shown, mut at) = (Vec::new(), 0, 0);
        while at < len && at < FIRST_BUDGET && shown < screen {
            if stale() {
                return None;
            }
            let end = (at + FIRST_STEP).min(len);
            let found = matcher.scan(rows.candidates[at..end].iter().copied());
            shown += shown_of(&found);
            first.extend(found);
            at = end;
        }
        if at == len {
            return Some(first);
        }
        report(Progress::FirstScreen {
            indices: first,
            shown,
        });
        reported = true;
    }
    // Few candidates (a narrowed search): scan them as they are. Many: in
    // memory order, skipping rows that are not candidates.
    let sparse = len < rows.claims.len() / 16;
    let want: Vec<bool> = if sparse || len == rows.claims.len() {
        Vec::new()
    } else {
        let mut want = vec![false; rows.claims.len()];
        for &i in rows.candidates {
            if let Some(slot) = want.get_mut(i as usize) {
                *slot = true;
            }
        }
        want
    };
    let span = if sparse { len } else { rows.claims.len() };
    let chunks = span.div_ceil(CHUNK);
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(chunks)
        .max(1);
    let next = AtomicUsize::new(0);
    let gave_up = AtomicBool::new(false);
    let (tx, rx) = std::sync::mpsc::channel::<(usize, Vec<u32>, usize)>();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, gave_up, stale, pattern) = (&next, &gave_up, &stale, &pattern);
            let (want, shown_of) = (&want, &shown_of);
            scope.spawn(move || {
                let mut matcher = RowMatcher::new(rows, pattern);
                loop {
                    let chunk = next.fetch_add(1, Ordering::Relaxed);
                    if chunk >= chunks || gave_up.load(Ordering::Relaxed) {
                        return;
                    }
                    if stale() {
                        gave_up.store(true, Ordering::Relaxed);
                        return;
                    }
                    let range = chunk * CHUNK..((chunk + 1) * CHUNK).min(span);
                    let found = if sparse {
                        matcher.scan(rows.candidates[range].iter().copied())
                    } else if want.is_empty() {
                        matcher.scan(range.map(|i| i as u32))
                    } else {
                        matcher.scan(range.filter(|&i| want[i]).map(|i| i as u32))
                    };
                    let shown = shown_of(&found);
                    if tx.send((chunk, found, shown)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        let mut parts: Vec<Vec<u32>> = vec![Vec::new(); chunks];
        let mut shown = 0;
        let mut last_report = Instant::now();
        while let Ok((chunk, part, count)) = rx.recv() {
            parts[chunk] = part;
            shown += count;
            if reported && last_report.elapsed() >= PROGRESS_EVERY {
                last_report = Instant::now();
                report(Progress::Count { shown });
            }
        }
        if gave_up.load(Ordering::Relaxed) {
            return None;
        }
        if sparse {
            return Some(parts.concat());
        }
        let mut hit = vec![false; rows.claims.len()];
        for i in parts.into_iter().flatten() {
            hit[i as usize] = true;
        }
        Some(
            rows.candidates
                .iter()
                .copied()
                .filter(|&i| hit.get(i as usize).copied().unwrap_or(false))
                .collect(),
        )
    })
}

/// One worker's matcher and scratch space.
struct RowMatcher<'a> {
    rows: &'a Rows<'a>,
    pattern: &'a nucleo::pattern::Pattern,
    needs: u64,
    matcher: nucleo::Matcher,
    buf: Vec<char>,
    haystack: String,
}

impl<'a> RowMatcher<'a> {
    fn new(rows: &'a Rows<'a>, pattern: &'a nucleo::pattern::Pattern) -> Self {
        let mut config = nucleo::Config::DEFAULT;
        config.ignore_case = true;
        RowMatcher {
            rows,
            pattern,
            needs: query_mask(pattern),
            matcher: nucleo::Matcher::new(config),
            buf: Vec::new(),
            haystack: String::new(),
        }
    }

    /// The indices among `candidates` whose claim matches, in their order.
    fn scan(&mut self, candidates: impl Iterator<Item = u32>) -> Vec<u32> {
        let claims = self.rows.claims;
        let mut found = Vec::new();
        for i in candidates {
            let Some(c) = claims.get(i as usize) else {
                continue;
            };
            if self.rows.masks.of(i as usize, c) & self.needs != self.needs {
                continue;
            }
            self.haystack.clear();
            for field in [
                &*c.user_name,
                &*c.user_email,
                &*c.org_name,
                &*c.product_name,
            ] {
                self.haystack.push_str(field);
                self.haystack.push(' ');
            }
            let haystack = nucleo::Utf32Str::new(&self.haystack, &mut self.buf);
            if matches(self.pattern, haystack, &mut self.matcher) {
                found.push(i);
            }
        }
        found
    }
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
        if needle.chars().any(|c| !c.is_ascii()) {
            // Such an atom turns normalization off (`ä` must not match `a`);
            // only `Atom::score` can set that. It leaves the config behind,
            // so restore what the ASCII atoms need. Rare, so the slower
            // optimal match is fine.
            let hit = atom.score(haystack, matcher).is_some();
            matcher.config.ignore_case = true;
            matcher.config.normalize = true;
            return hit;
        }
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

/// The indices of claims matching `query`, in list order: every claim
/// searched, its row masks computed on the way (as a first search does).
pub fn fuzzy_match(claims: &[Claim], query: &str) -> Vec<u32> {
    fuzzy_match_within(claims, None, query, || false).unwrap_or_default()
}

/// Like [`fuzzy_match`], but gives up (None) as soon as `stale` says a newer
/// query has been typed.
pub fn fuzzy_match_until(
    claims: &[Claim],
    query: &str,
    stale: impl Fn() -> bool + Sync,
) -> Option<Vec<u32>> {
    fuzzy_match_within(claims, None, query, stale)
}

/// Searches only the claims at `within` (e.g. the matches of a shorter
/// query this one extends), or all of them; the result keeps their order.
/// None when `stale` says a newer query was typed.
pub fn fuzzy_match_within(
    claims: &[Claim],
    within: Option<&[u32]>,
    query: &str,
    stale: impl Fn() -> bool + Sync,
) -> Option<Vec<u32>> {
    let every: Vec<u32>;
    let candidates = match within {
        Some(indices) => indices,
        None => {
            every = (0..claims.len() as u32).collect();
            &every
        }
    };
    let filter = ClaimFilter {
        statuses: [true; 4],
        ..ClaimFilter::default()
    };
    let rows = Rows {
        claims,
        candidates,
        filter: &filter,
        masks: &Masks::new(claims.len()),
    };
    search(&rows, query, usize::MAX, stale, |_| {})
}

/// True when every match of `query` is also a match of `previous`, so the
/// search can look only at `previous`'s matches: `query` extends it and
/// neither uses nucleo's operators (a longer `!term` matches more rows).
pub fn narrows(previous: &str, query: &str) -> bool {
    let plain = |q: &str| !q.contains(['!', '^', '$', '\'', '\\']);
    !previous.trim().is_empty() && query.starts_with(previous) && plain(previous) && plain(query)
}

/// Results larger than this are left in display order: ranking is for
/// finding someone, and a query that broad finds no one in particular.
pub const RANK_MAX: usize = 50_000;

/// How well `claim` matches `query`, fzf-style: 0 when a field (name,
/// email, school, product) equals the query, 1 when every word of the
/// query occurs as typed in a field, 2 for a fuzzy match only.
pub fn tier(claim: &Claim, query: &str) -> u8 {
    let query = query.trim();
    let fields = [
        &*claim.user_email,
        &*claim.user_name,
        &*claim.org_name,
        &*claim.product_name,
    ];
    if fields.iter().any(|f| f.eq_ignore_ascii_case(query)) {
        return 0;
    }
    let words: Vec<String> = query
        .split_whitespace()
        .map(|w| {
            w.trim_start_matches(['\'', '^'])
                .trim_end_matches('$')
                .to_lowercase()
        })
        .collect();
    // Ranking runs over up to RANK_MAX rows on the update thread: no
    // allocation per field for ASCII text.
    let in_some_field = |w: &String| fields.iter().any(|f| super::contains_folded(f, w));
    if !words.is_empty() && words.iter().all(in_some_field) {
        1
    } else {
        2
    }
}

/// The exact and substring matches among `indices` (claim index → tier 0
/// or 1); None when there are too many to rank (see [`RANK_MAX`]).
pub fn ranks(claims: &[Claim], query: &str, indices: &[u32]) -> Option<HashMap<u32, u8>> {
    if indices.len() > RANK_MAX || query.trim().is_empty() {
        return None;
    }
    Some(
        indices
            .iter()
            .filter_map(|&i| {
                let t = tier(claims.get(i as usize)?, query);
                (t < 2).then_some((i, t))
            })
            .collect(),
    )
}

/// `rows` with the exact matches first, then the substring matches, then
/// the rest, each group in its display order.
pub fn ranked(rows: Vec<u32>, ranks: &HashMap<u32, u8>) -> Vec<u32> {
    if ranks.is_empty() {
        return rows;
    }
    let mut groups: [Vec<u32>; 3] = Default::default();
    for i in rows {
        groups[usize::from(ranks.get(&i).copied().unwrap_or(2))].push(i);
    }
    groups.concat()
}
