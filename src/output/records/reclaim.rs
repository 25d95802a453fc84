//! Columns of the reclaim listings: policies, their runs and the summary's
//! per-policy candidate counts.

use seatdesk_core::api::reclaim::{PolicyCandidates, ReclaimPolicy, ReclaimRun};

use super::{Cell, Column, Record, col, text, wide};

impl Record for ReclaimPolicy {
    const COLUMNS: &'static [Column] = &[
        col("id"),
        col("name"),
        col("rule"),
        col("days"),
        col("org_id").titled("ORG"),
        col("product_id").titled("PRODUCT"),
        col("license_id").titled("LICENSE"),
        col("interval_minutes").titled("EVERY MIN"),
        col("paused"),
        col("last_run_at").titled("LAST RUN"),
        wide("next_run_at"),
        col("seats_freed").titled("FREED"),
        wide("created_at"),
        wide("created_by"),
    ];
    fn cells(&self) -> Vec<Cell> {
        vec![
            self.id.into(),
            self.name.as_str().into(),
            text(self.rule),
            self.days.into(),
            self.org_id.into(),
            self.product_id.into(),
            self.license_id.into(),
            self.interval_minutes.into(),
            self.paused.into(),
            self.last_run_at.into(),
            self.next_run_at.into(),
            self.seats_freed.into(),
            self.created_at.into(),
            self.created_by.as_str().into(),
        ]
    }
}

impl Record for ReclaimRun {
    const COLUMNS: &'static [Column] = &[
        col("id"),
        wide("policy_id"),
        col("started_at").titled("STARTED"),
        col("trigger"),
        col("actor"),
        col("freed"),
        col("refused"),
        col("remaining"),
    ];
    fn cells(&self) -> Vec<Cell> {
        vec![
            self.id.into(),
            self.policy_id.into(),
            self.started_at.into(),
            text(self.trigger),
            self.actor.as_str().into(),
            self.freed.into(),
            self.refused.into(),
            self.remaining.into(),
        ]
    }
}

impl Record for PolicyCandidates {
    const COLUMNS: &'static [Column] = &[
        col("policy_id").titled("POLICY"),
        col("name"),
        col("paused"),
        col("candidates"),
    ];
    fn cells(&self) -> Vec<Cell> {
        vec![
            self.policy_id.into(),
            self.name.as_str().into(),
            self.paused.into(),
            self.candidates.into(),
        ]
    }
}
