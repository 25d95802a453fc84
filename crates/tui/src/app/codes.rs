//! State of the Codes pane: one license's master, resource and redemption
//! codes and its activation-code batches, loaded from the server on demand.

use seatdesk_core::CodeKind;
use seatdesk_core::api::codes::{Code, CodeBatch};

use super::ListState;

/// Codes one tab loads at most; the title says when there are more.
pub const CODES_MAX: usize = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum CodeTab {
    #[default]
    Master,
    Resource,
    Redemption,
    Batches,
}

impl CodeTab {
    pub const ALL: [CodeTab; 4] = [
        CodeTab::Master,
        CodeTab::Resource,
        CodeTab::Redemption,
        CodeTab::Batches,
    ];

    pub fn title(self) -> &'static str {
        match self {
            CodeTab::Master => "Master codes",
            CodeTab::Resource => "Resource codes",
            CodeTab::Redemption => "Redemption codes",
            CodeTab::Batches => "Activation batches",
        }
    }

    /// The code kind the tab lists; None for batches.
    pub fn kind(self) -> Option<CodeKind> {
        match self {
            CodeTab::Master => Some(CodeKind::Master),
            CodeTab::Resource => Some(CodeKind::Resource),
            CodeTab::Redemption => Some(CodeKind::Redemption),
            CodeTab::Batches => None,
        }
    }

    pub fn step(self, forward: bool) -> CodeTab {
        let at = CodeTab::ALL.iter().position(|t| *t == self).unwrap_or(0);
        let len = CodeTab::ALL.len();
        CodeTab::ALL[if forward {
            (at + 1) % len
        } else {
            (at + len - 1) % len
        }]
    }
}

/// What one load of the Codes pane brought back.
#[derive(Debug, Clone, PartialEq)]
pub enum CodesData {
    Codes(Vec<Code>),
    Batches(Vec<CodeBatch>),
}

#[derive(Debug, Clone, Default)]
pub struct CodesView {
    pub license: Option<i64>,
    pub tab: CodeTab,
    pub codes: Vec<Code>,
    pub batches: Vec<CodeBatch>,
    /// The license and tab `codes` / `batches` belong to.
    pub loaded_for: Option<(i64, CodeTab)>,
    pub truncated: bool,
    pub loading: bool,
    pub error: Option<String>,
    pub generation: u64,
    /// Local text filter over the loaded codes.
    pub query: String,
    /// Indices into `codes` (or `batches`) after the filter.
    pub rows: Vec<usize>,
    pub list: ListState,
    /// An export is being fetched and written.
    pub exporting: bool,
    /// A batch to put the cursor on once the batches arrive (a new one).
    pub select_batch: Option<i64>,
}

impl CodesView {
    pub fn selected_batch(&self) -> Option<&CodeBatch> {
        if self.tab != CodeTab::Batches {
            return None;
        }
        self.rows
            .get(self.list.cursor)
            .and_then(|&i| self.batches.get(i))
    }
}
