//! State of the Reclaim view: the reclaim policies with the seats each
//! could free now (the server's summary), one policy's dry run (preview) or
//! history, and the summary behind the Dashboard's "could be reclaimed"
//! line. Everything here is the server's answer; nothing is recomputed.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use seatdesk_core::api::reclaim::{
    ReclaimPolicy, ReclaimReport, ReclaimRule, ReclaimRun, ReclaimSummary, SummaryQuery,
};

use super::{ListState, Pane};

/// Policies the view loads at most; the title says when there are more.
pub const POLICIES_MAX: usize = 2_000;
/// Runs of one policy the history shows at most.
pub const RUNS_MAX: usize = 500;

/// What the Reclaim view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReclaimScreen {
    #[default]
    Policies,
    /// The dry run of [`ReclaimView::policy`]: the seats and why.
    Preview,
    /// The runs of [`ReclaimView::policy`], newest first.
    History,
}

/// A policy being run from the revocation confirmation (see
/// [`super::Dialog::ConfirmRevoke`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReclaimTarget {
    pub policy_id: i64,
    pub name: String,
    /// Matching seats the dry run left for later runs.
    pub remaining: i64,
}

/// A dry run (or history) as answered for one policy.
#[derive(Debug, Clone)]
pub struct Answer<T> {
    pub data: Option<T>,
    pub loading: bool,
    pub error: Option<String>,
    pub list: ListState,
}

impl<T> Default for Answer<T> {
    fn default() -> Self {
        Answer {
            data: None,
            loading: false,
            error: None,
            list: ListState::default(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ReclaimView {
    pub screen: ReclaimScreen,
    /// The pane Esc returns to.
    pub from: Option<Pane>,
    pub policies: Vec<ReclaimPolicy>,
    /// More policies exist than [`POLICIES_MAX`].
    pub truncated: bool,
    /// The unfiltered summary: the candidate count of every policy.
    pub summary: Option<ReclaimSummary>,
    pub loading: bool,
    pub loaded: bool,
    pub error: Option<String>,
    pub list: ListState,
    /// The policy the preview or history is of.
    pub policy: Option<i64>,
    pub preview: Answer<ReclaimReport>,
    pub runs: Answer<Vec<ReclaimRun>>,
    /// Policies a pause or resume is in flight for.
    pub toggling: HashSet<i64>,
    /// The summary for the Dashboard's view (the query it answers).
    pub dashboard: Option<(SummaryQuery, ReclaimSummary)>,
    /// The Dashboard view a summary fetch is running for.
    pub dashboard_loading: Option<SummaryQuery>,
}

impl ReclaimView {
    /// The policy under the cursor of the list.
    pub fn selected(&self) -> Option<&ReclaimPolicy> {
        self.policies.get(self.list.cursor)
    }

    pub fn find(&self, id: i64) -> Option<&ReclaimPolicy> {
        self.policies.iter().find(|p| p.id == id)
    }

    /// The policy a key acts on: the one previewed or whose history is
    /// shown, else the one under the cursor.
    pub fn current(&self) -> Option<&ReclaimPolicy> {
        match self.screen {
            ReclaimScreen::Policies => self.selected(),
            _ => self.policy.and_then(|id| self.find(id)),
        }
    }

    /// Seats policy `id` could reclaim now, per the server's summary.
    pub fn candidates(&self, id: i64) -> Option<i64> {
        self.summary
            .as_ref()?
            .policies
            .iter()
            .find(|p| p.policy_id == id)
            .map(|p| p.candidates)
    }

    /// The Dashboard's line for `query`'s view, when its answer is in and
    /// there are policies.
    pub fn dashboard_line(&self, query: &SummaryQuery) -> Option<String> {
        let (answered, summary) = self.dashboard.as_ref()?;
        if answered != query || summary.policies.is_empty() {
            return None;
        }
        Some(summary.sentence())
    }
}

/// "pending 30d", "archived user": the rule and its age, short.
pub fn rule_label(rule: ReclaimRule, days: Option<i64>) -> String {
    let days = days.map_or_else(String::new, |d| format!(" {d}d"));
    match rule {
        ReclaimRule::PendingOverDays => format!("pending{days}"),
        ReclaimRule::SuspendedOverDays => format!("suspended{days}"),
        ReclaimRule::ArchivedUser => "archived user".to_string(),
        ReclaimRule::UnusedOverDays => format!("unused{days}"),
    }
}

/// "frees pending seats (assigned, never claimed) after 30 days".
pub fn rule_sentence(rule: ReclaimRule, days: Option<i64>) -> String {
    let after = days.map_or_else(String::new, |d| format!(" after {d} days"));
    match rule {
        ReclaimRule::PendingOverDays => {
            format!("frees pending seats (assigned, never claimed){after}")
        }
        ReclaimRule::SuspendedOverDays => {
            format!("frees seats of users suspended{after}")
        }
        ReclaimRule::ArchivedUser => "frees seats of archived users".to_string(),
        ReclaimRule::UnusedOverDays => {
            format!("frees active seats no product reported in use{after}")
        }
    }
}

/// "every 24h", "every 30 min", "every 2 days".
pub fn interval_label(minutes: i64) -> String {
    if minutes % (24 * 60) == 0 {
        let days = minutes / (24 * 60);
        if days == 1 {
            "every 24h".to_string()
        } else {
            format!("every {days} days")
        }
    } else if minutes % 60 == 0 {
        format!("every {}h", minutes / 60)
    } else {
        format!("every {minutes} min")
    }
}

/// A time as the tables show it: "2026-12-03 16:40".
pub fn minute(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// Background work of the Reclaim view and the Dashboard's line.
#[derive(Debug, Clone, PartialEq)]
pub enum ReclaimEffect {
    /// The policies and the unfiltered summary (their candidate counts).
    LoadPolicies,
    /// The summary for the Dashboard's view.
    LoadSummary {
        query: SummaryQuery,
    },
    /// A dry run of the policy: for the preview, or (`check`) for the
    /// confirmation of a run.
    DryRun {
        policy_id: i64,
        check: bool,
    },
    Run {
        policy_id: i64,
    },
    SetPaused {
        policy_id: i64,
        paused: bool,
    },
    LoadRuns {
        policy_id: i64,
    },
}
